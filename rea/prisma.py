"""PRISMA 2020 flow-diagram numbers, computed from the store and checked to add up.

Each box is a set of works (or records), so a box that does not add up names the works
involved. One flow per search stage, plus the total.

Counting rules (also stated in the report):

* **Records identified** are rows of ``records``: one per record a source returned, per stage.
* A **work** (one unique report after deduplication) is in a flow's *database* branch when any
  database record of that flow is linked to it; otherwise, when a record from another method
  (websites, organisations, citation searching) is, it is in the *other methods* branch.
  ``duplicates`` = database records − works in the database branch.
* **Screening decisions are per work**, not per stage: a work that both stages found carries
  the same decisions in both stage flows. In the **total** flow each work counts once: records
  are summed over stages, and each work goes once into every later box.
* The **final** decision of a work in a phase is the latest resolution if there is one;
  otherwise the reviewers' current decisions (a reviewer's latest, an ``undo`` withdrawing it)
  when at least ``required_reviewers`` of them agree on include or exclude and none disagrees.
* Title/abstract include → report **sought**; latest retrieval ``not_retrieved`` → **not
  retrieved**; the rest are **assessed**; full-text include → **included**, exclude → excluded
  with its reason (the resolution's, else the reason most reviewers gave).
* A work never screened at title/abstract because screening was stopped (a stopping decision
  recorded with `rea screen stop`) counts as **excluded by automation**: it is in "records
  excluded", and the diagram says how many of those were never screened.
* The other-methods branch has no screening boxes (PRISMA 2020): its works that were sought
  are those with a title/abstract include, a retrieval entry or a full-text decision; the
  others are counted as ``not_sought`` in the JSON and not drawn.
* rea links each report to one work and does not group reports into studies, so studies
  included = reports included. Nothing is removed by automation or for other reasons before
  screening unless the store says so (both are 0 today).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rea.errors import PrismaInconsistency
from rea.files import csv_text
from rea.store import Store
from rea.store.prisma import (
    DecisionRow,
    RecordRow,
    ResolutionRow,
    decision_rows,
    latest_resolutions,
    latest_retrieval,
    latest_study_types,
    record_rows,
    stopped_unscreened,
)

TITLE_ABSTRACT = "title_abstract"
FULL_TEXT = "full_text"
TOTAL = "total"
STUDY_TYPES = ("review", "primary", "grey")
NO_REASON = "no reason given"

#: How sources are named in diagrams and in the PRISMA2020 CSV.
SOURCE_LABELS = {
    "pubmed": "PubMed",
    "scopus": "Scopus",
    "wos": "Web of Science",
    "ovid": "Ovid MEDLINE",
    "gponline": "GPOnline",
    "pulse": "Pulse",
    "hsj": "HSJ",
    "citation_searching": "Citation searching",
}


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def other_method(source: str) -> str:
    """PRISMA 2020's three other methods: websites, organisations, citation searching."""
    if "citation" in source:
        return "citations"
    if source.startswith("org") or source.endswith("_org"):
        return "organisations"
    return "websites"


