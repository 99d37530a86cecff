"""Deduplication use cases: run, review, decide, explain, undo, export.

Every run reads all records of the review and the state earlier runs and reviewers left, and
only ever adds to it: records already in a work stay there, human decisions hold, and work ids
never change (screening decisions are keyed on them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rea.config import ReviewPaths
from rea.dedup import deduplicate, kept_record
from rea.dedup.export import WorkRecords, csv_text, ris_text
from rea.errors import ConfigError, DedupError, NotFound
from rea.files import write_text_atomic
from rea.records import Record
from rea.store import Store, open_store
from rea.store import dedup as db
from rea.store.records import StoredRecord, get_record, iter_records
from rea.store.works import NewLink, link_records

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SourceCount:
    source: str
    records: int
    duplicates_removed: int


@dataclass(frozen=True)
class RunSummary:
    """Counts over the review's current records (imports and the latest run of each search);
    ``stored_records`` also counts the records of earlier runs, which are linked too."""

    records: int
    works: int
    new_records: int
    new_works: int
    joined_existing: int  # new records that joined a work made by an earlier run
    joined_screened: int  # … of which the work already has screening decisions
    queued: int
    per_source: tuple[SourceCount, ...]
    merged_works: tuple[tuple[int, int], ...] = ()  # (absorbed, survivor) by human decisions
    stored_records: int = 0
    # current records with neither a title nor an identifier: only their citation can match
    # them, so they are shown in the review queue when it does
    unidentified: int = 0
    database_duplicates: int = 0  # PRISMA's "duplicate records removed": database records only

    @property
    def duplicates_removed(self) -> int:
        """Every current record that repeats a work (other-method records too)."""
        return self.records - self.works


@dataclass(frozen=True)
class ReviewItem:
    a: StoredRecord
    b: StoredRecord
    work_a: int | None
    work_b: int | None
    scores: dict[str, float]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DecisionOutcome:
    decision_id: int
    message: str


@dataclass(frozen=True)
class LinkedRecord:
    record: StoredRecord
    rule: str
    scores: dict[str, float]
    matched_to: int | None
    linked_at: str


@dataclass(frozen=True)
class RelatedRecord:
    """A record of another item about the same article (an erratum and its article)."""

    record: StoredRecord
    work_id: int | None
    relation: str  # this work's record's kind first: "article vs erratum"
    to_record: int  # the record of this work it is related to


@dataclass(frozen=True)
class Explanation:
    work_id: int
    merged_into: int | None
    records: tuple[LinkedRecord, ...]
    decisions: tuple[db.DecisionRow, ...]
    queued: tuple[db.QueueRow, ...]
    screened: bool
    kept: int | None = None
    notes: tuple[str, ...] = field(default=())
    related: tuple[RelatedRecord, ...] = ()


def _open(paths: ReviewPaths) -> Store:
    return open_store(paths.store, create=False)


# ---------------------------------------------------------------- run


def run(paths: ReviewPaths, progress: Progress | None = None) -> RunSummary:
    """Group every record of the review into works, keeping what earlier runs decided."""
    with _open(paths) as store:
        return run_store(store, progress)


def run_store(store: Store, progress: Progress | None = None) -> RunSummary:
    records = [(s.record_id, s.record) for s in iter_records(store)]
    existing = db.links(store)
    latest = db.latest_decision_id(store)
    if db.last_run_decision_id(store) == latest and all(rid in existing for rid, _ in records):
        # no new record and no decision since the last run: nothing can change
        return _unchanged(store, records, existing)
    decisions = db.current_decisions(store)
    merges = [(d.record_a, d.record_b) for d in decisions if d.decision == "merge"]
    separations = [(d.record_a, d.record_b) for d in decisions if d.decision == "separate"]
    screened = db.screened_works(store)
    result = deduplicate(
        records, existing=existing, merges=merges, separations=separations, progress=progress
    )
    new_records = new_works = joined_existing = joined_screened = 0
    merged: list[tuple[int, int]] = []
    new_links: list[NewLink] = []
    with store.transaction() as conn:
        run_id = db.start_run(conn, latest)
        for cluster in result.clusters:
            work_ids = list(cluster.work_ids)
            if not work_ids:
                work_id = db.new_work(conn)
                new_works += 1
                fresh = False
            else:
                # several existing works only meet through a human merge: keep the screened
                # (else the oldest) id, fold the others into it
                work_id = min(work_ids, key=lambda w: (w not in screened, w))
                for other in work_ids:
                    if other != work_id:
                        db.move_work(conn, other, work_id)
                        merged.append((other, work_id))
                fresh = True
            for link in cluster.links:
                if link.record_id in existing:
                    continue
                new_records += 1
                new_links.append(
                    NewLink(
                        link.record_id, work_id, link.rule, link.scores, link.matched_to, run_id
                    )
                )
                if fresh:
                    joined_existing += 1
                    if work_id in screened:
                        joined_screened += 1
        link_records(conn, new_links)
        queued = db.replace_queue(
            conn,
            (db.QueueRow(q.record_a, q.record_b, q.scores, q.reasons) for q in result.queue),
        )
        db.replace_related(
            conn, (db.RelatedRow(r.record_a, r.record_b, r.relation) for r in result.related)
        )
        db.finish_run(
            conn,
            run_id,
            n_records=len(records),
            n_works=len(result.clusters),
            n_new_records=new_records,
            n_joined_screened=joined_screened,
            n_queued=queued,
        )
    current = db.current_record_ids(store)
    groups = [[r for r in c.record_ids if r in current] for c in result.clusters]
    groups = [g for g in groups if g]
    return RunSummary(
        records=sum(len(g) for g in groups),
        works=len(groups),
        new_records=new_records,
        new_works=new_works,
        joined_existing=joined_existing,
        joined_screened=joined_screened,
        queued=queued,
        per_source=_per_source(groups, dict(records)),
        merged_works=tuple(merged),
        stored_records=len(records),
        unidentified=_unidentified(records, current),
        database_duplicates=_database_duplicates(groups, dict(records)),
    )


def _unidentified(records: Sequence[tuple[int, Record]], current: set[int]) -> int:
    return sum(1 for rid, record in records if rid in current and record.unidentified)


def _per_source(
    groups: Sequence[Sequence[int]], records: dict[int, Record]
) -> tuple[SourceCount, ...]:
    total: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for ids in groups:
        kept = kept_record([(rid, records[rid]) for rid in ids])
        for rid in ids:
            source = records[rid].provenance.source
            total[source] += 1
            if rid != kept:
                removed[source] += 1
    return tuple(SourceCount(s, total[s], removed[s]) for s in sorted(total))


def _database_duplicates(groups: Sequence[Sequence[int]], records: dict[int, Record]) -> int:
    """Database records − works with a database record: what PRISMA 2020 reports as duplicate
    records removed (the records of other methods are not in that box)."""
    database = [[r for r in g if records[r].provenance.kind.value == "database"] for g in groups]
    return sum(len(g) for g in database) - sum(1 for g in database if g)


def _unchanged(
    store: Store, records: list[tuple[int, Record]], existing: dict[int, int]
) -> RunSummary:
    current = db.current_record_ids(store)
    by_work: dict[int, list[int]] = defaultdict(list)
    for rid, _ in records:
        if rid in current:
            by_work[existing[rid]].append(rid)
    return RunSummary(
        records=sum(len(g) for g in by_work.values()),
        works=len(by_work),
        new_records=0,
        new_works=0,
        joined_existing=0,
        joined_screened=0,
        queued=len(db.queue(store)),
        per_source=_per_source(list(by_work.values()), dict(records)),
        stored_records=len(records),
        unidentified=_unidentified(records, current),
        database_duplicates=_database_duplicates(list(by_work.values()), dict(records)),
    )


# ---------------------------------------------------------------- review and decisions


def review_items(paths: ReviewPaths) -> list[ReviewItem]:
    """The queued pairs with both records, for a reviewer."""
    with _open(paths) as store:
        items = []
        links = db.links(store)
        for q in db.queue(store):
            a, b = get_record(store, q.record_a), get_record(store, q.record_b)
            if a is None or b is None:
                continue
            items.append(
                ReviewItem(
                    a, b, links.get(a.record_id), links.get(b.record_id), q.scores, q.reasons
                )
            )
        return items


def still_open(paths: ReviewPaths, a: int, b: int) -> bool:
    """Whether a queued pair still waits (an earlier decision may have settled it)."""
    with _open(paths) as store:
        return any(q.record_a == min(a, b) and q.record_b == max(a, b) for q in db.queue(store))


def decide(
    paths: ReviewPaths, a: int, b: int, decision: str, reviewer: str, note: str = ""
) -> DecisionOutcome:
    """Store a human decision on a pair and apply it to the works at once."""
    if decision not in ("merge", "separate"):
        raise DedupError(f"unknown decision {decision!r}", hint="use merge or separate")
    if a == b:
        raise DedupError("a record cannot be compared with itself", where=f"record {a}")
    if not reviewer.strip():
        raise DedupError("a decision needs a reviewer", hint="pass --reviewer INITIALS")
    check_reviewer(paths, reviewer)
    with _open(paths) as store:
        return decide_store(store, a, b, decision, reviewer, note)


def check_reviewer(paths: ReviewPaths, reviewer: str) -> None:
    """Dedup decisions are signed by a reviewer of the review's screening.toml, as screening
    decisions are (a mistyped name would stay in the audit trail)."""
    from rea.screening import load_screening_config

    if not paths.screening.is_file():
        raise ConfigError(
            "no screening.toml: it lists the reviewers who may decide on duplicates",
            where=str(paths.screening),
            hint="add [[reviewers]] to screening.toml (see docs/screening.md)",
        )
    load_screening_config(paths.screening).reviewer(reviewer.strip())


def decide_store(
    store: Store, a: int, b: int, decision: str, reviewer: str, note: str = ""
) -> DecisionOutcome:
    for rid in (a, b):
        if get_record(store, rid) is None:
            raise NotFound(f"no record {rid}", hint="record ids are shown by `rea dedup review`")
    link_a, link_b = db.link_of_record(store, a), db.link_of_record(store, b)
    if link_a is None or link_b is None:
        raise DedupError("the records are not grouped into works yet", hint="run `rea dedup` first")
    screened = db.screened_works(store)
    with store.transaction() as conn:
        decision_id = db.add_decision(conn, a, b, decision, reviewer, note)
        if decision == "merge":
            if link_a.work_id == link_b.work_id:
                message = f"records {a} and {b} were already in work {link_a.work_id}"
            else:
                survivor, absorbed = sorted(
                    (link_a.work_id, link_b.work_id), key=lambda w: (w not in screened, w)
                )
                db.move_work(conn, absorbed, survivor)
                moved = b if link_b.work_id == absorbed else a
                other = a if moved == b else b
                db.link(conn, moved, survivor, rule="human", scores={}, matched_to=other)
                message = f"merged work {absorbed} into work {survivor} (records {a} and {b})"
                if absorbed in screened:
                    message += f"; work {absorbed} had screening decisions"
        else:
            if link_a.work_id != link_b.work_id:
                message = f"records {a} and {b} kept apart (works {link_a.work_id}, "
                message += f"{link_b.work_id})"
            else:
                leaving = _leaving(store, a, b)
                work_id = db.new_work(conn)
                db.link(conn, leaving, work_id, rule="human-separate", scores={})
                message = f"record {leaving} left work {link_a.work_id} for new work {work_id}"
        db.drop_settled_queue(conn)
    return DecisionOutcome(decision_id, message)


def _leaving(store: Store, a: int, b: int) -> int:
    """Of two records in one work, the one that leaves: not the work's first record."""
    la, lb = db.link_of_record(store, a), db.link_of_record(store, b)
    if la is not None and la.rule == "first":
        return b
    if lb is not None and lb.rule == "first":
        return a
    return max(a, b)


