"""One test per kind of deduplication error seen on labelled sets from other fields and export
paths, each with records built the way two databases export the same (or not the same) item."""

from __future__ import annotations

from rea.dedup import deduplicate
from rea.dedup.normalize import author_surnames, clean_title, fold
from rea.records import Author
from tests.dedup_support import rec, variant


def run(records: list) -> tuple[list[tuple[int, ...]], list[tuple[int, int]]]:
    result = deduplicate(list(enumerate(records, start=1)))
    groups = sorted(c.record_ids for c in result.clusters)
    return groups, [(q.record_a, q.record_b) for q in result.queue]


NUDGING = dict(
    title="Digital nudging in online grocery stores: a field experiment",
    authors=(Author("Berger", "M"), Author("Mueller", "C"), Author("Schmidt", "A")),
    year=2020,
)


# ---------------------------------------------------------------- 1. meeting venues


def test_one_conference_paper_under_two_names_of_its_meeting() -> None:
    full = rec(
        "scopus",
        journal="Proceedings of the 41st International Conference on Information Systems "
        "(ICIS 2020)",
        publication_types=("CPAPER",),
        **NUDGING,
    )
    short = rec("aisel", journal="ICIS 2020 Proceedings", pages="", **NUDGING)
    spelled = rec(
        "wos",
        journal="International Conference on Information Systems, ICIS 2020: Making "
        "Digital Inclusive",
        publication_types=("Proceedings Paper",),
        **NUDGING,
    )
    assert run([full, short, spelled]) == ([(1, 2, 3)], [])


def test_meeting_acronym_matches_the_initials_of_the_full_name() -> None:
    hicss = rec("aisel", journal="HICSS 2019", **NUDGING)
    spelled = rec(
        "scopus",
        journal="Proceedings of the 52nd Hawaii International Conference on System Sciences",
        publication_types=("Conference Paper",),
        **NUDGING,
    )
    assert run([hicss, spelled])[0] == [(1, 2)]


def test_journal_conference_form_and_the_meeting_name() -> None:
    embase = rec(
        "embase",
        title="Cost-effectiveness of community pharmacist medication reviews in England",
        authors=(Author("Patel", "R"), Author("Hughes", "D")),
        journal="Value in Health. Conference: ISPOR 22nd Annual International Meeting. "
        "Boston, MA United States",
        year=2017,
        volume="20",
        issue="5",
        pages="A123",
    )
    other = variant(
        embase,
        provenance=rec("wos").provenance,
        journal="ISPOR 22nd Annual International Meeting",
        volume="",
        issue="",
        pages="",
    )
    assert run([embase, other])[0] == [(1, 2)]


def test_proceedings_in_a_book_series_and_the_meeting_name() -> None:
    series = rec(
        "scopus",
        journal="Lecture Notes in Computer Science",
        volume="11491",
        pages="212-226",
        publication_types=("CONF",),
        **NUDGING,
    )
    meeting = rec("dblp", journal="DESRIST 2019", publication_types=("inproceedings",), **NUDGING)
    assert run([series, meeting])[0] == [(1, 2)]


def test_title_authors_and_pages_carry_the_decision_over_venue_names() -> None:
    a = rec("scopus", journal="Proc. Eur. Conf. Inf. Syst.", pages="1123-1137", **NUDGING)
    b = rec("wos", journal="28th European Conference on Information Systems", pages="1123-37")
    b = variant(b, **NUDGING)
    assert run([a, b])[0] == [(1, 2)]


def test_two_editions_of_one_meeting_stay_apart_and_are_not_queued() -> None:
    a = rec("aisel", journal="ICIS 2019 Proceedings", **NUDGING)
    b = variant(a, journal="ICIS 2020 Proceedings", year=2020)
    c = rec("aisel", journal="Proceedings of the 27th European Conference on Information Systems")
    c = variant(c, **NUDGING)
    d = variant(c, journal="Proceedings of the 28th European Conference on Information Systems")
    assert run([a, b]) == ([(1,), (2,)], [])
    assert run([c, d]) == ([(1,), (2,)], [])


def test_the_parts_of_one_proceedings_are_different_volumes() -> None:
    # Scopus lists each part of a proceedings in a book series: one title, four volumes
    parts = [
        rec(
            "scopus",
            title="Computational Science and Its Applications - ICCSA 2010 - International "
            "Conference, Proceedings",
            journal="Lecture Notes in Computer Science",
            year=2010,
            volume=f"{6015 + part} LNCS",
            issue=f"PART {part}",
            publication_types=("Conference Review",),
        )
        for part in (1, 2, 3, 4)
    ]
    assert run(parts) == ([(1,), (2,), (3,), (4,)], [])


