"""Test helpers of the sources area: recordings built from the real fixtures, a replay server,
a review folder, and a runner for search subprocesses."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rea.config import ReviewPaths, Settings
from rea.sources.pubmed_xml import split_articles
from rea.sources.replay import (
    ReplayServer,
    record_pubmed_articles,
    record_pubmed_search,
    record_scopus_search,
    renumbered,
)
from tests.helpers import FIXTURES, REPO

SOURCES = FIXTURES / "sources"
PUBMED = SOURCES / "pubmed"
EXPORTS = SOURCES / "exports"

TERM = '"primary care network*"[tiab] AND england[tiab]'
SCOPUS_QUERY = 'TITLE-ABS-KEY("primary care network*" AND england)'


def real_articles() -> list[tuple[str, bytes]]:
    """Every PubMed article of the fixtures (journal articles and a book chapter)."""
    found: list[tuple[str, bytes]] = []
    for path in sorted(PUBMED.glob("*.xml")):
        if not path.name.startswith("esearch"):
            found.extend(split_articles(path.read_bytes()))
    return found


def write_pubmed(
    root: Path,
    n: int,
    *,
    term: str = TERM,
    first_pmid: int = 90_000_001,
    years: tuple[int, int] = (2013, 2018),
    count: int | None = None,
) -> list[str]:
    """Recordings for one PubMed term with ``n`` records made from the real fixture articles;
    returns the PMIDs in esearch order."""
    pool = real_articles()
    ids = []
    chunks = []
    span = years[1] - years[0] + 1
    for i in range(n):
        pmid, element = pool[i % len(pool)]
        new = str(first_pmid + i)
        chunks.append(renumbered(pmid, element, new))
        year = years[0] + i % span
        ids.append((new, f"{year}/{1 + i % 12:02d}/{1 + i % 28:02d}"))
    record_pubmed_articles(root, str(first_pmid), chunks)
    record_pubmed_search(root, term, ids, count=count)
    return [pmid for pmid, _ in ids]


def scopus_entry(i: int, year: int) -> dict[str, object]:
    """A Search API entry in the documented COMPLETE-view shape."""
    number = 85_100_000_000 + i
    return {
        "@_fa": "true",
        "link": [
            {"@_fa": "true", "@ref": "self", "@href": f"https://api.elsevier.com/{number}"},
            {"@_fa": "true", "@ref": "scopus", "@href": f"https://www.scopus.com/{number}"},
        ],
        "prism:url": f"https://api.elsevier.com/content/abstract/scopus_id/{number}",
        "dc:identifier": f"SCOPUS_ID:{number}",
        "eid": f"2-s2.0-{number}",
        "dc:title": f"Primary care networks in England: study {i}",
        "dc:creator": "Smith J.",
        "prism:publicationName": "British Journal of General Practice",
        "prism:issn": "09601643",
        "prism:eIssn": "14785242",
        "prism:volume": "70",
        "prism:issueIdentifier": "3",
        "prism:pageRange": f"{100 + i}-{105 + i}",
        "prism:coverDate": f"{year}-06-01",
        "prism:doi": f"10.3399/bjgp.{year}.{i:05d}",
        "pubmed-id": str(30_000_000 + i),
        "citedby-count": "3",
        "subtype": "ar",
        "subtypeDescription": "Article",
        "dc:description": f"Background: networks {i}. Methods: survey. Results: fine.",
        "authkeywords": "primary care | networks | England",
        "author": [
            {
                "@_fa": "true",
                "authid": "1",
                "authname": "Smith J.",
                "surname": "Smith",
                "given-name": "John",
                "initials": "J.",
            },
            {
                "@_fa": "true",
                "authid": "2",
                "authname": "Jones A.B.",
                "surname": "Jones",
                "given-name": "Anna B.",
                "initials": "A.B.",
            },
        ],
    }


def write_scopus(
    root: Path,
    n: int,
    *,
    query: str = SCOPUS_QUERY,
    years: tuple[int, int] = (2013, 2018),
    complete_view: bool = True,
) -> list[str]:
    """Recordings for one Scopus query with ``n`` entries; returns their EIDs."""
    span = years[1] - years[0] + 1
    entries = [scopus_entry(i, years[0] + i % span) for i in range(n)]
    record_scopus_search(root, query, entries, complete_view=complete_view)
    return [str(e["eid"]) for e in entries]


@contextmanager
def replay(recordings: Path | None) -> Iterator[ReplayServer]:
    server = ReplayServer(recordings).start()
    try:
        yield server
    finally:
        server.stop()


STRATEGY = REPO / "searches" / "pcn-rea" / "strategy.toml"
STAGE = "2013-2018-all"
OTHER_STAGE = "1998-2012-reviews"


def make_review(tmp: Path, name: str = "pcn-rea") -> ReviewPaths:
    """A review folder with the reference review's strategy, whose [sources] also list the
    export sources the import tests use (db, embase; nhs-england and hw as other methods)."""
    root = tmp / "searches" / name
    root.mkdir(parents=True)
    text = STRATEGY.read_text(encoding="utf-8")
    text = text.replace(
        'import = ["wos", "ovid"]', 'import = ["wos", "ovid", "db", "embase", "pubmed-file"]'
    )
    text = text.replace('"citation_searching"]', '"citation_searching", "nhs-england", "hw"]')
    assert '"embase"' in text and '"hw"' in text, "the shipped strategy's [sources] changed"
    (root / "strategy.toml").write_text(text, encoding="utf-8")
    return ReviewPaths(root)


def settings_for(server: ReplayServer, **extra: str) -> Settings:
    env = {
        **server.env(),
        "NCBI_EMAIL": "info@example.org",
        "REA_STATE_DIR": os.environ["REA_STATE_DIR"],  # the test's own (tests/conftest.py)
        **extra,
    }
    return Settings.from_env(env)


def no_sleep(seconds: float) -> None:
    """Back-off without waiting (the waits asked for are recorded by tests that need them)."""


def run_search_subprocess_code(review: Path, tasks_json: Path, resume: str | None) -> list[str]:
    """argv for a real subprocess that runs the search pipeline (used by the kill -9 test)."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from rea.config import ReviewPaths\n"
        "from rea.pipeline.search import SearchTask, run_searches\n"
        "tasks = [SearchTask.from_json(t) for t in json.loads(Path(sys.argv[2]).read_text())]\n"
        "resume = sys.argv[3] or None\n"
        "r = run_searches(ReviewPaths(Path(sys.argv[1])), None if resume else tasks,"
        " resume=resume, progress=lambda m: print(m, file=sys.stderr, flush=True))\n"
        "print(r.run_id)\n"
    )
    return [sys.executable, "-c", code, str(review), str(tasks_json), resume or ""]


