"""Citation searching as a step of the pipeline: rounds of backward and forward chasing.

A **round** chases the references and the citing works of its seeds: round 1 those of the works
included at full text in a stage, each later round those of the works the round before it found
(new) and the review then included; the rounds stop when one adds no include. Each round is a
run, stored like a search run (``citations/cit-<run-id>/``: raw answers with checksums, a
manifest per service, the run's manifest written last, ``--resume``). Its hits become records of
the source ``citation_searching`` (PRISMA's other methods), each with why it was found (seed,
direction, services), and go through dedup against everything already found: a hit the
databases had is a duplicate, not a new record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rea.completeness import SearchState
from rea.config import ReviewPaths, Settings
from rea.errors import ConfigError, NotFound, ReaError, SnapshotError, SourceError
from rea.query import load_strategy
from rea.sources import citations as sc
from rea.sources.http import Http, Sleep
from rea.sources.snapshots import RunDir, SourceSnapshot, cleanup_temporaries, utc_now
from rea.store import Store, open_store
from rea.store import citations as db
from rea.store.dedup import merged_into
from rea.store.sources import finish_run, start_run

Progress = Callable[[str], None]


class CitationRunDir(RunDir):
    """A citation run's folder: ``citations/cit-<run-id>/``."""

    FOLDER = "citations"
    ID_PREFIX = "cit-"


class RoundsFinished(ReaError):
    """Nothing is left to chase: the last round added no include (not an error)."""

    exit_code = 0


@dataclass(frozen=True)
class CitationPlan:
    """What one citation run chases: its stage and round, directions, services and seeds."""

    stage: str
    round: int
    direction: str  # backward | forward | both
    services: tuple[str, ...]
    seeds: tuple[sc.Seed, ...]
    seeded_by: str = "included"  # "included", "round N", or "chosen"

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "round": self.round,
            "direction": self.direction,
            "services": list(self.services),
            "seeds": [s.to_json() for s in self.seeds],
            "seeded_by": self.seeded_by,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> CitationPlan:
        return cls(
            stage=str(value["stage"]),
            round=int(value["round"]),
            direction=str(value["direction"]),
            services=tuple(str(s) for s in value["services"]),
            seeds=tuple(sc.Seed.from_json(s) for s in value["seeds"]),
            seeded_by=str(value.get("seeded_by", "included")),
        )


@dataclass(frozen=True)
class SeedCount:
    """What one seed gave in one direction: hits found, of which already known, and new."""

    work_id: int
    label: str
    direction: str
    found: int
    known: int

    @property
    def new(self) -> int:
        return self.found - self.known


@dataclass(frozen=True)
class CitationResult:
    run_id: str
    path: str
    stage: str
    round: int
    resumed: bool
    state: SearchState
    missing: int
    hits: int  # records stored
    known: int  # of which the work was found before
    new_works: int  # distinct works found by this round only
    unresolved: int  # hits no service described (identifiers only)
    citation_only: int  # hits known only as a reference list prints them
    per_seed: tuple[SeedCount, ...]
    skipped: dict[str, dict[int, str]]  # service → seed → why it could not chase it
    reasons: tuple[str, ...]  # why the run is not complete
    problems: tuple[str, ...]
    disagreements: tuple[str, ...]
    by_service: dict[str, int]  # hits each service led to
    only_service: dict[str, int]  # hits only this service led to
    requests: dict[str, int]  # answers read per service

    @property
    def complete(self) -> bool:
        return self.state is SearchState.COMPLETE


# --- planning ---------------------------------------------------------------------------------


def _seeds(store: Store, work_ids: Iterable[int]) -> list[sc.Seed]:
    found = db.work_identifiers(store, work_ids)
    return [sc.Seed(w, i.dois, i.pmids, i.label) for w, i in sorted(found.items())]


def _survivor(store: Store, work_id: int) -> int:
    seen = {work_id}
    while (into := merged_into(store, work_id)) is not None and into not in seen:
        seen.add(into)
        work_id = into
    return work_id


