"""Benchmark: requests `rea search` sends per 10,000 records, against the minimum, and the request
rate it reaches against the service's limit, over loopback.

A replay server on 127.0.0.1 answers like E-utilities and the Scopus Search API and refuses (429)
any request past the service's published limit in a one-second window (NCBI with a key: 10/s;
Scopus: 9/s), counting what it refused. The minimum is what a search of N records cannot do
without: PubMed 1 esearch + ceil(N / 200) efetch; Scopus ceil(N / 25) pages in the COMPLETE view.
PubMed at 10,000 records must cut its listing (esearch lists 9,999 ids at most), which costs two
esearch calls beyond that minimum. A second pass runs the same searches on a server that
misbehaves now and then (a short batch, an answer that is not data, a stuck cursor, a 503).
Target: within 5 % of the minimum on a healthy server, and no 429.

The records are minimal articles and entries (their size does not change the requests); the
rate limiter's state lives in a temporary folder, so nothing else on the machine is slowed.

    .venv/bin/python bench/search/run.py [--records N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rea.config import Settings  # noqa: E402
from rea.pipeline.search import SearchTask, run_searches  # noqa: E402
from rea.sources import pubmed  # noqa: E402
from rea.sources.ratelimit import LIMITS, MARGIN  # noqa: E402
from rea.sources.replay import ReplayServer, record_scopus_search  # noqa: E402
from tests.sources_support import make_review, scopus_entry, write_small_pubmed  # noqa: E402

TERM = '"primary care network*"[tiab]'
QUERY = 'TITLE-ABS-KEY("primary care network*")'
FAULTS: dict[str, list[dict[str, Any]]] = {
    "pubmed": [
        {"kind": "short_batch", "path": "efetch.fcgi", "after": 5, "drop": 3},
        {"kind": "plain_text", "path": "efetch.fcgi", "after": 20},
        {"kind": "http_503", "path": "esearch.fcgi", "after": 1},
    ],
    "scopus": [
        {"kind": "cursor_stuck", "after": 50},
        {"kind": "empty_page", "after": 200},
        {"kind": "http_503", "after": 300},
    ],
}


@dataclass
class Figures:
    source: str
    records: int
    stored: int
    state: str
    requests: int
    minimum: int
    refused: int
    seconds: float
    limit: float

    def line(self) -> str:
        over = 100.0 * (self.requests - self.minimum) / self.minimum
        per = self.requests * 10_000 / self.records
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"  {self.source:<7} {self.records:>6} records, {self.stored:>6} stored "
            f"({self.state}); {self.requests:>4} requests, minimum {self.minimum:>4} "
            f"(+{over:.1f} %; {per:.0f} per 10,000 records); {rate:.2f} requests/s against "
            f"a limit of {self.limit:g}/s; {self.refused} refused with 429"
        )


def run(source: str, n: int, folder: Path, faulty: bool) -> Figures:
    rec = folder / f"rec-{source}-{faulty}"
    if source == "pubmed":
        write_small_pubmed(rec, n, term=TERM, first_pmid=30_000_000, years=(2013, 2018))
        task = SearchTask(
            "s", "pubmed", TERM, {"mindate": "2013", "maxdate": "2018"}, "2013-01-01", "2018-12-31"
        )
        limit = LIMITS["ncbi"].rate(keyed=True)
        minimum = 1 + math.ceil(n / pubmed.BATCH_SIZE)
    else:
        entries = [scopus_entry(i, 2013 + i % 6) for i in range(n)]
        for entry in entries:  # the search's own shape, lighter
            for name in ("dc:description", "author", "authkeywords", "link"):
                entry.pop(name, None)
        record_scopus_search(rec, QUERY, entries)
        task = SearchTask("s", "scopus", QUERY, {}, "2013-01-01", "2018-12-31")
        limit = LIMITS["scopus"].rate()
        minimum = math.ceil(n / 25)
    paths = make_review(folder / f"review-{source}-{faulty}")
    service = "pubmed" if source == "pubmed" else "scopus"
    with ReplayServer(rec, rate_limits={service: limit}) as server:
        for fault in FAULTS[source] if faulty else []:
            server.add_fault(service=service, **fault)
        settings = Settings.from_env(
            {
                **server.env(),
                "NCBI_API_KEY": "bench-key",
                "NCBI_EMAIL": "bench@localhost",
                "SCOPUS_API_KEY": "bench-key",
                "REA_STATE_DIR": str(folder / "state"),
            }
        )
        started = time.monotonic()
        result = run_searches(paths, [task], settings=settings)
        seconds = time.monotonic() - started
        sent = len(server.requests)
        refused = len(server.refused)
    [done] = result.tasks
    return Figures(
        source, n, done.fetched_count, done.state.value, sent, minimum, refused, seconds, limit
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"rea search over loopback, {args.records} records per source; the limiter sends at "
        f"{100 * (1 - MARGIN):.0f} % of each limit"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REA_STATE_DIR"] = str(Path(tmp) / "state")
        for faulty in (False, True):
            print("a healthy server:" if not faulty else "a server that misbehaves now and then:")
            for source in ("pubmed", "scopus"):
                print(run(source, args.records, Path(tmp), faulty).line(), flush=True)


if __name__ == "__main__":
    main()
