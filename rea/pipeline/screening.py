"""Screening use cases: each opens the review's store and screening.toml and calls one
screening action. The CLI and the Makefile call these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rea.config import ReviewPaths
from rea.errors import ReaError, ScreeningError
from rea.files import write_text_atomic
from rea.pipeline.ranking import RankedSession, load_ranking_settings, open_ranked_session
from rea.query import load_strategy
from rea.screening import (
    BY_WORK_ID,
    Conflict,
    Decision,
    DecisionRequest,
    ImportResult,
    Phase,
    PhaseStats,
    QueueOrder,
    Recorded,
    Retrieval,
    ScreeningConfig,
    ScreeningSession,
    StudyType,
    load_screening_config,
)
from rea.screening import conflicts as find_conflicts
from rea.screening import export_csv as write_export
from rea.screening import import_csv as read_import
from rea.screening import stats as compute_stats
from rea.screening.service import link_study as service_link_study
from rea.screening.service import (
    record_decision,
    record_retrieval,
    record_study_type,
    resolve,
    undo_decision,
    withdraw_retrieval,
)
from rea.screening.service import unlink_study as service_unlink_study
from rea.store import Store, open_store
from rea.store.screening import study_groups

#: The keys that pick an exclusion reason, in the order of screening.toml's reasons: the same
#: in the terminal screen and in the browser.
REASON_KEYS = "1234567890abcdfghjklnoprtvwxyz"


@contextmanager
def opened(paths: ReviewPaths) -> Iterator[tuple[Store, ScreeningConfig]]:
    """The review's screening settings and its store (which must exist already)."""
    config = load_screening_config(paths.screening)
    with open_store(paths.store, create=False) as store:
        yield store, config


def highlight_terms(paths: ReviewPaths, config: ScreeningConfig) -> tuple[list[str], str | None]:
    """The terms to highlight: the strategy's plain terms of every stage plus screening.toml's
    ``highlight`` list; and a warning when the strategy could not be read."""
    terms = list(config.highlight)
    if not paths.strategy.is_file():
        return terms, None
    try:
        strategy = load_strategy(paths.strategy)
        for stage in strategy.stages:
            terms.extend(strategy.terms(stage.id))
    except ReaError as exc:
        return terms, f"search terms are not highlighted: {exc.message()}"
    return terms, None


def is_blind(paths: ReviewPaths) -> bool:
    """Whether reviewers must not see each other's decisions (``blind`` in screening.toml)."""
    return load_screening_config(paths.screening).blind


def decide(
    paths: ReviewPaths,
    work_id: int,
    decision: str,
    *,
    phase: Phase,
    reviewer: str,
    reason: str = "",
    note: str = "",
    withdraw_later: bool = False,
) -> Recorded:
    """One decision without the screen; ``undo`` withdraws the reviewer's standing one.
    ``withdraw_later``: a title/abstract change that takes the work out of full text also
    withdraws its full-text decisions (else it is refused, naming them)."""
    with opened(paths) as (store, config):
        if decision == "undo":
            return undo_decision(
                store, config, work_id, phase, reviewer, withdraw_later=withdraw_later
            )
        request = DecisionRequest(work_id, phase, reviewer, Decision(decision), reason, note)
        return record_decision(store, config, request, withdraw_later=withdraw_later)


def export_decisions(
    paths: ReviewPaths,
    out: Path | None,
    *,
    phase: Phase | None = None,
    reviewer: str | None = None,
) -> str:
    """The decisions CSV: written to ``out`` (via a temporary file) or returned."""
    with opened(paths) as (store, config):
        text = write_export(store, config, phase=phase, reviewer=reviewer)
    if out is not None:
        write_text_atomic(out, text, what="the decisions CSV")
    return text


def import_decisions(
    paths: ReviewPaths,
    file: Path,
    *,
    phase: Phase | None = None,
    reviewer: str | None = None,
) -> ImportResult:
    with opened(paths) as (store, config):
        return read_import(store, config, file, phase=phase, reviewer=reviewer)


def list_conflicts(paths: ReviewPaths, phase: Phase | None = None) -> list[Conflict]:
    with opened(paths) as (store, config):
        return find_conflicts(store, config, phase)


def resolve_work(
    paths: ReviewPaths,
    work_id: int,
    decision: str,
    *,
    phase: Phase,
    by: str,
    reason: str = "",
    note: str = "",
    override: bool = False,
    withdraw_later: bool = False,
) -> Recorded:
    with opened(paths) as (store, config):
        return resolve(
            store, config, work_id, phase, Decision(decision), by, reason=reason, note=note,
            override=override, withdraw_later=withdraw_later,
        )  # fmt: skip


def link_study(paths: ReviewPaths, work_ids: list[int], *, by: str, note: str = "") -> Recorded:
    with opened(paths) as (store, config):
        return service_link_study(store, config, work_ids, by=by, note=note)


def unlink_study(paths: ReviewPaths, work_id: int, *, by: str, note: str = "") -> Recorded:
    with opened(paths) as (store, config):
        return service_unlink_study(store, config, work_id, by=by, note=note)


def list_studies(paths: ReviewPaths) -> dict[int, list[int]]:
    """Every study with several linked reports: study → its reports."""
    with opened(paths) as (store, _config):
        return {s: w for s, w in study_groups(store).items() if len(w) > 1}


def screening_stats(paths: ReviewPaths) -> list[PhaseStats]:
    with opened(paths) as (store, config):
        return compute_stats(store, config)


def set_retrieval(
    paths: ReviewPaths,
    work_id: int,
    status: str,
    *,
    by: str,
    location: str = "",
    note: str = "",
) -> Recorded:
    """Record ``sought``, ``not_retrieved`` or ``retrieved``; or ``withdraw`` the record."""
    with opened(paths) as (store, config):
        if status == "withdraw":
            if location:
                raise ScreeningError("--location goes with 'retrieved' only")
            return withdraw_retrieval(store, config, work_id, by=by, note=note)
        return record_retrieval(
            store, config, work_id, Retrieval(status), location=location, by=by, note=note
        )


def set_study_type(paths: ReviewPaths, work_id: int, study_type: str, *, by: str) -> Recorded:
    with opened(paths) as (store, config):
        return record_study_type(store, config, work_id, StudyType(study_type), by=by)


@dataclass
class ScreenContext:
    """What the interactive screen needs: the session, the terms, the criteria and reasons."""

    session: ScreeningSession
    config: ScreeningConfig
    terms: list[str]
    warning: str | None
    store: Store

    def close(self) -> None:
        if isinstance(self.session, RankedSession):
            self.session.ranker.close()
        self.store.close()


def open_screen(
    paths: ReviewPaths,
    phase: Phase,
    reviewer: str,
    order: QueueOrder = BY_WORK_ID,
    *,
    threads: bool = False,
) -> ScreenContext:
    """Open a screening session; the caller closes it (``ScreenContext.close``).

    ``threads``: the session may be used from several threads, one at a time (``rea serve``).
    """
    config = load_screening_config(paths.screening)
    store = open_store(paths.store, create=False, threads=threads)
    try:
        if order is BY_WORK_ID:  # the review's own order ([ranking] in screening.toml)
            settings = load_ranking_settings(paths.screening)
            session = open_ranked_session(store, config, phase, reviewer, settings)
        else:
            session = ScreeningSession(store, config, phase, reviewer, order)
        terms, warning = highlight_terms(paths, config)
    except BaseException:
        store.close()
        raise
    return ScreenContext(session, config, terms, warning, store)