def _included(paths: ReviewPaths, store: Store) -> tuple[set[int], set[int]]:
    """Works finally included at full text, and works still awaiting a final decision (at
    title/abstract, or included there and undecided at full text)."""
    from rea.screening.config import load_screening_config
    from rea.screening.service import phase_state
    from rea.screening_vocab import Phase, Status

    config = load_screening_config(paths.screening)
    state = phase_state(store, config)
    ta = state.outcomes[Phase.TITLE_ABSTRACT]
    ft = state.outcomes[Phase.FULL_TEXT]
    included = {w for w, o in ft.items() if o.status is Status.INCLUDED}
    undecided = {w for w, o in ta.items() if o.status not in (Status.INCLUDED, Status.EXCLUDED)}
    undecided |= {
        w
        for w in state.members[Phase.FULL_TEXT]
        if w not in ft or ft[w].status not in (Status.INCLUDED, Status.EXCLUDED)
    }
    return included, undecided


def plan_round(
    paths: ReviewPaths,
    stage: str,
    *,
    direction: str = "both",
    seeds_from: Sequence[str] = (),
    services: Sequence[str] = (),
    settings: Settings | None = None,
) -> CitationPlan:
    """The next round of citation searching of ``stage``.

    - ``seeds_from`` empty: round 1 from the works included at full text, or, once a round was
      run, the next round from the works the last round found new that the review then
      included (:class:`RoundsFinished` when there are none; an error while some await a
      decision);
    - ``["included"]``: round 1 again (a new run replacing the earlier round 1);
    - work ids: a further round from exactly those works.
    """
    settings = settings or Settings.from_env()
    strategy = load_strategy(paths.strategy)
    strategy.stage(stage)  # raises, naming the stages, when there is no such stage
    sc.directions(direction)
    chosen = _services(services, settings)
    with open_store(paths.store, create=False) as store:
        rounds = {r.round: r for r in db.citation_runs(store, stage) if r.current}
        last = max(rounds, default=0)
        wanted = [part for item in seeds_from for part in str(item).replace(",", " ").split()]
        if wanted and wanted != ["included"]:
            ids: list[int] = []
            for text in wanted:
                if not text.isdigit():
                    raise ConfigError(
                        f"--from takes 'included' or work ids, not {text!r}",
                        hint="e.g. --from 12 --from 40, or --from included",
                    )
                ids.append(_survivor(store, int(text)))
            seeds = _seeds(store, ids)
            missing = sorted(set(ids) - {s.work_id for s in seeds})
            if missing:
                raise NotFound(
                    f"no work {', '.join(map(str, missing))} with records in this review",
                    hint="`rea dedup explain WORK` shows a work; ids are those of `rea screen`",
                )
            return CitationPlan(stage, last + 1, direction, chosen, tuple(seeds), "chosen")
        included, undecided = _included(paths, store)
        in_stage = db.works_of_stage(store, stage)
        if wanted == ["included"] or last == 0:
            seeds = _seeds(store, included & in_stage)
            if not seeds:
                raise NotFound(
                    f"no work of stage {stage} is included at full text yet",
                    hint="screen first, or name the works to chase: --from WORK",
                )
            return CitationPlan(stage, 1, direction, chosen, tuple(seeds), "included")
        previous = rounds[last]
        found_new = {h.work_id for h in db.run_hits(store, previous.run_id) if not h.known}
        found_new.discard(None)
        waiting = sorted(w for w in found_new if w is not None and w in undecided)
        if waiting:
            shown = ", ".join(map(str, waiting[:10]))
            raise ReaError(
                f"round {last} of {stage} is not settled: {len(waiting)} works it found await a "
                f"decision (works {shown})",
                hint="decide them (rea screen), or chase chosen works now: --from WORK",
            )
        nxt = sorted(w for w in found_new if w is not None and w in included)
        if not nxt:
            raise RoundsFinished(
                f"round {last} of {stage} added no include: citation searching of this stage "
                "is finished"
            )
        return CitationPlan(
            stage, last + 1, direction, chosen, tuple(_seeds(store, nxt)), f"round {last}"
        )


