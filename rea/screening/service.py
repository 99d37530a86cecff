"""Screening actions on a review's store: assignment, decisions, undo, notes, resolutions,
full-text retrieval and study types, and the final status of works per phase.

Every action checks everything first and then writes in one transaction, so a refused action
changes nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rea.errors import LaterPhaseDecisions, NotFound, ScreeningError
from rea.screening.config import ScreeningConfig
from rea.screening.model import (
    UNDO,
    Decision,
    Outcome,
    Phase,
    Retrieval,
    Status,
    StudyType,
    assigned_reviewers,
    outcome,
    unresolved_outcome,
)
from rea.store import Store
from rea.store import screening as db


def _outcomes(
    conn: sqlite3.Connection, config: ScreeningConfig, phase: Phase, work_id: int | None = None
) -> dict[int, Outcome]:
    rules = config.rules
    return {
        t.work_id: outcome(t, phase, rules) for t in db.tallies(conn, phase.value, work_id=work_id)
    }


def outcomes(
    store: Store,
    config: ScreeningConfig,
    phase: Phase,
    *,
    members: set[int] | None = None,
) -> dict[int, Outcome]:
    """The final status of every work in the phase (call :func:`ensure_assignments` first).

    At full text only works whose title/abstract status is included are counted (``members``,
    computed when not given): a work whose inclusion was later withdrawn drops out of the
    full-text phase with its decisions kept.
    """
    found = _outcomes(store.conn, config, phase)
    if phase is Phase.FULL_TEXT:
        if members is None:
            members = phase_members(store, config, phase)
        found = {w: o for w, o in found.items() if w in members}
    return found


def outcome_of(
    conn: sqlite3.Connection, config: ScreeningConfig, work_id: int, phase: Phase
) -> Outcome | None:
    return _outcomes(conn, config, phase, work_id).get(work_id)


def _later_activity(conn: sqlite3.Connection, work_id: int) -> list[str]:
    """What a work has at full text that a title/abstract change would leave behind: standing
    full-text decisions and a standing full-text resolution, described for the user."""
    found = [
        f"{d.reviewer} {d.decision}" + (f" ({d.reason})" if d.reason else "")
        for d in db.standing_decisions_of(conn, work_id, Phase.FULL_TEXT.value)
    ]
    resolution = db.standing_resolution(conn, work_id, Phase.FULL_TEXT.value)
    if resolution is not None:
        found.append(f"resolution {resolution.decision} by {resolution.decided_by}")
    return found


def guard_full_text(
    conn: sqlite3.Connection,
    config: ScreeningConfig,
    work_id: int,
    before: Outcome | None,
    *,
    withdraw_later: bool,
    by: str,
    what: str,
) -> list[str]:
    """Call inside the transaction after a title/abstract change was written: if the change
    takes a work that was included at title/abstract (so in full text) out of full text while
    it has full-text decisions, refuse it (the transaction rolls back) naming them, or with
    ``withdraw_later`` withdraw them too (undo rows and a resolution withdrawal, each noting
    why). Returns what was withdrawn."""
    if before is None or before.status is not Status.INCLUDED:
        return []
    after = outcome_of(conn, config, work_id, Phase.TITLE_ABSTRACT)
    if after is not None and after.status is Status.INCLUDED:
        return []
    later = _later_activity(conn, work_id)
    if not later:
        return []
    if not withdraw_later:
        undo = "; ".join(
            f"rea decide {work_id} undo --phase full_text --reviewer {d.reviewer}"
            for d in db.standing_decisions_of(conn, work_id, Phase.FULL_TEXT.value)
        )
        raise LaterPhaseDecisions(
            f"{what} would take work {work_id} out of full text, where it has decisions: "
            + ", ".join(later),
            hint="withdraw those first"
            + (f" ({undo})" if undo else "")
            + ", or pass --withdraw-later to withdraw them with this change",
        )
    note = f"withdrawn with the title/abstract change: {what}"
    for d in db.standing_decisions_of(conn, work_id, Phase.FULL_TEXT.value):
        db.insert_decision(
            conn,
            work_id=work_id,
            phase=Phase.FULL_TEXT.value,
            reviewer=d.reviewer,
            decision=UNDO,
            note=note,
            via="cascade",
        )
    resolution = db.standing_resolution(conn, work_id, Phase.FULL_TEXT.value)
    if resolution is not None:
        db.withdraw_resolution(conn, resolution.resolution_id, withdrawn_by=by, note=note)
    return later


def phase_members(
    store: Store,
    config: ScreeningConfig,
    phase: Phase,
    *,
    title_abstract: dict[int, Outcome] | None = None,
) -> set[int]:
    """The works that belong to a phase: every work at title/abstract, and at full text the
    works finally included at title/abstract (from ``title_abstract`` outcomes when given)."""
    if phase is Phase.TITLE_ABSTRACT:
        return set(db.works_with_records(store))
    if title_abstract is None:
        title_abstract = outcomes(store, config, Phase.TITLE_ABSTRACT)
    return {w for w, o in title_abstract.items() if o.status is Status.INCLUDED}


def ensure_assignments(
    store: Store, config: ScreeningConfig, phase: Phase, *, members: set[int] | None = None
) -> int:
    """Assign every work of the phase that has no reviewer yet; returns how many were assigned.

    Earlier assignments are never changed, so a work keeps its reviewers even if the screener
    list or the double-screened share is edited later (new works follow the new settings).
    """
    settings = config.phases[phase]
    if phase is Phase.TITLE_ABSTRACT:
        todo = db.unassigned_works_with_records(store, phase.value)
    else:
        if members is None:
            members = phase_members(store, config, phase)
        todo = sorted(members - db.assigned_work_ids(store, phase.value))
    if not todo:
        return 0
    pairs = [
        (w, r)
        for w in todo
        for r in assigned_reviewers(w, phase, settings.screeners, settings.double_screen_share)
    ]
    with store.transaction() as conn:
        db.insert_assignments(conn, phase.value, pairs, how="hash")
    return len(todo)


@dataclass(frozen=True)
class PhaseState:
    """Membership and final status of both phases, computed once (assignments made first)."""

    members: dict[Phase, set[int]]
    outcomes: dict[Phase, dict[int, Outcome]]


def phase_state(store: Store, config: ScreeningConfig) -> PhaseState:
    ensure_assignments(store, config, Phase.TITLE_ABSTRACT)
    ta_members = set(db.works_with_records(store))
    # a work left without records (merged into another by a later dedup) drops out
    ta = {w: o for w, o in outcomes(store, config, Phase.TITLE_ABSTRACT).items() if w in ta_members}
    ft_members = phase_members(store, config, Phase.FULL_TEXT, title_abstract=ta)
    ensure_assignments(store, config, Phase.FULL_TEXT, members=ft_members)
    ft = outcomes(store, config, Phase.FULL_TEXT, members=ft_members)
    return PhaseState(
        members={Phase.TITLE_ABSTRACT: ta_members, Phase.FULL_TEXT: ft_members},
        outcomes={Phase.TITLE_ABSTRACT: ta, Phase.FULL_TEXT: ft},
    )


def _in_phase(
    conn: sqlite3.Connection, config: ScreeningConfig, work_id: int, phase: Phase
) -> None:
    """Raise unless the work exists and belongs to the phase."""
    if not db.work_exists(conn, work_id):
        raise NotFound(f"no work {work_id} in this review", hint="see `rea screen export`")
    if not db.work_has_records(conn, work_id):
        if db.work_has_any_record(conn, work_id):
            raise ScreeningError(
                f"work {work_id} was found only by a superseded search run: it is in no "
                "current search result",
                hint="see `rea runs`; the current run of each stage and source is counted",
            )
        raise ScreeningError(f"work {work_id} has no records (merged into another work?)")
    if phase is Phase.FULL_TEXT:
        ta = outcome_of(conn, config, work_id, Phase.TITLE_ABSTRACT)
        status = ta.status.value if ta else Status.PENDING.value
        if ta is None or ta.status is not Status.INCLUDED:
            raise ScreeningError(
                f"work {work_id} is not in the full-text phase "
                f"(its title/abstract status is {status})",
                hint="works enter full text once finally included at title/abstract",
            )


@dataclass(frozen=True)
class DecisionRequest:
    work_id: int
    phase: Phase
    reviewer: str
    decision: Decision
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class Recorded:
    """What an action did: the new row's id, or None when it changed nothing."""

    row_id: int | None
    message: str


