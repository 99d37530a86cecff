"""The PRISMA numbers stay right through whatever a review team does, in any order.

A hypothesis state machine drives a small review (two stages, two API sources, two export
sources, one of them another method; two screeners and an adjudicator) through random
sequences of search reruns, imports, dedup, decisions by several reviewers, undo, resolve and
override, full-text retrieval and its withdrawal, study types and study links. The test keeps
its own history of what was accepted and, after every step, checks:

- every PRISMA box of every stage and of the total equals a count this test makes itself from
  that history (with its own plain reading of the final-decision rule);
- the boxes add up (``rea.prisma.check``, and ``--final`` refuses exactly when works await);
- kappa is the same in ``rea screen stats``, in the PRISMA counts (the report's table), and in
  this test's own count;
- each action was accepted or refused as this test expected: nothing refused that should be
  accepted, nothing accepted that should be refused.

Size: 20 examples of at most 30 steps each (under a minute on a 2-core machine).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from rea.config import ReviewPaths
from rea.errors import PrismaInconsistency, ReaError
from rea.pipeline import dedup as dedup_pipeline
from rea.pipeline.imports import import_file
from rea.pipeline.prisma import prisma_counts
from rea.prisma import Flow, check
from rea.records import Author, Provenance, Record
from rea.screening import load_screening_config
from rea.screening.reports import stats
from rea.screening.service import (
    DecisionRequest,
    link_study,
    record_decision,
    record_retrieval,
    record_study_type,
    resolve,
    undo_decision,
    withdraw_retrieval,
)
from rea.screening_vocab import Decision, Phase, Retrieval, StudyType, cohen_kappa
from rea.store import open_store
from rea.store.sources import RunSearchRow, finish_run, save_search, start_run
from tests.screening_support import SCREENING_TOML
from tests.sources_support import make_review

STAGES = ("1998-2012-reviews", "2013-2018-all")
API = ("pubmed", "scopus")
EXPORTS = {"wos": "database", "citation_searching": "other"}
ITEMS = range(8)
SCREENERS = ("AH", "MS")
REVIEWERS = (*SCREENERS, "JS")  # JS adjudicates, does not screen
TA, FT = Phase.TITLE_ABSTRACT, Phase.FULL_TEXT
REASONS = {TA: ("", "not-gp-collaboration"), FT: ("not-gp-collaboration", "no-full-text")}


def item_record(item: int, source: str, stage: str, run_id: str | None = None) -> Record:
    return Record(
        provenance=Provenance(source=source, stage=stage, run_id=run_id),
        title=f"Federation number {item} of general practices: a {'cohort' if item % 2 else 'case'}"
        f" study in region {item * 7}",
        authors=(Author(f"Author{item}", "A"),),
        journal="Br J Gen Pract",
        year=2014,
        doi=f"10.9999/item.{item}",
    )


def ris(items: list[int], tag: int) -> str:
    out = [f"Provider: test export {tag}", ""]
    for i in items:
        r = item_record(i, "x", "y")
        out += [
            "TY  - JOUR",
            f"TI  - {r.title}",
            f"AU  - Author{i}, A",
            "JO  - Br J Gen Pract",
            "PY  - 2014",
            f"DO  - {r.doi}",
            "ER  - ",
            "",
        ]
    return "\n".join(out)


class ReviewMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="rea-stateful-"))
        self.paths: ReviewPaths = make_review(self.tmp)
        toml = SCREENING_TOML.format(share=0.5, maybe="true")
        (self.paths.root / "screening.toml").write_text(toml, encoding="utf-8")
        self.config = load_screening_config(self.paths.screening)
        self.store = open_store(self.paths.store)
        # this test's own history
        # each search's current run and each import, with the step that stored it: a record is
        # linked to a work once a dedup ran after that step
        self.runs: dict[tuple[str, str], tuple[frozenset[int], int]] = {}
        self.imported: list[tuple[str, str, frozenset[int], int]] = []
        self.step = 0
        self.deduped_at = 0
        self.n_runs = 0
        self.n_files = 0
        self.deduped = True
        self.standing: dict[tuple[int, Phase], dict[str, tuple[str, str]]] = {}
        self.resolutions: dict[tuple[int, Phase], tuple[str, str, bool]] = {}
        self.retrieval: dict[int, str] = {}
        self.types: dict[int, str] = {}
        self.study_of: dict[int, int] = {}

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- what the store says of works (dedup's result, not under test here) -----------------

    def item_works(self) -> dict[int, int]:
        rows = self.store.conn.execute(
            "SELECT r.doi, rw.work_id FROM records r JOIN record_work rw USING (record_id)"
        ).fetchall()
        found: dict[int, set[int]] = {}
        for doi, work in rows:
            found.setdefault(int(doi.rsplit(".", 1)[1]), set()).add(int(work))
        assert all(len(w) == 1 for w in found.values()), f"an item split over works: {found}"
        return {item: works.pop() for item, works in found.items()}

    def current(self, *, linked_only: bool = False) -> list[tuple[str, str, str, int]]:
        """(stage, source, kind, item) of every current record (only those a dedup linked)."""
        out = [
            (stage, source, "database", i)
            for (stage, source), (items, at) in self.runs.items()
            for i in items
            if not linked_only or at <= self.deduped_at
        ]
        out += [
            (stage, source, EXPORTS[source], i)
            for stage, source, items, at in self.imported
            for i in items
            if not linked_only or at <= self.deduped_at
        ]
        return out

    def works(self) -> list[int]:
        return sorted(set(self.item_works().values()))

    def current_works(self) -> set[int]:
        """The works with a current record that is linked to them (screening's works)."""
        by_item = self.item_works()
        return {by_item[i] for *_, i in self.current(linked_only=True) if i in by_item}

    def assigned(self, work: int, phase: Phase) -> set[str]:
        rows = self.store.conn.execute(
            "SELECT reviewer FROM assignments WHERE work_id = :w AND phase = :p",
            {"w": work, "p": phase.value},
        )
        return {r[0] for r in rows}

    # --- this test's own reading of the final-decision rule ----------------------------------

    def own_status(self, work: int, phase: Phase, *, resolved: bool = True) -> str:
        if resolved and (work, phase) in self.resolutions:
            return self.resolutions[(work, phase)][0] + "d"
        votes = self.standing.get((work, phase), {})
        assigned = self.assigned(work, phase)
        if not assigned or any(r not in votes for r in assigned):
            return "pending"
        kinds = {d for d, _ in votes.values()}
        if "exclude" in kinds and kinds & {"include", "maybe"}:
            return "conflict"
        if "exclude" in kinds:
            reasons = {why for d, why in votes.values() if d == "exclude"}
            if phase is FT and len(reasons) > 1:
                return "conflict"
            return "excluded"
        return "included"  # maybe counts as include in this review

    def status(self, work: int, phase: Phase) -> str:
        if phase is FT and self.status(work, TA) != "included":
            return "out"
        if work not in self.current_works():
            return "out"
        return self.own_status(work, phase)

    def later(self, work: int) -> bool:
        return bool(self.standing.get((work, FT))) or (work, FT) in self.resolutions

    def leaves_full_text(self, work: int, change: dict[str, object]) -> bool:
        """Whether a title/abstract change (applied to a copy of the history) takes a work that
        has full-text decisions out of full text."""
        if self.status(work, TA) != "included" or not self.later(work):
            return False
        saved = (dict(self.standing.get((work, TA), {})), self.resolutions.get((work, TA)))
        self.apply_ta(work, change)
        after = self.status(work, TA)
        self.standing[(work, TA)], res = saved[0], saved[1]
        if res is None:
            self.resolutions.pop((work, TA), None)
        else:
            self.resolutions[(work, TA)] = res
        return after != "included"

    def apply_ta(self, work: int, change: dict[str, object]) -> None:
        votes = self.standing.setdefault((work, TA), {})
        if change["kind"] == "vote":
            votes[str(change["reviewer"])] = (str(change["decision"]), str(change["reason"]))
        elif change["kind"] == "undo":
            votes.pop(str(change["reviewer"]), None)
        else:
            self.resolutions[(work, TA)] = (str(change["decision"]), "", bool(change["over"]))

    def withdraw_full_text(self, work: int) -> None:
        self.standing.pop((work, FT), None)
        self.resolutions.pop((work, FT), None)

    def pick(self, index: int) -> int | None:
        works = self.works()
        return works[index % len(works)] if works else None

    def expect(self, accepted: bool, action: object) -> None:
        try:
            assert callable(action)
            action()
        except ReaError as exc:
            assert not accepted, f"refused, but should be accepted: {exc.message()}"
            return
        assert accepted, "accepted, but should be refused"

    # --- searches, imports, dedup -------------------------------------------------------------

    @rule(
        stage=st.sampled_from(STAGES),
        source=st.sampled_from(API),
        items=st.frozensets(st.sampled_from(ITEMS), max_size=5),
    )
    def rerun_search(self, stage: str, source: str, items: frozenset[int]) -> None:
        self.n_runs += 1
        run_id = f"2026-01-01T{self.n_runs:06d}Z"
        at = f"2026-01-02T00:{self.n_runs // 60:02d}:{self.n_runs % 60:02d}+00:00"
        start_run(self.store, run_id, at, "test", f"runs/{run_id}")
        search = RunSearchRow(run_id, stage, source, "q", len(items), 0, (), "m.json", at)
        save_search(self.store, search, [item_record(i, source, stage, run_id) for i in items])
        finish_run(self.store, run_id, at)
        self.step += 1
        self.runs[(stage, source)] = (items, self.step)
        self.deduped = False

    @rule(
        stage=st.sampled_from(STAGES),
        source=st.sampled_from(sorted(EXPORTS)),
        items=st.frozensets(st.sampled_from(ITEMS), min_size=1, max_size=4),
    )
    def import_export(self, stage: str, source: str, items: frozenset[int]) -> None:
        self.n_files += 1
        path = self.tmp / f"export-{self.n_files}.ris"
        path.write_text(ris(sorted(items), self.n_files), encoding="utf-8")
        before = {i for s, src, its, _ in self.imported if (s, src) == (stage, source) for i in its}
        accepted = not items <= before  # all records present already: refused
        self.expect(accepted, lambda: import_file(self.paths, path, source=source, stage=stage))
        if accepted:
            self.step += 1
            self.imported.append((stage, source, items, self.step))
            self.deduped = False

    @rule()
    def dedup(self) -> None:
        summary = dedup_pipeline.run_store(self.store)
        self.deduped = True
        self.deduped_at = self.step
        total = prisma_counts(self.paths).total
        other_only = len(total.works["other_identified"])
        # rea dedup's figure and PRISMA's: the same records, apart from other-method records
        assert summary.duplicates_removed == (total.duplicates + total.other_total - other_only), (
            "dedup's and PRISMA's duplicates differ by more than other-method records"
        )

    # --- screening ----------------------------------------------------------------------------

    @rule(
        index=st.integers(0, 20),
        phase=st.sampled_from(Phase),
        reviewer=st.sampled_from(REVIEWERS),
        decision=st.sampled_from(Decision),
        reason=st.sampled_from(("", "not-gp-collaboration", "no-full-text")),
        withdraw=st.booleans(),
    )
    def decide(
        self,
        index: int,
        phase: Phase,
        reviewer: str,
        decision: Decision,
        reason: str,
        withdraw: bool,
    ) -> None:
        work = self.pick(index)
        if work is None:
            return
        ok = reviewer in SCREENERS and self.status(work, phase) != "out"
        if reason:
            ok = ok and decision is Decision.EXCLUDE and reason in REASONS[phase]
        elif decision is Decision.EXCLUDE and phase is FT:
            ok = False  # full text needs a reason
        if phase is FT and self.retrieval.get(work) == Retrieval.NOT_RETRIEVED:
            ok = False
        change = {"kind": "vote", "reviewer": reviewer, "decision": decision.value}
        change["reason"] = reason
        cascade = ok and phase is TA and self.leaves_full_text(work, change)
        if cascade and not withdraw:
            ok = False
        request = DecisionRequest(work, phase, reviewer, decision, reason)
        self.expect(
            ok,
            lambda: record_decision(self.store, self.config, request, withdraw_later=withdraw),
        )
        if ok:
            if phase is TA:
                self.apply_ta(work, change)
            else:
                self.standing.setdefault((work, FT), {})[reviewer] = (decision.value, reason)
            if cascade:
                self.withdraw_full_text(work)

    @rule(
        index=st.integers(0, 20),
        phase=st.sampled_from(Phase),
        reviewer=st.sampled_from(SCREENERS),
        withdraw=st.booleans(),
    )
    def undo(self, index: int, phase: Phase, reviewer: str, withdraw: bool) -> None:
        work = self.pick(index)
        if work is None:
            return
        ok = reviewer in self.standing.get((work, phase), {})
        change = {"kind": "undo", "reviewer": reviewer}
        cascade = ok and phase is TA and self.leaves_full_text(work, change)
        if cascade and not withdraw:
            ok = False
        self.expect(
            ok,
            lambda: undo_decision(
                self.store, self.config, work, phase, reviewer, withdraw_later=withdraw
            ),
        )
        if ok:
            if phase is TA:
                self.apply_ta(work, change)
            else:
                self.standing[(work, FT)].pop(reviewer)
            if cascade:
                self.withdraw_full_text(work)

    @rule(
        index=st.integers(0, 20),
        phase=st.sampled_from(Phase),
        decision=st.sampled_from((Decision.INCLUDE, Decision.EXCLUDE)),
        override=st.booleans(),
        withdraw=st.booleans(),
    )
    def resolve(
        self, index: int, phase: Phase, decision: Decision, override: bool, withdraw: bool
    ) -> None:
        work = self.pick(index)
        if work is None:
            return
        reason = "no-full-text" if phase is FT and decision is Decision.EXCLUDE else ""
        own = self.own_status(work, phase, resolved=False)
        ok = self.status(work, phase) != "out" and bool(self.standing.get((work, phase)))
        ok = ok and (own == "conflict" or override)
        change = {"kind": "resolve", "decision": decision.value, "over": own != "conflict"}
        cascade = ok and phase is TA and self.leaves_full_text(work, change)
        if cascade and not withdraw:
            ok = False
        self.expect(
            ok,
            lambda: resolve(
                self.store, self.config, work, phase, decision, "JS", reason=reason,
                override=override, withdraw_later=withdraw,
            ),
        )  # fmt: skip
        if ok:
            if phase is TA:
                self.apply_ta(work, change)
            else:
                self.resolutions[(work, FT)] = (decision.value, reason, own != "conflict")
            if cascade:
                self.withdraw_full_text(work)

    @rule(index=st.integers(0, 20), status=st.sampled_from(Retrieval))
    def retrieve(self, index: int, status: Retrieval) -> None:
        work = self.pick(index)
        if work is None:
            return
        ok = self.status(work, FT) != "out"
        if status is Retrieval.NOT_RETRIEVED and self.later(work):
            ok = False
        location = "pdfs/x.pdf" if status is Retrieval.RETRIEVED else ""
        self.expect(
            ok,
            lambda: record_retrieval(
                self.store, self.config, work, status, location=location, by="AH"
            ),
        )
        if ok:
            self.retrieval[work] = status.value

    @rule(index=st.integers(0, 20))
    def withdraw_retrieval(self, index: int) -> None:
        work = self.pick(index)
        if work is None:
            return
        ok = work in self.retrieval and not self.later(work)
        self.expect(ok, lambda: withdraw_retrieval(self.store, self.config, work, by="AH"))
        if ok:
            del self.retrieval[work]

    @rule(index=st.integers(0, 20), study_type=st.sampled_from(StudyType))
    def set_type(self, index: int, study_type: StudyType) -> None:
        work = self.pick(index)
        if work is None:
            return
        ok = self.status(work, FT) not in ("out", "excluded")
        self.expect(
            ok, lambda: record_study_type(self.store, self.config, work, study_type, by="AH")
        )
        if ok:
            self.types[work] = study_type.value

    @rule(first=st.integers(0, 20), second=st.integers(0, 20))
    def link(self, first: int, second: int) -> None:
        a, b = self.pick(first), self.pick(second)
        if a is None or b is None:
            return
        ok = a != b and all(self.status(w, FT) == "included" for w in (a, b))
        self.expect(ok, lambda: link_study(self.store, self.config, [a, b], by="JS"))
        if ok:
            study = self.study_of.get(a, self.study_of.get(b, a))
            members = {a, b} | {w for w, s in self.study_of.items() if s in (
                self.study_of.get(a), self.study_of.get(b))}  # fmt: skip
            for w in members:
                self.study_of[w] = study

    # --- the invariants -------------------------------------------------------------------------

    @invariant()
    def every_box_equals_an_own_count(self) -> None:
        unlinked = self.store.conn.execute(
            "SELECT count(*) FROM current_records c LEFT JOIN record_work rw USING (record_id)"
            " WHERE rw.work_id IS NULL"
        ).fetchone()[0]
        if unlinked:
            with pytest.raises(PrismaInconsistency, match="not linked to a work"):
                prisma_counts(self.paths)
            return
        counts = prisma_counts(self.paths)
        by_item = self.item_works()
        records = self.current()
        for flow in counts.flows():
            mine = [r for r in records if flow.label in ("total", r[0])]
            self.check_flow(flow, mine, by_item)
        awaiting = counts.total.awaiting_total
        if awaiting:
            with pytest.raises(PrismaInconsistency):
                prisma_counts(self.paths, final=True)
        else:
            prisma_counts(self.paths, final=True)

    def check_flow(
        self, flow: Flow, records: list[tuple[str, str, str, int]], by_item: dict[int, int]
    ) -> None:
        check(flow)
        db = Counter(source for _, source, kind, _ in records if kind == "database")
        other = Counter(source for _, source, kind, _ in records if kind != "database")
        assert flow.database_records == dict(db)
        assert flow.other_records == dict(other)
        db_works = {by_item[i] for _, _, kind, i in records if kind == "database"}
        other_works = {by_item[i] for _, _, kind, i in records if kind != "database"} - db_works
        assert flow.duplicates == sum(db.values()) - len(db_works)
        ta = {w: self.own_status(w, TA) for w in db_works | other_works}

        def where(works: set[int], *statuses: str) -> set[int]:
            return {w for w in works if ta[w] in statuses}

        sought = where(db_works, "included")
        assert flow.records_screened == len(db_works)
        assert flow.records_excluded == len(where(db_works, "excluded"))
        assert flow.awaiting_screening == len(where(db_works, "pending", "conflict"))
        assert flow.reports_sought == len(sought)
        o_sought = where(other_works, "included")
        assert flow.other_sought == len(o_sought)
        assert flow.other_not_sought == len(where(other_works, "excluded"))
        assert flow.other_awaiting == len(where(other_works, "pending", "conflict"))
        included: set[int] = set()
        for branch, works in (("db", sought), ("other", o_sought)):
            not_retrieved = {w for w in works if self.retrieval.get(w) == "not_retrieved"}
            assessed = works - not_retrieved
            ft = {w: self.own_status(w, FT) for w in assessed}
            excluded = Counter(
                self.resolutions[(w, FT)][1]
                if (w, FT) in self.resolutions
                else next(why for d, why in self.standing[(w, FT)].values() if d == "exclude")
                for w in assessed
                if ft[w] == "excluded"
            )
            labels = {r.code: r.label for r in self.config.reasons}
            excluded_by_label = {labels.get(k, k): v for k, v in excluded.items()}
            waiting = sum(1 for w in assessed if ft[w] in ("pending", "conflict"))
            included |= {w for w in assessed if ft[w] == "included"}
            if branch == "db":
                got = (flow.reports_not_retrieved, flow.reports_assessed, flow.reports_excluded)
                assert flow.reports_awaiting == waiting
            else:
                got = (flow.other_not_retrieved, flow.other_assessed, flow.other_excluded)
                assert flow.other_reports_awaiting == waiting
            assert got == (len(not_retrieved), len(assessed), excluded_by_label)
        assert flow.new_reports == len(included)
        studies = {self.study_of.get(w, w) for w in included}
        assert flow.new_studies == len(studies)
        assert sorted(flow.works["included"]) == sorted(included)

    @invariant()
    def kappa_is_one_number_everywhere(self) -> None:
        if not self.deduped:
            return
        counts = prisma_counts(self.paths)
        with open_store(self.paths.store) as store:
            from_stats = [a for ps in stats(store, self.config) for a in ps.agreement]
        assert [a.as_dict() for a in counts.agreement] == [a.as_dict() for a in from_stats]
        current = self.current_works()
        members = {
            TA: current,
            FT: {w for w in current if self.own_status(w, TA) == "included"},
        }
        own = []
        for phase in Phase:
            pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for (w, p), votes in sorted(self.standing.items()):
                if p is phase and w in members[phase]:
                    for a, b in combinations(sorted(votes), 2):
                        pairs.setdefault((a, b), []).append((votes[a][0], votes[b][0]))
            own += [
                (phase.value, a, b, len(v), cohen_kappa(v)) for (a, b), v in sorted(pairs.items())
            ]
        assert [(a.phase.value, a.a, a.b, a.n, a.kappa) for a in counts.agreement] == own


ReviewMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestReviewMachine = ReviewMachine.TestCase
