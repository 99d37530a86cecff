"""One reviewer's screening session: the queue, the work on screen, decide, undo, skip, note.

The queue is read once when the session opens; each keypress then costs one small write and a
few indexed reads (no recomputation over all works), so the next work shows at once even with
tens of thousands of works.

The order of the queue is a seam: :class:`QueueOrder` takes the candidate work ids and returns
them ordered. The default is by work id; prioritised screening plugs its own ordering in and
its name is stored with every decision made in that order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rea.errors import ScreeningError
from rea.screening.config import ScreeningConfig
from rea.screening.model import Decision, Phase, Retrieval, StudyType
from rea.screening.service import (
    DecisionRequest,
    Recorded,
    add_note,
    ensure_assignments,
    phase_state,
    record_decision,
    record_study_type,
    undo_decision,
)
from rea.store import Store
from rea.store import screening as db


@dataclass(frozen=True)
class QueueOrder:
    """How a reviewer's queue is ordered: a name (stored with each decision) and a function
    from the candidate work ids to the same ids in the order to show them."""

    name: str
    order: Callable[[Sequence[int]], list[int]]


def by_work_id(work_ids: Sequence[int]) -> list[int]:
    return sorted(work_ids)


BY_WORK_ID = QueueOrder("id", by_work_id)


@dataclass(frozen=True)
class WorkView:
    """What the screen shows of a work. Another reviewer's decision only when the review is
    not blind (``others``)."""

    work_id: int
    title: str
    authors: tuple[str, ...]
    year: int | None
    journal: str
    abstract: tuple[tuple[str, str], ...]  # (label, text)
    sources: tuple[str, ...]  # "pubmed (2013-2018-all)", …
    doi: str
    pmid: str
    url: str
    notes: tuple[str, ...]  # this reviewer's own notes on the work
    retrieval: str = ""  # full text: sought / not_retrieved / retrieved
    location: str = ""
    study_type: str = ""
    others: tuple[str, ...] = ()  # "MS: exclude (reason)", only when not blind


def load_work_view(
    store: Store, work_id: int, phase: Phase, reviewer: str, *, blind: bool = True
) -> WorkView:
    records = db.work_records(store, work_id)
    if not records:
        raise ScreeningError(f"work {work_id} has no records")
    best = records[0]
    title = next((r.title for r in records if r.title), "")
    authors = next((r.authors for r in records if r.authors), [])
    year = next((r.year for r in records if r.year), None)
    journal = next((r.journal for r in records if r.journal), "")
    sources = sorted({f"{r.source} ({r.stage})" for r in records})
    retrieval, location, study_type = "", "", ""
    if phase is Phase.FULL_TEXT:
        row = db.retrieval_of(store.conn, work_id)
        if row is not None:
            retrieval, location = row.status, row.location
        study_type = db.study_type_of(store.conn, work_id) or ""
    others: list[str] = []
    if not blind:
        for name in db.work_assignees(store.conn, work_id, phase.value):
            d = db.standing_decision(store.conn, work_id, phase.value, name)
            if name != reviewer and d is not None:
                others.append(f"{name}: {d.decision}" + (f" ({d.reason})" if d.reason else ""))
    return WorkView(
        work_id=work_id,
        title=title,
        authors=tuple(f"{f}, {g}" if g else f for f, g in authors),
        year=year,
        journal=journal,
        abstract=tuple(best.abstract),
        sources=tuple(sources),
        doi=next((r.doi for r in records if r.doi), ""),
        pmid=next((r.pmid for r in records if r.pmid), ""),
        url=next((r.url for r in records if r.url), ""),
        notes=tuple(db.notes_of(store, work_id, phase.value, reviewer)),
        retrieval=retrieval,
        location=location,
        study_type=study_type,
        others=tuple(others),
    )


class ScreeningSession:
    """The queue of one reviewer in one phase, and the actions of the screen."""

    via = "screen"  # stored with each decision: where it was made ('web' for rea serve)

    def __init__(
        self,
        store: Store,
        config: ScreeningConfig,
        phase: Phase,
        reviewer: str,
        order: QueueOrder = BY_WORK_ID,
    ) -> None:
        config.screener(reviewer, phase)
        self.store = store
        self.config = config
        self.phase = phase
        self.reviewer = reviewer
        self.order = order
        if phase is Phase.TITLE_ABSTRACT:
            ensure_assignments(store, config, phase)
            assigned = set(db.reviewer_work_ids(store, phase.value, reviewer))
        else:
            members = phase_state(store, config).members[phase]
            assigned = set(db.reviewer_work_ids(store, phase.value, reviewer)) & members
        decided = db.decided_work_ids(store, phase.value, reviewer) & assigned
        # a report recorded as not retrieved cannot be screened: it is listed apart, not queued
        self.not_retrieved: tuple[int, ...] = ()
        if phase is Phase.FULL_TEXT:
            retrieval = db.current_retrievals(store)
            self.not_retrieved = tuple(
                w
                for w in sorted(assigned - decided)
                if w in retrieval and retrieval[w].status == Retrieval.NOT_RETRIEVED.value
            )
        self.total = len(assigned) - len(self.not_retrieved)
        self.done = len(decided)
        waiting = assigned - decided - set(self.not_retrieved)
        self._queue: deque[int] = deque(order.order(sorted(waiting)))
        self._history: list[int] = []  # works decided in this session, for undo
        self.current: WorkView | None = None
        self.advance()

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def not_retrieved_hint(self) -> str:
        """The works left out of the queue because their full text was not retrieved, and the
        command that brings one back ('' when there are none)."""
        if not self.not_retrieved:
            return ""
        shown = ", ".join(str(w) for w in self.not_retrieved[:10])
        more = f" and {len(self.not_retrieved) - 10} more" if len(self.not_retrieved) > 10 else ""
        return (
            f"not queued, full text not retrieved: {shown}{more} (once found: rea fulltext "
            f"WORK retrieved --location PATH --by {self.reviewer})"
        )

    def undo_target(self) -> tuple[int, str, bool]:
        """What ``u`` would withdraw: (work, its decision, whether it was made in this
        session). Raises when there is nothing to undo."""
        if self._history:
            work_id = self._history[-1]
            standing = db.standing_decision(
                self.store.conn, work_id, self.phase.value, self.reviewer
            )
            if standing is not None:
                return work_id, standing.decision, True
        last = db.last_standing_decision(self.store, self.phase.value, self.reviewer)
        if last is None:
            raise ScreeningError("nothing to undo")
        return last.work_id, last.decision, False

    @property
    def last_decided(self) -> int | None:
        """The work decided last in this session (None before the first decision)."""
        return self._history[-1] if self._history else None

    def advance(self) -> WorkView | None:
        """Show the first work of the queue that this reviewer has not decided yet."""
        while self._queue:
            work_id = self._queue[0]
            if db.standing_decision(self.store.conn, work_id, self.phase.value, self.reviewer):
                # decided meanwhile (in another window, or by import): not shown again
                self._queue.popleft()
                self.done += 1
                continue
            self.current = load_work_view(
                self.store, work_id, self.phase, self.reviewer, blind=self.config.blind
            )
            return self.current
        self.current = None
        return None

    def _require_current(self) -> WorkView:
        if self.current is None:
            raise ScreeningError("no work on screen: the queue is done")
        return self.current

    def decide(self, decision: Decision, reason: str = "") -> Recorded:
        """Store the decision on the work on screen and move to the next work."""
        work = self._require_current()
        result = record_decision(
            self.store,
            self.config,
            DecisionRequest(work.work_id, self.phase, self.reviewer, decision, reason),
            via=self.via,
            queue_order=self.order.name,
        )
        self._queue.popleft()
        self.done += 1
        self._history.append(work.work_id)
        self.advance()
        return result

    def undo(self, *, work_id: int | None = None, withdraw_later: bool = False) -> Recorded:
        """Withdraw the last decision (of this session, else the reviewer's latest; or the one
        on ``work_id``, as :meth:`undo_target` showed it) and show that work again.
        ``withdraw_later``: see :func:`rea.screening.service.undo_decision`."""
        if work_id is None:
            work_id = self.undo_target()[0]
        result = undo_decision(
            self.store,
            self.config,
            work_id,
            self.phase,
            self.reviewer,
            via=self.via,
            withdraw_later=withdraw_later,
        )
        if self._history and self._history[-1] == work_id:
            self._history.pop()
        if work_id in self._queue:
            self._queue.remove(work_id)
        self._queue.appendleft(work_id)
        self.done = max(0, self.done - 1)
        self.advance()
        return result

    def skip(self) -> None:
        """Put the work on screen at the end of the queue (for this session only)."""
        if self.current is not None and len(self._queue) > 1:
            self._queue.rotate(-1)
        self.advance()

    def note(self, text: str) -> Recorded:
        work = self._require_current()
        result = add_note(self.store, self.config, work.work_id, self.phase, self.reviewer, text)
        self.current = load_work_view(
            self.store, work.work_id, self.phase, self.reviewer, blind=self.config.blind
        )
        return result

    def set_study_type(self, study_type: StudyType, work_id: int | None = None) -> Recorded:
        target = work_id if work_id is not None else self._require_current().work_id
        return record_study_type(self.store, self.config, target, study_type, by=self.reviewer)

    def reorder(self, order: QueueOrder | None = None) -> None:
        """Order the rest of the queue again (e.g. after a ranking model learnt more)."""
        if order is not None:
            self.order = order
        self._queue = deque(self.order.order(list(self._queue)))
        self.advance()
