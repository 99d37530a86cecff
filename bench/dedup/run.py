"""Benchmark of rea's deduplication on labelled sets, and a 100,000-record scale case.

Reads ``<repo>/../shared/data/dedup/*.csv`` (labelled duplicate groups), converts each row to a
``rea.records.Record`` and runs the same ``rea.dedup.deduplicate`` the product runs. Prints, per
set: pairwise precision/recall/F1; ASySD-style sensitivity and specificity (the kept record of
each cluster chosen by rea, without the labels); unique records wrongly removed; duplicates
missed; review band (share of records, and how many queued pairs are real duplicates); seconds;
peak memory; and the same figures once a reviewer has settled the queue as the labels would.
Each set runs in its own process so the memory figure is that set's own. Then two scale cases:
the sets replicated with perturbations to 100,000 and to 1,000,000 records.

    python bench/dedup/run.py                 # every set, then both scale cases
    python bench/dedup/run.py --no-scale      # the labelled sets only
    python bench/dedup/run.py --no-million    # skip the 1,000,000-record case
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# the repository's sibling ``shared/`` (a checkout one level deeper looks one level further up)
DATA = next(
    (
        p / "shared" / "data" / "dedup"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared" / "data" / "dedup").is_dir()
    ),
    REPO.parent / "shared" / "data" / "dedup",
)
sys.path.insert(0, str(REPO))

from rea.dedup import deduplicate  # noqa: E402
from rea.records import Author, Provenance, Record, split_authors  # noqa: E402

SETS = ("asysd_diabetes_1845.csv", "sra_cytology_screening.csv", "sra_respiratory.csv")
SCALE = 100_000
MILLION = 1_000_000


def _value(row: dict[str, str], name: str) -> str:
    text = (row.get(name) or "").strip()
    return "" if text == "NA" else text


def _year(text: str) -> int | None:
    digits = "".join(c for c in text[:4] if c.isdigit())
    return int(digits) if len(digits) == 4 else None


def to_record(row: dict[str, str], name: str, position: int) -> Record:
    """One CSV row as the Record a reader would yield."""
    respiratory = name.startswith("sra_respiratory")
    entry_type = _value(row, "ENTRYTYPE")
    return Record(
        provenance=Provenance(source=name.split("_")[0], stage="bench", position=position),
        title=_value(row, "title"),
        abstract=(),
        authors=split_authors(_value(row, "author")),
        journal=_value(row, "journal"),
        year=_year(_value(row, "year")),
        volume=_value(row, "volume"),
        issue="" if respiratory else _value(row, "number"),
        pages=_value(row, "pages"),
        doi=_value(row, "doi"),
        issn=tuple(x for x in _value(row, "isbn").split() if x),
        source_id=_value(row, "record_id") or _value(row, "ID"),
        extra={"entry_type": entry_type} if entry_type else {},
    )


def load(name: str) -> tuple[list[Record], list[str]]:
    import pandas as pd

    frame = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    rows = frame.to_dict("records")
    records = [to_record(r, name, i + 1) for i, r in enumerate(rows)]
    if "abstract" in frame.columns:
        from rea.records import AbstractSection

        records = [
            _replace(rec, abstract=(AbstractSection(_value(r, "abstract")),))
            if _value(r, "abstract")
            else rec
            for rec, r in zip(records, rows, strict=True)
        ]
    return records, [r["dup_group"] for r in rows]


def _replace(record: Record, **changes: object) -> Record:
    from dataclasses import replace

    return replace(record, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------ scoring


def score(groups: list[str], clusters: list[list[int]], kept: list[int]) -> dict[str, float]:
    """Pairwise and ASySD-style figures for predicted clusters (indexes into ``groups``)."""
    predicted = {}
    for c, members in enumerate(clusters):
        for m in members:
            predicted[m] = c
    true_pairs = 0
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by_group[g].append(i)
    for members in by_group.values():
        true_pairs += len(members) * (len(members) - 1) // 2
    tp_pairs = pred_pairs = 0
    for members in clusters:
        pred_pairs += len(members) * (len(members) - 1) // 2
        counts = Counter(groups[m] for m in members)
        tp_pairs += sum(n * (n - 1) // 2 for n in counts.values())
    precision = tp_pairs / pred_pairs if pred_pairs else 1.0
    recall = tp_pairs / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # ASySD convention: every gold group should keep exactly one record
    kept_set = set(kept)
    removable = sum(len(m) - 1 for m in by_group.values())
    wrongly_removed = missed = removed_ok = 0
    for members in by_group.values():
        k = sum(1 for m in members if m in kept_set)
        if k == 0:
            wrongly_removed += 1
            removed_ok += len(members) - 1
        else:
            missed += k - 1
            removed_ok += len(members) - k
    return {
        "records": len(groups),
        "unique": len(by_group),
        "removable": removable,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "sensitivity": removed_ok / removable if removable else 1.0,
        "specificity": (len(by_group) - wrongly_removed) / len(by_group),
        "wrongly_removed": wrongly_removed,
        "missed": missed,
    }


def run_set(records: list[Record], groups: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    cpu = time.process_time()
    result = deduplicate(list(enumerate(records, start=1)))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    clusters = [[rid - 1 for rid in c.record_ids] for c in result.clusters]
    kept = [c.kept - 1 for c in result.clusters]
    figures = score(groups, clusters, kept)
    # the same figures once a reviewer has settled the queue (answering as the labels do)
    index = {m: c for c, members in enumerate(clusters) for m in members}
    parent = list(range(len(clusters)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for q in result.queue:
        a, b = q.record_a - 1, q.record_b - 1
        if groups[a] == groups[b]:
            parent[find(index[a])] = find(index[b])
    merged: dict[int, list[int]] = defaultdict(list)
    kept_after: dict[int, int] = {}
    for c, members in enumerate(clusters):
        root = find(c)
        merged[root].extend(members)
        kept_after.setdefault(root, kept[c])
    after = score(groups, list(merged.values()), list(kept_after.values()))
    for key in ("precision", "recall", "f1", "sensitivity", "specificity"):
        figures[f"reviewed_{key}"] = after[key]
    figures["reviewed_wrongly_removed"] = after["wrongly_removed"]
    figures["reviewed_missed"] = after["missed"]
    figures["review_pairs"] = len(result.queue)
    figures["review_true"] = sum(
        groups[q.record_a - 1] == groups[q.record_b - 1] for q in result.queue
    )
    figures["review_share"] = len(result.queue) / len(records)
    figures["pairs_compared"] = result.pairs_compared
    figures["seconds"] = seconds
    figures["cpu_seconds"] = cpu
    figures["load"] = os.getloadavg()[0]
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


# ------------------------------------------------------------------ scale case

_JOURNAL_ABBREV = {
    "journal": "J",
    "american": "Am",
    "international": "Int",
    "research": "Res",
    "clinical": "Clin",
    "medicine": "Med",
    "diabetes": "Diabetes",
    "cardiology": "Cardiol",
    "european": "Eur",
    "british": "Br",
}


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 10:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeinorst") + text[i:]


def _abbreviate(journal: str) -> str:
    """An ISO-style abbreviation of the journal's own name (a meeting's name is dropped)."""
    journal = re.split(r"\.\s*Conference:", journal, maxsplit=1)[0]
    words = [w for w in journal.split() if w.lower() not in ("of", "the", "and", "&")]
    return " ".join(_JOURNAL_ABBREV.get(w.lower(), w[:5] if len(w) > 6 else w) for w in words)


def _perturb(record: Record, rng: random.Random) -> Record:
    """What another database or export would plausibly change in the same record."""
    changes: dict[str, object] = {}
    title = record.title
    roll = rng.random()
    if roll < 0.15:
        title = _typo(title, rng)
    elif roll < 0.25:
        title = title.upper() if rng.random() < 0.3 else title.lower()
    elif roll < 0.35:
        title = title.replace("-", " ").replace(",", "").rstrip(".") + "."
    changes["title"] = title
    if record.doi and rng.random() < 0.2:
        changes["doi"] = ""
    elif record.doi and rng.random() < 0.3:
        changes["doi"] = "https://doi.org/" + record.doi.upper()
    if record.journal and rng.random() < 0.3:
        changes["journal"] = _abbreviate(record.journal)
    if record.pages and "-" in record.pages and rng.random() < 0.3:
        first, _, last = record.pages.partition("-")
        if len(last) == len(first) and len(first) > 1:
            common = 0
            while common < len(first) - 1 and first[common] == last[common]:
                common += 1
            changes["pages"] = f"{first}-{last[common:]}"
    if record.year and rng.random() < 0.05:
        changes["epub_year"] = record.year - 1
    return _replace(record, **changes)


def _new_work(
    members: list[Record], rng: random.Random, vocabulary: list[str], k: int
) -> list[Record]:
    """The same group made into a different report: the same substitutions in every member."""
    head = members[0].title.split()
    swap: dict[str, str] = {}
    for _ in range(max(2, len(head) // 4)):
        if head:
            swap[head[rng.randrange(len(head))].lower()] = rng.choice(vocabulary)
    names: dict[str, str] = {}
    out = []
    for m in members:
        words = [swap.get(w.lower(), w) for w in m.title.split()]
        authors = tuple(
            Author(names.setdefault(a.family, rng.choice(vocabulary).capitalize()), a.given)
            for a in m.authors
        )
        out.append(
            _replace(
                m,
                title=" ".join(words),
                authors=authors,
                doi=f"{m.doi}.r{k}" if m.doi else "",
                volume=re.sub(r"^\d+", lambda v: str(int(v.group(0)) + k), m.volume),
            )
        )
    return out


def scale_case(target: int) -> dict[str, float]:
    rng = random.Random(20261124)
    by_group: dict[str, list[Record]] = defaultdict(list)
    for name in SETS:
        records, groups = load(name)
        for record, group in zip(records, groups, strict=True):
            by_group[f"{name}:{group}"].append(record)
    vocabulary = sorted(
        {w.lower() for ms in by_group.values() for r in ms for w in r.title.split() if w.isalpha()}
    )
    records = []
    labels: list[str] = []
    k = 0
    while len(records) < target:
        for group, members in by_group.items():
            if k:
                members = _new_work(members, random.Random(f"{group}|{k}"), vocabulary, k)
                members = [_perturb(m, rng) for m in members]
            for m in members:
                records.append(m)
                labels.append(f"{group}|{k}")
            if len(records) >= target:
                break
        k += 1
    records, labels = records[:target], labels[:target]
    figures = run_set(records, labels)
    figures["copies"] = k
    return figures


# ------------------------------------------------------------------ driver


def _child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(out.returncode)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _print(name: str, f: dict[str, float]) -> None:
    pairs = int(f["review_pairs"])
    true_share = f"{100 * f['review_true'] / pairs:.0f} %" if pairs else "-"
    print(
        f"{name}\n"
        f"  records {int(f['records'])}, unique {int(f['unique'])}, removable duplicates "
        f"{int(f['removable'])}, pairs compared {int(f['pairs_compared'])}\n"
        f"  pairwise   precision {f['precision']:.4f}  recall {f['recall']:.4f}  "
        f"F1 {f['f1']:.4f}\n"
        f"  ASySD      sensitivity {f['sensitivity']:.4f}  specificity {f['specificity']:.4f}\n"
        f"  unique records wrongly removed {int(f['wrongly_removed'])}, "
        f"duplicates missed {int(f['missed'])}\n"
        f"  review band {pairs} pairs ({100 * f['review_share']:.2f} % of records), "
        f"{int(f['review_true'])} of them real duplicates ({true_share})\n"
        f"  after a perfect review of the queue: precision {f['reviewed_precision']:.4f}  "
        f"recall {f['reviewed_recall']:.4f}  F1 {f['reviewed_f1']:.4f}  sensitivity "
        f"{f['reviewed_sensitivity']:.4f}  specificity {f['reviewed_specificity']:.4f}  "
        f"wrongly removed {int(f['reviewed_wrongly_removed'])}  missed "
        f"{int(f['reviewed_missed'])}\n"
        f"  {f['seconds']:.2f} s wall ({f['cpu_seconds']:.2f} s CPU, machine load "
        f"{f['load']:.1f}), peak memory {f['peak_mb']:.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", help="run one set and print its figures as JSON (internal)")
    parser.add_argument("--scale", type=int, help="run the scale case (internal)")
    parser.add_argument("--no-scale", action="store_true", help="skip both scale cases")
    parser.add_argument("--no-million", action="store_true", help="skip the 1,000,000-record case")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"dedup benchmark: no labelled sets at {DATA}; nothing to measure.")
        return 0
    if args.set:
        records, groups = load(args.set)
        print(json.dumps(run_set(records, groups)))
        return 0
    if args.scale:
        print(json.dumps(scale_case(args.scale)))
        return 0
    for name in SETS:
        _print(name, _child(["--set", name]))
    if not args.no_scale:
        for size in (SCALE,) if args.no_million else (SCALE, MILLION):
            f = _child(["--scale", str(size)])
            _print(
                f"scale case: {int(f['records'])} records ({int(f['copies'])} perturbed copies)", f
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