def _services(asked: Sequence[str], settings: Settings) -> tuple[str, ...]:
    for name in asked:
        if name not in sc.SERVICES:
            raise ConfigError(
                f"no citation service {name!r}", hint=f"one of {', '.join(sc.SERVICES)}"
            )
    if asked:
        return tuple(s for s in sc.SERVICES if s in asked)
    # OpenAlex asks for an API key since February 2026: without one it is used only when named
    return tuple(s for s in sc.SERVICES if s != "openalex" or settings.openalex_api_key)


# --- running ----------------------------------------------------------------------------------


@dataclass
class _Clients:
    settings: Settings
    sleep: Sleep
    progress: Progress | None
    made: dict[str, Http] = field(default_factory=dict)

    def get(self, service: str) -> Http:
        if service not in self.made:
            http = sc.make_http(self.settings, service, sleep=self.sleep)
            http.on_retry = self.progress
            self.made[service] = http
        return self.made[service]


def _notes(plan: CitationPlan, settings: Settings, progress: Progress | None) -> None:
    if progress is None:
        return
    if not settings.contact_email:
        progress("note: REA_EMAIL is not set; Crossref's polite pool and OpenAlex ask for one")
    if "openalex" in plan.services and not settings.openalex_api_key:
        progress("note: OPENALEX_API_KEY is not set; OpenAlex allows very few requests without")
    if "openalex" not in plan.services:
        progress("note: OpenAlex is left out (set OPENALEX_API_KEY, or --service openalex)")


def run_citations(
    paths: ReviewPaths,
    plan: CitationPlan | None = None,
    *,
    resume: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    sleep: Sleep | None = None,
    accept_incomplete: bool = False,
) -> CitationResult:
    """Run ``plan`` as a new citation run, or finish the interrupted run ``resume``."""
    settings = settings or Settings.from_env()
    sleep = sleep or time.sleep  # looked up now, so that a test can stop the waiting
    if resume:
        run = CitationRunDir.open(paths.root, resume)
        if run.finished:
            raise SnapshotError(
                f"citation run {resume} is finished and is never changed",
                where=str(run.path),
                hint="run `rea citations` again for a new run",
            )
        plan = CitationPlan.from_json(run.info()["plan"][0])
        cleanup_temporaries(run)
    else:
        if plan is None:
            raise ConfigError("nothing to chase: no plan")
        if not any(s.dois or s.pmids for s in plan.seeds):
            raise NotFound(
                f"none of the {len(plan.seeds)} seed works has a DOI or a PMID",
                hint="chase their references by hand and import them: rea import FILE "
                "--source citation_searching",
            )
        run = CitationRunDir.create(paths.root, [plan.to_json()])
    _notes(plan, settings, progress)
    if progress:
        progress(
            f"citations: round {plan.round} of {plan.stage}, {len(plan.seeds)} seeds, "
            f"{plan.direction}, run {run.run_id}"
        )
    relpath = run.path.relative_to(paths.root).as_posix()
    with open_store(paths.store) as store:
        info = run.info()
        start_run(store, run.run_id, info["started_at"], info["rea_version"], relpath)
        db.start_citation_run(
            store,
            db.CitationRunRow(
                run.run_id,
                plan.stage,
                plan.round,
                plan.direction,
                plan.services,
                tuple(s.work_id for s in plan.seeds),
                f"{relpath}/manifest.json",
            ),
        )
        if not db.hits_stored(store, run.run_id):
            try:
                details = _chase(paths, store, run, plan, settings, sleep, progress)
            except SourceError as exc:
                exc.hint = (
                    f"{exc.hint + '; ' if exc.hint else ''}what was received is kept: "
                    f"rea citations --resume {run.run_id}"
                )
                raise
        else:
            row = db.citation_run(store, run.run_id)
            assert row is not None
            details = row.details
        return _finish(paths, store, run, plan, details, accept_incomplete, bool(resume), progress)


