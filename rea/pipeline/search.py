"""Running the searches of a review: every stage x API source as one run, resumable, diffable."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rea import __version__
from rea.completeness import SearchState, assess
from rea.config import ReviewPaths, Settings
from rea.errors import ConfigError, NotFound, SnapshotError
from rea.query import load_strategy, render
from rea.records import Provenance, Record
from rea.sources import pubmed, scopus
from rea.sources.http import Http, Sleep
from rea.sources.pubmed_xml import parse_articles
from rea.sources.snapshots import RunDir, SourceSnapshot, cleanup_temporaries, utc_now
from rea.sources.snapshots import list_runs as list_run_dirs
from rea.store import Store, open_store
from rea.store.records import insert_many
from rea.store.sources import (
    RecordKey,
    RunSearchRow,
    accept_search,
    current_searches,
    finish_run,
    run_record_keys,
    save_search,
    set_search_state,
    start_run,
    stored_identifiers,
)
from rea.store.sources import list_runs as stored_runs
from rea.store.sources import run_searches as stored_searches

API_SOURCES = ("pubmed", "scopus")

log = logging.getLogger(__name__)

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
    state: SearchState = SearchState.COMPLETE
    missing_count: int = 0  # reported by the database, not stored
    surplus_count: int = 0  # stored beyond the count reported
    reasons: tuple[str, ...] = ()  # why the search is not complete
    messages: tuple[tuple[str, str], ...] = ()  # the database's own messages about the query
    problems: tuple[str, ...] = ()  # faults met on the way (recovered, or the reasons)

    @property
    def complete(self) -> bool:
        return self.state is SearchState.COMPLETE


@dataclass(frozen=True)
class SearchRunResult:
    run_id: str
    path: str
    resumed: bool
    tasks: tuple[TaskResult, ...]

    @property
    def incomplete(self) -> tuple[TaskResult, ...]:
        """The searches that are not proven complete (accepted ones included)."""
        return tuple(t for t in self.tasks if not t.complete)


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
    progress: Progress | None = None
    made: dict[str, Http] = field(default_factory=dict)

    def get(self, source: str) -> Http:
        if source not in self.made:
            module = pubmed if source == "pubmed" else scopus
            http = module.make_http(self.settings, sleep=self.sleep)
            http.on_retry = self.progress  # every retry is said, with its cause
            self.made[source] = http
        return self.made[source]


@dataclass
class _Outcome:
    """What a fetcher found for one search, before it is stored and judged."""

    records: list[Record]
    reported: int | None
    listed: list[str] | None  # the identifiers the database listed (None: its pages list them)
    aliases: dict[str, str]
    known_missing: dict[str, str]
    warnings: list[str]
    messages: list[tuple[str, str]]
    problems: list[str]
    extra: dict[str, Any]


def _fetch(
    task: SearchTask,
    snapshot: SourceSnapshot,
    clients: _Clients,
    run_id: str,
    progress: Progress | None,
    strict: bool,
) -> _Outcome:
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
            strict=strict,
        )
        search.search_ids()
        records = list(search.fetch_records(run_id, task.stage))
        return _Outcome(
            records,
            search.reported_count,
            list(search.pmids),
            dict(search.aliases),
            dict(search.missing_reasons),
            search.warnings,
            search.messages,
            search.problems,
            search.outcome_extra(),
        )
    if task.source == "scopus":
        found = scopus.ScopusSearch(
            http=clients.get("scopus"),
            snapshot=snapshot,
            query=task.query,
            params=task.params,
            date_from=_day(task.date_from),
            date_to=_day(task.date_to),
            progress=progress,
            insttoken_set=bool(clients.settings.scopus_insttoken),
        )
        found.run()
        problems = list(found.problems)
        if found.unidentified:
            problems.append(f"{found.unidentified} entries had no EID and were not kept")
        extra = {"view": found.view, "paging": found.paging, "passes": found.passes}
        return _Outcome(
            found.records(run_id, task.stage),
            found.reported_count,
            None,
            {},
            {},
            found.warnings,
            [],
            problems,
            extra,
        )
    raise ConfigError(f"no fetcher for source {task.source!r}", hint="API sources: pubmed, scopus")


def _check_settings(tasks: list[SearchTask], settings: Settings, progress: Progress | None) -> None:
    if any(t.source == "scopus" for t in tasks):
        scopus.make_http(settings)  # raises ConfigError naming what to set
    if any(t.source == "pubmed" for t in tasks) and progress:
        if not settings.ncbi_email:
            progress("note: NCBI_EMAIL is not set; NCBI asks for a contact address")
        if not settings.ncbi_api_key:
            progress("note: NCBI_API_KEY is not set; PubMed is limited to 3 requests/s")


def _store_and_judge(
    store: Store,
    task: SearchTask,
    run: RunDir,
    snapshot: SourceSnapshot,
    outcome: _Outcome,
    accept_incomplete: bool,
) -> TaskResult:
    """Store one search's records and settle its state from what the store then holds, in one
    transaction: the identifiers are read back from the store, not taken from the fetcher."""
    warnings = [*task.render_warnings, *outcome.warnings]
    with store.transaction():
        stored = save_search(
            store,
            RunSearchRow(
                run.run_id,
                task.stage,
                task.source,
                task.query,
                outcome.reported,
                len(outcome.records),
                tuple(warnings),
                snapshot.relative(snapshot.manifest_path),
                utc_now(),
                state=SearchState.INCOMPLETE,
            ),
            outcome.records,
            aliases=outcome.aliases,
        )
        held = stored_identifiers(store, run.run_id, task.stage, task.source)
        verdict = assess(
            reported=outcome.reported,
            stored_ids=held.ids,
            listed=outcome.listed,
            aliases=outcome.aliases,
            duplicate_rows=held.duplicate_rows,
            unidentified_rows=held.unidentified_rows,
            known_missing=outcome.known_missing,
            accepted=accept_incomplete,
        )
        details = {
            "reasons": list(verdict.reasons),
            "messages": [list(m) for m in outcome.messages],
            "problems": list(outcome.problems),
            "listed": verdict.listed,
            "aliased": verdict.aliased,
            "translation": outcome.extra.get("query_translation", ""),
        }
        set_search_state(
            store,
            run.run_id,
            task.stage,
            task.source,
            state=verdict.state,
            missing=verdict.missing,
            surplus=verdict.surplus,
            details=details,
            accepted_at=utc_now() if verdict.state is SearchState.ACCEPTED else None,
            accepted_note="rea search --accept-incomplete"
            if verdict.state is SearchState.ACCEPTED
            else "",
        )
    return TaskResult(
        task.stage,
        task.source,
        task.query,
        outcome.reported,
        stored,
        tuple(warnings),
        state=verdict.state,
        missing_count=verdict.missing,
        surplus_count=verdict.surplus,
        reasons=verdict.reasons,
        messages=tuple(outcome.messages),
        problems=tuple(outcome.problems),
    )


def _manifest(
    task: SearchTask, run: RunDir, result: TaskResult, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "query": task.query,
        "params": task.params,
        "reported_count": result.reported_count,
        "fetched_count": result.fetched_count,
        "state": result.state.value,
        "missing_count": result.missing_count,
        "surplus_count": result.surplus_count,
        "reasons": list(result.reasons),
        "problems": list(result.problems),
        "warnings": list(result.warnings),
        "rea_version": __version__,
        **extra,
    }


def _earlier(store: Store, task: SearchTask, run: RunDir) -> TaskResult:
    """A search this run finished before it was interrupted, as the store holds it."""
    done = run.source(task.stage, task.source).manifest()
    for row in stored_searches(store, run.run_id):
        if (row.stage, row.source) == (task.stage, task.source):
            return TaskResult(
                task.stage,
                task.source,
                task.query,
                row.reported_count,
                row.fetched_count,
                row.warnings,
                True,
                row.state,
                row.missing_count,
                row.surplus_count,
                tuple(row.details.get("reasons", ())),
                tuple((str(m[0]), str(m[1])) for m in row.details.get("messages", ())),
                tuple(row.details.get("problems", ())),
            )
    raise SnapshotError(
        f"{task.stage}/{task.source} of run {run.run_id} has a manifest but nothing in the store",
        where=str(run.path),
        hint=f"the store was replaced after the run; search again (done: {done.get('state')})",
    )


def reconcile_runs(paths: ReviewPaths, store: Store) -> None:
    """Bring the store and the run folders into agreement after an interruption.

    A run is finished in the store first, then its manifest is written. A run killed between the
    two (or a run finished by an older rea, which wrote the manifest first) is settled here: the
    store learns of a manifest it missed, and a run the store finished gets its manifest."""
    known = {r.run_id: r for r in stored_runs(store)}
    for run in list_run_dirs(paths.root):
        row = known.get(run.run_id)
        if row is None:
            continue
        if run.finished and row.finished_at is None:
            finish_run(store, run.run_id, str(run.manifest().get("finished_at") or utc_now()))
        elif row.finished_at is not None and not run.finished:
            plan = [SearchTask.from_json(t) for t in run.info().get("plan", [])]
            if not all(run.source(t.stage, t.source).is_complete for t in plan):
                continue
            try:
                searches = [_earlier(store, t, run) for t in plan]
            except SnapshotError as exc:
                log.warning("run %s cannot be settled: %s", run.run_id, exc.message())
                continue
            run.finish({"searches": [_task_json(r) for r in searches]}, finished_at=row.finished_at)


def _task_json(result: TaskResult) -> dict[str, Any]:
    value = asdict(result)
    value["state"] = result.state.value
    return value


def run_searches(
    paths: ReviewPaths,
    tasks: list[SearchTask] | None = None,
    *,
    resume: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    sleep: Sleep = time.sleep,
    strict: bool = False,
    accept_incomplete: bool = False,
) -> SearchRunResult:
    """Run ``tasks`` as a new run, or finish the interrupted run ``resume`` (its own plan).

    Each search is stored and judged complete or not (:func:`rea.completeness.assess`); an
    incomplete one never becomes the current search of its stage x source unless
    ``accept_incomplete``. ``strict`` makes PubMed's messages about the query an error.
    """
    settings = settings or Settings.from_env()
    if resume:
        run = RunDir.open(paths.root, resume)
        was_finished = run.finished
        with open_store(paths.store) as store:
            reconcile_runs(paths, store)
            if run.finished and not was_finished:
                # stopped between the store and the manifest: its manifest is now written
                plan = [SearchTask.from_json(t) for t in run.info().get("plan", [])]
                done = tuple(_earlier(store, t, run) for t in plan)
                if progress:
                    progress(f"run {run.run_id} was finished in the store; its manifest is written")
                return SearchRunResult(
                    run.run_id, run.path.relative_to(paths.root).as_posix(), True, done
                )
        if run.finished:
            raise SnapshotError(
                f"run {resume} is finished and is never changed",
                where=str(run.path),
                hint="run `rea search` without --resume to search again as a new run; "
                "`rea runs accept` accepts an incomplete search of a finished run",
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
    clients = _Clients(settings, sleep, progress)
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
                results.append(_earlier(store, task, run))
                continue
            if progress:
                progress(f"{task.stage} / {task.source}: searching")
            outcome = _fetch(task, snapshot, clients, run.run_id, progress, strict)
            result = _store_and_judge(store, task, run, snapshot, outcome, accept_incomplete)
            snapshot.finish(_manifest(task, run, result, outcome.extra))
            results.append(result)
            if progress:
                reported = (
                    f" ({result.reported_count} reported)"
                    if result.reported_count is not None
                    else ""
                )
                state = "" if result.complete else f"; {_state_text(result)}"
                progress(
                    f"{task.stage} / {task.source}: {result.fetched_count} records{reported}{state}"
                )
        # the store first: a run whose manifest says "finished" always has current records
        finished_at = utc_now()
        finish_run(store, run.run_id, finished_at)
        run.finish({"searches": [_task_json(r) for r in results]}, finished_at=finished_at)
    return SearchRunResult(
        run.run_id, run.path.relative_to(paths.root).as_posix(), bool(resume), tuple(results)
    )


def _state_text(result: TaskResult) -> str:
    parts = []
    if result.missing_count:
        parts.append(f"{result.missing_count} missing")
    if result.surplus_count:
        parts.append(f"{result.surplus_count} more than reported")
    label = "INCOMPLETE" if result.state is SearchState.INCOMPLETE else "incomplete, accepted"
    return f"{label}: {', '.join(parts) or '; '.join(result.reasons[:1])}"


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    started_at: str
    finished: bool
    searches: tuple[RunSearchRow, ...]
    current: tuple[tuple[str, str], ...] = ()  # (stage, source) of which this run is current


def list_runs(paths: ReviewPaths) -> list[RunSummary]:
    runs = list(list_run_dirs(paths.root))
    if not runs:
        return []
    summaries = []
    with open_store(paths.store) as store:
        reconcile_runs(paths, store)
        current = {(c.stage, c.source): c.run_id for c in current_searches(store)}
        for run in runs:
            summaries.append(
                RunSummary(
                    run.run_id,
                    str(run.info().get("started_at", "")),
                    run.finished,
                    tuple(stored_searches(store, run.run_id)),
                    tuple(sorted(k for k, v in current.items() if v == run.run_id)),
                )
            )
    return summaries


@dataclass(frozen=True)
class Accepted:
    run_id: str
    stage: str
    source: str
    missing_count: int
    surplus_count: int


def accept_incomplete(
    paths: ReviewPaths,
    run_id: str,
    *,
    stage: str | None = None,
    source: str | None = None,
    note: str = "",
) -> list[Accepted]:
    """Accept the incomplete searches of a finished run (all, or one stage and/or source) as
    current: the store records who chose it and when; the run's files stay as they are."""
    run = RunDir.open(paths.root, run_id)
    with open_store(paths.store) as store:
        reconcile_runs(paths, store)
        if not run.finished:
            raise SnapshotError(
                f"run {run_id} is not finished",
                hint=f"finish it first: rea search --resume {run_id} --accept-incomplete",
            )
        rows = [
            r
            for r in stored_searches(store, run_id)
            if (stage is None or r.stage == stage) and (source is None or r.source == source)
        ]
        waiting = [r for r in rows if r.state is SearchState.INCOMPLETE]
        if not waiting:
            states = ", ".join(f"{r.stage}/{r.source} {r.state.value}" for r in rows) or "none"
            raise NotFound(
                f"run {run_id} has no incomplete search to accept"
                + (f" for {stage or '*'}/{source or '*'}" if stage or source else ""),
                hint=f"its searches: {states}",
            )
        at = utc_now()
        accepted = []
        for row in waiting:
            accept_search(
                store, run_id, row.stage, row.source, at=at, note=note or "rea runs accept"
            )
            accepted.append(
                Accepted(run_id, row.stage, row.source, row.missing_count, row.surplus_count)
            )
    return accepted


