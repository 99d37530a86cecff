"""Running the searches of a review: every stage x API source as one run, resumable, diffable."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rea import __version__
from rea.config import ReviewPaths, Settings
from rea.errors import ConfigError, NotFound, SnapshotError
from rea.query import load_strategy, render
from rea.records import Provenance, Record
from rea.sources import pubmed, scopus
from rea.sources.http import Http, Sleep
from rea.sources.pubmed_xml import parse_articles
from rea.sources.snapshots import RunDir, SourceSnapshot, cleanup_temporaries, utc_now
from rea.sources.snapshots import list_runs as list_run_dirs
from rea.store import open_store
from rea.store.records import insert_many
from rea.store.sources import (
    RecordKey,
    RunSearchRow,
    finish_run,
    run_record_keys,
    save_search,
    start_run,
)
from rea.store.sources import run_searches as stored_searches

API_SOURCES = ("pubmed", "scopus")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SearchTask:
    """One stage x source to search: the native query and the parameters sent with it."""

    stage: str
    source: str
    query: str
    params: dict[str, str] = field(default_factory=dict)
    date_from: str | None = None  # ISO dates of the stage
    date_to: str | None = None
    render_warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["render_warnings"] = list(self.render_warnings)
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SearchTask:
        return cls(
            stage=value["stage"],
            source=value["source"],
            query=value["query"],
            params={str(k): str(v) for k, v in value.get("params", {}).items()},
            date_from=value.get("date_from"),
            date_to=value.get("date_to"),
            render_warnings=tuple(value.get("render_warnings", ())),
        )


@dataclass(frozen=True)
class TaskResult:
    stage: str
    source: str
    query: str
    reported_count: int | None
    fetched_count: int
    warnings: tuple[str, ...]
    already_done: bool = False


@dataclass(frozen=True)
class SearchRunResult:
    run_id: str
    path: str
    resumed: bool
    tasks: tuple[TaskResult, ...]


def plan_searches(
    paths: ReviewPaths, *, stage: str | None = None, source: str | None = None
) -> list[SearchTask]:
    """The searches of a review's strategy: every stage x API source, each query rendered."""
    strategy = load_strategy(paths.strategy)
    stages = [strategy.stage(stage)] if stage else list(strategy.stages)
    sources = [s for s in strategy.api_sources if s in API_SOURCES]
    if source is not None:
        if source not in sources:
            raise ConfigError(
                f"{source!r} is not an API source of this strategy",
                where=str(paths.strategy),
                hint=f"API sources here: {', '.join(sources) or 'none'}; files from other "
                "databases are brought in with `rea import`",
            )
        sources = [source]
    tasks = []
    for st in stages:
        for db in sources:
            rendered = render(strategy, db, st.id)
            tasks.append(
                SearchTask(
                    stage=st.id,
                    source=db,
                    query=rendered.text,
                    params={str(k): str(v) for k, v in dict(rendered.params).items()},
                    date_from=st.date_from.isoformat() if st.date_from else None,
                    date_to=st.date_to.isoformat() if st.date_to else None,
                    render_warnings=tuple(rendered.warnings),
                )
            )
    return tasks


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class _Clients:
    settings: Settings
    sleep: Sleep
    made: dict[str, Http] = field(default_factory=dict)

    def get(self, source: str) -> Http:
        if source not in self.made:
            module = pubmed if source == "pubmed" else scopus
            self.made[source] = module.make_http(self.settings, sleep=self.sleep)
        return self.made[source]


def _fetch(
    task: SearchTask,
    snapshot: SourceSnapshot,
    clients: _Clients,
    run_id: str,
    progress: Progress | None,
) -> tuple[list[Record], int | None, list[str], dict[str, Any]]:
    if task.source == "pubmed":
        search = pubmed.PubmedSearch(
            http=clients.get("pubmed"),
            settings=clients.settings,
            snapshot=snapshot,
            term=task.query,
            params=task.params,
            date_from=_day(task.date_from),
            date_to=_day(task.date_to),
            progress=progress,
        )
        search.search_ids()
        records = list(search.fetch_records(run_id, task.stage))
        extra = {"pmids_file": "pmids.txt", "missing_pmids": search.missing}
        return records, search.reported_count, search.warnings, extra
    if task.source == "scopus":
        found = scopus.ScopusSearch(
            http=clients.get("scopus"),
            snapshot=snapshot,
            query=task.query,
            params=task.params,
            date_from=_day(task.date_from),
            date_to=_day(task.date_to),
            progress=progress,
        )
        pages = list(found.fetch_pages())
        records = list(found.records(pages, run_id, task.stage))
        extra = {"view": found.view, "paging": found.paging}
        return records, found.reported_count, found.warnings, extra
    raise ConfigError(f"no fetcher for source {task.source!r}", hint="API sources: pubmed, scopus")


def _check_settings(tasks: list[SearchTask], settings: Settings, progress: Progress | None) -> None:
    if any(t.source == "scopus" for t in tasks):
        scopus.make_http(settings)  # raises ConfigError naming what to set
    if any(t.source == "pubmed" for t in tasks) and progress:
        if not settings.ncbi_email:
            progress("note: NCBI_EMAIL is not set; NCBI asks for a contact address")
        if not settings.ncbi_api_key:
            progress("note: NCBI_API_KEY is not set; PubMed is limited to 3 requests/s")