def _chase(
    paths: ReviewPaths,
    store: Store,
    run: CitationRunDir,
    plan: CitationPlan,
    settings: Settings,
    sleep: Sleep,
    progress: Progress | None,
) -> dict[str, Any]:
    """Ask every service, resolve what they found to records, store the hits; returns the
    run's details (reasons, problems, skipped seeds, requests)."""
    clients = _Clients(settings, sleep, progress)
    folders: dict[str, SourceSnapshot] = {}

    def folder(name: str) -> SourceSnapshot:
        if name not in folders:
            folders[name] = run.source(plan.stage, name)
        return folders[name]

    lookup = sc.CitationLookup(
        settings, plan.seeds, plan.stage, run.run_id, folder, clients.get, progress
    )
    wanted = sc.directions(plan.direction)
    outcomes: dict[str, sc.ServiceOutcome] = {}
    for service in plan.services:
        if progress:
            progress(f"citations: asking {service}")
        outcome = getattr(lookup, service)(wanted)
        outcomes[service] = outcome
        snapshot = folder(service)
        if not snapshot.is_complete:
            snapshot.finish(outcome.to_json())
    links = [link for o in outcomes.values() for link in o.links]
    described = [d for o in outcomes.values() for d in o.described]
    resolver = sc.Resolver(lookup, use_openalex="openalex" in plan.services)
    if progress:
        progress(f"citations: {len(links)} links found; fetching the records they lead to")
    described += _resolve(resolver, links, described)
    for name, outcome in resolver.outcomes.items():
        snapshot = folder(f"{name}-records")
        if not snapshot.is_complete:
            snapshot.finish(outcome.to_json())
    hits, disagreements = sc.gather_hits(links, described)
    records = [
        (
            hit.record(plan.stage, run.run_id),
            [
                db.HitLink(link.seed, link.direction.value, link.service, link.snapshot)
                for link in hit.links
            ],
        )
        for hit in hits
    ]
    every = {**{f"resolve:{k}": v for k, v in resolver.outcomes.items()}, **outcomes}
    reasons = [r for o in every.values() for r in o.reasons]
    details: dict[str, Any] = {
        "reasons": reasons,
        "problems": [p for o in every.values() for p in o.problems],
        "skipped": {k: {str(s): w for s, w in o.skipped.items()} for k, o in outcomes.items()},
        "requests": _requests(outcomes, resolver.outcomes),
        "missing": sum(o.missing for o in every.values()),
        "disagreements": disagreements,
        "unresolved": sum(1 for h in hits if not h.described),
        "citation_only": sum(1 for h in hits if h.described and not h.resolved),
    }
    with store.transaction() as conn:
        db.store_hits(store, run.run_id, records, at=utc_now())
        db.set_citation_state(
            conn,
            run.run_id,
            state=SearchState.INCOMPLETE,
            missing=int(details["missing"]),
            details=details,
        )
    return details


def _resolve(
    resolver: sc.Resolver, links: list[sc.Link], described: list[sc.Described]
) -> list[sc.Described]:
    """Descriptions of the works the links lead to that no service described yet: PubMed for
    PMIDs, then OpenAlex (when asked) for OpenAlex ids and DOIs, then Crossref for DOIs."""
    found: list[sc.Described] = []

    def bare() -> list[sc.Hit]:
        hits, _ = sc.gather_hits(links, [*described, *found])
        return [h for h in hits if not h.resolved]

    found += resolver.pubmed(h.ids.pmid for h in bare() if h.ids.pmid)
    if resolver.use_openalex:
        found += resolver.openalex("openalex", (h.ids.openalex for h in bare() if h.ids.openalex))
        found += resolver.openalex("doi", (h.ids.doi for h in bare() if h.ids.doi))
    found += resolver.crossref(h.ids.doi for h in bare() if h.ids.doi)
    return found


def _requests(
    outcomes: Mapping[str, sc.ServiceOutcome], resolving: Mapping[str, sc.ServiceOutcome]
) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for name, outcome in [*outcomes.items(), *resolving.items()]:
        counts[name] += outcome.requests
    return dict(counts)


