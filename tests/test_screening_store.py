"""The store's view of screening: its tally of standing decisions equals one counted from the
history on any history of decisions, and the logs cannot be edited in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rea.screening import Phase
from rea.screening_vocab import Rules, outcome, tally_of
from rea.store import Store, open_store
from rea.store import screening as db
from rea.store.works import create_work

REVIEWERS = ("AH", "MS", "KT")
EVENTS = st.lists(
    st.tuples(
        st.sampled_from(REVIEWERS),
        st.sampled_from(["include", "exclude", "maybe", "undo"]),
        st.sampled_from(["", "a", "b"]),
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return open_store(tmp_path_factory.mktemp("oracle") / "store.sqlite")


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    assigned=st.integers(min_value=1, max_value=3),
    events=EVENTS,
    resolution=st.sampled_from([None, ("include", ""), ("exclude", "b")]),
    maybe_counts_as_include=st.booleans(),
    reason_required=st.booleans(),
)
def test_the_store_tally_equals_a_count_of_the_history(
    store: Store,
    assigned: int,
    events: list[tuple[str, str, str]],
    resolution: tuple[str, str] | None,
    maybe_counts_as_include: bool,
    reason_required: bool,
) -> None:
    phase = Phase.FULL_TEXT
    standing: dict[str, tuple[str, str]] = {}
    with store.transaction() as conn:
        work = create_work(conn)
        db.insert_assignments(conn, phase.value, [(work, r) for r in REVIEWERS[:assigned]],
                              how="hash")  # fmt: skip
        for reviewer, decision, reason in events:
            if reviewer not in REVIEWERS[:assigned]:
                db.insert_assignments(conn, phase.value, [(work, reviewer)], how="volunteer")
            reason = reason if decision == "exclude" else ""
            db.insert_decision(conn, work_id=work, phase=phase.value, reviewer=reviewer,
                               decision=decision, reason=reason)  # fmt: skip
            if decision == "undo":
                standing.pop(reviewer, None)
            else:
                standing[reviewer] = (decision, reason)
        if resolution:
            db.insert_resolution(conn, work_id=work, phase=phase.value, decision=resolution[0],
                                 reason=resolution[1], decided_by="JS", note="")  # fmt: skip
    assignees = set(REVIEWERS[:assigned]) | {r for r, _, _ in events}
    expected = tally_of(work, assignees, standing, resolution)
    (got,) = db.tallies(store.conn, phase.value, work_id=work)
    assert got == expected
    rules = Rules(maybe_counts_as_include, {phase: reason_required})
    assert outcome(got, phase, rules) == outcome(expected, phase, rules)
    view = {(d.reviewer, d.decision, d.reason) for d in db.current_decisions(store, phase.value)
            if d.work_id == work}  # fmt: skip
    assert view == {(r, d, why) for r, (d, why) in standing.items()}


@pytest.mark.parametrize("table", ["decisions", "resolutions", "retrieval", "study_types"])
def test_logs_cannot_be_edited_in_place(tmp_path: Path, table: str) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        with store.transaction() as conn:
            work = create_work(conn)
            db.insert_decision(conn, work_id=work, phase="full_text", reviewer="AH",
                               decision="include")  # fmt: skip
            db.insert_resolution(conn, work_id=work, phase="full_text", decision="include",
                                 reason="", decided_by="JS", note="")  # fmt: skip
            db.insert_retrieval(conn, work_id=work, status="sought", location="", recorded_by="AH")
            db.insert_study_type(conn, work_id=work, study_type="grey", recorded_by="AH")
        for sql in (f"UPDATE {table} SET work_id = work_id", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction():
                store.conn.execute(sql)
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1


def test_the_screen_shows_others_decisions_only_when_not_blind(tmp_path: Path) -> None:
    from rea.pipeline import screening as pipeline
    from rea.screening.session import load_work_view
    from tests.screening_support import make_review

    paths = make_review(tmp_path, 1, share=1.0)
    pipeline.decide(paths, 1, "exclude", phase=Phase.TITLE_ABSTRACT, reviewer="MS",
                    reason="commissioning-only")  # fmt: skip
    with open_store(paths.store) as store:
        blind = load_work_view(store, 1, Phase.TITLE_ABSTRACT, "AH", blind=True)
        open_ = load_work_view(store, 1, Phase.TITLE_ABSTRACT, "AH", blind=False)
    assert blind.others == ()
    assert open_.others == ("MS: exclude (commissioning-only)",)


def test_a_work_merged_away_after_screening_drops_out_of_the_counts(tmp_path: Path) -> None:
    from rea.pipeline import screening as pipeline
    from rea.store.works import link_record, records_of_work
    from tests.screening_support import make_review

    paths = make_review(tmp_path, 3, share=0.0)
    for work in (1, 2, 3):
        reviewer = "AH" if work != 2 else "MS"
        pipeline.decide(paths, work, "include", phase=Phase.TITLE_ABSTRACT, reviewer=reviewer)
    with open_store(paths.store) as store, store.transaction() as conn:
        (record,) = records_of_work(store, 3)
        link_record(conn, record, 1, rule="human")  # dedup later finds 3 is the same as 1
    ta, ft = pipeline.screening_stats(paths)
    assert (ta.works, ta.included) == (2, 2)
    assert ft.works == 2
    text = pipeline.export_decisions(paths, None, phase=Phase.FULL_TEXT, reviewer="AH")
    assert "\n3," not in text
