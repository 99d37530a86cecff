"""Dedup against a real store: links with evidence, human decisions, incremental runs, undo,
export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rispy

from rea.errors import DedupError, NotFound
from rea.pipeline import dedup as use
from rea.records import Author, Provenance
from rea.store import dedup as db
from rea.store import open_store
from tests.dedup_support import (
    PCN_PUBMED,
    PCN_SCOPUS,
    PCN_WOS,
    add,
    make_review,
    rec,
    screen,
    variant,
)

OTHER = rec(
    "pubmed",
    title="Workforce in primary care networks: additional roles reimbursement scheme",
    authors=(Author("Baird", "B"), Author("Beech", "J")),
    journal="BMJ",
    year=2021,
    volume="372",
    pages="n123",
    pmid="33500001",
    doi="10.1136/bmj.n123",
)
OTHER_SCOPUS = variant(
    OTHER, provenance=PCN_SCOPUS.provenance, pmid="", doi="10.1136/BMJ.N123", source_id="s2"
)
# the same article with a different DOI: never merged automatically, queued for a human
DOUBTFUL = variant(PCN_SCOPUS, doi="10.3399/bjgp20X999999", source_id="doubtful")


def links(paths) -> dict[int, int]:  # type: ignore[no-untyped-def]
    with open_store(paths.store) as store:
        return db.links(store)


def test_every_record_is_linked_to_one_work_with_its_rule(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    ids = add(paths, [PCN_PUBMED, PCN_SCOPUS, PCN_WOS, OTHER, OTHER_SCOPUS])
    summary = use.run(paths)
    assert (summary.records, summary.works, summary.duplicates_removed) == (5, 2, 3)
    by_source = {c.source: (c.records, c.duplicates_removed) for c in summary.per_source}
    assert by_source == {"pubmed": (2, 0), "scopus": (2, 2), "wos": (1, 1)}
    linked = links(paths)
    assert sorted(linked) == ids
    assert linked[ids[0]] == linked[ids[1]] == linked[ids[2]] != linked[ids[3]]
    explanation = use.explain(paths, linked[ids[0]])
    rules = {r.record.record_id: r.rule for r in explanation.records}
    assert rules[ids[0]] == "first" and rules[ids[1]] in ("pmid", "doi+title", "fuzzy")
    scopus = next(r for r in explanation.records if r.record.record_id == ids[1])
    assert scopus.scores["title"] == 1.0 and scopus.matched_to in ids


def test_rerun_changes_nothing(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    add(paths, [PCN_PUBMED, PCN_SCOPUS, OTHER, DOUBTFUL])
    first = use.run(paths)
    before = links(paths)
    again = use.run(paths)
    assert links(paths) == before
    assert (again.new_records, again.new_works) == (0, 0)
    assert (again.works, again.per_source, again.queued) == (
        first.works,
        first.per_source,
        first.queued,
    )


def test_incremental_run_keeps_work_ids_and_reports_screened_joins(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    first_ids = add(paths, [PCN_PUBMED, OTHER])
    use.run(paths)
    before = links(paths)
    with open_store(paths.store) as store:
        screen(store, before[first_ids[0]])
    # a rerun of the searches brings the same article from two more databases, and a new one
    new_ids = add(
        paths,
        [
            PCN_SCOPUS,
            PCN_WOS,
            variant(
                OTHER,
                title="A different study of PCN pharmacists",
                pmid="33500999",
                doi="",
                pages="n999",
            ),
        ],
    )
    summary = use.run(paths)
    after = links(paths)
    assert {k: after[k] for k in before} == before  # old records kept their works
    assert after[new_ids[0]] == after[new_ids[1]] == before[first_ids[0]]
    assert after[new_ids[2]] not in before.values()
    assert (summary.new_records, summary.joined_existing, summary.joined_screened) == (3, 2, 2)
    assert summary.new_works == 1


def test_human_decisions_survive_reruns(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    a, b, c = add(paths, [PCN_PUBMED, PCN_SCOPUS, DOUBTFUL])
    summary = use.run(paths)
    assert summary.queued == 1
    item = use.review_items(paths)[0]
    assert {item.a.record_id, item.b.record_id} & {c}
    # keep an automatic pair apart, and merge the queued one
    use.decide(paths, a, b, "separate", "JS")
    assert links(paths)[a] != links(paths)[b]
    use.decide(paths, item.a.record_id, item.b.record_id, "merge", "JS")
    for _ in range(2):
        use.run(paths)
        now = links(paths)
        assert now[a] != now[b]
        assert now[item.a.record_id] == now[item.b.record_id]
        assert use.review_items(paths) == [] or all(
            {i.a.record_id, i.b.record_id} != {a, b} for i in use.review_items(paths)
        )


def test_undo_a_merge_and_it_stays_undone(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    a, b, c = add(paths, [PCN_PUBMED, PCN_SCOPUS, PCN_WOS])
    use.run(paths)
    work = links(paths)[a]
    outcome = use.undo(paths, c, "JS")
    assert f"record {c} left work {work}" in outcome.message
    use.run(paths)
    now = links(paths)
    assert now[a] == now[b] == work and now[c] != work
    with pytest.raises(DedupError, match="no merge to undo"):
        use.undo(paths, c, "JS")


def test_human_merge_of_two_screened_works_keeps_the_screened_id(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    a, _, c = add(paths, [PCN_PUBMED, OTHER, DOUBTFUL])
    use.run(paths)
    first = links(paths)
    with open_store(paths.store) as store:
        screen(store, first[c])
    outcome = use.decide(paths, a, c, "merge", "JS")
    assert f"into work {first[c]}" in outcome.message
    now = links(paths)
    assert now[a] == now[c] == first[c]
    assert use.explain(paths, first[a]).merged_into == first[c]


def test_decisions_on_unknown_records_are_errors(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    add(paths, [PCN_PUBMED])
    use.run(paths)
    with pytest.raises(NotFound, match="no record 99"):
        use.decide(paths, 1, 99, "merge", "JS")
    with pytest.raises(NotFound, match="no work 42"):
        use.explain(paths, 42)


def test_export_ris_reads_back_and_csv_has_one_row_per_work(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    add(paths, [PCN_PUBMED, PCN_SCOPUS, PCN_WOS, OTHER, OTHER_SCOPUS])
    use.run(paths)
    ris = tmp_path / "out" / "works.ris"
    assert use.export(paths, "ris", ris) == 2
    with ris.open(encoding="utf-8-sig") as handle:
        entries = rispy.load(handle)
    assert len(entries) == 2
    pcn = next(e for e in entries if e["title"].startswith("Primary care networks"))
    assert pcn["doi"] == "10.3399/bjgp20x710885"
    assert pcn["authors"][0].startswith("Smith")
    assert any("sources: pubmed; scopus; wos" in n for n in pcn["notes"])
    out = tmp_path / "works.csv"
    assert use.export(paths, "csv", out) == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2
    row = next(r for r in rows if r["title"].startswith("Primary care networks"))
    assert row["sources"] == "pubmed; scopus; wos"
    assert row["n_records"] == "3"
    assert "WOS:000540000000001" in row["wos_uts"] and row["pmids"] == "32482630"


def test_export_before_dedup_is_an_error(tmp_path: Path) -> None:
    paths = make_review(tmp_path)
    add(paths, [PCN_PUBMED])
    with pytest.raises(DedupError, match="no works yet"):
        use.export(paths, "csv", tmp_path / "x.csv")


def _medline_records() -> list:  # type: ignore[type-arg]
    """The four real PubMed records of the fixture, as Records, and the same four as another
    database would export them (no PMID, capitals, full journal name, full page range)."""
    from Bio import Medline

    from tests.helpers import FIXTURES

    pubmed, other = [], []
    with (FIXTURES / "dedup" / "pubmed_result2.txt").open(encoding="utf-8") as handle:
        for entry in Medline.parse(handle):
            doi = next((a.split()[0] for a in entry.get("AID", []) if a.endswith("[doi]")), "")
            first, _, last = entry.get("PG", "").partition("-")
            if last and len(last) < len(first):
                last = first[: len(first) - len(last)] + last
            base = rec(
                "pubmed",
                title=entry["TI"],
                authors=tuple(
                    Author(a.rsplit(" ", 1)[0], a.rsplit(" ", 1)[-1]) for a in entry["AU"]
                ),
                journal=entry["JT"],
                journal_abbrev=entry["TA"],
                year=int(entry["DP"][:4]),
                volume=entry.get("VI", ""),
                issue=entry.get("IP", ""),
                pages=entry.get("PG", ""),
                pmid=entry["PMID"],
                doi=doi,
                source_id=entry["PMID"],
            )
            pubmed.append(base)
            other.append(
                variant(
                    base,
                    provenance=PCN_WOS.provenance,
                    title=entry["TI"].upper().rstrip("."),
                    authors=tuple(Author(f"{a.family}, {a.given}") for a in base.authors),
                    journal=entry["JT"].split(" (")[0].upper(),
                    journal_abbrev="",
                    pages=f"{first}-{last}" if last else first,
                    pmid="",
                    doi=f"https://doi.org/{doi.upper()}" if doi else "",
                    source_id=f"WOS:{entry['PMID']}",
                )
            )
    return [pubmed, other]


def test_real_pubmed_records_meet_their_other_database_exports(tmp_path: Path) -> None:
    pubmed, other = _medline_records()
    assert len(pubmed) == 4
    paths = make_review(tmp_path)
    first_ids = add(paths, pubmed)
    summary = use.run(paths)
    assert summary.works == 4  # four different articles, two in the same journal
    before = links(paths)
    later_ids = add(paths, other)
    summary = use.run(paths)
    after = links(paths)
    assert (summary.works, summary.new_works, summary.joined_existing) == (4, 0, 4)
    assert [after[i] for i in later_ids] == [before[i] for i in first_ids]
    assert summary.queued == 0


def test_a_rerun_of_a_search_joins_the_works_and_only_current_records_are_counted(
    tmp_path: Path,
) -> None:
    from tests.dedup_support import add_run

    paths = make_review(tmp_path)
    first = add(paths, [PCN_PUBMED, OTHER, PCN_SCOPUS])
    use.run(paths)
    before = links(paths)
    # PubMed searched again a month later: the same two records, as the new run gave them
    add_run(paths, "2026-12-24T101500Z", "2026-12-24T10:15:00+00:00")
    rerun = Provenance(
        source="pubmed", stage=PCN_PUBMED.provenance.stage, run_id="2026-12-24T101500Z"
    )
    again = add(paths, [variant(PCN_PUBMED, provenance=rerun), variant(OTHER, provenance=rerun)])
    summary = use.run(paths)
    after = links(paths)
    assert after[again[0]] == before[first[0]] and after[again[1]] == before[first[1]]
    assert (summary.records, summary.stored_records, summary.works) == (3, 5, 2)
    assert {c.source: c.records for c in summary.per_source} == {"pubmed": 2, "scopus": 1}
    assert (summary.new_records, summary.joined_existing, summary.new_works) == (2, 2, 0)
