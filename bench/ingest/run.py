"""Benchmark: parse, normalise and store 100,000 PubMed records.

The PubMed XML is built at run time by replicating the real fixture articles of
tests/fixtures/sources/pubmed under new PMIDs, in efetch-sized files (nothing is committed).
Prints records/s and the peak memory of the process. Target: >= 5,000 records/s, < 1 GB.

    .venv/bin/python bench/ingest/run.py [--records N] [--batch N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rea.pipeline.search import ingest_pubmed_pages  # noqa: E402
from rea.records import Provenance  # noqa: E402
from rea.sources.pubmed_xml import split_articles  # noqa: E402
from rea.store import open_store  # noqa: E402
from rea.store.sources import start_run  # noqa: E402
from tests.sources_support import renumbered  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "sources" / "pubmed"
HEAD = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    b'1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)


def build(folder: Path, total: int, batch: int) -> list[Path]:
    pool = []
    for path in sorted(FIXTURES.glob("*.xml")):
        if not path.name.startswith("esearch"):
            pool.extend(split_articles(path.read_bytes()))
    if not pool:
        sys.exit("no fixture articles found under tests/fixtures/sources/pubmed")
    files = []
    for start in range(0, total, batch):
        chunks = [HEAD]
        for i in range(start, min(start + batch, total)):
            pmid, element = pool[i % len(pool)]
            chunks.append(renumbered(pmid, element, str(50_000_000 + i)) + b"\n")
        chunks.append(b"</PubmedArticleSet>\n")
        path = folder / f"efetch-{start // batch:05d}.xml"
        path.write_bytes(b"".join(chunks))
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="articles per efetch file")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="parsing processes (default: one per core)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rea-bench-ingest-") as tmp:
        folder = Path(tmp)
        files = build(folder, args.records, args.batch)
        size = sum(p.stat().st_size for p in files)
        print(f"built {args.records} records in {len(files)} files ({size / 1e6:.0f} MB)")
        jobs = [
            (path, Provenance(source="pubmed", stage="bench", run_id="bench", snapshot=path.name))
            for path in files
        ]
        started = time.perf_counter()
        cpu = time.process_time()
        store_path = folder / "store.sqlite"
        with open_store(store_path) as store:
            start_run(store, "bench", "now", "bench", "runs/bench")
        stored = ingest_pubmed_pages(store_path, jobs, workers=args.workers)
        with open_store(store_path) as store:
            count = store.conn.execute("SELECT count(*) FROM records").fetchone()[0]
        elapsed = time.perf_counter() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
    assert count == args.records == stored, (count, stored)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak_mb = own + worker * max(0, args.workers)
    rate = stored / elapsed
    print(
        f"stored {stored} records in {elapsed:.1f} s: {rate:,.0f} records/s "
        f"({args.workers} parsing processes; {stored / cpu:,.0f} records per CPU-second)"
    )
    print(
        f"peak memory (max RSS): {own:,.0f} MB main + {args.workers} x {worker:,.0f} MB "
        f"parsers = {peak_mb:,.0f} MB at most"
    )
    load = os.getloadavg()[0]
    print(f"load average while measuring: {load:.1f} on {os.cpu_count()} cores")
    ok = rate >= 5_000 and peak_mb < 1024
    print("target (>= 5,000 records/s, < 1 GB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