# ---------------------------------------------------------------- 2. issues of one volume


def test_recurring_column_in_each_issue_stays_apart() -> None:
    columns = [
        rec(
            "wos",
            title="Editor's comments",
            authors=(Author("Rai", "A"),),
            journal="MIS Quarterly",
            year=2020,
            volume="44",
            issue=str(issue),
        )
        for issue in (1, 2, 3, 4)
    ]
    assert run(columns) == ([(1,), (2,), (3,), (4,)], [])
    # the column of one issue from two databases is one item
    again = variant(columns[0], provenance=rec("scopus").provenance, journal="MIS Q.")
    assert run([columns[0], again])[0] == [(1, 2)]


def test_same_author_same_pages_different_issues_are_two_articles() -> None:
    # pages restart with each issue; the two articles share author, volume and page range
    a = rec(
        "wos",
        title="Platform ecosystems and the governance of complementors",
        authors=(Author("Tiwana", "A"),),
        journal="Journal of Information Technology",
        year=2018,
        volume="33",
        issue="1",
        pages="1-14",
    )
    b = variant(a, title="Digital infrastructure as a sociotechnical system", issue="3")
    assert run([a, b]) == ([(1,), (2,)], [])
    # the same title in two issues, no identifier: different items, not merged
    c = variant(a, issue="3")
    assert run([a, c])[0] == [(1,), (2,)]


# ---------------------------------------------------------------- 3. generic titles


def test_generic_titles_with_different_identifiers_or_pages_are_not_queued() -> None:
    editorials = [
        rec(
            "scopus",
            title=title,
            journal="BMJ Quality & Safety",
            year=2021,
            volume="30",
            pages=f"{page}-{page + 1}",
            doi=f"10.1136/bmjqs-2021-0{page}",
        )
        for title, page in (
            ("Editorial", 1),
            ("Editorial.", 89),
            ("EDITORIAL", 177),
            ("In this issue", 265),
            ("In This Issue", 353),
            ("Editor's choice", 441),
        )
    ]
    groups, queued = run(editorials)
    assert len(groups) == 6
    assert queued == []


def test_identical_records_without_authors_still_merge() -> None:
    a = rec(
        "pubmed",
        title="Editorial",
        journal="Br J Gen Pract",
        year=2019,
        volume="69",
        issue="678",
    )
    b = variant(
        a, provenance=rec("embase").provenance, journal="British Journal of General Practice"
    )
    c = rec("pubmed", title="Interventions to reduce emergency admissions: an overview", year=2015)
    d = variant(c, provenance=rec("ovid").provenance)
    assert run([a, b])[0] == [(1, 2)]
    assert run([c, d])[0] == [(1, 2)]


# ---------------------------------------------------------------- 4. errata


def test_one_erratum_in_two_notations_merges_and_stays_related_to_its_article() -> None:
    article = rec(
        "pubmed",
        title="Effects of structured exercise on glycaemic control in type 2 diabetes",
        authors=(Author("Umpierre", "D"),),
        journal="Diabetes Care",
        year=2010,
        volume="33",
        issue="6",
        pages="1234-1240",
    )
    pubmed = rec(
        "pubmed",
        title="Erratum: Effects of structured exercise on glycaemic control in type 2 diabetes "
        "[Diabetes Care 2010;33(6):1234-40]",
        journal="Diabetes Care",
        year=2010,
        volume="33",
        issue="9",
        pages="2110",
        publication_types=("Published Erratum",),
    )
    wos = rec(
        "wos",
        title="Effects of structured exercise on glycaemic control in type 2 diabetes "
        "(vol 33, pg 1234, 2010)",
        journal="DIABETES CARE",
        year=2010,
        volume="33",
        issue="9",
        pages="2110",
    )
    result = deduplicate([(1, article), (2, pubmed), (3, wos)])
    assert sorted(c.record_ids for c in result.clusters) == [(1,), (2, 3)]
    assert result.queue == ()
    assert {(r.record_a, r.record_b) for r in result.related} == {(1, 2), (1, 3)}
    assert {r.relation for r in result.related} == {"article vs erratum"}


def test_one_letter_typed_comment_by_one_database_is_not_a_related_notice() -> None:
    # PubMed types a letter "Comment" (it comments on an article); Embase types it "Letter":
    # the same first page makes it one item that two databases typed differently
    pubmed = rec(
        "pubmed",
        title="Primary care networks and the workforce",
        authors=(Author("Hughes", "D"),),
        journal="Br J Gen Pract",
        year=2020,
        volume="70",
        pages="322",
        publication_types=("Letter", "Comment"),
    )
    embase = variant(
        pubmed,
        provenance=rec("embase").provenance,
        publication_types=("Letter",),
    )
    result = deduplicate([(1, pubmed), (2, embase)])
    assert result.related == ()
    assert [(q.record_a, q.record_b) for q in result.queue] == [(1, 2)]


