"""Use cases of ``rea serve``: personal links, and what each reviewer may see and do in the
browser, with blinding decided here, on the server.

A reviewer acts only as themselves (the reviewer of their link). Nothing returned to a reviewer
depends on another reviewer's decision on a work that is not reconciled yet: a screener sees
their own decisions, each work's final status, agreement over works both reviewers decided,
and a recall curve and stopping figures drawn from final statuses and their own decisions only.
The adjudicator sees both decisions of a work once it is a conflict (every assigned reviewer
has decided).

Screening goes through the same sessions and actions as the terminal screen
(:func:`rea.pipeline.screening.open_screen`): one session per reviewer and phase, kept while
the server runs, used by one request at a time.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rea.config import ReviewPaths
from rea.errors import LaterPhaseDecisions, NotFound, ReaError, ScreeningError
from rea.pipeline.ranking import RankedSession, load_ranking_settings
from rea.pipeline.screening import ScreenContext, highlight_terms, open_screen
from rea.ranking.stopping import StoppingReport, assess
from rea.screening import (
    Agreement,
    Decision,
    DecisionRequest,
    Phase,
    PhaseState,
    Recorded,
    Retrieval,
    Reviewer,
    ScreeningConfig,
    Status,
    StudyType,
    WorkView,
    load_screening_config,
    phase_state,
    record_decision,
    resolve,
    stats,
    term_pattern,
)
from rea.screening.session import load_work_view
from rea.store import Store, open_store
from rea.store import ranking as rdb
from rea.store import screening as sdb
from rea.store import web as wdb

TOKEN_BYTES = 32
DEFAULT_URL = "http://127.0.0.1:8765"


def hash_token(token: str) -> str:
    """The hex SHA-256 of a link's token: all the store keeps of it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        return ""


# --- links -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    reviewer: str
    url: str
    revoked: int  # earlier links of the reviewer revoked by this one


