"""What screening has produced: conflicts, progress and agreement, final decisions for the
PRISMA counts, and decisions moved out to and in from CSV files."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rea.errors import ImportFormatError, Location, ReaError
from rea.files import csv_text, from_spreadsheet_cell
from rea.screening.config import ScreeningConfig
from rea.screening.model import (
    Agreement,
    Decision,
    Outcome,
    Phase,
    Retrieval,
    Status,
    agreement,
)
from rea.screening.service import (
    DecisionRequest,
    check_decision,
    guard_full_text,
    outcome_of,
    phase_state,
    write_decision,
)
from rea.store import Store
from rea.store import screening as db

# --- conflicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    work_id: int
    phase: Phase
    kind: str  # 'disagree', 'maybe', 'reasons'
    title: str
    decisions: tuple[tuple[str, str, str], ...]  # (reviewer, decision, reason)


def conflicts(store: Store, config: ScreeningConfig, phase: Phase | None = None) -> list[Conflict]:
    """Works whose assigned reviewers have all decided but do not agree, unresolved.

    Listing them is reconciliation: only works that every assigned reviewer has decided are
    listed, so nobody sees another's decision on a work they still have to screen.
    """
    found: list[Conflict] = []
    state = phase_state(store, config)
    for p in [phase] if phase else list(Phase):
        open_ = {w: o for w, o in state.outcomes[p].items() if o.status is Status.CONFLICT}
        if not open_:
            continue
        by_work: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for (w, reviewer), (decision, reason) in db.standing_decisions(store, p.value).items():
            if w in open_:
                by_work[w].append((reviewer, decision, reason))
        titles = db.work_titles(store, open_)
        for w, o in sorted(open_.items()):
            found.append(
                Conflict(
                    work_id=w,
                    phase=p,
                    kind=o.conflict,
                    title=str(titles.get(w, {}).get("title", "")),
                    decisions=tuple(sorted(by_work[w])),
                )
            )
    return found


# --- stats -----------------------------------------------------------------------------------


@dataclass
class ReviewerStats:
    reviewer: str
    assigned: int = 0
    screened: int = 0
    included: int = 0
    excluded: int = 0
    maybe: int = 0
    conflicts: int = 0

    @property
    def remaining(self) -> int:
        return self.assigned - self.screened


@dataclass
class PhaseStats:
    phase: Phase
    works: int = 0
    included: int = 0
    excluded: int = 0
    pending: int = 0
    conflicts: int = 0
    resolved: int = 0
    double_screened: int = 0
    reviewers: list[ReviewerStats] = field(default_factory=list)
    agreement: list[Agreement] = field(default_factory=list)
    not_retrieved: int = 0  # full text: pending works whose report was not retrieved


def stats(store: Store, config: ScreeningConfig) -> list[PhaseStats]:
    """Per phase and reviewer: screened, included, excluded, maybe, remaining, conflicts, and
    Cohen's kappa for each pair of reviewers on the works both decided."""
    result = []
    state = phase_state(store, config)
    retrieval = db.current_retrievals(store)
    lost = {w for w, r in retrieval.items() if r.status == Retrieval.NOT_RETRIEVED.value}
    for phase in Phase:
        found = state.outcomes[phase]
        ps = PhaseStats(phase, works=len(found))
        conflicted = []
        for o in found.values():
            if o.status is Status.INCLUDED:
                ps.included += 1
            elif o.status is Status.EXCLUDED:
                ps.excluded += 1
            elif o.status is Status.PENDING and phase is Phase.FULL_TEXT and o.work_id in lost:
                ps.not_retrieved += 1  # cannot be screened: not pending for anyone
            elif o.status is Status.PENDING:
                ps.pending += 1
            else:
                ps.conflicts += 1
                conflicted.append(o.work_id)
            ps.resolved += o.resolved
        # title/abstract: every work with records; full text: the works included before
        members = None if phase is Phase.TITLE_ABSTRACT else state.members[phase]
        per: dict[str, ReviewerStats] = {
            name: ReviewerStats(name) for name in config.phases[phase].screeners
        }
        for c in db.reviewer_counts(store, phase.value, members):
            s = per.setdefault(c.reviewer, ReviewerStats(c.reviewer))
            s.assigned, s.screened = c.assigned, c.screened
            s.included, s.excluded, s.maybe = c.included, c.excluded, c.maybe
        ps.double_screened = db.double_screened_count(store, phase.value, members)
        if conflicted:
            for reviewer, n in db.assignee_counts(store, phase.value, conflicted).items():
                per.setdefault(reviewer, ReviewerStats(reviewer)).conflicts = n
        ps.reviewers = [per[n] for n in sorted(per)]
        ps.agreement = phase_agreement(store, phase, state.members[phase])
        result.append(ps)
    return result