@dataclass(frozen=True)
class Flow:
    """The numbers of one PRISMA 2020 flow diagram (a stage, or the total)."""

    label: str
    database_records: dict[str, int]
    other_records: dict[str, int]
    duplicates: int
    excluded_automatic: int
    excluded_other: int
    records_screened: int
    records_excluded: int
    records_excluded_automation: int  # of records_excluded: never screened, screening stopped
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    reports_excluded: dict[str, int]
    other_not_sought: int
    other_sought: int
    other_not_retrieved: int
    other_assessed: int
    other_excluded: dict[str, int]
    new_studies: int
    new_reports: int
    included_by_type: dict[str, int]
    works: dict[str, list[int]] = field(default_factory=dict)

    @property
    def database_total(self) -> int:
        return sum(self.database_records.values())

    @property
    def other_total(self) -> int:
        return sum(self.other_records.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "identification": {
                "databases": dict(self.database_records),
                "databases_total": self.database_total,
                "other_methods": dict(self.other_records),
                "other_methods_total": self.other_total,
                "duplicates": self.duplicates,
                "excluded_automatic": self.excluded_automatic,
                "excluded_other": self.excluded_other,
            },
            "databases": {
                "records_screened": self.records_screened,
                "records_excluded": self.records_excluded,
                "records_excluded_automation": self.records_excluded_automation,
                "reports_sought": self.reports_sought,
                "reports_not_retrieved": self.reports_not_retrieved,
                "reports_assessed": self.reports_assessed,
                "reports_excluded": dict(self.reports_excluded),
                "reports_excluded_total": sum(self.reports_excluded.values()),
            },
            "other_methods": {
                "not_sought": self.other_not_sought,
                "reports_sought": self.other_sought,
                "reports_not_retrieved": self.other_not_retrieved,
                "reports_assessed": self.other_assessed,
                "reports_excluded": dict(self.other_excluded),
                "reports_excluded_total": sum(self.other_excluded.values()),
            },
            "included": {
                "studies": self.new_studies,
                "reports": self.new_reports,
                "by_type": dict(self.included_by_type),
            },
            "works": {k: list(v) for k, v in self.works.items()},
        }


@dataclass(frozen=True)
class Agreement:
    """Agreement between two reviewers on one phase (Cohen's kappa on include/exclude)."""

    phase: str
    reviewers: tuple[str, str]
    n: int
    agreed: int
    kappa: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "reviewers": list(self.reviewers),
            "n": self.n,
            "agreed": self.agreed,
            "percent_agreement": round(100 * self.agreed / self.n, 1) if self.n else None,
            "kappa": None if self.kappa is None else round(self.kappa, 3),
        }