# ---------------------------------------------------------------- 5. abstracts and articles


def test_abstract_with_the_whole_section_range_is_not_a_long_article() -> None:
    abstract = rec(
        "embase",
        title="Telephone triage and emergency admissions in general practice",
        authors=(Author("Campbell", "J"), Author("Fletcher", "E")),
        journal="British Journal of General Practice",
        year=2015,
        volume="65",
        issue="Suppl 1",
        pages="S1-S250",
    )
    article = variant(abstract, issue="642", pages="e10-e18", year=2015)
    assert run([abstract, article]) == ([(1,), (2,)], [])


def test_one_abstract_in_two_meeting_supplements_stays_apart() -> None:
    first = rec(
        "embase",
        title="Telephone triage and emergency admissions in general practice",
        authors=(Author("Campbell", "J"),),
        journal="Emergency Medicine Journal. Conference: Royal College of Emergency Medicine "
        "Annual Scientific Conference 2016",
        year=2016,
        volume="33",
        pages="A12",
    )
    second = variant(
        first,
        journal="BJGP Open. Conference: RCGP Annual Primary Care Conference 2017",
        year=2017,
        volume="1",
        pages="S45",
    )
    assert run([first, second]) == ([(1,), (2,)], [])


# ---------------------------------------------------------------- 6. extra text in titles


def test_extra_text_in_one_title() -> None:
    assert clean_title(
        "[Effects of exercise on blood pressure in older adults]. [Review] [16 refs] [German]"
    ) == ("Effects of exercise on blood pressure in older adults")
    assert clean_title("Systematic review: the effect of exercise on blood pressure") == (
        "the effect of exercise on blood pressure"
    )
    assert clean_title("Physical activity in adolescents1") == "Physical activity in adolescents"
    assert (
        clean_title("Statins for primary prevention. N Engl J Med 2008;359:2195-207")
        == "Statins for primary prevention"
    )
    base = rec(
        "pubmed",
        title="Physical activity and screen time in adolescents with asthma",
        authors=(Author("Lang", "DM"),),
        journal="J Asthma",
        year=2012,
        volume="49",
        pages="210-215",
    )
    kicker = variant(base, title="Original article: " + base.title)
    footnote = variant(base, title=base.title + "1")
    translated = variant(base, title="[" + base.title + "]. [Review] [16 refs] [German]")
    assert run([base, kicker, footnote, translated])[0] == [(1, 2, 3, 4)]


# ---------------------------------------------------------------- 7. smaller kinds


def test_fields_shifted_by_one() -> None:
    a = rec(
        "pubmed",
        title="Continuity of care with general practitioners and mortality",
        authors=(Author("Pereira Gray", "DJ"),),
        journal="BMJ Open",
        year=2018,
        volume="8",
        issue="6",
        pages="e021161",
    )
    b = variant(a, provenance=rec("scopus").provenance, volume="", issue="8")
    assert run([a, b])[0] == [(1, 2)]


def test_journal_under_another_name() -> None:
    translated = rec(
        "pubmed",
        title="Prevalence of hypertension among adults in rural Henan",
        authors=(Author("Wang", "L"), Author("Li", "Y")),
        journal="Zhonghua liu xing bing xue za zhi",
        year=2016,
        volume="37",
        issue="4",
        pages="512-516",
    )
    english = variant(
        translated,
        provenance=rec("cnki").provenance,
        journal="Chinese Journal of Epidemiology",
    )
    section = rec(
        "pubmed",
        title="Nitric oxide and coronary blood flow during exercise",
        authors=(Author("Duncker", "DJ"),),
        journal="American Journal of Physiology",
        year=1996,
        volume="270",
        pages="H1-H9",
    )
    parent = variant(
        section,
        provenance=rec("embase").provenance,
        journal="American Journal of Physiology - Heart and Circulatory Physiology",
        pages="",
    )
    assert run([translated, english])[0] == [(1, 2)]
    assert run([section, parent])[0] == [(1, 2)]


