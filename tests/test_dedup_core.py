"""The dedup core: normalisation, exact keys, fuzzy matching, vetoes, the review band."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rea.dedup import deduplicate
from rea.dedup.normalize import (
    author_surnames,
    clean_title,
    fold,
    journal_names,
    journal_names_match,
    page_range,
    title_numbers,
)
from rea.records import Author, normalize_doi, split_authors
from tests.dedup_support import PCN_PUBMED, PCN_SCOPUS, PCN_WOS, rec, variant


def groups(records: list) -> list[tuple[int, ...]]:
    result = deduplicate(list(enumerate(records, start=1)))
    return sorted(c.record_ids for c in result.clusters)


def queue(records: list) -> list[tuple[int, int]]:
    result = deduplicate(list(enumerate(records, start=1)))
    return [(q.record_a, q.record_b) for q in result.queue]


# ---------------------------------------------------------------- normalisation


def test_doi_forms_normalise_to_one() -> None:
    forms = [
        "10.1016/S0025-7753(17)30624-3",
        "doi:10.1016/s0025-7753(17)30624-3",
        "https://doi.org/10.1016/S0025-7753(17)30624-3",
        "http://dx.doi.org/10.1016/S0025-7753%2817%2930624-3",
        " DOI: 10.1016/S0025-7753(17)30624-3.",
    ]
    assert {normalize_doi(f) for f in forms} == {"10.1016/s0025-7753(17)30624-3"}


def test_title_cleaning() -> None:
    assert clean_title("Exenatide inhibits the K<inf>Ca</inf>3.1 channels") == (
        "Exenatide inhibits the KCa3.1 channels"
    )
    assert clean_title("[A study of mycobacterium vaccine in tuberculous pleurisy]") == (
        "A study of mycobacterium vaccine in tuberculous pleurisy"
    )
    assert clean_title("Effects of exenatide on VCAM-1 in ApoE mice. [Chinese]") == (
        "Effects of exenatide on VCAM-1 in ApoE mice"
    )
    assert clean_title("HPV testing after CIN 3: meta-analysis. [Review] [45 refs]") == (
        "HPV testing after CIN 3: meta-analysis"
    )
    assert clean_title("HPV testing: a review (Provisional abstract)") == "HPV testing: a review"
    assert clean_title("Cervical screening. [Erratum appears in Lancet Oncol. 201") == (
        "Cervical screening"
    )
    # hyphens, spaces split inside words and diacritics fold to the same compact form
    a = "".join(fold(clean_title("thrombosis- induced fistula failure in chronic kidney d isease")))
    b = "".join(fold(clean_title("Thrombosis-induced fistula failure in chronic kidney disease")))
    assert a.replace(" ", "") == b.replace(" ", "")
    assert fold("Schöndube, Müller-Werdan") == "schondube muller werdan"


def test_title_numbers_and_roman_parts() -> None:
    assert title_numbers(fold("Diabetes care, Part II").split()) == {"2"}
    assert title_numbers(fold("Diabetes care, part I").split()) == {"1"}
    assert title_numbers(fold("among 10 000 women").split()) == title_numbers(
        fold("among 10000 women").split()
    )


def test_authors_across_export_forms() -> None:
    pubmed = (Author("Adeli", "K"), Author("Lewis", "GF"))
    scopus = (Author("Adeli K."), Author("Lewis G.F."))
    wos = (Author("Adeli, K"), Author("Lewis, GF"))
    ris = split_authors("Adeli, Khosrow; Lewis, Gary F.")
    run_together = split_authors("Adeli K.Lewis G. F.")
    bibtex = split_authors("Adeli, K and Lewis, G F")
    expected = ("adeli", "lewis")
    for form in (pubmed, scopus, wos, ris, run_together, bibtex):
        assert author_surnames(form) == expected
    # the whole list left in one family field by a reader
    assert author_surnames((Author("Adeli K.Lewis G. F."),)) == expected
    assert author_surnames((Author("van Kemenade", "FJ"), Author("Kemenade, F J"))) == (
        "kemenade",
        "kemenade",
    )


def test_page_forms() -> None:
    assert page_range("221-8")[1:] == (221, 228) == page_range("221-228")[1:]
    assert page_range("1051-64")[1:] == (1051, 1064)
    assert page_range("21-Aug")[1] is None  # "8-21" read as a date by a spreadsheet: unknown
    assert page_range('"230-5, 246-51, 233-8"')[1:] == (230, 251)
    assert page_range("S417-S429") == ("S", 417, 429)
    assert page_range("Suppl-29")[1] is None  # damaged: unknown, never a conflict


def test_journal_names_and_abbreviations() -> None:
    def same(a: str, b: str) -> bool:
        return journal_names_match(journal_names(a), journal_names(b))

    assert same("Curr Opin Lipidol", "Current opinion in lipidology")
    assert same("Diab Vasc Dis Res", "Diabetes and Vascular Disease Research")
    assert same("J Am Coll Cardiol", "Journal of the American College of Cardiology")
    assert same(
        "Naunyn Schmiedebergs Arch Pharmacol", "Naunyn-Schmiedeberg's Archives of Pharmacology"
    )
    assert same("Journal of clinical oncology : official journal of ASCO", "J Clin Oncol")
    assert same("Respirology (Carlton, Vic.)", "Respirology")
    assert same("Ai zheng = Aizheng = Chinese journal of cancer", "Chinese Journal of Cancer")
    assert not same("Diabetes", "Diabetologia")
    assert not same("Circulation", "Circulation Research and Reviews")


# ---------------------------------------------------------------- exact keys and fuzzy


def test_one_article_from_three_databases_is_one_work() -> None:
    assert groups([PCN_PUBMED, PCN_SCOPUS, PCN_WOS]) == [(1, 2, 3)]


def test_same_pmid_merges_despite_title_variation() -> None:
    a = rec(
        "pubmed",
        title="Intestinal lipoprotein overproduction in insulin-resistant states",
        pmid="18460911",
        year=2008,
    )
    b = rec(
        "ovid",
        title="Intestinal lipoprotein over-production in insulin resistant states.",
        pmid="PMID: 18460911",
        year=2008,
    )
    result = deduplicate([(1, a), (2, b)])
    assert [c.record_ids for c in result.clusters] == [(1, 2)]
    assert result.clusters[0].links[1].rule == "pmid"


def test_epub_and_print_year_one_apart_still_match() -> None:
    a = variant(PCN_PUBMED, doi="", pmid="", year=2020)
    b = variant(PCN_SCOPUS, doi="", year=2021, epub_year=2020)
    c = variant(PCN_SCOPUS, doi="", year=2021)  # one year apart, no epub year
    assert groups([a, b]) == [(1, 2)]
    assert groups([a, c]) == [(1, 2)]


def test_dropped_subtitle_and_translation_brackets() -> None:
    a = rec(
        "pubmed",
        title="[Clinical research on recombinant Ad-p53 injection with cisplatin in "
        "malignant pleural effusion]",
        authors=(Author("Zhao", "WZ"), Author("Wang", "JK")),
        journal="Ai zheng = Aizheng = Chinese journal of cancer",
        year=2009,
        volume="28",
        pages="1324-7",
    )
    b = rec(
        "embase",
        title="Clinical research on recombinant Ad-p53 injection with cisplatin in "
        "malignant pleural effusion. [Chinese]",
        authors=(Author("Zhao W.-Z."), Author("Wang J.-K.")),
        journal="Aizheng",
        year=2009,
        volume="28",
        pages="1324-1327",
    )
    c = rec(
        "scopus",
        title="Clinical research on recombinant Ad-p53 injection with cisplatin in "
        "malignant pleural effusion: a randomized trial",
        authors=(Author("Zhao", "W"),),
        journal="Chinese Journal of Cancer",
        year=2009,
        volume="28",
        pages="1324-1327",
    )
    assert groups([a, b, c]) == [(1, 2, 3)]


def test_shared_container_doi_does_not_merge_different_abstracts() -> None:
    supplement = "10.2337/db12-836-1328"
    titles = [
        "Linagliptin reduces ischemic brain damage following stroke in mice",
        "Anti-atherosclerotic activity of lixisenatide in ApoE knockout mice",
        "Exenatide therapy reduced intima-media thickness in type 2 diabetes",
    ]
    records = [
        rec(
            "embase",
            title=t,
            doi=supplement,
            journal="Diabetes",
            year=2012,
            volume="61",
            issue="Suppl 1",
            pages=f"A{200 + i}",
            authors=(Author(f"Author{i}", "A"),),
        )
        for i, t in enumerate(titles)
    ]
    result = deduplicate(list(enumerate(records, start=1)))
    assert supplement in result.containers
    assert len(result.clusters) == 3


def test_same_doi_with_title_check() -> None:
    a = variant(PCN_PUBMED)
    b = variant(PCN_SCOPUS, title="Primary care networks in England: early implementation")
    assert groups([a, b]) == [(1, 2)]  # a dropped subtitle: the title check passes


# ---------------------------------------------------------------- vetoes


def test_part_one_and_part_two_stay_apart() -> None:
    base = dict(
        authors=(Author("Baird", "B"), Author("Beech", "J")), journal="BMJ", year=2019, volume="364"
    )
    a = rec("pubmed", title="Primary care networks explained, part I", pages="l1011", **base)
    b = rec("pubmed", title="Primary care networks explained, part II", pages="l1012", **base)
    assert groups([a, b]) == [(1,), (2,)]
    assert queue([a, b]) == []


def test_erratum_retraction_and_reply_stay_apart_from_the_article() -> None:
    article = variant(PCN_PUBMED)
    erratum = variant(
        PCN_PUBMED,
        pmid="32600001",
        doi="",
        title="Erratum: Primary care networks in England: a qualitative study of "
        "early implementation",
        pages="e600",
    )
    retraction = variant(
        PCN_PUBMED,
        pmid="32600002",
        doi="",
        title="Retraction notice: Primary care networks in England: a "
        "qualitative study of early implementation",
        pages="e601",
    )
    reply = variant(
        PCN_PUBMED,
        pmid="32600003",
        doi="",
        publication_types=("Comment",),
        title="Primary care networks in England: a qualitative study of early "
        "implementation: reply",
        pages="e602",
    )
    assert groups([article, erratum, retraction, reply]) == [(1,), (2,), (3,), (4,)]


def test_conference_abstract_vs_journal_article() -> None:
    article = variant(PCN_PUBMED, doi="", pmid="")
    abstract = rec(
        "embase",
        title=PCN_PUBMED.title,
        authors=PCN_PUBMED.authors,
        journal="British Journal of General Practice. Conference: RCGP Annual Conference 2019",
        year=2019,
        volume="69",
        issue="Suppl 1",
        pages="bjgp19X703",
    )
    assert groups([article, abstract]) == [(1,), (2,)]


def test_different_pages_in_the_same_journal_and_volume() -> None:
    a = rec(
        "pubmed",
        title="Access to general practice: a national survey",
        year=2018,
        journal="Br J Gen Pract",
        volume="68",
        pages="e1-e8",
        authors=(Author("Ford", "J"),),
    )
    b = variant(a, pages="e20-e28", source_id="other")
    assert groups([a, b]) == [(1,), (2,)]


def test_two_different_dois_never_merge_automatically_but_are_queued() -> None:
    a = variant(PCN_PUBMED, pmid="")
    b = variant(PCN_SCOPUS, doi="10.3399/bjgp20X999999")
    assert groups([a, b]) == [(1,), (2,)]
    assert queue([a, b]) == [(1, 2)]


def test_group_level_veto_blocks_transitive_merges() -> None:
    # a (DOI X) ~ c (no DOI) ~ b (DOI Y): c may join one of them, never both
    a = variant(PCN_PUBMED, pmid="")
    b = variant(PCN_SCOPUS, doi="10.3399/bjgp20X999999")
    c = variant(PCN_WOS)
    result = deduplicate([(1, a), (2, b), (3, c)])
    assert len(result.clusters) == 2
    assert all(not {1, 2} <= set(cl.record_ids) for cl in result.clusters)


def test_uncertain_pair_is_queued_not_merged() -> None:
    # same title and authors, different journals and no pages: a secondary publication?
    a = rec(
        "pubmed",
        title="Intrapleural tPA plus DNase improved outcomes in pleural infection",
        authors=(Author("Mathur", "R"),),
        journal="Annals of Internal Medicine",
        year=2011,
        volume="155",
        pages="JC6-9",
    )
    b = rec(
        "embase",
        title="Intrapleural tPA plus DNase improved outcomes in pleural infection",
        authors=(Author("Mathur", "R"),),
        journal="ACP Journal Club",
        year=2011,
        volume="155",
        pages="",
    )
    assert groups([a, b]) == [(1,), (2,)]
    assert queue([a, b]) == [(1, 2)]


def test_blocking_avoids_all_pairs() -> None:
    records = [
        rec(
            "pubmed",
            title=f"Study {i} of {w} care outcomes in {v} practices",
            year=2000 + i % 20,
            authors=(Author(f"Name{i}", "A"),),
            journal="J Test",
            volume=str(i % 50),
            pages=f"{i}-{i + 5}",
        )
        for i, (w, v) in enumerate(
            (w, v)
            for w in ("primary", "urgent", "dental", "community", "social")
            for v in ("rural", "urban", "coastal", "inner-city")
            for _ in range(100)
        )
    ]
    result = deduplicate(list(enumerate(records, start=1)))
    n = len(records)
    assert n == 2000
    assert result.pairs_compared < n * (n - 1) // 2 // 20


def test_short_generic_titles_need_more_than_the_title() -> None:
    editorials = [
        rec(
            "embase",
            title="Editorial",
            journal="Br J Gen Pract",
            year=2019,
            volume="69",
            issue=str(issue),
        )
        for issue in range(678, 690)
    ]
    result = deduplicate(list(enumerate(editorials, start=1)))
    assert len(result.clusters) == 12
    assert result.queue == ()
    # the same editorial from two databases, with its page: one work
    a = rec(
        "pubmed",
        title="Editorial.",
        journal="Br J Gen Pract",
        year=2019,
        volume="69",
        pages="4",
        authors=(Author("Jones", "R"),),
    )
    b = rec(
        "embase",
        title="EDITORIAL",
        journal="British Journal of General Practice",
        year=2019,
        volume="69",
        pages="4-4",
        authors=(Author("Jones R."),),
    )
    assert groups([a, b]) == [(1, 2)]


def test_issn_and_placeholder_titles() -> None:
    # the journal's name in two languages, one ISSN
    a = rec(
        "pubmed",
        title="Utility of antimicrobials in closed thoracostomy for trauma",
        journal="Cirugia y cirujanos",
        issn=("0009-7411",),
        year=2009,
        volume="77",
        authors=(Author("Villegas-Carlos", "F"),),
    )
    b = variant(a, journal="Surgery and Surgeons", issn=("0009-7411 (Print)", "0009 7411"))
    assert groups([a, b]) == [(1, 2)]
    # "[No title available]" is no title: two such records by one author are not one report
    c = rec(
        "scopus",
        title="[No title available]",
        authors=(Author("Lee", "K"),),
        year=2019,
        journal="Thorax",
        volume="74",
        pages="10-12",
    )
    d = variant(c, pages="400-401")
    e = variant(c, pages="", volume="")
    assert groups([c, d, e]) == [(1,), (2,), (3,)]
    assert queue([c, d, e]) == []


TEMPLATES = [
    PCN_PUBMED,
    PCN_SCOPUS,
    PCN_WOS,
    variant(PCN_PUBMED, title="Erratum: " + PCN_PUBMED.title, pages="e600"),
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # template (3: an erratum of the article)
            st.sampled_from(["", "10.1000/a", "10.1000/b", "10.1000/c"]),  # DOI
            st.sampled_from(["", "1", "2"]),  # PMID
            st.integers(2019, 2022),  # year
            st.booleans(),  # title cut to its main part
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.tuples(st.integers(1, 12), st.integers(1, 12)), max_size=3),
)
def test_clusters_partition_records_and_respect_identifiers(
    rows: list[tuple[int, str, str, int, bool]], apart: list[tuple[int, int]]
) -> None:
    records = []
    for template, doi, pmid, year, cut in rows:
        title = TEMPLATES[template].title
        records.append(
            variant(
                TEMPLATES[template],
                doi=doi,
                pmid=pmid,
                year=year,
                title=title.split(":")[0] if cut else title,
            )
        )
    n = len(records)
    separations = [(a, b) for a, b in apart if a <= n and b <= n and a != b]
    result = deduplicate(list(enumerate(records, start=1)), separations=separations)
    seen = [rid for c in result.clusters for rid in c.record_ids]
    assert sorted(seen) == list(range(1, n + 1))  # every record in exactly one cluster
    for cluster in result.clusters:
        members = [records[rid - 1] for rid in cluster.record_ids]
        dois = {r.doi for r in members if r.doi} - set(result.containers)
        pmids = {r.pmid for r in members if r.pmid}
        assert len(dois) <= 1 and len(pmids) <= 1
        ids = set(cluster.record_ids)
        assert not any(a in ids and b in ids for a, b in separations)
        assert len(cluster.links) == len(cluster.record_ids)
        assert sum(link.rule == "first" for link in cluster.links) == 1
    # a queued or related pair is always two works, never one
    where = {rid: n for n, c in enumerate(result.clusters) for rid in c.record_ids}
    for pair in (*result.queue, *result.related):
        assert where[pair.record_a] != where[pair.record_b]


def test_kinds_of_item_from_titles() -> None:
    from rea.dedup.normalize import item_kind

    kinds = {
        "Correction of scoliosis by posterior fusion": "article",
        "Correction: Primary care networks in England": "erratum",
        "Corrigendum to 'Primary care networks'": "erratum",
        "Retraction of the eyelid in thyroid eye disease": "article",
        "Retraction notice to: Primary care networks": "retraction",
        "Expression of concern: Primary care networks": "retraction",
        "Authors' response": "comment",
        "Primary care networks in England: reply": "comment",
        "Comment on: Primary care networks in England": "comment",
    }
    assert {t: item_kind(rec(title=t)) for t in kinds} == kinds


def test_same_pmid_outweighs_a_typo_in_a_title_number() -> None:
    a = rec(
        "pubmed",
        title="p16INK4a expression does not predict the outcome of CIN 2",
        pmid="17442024",
        year=2007,
        journal="Int J Gynecol Cancer",
        volume="17",
        pages="1099-103",
    )
    b = variant(
        a,
        title="p6INK4a expression does not predict the outcome of CIN 2",
        provenance=PCN_SCOPUS.provenance,
    )
    c = variant(b, pmid="")  # without the PMID the typo is only a reason to ask
    assert groups([a, b]) == [(1, 2)]
    assert groups([a, c]) == [(1,), (2,)] and queue([a, c]) == [(1, 2)]


def test_meeting_items_and_journals() -> None:
    from rea.dedup.normalize import is_conference

    assert is_conference(rec(journal="IEEE Int. Magn. Conf., INTERMAG"))
    assert is_conference(rec(journal="Circulation. Conference: American Heart Association's"))
    assert not is_conference(rec(journal="Proc Natl Acad Sci U S A", pages="1200-1205"))
    assert not is_conference(rec(journal="Dig Dis Sci", pages="100-108"))
    # one paper as a meeting item and as a journal article: two reports, nothing to review
    paper = rec(
        "scopus",
        title="Iterative channel detection for bit-patterned media recording",
        authors=(Author("Kim", "J"),),
        year=2017,
        journal="IEEE Transactions on Magnetics",
        volume="53",
        doi="10.1109/TMAG.2017.0001",
    )
    talk = rec(
        "scopus",
        title=paper.title,
        authors=paper.authors,
        year=2017,
        journal="IEEE Int. Magn. Conf., INTERMAG",
        doi="10.1109/INTMAG.2017.0002",
    )
    assert groups([paper, talk]) == [(1,), (2,)] and queue([paper, talk]) == []