def check_decision(
    conn: sqlite3.Connection, config: ScreeningConfig, request: DecisionRequest
) -> None:
    """Raise a clear error for anything wrong with a decision; writes nothing."""
    phase = request.phase
    config.screener(request.reviewer, phase)
    _in_phase(conn, config, request.work_id, phase)
    if request.reason:
        if request.decision is not Decision.EXCLUDE:
            raise ScreeningError(
                f"a reason goes with exclude only (got {request.decision.value} "
                f"with reason {request.reason!r})"
            )
        config.reason(request.reason, phase)
    elif request.decision is Decision.EXCLUDE and config.phases[phase].reason_required:
        codes = ", ".join(r.code for r in config.reasons_for(phase))
        raise ScreeningError(
            f"an exclusion at {phase.label} needs a reason",
            hint=f"add --reason, one of: {codes}",
        )
    if phase is Phase.FULL_TEXT:
        retrieval = db.retrieval_of(conn, request.work_id)
        if retrieval is not None and retrieval.status == Retrieval.NOT_RETRIEVED.value:
            raise ScreeningError(
                f"the full text of work {request.work_id} was recorded as not retrieved",
                hint=f"record it first: rea fulltext {request.work_id} retrieved --location PATH",
            )


def write_decision(
    conn: sqlite3.Connection,
    config: ScreeningConfig,
    request: DecisionRequest,
    *,
    via: str,
    queue_order: str = "",
) -> int | None:
    """Write a checked decision inside the caller's transaction; None if it is the standing one.

    Re-sending the standing decision (same decision, reason and note) writes nothing, so a
    retried command or a re-imported file never doubles a decision.
    """
    standing = db.standing_decision(conn, request.work_id, request.phase.value, request.reviewer)
    if (
        standing is not None
        and standing.decision == request.decision.value
        and standing.reason == request.reason
        and standing.note == request.note
    ):
        return None
    phase = request.phase
    if not db.work_assignees(conn, request.work_id, phase.value):
        # first decision on a work nobody was assigned yet: assign it as the settings say, so
        # that it is still double-screened when it should be
        settings = config.phases[phase]
        chosen = assigned_reviewers(
            request.work_id, phase, settings.screeners, settings.double_screen_share
        )
        db.insert_assignments(conn, phase.value, [(request.work_id, r) for r in chosen], how="hash")
    db.insert_assignments(conn, phase.value, [(request.work_id, request.reviewer)], how="volunteer")
    return db.insert_decision(
        conn,
        work_id=request.work_id,
        phase=request.phase.value,
        reviewer=request.reviewer,
        decision=request.decision.value,
        reason=request.reason,
        note=request.note,
        via=via,
        queue_order=queue_order,
    )