def run_searches(
    paths: ReviewPaths,
    tasks: list[SearchTask] | None = None,
    *,
    resume: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    sleep: Sleep = time.sleep,
) -> SearchRunResult:
    """Run ``tasks`` as a new run, or finish the interrupted run ``resume`` (its own plan)."""
    settings = settings or Settings.from_env()
    if resume:
        run = RunDir.open(paths.root, resume)
        if run.finished:
            raise SnapshotError(
                f"run {resume} is finished and is never changed",
                where=str(run.path),
                hint="run `rea search` without --resume to search again as a new run",
            )
        tasks = [SearchTask.from_json(t) for t in run.info().get("plan", [])]
        cleanup_temporaries(run)
    else:
        if tasks is None:
            tasks = plan_searches(paths)
        if not tasks:
            raise ConfigError("nothing to search: the strategy has no API sources or stages")
        _check_settings(tasks, settings, progress)
        run = RunDir.create(paths.root, [t.to_json() for t in tasks])
    if resume:
        _check_settings(tasks, settings, progress)
    if progress:
        progress(f"run {run.run_id}: {len(tasks)} searches")
    clients = _Clients(settings, sleep)
    results = []
    with open_store(paths.store) as store:
        info = run.info()
        start_run(
            store,
            run.run_id,
            info["started_at"],
            info["rea_version"],
            run.path.relative_to(paths.root).as_posix(),
        )
        for task in tasks:
            snapshot = run.source(task.stage, task.source)
            if snapshot.is_complete:
                done = snapshot.manifest()
                results.append(
                    TaskResult(
                        task.stage,
                        task.source,
                        task.query,
                        done.get("reported_count"),
                        int(done["fetched_count"]),
                        tuple(done.get("warnings", [])),
                        True,
                    )
                )
                continue
            if progress:
                progress(f"{task.stage} / {task.source}: searching")
            records, reported, warnings, extra = _fetch(
                task, snapshot, clients, run.run_id, progress
            )
            warnings = [*task.render_warnings, *warnings]
            manifest_rel = snapshot.relative(snapshot.manifest_path)
            stored = save_search(
                store,
                RunSearchRow(
                    run.run_id,
                    task.stage,
                    task.source,
                    task.query,
                    reported,
                    len(records),
                    tuple(warnings),
                    manifest_rel,
                    utc_now(),
                ),
                records,
            )
            snapshot.finish(
                {
                    "run_id": run.run_id,
                    "query": task.query,
                    "params": task.params,
                    "reported_count": reported,
                    "fetched_count": stored,
                    "warnings": warnings,
                    "rea_version": __version__,
                    **extra,
                }
            )
            results.append(
                TaskResult(task.stage, task.source, task.query, reported, stored, tuple(warnings))
            )
            if progress:
                progress(
                    f"{task.stage} / {task.source}: {stored} records"
                    + (f" ({reported} reported)" if reported is not None else "")
                )
        run.finish({"searches": [asdict(r) for r in results]})
        finish_run(store, run.run_id, run.manifest()["finished_at"])
    return SearchRunResult(
        run.run_id, run.path.relative_to(paths.root).as_posix(), bool(resume), tuple(results)
    )


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: str
    finished: bool
    searches: tuple[RunSearchRow, ...]


def list_runs(paths: ReviewPaths) -> list[RunSummary]:
    runs = list(list_run_dirs(paths.root))
    if not runs:
        return []
    summaries = []
    with open_store(paths.store) as store:
        for run in runs:
            summaries.append(
                RunSummary(
                    run.run_id,
                    str(run.info().get("started_at", "")),
                    run.finished,
                    tuple(stored_searches(store, run.run_id)),
                )
            )
    return summaries


@dataclass(frozen=True)
class SearchDiff:
    stage: str
    source: str
    count_a: int
    count_b: int
    added: tuple[RecordKey, ...]
    removed: tuple[RecordKey, ...]


def diff_runs(paths: ReviewPaths, run_a: str, run_b: str) -> list[SearchDiff]:
    """Per stage and source: the counts of two runs and the records added and removed."""
    for run_id in (run_a, run_b):
        run = RunDir.open(paths.root, run_id)
        if not run.finished:
            raise SnapshotError(
                f"run {run_id} is incomplete", hint=f"finish it with `rea search --resume {run_id}`"
            )
    with open_store(paths.store) as store:
        keys_a = run_record_keys(store, run_a)
        keys_b = run_record_keys(store, run_b)
    if not keys_a and not keys_b:
        raise NotFound(f"runs {run_a} and {run_b} have no records in the store")
    groups = sorted({(k.stage, k.source) for k in [*keys_a, *keys_b]})
    diffs = []
    for stage, source in groups:
        a = {k.key: k for k in keys_a if (k.stage, k.source) == (stage, source)}
        b = {k.key: k for k in keys_b if (k.stage, k.source) == (stage, source)}
        diffs.append(
            SearchDiff(
                stage,
                source,
                len(a),
                len(b),
                tuple(b[k] for k in b if k not in a),
                tuple(a[k] for k in a if k not in b),
            )
        )
    return diffs


_WORKER_STORE: dict[str, Any] = {}


def _ingest_one(job: tuple[str, Path, Provenance]) -> int:
    store_path, page, provenance = job
    store = _WORKER_STORE.get(store_path)
    if store is None:
        store = _WORKER_STORE[store_path] = open_store(Path(store_path))
    # parsed before the write transaction opens, so that several processes parse at once
    # and each holds the store's write lock only while its rows go in
    records = list(parse_articles(page, provenance, where=str(page)))
    with store.transaction() as conn:
        return insert_many(conn, records)


def ingest_pubmed_pages(
    store_path: Path, pages: list[tuple[Path, Provenance]], *, workers: int = 1
) -> int:
    """Parse stored PubMed XML pages and store their records, one transaction per page; with
    ``workers`` > 1 that many processes parse at once (SQLite queues their writes).
    Returns how many records were stored."""
    jobs = [(str(store_path), page, provenance) for page, provenance in pages]
    if workers <= 1:
        return sum(_ingest_one(job) for job in jobs)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(_ingest_one, jobs))