def phase_agreement(store: Store, phase: Phase, members: set[int]) -> list[Agreement]:
    """Cohen's kappa per pair of reviewers in a phase, by the one agreement rule
    (:data:`rea.screening_vocab.KAPPA_DEFINITION`), over the phase's works."""
    return agreement(phase, db.standing_votes(store, phase.value), members)


# --- final decisions (for PRISMA and the report) ---------------------------------------------


@dataclass(frozen=True)
class FinalDecision:
    work_id: int
    phase: Phase
    status: Status
    reason: str  # exclusion reason code ('' if none)
    reason_label: str
    resolved: bool


def final_decisions(store: Store, config: ScreeningConfig, phase: Phase) -> list[FinalDecision]:
    """The final status of every work in a phase, with the exclusion reason and its label."""
    state = phase_state(store, config)
    labels = {r.code: r.label for r in config.reasons}
    members = state.members[phase]
    found = state.outcomes[phase]
    out = []
    for w in sorted(members):
        o = found.get(w) or Outcome(w, phase, Status.PENDING)
        out.append(
            FinalDecision(w, phase, o.status, o.reason, labels.get(o.reason, o.reason), o.resolved)
        )
    return out


# --- export and import -----------------------------------------------------------------------

EXPORT_COLUMNS = (
    "work_id",
    "phase",
    "reviewer",
    "decision",
    "reason",
    "note",
    "decided_at",
    "title",
    "year",
    "journal",
    "doi",
    "pmid",
    "sources",
)
FINAL_COLUMNS = ("final_status", "final_reason")


def export_rows(
    store: Store,
    config: ScreeningConfig,
    *,
    phase: Phase | None = None,
    reviewer: str | None = None,
) -> tuple[tuple[str, ...], list[dict[str, object]]]:
    """Rows for a decisions CSV.

    With ``reviewer``: that reviewer's assigned works, with their own decision or blank to fill
    in (never anyone else's decision, nor the final status: blinding). Without: every standing
    decision, with each work's final status.
    """
    rows: list[dict[str, object]] = []
    phases = [phase] if phase else list(Phase)
    if reviewer is not None:
        config.reviewer(reviewer)
    state = phase_state(store, config)
    for p in phases:
        members = state.members[p]
        decisions = [
            d for d in db.current_decisions(store, p.value, reviewer) if d.work_id in members
        ]
        if reviewer is not None:
            mine = {d.work_id: d for d in decisions}
            work_ids = sorted(set(db.reviewer_work_ids(store, p.value, reviewer)) & members)
            titles = db.work_titles(store, work_ids)
            sources = db.sources_of_works(store, work_ids)
            for w in work_ids:
                d = mine.get(w)
                rows.append(
                    {
                        "work_id": w,
                        "phase": p.value,
                        "reviewer": reviewer,
                        "decision": d.decision if d else "",
                        "reason": d.reason if d else "",
                        "note": d.note if d else "",
                        "decided_at": d.decided_at if d else "",
                        **titles.get(w, {}),
                        "sources": "; ".join(sources.get(w, [])),
                    }
                )
            continue
        finals = state.outcomes[p]
        work_ids = sorted({d.work_id for d in decisions})
        titles = db.work_titles(store, work_ids)
        sources = db.sources_of_works(store, work_ids)
        for d in decisions:
            o = finals.get(d.work_id)
            rows.append(
                {
                    "work_id": d.work_id,
                    "phase": p.value,
                    "reviewer": d.reviewer,
                    "decision": d.decision,
                    "reason": d.reason,
                    "note": d.note,
                    "decided_at": d.decided_at,
                    **titles.get(d.work_id, {}),
                    "sources": "; ".join(sources.get(d.work_id, [])),
                    "final_status": o.status.value if o else "",
                    "final_reason": o.reason if o else "",
                }
            )
    columns = EXPORT_COLUMNS if reviewer is not None else EXPORT_COLUMNS + FINAL_COLUMNS
    return columns, rows


def export_csv(
    store: Store,
    config: ScreeningConfig,
    *,
    phase: Phase | None = None,
    reviewer: str | None = None,
) -> str:
    columns, rows = export_rows(store, config, phase=phase, reviewer=reviewer)
    return csv_text(columns, ([row.get(c) for c in columns] for row in rows))


@dataclass(frozen=True)
class ImportResult:
    rows: int  # data rows read
    written: int  # decisions stored
    unchanged: int  # rows equal to the standing decision
    blank: int  # rows without a decision (left to screen)


REQUIRED_IMPORT_COLUMNS = ("work_id", "decision")