def small_article(pmid: str, year: int) -> bytes:
    """A minimal but valid PubMed article (for tests that need many records quickly)."""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}'
        f"</PMID><Article><Journal><JournalIssue><PubDate><Year>{year}</Year></PubDate>"
        f"</JournalIssue><Title>Journal of Tests</Title></Journal><ArticleTitle>Primary care "
        f"networks, record {pmid}</ArticleTitle></Article></MedlineCitation><PubmedData>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>'
        f"</PubmedData></PubmedArticle>"
    ).encode()


def write_small_pubmed(
    root: Path, n: int, *, term: str, first_pmid: int, years: tuple[int, int]
) -> list[str]:
    """Recordings for one PubMed term with ``n`` minimal articles; returns their PMIDs."""
    span = years[1] - years[0] + 1
    ids = [(str(first_pmid + i), f"{years[0] + i % span}/03/01") for i in range(n)]
    record_pubmed_articles(
        root, f"small-{first_pmid}", [small_article(p, int(d[:4])) for p, d in ids]
    )
    record_pubmed_search(root, term, ids)
    return [p for p, _ in ids]


@dataclass
class Searched:
    """One search run through the replay server: what it stored, sent and wrote."""

    paths: ReviewPaths
    result: Any  # rea.pipeline.search.SearchRunResult
    ids: list[str]  # the source identifiers stored (PMIDs, EIDs), in order
    seen: list[Any]  # the requests the server received
    manifest: dict[str, Any]  # the search's manifest
    current: int  # records of the review in current_records

    @property
    def task(self) -> Any:
        return self.result.tasks[0]


def search_through(
    tmp: Path,
    recordings: Path,
    task: Any,
    faults: Sequence[Mapping[str, Any]] = (),
    *,
    server: Mapping[str, Any] | None = None,
    merged: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> Searched:
    """Run one search task (``rea.pipeline.search.SearchTask``) in a new review under ``tmp``
    against a replay server with ``faults``; ``options`` go to ``run_searches``."""
    from rea.pipeline.search import run_searches
    from rea.store import open_store
    from rea.store.records import iter_records
    from rea.store.sources import current_record_ids

    paths = make_review(tmp)
    with ReplayServer(recordings, **dict(server or {})) as replay:
        for fault in faults:
            replay.add_fault(**fault)
        for old, new in (merged or {}).items():
            replay.merge(old, new)
        result = run_searches(
            paths,
            [task],
            settings=settings_for(replay, **dict(env or {})),
            sleep=no_sleep,
            **options,
        )
        seen = list(replay.requests)
    with open_store(paths.store) as store:
        ids = [s.record.source_id for s in iter_records(store)]
        current = len(current_record_ids(store))
    manifest_path = paths.root / result.path / task.stage / task.source / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    return Searched(paths, result, ids, seen, manifest, current)