def invite(paths: ReviewPaths, reviewer: str, *, base_url: str = DEFAULT_URL) -> Invitation:
    """A new personal link for ``reviewer`` (a reviewer of screening.toml). The reviewer's
    earlier links stop working: one link per reviewer."""
    config = load_screening_config(paths.screening)
    config.reviewer(reviewer)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ReaError(
            f"the server's address must be an http:// or https:// URL, not {base_url!r}",
            hint="e.g. --url https://screening.example.org",
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with open_store(paths.store, create=False) as store, store.transaction() as conn:
        revoked = wdb.revoke_tokens(conn, reviewer, by=_who())
        wdb.insert_token(conn, token_hash=hash_token(token), reviewer=reviewer, by=_who())
    return Invitation(reviewer, f"{base_url.rstrip('/')}/login/{token}", revoked)


def revoke(paths: ReviewPaths, reviewer: str) -> int:
    """Revoke every link of ``reviewer``; returns how many were still valid."""
    with open_store(paths.store, create=False) as store, store.transaction() as conn:
        return wdb.revoke_tokens(conn, reviewer, by=_who())


def links(paths: ReviewPaths) -> list[wdb.TokenRow]:
    with open_store(paths.store, create=False) as store:
        return wdb.tokens(store)


# --- what the pages show -----------------------------------------------------------------------


@dataclass(frozen=True)
class Highlighter:
    """Cuts text into runs: '' plain, 'term' a search term, 'exclusion' an exclusion word."""

    terms: re.Pattern[str] | None
    exclusions: re.Pattern[str] | None

    def runs(self, text: str) -> list[tuple[str, str]]:
        if not text:
            return []
        spans: list[tuple[int, int, str]] = []
        for kind, pattern in (("exclusion", self.exclusions), ("term", self.terms)):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                if m.end() > m.start() and not any(
                    m.start() < e and s < m.end() for s, e, _ in spans
                ):
                    spans.append((m.start(), m.end(), kind))
        out: list[tuple[str, str]] = []
        pos = 0
        for start, end, kind in sorted(spans):
            if start > pos:
                out.append(("", text[pos:start]))
            out.append((kind, text[start:end]))
            pos = end
        if pos < len(text):
            out.append(("", text[pos:]))
        return out


@dataclass(frozen=True)
class FullText:
    """Where a work's full text stands: retrieval state and where it is kept."""

    state: str  # '' (not sought yet), sought, not_retrieved, retrieved
    location: str
    link: str  # a URL to open it ('' when it cannot be opened from the browser)
    study_type: str


@dataclass(frozen=True)
class Question:
    """What the page must ask before an action goes ahead ('earlier': undo a decision from an
    earlier session; 'later': withdraw the work's full-text decisions with it)."""

    kind: str
    work_id: int
    text: str


@dataclass(frozen=True)
class WorkPage:
    """The data of the screening page: the work on screen (None when the queue is done), the
    reviewer's progress, and the message of the last action."""

    phase: Phase
    reviewer: str
    work: WorkView | None
    done: int
    total: int
    full_text: FullText | None = None
    message: str = ""
    last_decided: int | None = None
    written: bool = False  # the action stored a new row (False: unchanged, or a read)
    question: Question | None = None  # asked before the action goes ahead


def fulltext_link(paths: ReviewPaths, work_id: int, location: str) -> str:
    """How the browser opens a stored full text: its http(s) URL, the server's route for a file
    inside the review folder, or '' (a file elsewhere is not served)."""
    if not location:
        return ""
    if urlsplit(location).scheme in ("http", "https"):
        return location
    return f"/fulltext/{work_id}" if fulltext_path(paths, location) is not None else ""


def fulltext_path(paths: ReviewPaths, location: str) -> Path | None:
    """The file of a stored full text when it lies inside the review folder, else None."""
    if not location or urlsplit(location).scheme not in ("", "file"):
        return None
    raw = Path(urlsplit(location).path if location.startswith("file:") else location)
    root = paths.root.resolve()
    candidate = (raw if raw.is_absolute() else root / raw).resolve()
    if not candidate.is_file() or not candidate.is_relative_to(root):
        return None
    return candidate


# --- sessions ----------------------------------------------------------------------------------


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    context: ScreenContext | None = None


@dataclass(frozen=True)
class ConflictView:
    work: WorkView
    kind: str  # disagree, maybe, reasons
    decisions: tuple[wdb.WorkDecisionRow, ...]
    notes: tuple[tuple[str, str], ...]  # (reviewer, note)


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer: str
    assigned: int
    screened: int
    remaining: int
    # the viewer's own split only (another reviewer's would reveal their decisions)
    included: int | None = None
    excluded: int | None = None
    maybe: int | None = None


@dataclass(frozen=True)
class PhaseProgress:
    phase: Phase
    works: int
    included: int
    excluded: int
    pending: int
    conflicts: int
    resolved: int
    reviewers: tuple[ReviewerProgress, ...]
    agreement: tuple[Agreement, ...]
    stopping: StoppingReport
    curve: tuple[tuple[int, int], ...]  # (works screened, includes found), from the start
    stop: rdb.StopRow | None = None  # the recorded decision to stop screening the phase


class WebReview:
    """One review served to its reviewers: settings, a store connection per thread for the
    pages, and one screening session per reviewer and phase."""

    def __init__(self, paths: ReviewPaths) -> None:
        self.paths = paths
        self.config: ScreeningConfig = load_screening_config(paths.screening)
        open_store(paths.store, create=False).close()  # exists, and migrated
        terms, self.warning = highlight_terms(paths, self.config)
        exclusions = term_pattern(self.config.exclusion_words)
        self.highlighter = Highlighter(term_pattern(terms), exclusions)
        self._local = threading.local()
        self._stores: list[Store] = []
        self._slots: dict[tuple[str, Phase], _Slot] = {}
        self._guard = threading.Lock()

    # --- plumbing ---

    def store(self) -> Store:
        """This thread's connection to the store (opened on first use)."""
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            # closed by close() on the server's thread at shutdown
            store = open_store(self.paths.store, create=False, threads=True)
            self._local.store = store
            with self._guard:
                self._stores.append(store)
        return store

    def close(self) -> None:
        with self._guard:
            slots = list(self._slots.values())
            stores = list(self._stores)
        for slot in slots:
            with slot.lock:
                if slot.context is not None:
                    slot.context.close()
                    slot.context = None
        for store in stores:
            store.close()

    def reviewer_of(self, token: str) -> Reviewer | None:
        """The reviewer of a valid link's token (None: unknown, revoked, or no longer a
        reviewer in screening.toml)."""
        if not token or len(token) > 200:
            return None
        name = wdb.reviewer_of_token(self.store().conn, hash_token(token))
        if name is None:
            return None
        return next((r for r in self.config.reviewers if r.name == name), None)

    def phases_of(self, reviewer: str) -> list[Phase]:
        """The phases in which ``reviewer`` screens."""
        return [p for p in Phase if reviewer in self.config.phases[p].screeners]

    @contextmanager
    def _session(
        self, reviewer: str, phase: Phase, *, fresh: bool = False
    ) -> Iterator[ScreenContext]:
        """The reviewer's session in the phase, held by this request alone."""
        self.config.screener(reviewer, phase)
        with self._guard:
            slot = self._slots.setdefault((reviewer, phase), _Slot())
        with slot.lock:
            if fresh and slot.context is not None:
                slot.context.close()
                slot.context = None
            if slot.context is None:
                slot.context = open_screen(self.paths, phase, reviewer, threads=True)
                slot.context.session.via = "web"
            yield slot.context

    def _page(
        self,
        context: ScreenContext,
        message: str = "",
        result: Recorded | None = None,
        *,
        question: Question | None = None,
    ) -> WorkPage:
        s = context.session
        if isinstance(s, RankedSession):
            s.refresh()
        work = s.current
        full = None
        if work is not None and s.phase is Phase.FULL_TEXT:
            full = FullText(
                work.retrieval,
                work.location,
                fulltext_link(self.paths, work.work_id, work.location),
                work.study_type,
            )
        written = result is not None and result.row_id is not None
        return WorkPage(
            s.phase, s.reviewer, work, s.done, s.total, full, message, s.last_decided, written,
            question,
        )  # fmt: skip

    # --- screening ---

    def current(self, reviewer: str, phase: Phase, *, fresh: bool = False) -> WorkPage:
        """The work on the reviewer's screen. ``fresh`` reopens the queue (a page load): works
        added or promoted since are then in it. An empty queue is always looked at again."""
        with self._session(reviewer, phase, fresh=fresh) as context:
            if context.session.current is not None or fresh:
                return self._page(context)
        with self._session(reviewer, phase, fresh=True) as context:
            return self._page(context)

    def decide(
        self, reviewer: str, phase: Phase, work_id: int, decision: Decision, reason: str = ""
    ) -> WorkPage:
        """Store the reviewer's decision on ``work_id`` and return the next work.

        The work must be in the reviewer's queue in that phase. The work on screen is decided
        through the session (so undo and the ranking learn of it); another work of the queue
        (a second browser tab) is decided directly and the session skips it."""
        with self._session(reviewer, phase) as context:
            s = context.session
            self._require_assigned(work_id, phase, reviewer)
            with self._blind_refusals():
                if s.current is not None and s.current.work_id == work_id:
                    result = s.decide(decision, reason)
                else:
                    result = record_decision(
                        context.store,
                        context.config,
                        DecisionRequest(work_id, phase, reviewer, decision, reason),
                        via="web",
                    )
                    s.advance()
            return self._page(context, result.message, result)

    def undo(
        self,
        reviewer: str,
        phase: Phase,
        *,
        work_id: int | None = None,
        confirmed: bool = False,
        withdraw_later: bool = False,
    ) -> WorkPage:
        """Withdraw the reviewer's last decision, as the terminal's ``u`` does: one made in
        this session at once; one from an earlier session only once confirmed (the answer then
        carries a question naming the work and the decision); one whose work went on to full
        text only with ``withdraw_later`` (asked for the same way). ``work_id`` is the work the
        question named: if the last decision changed meanwhile the undo is refused."""
        with self._session(reviewer, phase) as context:
            s = context.session
            target, decision, this_session = s.undo_target()
            if work_id is not None and work_id != target:
                raise ScreeningError(
                    f"your last decision is now on work {target}, not work {work_id}",
                    hint="press u again",
                )
            if not this_session and not confirmed:
                title = sdb.work_titles(context.store, [target]).get(target, {}).get("title", "")
                question = Question(
                    "earlier",
                    target,
                    f"Undo your decision from an earlier session? Work {target}: {title} "
                    f"(your decision: {decision})",
                )
                return self._page(context, question=question)
            try:
                with self._blind_refusals():
                    result = s.undo(work_id=target, withdraw_later=withdraw_later)
            except LaterPhaseDecisions as exc:
                question = Question("later", target, f"{exc.what}. Withdraw those too?")
                return self._page(context, question=question)
            return self._page(context, result.message, result)

    @contextmanager
    def _blind_refusals(self) -> Iterator[None]:
        """A refusal naming a work's full-text decisions names whose and which they are: in a
        blind review the reviewer is told only that there are some (kept in the audit trail)."""
        try:
            yield
        except LaterPhaseDecisions as exc:
            if not self.config.blind:
                raise
            work = re.search(r"work (\d+)", exc.what)
            which = f"work {work.group(1)}" if work else "the work"
            raise LaterPhaseDecisions(
                f"this change would take {which} out of full text, where it already has "
                "decisions (withdrawn with it they stay in the audit trail)",
                hint="withdraw them with this change, or leave the decision as it is",
            ) from None

    def skip(self, reviewer: str, phase: Phase, work_id: int) -> WorkPage:
        with self._session(reviewer, phase) as context:
            s = context.session
            if s.current is None or s.current.work_id != work_id:
                raise ScreeningError(
                    f"work {work_id} is not the work on your screen",
                    hint="reload the page to see your queue as it is now",
                )
            s.skip()
            return self._page(context, f"work {work_id} skipped, it comes back at the end")

    def note(self, reviewer: str, phase: Phase, work_id: int, text: str) -> WorkPage:
        with self._session(reviewer, phase) as context:
            s = context.session
            if s.current is None or s.current.work_id != work_id:
                raise ScreeningError(
                    f"work {work_id} is not the work on your screen",
                    hint="reload the page to see your queue as it is now",
                )
            result = s.note(text)
            return self._page(context, result.message, result)

    def study_type(self, reviewer: str, work_id: int, study_type: StudyType) -> WorkPage:
        phase = Phase.FULL_TEXT
        with self._session(reviewer, phase) as context:
            self._require_assigned(work_id, phase, reviewer)
            result = context.session.set_study_type(study_type, work_id)
            return self._page(context, result.message, result)

    def _require_assigned(self, work_id: int, phase: Phase, reviewer: str) -> None:
        conn = self.store().conn
        if not sdb.work_exists(conn, work_id):
            raise NotFound(f"no work {work_id} in this review")
        if not wdb.is_assigned(conn, work_id, phase.value, reviewer):
            raise ScreeningError(f"work {work_id} is not in your queue at {phase.label}")

    # --- my decisions ---

    def own_decisions(
        self,
        reviewer: str,
        *,
        phase: Phase | None = None,
        decision: str | None = None,
        reason: str | None = None,
        query: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[int, list[wdb.OwnDecisionRow]]:
        self.config.reviewer(reviewer)
        if decision is not None and decision not in {d.value for d in Decision}:
            raise ScreeningError(f"unknown decision {decision!r}")
        return wdb.own_decisions(
            self.store(),
            reviewer,
            phase=phase.value if phase else None,
            decision=decision,
            reason=reason,
            query=query,
            limit=per_page,
            offset=(max(page, 1) - 1) * per_page,
        )

    def change_decision(
        self,
        reviewer: str,
        phase: Phase,
        work_id: int,
        decision: Decision,
        *,
        reason: str = "",
        note: str = "",
        withdraw_later: bool = False,
    ) -> Recorded:
        """A new decision of the reviewer on one of their works (a new row in the log).
        ``withdraw_later``: a title/abstract change that takes the work out of full text
        withdraws its full-text decisions too (else it is refused, naming them)."""
        self._require_assigned(work_id, phase, reviewer)
        request = DecisionRequest(work_id, phase, reviewer, decision, reason, note)
        with self._session(reviewer, phase) as context:
            with self._blind_refusals():
                result = record_decision(
                    context.store, context.config, request, via="web", withdraw_later=withdraw_later
                )
            context.session.advance()
        return result

    # --- conflicts ---

    def require_adjudicator(self, name: str) -> Reviewer:
        reviewer = self.config.reviewer(name)
        if not reviewer.adjudicates:
            raise ScreeningError(f"{name} is not an adjudicator of this review")
        return reviewer

    def conflicts(self, adjudicator: str, phase: Phase) -> list[ConflictView]:
        """The open conflicts of a phase, each with every decision, reason and note."""
        from rea.screening import conflicts as find_conflicts

        self.require_adjudicator(adjudicator)
        store = self.store()
        out = []
        for c in find_conflicts(store, self.config, phase):
            decisions = wdb.work_standing_decisions(store.conn, c.work_id, phase.value)
            out.append(
                ConflictView(
                    work=load_work_view(store, c.work_id, phase, adjudicator, blind=True),
                    kind=c.kind,
                    decisions=tuple(decisions),
                    notes=tuple(wdb.work_notes(store.conn, c.work_id, phase.value)),
                )
            )
        return out

    def resolve(
        self,
        adjudicator: str,
        phase: Phase,
        work_id: int,
        decision: Decision,
        *,
        reason: str = "",
        note: str = "",
    ) -> Recorded:
        """The adjudicator's resolution of a conflict (a work without one is refused by the
        screening rules; the browser offers no override)."""
        self.require_adjudicator(adjudicator)
        store = self.store()
        return resolve(
            store, self.config, work_id, phase, decision, adjudicator, reason=reason, note=note
        )

    # --- progress ---

    def progress(self, viewer: str) -> list[PhaseProgress]:
        """Progress per phase and reviewer as ``viewer`` may see it (see the module's doc)."""
        self.config.reviewer(viewer)
        store = self.store()
        settings = load_ranking_settings(self.paths.screening)
        state = phase_state(store, self.config)
        out = []
        for ps in stats(store, self.config):
            reviewers = tuple(
                ReviewerProgress(
                    r.reviewer,
                    r.assigned,
                    r.screened,
                    r.remaining,
                    *((r.included, r.excluded, r.maybe) if r.reviewer == viewer else ()),
                )
                for r in ps.reviewers
            )
            history, works = self._blind_history(store, state, ps.phase, viewer)
            stopping = assess(
                history,
                works,
                recall_target=settings.recall_target,
                confidence=settings.confidence,
                run_length=settings.consecutive_excludes,
            )
            found, curve = 0, [(0, 0)]
            for i, included in enumerate(history, 1):
                found += included
                curve.append((i, found))
            out.append(
                PhaseProgress(
                    ps.phase,
                    ps.works,
                    ps.included,
                    ps.excluded,
                    ps.pending,
                    ps.conflicts,
                    ps.resolved,
                    reviewers,
                    tuple(ps.agreement),
                    stopping,
                    tuple(curve),
                    rdb.current_stop(store, ps.phase.value),
                )
            )
        return out

    def _blind_history(
        self, store: Store, state: PhaseState, phase: Phase, viewer: str
    ) -> tuple[list[bool], int]:
        """The phase's works in the order first decided, labelled by final status, else by the
        viewer's own standing decision; works with neither are left out (their only decision
        is another reviewer's, not reconciled yet)."""
        found = state.outcomes[phase]
        finals = {
            w: found[w].status if w in found else Status.PENDING for w in state.members[phase]
        }
        own = {
            w: d
            for (w, who), (d, _reason) in sdb.standing_decisions(store, phase.value).items()
            if who == viewer
        }
        seen: set[int] = set()
        labels: list[bool] = []
        for work, _who, decision in rdb.decisions_in_order(store, phase.value):
            if work in seen or work not in finals or decision == "undo":
                continue
            status = finals[work]
            if status is Status.INCLUDED or status is Status.EXCLUDED:
                label = status is Status.INCLUDED
            elif work in own:
                label = self.config.counts_as_include(Decision(own[work]))
            else:
                continue
            seen.add(work)
            labels.append(label)
        return labels, len(finals)

    # --- full texts ---

    def fulltext_file(self, reviewer: str, work_id: int) -> Path:
        """The stored full text of a work in the reviewer's full-text queue (or the
        adjudicator's), when it is a file inside the review folder."""
        store = self.store()
        if not sdb.work_exists(store.conn, work_id):
            raise NotFound(f"no work {work_id} in this review")
        me = self.config.reviewer(reviewer)
        if not me.adjudicates and not wdb.is_assigned(
            store.conn, work_id, Phase.FULL_TEXT.value, reviewer
        ):
            raise ScreeningError(f"work {work_id} is not in your queue at full text")
        row = sdb.retrieval_of(store.conn, work_id)
        if row is None or row.status != Retrieval.RETRIEVED.value:
            raise NotFound(f"no full text of work {work_id} is stored")
        path = fulltext_path(self.paths, row.location)
        if path is None:
            raise NotFound(
                f"the full text of work {work_id} is not a file inside the review folder",
                hint=f"it was recorded at {row.location}",
            )
        return path
