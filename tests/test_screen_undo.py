"""The screen's undo shows what it would withdraw before it withdraws a decision from an
earlier session, asks before withdrawing full-text decisions with it, and never queues a
report recorded as not retrieved (it lists it apart with the command that changes it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from rea.cli.screen_tui import ScreenApp
from rea.config import ReviewPaths
from rea.pipeline import screening as pipeline
from rea.screening import Decision, Phase
from tests.screening_support import make_review

TA, FT = Phase.TITLE_ABSTRACT, Phase.FULL_TEXT


@contextmanager
def screen(paths: ReviewPaths, phase: Phase, reviewer: str = "AH") -> Iterator[ScreenApp]:
    context = pipeline.open_screen(paths, phase, reviewer)
    try:
        with create_pipe_input() as keys:
            yield ScreenApp(context, None, input=keys, output=DummyOutput())
    finally:
        context.close()


def shown(app: ScreenApp) -> str:
    return "".join(piece for _, piece, *_ in app.body()) + "\n" + app.message[1]


def undos(paths: ReviewPaths) -> list[tuple[int, str, str]]:
    with sqlite3.connect(paths.store) as conn:
        return list(
            conn.execute(
                "SELECT work_id, phase, reviewer FROM decisions WHERE decision = 'undo'"
                " ORDER BY decision_id"
            )
        )


def test_undo_of_an_earlier_session_shows_the_work_and_decision_first(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    pipeline.decide(paths, 1, "include", phase=TA, reviewer="AH")  # yesterday, in another session
    with screen(paths, TA) as app:
        app._undo()
        assert app.mode == "confirm"
        text = shown(app)
        assert "Undo your decision from an earlier session?" in text
        assert "work 1: Study 00001 of general practice federations" in text
        assert "your decision: include" in text
        assert undos(paths) == []  # nothing withdrawn before the answer
        app.mode, app.confirm = "work", None  # the user presses n
        assert undos(paths) == []
        app._undo()
        assert app.confirm is not None
        app.message = ("ok", app.confirm[1]())  # the user presses y
        assert undos(paths) == [(1, "title_abstract", "AH")]
        assert app.session.current is not None and app.session.current.work_id == 1


def test_undo_in_this_session_is_at_once(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 2, share=1.0)
    with screen(paths, TA) as app:
        app._decide(Decision.INCLUDE)
        app._undo()
        assert app.mode == "work"
        assert undos(paths) == [(1, "title_abstract", "AH")]


def test_undo_of_a_work_that_went_on_to_full_text_asks_to_withdraw_those_too(
    tmp_path: Path,
) -> None:
    paths = make_review(tmp_path, 1, share=1.0)
    for reviewer in ("AH", "MS"):
        pipeline.decide(paths, 1, "include", phase=TA, reviewer=reviewer)
    pipeline.set_retrieval(paths, 1, "retrieved", by="AH", location="x.pdf")
    pipeline.decide(paths, 1, "include", phase=FT, reviewer="MS")
    with screen(paths, TA) as app:
        app._undo()
        assert app.confirm is not None
        app.message = ("ok", app.confirm[1]())  # yes: undo the earlier-session decision
        assert app.mode == "confirm"  # … which would leave MS's full-text include behind
        text = shown(app)
        assert "would take work 1 out of full text, where it has decisions: MS include" in text
        assert "Withdraw those full-text decisions too" in text
        assert undos(paths) == []
        app.message = ("ok", app.confirm[1]())
        assert undos(paths) == [(1, "title_abstract", "AH"), (1, "full_text", "MS")]


def test_a_report_not_retrieved_is_listed_apart_not_queued(tmp_path: Path) -> None:
    paths = make_review(tmp_path, 3, share=1.0)
    for work in (1, 2, 3):
        for reviewer in ("AH", "MS"):
            pipeline.decide(paths, work, "include", phase=TA, reviewer=reviewer)
    pipeline.set_retrieval(paths, 2, "not_retrieved", by="AH")
    with screen(paths, FT) as app:
        s = app.session
        assert s.not_retrieved == (2,)
        assert (s.total, s.remaining) == (2, 2)
        seen = []
        while s.current is not None:
            seen.append(s.current.work_id)
            s.decide(Decision.INCLUDE)
        assert seen == [1, 3]
        assert "not queued, full text not retrieved: 2" in s.not_retrieved_hint()
        assert "rea fulltext WORK retrieved --location PATH --by AH" in s.not_retrieved_hint()
        assert "not queued, full text not retrieved: 2" in shown(app)
