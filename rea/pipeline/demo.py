"""`rea demo`: the whole pipeline, offline, on the bundled sample (docs/demo.md).

Render the queries → search PubMed and Scopus against rea's replay server on 127.0.0.1 →
import the Web of Science, Ovid and grey-literature files → deduplicate → apply two reviewers'
screening decisions with conflicts resolved → PRISMA counts → report. Every step goes through
the same use cases a user's commands call.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from rea.config import ReviewPaths, Settings
from rea.errors import ConfigError
from rea.records import fold_text, normalize_doi
from rea.store import open_store
from rea.store.prisma import RecordKeys, record_keys

DEFAULT_DIR = Path("demo") / "pcn-rea-sample"
MARKER = ".rea-demo"
SAMPLE_NOTE = (
    "This report was built by `rea demo` from its bundled sample: the reference list of the "
    "reference report (Smith et al. 2020, doi:10.3310/hsdr-tr-129678) in each source's format, "
    "with invented search hits and screening decisions. It is not the reference review's "
    "search result; its numbers are not the review's."
)
GREY_FILES = {
    "gponline.csv": "gponline",
    "pulse.csv": "pulse",
    "hsj.csv": "hsj",
    "citation-searching.csv": "citation_searching",
}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    review: Path
    report: Path
    steps: tuple[tuple[str, str], ...]  # (step, what it did)


def sample() -> Traversable:
    return resources.files("rea.demo").joinpath("sample")


def sample_items() -> list[dict[str, Any]]:
    data = json.loads(sample().joinpath("items.json").read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = data["items"]
    return items


def prepare(folder: Path) -> ReviewPaths:
    """A fresh review folder with the sample's strategy and screening settings."""
    if folder.exists():
        if not (folder / MARKER).is_file():
            raise ConfigError(
                "the folder exists and was not made by `rea demo`; refusing to replace it",
                where=str(folder),
                hint="pass --dir with a new folder",
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `rea demo`; `rea demo` replaces this folder\n")
    for name in ("strategy.toml", "screening.toml"):
        (folder / name).write_bytes(sample().joinpath(name).read_bytes())
    return ReviewPaths(folder)


def _stages(paths: ReviewPaths) -> list[str]:
    from rea.query import load_strategy

    return [s.id for s in load_strategy(paths.strategy).stages]


def write_recordings(paths: ReviewPaths, dest: Path) -> Path:
    """Replay recordings (docs/sources.md) answering the review's rendered queries with the
    sample's PubMed articles and Scopus entries."""
    from rea.query import load_strategy, render

    strategy = load_strategy(paths.strategy)
    items = sample_items()
    for stage in strategy.stages:
        folder = sample().joinpath(stage.id)
        pubmed = render(strategy, "pubmed", stage.id)
        ids = [
            {"pmid": str(99_000_000 + int(i["ref"])), "pdat": str(i["year"])}
            for i in items
            if "pubmed" in i["sources"] and i["stage"] == stage.id
        ]
        _write_json(
            dest / "pubmed" / "searches" / f"{stage.id}.json", {"term": pubmed.text, "ids": ids}
        )
        articles = dest / "pubmed" / "articles" / f"{stage.id}.xml"
        articles.parent.mkdir(parents=True, exist_ok=True)
        articles.write_bytes(folder.joinpath("pubmed-efetch.xml").read_bytes())
        scopus = render(strategy, "scopus", stage.id)
        entries: list[dict[str, Any]] = []
        for page in sorted(
            (p for p in folder.iterdir() if p.name.startswith("scopus-page")),
            key=lambda p: int(re.sub(r"\D", "", p.name) or 0),
        ):
            result = json.loads(page.read_text(encoding="utf-8"))["search-results"]
            entries += [e for e in result["entry"] if "error" not in e]
        _write_json(
            dest / "scopus" / "searches" / f"{stage.id}.json",
            {"query": scopus.text, "entries": entries},
        )
    return dest


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def import_files(paths: ReviewPaths, stage: str) -> Iterator[tuple[str, int]]:
    """Import the sample's export files of one stage; yields (source, records) per file."""
    from rea.pipeline.imports import import_file

    folder = sample().joinpath(stage)
    files = [("wos.txt", "wos"), ("ovid-medline.txt", "ovid"), *GREY_FILES.items()]
    staging = paths.root / "sample-files" / stage
    staging.mkdir(parents=True, exist_ok=True)
    for name, source in files:
        entry = folder.joinpath(name)
        if not entry.is_file():
            continue
        local = staging / name
        local.write_bytes(entry.read_bytes())
        result = import_file(paths, local, source=source, stage=stage)
        yield source, result.n_records


# --- which sample item a work is ----------------------------------------------------------------


def _title_key(title: str) -> str:
    return fold_text(title).rstrip(" .")


def match_items(keys: list[RecordKeys], items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Work id → the sample item its records are (by PMID, EID, WoS UT, DOI, then title)."""
    by_pmid = {str(99_000_000 + int(i["ref"])): i for i in items}
    by_eid = {f"2-s2.0-990000{int(i['ref']):05d}": i for i in items}
    by_ut = {f"9999000000{int(i['ref']):05d}": i for i in items}
    by_doi = {normalize_doi(str(i["doi"])): i for i in items if i["doi"]}
    by_title = {_title_key(str(i["title"])): i for i in items}
    found: dict[int, dict[str, Any]] = {}
    for key in keys:
        if key.work_id is None or key.work_id in found:
            continue
        item = (
            by_pmid.get(key.pmid)
            or by_eid.get(key.eid)
            or by_ut.get(re.sub(r"\D", "", key.wos_ut))
            or by_doi.get(normalize_doi(key.doi))
            or by_title.get(_title_key(key.title))
        )
        if item is not None:
            found[key.work_id] = item
    return found


# --- screening ----------------------------------------------------------------------------------


#: Where the demo's full texts "are": the screening log wants a location for a retrieved report.
def _location(item: dict[str, Any]) -> str:
    if item.get("doi"):
        return f"https://doi.org/{item['doi']}"
    return str(item.get("url") or f"library copy of reference {item['ref']}")


def apply_screening(paths: ReviewPaths) -> dict[str, int]:
    """Record the sample's decisions by the two screeners of each phase (screening.toml), the
    adjudicator's resolutions of their conflicts, full-text retrieval and study types.

    A work that is no sample item (the off-topic Web of Science record) is excluded by both at
    title/abstract. Returns how many of each kind of row were written.
    """
    from rea.screening.config import load_screening_config
    from rea.screening.model import Decision, Phase, Retrieval, StudyType
    from rea.screening.service import (
        DecisionRequest,
        record_decision,
        record_retrieval,
        record_study_type,
        resolve,
    )

    config = load_screening_config(paths.screening)
    adjudicator = next((r.name for r in config.reviewers if r.adjudicates), None)
    counts = {"decisions": 0, "conflicts resolved": 0, "retrieval": 0, "study types": 0}

    def screeners(phase: Phase) -> dict[str, str]:
        names = config.phases[phase].screeners
        if len(names) < 2 or adjudicator is None:
            raise ConfigError(
                "the demo needs two screeners per phase and an adjudicator",
                where=str(paths.screening),
            )
        return {"first": names[0], "second": names[1]}

    with open_store(paths.store, create=False) as store:
        keys = record_keys(store)
        matched = match_items(keys, sample_items())
        works = sorted({k.work_id for k in keys if k.work_id is not None})
        for work_id in works:
            item = matched.get(work_id)
            plan: dict[str, Any] = (
                item["screening"]
                if item is not None
                else {
                    "title_abstract": {
                        "first": "exclude",
                        "second": "exclude",
                        "reason": "not-gp-collaboration",
                    }
                }
            )
            for phase in (Phase.TITLE_ABSTRACT, Phase.FULL_TEXT):
                step = plan.get(phase.value)
                who = screeners(phase)
                if phase is Phase.FULL_TEXT and "retrieval" in plan:
                    status = plan["retrieval"]
                    record_retrieval(
                        store,
                        config,
                        work_id,
                        Retrieval(status),
                        location=_location(item) if item and status == "retrieved" else "",
                        by=who["first"],
                    )
                    counts["retrieval"] += 1
                if step is None:
                    continue
                for slot in ("first", "second"):
                    decision = Decision(step[slot])
                    reason = step.get("reason", "") if decision is Decision.EXCLUDE else ""
                    record_decision(
                        store,
                        config,
                        DecisionRequest(work_id, phase, who[slot], decision, reason),
                        via="import",
                    )
                    counts["decisions"] += 1
                if "resolved" in step:
                    decision = Decision(step["resolved"])
                    reason = step.get("reason", "") if decision is Decision.EXCLUDE else ""
                    resolve(
                        store, config, work_id, phase, decision, str(adjudicator), reason=reason
                    )
                    counts["conflicts resolved"] += 1
            if "study_type" in plan:
                record_study_type(
                    store,
                    config,
                    work_id,
                    StudyType(plan["study_type"]),
                    by=screeners(Phase.FULL_TEXT)["first"],
                )
                counts["study types"] += 1
    return counts


# --- the whole demo -----------------------------------------------------------------------------


def run_demo(folder: Path = DEFAULT_DIR, *, progress: Progress | None = None) -> DemoResult:
    """Every step of the pipeline on the bundled sample, offline; returns the report's path."""
    from rea.pipeline import dedup
    from rea.pipeline.prisma import build_report, prisma_counts, render_queries
    from rea.pipeline.search import run_searches
    from rea.sources.replay import ReplayServer

    say = progress or (lambda _message: None)
    steps: list[tuple[str, str]] = []

    def step(name: str, what: str) -> None:
        steps.append((name, what))
        say(f"{name:<8} {what}")

    paths = prepare(folder)
    step("review", f"{paths.root} (strategy.toml and screening.toml of the PCN review)")
    written = render_queries(paths)
    step("queries", f"{len(written)} queries rendered into {paths.queries}")

    recordings = write_recordings(paths, paths.root / "replay")
    with ReplayServer(recordings) as server:
        settings = Settings(
            pubmed_url=server.pubmed_url,
            scopus_url=server.scopus_url,
            scopus_api_key="rea-demo",  # the replay server wants a key, as Scopus does
            ncbi_email="demo@localhost",
        )
        run = run_searches(paths, settings=settings)
    found = ", ".join(f"{t.stage}/{t.source} {t.fetched_count}" for t in run.tasks)
    step("search", f"run {run.run_id} against the replay server on 127.0.0.1: {found}")

    imported = []
    for stage in _stages(paths):
        imported += [f"{stage}/{source} {n}" for source, n in import_files(paths, stage)]
    step("import", ", ".join(imported))

    summary = dedup.run(paths)
    step(
        "dedup",
        f"{summary.records} records → {summary.works} works "
        f"({summary.duplicates_removed} duplicates)",
    )

    counts = apply_screening(paths)
    step("screen", ", ".join(f"{n} {what}" for what, n in counts.items()))

    prisma = prisma_counts(paths)
    total = prisma.total
    step(
        "prisma",
        f"total: {total.database_total} database records, {total.other_total} by other methods, "
        f"{total.records_screened} screened, {total.reports_assessed + total.other_assessed} "
        f"assessed, {total.new_studies} included "
        f"({', '.join(f'{k} {v}' for k, v in total.included_by_type.items())})",
    )
    files = build_report(paths, notes=(SAMPLE_NOTE,))
    step("report", str(files.html))
    return DemoResult(review=paths.root, report=files.html, steps=tuple(steps))


@dataclass(frozen=True)
class WorkLeft:
    """Where screening can go on in a review: a reviewer's queue that is not empty."""

    phase: str
    reviewer: str
    works: int


def work_left(paths: ReviewPaths) -> tuple[list[WorkLeft], int]:
    """Every (phase, screener) with works still to screen, and how many reports at full text
    cannot be screened because they were not retrieved."""
    from rea.screening.config import load_screening_config
    from rea.screening.model import Phase
    from rea.screening.session import ScreeningSession

    config = load_screening_config(paths.screening)
    left: list[WorkLeft] = []
    lost: set[int] = set()
    with open_store(paths.store, create=False) as store:
        for phase in Phase:
            for reviewer in config.phases[phase].screeners:
                session = ScreeningSession(store, config, phase, reviewer)
                lost.update(session.not_retrieved)
                if session.remaining:
                    left.append(WorkLeft(phase.value, reviewer, session.remaining))
    return left, len(lost)