@dataclass(frozen=True)
class PrismaCounts:
    stages: tuple[Flow, ...]
    total: Flow
    agreement: tuple[Agreement, ...]
    rule: str

    def flows(self) -> tuple[Flow, ...]:
        return (*self.stages, self.total)

    def flow(self, label: str) -> Flow:
        for candidate in self.flows():
            if candidate.label == label:
                return candidate
        from rea.errors import NotFound

        raise NotFound(
            f"no flow {label!r}", hint=f"one of: {', '.join(f.label for f in self.flows())}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "stages": [f.as_dict() for f in self.stages],
            "total": self.total.as_dict(),
            "agreement": [a.as_dict() for a in self.agreement],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


TOTAL_RULE = (
    "The total counts each work once: records identified are summed over the stages, and a work "
    "that both stages found goes once into every later box. A work is in the databases branch "
    "when any database found it, otherwise in the other-methods branch."
)


# --- the screening state of each work -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    decision: str | None  # 'include', 'exclude', or None while undecided
    reason: str


def _current_votes(rows: Iterable[DecisionRow]) -> dict[tuple[int, str], dict[str, DecisionRow]]:
    """Each reviewer's current decision per (work, phase); ``undo`` withdraws the latest."""
    history: dict[tuple[int, str, str], list[DecisionRow]] = defaultdict(list)
    for row in rows:
        key = (row.work_id, row.phase, row.reviewer)
        if row.decision == "undo":
            if history[key]:
                history[key].pop()
        else:
            history[key].append(row)
    votes: dict[tuple[int, str], dict[str, DecisionRow]] = defaultdict(dict)
    for (work_id, phase, reviewer), stack in history.items():
        if stack:
            votes[(work_id, phase)][reviewer] = stack[-1]
    return votes


def final_outcomes(
    decisions: Sequence[DecisionRow],
    resolutions: Sequence[ResolutionRow],
    *,
    required_reviewers: int = 2,
) -> dict[tuple[int, str], Outcome]:
    """The final decision of each (work, phase) that has any decision or resolution."""
    outcomes: dict[tuple[int, str], Outcome] = {}
    for (work_id, phase), by_reviewer in _current_votes(decisions).items():
        kinds = {v.decision for v in by_reviewer.values()}
        agreed = len(kinds) == 1 and kinds <= {"include", "exclude"}
        if agreed and len(by_reviewer) >= required_reviewers:
            decision = kinds.pop()
            reasons = Counter(v.reason for v in by_reviewer.values() if v.reason)
            reason = (
                sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if reasons else ""
            )
            outcomes[(work_id, phase)] = Outcome(decision, reason)
            continue
        outcomes[(work_id, phase)] = Outcome(None, "")
    for res in resolutions:
        outcomes[(res.work_id, res.phase)] = Outcome(res.decision, res.reason)
    return outcomes


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' include/exclude labels; None when undefined."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    labels = {x for pair in pairs for x in pair}
    expected = sum(
        (sum(1 for a, _ in pairs if a == lab) / n) * (sum(1 for _, b in pairs if b == lab) / n)
        for lab in labels
    )
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def agreement(decisions: Sequence[DecisionRow]) -> tuple[Agreement, ...]:
    """Kappa per phase between the two reviewers who decided most works in that phase."""
    out = []
    votes = _current_votes(decisions)
    for phase in (TITLE_ABSTRACT, FULL_TEXT):
        counts: Counter[str] = Counter()
        for (_, p), by_reviewer in votes.items():
            if p == phase:
                counts.update(by_reviewer.keys())
        if len(counts) < 2:
            continue
        first, second = sorted(r for r, _ in counts.most_common(2))
        pairs = []
        for (_, p), by_reviewer in sorted(votes.items()):
            if p == phase and first in by_reviewer and second in by_reviewer:
                a, b = by_reviewer[first].decision, by_reviewer[second].decision
                if {a, b} <= {"include", "exclude", "maybe"}:
                    pairs.append((a, b))
        agreed = sum(1 for a, b in pairs if a == b)
        out.append(Agreement(phase, (first, second), len(pairs), agreed, cohen_kappa(pairs)))
    return tuple(out)


# --- counting ---------------------------------------------------------------------------------


def _fail(
    box: str, what: str, works: Iterable[int], hint: str | None = None
) -> PrismaInconsistency:
    ids = sorted(set(works))
    shown = ", ".join(str(w) for w in ids[:20]) + (" …" if len(ids) > 20 else "")
    noun = "work" if len(ids) == 1 else "works"
    return PrismaInconsistency(f"{what} ({len(ids)} {noun}: {shown})", where=box, hint=hint)


def _reason_counts(
    works: Iterable[int], outcomes: Mapping[tuple[int, str], Outcome]
) -> dict[str, int]:
    counts: Counter[str] = Counter(outcomes[(w, FULL_TEXT)].reason or NO_REASON for w in works)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _flow(
    label: str,
    records: Sequence[RecordRow],
    outcomes: Mapping[tuple[int, str], Outcome],
    retrieval: Mapping[int, str],
    study_types: Mapping[int, str],
    stopped: Set[int] = frozenset(),
) -> Flow:
    unlinked = [r.record_id for r in records if r.work_id is None]
    if unlinked:
        raise PrismaInconsistency(
            f"{len(unlinked)} record(s) not linked to a work "
            f"(records {', '.join(map(str, unlinked[:20]))})",
            where="duplicates",
            hint="run `rea dedup` first",
        )
    db_records: Counter[str] = Counter(r.source for r in records if r.kind == "database")
    other_records: Counter[str] = Counter(r.source for r in records if r.kind != "database")
    db_works = {r.work_id for r in records if r.kind == "database" and r.work_id is not None}
    other_works = {
        r.work_id for r in records if r.kind != "database" and r.work_id is not None
    } - db_works
    duplicates = sum(db_records.values()) - len(db_works)

    def final(work: int, phase: str) -> str | None:
        outcome = outcomes.get((work, phase))
        return outcome.decision if outcome else None

    def has_full_text(work: int) -> bool:
        return (work, FULL_TEXT) in outcomes

    # databases: screened → excluded | sought
    screened = set(db_works)
    sought = {w for w in screened if final(w, TITLE_ABSTRACT) == "include"}
    by_people = {w for w in screened if final(w, TITLE_ABSTRACT) == "exclude"}
    # works never screened because screening was stopped (a recorded stopping decision)
    by_automation = {w for w in screened & stopped if final(w, TITLE_ABSTRACT) is None}
    excluded = by_people | by_automation
    undecided = screened - excluded - sought
    if undecided:
        raise _fail(
            "records_screened",
            "works without a final title/abstract decision (unscreened, or reviewers disagree)",
            undecided,
            "finish screening and resolve conflicts: `rea conflicts`, `rea resolve`",
        )
    contradicted = {w for w in excluded if has_full_text(w) or w in retrieval}
    if contradicted:
        raise _fail(
            "records_excluded",
            "works excluded at title/abstract that have full-text decisions or retrieval entries",
            contradicted,
        )

    def full_text_boxes(
        branch: str, sought_works: set[int]
    ) -> tuple[set[int], set[int], set[int], set[int]]:
        not_retrieved = {w for w in sought_works if retrieval.get(w) == "not_retrieved"}
        assessed = sought_works - not_retrieved
        bad = {w for w in not_retrieved if final(w, FULL_TEXT) is not None}
        if bad:
            raise _fail(
                f"{branch}_notretrieved_reports",
                "works recorded as not retrieved that have a full-text decision",
                bad,
                "record the retrieval again (`retrieved`) or withdraw the decision",
            )
        ft_excluded = {w for w in assessed if final(w, FULL_TEXT) == "exclude"}
        included = {w for w in assessed if final(w, FULL_TEXT) == "include"}
        pending = assessed - ft_excluded - included
        if pending:
            raise _fail(
                f"{branch}_assessed",
                "reports sought and not recorded as not retrieved, without a final full-text "
                "decision",
                pending,
                "screen them at full text, or record them as not retrieved",
            )
        return not_retrieved, assessed, ft_excluded, included

    not_retrieved, assessed, ft_excluded, included = full_text_boxes("dbr", sought)

    # other methods: no screening boxes; sought = any step beyond identification
    other_sought = {
        w
        for w in other_works
        if final(w, TITLE_ABSTRACT) == "include" or w in retrieval or has_full_text(w)
    }
    other_excluded_ta = {w for w in other_sought if final(w, TITLE_ABSTRACT) == "exclude"}
    if other_excluded_ta:
        raise _fail(
            "other_sought_reports",
            "works excluded at title/abstract that have full-text decisions or retrieval entries",
            other_excluded_ta,
        )
    o_not_retrieved, o_assessed, o_excluded, o_included = full_text_boxes("other", other_sought)

    all_included = included | o_included
    by_type: Counter[str] = Counter(study_types.get(w, "unclassified") for w in all_included)
    types = {t: by_type.get(t, 0) for t in STUDY_TYPES}
    if by_type.get("unclassified"):
        types["unclassified"] = by_type["unclassified"]

    flow = Flow(
        label=label,
        database_records=dict(sorted(db_records.items())),
        other_records=dict(sorted(other_records.items())),
        duplicates=duplicates,
        excluded_automatic=0,
        excluded_other=0,
        records_screened=len(screened),
        records_excluded=len(excluded),
        records_excluded_automation=len(by_automation),
        reports_sought=len(sought),
        reports_not_retrieved=len(not_retrieved),
        reports_assessed=len(assessed),
        reports_excluded=_reason_counts(ft_excluded, outcomes),
        other_not_sought=len(other_works - other_sought),
        other_sought=len(other_sought),
        other_not_retrieved=len(o_not_retrieved),
        other_assessed=len(o_assessed),
        other_excluded=_reason_counts(o_excluded, outcomes),
        new_studies=len(all_included),
        new_reports=len(all_included),
        included_by_type=types,
        works={
            "records_screened": sorted(screened),
            "records_excluded": sorted(excluded),
            "records_excluded_automation": sorted(by_automation),
            "reports_sought": sorted(sought),
            "reports_not_retrieved": sorted(not_retrieved),
            "reports_assessed": sorted(assessed),
            "reports_excluded": sorted(ft_excluded),
            "other_sought": sorted(other_sought),
            "other_not_retrieved": sorted(o_not_retrieved),
            "other_excluded": sorted(o_excluded),
            "included": sorted(all_included),
        },
    )
    check(flow)
    return flow


def check(flow: Flow) -> None:
    """Every box adds up; raises :class:`PrismaInconsistency` naming the first that does not."""
    w = flow.works

    def equal(box: str, left: int, right: int, formula: str, works: Iterable[int] = ()) -> None:
        if left != right:
            raise _fail(box, f"{formula}: {left} ≠ {right}", works)

    equal(
        "records_screened",
        flow.database_total - flow.duplicates - flow.excluded_automatic - flow.excluded_other,
        flow.records_screened,
        "identified − duplicates − removed ≠ screened",
        w.get("records_screened", ()),
    )
    equal(
        "dbr_sought_reports",
        flow.records_screened - flow.records_excluded,
        flow.reports_sought,
        "screened − excluded ≠ sought",
        set(w.get("records_screened", ()))
        ^ set(w.get("records_excluded", ()))
        ^ set(w.get("reports_sought", ())),
    )
    equal(
        "dbr_assessed",
        flow.reports_sought - flow.reports_not_retrieved,
        flow.reports_assessed,
        "sought − not retrieved ≠ assessed",
        w.get("reports_assessed", ()),
    )
    equal(
        "other_assessed",
        flow.other_sought - flow.other_not_retrieved,
        flow.other_assessed,
        "sought − not retrieved ≠ assessed (other methods)",
        w.get("other_sought", ()),
    )
    included = (
        flow.reports_assessed
        - sum(flow.reports_excluded.values())
        + flow.other_assessed
        - sum(flow.other_excluded.values())
    )
    equal(
        "new_studies",
        included,
        flow.new_studies,
        "assessed − excluded ≠ included",
        w.get("included", ()),
    )
    equal(
        "new_studies",
        sum(flow.included_by_type.values()),
        flow.new_studies,
        "included by type ≠ included",
        w.get("included", ()),
    )
    if flow.new_reports < flow.new_studies:
        raise _fail("new_reports", "fewer reports than studies", w.get("included", ()))


def compute(
    store: Store,
    *,
    stages: Sequence[str] | None = None,
    required_reviewers: int = 2,
    outcomes: Mapping[tuple[int, str], Outcome] | None = None,
    reason_labels: Mapping[str, str] | None = None,
) -> PrismaCounts:
    """Every flow (one per stage, in ``stages`` order, plus the total), checked.

    ``outcomes`` are the final decisions per (work, phase) as the screening rules of the review
    decide them; without them, :func:`final_outcomes` applies the rule in this module's
    docstring. ``reason_labels`` turns exclusion reason codes into the words the diagram shows.
    """
    records = record_rows(store)
    if outcomes is None:
        outcomes = final_outcomes(
            decision_rows(store), latest_resolutions(store), required_reviewers=required_reviewers
        )
    if reason_labels:
        labels = reason_labels
        outcomes = {
            key: Outcome(o.decision, labels.get(o.reason, o.reason)) for key, o in outcomes.items()
        }
    retrieval = latest_retrieval(store)
    types = latest_study_types(store)
    stopped = stopped_unscreened(store, TITLE_ABSTRACT)
    found = sorted({r.stage for r in records})
    order = list(stages) if stages else found
    order += [s for s in found if s not in order]
    flows = tuple(
        _flow(stage, [r for r in records if r.stage == stage], outcomes, retrieval, types, stopped)
        for stage in order
    )
    total = _total(records, outcomes, retrieval, types, stopped)
    return PrismaCounts(
        stages=flows, total=total, agreement=agreement(decision_rows(store)), rule=TOTAL_RULE
    )


def _total(
    records: Sequence[RecordRow],
    outcomes: Mapping[tuple[int, str], Outcome],
    retrieval: Mapping[int, str],
    types: Mapping[int, str],
    stopped: Set[int],
) -> Flow:
    # a work that any database found (in any stage) is in the databases branch of the total
    db_works = {r.work_id for r in records if r.kind == "database"}
    relabelled = [r for r in records if r.kind == "database" or r.work_id not in db_works]
    flow = _flow(TOTAL, relabelled, outcomes, retrieval, types, stopped)
    # other-method records of works the databases found are still records identified
    other_records: Counter[str] = Counter(r.source for r in records if r.kind != "database")
    return Flow(**{**flow.__dict__, "other_records": dict(sorted(other_records.items()))})


# --- the PRISMA2020 template CSV --------------------------------------------------------------


def template_rows() -> list[dict[str, str]]:
    """The rows of the PRISMA2020 R package's data template (shipped with rea)."""
    text = resources.files("rea").joinpath("data", "PRISMA2020_template.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _template_name(name: str) -> str:
    """A reason or source as the template can hold it: the PRISMA2020 package splits the cell
    on ';' and ends a name at its first ',', so both become dashes."""
    return re.sub(r"\s*[,;]\s*", " – ", name).strip(" –")


def _named(counts: Mapping[str, int], labels: bool = True) -> str:
    return "; ".join(
        f"{_template_name(source_label(k) if labels else k)}, {v}" for k, v in counts.items()
    )


def template_values(flow: Flow) -> dict[str, str]:
    """The ``n`` of each ``data`` row of the template for one flow."""
    methods: Counter[str] = Counter()
    for source, n in flow.other_records.items():
        methods[other_method(source)] += n
    return {
        "previous_studies": "0",
        "previous_reports": "0",
        "database_results": str(flow.database_total),
        "database_specific_results": _named(flow.database_records),
        "register_results": "0",
        "register_specific_results": "",
        "website_results": str(methods["websites"]),
        "organisation_results": str(methods["organisations"]),
        "citations_results": str(methods["citations"]),
        "duplicates": str(flow.duplicates),
        "excluded_automatic": str(flow.excluded_automatic),
        "excluded_other": str(flow.excluded_other),
        "records_screened": str(flow.records_screened),
        "records_excluded": str(flow.records_excluded),
        "dbr_sought_reports": str(flow.reports_sought),
        "dbr_notretrieved_reports": str(flow.reports_not_retrieved),
        "other_sought_reports": str(flow.other_sought),
        "other_notretrieved_reports": str(flow.other_not_retrieved),
        "dbr_assessed": str(flow.reports_assessed),
        "dbr_excluded": _named(flow.reports_excluded, labels=False),
        "other_assessed": str(flow.other_assessed),
        "other_excluded": _named(flow.other_excluded, labels=False),
        "new_studies": str(flow.new_studies),
        "new_reports": str(flow.new_reports),
        "total_studies": str(flow.new_studies),
        "total_reports": str(flow.new_reports),
        "total_studies_ma": "0",
        "total_reports_ma": "0",
    }


def to_template_csv(flow: Flow) -> str:
    """The template with ``n`` filled in for ``flow``: loads into the PRISMA2020 app unchanged."""
    rows = template_rows()
    values = template_values(flow)
    header = list(rows[0].keys())
    filled = ({**row, "n": values.get(row["data"], row["n"])} for row in rows)
    return csv_text(header, ([row[c] for c in header] for row in filled), lineterminator="\n")
