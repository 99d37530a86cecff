"""PRISMA 2020 flow-diagram numbers, computed from the store and checked to add up.

Each box is a set of works (or records), so a box that does not add up names the works
involved. One flow per search stage, plus the total.

Counting rules (also stated in docs/prisma.md and the report):

* **Records identified** are the review's *current* records (the store's ``current_records``:
  every import, and of each stage x source only its current search run); records of a
  superseded run stay stored, are listed as superseded, and are never counted.
* A **work** (one unique report after deduplication) is in a flow's *database* branch when any
  database record of that flow is linked to it; otherwise, when a record from another method
  (websites, organisations, citation searching) is, it is in the *other methods* branch.
  ``duplicates`` = database records − works in the database branch.
* **Screening decisions are per work**, not per stage: a work that both stages found carries
  the same decisions in both stage flows. In the **total** flow each work counts once: records
  are summed over stages, and each work goes once into every later box.
* The **final decision** of a work in a phase is :func:`rea.screening_vocab.outcome` (the one
  rule screening uses too), over the store's tally of its standing decisions. A work without a
  final decision (pending, or in conflict) is **awaiting a decision**: it has a box of its own,
  and the counts are *interim* until no work awaits one (``final=True`` refuses them).
* Title/abstract include → report **sought** (in both branches); latest retrieval
  ``not_retrieved`` → **not retrieved**; the rest are **assessed**; full-text include →
  **included**, exclude → excluded with its reason. A work's full-text decisions and retrieval
  entries are read only while it is sought (a work no longer included at title/abstract keeps
  them in the store, uncounted).
* A work never screened at title/abstract because screening was stopped (a stopping decision
  recorded with `rea screen stop`) counts as **excluded by automation**: it is in "records
  excluded", and the diagram says how many of those were never screened.
* The other-methods branch has no screening boxes (PRISMA 2020): its works that were sought are
  those included at title/abstract; those excluded there are ``not_sought`` in the JSON.
* **Studies and reports**: each included work is a report; reports that a reviewer linked to one
  study (`rea study link`) count as one study.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rea.errors import NotFound, PrismaInconsistency
from rea.files import csv_text
from rea.query.databases import label as registry_label
from rea.query.databases import prisma_category
from rea.screening_vocab import (
    Agreement,
    Outcome,
    Phase,
    Rules,
    Status,
    StudyType,
    agreement,
    outcome,
)
from rea.store import Store
from rea.store.prisma import (
    RecordRow,
    SearchState,
    current_study_links,
    latest_retrieval,
    latest_study_types,
    record_rows,
    search_states,
    stopped_unscreened,
)
from rea.store.screening import standing_votes, tallies

TITLE_ABSTRACT = Phase.TITLE_ABSTRACT.value
FULL_TEXT = Phase.FULL_TEXT.value
TOTAL = "total"
STUDY_TYPES = tuple(t.value for t in StudyType)
NO_REASON = "no reason given"

#: How the reference review's own grey-literature sources are named in diagrams and in the
#: PRISMA2020 CSV; databases and other common sources are named by rea.query.databases.
SOURCE_LABELS = {"gponline": "GPOnline", "pulse": "Pulse", "hsj": "HSJ"}


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source) or registry_label(source)


def other_method(source: str) -> str:
    """PRISMA 2020's three other methods: websites, organisations, citation searching (the
    source's category in rea.query.databases where it names one)."""
    category = prisma_category(source)
    if category in ("websites", "organisations", "citations"):
        return category
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
    # works awaiting a final decision (pending or in conflict): the counts are interim
    awaiting_screening: int = 0  # databases branch, at title/abstract
    reports_awaiting: int = 0  # databases branch, assessed without a final full-text decision
    other_awaiting: int = 0  # other methods, not yet decided whether to seek (title/abstract)
    other_reports_awaiting: int = 0  # other methods, assessed without a final decision
    works: dict[str, list[int]] = field(default_factory=dict)
    studies: dict[int, list[int]] = field(default_factory=dict)  # study → its included reports
    excluded_reasons: dict[int, str] = field(default_factory=dict)  # excluded at full text

    @property
    def database_total(self) -> int:
        return sum(self.database_records.values())

    @property
    def other_total(self) -> int:
        return sum(self.other_records.values())

    @property
    def awaiting_total(self) -> int:
        return (
            self.awaiting_screening
            + self.reports_awaiting
            + self.other_awaiting
            + self.other_reports_awaiting
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "interim": self.awaiting_total > 0,
            "identification": {
                "databases": dict(self.database_records),
                "databases_total": self.database_total,
                "other_methods": dict(self.other_records),
                "other_methods_total": self.other_total,
                "duplicates": self.duplicates,
                # other-method records of a work found already (by a database, or by another
                # method record): in `rea dedup`'s duplicates figure, not in this box
                "other_method_repeats": self.other_total
                - len(self.works.get("other_identified", ())),
                "excluded_automatic": self.excluded_automatic,
                "excluded_other": self.excluded_other,
            },
            "databases": {
                "records_screened": self.records_screened,
                "records_excluded": self.records_excluded,
                "records_excluded_automation": self.records_excluded_automation,
                "awaiting_screening": self.awaiting_screening,
                "reports_sought": self.reports_sought,
                "reports_not_retrieved": self.reports_not_retrieved,
                "reports_assessed": self.reports_assessed,
                "reports_excluded": dict(self.reports_excluded),
                "reports_excluded_total": sum(self.reports_excluded.values()),
                "reports_awaiting": self.reports_awaiting,
            },
            "other_methods": {
                "identified_works": self.other_not_sought + self.other_awaiting + self.other_sought,
                "not_sought": self.other_not_sought,
                "awaiting": self.other_awaiting,
                "reports_sought": self.other_sought,
                "reports_not_retrieved": self.other_not_retrieved,
                "reports_assessed": self.other_assessed,
                "reports_excluded": dict(self.other_excluded),
                "reports_excluded_total": sum(self.other_excluded.values()),
                "reports_awaiting": self.other_reports_awaiting,
            },
            "included": {
                "studies": self.new_studies,
                "reports": self.new_reports,
                "by_type": dict(self.included_by_type),
                "studies_with_several_reports": {
                    str(k): list(v) for k, v in self.studies.items() if len(v) > 1
                },
            },
            "works": {k: list(v) for k, v in self.works.items()},
            "excluded_reasons": {str(k): v for k, v in self.excluded_reasons.items()},
        }