def undo(paths: ReviewPaths, record_id: int, reviewer: str) -> DecisionOutcome:
    """Take a record out of its work (undo the merge that put it there), for good."""
    if not reviewer.strip():
        raise DedupError("undoing a merge needs a reviewer", hint="pass --reviewer INITIALS")
    check_reviewer(paths, reviewer)
    with _open(paths) as store:
        link = db.link_of_record(store, record_id)
        if link is None:
            raise NotFound(f"record {record_id} is in no work", hint="run `rea dedup` first")
        others = [r.record_id for r in db.links_of_work(store, link.work_id)]
        others = [r for r in others if r != record_id]
        if not others:
            raise DedupError(
                f"record {record_id} is alone in work {link.work_id}: no merge to undo"
            )
        with store.transaction() as conn:
            first = 0
            for other in others:
                did = db.add_decision(conn, record_id, other, "separate", reviewer, "undo")
                first = first or did
            remaining_first = link.rule == "first"
            work_id = db.new_work(conn)
            db.link(conn, record_id, work_id, rule="human-separate", scores={})
            if remaining_first:
                # the work's anchor left: the oldest remaining record becomes the first
                db.link(conn, min(others), link.work_id, rule="first", scores={})
            db.drop_settled_queue(conn)
        return DecisionOutcome(
            first,
            f"record {record_id} left work {link.work_id} for new work {work_id}; "
            f"kept apart from {len(others)} record(s)",
        )


