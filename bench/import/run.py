"""Benchmark: memory and time of `rea import` on large exports, and the refusal of a 2 GB file.

For each format (RIS, MEDLINE, Scopus CSV, BibTeX) an export of N records with ~1 kB abstracts
is written at run time (nothing is committed) and imported by `rea import` in a subprocess. The
figures printed per format: file size, wall time, the subprocess's peak memory (max RSS), the
same for `rea` doing nothing but start (the interpreter and libraries), and the memory the
records themselves take once read (tracemalloc, in a separate subprocess that only reads them).
The target: the import's peak above start-up stays within a small multiple of the records'
own memory (the file is streamed, never held whole), and the 2 GB file is refused in a second.

    .venv/bin/python bench/import/run.py [--records N] [--formats ris,medline,csv,bibtex]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STRATEGY = REPO / "searches" / "pcn-rea" / "strategy.toml"
STAGE = "2013-2018-all"

ABSTRACT = (
    "Background: general practices in England have formed networks and federations to share "
    "staff and services. Methods: we surveyed {i} practices and interviewed managers about "
    "the work of collaboration, its costs and the access patients had to services. Results: "
    "collaboration widened access to extended hours and shared clinical staff; managers spent "
    "more time on governance; patients saw little change in continuity of care. Conclusions: "
    "networks need time, funding and leadership; their effects on outcomes are not yet known. "
) * 2


def fields(i: int) -> dict[str, str]:
    return {
        "title": f"Collaboration between general practices in England: study {i}",
        "abstract": ABSTRACT.format(i=i),
        "journal": "British Journal of General Practice",
        "year": str(2013 + i % 6),
        "doi": f"10.3399/bjgp.{i:07d}",
        "volume": str(60 + i % 10),
        "pages": f"{100 + i % 50}-{110 + i % 50}",
    }


def write_ris(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            f = fields(i)
            out.write(
                f"TY  - JOUR\nTI  - {f['title']}\nAU  - Smith, John\nAU  - Sidhu, Manbinder\n"
                f"T2  - {f['journal']}\nPY  - {f['year']}\nVL  - {f['volume']}\n"
                f"SP  - {f['pages']}\nDO  - {f['doi']}\nAB  - {f['abstract']}\nER  - \n\n"
            )


def write_medline(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            f = fields(i)
            out.write(
                f"PMID- {30_000_000 + i}\nTI  - {f['title']}\nAB  - {f['abstract']}\n"
                f"AU  - Smith J\nAU  - Sidhu M\nDP  - {f['year']}\nJT  - {f['journal']}\n"
                f"VI  - {f['volume']}\nPG  - {f['pages']}\nLID - {f['doi']} [doi]\n\n"
            )


def write_csv(path: Path, n: int) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Authors", "Title", "Year", "Source title", "Volume", "Page start",
                         "Page end", "DOI", "Abstract", "EID"])  # fmt: skip
        for i in range(n):
            f = fields(i)
            start, end = f["pages"].split("-")
            writer.writerow(["Smith J., Sidhu M.", f["title"], f["year"], f["journal"],
                             f["volume"], start, end, f["doi"], f["abstract"],
                             f"2-s2.0-{85_000_000_000 + i}"])  # fmt: skip


def write_bibtex(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            f = fields(i)
            out.write(
                f"@article{{smith{i},\n  author = {{Smith, John and Sidhu, Manbinder}},\n"
                f"  title = {{{f['title']}}},\n  journal = {{{f['journal']}}},\n"
                f"  year = {{{f['year']}}},\n  volume = {{{f['volume']}}},\n"
                f"  pages = {{{f['pages']}}},\n  doi = {{{f['doi']}}},\n"
                f"  abstract = {{{f['abstract']}}}\n}}\n\n"
            )


WRITERS = {
    "ris": (write_ris, "ris", "export.ris"),
    "medline": (write_medline, "medline", "export.nbib"),
    "csv": (write_csv, "scopus-csv", "export.csv"),
    "bibtex": (write_bibtex, "bibtex", "export.bib"),
}

# the memory of the records alone: read them (no store) and measure what the list holds
RECORDS_ONLY = """
import sys, tracemalloc
from pathlib import Path
from rea.records import Provenance
from rea.sources.readers import read_file
path, fmt = Path(sys.argv[1]), sys.argv[2]
tracemalloc.start()
read = read_file(path, fmt, Provenance(source="bench", stage="s"))
held, peak = tracemalloc.get_traced_memory()
print(len(read.records), held, peak)
"""

STARTUP = "import rea.cli, rea.pipeline.imports, rea.sources.readers, rea.store"


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``argv`` under a fresh Python parent so that its max RSS is its own."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "w = time.perf_counter() - t\n"
        "print(json.dumps([w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,"
        " p.returncode, p.stdout[-400:], p.stderr[-400:]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    wall, rss, code, out, err = json.loads(done.stdout)
    if code != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{out}\n{err}")
    return wall, rss, out


def mb(n: float) -> str:
    return f"{n / 1024**2:7.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--formats", default="ris,medline,csv,bibtex")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(REPO)}
    env.pop("REA_REVIEW", None)
    rea = [sys.executable, "-m", "rea"]
    with tempfile.TemporaryDirectory(prefix="rea-bench-import-") as tmp:
        root = Path(tmp)
        _, start_rss, _ = measured([sys.executable, "-c", STARTUP], env)
        print(f"rea start-up (interpreter and libraries): {mb(start_rss)}")
        print(
            f"{'format':<8} {'records':>8} {'file':>10} {'wall':>7} {'rec/s':>7} "
            f"{'peak RSS':>10} {'above start':>11} {'records hold':>12} {'ratio':>6}"
        )
        for name in args.formats.split(","):
            write, fmt, filename = WRITERS[name]
            review = root / name / "searches" / "pcn-rea"
            review.mkdir(parents=True)
            shutil.copyfile(STRATEGY, review / "strategy.toml")
            export = root / name / filename
            write(export, args.records)
            size = export.stat().st_size
            wall, rss, _ = measured(
                [*rea, "import", str(export), "--source", "bench", "--add-source", "--stage", STAGE,
                 "--format", fmt, "--max-size", "4G", "--review", str(review)],
                env,
            )  # fmt: skip
            held = subprocess.run(
                [sys.executable, "-c", RECORDS_ONLY, str(export), fmt],
                cwd=REPO, env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            n, records_bytes, _ = (int(x) for x in held.stdout.split())
            above = rss - start_rss
            print(
                f"{name:<8} {n:>8} {mb(size):>10} {wall:6.1f}s {n / wall:7.0f} "
                f"{mb(rss):>10} {mb(above):>11} {mb(records_bytes):>12} "
                f"{above / records_bytes:5.1f}x"
            )
            export.unlink()
        huge = root / "huge.ris"
        with huge.open("wb") as handle:
            handle.truncate(2 * 1024**3)  # sparse: 2 GB long, no disk used
        review = root / "ris" / "searches" / "pcn-rea"
        started = time.perf_counter()
        done = subprocess.run([*rea, "import", str(huge), "--source", "bench", "--stage", STAGE,
                               "--review", str(review)], cwd=REPO, env=env,
                              capture_output=True, text=True)  # fmt: skip
        took = time.perf_counter() - started
        line = done.stderr.splitlines()[0] if done.stderr else ""
        print(f"2 GB file: exit {done.returncode} after {took:.2f} s (the whole command): {line}")
        _, _, out = measured([sys.executable, "-c", REFUSAL, str(review), str(huge), STAGE], env)
        print(f"2 GB file: refused {out.strip()} after the command has started")


REFUSAL = """
import sys, time
from pathlib import Path
from rea.config import ReviewPaths
from rea.errors import ReaError
from rea.pipeline.imports import import_file
started = time.perf_counter()
try:
    import_file(ReviewPaths(Path(sys.argv[1])), Path(sys.argv[2]), source="b", stage=sys.argv[3])
except ReaError:
    print(f"{(time.perf_counter() - started) * 1000:.1f} ms")
"""


if __name__ == "__main__":
    main()