@dataclass(frozen=True)
class PrismaCounts:
    stages: tuple[Flow, ...]
    total: Flow
    agreement: tuple[Agreement, ...]
    rule: str
    searches: tuple[SearchState, ...] = ()  # every search run's state: current or superseded

    def flows(self) -> tuple[Flow, ...]:
        return (*self.stages, self.total)

    @property
    def interim(self) -> bool:
        """Whether any work still awaits a decision (the total says for every stage)."""
        return self.total.awaiting_total > 0 or any(f.awaiting_total for f in self.stages)

    @property
    def superseded(self) -> tuple[SearchState, ...]:
        return tuple(s for s in self.searches if s.state != "current")

    def flow(self, label: str) -> Flow:
        for candidate in self.flows():
            if candidate.label == label:
                return candidate
        raise NotFound(
            f"no flow {label!r}", hint=f"one of: {', '.join(f.label for f in self.flows())}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "interim": self.interim,
            "stages": [f.as_dict() for f in self.stages],
            "total": self.total.as_dict(),
            "agreement": [a.as_dict() for a in self.agreement],
            "searches": [s.as_dict() for s in self.searches],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


TOTAL_RULE = (
    "The total counts each work once: records identified are summed over the stages, and a work "
    "that both stages found goes once into every later box. A work is in the databases branch "
    "when any database found it, otherwise in the other-methods branch."
)


# --- counting ---------------------------------------------------------------------------------


def _fail(
    box: str, what: str, works: Iterable[int], hint: str | None = None
) -> PrismaInconsistency:
    ids = sorted(set(works))
    shown = ", ".join(str(w) for w in ids[:20]) + (" …" if len(ids) > 20 else "")
    noun = "work" if len(ids) == 1 else "works"
    return PrismaInconsistency(f"{what} ({len(ids)} {noun}: {shown})", where=box, hint=hint)


@dataclass(frozen=True)
class _State:
    """What the boxes read besides the records: final outcomes, retrieval, types, studies."""

    outcomes: Mapping[tuple[int, str], Outcome]
    retrieval: Mapping[int, str]
    study_types: Mapping[int, str]
    study_of: Mapping[int, int]  # work → the work that stands for its study (linked reports)
    stopped: Set[int]
    reason_labels: Mapping[str, str]

    def status(self, work: int, phase: str) -> Status | None:
        found = self.outcomes.get((work, phase))
        return found.status if found else None

    def reason(self, work: int) -> str:
        found = self.outcomes.get((work, FULL_TEXT))
        code = found.reason if found else ""
        return self.reason_labels.get(code, code) or NO_REASON


def _reason_counts(works: Iterable[int], state: _State) -> dict[str, int]:
    counts: Counter[str] = Counter(state.reason(w) for w in works)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _flow(label: str, records: Sequence[RecordRow], state: _State, *, final: bool) -> Flow:
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

    def title_abstract(works: set[int], status: Status) -> set[int]:
        return {w for w in works if state.status(w, TITLE_ABSTRACT) is status}

    # databases: screened → excluded | sought | awaiting a decision
    screened = set(db_works)
    sought = title_abstract(screened, Status.INCLUDED)
    by_people = title_abstract(screened, Status.EXCLUDED)
    # works never screened because screening was stopped (a recorded stopping decision)
    by_automation = {w for w in screened & state.stopped if state.status(w, TITLE_ABSTRACT) is None}
    excluded = by_people | by_automation
    awaiting = screened - excluded - sought
    if final and awaiting:
        raise _fail(
            "records_screened",
            "works without a final title/abstract decision (unscreened, or reviewers disagree)",
            awaiting,
            "finish screening and resolve conflicts: `rea conflicts`, `rea resolve`",
        )

    def full_text_boxes(
        branch: str, sought_works: set[int]
    ) -> tuple[set[int], set[int], set[int], set[int], set[int]]:
        not_retrieved = {w for w in sought_works if state.retrieval.get(w) == "not_retrieved"}
        assessed = sought_works - not_retrieved
        bad = {w for w in not_retrieved if state.status(w, FULL_TEXT) in FINAL}
        if bad:
            raise _fail(
                f"{branch}_notretrieved_reports",
                "works recorded as not retrieved that have a final full-text decision",
                bad,
                "record the retrieval again (`retrieved`) or withdraw the decisions",
            )
        ft_excluded = {w for w in assessed if state.status(w, FULL_TEXT) is Status.EXCLUDED}
        included = {w for w in assessed if state.status(w, FULL_TEXT) is Status.INCLUDED}
        pending = assessed - ft_excluded - included
        if final and pending:
            raise _fail(
                f"{branch}_assessed",
                "reports sought and not recorded as not retrieved, without a final full-text "
                "decision",
                pending,
                "screen them at full text, or record them as not retrieved",
            )
        return not_retrieved, assessed, ft_excluded, included, pending

    not_retrieved, assessed, ft_excluded, included, reports_awaiting = full_text_boxes(
        "dbr", sought
    )

    # other methods: no screening boxes; sought = included at title/abstract
    other_sought = title_abstract(other_works, Status.INCLUDED)
    o_by_automation = {
        w for w in other_works & state.stopped if state.status(w, TITLE_ABSTRACT) is None
    }
    other_not_sought = title_abstract(other_works, Status.EXCLUDED) | o_by_automation
    other_awaiting = other_works - other_sought - other_not_sought
    if final and other_awaiting:
        raise _fail(
            "other_sought_reports",
            "works found by other methods without a final title/abstract decision",
            other_awaiting,
            "screen them at title/abstract and resolve conflicts",
        )
    o_not_retrieved, o_assessed, o_excluded, o_included, o_awaiting = full_text_boxes(
        "other", other_sought
    )

    all_included = included | o_included
    studies: dict[int, list[int]] = {}
    for w in sorted(all_included):
        studies.setdefault(state.study_of.get(w, w), []).append(w)
    by_type: Counter[str] = Counter(
        state.study_types.get(reports[0], "unclassified") for reports in studies.values()
    )
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
        reports_excluded=_reason_counts(ft_excluded, state),
        other_not_sought=len(other_not_sought),
        other_sought=len(other_sought),
        other_not_retrieved=len(o_not_retrieved),
        other_assessed=len(o_assessed),
        other_excluded=_reason_counts(o_excluded, state),
        new_studies=len(studies),
        new_reports=len(all_included),
        included_by_type=types,
        awaiting_screening=len(awaiting),
        reports_awaiting=len(reports_awaiting),
        other_awaiting=len(other_awaiting),
        other_reports_awaiting=len(o_awaiting),
        works={
            "records_screened": sorted(screened),
            "records_excluded": sorted(excluded),
            "records_excluded_automation": sorted(by_automation),
            "awaiting_screening": sorted(awaiting),
            "reports_sought": sorted(sought),
            "reports_not_retrieved": sorted(not_retrieved),
            "reports_assessed": sorted(assessed),
            "reports_excluded": sorted(ft_excluded),
            "reports_awaiting": sorted(reports_awaiting),
            "other_identified": sorted(other_works),
            "other_not_sought": sorted(other_not_sought),
            "other_not_sought_automation": sorted(o_by_automation),
            "other_awaiting": sorted(other_awaiting),
            "other_sought": sorted(other_sought),
            "other_not_retrieved": sorted(o_not_retrieved),
            "other_assessed": sorted(o_assessed),
            "other_excluded": sorted(o_excluded),
            "other_reports_awaiting": sorted(o_awaiting),
            "included": sorted(all_included),
        },
        studies=studies,
        excluded_reasons={w: state.reason(w) for w in sorted(ft_excluded | o_excluded)},
    )
    check(flow)
    return flow