# ---------------------------------------------------------------- explain and export


def explain(paths: ReviewPaths, work_id: int) -> Explanation:
    with _open(paths) as store:
        if not db.work_exists(store, work_id):
            raise NotFound(f"no work {work_id}", hint="work ids are listed by `rea dedup export`")
        target = db.merged_into(store, work_id)
        links = db.links_of_work(store, work_id)
        records = []
        for link in links:
            stored = get_record(store, link.record_id)
            if stored is not None:
                records.append(
                    LinkedRecord(stored, link.rule, link.scores, link.matched_to, link.linked_at)
                )
        ids = [r.record.record_id for r in records]
        decisions = db.decisions_touching(store, ids)
        queued = [q for q in db.queue(store) if q.record_a in ids or q.record_b in ids]
        related = []
        links_by_record = db.links(store) if ids else {}
        for row in db.related_to(store, ids):
            mine, other = (row.record_a, row.record_b)
            relation = row.relation
            if mine not in ids:
                mine, other = other, mine
                relation = " vs ".join(reversed(relation.split(" vs ")))
            if other in ids:
                continue
            stored_other = get_record(store, other)
            if stored_other is not None:
                related.append(
                    RelatedRecord(stored_other, links_by_record.get(other), relation, mine)
                )
        kept = (
            kept_record([(r.record.record_id, r.record.record) for r in records])
            if records
            else None
        )
        return Explanation(
            work_id=work_id,
            merged_into=target,
            records=tuple(records),
            decisions=tuple(decisions),
            queued=tuple(queued),
            screened=work_id in db.screened_works(store),
            kept=kept,
            related=tuple(related),
        )