@dataclass(frozen=True)
class SearchDiff:
    stage: str
    source: str
    count_a: int
    count_b: int
    added: tuple[RecordKey, ...]
    removed: tuple[RecordKey, ...]
    state_a: str = "complete"  # an incomplete side's removals may be losses, not changes
    state_b: str = "complete"
    missing_a: int = 0
    missing_b: int = 0


def diff_runs(paths: ReviewPaths, run_a: str, run_b: str) -> list[SearchDiff]:
    """Per stage and source: the counts of two runs, the records added and removed, and whether
    each side's search was complete (a record missing from an incomplete search may be lost,
    not gone from the database)."""
    for run_id in (run_a, run_b):
        run = RunDir.open(paths.root, run_id)
        if not run.finished:
            raise SnapshotError(
                f"run {run_id} is incomplete", hint=f"finish it with `rea search --resume {run_id}`"
            )
    with open_store(paths.store) as store:
        keys_a = run_record_keys(store, run_a)
        keys_b = run_record_keys(store, run_b)
        states = {
            (r.run_id, r.stage, r.source): r
            for run_id in (run_a, run_b)
            for r in stored_searches(store, run_id)
        }
    if not keys_a and not keys_b:
        raise NotFound(f"runs {run_a} and {run_b} have no records in the store")
    groups = sorted({(k.stage, k.source) for k in [*keys_a, *keys_b]})
    diffs = []
    for stage, source in groups:
        a = {k.key: k for k in keys_a if (k.stage, k.source) == (stage, source)}
        b = {k.key: k for k in keys_b if (k.stage, k.source) == (stage, source)}
        row_a = states.get((run_a, stage, source))
        row_b = states.get((run_b, stage, source))
        diffs.append(
            SearchDiff(
                stage,
                source,
                len(a),
                len(b),
                tuple(b[k] for k in b if k not in a),
                tuple(a[k] for k in a if k not in b),
                row_a.state.value if row_a else "absent",
                row_b.state.value if row_b else "absent",
                row_a.missing_count if row_a else 0,
                row_b.missing_count if row_b else 0,
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