FINAL = (Status.INCLUDED, Status.EXCLUDED)


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
        flow.records_screened - flow.records_excluded - flow.awaiting_screening,
        flow.reports_sought,
        "screened − excluded − awaiting ≠ sought",
        set(w.get("records_screened", ()))
        ^ set(w.get("records_excluded", ()))
        ^ set(w.get("awaiting_screening", ()))
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
        "other_sought_reports",
        len(w.get("other_identified", ())) - flow.other_not_sought - flow.other_awaiting,
        flow.other_sought,
        "identified − not sought − awaiting ≠ sought (other methods)",
        w.get("other_sought", ()),
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
        - flow.reports_awaiting
        + flow.other_assessed
        - sum(flow.other_excluded.values())
        - flow.other_reports_awaiting
    )
    equal(
        "new_reports",
        included,
        flow.new_reports,
        "assessed − excluded − awaiting ≠ reports included",
        w.get("included", ()),
    )
    equal(
        "new_studies",
        sum(flow.included_by_type.values()),
        flow.new_studies,
        "included by type ≠ studies included",
        w.get("included", ()),
    )
    if flow.studies:
        equal(
            "new_studies",
            len(flow.studies),
            flow.new_studies,
            "studies ≠ studies included",
            w.get("included", ()),
        )
    if flow.new_reports < flow.new_studies:
        raise _fail("new_reports", "fewer reports than studies", w.get("included", ()))