def export(paths: ReviewPaths, fmt: str, out: Path) -> int:
    """Write one row (CSV) or reference (RIS) per work; returns how many were written."""
    if fmt not in ("ris", "csv"):
        raise DedupError(f"unknown export format {fmt!r}", hint="use ris or csv")
    with _open(paths) as store:
        links = db.links(store)
        if not links:
            raise DedupError("no works yet", hint="run `rea dedup` first")
        by_work: dict[int, list[tuple[int, Record]]] = defaultdict(list)
        unlinked = 0
        for stored in iter_records(store):
            work_id = links.get(stored.record_id)
            if work_id is None:
                unlinked += 1
                continue
            by_work[work_id].append((stored.record_id, stored.record))
        if unlinked:
            raise DedupError(
                f"{unlinked} record(s) are not grouped into works yet",
                hint="run `rea dedup` before exporting",
            )
        current = db.current_record_ids(store)
    # works the review works on: with at least one current record (a work known only from an
    # earlier run of a search is left out); their identifiers come from all their records
    works = [
        WorkRecords(w, tuple(rs))
        for w, rs in sorted(by_work.items())
        if any(rid in current for rid, _ in rs)
    ]
    text = ris_text(works) if fmt == "ris" else csv_text(works)
    write_text_atomic(out, text, what="the export")
    return len(works)