def test_sibling_registry_records_differ_by_one_population_word() -> None:
    adults = rec(
        "ctgov",
        title="A trial of inhaled budesonide-formoterol as needed in adults with mild asthma",
        authors=(Author("Beasley", "R"),),
        year=2016,
        source_id="NCT02760017",
    )
    children = variant(
        adults,
        title="A trial of inhaled budesonide-formoterol as needed in children with mild asthma",
        source_id="NCT02760018",
    )
    no_ids = variant(children, source_id="")
    assert run([adults, children]) == ([(1,), (2,)], [])
    assert run([variant(adults, source_id=""), no_ids]) == ([(1,), (2,)], [])


def test_authors_exported_as_given_family() -> None:
    assert fold("Sørensen") == fold("Sorensen") == "sorensen"
    pubmed = rec(
        "pubmed",
        title="Patient-reported outcomes after knee replacement in Denmark",
        authors=(Author("Sørensen", "Henrik"), Author("Kjær", "Søren")),
        year=2019,
        journal="Acta Orthop",
        volume="90",
    )
    swapped = variant(
        pubmed,
        provenance=rec("ris-export").provenance,
        authors=(Author("Henrik", "Sorensen"), Author("Soren", "Kjaer")),
        journal="Acta Orthopaedica",
        volume="",
    )
    assert author_surnames(pubmed.authors) == author_surnames(
        (Author("Sorensen", "H"), Author("Kjaer", "S"))
    )
    assert run([pubmed, swapped])[0] == [(1, 2)]


def test_thesis_and_its_dissertation_abstracts_listing() -> None:
    thesis = rec(
        "proquest",
        title="Care coordination for older adults with multimorbidity in primary care networks",
        authors=(Author("Okafor", "Chinwe"),),
        year=2019,
        journal="ProQuest Dissertations and Theses",
        publication_types=("THES",),
    )
    listing = rec(
        "psycinfo",
        title=thesis.title,
        authors=(Author("Okafor", "C"),),
        year=2019,
        journal="Dissertation Abstracts International: Section B: The Sciences and Engineering",
        volume="80",
        issue="9-B(E)",
        publication_types=("Dissertation Abstract",),
    )
    article = rec(
        "pubmed",
        title=thesis.title,
        authors=(Author("Okafor", "C"),),
        year=2020,
        journal="BMC Family Practice",
        volume="21",
        pages="101-112",
        publication_types=("Journal Article",),
    )
    assert run([thesis, listing, article]) == ([(1, 2), (3,)], [])


def test_multiple_letters_record_and_one_reply() -> None:
    letters = rec(
        "embase",
        title="Statins for everyone over 75? [multiple letters]",
        authors=(Author("Smith", "J"), Author("Jones", "K"), Author("Patel", "R")),
        journal="BMJ",
        year=2019,
        volume="365",
        pages="l1521",
    )
    reply = rec(
        "pubmed",
        title="Statins for everyone over 75?",
        authors=(Author("Jones", "K"),),
        journal="BMJ",
        year=2019,
        volume="365",
        pages="l1521",
        publication_types=("Letter",),
    )
    groups, queued = run([letters, reply])
    assert groups == [(1,), (2,)]
    assert queued == [(1, 2)]


# ---------------------------------------------------------------- import paths

RIS = """\
TY  - JOUR
TI  - Continuity of care with general practitioners and mortality
AU  - Pereira Gray, D J
PY  - 2018
T2  - BMJ Open
VL  - 8
IS  - 6
SP  - e021161
ER  -
TY  - CPAPER
TI  - Digital nudging in online grocery stores: a field experiment
AU  - Berger, M
AU  - Mueller, C
PY  - 2020
T2  - ICIS 2020 Proceedings
ER  -
TY  - CONF
TI  - Digital nudging in online grocery stores: a field experiment
AU  - Berger, M
AU  - Mueller, C
PY  - 2020
T2  - Proceedings of the 41st International Conference on Information Systems
SP  - 1
EP  - 17
ER  -
TY  - THES
TI  - Care coordination for older adults with multimorbidity
AU  - Okafor, Chinwe
PY  - 2019
PB  - University of Leeds
ER  -
TY  - RPRT
TI  - Primary care networks: a review of the evidence
AU  - Baird, B
PY  - 2019
PB  - The King's Fund
ER  -
TY  - GEN
TI  - Primary care networks explained
AU  - Baird, B
PY  - 2019
ER  -
"""

