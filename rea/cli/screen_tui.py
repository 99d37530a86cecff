"""The interactive screening screen (prompt_toolkit): one work at a time, one key per decision.

Keys: i include · e exclude (then a reason) · m maybe · n note · u undo · s skip · ? help · q quit.
Every decision is stored (committed) the moment its key is pressed; quitting or a crash loses
nothing but the decision being typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.filters import Condition
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import ConditionalContainer, HSplit, Layout, Window
from prompt_toolkit.layout.controls import BufferControl, FormattedTextControl
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from rea.errors import LaterPhaseDecisions, ReaError
from rea.pipeline.screening import REASON_KEYS, ScreenContext
from rea.screening import Decision, Phase, ScreeningSession, StudyType, WorkView, highlight

STYLE = Style.from_dict(
    {
        "progress": "bold",
        "bar": "ansigreen",
        "title": "bold",
        "meta": "ansibrightblack",
        "label": "bold ansicyan",
        "hl": "reverse bold ansiyellow",
        "ok": "ansigreen",
        "error": "bold ansired",
        "keys": "reverse",
        "note": "ansimagenta",
    }
)

MAX_AUTHORS = 6
BAR_WIDTH = 30


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = 0 if total == 0 else round(width * done / total)
    return "█" * filled + "░" * (width - filled)


def render_work(
    view: WorkView | None,
    *,
    done: int,
    total: int,
    pattern: re.Pattern[str] | None,
    phase: Phase,
    reviewer: str,
) -> StyleAndTextTuples:
    """The screen body for a work: progress, title, authors, year, journal, sources, abstract
    with the search terms highlighted."""
    out: StyleAndTextTuples = []
    shown = min(done + 1, total) if view is not None else done
    percent = 0 if total == 0 else 100 * done // total
    out.append(("class:progress", f"{reviewer} · {phase.label} · {shown} of {total} "))
    out.append(("class:bar", progress_bar(done, total)))
    out.append(("class:progress", f" {percent}%\n\n"))
    if view is None:
        out.append(("class:ok", "All works in your queue are screened. "))
        out.append(("", "Press u to undo a decision (you will see which first), q to quit.\n"))
        return out
    for is_term, piece in highlight(view.title or "(no title)", pattern):
        out.append(("class:hl class:title" if is_term else "class:title", piece))
    out.append(("", "\n"))
    authors = "; ".join(view.authors[:MAX_AUTHORS])
    if len(view.authors) > MAX_AUTHORS:
        authors += f"; … ({len(view.authors)} authors)"
    out.append(("class:meta", (authors or "(no authors)") + "\n"))
    year = str(view.year) if view.year else "n.d."
    out.append(("class:meta", f"{year} · {view.journal or '(no journal)'}\n"))
    ids = [f"work {view.work_id}"]
    if view.pmid:
        ids.append(f"PMID {view.pmid}")
    if view.doi:
        ids.append(f"doi:{view.doi}")
    out.append(("class:meta", " · ".join(ids) + "\n"))
    out.append(("class:label", "Found by: "))
    out.append(("", ", ".join(view.sources) + "\n"))
    if phase is Phase.FULL_TEXT:
        out.append(("class:label", "Full text: "))
        where = f" {view.location}" if view.location else ""
        out.append(("", f"{view.retrieval or 'not yet sought'}{where}"))
        if view.study_type:
            out.append(("", f" · study type: {view.study_type}"))
        out.append(("", "\n"))
    out.append(("", "\n"))
    if not view.abstract:
        out.append(("class:meta", "(no abstract)\n"))
    for label, text in view.abstract:
        if label:
            out.append(("class:label", f"{label}: "))
        for is_term, piece in highlight(text, pattern):
            out.append(("class:hl" if is_term else "", piece))
        out.append(("", "\n"))
    for other in view.others:
        out.append(("class:meta", f"\nOther reviewer (review not blind): {other}"))
    for note in view.notes:
        out.append(("class:note", f"\nYour note: {note}"))
    return out


_PIECES = re.compile(r"(\n|[^\S\n]+)")


def wrap_rows(fragments: StyleAndTextTuples, width: int) -> list[StyleAndTextTuples]:
    """Styled text word-wrapped into screen rows of at most ``width`` characters."""
    width = max(width, 10)
    rows: list[StyleAndTextTuples] = [[]]
    used = 0
    for style, text, *_ in fragments:
        for piece in _PIECES.split(text):
            if not piece:
                continue
            if piece == "\n":
                rows.append([])
                used = 0
                continue
            if used + len(piece) > width and used > 0:
                rows.append([])
                used = 0
                if piece.isspace():
                    continue  # no blank at the start of a wrapped row
            while len(piece) > width:  # a word longer than a row
                rows[-1].append((style, piece[:width]))
                rows.append([])
                piece = piece[width:]
            rows[-1].append((style, piece))
            used += len(piece)
    return rows


class ScreenApp:
    """The prompt_toolkit application around a :class:`ScreeningSession`."""

    def __init__(
        self,
        context: ScreenContext,
        pattern: re.Pattern[str] | None,
        *,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        self.context = context
        self.session: ScreeningSession = context.session
        self.pattern = pattern
        self.mode = "work"  # work | reason | note | help | study_type | confirm
        # a confirmation asked for: what to show, and what 'y' does
        self.confirm: tuple[str, Callable[[], str]] | None = None
        hint = context.session.not_retrieved_hint()
        self.message: tuple[str, str] = ("", context.warning or hint or "Press ? for help.")
        self.reasons = context.config.reasons_for(self.session.phase)
        self.reason_required = context.config.phases[self.session.phase].reason_required
        self.pending_study_type: int | None = None
        self.note_buffer = Buffer(multiline=False)
        self.scroll = 0  # rows of the work scrolled off the top
        self.page = 10
        self.shown_work: int | None = None
        self.app: Application[None] = Application(
            layout=self._layout(),
            key_bindings=self._bindings(),
            style=STYLE,
            full_screen=True,
            mouse_support=False,
            input=input,
            output=output,
        )

    # --- drawing ---------------------------------------------------------------------------

    def body(self) -> StyleAndTextTuples:
        if self.mode == "help":
            return self._help()
        if self.mode == "confirm" and self.confirm is not None:
            return [
                ("class:title", self.confirm[0] + "\n\n"),
                ("", "  y  yes\n  n  no (nothing changes)\n"),
            ]
        if self.mode == "reason":
            return self._reason_menu()
        if self.mode == "study_type":
            return [
                ("class:title", "Study type of the work just included?\n\n"),
                ("", "  r  review\n  p  primary study\n  g  grey literature\n\n"),
                ("class:meta", "Enter: decide later (rea study-type WORK TYPE)\n"),
            ]
        s = self.session
        fragments = render_work(
            s.current,
            done=s.done,
            total=s.total,
            pattern=self.pattern,
            phase=s.phase,
            reviewer=s.reviewer,
        )
        if s.current is None and s.not_retrieved:
            fragments.append(("class:meta", s.not_retrieved_hint() + "\n"))
        shown = s.current.work_id if s.current else None
        if shown != self.shown_work:
            self.shown_work, self.scroll = shown, 0
        size = self.app.output.get_size()
        return self._fit(fragments, size.rows - 2 - (self.mode == "note"), size.columns - 1)

    def _fit(self, fragments: StyleAndTextTuples, height: int, width: int) -> StyleAndTextTuples:
        """The rows that fit the screen: the progress line stays, the rest scrolls."""
        rows = wrap_rows(fragments, width)
        while len(rows) > 2 and not rows[-1]:
            rows.pop()
        head, rest = rows[:2], rows[2:]
        room = max(height - len(head), 3)
        if len(rest) <= room:
            self.scroll = 0
            shown = rest
        else:
            room -= 1  # a row for the scroll hint
            self.page = max(1, room - 2)
            self.scroll = max(0, min(self.scroll, len(rest) - room))
            shown = rest[self.scroll : self.scroll + room]
            last = self.scroll + len(shown)
            more = "space: more" if last < len(rest) else "end"
            back = " · b: back" if self.scroll else ""
            shown = [*shown, [("class:keys", f" rows {last} of {len(rest)} · {more}{back} ")]]
        out: StyleAndTextTuples = []
        for i, row in enumerate([*head, *shown]):
            if i:
                out.append(("", "\n"))
            out.extend(row)
        return out

    def _help(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = [("class:title", "Keys\n")]
        out.append(
            (
                "",
                "  i  include\n  e  exclude (then pick a reason)\n  m  maybe\n"
                "  n  write a note on this work\n  u  undo your last decision\n"
                "  s  skip (show it again later)\n  space / b  scroll a long abstract\n"
                "  ?  this help\n  q  quit\n\n",
            )
        )
        criteria = self.context.config.criteria
        if criteria:
            out.append(("class:title", "Eligibility criteria\n"))
            out.extend(("", f"  - {c}\n") for c in criteria)
            out.append(("", "\n"))
        out.append(("class:title", f"Exclusion reasons at {self.session.phase.label}\n"))
        out.extend(("", f"  {r.code}: {r.label}\n") for r in self.reasons)
        if self.context.config.maybe_counts_as_include:
            out.append(("class:meta", "\nA maybe counts as include in this review.\n"))
        out.append(("class:meta", "\nPress any key to go back.\n"))
        return out

    def _reason_menu(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = [("class:title", "Exclude: why?\n\n")]
        for key, reason in zip(REASON_KEYS, self.reasons, strict=False):
            out.append(("class:label", f"  {key}  "))
            out.append(("", f"{reason.label} ({reason.code})\n"))
        out.append(("", "\n"))
        if not self.reason_required:
            out.append(("class:meta", "Enter: exclude without a reason · "))
        out.append(("class:meta", "Esc: cancel\n"))
        return out

    def status(self) -> StyleAndTextTuples:
        style, text = self.message
        return [(f"class:{style}" if style else "", text)]

    def keys_line(self) -> StyleAndTextTuples:
        if self.mode == "note":
            return [("class:keys", " note: Enter saves · Esc cancels ")]
        return [
            (
                "class:keys",
                " i include · e exclude · m maybe · n note · u undo · s skip · ? help · q quit ",
            )
        ]

    def _layout(self) -> Layout:
        in_note = Condition(lambda: self.mode == "note")
        note_window = Window(BufferControl(buffer=self.note_buffer), height=1)
        self.note_window = note_window
        self.body_window = Window(FormattedTextControl(self.body, focusable=True), wrap_lines=True)
        return Layout(
            HSplit(
                [
                    self.body_window,
                    Window(FormattedTextControl(self.status), height=1),
                    ConditionalContainer(note_window, filter=in_note),
                    Window(FormattedTextControl(self.keys_line), height=1),
                ]
            ),
            focused_element=self.body_window,
        )

    # --- actions ---------------------------------------------------------------------------

    def _run(self, action: Callable[[], str]) -> None:
        try:
            self.message = ("ok", action())
        except ReaError as exc:
            self.message = ("error", f"Error: {exc.message()}")

    def _decide(self, decision: Decision, reason: str = "") -> None:
        def act() -> str:
            result = self.session.decide(decision, reason)
            if (
                self.session.phase is Phase.FULL_TEXT
                and decision is not Decision.EXCLUDE
                and result.row_id is not None
            ):
                self.pending_study_type = self.session.last_decided
                self.mode = "study_type"
            return result.message

        self._run(act)

    def _ask(self, question: str, action: Callable[[], str]) -> None:
        self.confirm = (question, action)
        self.mode = "confirm"

    def _undo(self) -> None:
        """``u``: undo the decision made last in this session at once; a decision from an
        earlier session only once the screen has shown which work and decision it is; and one
        whose work went on to full text only with a confirmation that withdraws those too."""
        s = self.session
        try:
            work_id, decision, this_session = s.undo_target()
        except ReaError as exc:
            self.message = ("error", f"Error: {exc.message()}")
            return

        def cascade(exc: LaterPhaseDecisions) -> None:
            self._ask(
                f"{exc.what}.\nWithdraw those full-text decisions too (kept in the audit trail)?",
                lambda: s.undo(work_id=work_id, withdraw_later=True).message,
            )

        def undo() -> str:
            return s.undo(work_id=work_id).message

        if not this_session:
            title = str(db_title(s, work_id))[:90]
            self._ask(
                f"Undo your decision from an earlier session?\nwork {work_id}: {title}\n"
                f"your decision: {decision}",
                lambda: self._undo_or_ask(undo, cascade),
            )
            return
        self._run(lambda: self._undo_or_ask(undo, cascade))

    def _undo_or_ask(
        self, undo: Callable[[], str], cascade: Callable[[LaterPhaseDecisions], None]
    ) -> str:
        try:
            return undo()
        except LaterPhaseDecisions as exc:
            cascade(exc)
            return "the work went on to full text: confirm, or press n"

    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()
        on_work = Condition(lambda: self.mode == "work")
        has_work = Condition(lambda: self.mode == "work" and self.session.current is not None)
        in_reason = Condition(lambda: self.mode == "reason")
        in_note = Condition(lambda: self.mode == "note")
        in_help = Condition(lambda: self.mode == "help")
        in_type = Condition(lambda: self.mode == "study_type")
        in_confirm = Condition(lambda: self.mode == "confirm")

        @kb.add("i", filter=has_work)
        def _include(event: KeyPressEvent) -> None:
            self._decide(Decision.INCLUDE)

        @kb.add("m", filter=has_work)
        def _maybe(event: KeyPressEvent) -> None:
            self._decide(Decision.MAYBE)

        @kb.add("e", filter=has_work)
        def _exclude(event: KeyPressEvent) -> None:
            self.mode = "reason"
            self.message = ("", "Pick a reason.")

        @kb.add("n", filter=has_work)
        def _note(event: KeyPressEvent) -> None:
            self.mode = "note"
            self.note_buffer.reset()
            event.app.layout.focus(self.note_window)

        @kb.add("u", filter=on_work)
        def _undo(event: KeyPressEvent) -> None:
            self._undo()

        @kb.add("<any>", filter=in_confirm)
        def _confirm(event: KeyPressEvent) -> None:
            key = event.key_sequence[0].key
            asked, self.confirm = self.confirm, None
            self.mode = "work"
            if key in ("y", "Y") and asked is not None:
                self._run(asked[1])
            else:
                self.message = ("", "nothing undone")

        @kb.add("s", filter=has_work)
        def _skip(event: KeyPressEvent) -> None:
            skipped = self.session.current.work_id if self.session.current else 0
            self.session.skip()
            self.message = ("", f"work {skipped} skipped, it comes back at the end")

        @kb.add(" ", filter=has_work)
        @kb.add("pagedown", filter=has_work)
        def _down(event: KeyPressEvent) -> None:
            self.scroll += self.page

        @kb.add("b", filter=has_work)
        @kb.add("pageup", filter=has_work)
        def _up(event: KeyPressEvent) -> None:
            self.scroll = max(0, self.scroll - self.page)

        @kb.add("?", filter=on_work)
        def _help(event: KeyPressEvent) -> None:
            self.mode = "help"

        @kb.add("q", filter=on_work)
        @kb.add("c-c")
        @kb.add("c-d")
        def _quit(event: KeyPressEvent) -> None:
            event.app.exit()

        @kb.add("<any>", filter=in_help)
        def _back(event: KeyPressEvent) -> None:
            self.mode = "work"

        @kb.add("<any>", filter=in_reason)
        def _reason(event: KeyPressEvent) -> None:
            key = event.key_sequence[0].key
            if key == "escape":
                self.mode = "work"
                self.message = ("", "exclusion cancelled")
                return
            if key in ("enter", "c-m", "c-j"):
                if self.reason_required:
                    self.message = ("error", "Error: an exclusion here needs a reason")
                    return
                self.mode = "work"
                self._decide(Decision.EXCLUDE)
                return
            index = REASON_KEYS.find(key) if len(key) == 1 else -1
            if index < 0 or index >= len(self.reasons):
                self.message = ("error", f"Error: no reason on key {key!r}")
                return
            self.mode = "work"
            self._decide(Decision.EXCLUDE, self.reasons[index].code)

        @kb.add("enter", filter=in_note)
        def _save_note(event: KeyPressEvent) -> None:
            text = self.note_buffer.text
            self.mode = "work"
            event.app.layout.focus(self.body_window)
            if text.strip():
                self._run(lambda: self.session.note(text).message)
            else:
                self.message = ("", "empty note not kept")

        @kb.add("escape", filter=in_note)
        def _cancel_note(event: KeyPressEvent) -> None:
            self.mode = "work"
            event.app.layout.focus(self.body_window)
            self.message = ("", "note cancelled")

        @kb.add("<any>", filter=in_type)
        def _type(event: KeyPressEvent) -> None:
            key = event.key_sequence[0].key
            chosen = {"r": StudyType.REVIEW, "p": StudyType.PRIMARY, "g": StudyType.GREY}
            work_id = self.pending_study_type
            self.mode = "work"
            self.pending_study_type = None
            if key in chosen and work_id is not None:
                study_type = chosen[key]
                self._run(lambda: self.session.set_study_type(study_type, work_id).message)
            else:
                self.message = ("", "study type left for later")

        return kb

    def run(self) -> None:
        self.app.run()


def run_screen(context: ScreenContext, pattern: re.Pattern[str] | None) -> None:
    ScreenApp(context, pattern).run()


def db_title(session: ScreeningSession, work_id: int) -> str:
    """The title of a work, to show which one an undo would withdraw."""
    from rea.screening.session import load_work_view

    try:
        return load_work_view(session.store, work_id, session.phase, session.reviewer).title
    except ReaError:
        return "(no title)"