def record_decision(
    store: Store,
    config: ScreeningConfig,
    request: DecisionRequest,
    *,
    via: str = "cli",
    queue_order: str = "",
    withdraw_later: bool = False,
) -> Recorded:
    """Check and store one reviewer's decision on one work. A title/abstract decision that
    takes the work out of full text, where it has decisions, is refused naming them (or, with
    ``withdraw_later``, withdraws them too)."""
    what = f"{request.reviewer}: work {request.work_id} {request.decision.value}"
    if request.reason:
        what += f" ({request.reason})"
    with store.transaction() as conn:
        check_decision(conn, config, request)
        before = _before(conn, config, request.work_id, request.phase)
        row_id = write_decision(conn, config, request, via=via, queue_order=queue_order)
        withdrawn = guard_full_text(
            conn, config, request.work_id, before, withdraw_later=withdraw_later,
            by=request.reviewer, what=f"{request.reviewer}'s {request.decision.value}",
        )  # fmt: skip
    message = what if row_id else f"{what} (unchanged, already recorded)"
    return Recorded(row_id, message + _withdrawn(withdrawn))


def _before(
    conn: sqlite3.Connection, config: ScreeningConfig, work_id: int, phase: Phase
) -> Outcome | None:
    """The title/abstract outcome before a change in that phase (None for a full-text one)."""
    if phase is not Phase.TITLE_ABSTRACT:
        return None
    return outcome_of(conn, config, work_id, Phase.TITLE_ABSTRACT)