BIBTEX = """\
@article{a1, title = {Continuity of care with general practitioners and mortality},
  author = {Pereira Gray, D J}, year = {2018}, journal = {BMJ Open}, volume = {8},
  number = {6}, pages = {e021161}}
@inproceedings{a2, title = {Digital nudging in online grocery stores: a field experiment},
  author = {Berger, M and Mueller, C}, year = {2020}, booktitle = {ICIS 2020 Proceedings}}
@conference{a3, title = {Digital nudging in online grocery stores: a field experiment},
  author = {Berger, M and Mueller, C}, year = {2020},
  booktitle = {Proceedings of the 41st International Conference on Information Systems},
  pages = {1--17}}
@phdthesis{a4, title = {Care coordination for older adults with multimorbidity},
  author = {Okafor, Chinwe}, year = {2019}, school = {University of Leeds}}
@techreport{a5, title = {Primary care networks: a review of the evidence},
  author = {Baird, B}, year = {2019}, institution = {The King's Fund}}
@misc{a6, title = {Primary care networks explained}, author = {Baird, B}, year = {2019}}
"""


def test_ris_and_bibtex_exports_of_the_same_records_deduplicate_identically(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rea.dedup import prepare
    from rea.records import Provenance
    from rea.sources.readers import read_all

    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "a.bib").write_text(BIBTEX, encoding="utf-8")
    ris = read_all(tmp_path / "a.ris", "ris", Provenance("embase", "s"))
    bib = read_all(tmp_path / "a.bib", "bibtex", Provenance("scopus", "s"))
    assert len(ris) == len(bib) == 6
    kinds = [(prepare(i, r).document, prepare(i, r).conference) for i, r in enumerate(ris)]
    assert kinds == [(prepare(i, r).document, prepare(i, r).conference) for i, r in enumerate(bib)]
    assert [k for k, _ in kinds] == ["article", "meeting", "meeting", "thesis", "report", "unknown"]
    assert run(ris) == run(bib) == ([(1,), (2, 3), (4,), (5,), (6,)], [])
    # together, each RIS record joins its BibTeX twin; the short title with nothing but its
    # author and year is a question for a human
    groups, queued = run(ris + bib)
    assert groups == [(1, 7), (2, 3, 8, 9), (4, 10), (5, 11), (6,), (12,)]
    assert queued == [(6, 12)]


UNTITLED_RIS = """\
TY  - JOUR
AU  - Ford, J
PY  - 2018
T2  - Br J Gen Pract
VL  - 68
SP  - e1
EP  - e8
ER  -
TY  - JOUR
TI  - Access to general practice: a national survey
AU  - Ford, J
PY  - 2018
T2  - British Journal of General Practice
VL  - 68
SP  - e1
EP  - e8
ER  -
"""


def test_record_without_title_or_identifier_is_kept_counted_and_shown_for_review(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from click.testing import CliRunner

    from rea.cli import main
    from rea.pipeline import dedup as use
    from tests.sources_support import STAGE, make_review

    paths = make_review(tmp_path)
    export = tmp_path / "embase.ris"
    export.write_text(UNTITLED_RIS, encoding="utf-8")
    runner = CliRunner()
    args = ["import", str(export), "--source", "embase", "--stage", STAGE]
    imported = runner.invoke(main, [*args, "--review", str(paths.root)])
    assert imported.exit_code == 0, imported.output
    assert "imported 2 records" in imported.stdout
    assert "1 record(s) with neither a title nor an identifier (file positions 1)" in (
        imported.stderr
    )
    summary = use.run(paths)
    assert summary.records == 2 and summary.works == 2 and summary.queued == 1
    assert summary.unidentified == 1
    printed = runner.invoke(main, ["dedup", "--review", str(paths.root)])
    assert "records with neither a title nor an identifier: 1" in printed.stdout
    [item] = use.review_items(paths)
    assert {item.a.record.title, item.b.record.title} == {
        "",
        "Access to general practice: a national survey",
    }
    assert "no title: same citation" in item.reasons


def test_reports_naming_one_trial_registration_are_not_one_report() -> None:
    first = rec(
        "pubmed",
        title="Budesonide-formoterol as needed in mild asthma (NCT02760017): 52-week results",
        authors=(Author("Beasley", "R"),),
        journal="J Clin Oncol",
        year=2019,
        volume="37",
    )
    article = variant(
        first,
        title="Budesonide-formoterol as needed in mild asthma (NCT02760017): 52 week results",
        volume="38",
        pages="2020-2030",
    )
    assert run([first, article])[0] == [(1,), (2,)]
    # one registration exported by two registries is one record
    ctgov = rec(
        "ctgov",
        title="As-needed budesonide-formoterol versus maintenance budesonide in mild asthma",
        year=2016,
        source_id="NCT02760017",
    )
    ictrp = variant(
        ctgov,
        provenance=rec("ictrp").provenance,
        url="https://trialsearch.who.int/Trial2.aspx?TrialID=NCT02760017",
        source_id="",
    )
    assert run([ctgov, ictrp])[0] == [(1, 2)]