def _finish(
    paths: ReviewPaths,
    store: Store,
    run: CitationRunDir,
    plan: CitationPlan,
    details: Mapping[str, Any],
    accept_incomplete: bool,
    resumed: bool,
    progress: Progress | None,
) -> CitationResult:
    """Deduplicate the hits against everything found, tell known from new, settle the state,
    finish the run (the store first, the manifest last)."""
    from rea.pipeline.dedup import run_store

    if progress:
        progress("citations: deduplicating the hits against everything already found")
    run_store(store)
    hits = db.run_hits(store, run.run_id)
    same_round = [r.run_id for r in db.citation_runs(store, plan.stage) if r.round == plan.round]
    known = db.works_known_elsewhere(
        store, (h.work_id for h in hits if h.work_id is not None), same_round
    )
    reasons = list(details.get("reasons", ()))
    missing = int(details.get("missing", 0))
    if not reasons and not missing:
        state = SearchState.COMPLETE
    elif accept_incomplete:
        state = SearchState.ACCEPTED
    else:
        state = SearchState.INCOMPLETE
    finished_at = utc_now()
    with store.transaction() as conn:
        db.mark_hits(conn, run.run_id, {h.record_id: (h.work_id, h.work_id in known) for h in hits})
        db.set_citation_state(
            conn,
            run.run_id,
            state=state,
            missing=missing,
            details=details,
            accepted_at=finished_at if state is SearchState.ACCEPTED else None,
            accepted_note="rea citations --accept-incomplete"
            if state is SearchState.ACCEPTED
            else "",
        )
    finish_run(store, run.run_id, finished_at)
    result = _result(store, run, plan, resumed, paths)
    run.finish(
        {
            "kind": "citations",
            "stage": plan.stage,
            "round": plan.round,
            "state": result.state.value,
            "hits": result.hits,
            "known": result.known,
            "new_works": result.new_works,
            "missing": result.missing,
            "reasons": list(result.reasons),
            "requests": result.requests,
        },
        finished_at=finished_at,
    )
    return result


def _result(
    store: Store, run: RunDir, plan: CitationPlan, resumed: bool, paths: ReviewPaths
) -> CitationResult:
    row = db.citation_run(store, run.run_id)
    assert row is not None
    hits = db.run_hits(store, run.run_id)
    labels = {s.work_id: s.label for s in plan.seeds}
    per: dict[tuple[int, str], set[int]] = defaultdict(set)
    per_known: dict[tuple[int, str], set[int]] = defaultdict(set)
    by_service: dict[str, int] = defaultdict(int)
    only: dict[str, int] = defaultdict(int)
    for hit in hits:
        services = {link.service for link in hit.links}
        for service in services:
            by_service[service] += 1
        if len(services) == 1:
            only[next(iter(services))] += 1
        for link in hit.links:
            per[(link.seed_work_id, link.direction)].add(hit.record_id)
            if hit.known:
                per_known[(link.seed_work_id, link.direction)].add(hit.record_id)
    counts = []
    for seed in plan.seeds:
        for direction in sc.directions(plan.direction):
            key = (seed.work_id, direction.value)
            counts.append(
                SeedCount(
                    seed.work_id,
                    labels.get(seed.work_id, ""),
                    direction.value,
                    len(per.get(key, ())),
                    len(per_known.get(key, ())),
                )
            )
    details = row.details
    skipped = {
        service: {int(k): str(v) for k, v in seeds.items()}
        for service, seeds in details.get("skipped", {}).items()
    }
    return CitationResult(
        run_id=run.run_id,
        path=run.path.relative_to(paths.root).as_posix(),
        stage=plan.stage,
        round=plan.round,
        resumed=resumed,
        state=row.state,
        missing=row.missing_count,
        hits=len(hits),
        known=sum(1 for h in hits if h.known),
        new_works=len({h.work_id for h in hits if not h.known and h.work_id is not None}),
        unresolved=int(details.get("unresolved", 0)),
        citation_only=int(details.get("citation_only", 0)),
        per_seed=tuple(counts),
        skipped=skipped,
        reasons=tuple(details.get("reasons", ())),
        problems=tuple(details.get("problems", ())),
        disagreements=tuple(details.get("disagreements", ())),
        by_service=dict(by_service),
        only_service=dict(only),
        requests={str(k): int(v) for k, v in details.get("requests", {}).items()},
    )