def _withdrawn(later: list[str]) -> str:
    return f"; withdrawn at full text: {', '.join(later)}" if later else ""


def undo_decision(
    store: Store,
    config: ScreeningConfig,
    work_id: int,
    phase: Phase,
    reviewer: str,
    *,
    via: str = "cli",
    withdraw_later: bool = False,
) -> Recorded:
    """Withdraw the reviewer's standing decision on the work (a new 'undo' row). Withdrawing a
    title/abstract decision that takes the work out of full text, where it has decisions, is
    refused naming them (or, with ``withdraw_later``, withdraws them too)."""
    config.screener(reviewer, phase)
    with store.transaction() as conn:
        if not db.work_exists(conn, work_id):
            raise NotFound(f"no work {work_id} in this review")
        standing = db.standing_decision(conn, work_id, phase.value, reviewer)
        if standing is None:
            raise ScreeningError(
                f"{reviewer} has no decision on work {work_id} at {phase.label} to undo"
            )
        before = _before(conn, config, work_id, phase)
        row_id = db.insert_decision(
            conn, work_id=work_id, phase=phase.value, reviewer=reviewer, decision=UNDO, via=via
        )
        withdrawn = guard_full_text(
            conn, config, work_id, before, withdraw_later=withdraw_later, by=reviewer,
            what=f"undoing {reviewer}'s {standing.decision} at title/abstract",
        )  # fmt: skip
    message = f"{reviewer}: work {work_id} {standing.decision} withdrawn"
    return Recorded(row_id, message + _withdrawn(withdrawn))


def add_note(
    store: Store, config: ScreeningConfig, work_id: int, phase: Phase, reviewer: str, note: str
) -> Recorded:
    config.screener(reviewer, phase)
    if not note.strip():
        raise ScreeningError("the note is empty")
    with store.transaction() as conn:
        _in_phase(conn, config, work_id, phase)
        row_id = db.insert_note(
            conn, work_id=work_id, phase=phase.value, reviewer=reviewer, note=note.strip()
        )
    return Recorded(row_id, f"note kept on work {work_id}")