def final_outcomes(store: Store, rules: Rules) -> dict[tuple[int, str], Outcome]:
    """The final status of every assigned work in each phase, by the one rule."""
    found: dict[tuple[int, str], Outcome] = {}
    for phase in Phase:
        for tally in tallies(store.conn, phase.value):
            found[(tally.work_id, phase.value)] = outcome(tally, phase, rules)
    return found


def compute(
    store: Store,
    *,
    stages: Sequence[str] | None = None,
    rules: Rules | None = None,
    reason_labels: Mapping[str, str] | None = None,
    final: bool = False,
) -> PrismaCounts:
    """Every flow (one per stage, in ``stages`` order, plus the total), checked.

    ``rules`` are the review's screening settings the final-decision rule reads (default: those
    of a screening.toml that sets nothing); ``reason_labels`` turn exclusion reason codes into
    the words the diagram shows. With ``final`` a work awaiting a decision is an error naming
    it; without, it is counted in an "awaiting decision" box (the counts are interim).
    """
    records = record_rows(store)
    outcomes = final_outcomes(store, rules or Rules())
    state = _State(
        outcomes=outcomes,
        retrieval=latest_retrieval(store),
        study_types=latest_study_types(store),
        study_of=current_study_links(store),
        stopped=stopped_unscreened(store, TITLE_ABSTRACT),
        reason_labels=reason_labels or {},
    )
    found = sorted({r.stage for r in records})
    order = list(stages) if stages else found
    order += [s for s in found if s not in order]
    flows = tuple(
        _flow(stage, [r for r in records if r.stage == stage], state, final=final)
        for stage in order
    )
    total = _total(records, state, final=final)
    return PrismaCounts(
        stages=flows,
        total=total,
        agreement=_agreement(store, total, outcomes),
        rule=TOTAL_RULE,
        searches=tuple(search_states(store)),
    )


def _agreement(
    store: Store, total: Flow, outcomes: Mapping[tuple[int, str], Outcome]
) -> tuple[Agreement, ...]:
    """The one agreement rule over each phase's works: every current work at title/abstract,
    the works finally included there at full text (as screening counts them)."""
    current = set(total.works["records_screened"]) | set(total.works["other_identified"])
    included = {
        w
        for w in current
        if (o := outcomes.get((w, TITLE_ABSTRACT))) and o.status is Status.INCLUDED
    }
    members = {Phase.TITLE_ABSTRACT: current, Phase.FULL_TEXT: included}
    found: list[Agreement] = []
    for phase in Phase:
        found += agreement(phase, standing_votes(store, phase.value), members[phase])
    return tuple(found)


def _total(records: Sequence[RecordRow], state: _State, *, final: bool) -> Flow:
    # a work that any database found (in any stage) is in the databases branch of the total
    db_works = {r.work_id for r in records if r.kind == "database"}
    relabelled = [r for r in records if r.kind == "database" or r.work_id not in db_works]
    flow = _flow(TOTAL, relabelled, state, final=final)
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