# --- rounds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSummary:
    """One round of a stage as the report lists it."""

    stage: str
    round: int
    run_id: str
    started_at: str
    state: str
    current: bool
    seeds: int
    seeded_by: str
    direction: str
    services: tuple[str, ...]
    hits: int
    known: int
    new_works: int
    included: int  # of the new works, included at full text now
    waiting: int  # of the new works, awaiting a final decision
    missing: int


@dataclass(frozen=True)
class StageRounds:
    stage: str
    rounds: tuple[RoundSummary, ...]
    status: str  # what is next: finished, round N due, waiting for decisions


def citation_rounds(paths: ReviewPaths, stage: str | None = None) -> list[StageRounds]:
    """Every citation run of the review (or of one stage), by stage and round, with what each
    found and included, and whether another round is due."""
    with open_store(paths.store, create=False) as store:
        runs = db.citation_runs(store, stage)
        if not runs:
            return []
        try:
            included, undecided = _included(paths, store)
        except ConfigError:
            included, undecided = set(), set()
        found: dict[str, list[RoundSummary]] = defaultdict(list)
        for row in runs:
            hits = db.run_hits(store, row.run_id)
            new = {h.work_id for h in hits if not h.known and h.work_id is not None}
            plan = CitationPlan.from_json(CitationRunDir(paths.root, row.run_id).info()["plan"][0])
            found[row.stage].append(
                RoundSummary(
                    stage=row.stage,
                    round=row.round,
                    run_id=row.run_id,
                    started_at=row.started_at,
                    state=row.state.value if row.finished_at else "unfinished",
                    current=row.current,
                    seeds=len(row.seeds),
                    seeded_by=plan.seeded_by,
                    direction=row.directions,
                    services=row.services,
                    hits=len(hits),
                    known=sum(1 for h in hits if h.known),
                    new_works=len(new),
                    included=len(new & included),
                    waiting=len(new & undecided),
                    missing=row.missing_count,
                )
            )
    out = []
    for name, rounds in found.items():
        current = [r for r in rounds if r.current]
        out.append(StageRounds(name, tuple(rounds), _status(current)))
    return out


def _status(current: list[RoundSummary]) -> str:
    """What is next for a stage: the rounds stop when one adds no include."""
    if not current:
        return "no round is complete yet"
    last = max(current, key=lambda r: r.round)
    if last.waiting:
        return (
            f"{last.waiting} works round {last.round} found await a decision; the next round "
            "depends on them"
        )
    if last.included:
        return (
            f"round {last.round + 1} is due: {last.included} works round {last.round} found "
            "were included"
        )
    return f"finished: round {last.round} added no include"


def accept_citation_run(paths: ReviewPaths, run_id: str, *, note: str = "") -> db.CitationRunRow:
    """Use an incomplete, finished citation run as its round's run anyway (recorded with who
    chose it and why; the report marks it)."""
    CitationRunDir.open(paths.root, run_id)
    with open_store(paths.store, create=False) as store:
        row = db.citation_run(store, run_id)
        if row is None or row.finished_at is None:
            raise SnapshotError(
                f"citation run {run_id} is not finished",
                hint=f"finish it first: rea citations --resume {run_id}",
            )
        if not db.accept_citation_run(
            store, run_id, at=utc_now(), note=note or "rea citations accept"
        ):
            raise NotFound(f"citation run {run_id} is {row.state.value}, not incomplete")
        accepted = db.citation_run(store, run_id)
        assert accepted is not None
        return accepted