def resolve(
    store: Store,
    config: ScreeningConfig,
    work_id: int,
    phase: Phase,
    decision: Decision,
    by: str,
    *,
    reason: str = "",
    note: str = "",
    override: bool = False,
    withdraw_later: bool = False,
) -> Recorded:
    """Record the outcome of a discussion or of a third reviewer on a work in conflict.

    ``by`` is one adjudicator, or the reviewers who agreed in discussion joined by ',' (each
    must be a reviewer of the review). A work whose reviewers do not disagree (they agree, or
    some have not decided yet) is refused unless ``override``: the resolution is then marked
    as an override in the audit trail and the report.
    """
    if decision is Decision.MAYBE:
        raise ScreeningError("a resolution is include or exclude, not maybe")
    names = [n.strip() for n in by.split(",") if n.strip()]
    if not names:
        raise ScreeningError("say who decided: --by NAME (or NAME1,NAME2 for a discussion)")
    for name in names:
        config.reviewer(name)
    if len(names) == 1 and not config.reviewer(names[0]).adjudicates:
        raise ScreeningError(
            f"{names[0]} is not an adjudicator; a single resolver must have that role",
            hint="for a discussion name everyone who agreed, e.g. --by JS,AH",
        )
    if reason:
        if decision is not Decision.EXCLUDE:
            raise ScreeningError("a reason goes with exclude only")
        config.reason(reason, phase)
    elif decision is Decision.EXCLUDE and config.phases[phase].reason_required:
        codes = ", ".join(r.code for r in config.reasons_for(phase))
        raise ScreeningError(
            f"an exclusion at {phase.label} needs a reason", hint=f"add --reason, one of: {codes}"
        )
    with store.transaction() as conn:
        _in_phase(conn, config, work_id, phase)
        tallied = db.tallies(conn, phase.value, work_id=work_id)
        if not tallied or tallied[0].n_decided == 0:
            raise ScreeningError(f"work {work_id} has no screening decisions at {phase.label}")
        own = unresolved_outcome(tallied[0], phase, config.rules)
        if own.status is not Status.CONFLICT and not override:
            said = {
                Status.PENDING: "not every reviewer assigned to it has decided",
                Status.INCLUDED: "its reviewers agree on include",
                Status.EXCLUDED: "its reviewers agree on exclude",
            }[own.status]
            raise ScreeningError(
                f"work {work_id} has no conflict at {phase.label}: {said}",
                hint="pass --override to overrule the reviewers; the override is marked as such "
                "in the audit trail and the report",
            )
        before = _before(conn, config, work_id, phase)
        row_id = db.insert_resolution(
            conn,
            work_id=work_id,
            phase=phase.value,
            decision=decision.value,
            reason=reason,
            decided_by=",".join(names),
            note=note,
            override=own.status is not Status.CONFLICT,
        )
        withdrawn = guard_full_text(
            conn, config, work_id, before, withdraw_later=withdraw_later, by=",".join(names),
            what=f"the resolution {decision.value}",
        )  # fmt: skip
    kind = "overridden" if own.status is not Status.CONFLICT else f"{decision.value}d"
    message = f"work {work_id} {kind} at {phase.label} by {by}"
    if own.status is not Status.CONFLICT:
        message += f" ({decision.value}; override)"
    return Recorded(row_id, message + _withdrawn(withdrawn))


def record_retrieval(
    store: Store,
    config: ScreeningConfig,
    work_id: int,
    status: Retrieval,
    *,
    location: str = "",
    by: str,
    note: str = "",
) -> Recorded:
    """Record the state of the search for a work's full text."""
    config.reviewer(by)
    if status is Retrieval.RETRIEVED and not location.strip():
        raise ScreeningError(
            "a retrieved full text needs its location",
            hint="add --location PATH-or-URL",
        )
    if status is not Retrieval.RETRIEVED and location.strip():
        raise ScreeningError("--location goes with 'retrieved' only")
    with store.transaction() as conn:
        _in_phase(conn, config, work_id, Phase.FULL_TEXT)
        if status is Retrieval.NOT_RETRIEVED:
            later = _later_activity(conn, work_id)
            if later:
                raise ScreeningError(
                    f"work {work_id} has full-text decisions ({', '.join(later)}): its full text "
                    "was assessed, so it was retrieved",
                    hint=f"withdraw them first: rea decide {work_id} undo --phase full_text "
                    "--reviewer NAME",
                )
        row_id = db.insert_retrieval(
            conn,
            work_id=work_id,
            status=status.value,
            location=location.strip(),
            recorded_by=by,
            note=note,
        )
    suffix = f" at {location.strip()}" if location.strip() else ""
    return Recorded(row_id, f"work {work_id} full text {status.value}{suffix}")


def withdraw_retrieval(
    store: Store, config: ScreeningConfig, work_id: int, *, by: str, note: str = ""
) -> Recorded:
    """Withdraw the work's retrieval record (recorded on the wrong work, or left behind when the
    work left full text): it no longer counts, in any phase, until a new entry is recorded. The
    withdrawal is a row of its own in the audit trail. Refused while full-text decisions stand
    on the work (its full text was assessed)."""
    config.reviewer(by)
    with store.transaction() as conn:
        current = db.retrieval_of(conn, work_id)
        if current is None:
            raise ScreeningError(
                f"work {work_id} has no full-text retrieval record to withdraw",
                hint=f"rea fulltext {work_id} sought|retrieved|not_retrieved records one",
            )
        later = _later_activity(conn, work_id)
        if later:
            raise ScreeningError(
                f"work {work_id} has full-text decisions ({', '.join(later)}): its full text "
                "was assessed",
                hint=f"withdraw them first: rea decide {work_id} undo --phase full_text "
                "--reviewer NAME",
            )
        row_id = db.withdraw_retrieval(
            conn, work_id=work_id, upto_id=current.retrieval_id, withdrawn_by=by, note=note
        )
    return Recorded(row_id, f"work {work_id} full text {current.status} withdrawn")