def import_csv(
    store: Store,
    config: ScreeningConfig,
    path: Path,
    *,
    phase: Phase | None = None,
    reviewer: str | None = None,
) -> ImportResult:
    """Read a decisions CSV (as written by :func:`export_csv`, or by hand) and store it.

    The whole file is checked first; one bad row refuses the file, naming the row's line, and
    nothing is stored. Columns: work_id, decision (include/exclude/maybe, blank = not decided),
    and phase, reviewer, reason, note (phase and reviewer may come from the options instead).
    A file without a decision column but with ASReview LAB's ``included`` column (1 relevant,
    0 irrelevant, -1 or empty not labelled) is read as include / exclude / not decided.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFormatError("no such file", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"not UTF-8 text: {exc.reason}", where=str(path)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    # ASReview LAB's export keeps the file's columns and adds "included" (1, 0, or empty/-1)
    asreview = "decision" not in header and "included" in header
    needed = ["work_id"] if asreview else list(REQUIRED_IMPORT_COLUMNS)
    if phase is None:
        needed.append("phase")
    if reviewer is None:
        needed.append("reviewer")
    missing = [c for c in needed if c not in header]
    if missing:
        raise ImportFormatError(
            "missing column(s): " + ", ".join(missing),
            where=Location(path, 1),
            hint="the header needs work_id, phase, reviewer, decision (see rea screen export)",
        )
    phase_state(store, config)  # every work assigned before decisions arrive

    requests: list[tuple[int, DecisionRequest]] = []
    seen: dict[tuple[int, str, str], int] = {}
    blank = 0
    n_rows = 0
    with store.transaction() as conn:
        for row in reader:
            line = reader.line_num
            n_rows += 1

            def bad(what: str, column: str | None = None, *, at: int = line) -> ImportFormatError:
                return ImportFormatError(what, where=Location(path, at, field=column))

            if None in row:
                raise bad("more values than columns")
            value = {
                k: from_spreadsheet_cell(v or "").strip() for k, v in row.items() if k is not None
            }
            if asreview:
                included = value.get("included", "")
                if included not in ("", "-1", "0", "1"):
                    raise bad(f"included must be 1, 0, -1 or empty, not {included!r}", "included")
                value["decision"] = {"1": "include", "0": "exclude"}.get(included, "")
            decision_text = value.get("decision", "").lower()
            if not decision_text:
                blank += 1
                continue
            try:
                decision = Decision(decision_text)
            except ValueError:
                raise bad(
                    f"decision must be include, exclude or maybe, not {decision_text!r}",
                    "decision",
                ) from None
            raw_id = value.get("work_id", "")
            if not raw_id.isdigit():
                raise bad(f"work_id must be a number, not {raw_id!r}", "work_id")
            try:
                row_phase = phase or Phase(value.get("phase", ""))
            except ValueError:
                raise bad(
                    f"phase must be title_abstract or full_text, not {value.get('phase')!r}",
                    "phase",
                ) from None
            if phase and value.get("phase") and value["phase"] != phase.value:
                raise bad(f"phase {value['phase']!r} differs from --phase {phase.value}", "phase")
            row_reviewer = value.get("reviewer", "") or (reviewer or "")
            if reviewer and row_reviewer != reviewer:
                raise bad(
                    f"reviewer {row_reviewer!r} differs from --reviewer {reviewer}", "reviewer"
                )
            request = DecisionRequest(
                work_id=int(raw_id),
                phase=row_phase,
                reviewer=row_reviewer,
                decision=decision,
                reason=value.get("reason", ""),
                note=value.get("note", ""),
            )
            key = (request.work_id, row_phase.value, row_reviewer)
            if key in seen:
                raise bad(
                    f"work {request.work_id} has a second decision by {row_reviewer} at "
                    f"{row_phase.label} (first on line {seen[key]})"
                )
            seen[key] = line
            try:
                check_decision(conn, config, request)
            except ReaError as exc:
                raise bad(exc.what) from exc
            requests.append((line, request))
        before = {
            r.work_id: outcome_of(conn, config, r.work_id, Phase.TITLE_ABSTRACT)
            for _, r in requests
            if r.phase is Phase.TITLE_ABSTRACT
        }
        written = 0
        for _, request in requests:
            if write_decision(conn, config, request, via="import") is not None:
                written += 1
        # a file may not take a work out of full text where it has decisions (the whole file
        # is refused, naming the row; nothing is stored)
        for line, request in requests:
            if request.work_id in before:
                try:
                    guard_full_text(
                        conn, config, request.work_id, before.pop(request.work_id),
                        withdraw_later=False, by=request.reviewer,
                        what=f"{request.reviewer}'s {request.decision.value}",
                    )  # fmt: skip
                except ReaError as exc:
                    raise ImportFormatError(exc.what, where=Location(path, line)) from exc
    return ImportResult(n_rows, written, len(requests) - written, blank)