def record_study_type(
    store: Store, config: ScreeningConfig, work_id: int, study_type: StudyType, *, by: str
) -> Recorded:
    """Record the study type of a work in the full-text phase."""
    config.reviewer(by)
    with store.transaction() as conn:
        _in_phase(conn, config, work_id, Phase.FULL_TEXT)
        ft = outcome_of(conn, config, work_id, Phase.FULL_TEXT)
        if ft is not None and ft.status is Status.EXCLUDED:
            raise ScreeningError(
                f"work {work_id} is excluded at full text; study types are for included works"
            )
        if db.study_type_of(conn, work_id) == study_type.value:
            return Recorded(None, f"work {work_id} is already {study_type.value} (unchanged)")
        row_id = db.insert_study_type(
            conn, work_id=work_id, study_type=study_type.value, recorded_by=by
        )
    return Recorded(row_id, f"work {work_id} study type {study_type.value}")


def link_study(
    store: Store, config: ScreeningConfig, work_ids: list[int], *, by: str, note: str = ""
) -> Recorded:
    """Record that several included reports (works) are reports of one study: PRISMA counts
    them as one study and the report lists them together. The study is named by the first
    work given, or by the study one of them already belongs to (whose reports stay in it)."""
    config.reviewer(by)
    works = list(dict.fromkeys(work_ids))
    if len(works) < 2:
        raise ScreeningError("name at least two works: the reports of one study")
    with store.transaction() as conn:
        for w in works:
            _in_phase(conn, config, w, Phase.FULL_TEXT)
            ft = outcome_of(conn, config, w, Phase.FULL_TEXT)
            status = ft.status.value if ft else Status.PENDING.value
            if ft is None or ft.status is not Status.INCLUDED:
                raise ScreeningError(
                    f"work {w} is not included at full text (its status there is {status})",
                    hint="only included reports are grouped into studies",
                )
        studies = [s for w in works if (s := db.study_of(conn, w)) is not None]
        study = studies[0] if studies else works[0]
        members = set(works)
        for s in dict.fromkeys(studies):
            members.update(db.study_members(conn, s))
        row_id = None
        for w in sorted(members):
            if db.study_of(conn, w) != study:
                row_id = db.insert_study_link(
                    conn, work_id=w, study_id=study, linked_by=by, note=note
                )
    listed = ", ".join(str(w) for w in sorted(members))
    if row_id is None:
        return Recorded(None, f"works {listed} are already reports of study {study} (unchanged)")
    return Recorded(row_id, f"study {study}: reports {listed}")


def unlink_study(
    store: Store, config: ScreeningConfig, work_id: int, *, by: str, note: str = ""
) -> Recorded:
    """Take a report out of its study (it counts as a study of its own again)."""
    config.reviewer(by)
    with store.transaction() as conn:
        if not db.work_exists(conn, work_id):
            raise NotFound(f"no work {work_id} in this review")
        study = db.study_of(conn, work_id)
        if study is None:
            raise ScreeningError(f"work {work_id} is not linked to a study")
        row_id = db.insert_study_link(conn, work_id=work_id, study_id=None, linked_by=by, note=note)
        rest = [w for w in db.study_members(conn, study) if w != work_id]
        # the study is named by one of its reports: when that one leaves, the lowest remaining
        # report names it; a report left alone is a study of its own again
        new_name = rest[0] if len(rest) > 1 else None
        if study == work_id or new_name is None:
            for w in rest:
                db.insert_study_link(conn, work_id=w, study_id=new_name, linked_by=by, note=note)
    message = f"work {work_id} taken out of study {study}"
    if study == work_id and new_name is not None:
        message += f"; its other reports are now study {new_name}"
    return Recorded(row_id, message)
