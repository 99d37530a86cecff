"""Comparing two prepared records: scores, agreements, conflicts, vetoes and a verdict.

The verdict is one of ``merge`` (the same report), ``review`` (a human should look) and
``distinct``. Every verdict carries the rule that gave it and the scores behind it, so that a
link can be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from rea.dedup.normalize import Prepared, journal_names_match

MERGE = "merge"
REVIEW = "review"
DISTINCT = "distinct"

# Thresholds on title similarity (0..1, Indel-normalised on the compact folded title).
TITLE_SAME = 0.97  # the same title up to a typo or two
TITLE_CLOSE = 0.93  # the same title with small variations (spelling, a word)
TITLE_LOOSE = 0.85  # similar enough to be the same report when everything else agrees
TITLE_REVIEW = 0.80  # below this, nothing is queued
SHORT_TITLE = 30  # compact characters; shorter titles need more corroboration


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: str
    rule: str
    scores: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    strength: float = 0.0


def title_similarity(a: Prepared, b: Prepared) -> tuple[float, str]:
    """Best similarity of the titles, and how it was reached (``full``, ``main``, ``prefix``)."""
    if not a.title or not b.title:
        return 0.0, "none"
    best = Indel.normalized_similarity(a.title, b.title)
    mode = "full"
    if best >= TITLE_SAME:
        return best, mode
    # a dropped subtitle: one record has the title without the other's subtitle
    for x, y in ((a, b), (b, a)):
        if x.main and len(x.main) >= 20 and not y.main:
            score = Indel.normalized_similarity(x.main, y.title)
            if score > best:
                best, mode = score, "main"
    # one language of a bilingual title
    for x, y in ((a, b), (b, a)):
        for part in x.parts:
            score = Indel.normalized_similarity(part, y.title)
            if score > best:
                best, mode = score, "part"
    # a title cut short by a database (field length limits)
    short, long = (a.title, b.title) if len(a.title) <= len(b.title) else (b.title, a.title)
    if len(short) >= 40 and len(long) > len(short):
        score = Indel.normalized_similarity(short, long[: len(short)])
        if score > best and score >= TITLE_SAME:
            best, mode = score, "prefix"
    return best, mode


def _years(a: Prepared, b: Prepared) -> int:
    """+1 same year, 0 one year apart (epub vs print) or unknown, -1 further apart."""
    if not a.years or not b.years:
        return 0
    if a.years & b.years:
        return 1
    gap = min(abs(x - y) for x in a.years for y in b.years)
    return 0 if gap <= 1 else -1


def _authors(a: Prepared, b: Prepared) -> tuple[int, float]:
    if not a.surnames or not b.surnames:
        return 0, 0.0
    sa, sb = set(a.surnames), set(b.surnames)
    overlap = len(sa & sb) / min(len(sa), len(sb))
    first = (
        a.surnames[0] == b.surnames[0]
        or Indel.normalized_similarity(a.surnames[0], b.surnames[0]) >= 0.8
    )
    if first or overlap >= 0.5:
        return 1, overlap
    if overlap == 0:
        # one surname may be spelled differently; only a conflict when nothing is close
        close = any(
            Indel.normalized_similarity(x, y, score_cutoff=0.8) >= 0.8
            for x in a.surnames[:5]
            for y in b.surnames[:5]
        )
        return (0 if close else -1), overlap
    return 0, overlap


def _pages(a: Prepared, b: Prepared) -> int:
    if a.page_first is None or b.page_first is None:
        return 0
    if a.page_prefix.upper() != b.page_prefix.upper():
        if not a.page_prefix or not b.page_prefix:
            return 0  # an article number (e12724, a1754) vs printed pages: not comparable
        return -1  # S334 vs A254: two supplements
    if a.page_first == b.page_first:
        return 1
    # overlapping ranges (a page cited one off inside the same article) are not a conflict
    a_last = a.page_last or a.page_first
    b_last = b.page_last or b.page_first
    if a.page_first <= b_last and b.page_first <= a_last:
        return 0
    return -1


def _field(x: str, y: str) -> int:
    if not x or not y:
        return 0
    return 1 if x == y else -1


def compare(a: Prepared, b: Prepared, containers: frozenset[str] = frozenset()) -> Verdict:
    """Score one pair and decide: merge, review or distinct."""
    title, mode = title_similarity(a, b)
    if (
        title < TITLE_REVIEW
        and not (a.doi and a.doi == b.doi)
        and not (a.pmid and a.pmid == b.pmid)
        and not (a.volume and a.volume == b.volume and a.page_first == b.page_first)
    ):
        # no exact key, no shared citation, titles apart: nothing below can make it a match
        return Verdict(DISTINCT, "fuzzy", {"title": round(title, 3)}, (), 0.0)
    year = _years(a, b)
    authors, author_overlap = _authors(a, b)
    pages = _pages(a, b)
    volume = _field(a.volume, b.volume)
    if volume < 0 and (a.volume == b.issue or b.volume == a.issue):
        volume = 0  # an issue or supplement number exported as the volume
    journal = 0
    if a.issn & b.issn:
        journal = 1  # the same ISSN, however the name was spelled
    elif a.journal and b.journal:
        journal = 1 if journal_names_match(a.journal, b.journal) else -1
    doi_a = a.doi if a.doi not in containers else ""
    doi_b = b.doi if b.doi not in containers else ""
    doi = _field(doi_a, doi_b)
    pmid = _field(a.pmid, b.pmid)
    scores: dict[str, float] = {
        "title": round(title, 3),
        "authors": round(author_overlap, 3),
        "year": year,
        "pages": pages,
        "volume": volume,
        "journal": journal,
        "doi": doi,
        "pmid": pmid,
    }
    if mode not in ("full", "none"):
        scores["title_" + mode] = 1

    # vetoes: things that make two similar records different reports
    reasons: list[str] = []
    if a.kind != b.kind:
        reasons.append(f"{a.kind} vs {b.kind}")
    numbers_a, numbers_b = a.numbers, b.numbers
    if mode == "main":
        numbers_a = a.main_numbers or a.numbers
        numbers_b = b.main_numbers or b.numbers
    elif mode in ("prefix", "part"):
        numbers_a = numbers_b = frozenset()
    if numbers_a != numbers_b:
        reasons.append("different numbers in titles")
    if a.conference != b.conference and pages <= 0 and _full_article(b if a.conference else a):
        reasons.append("conference abstract vs journal article")
    if pages < 0 and volume > 0 and journal > 0:
        reasons.append("different pages in the same journal and volume")
    soft: list[str] = []
    if pmid < 0:
        soft.append("different PMIDs")
    if doi < 0:
        soft.append("different DOIs")

    agree = sum(x > 0 for x in (year, authors, pages, volume, journal))
    conflicts = sum(x < 0 for x in (year, authors, pages, volume))
    scores["agree"] = agree
    scores["conflicts"] = conflicts

    # exact keys first: one PMID is one PubMed record, and one DOI one article, whatever a
    # typo did to a number in the title or to the pages; only the kind of item still vetoes
    if a.kind == b.kind and (pmid > 0 or (doi > 0 and pmid >= 0 and title >= TITLE_CLOSE)):
        reasons = [r for r in reasons if not r.startswith(("different numbers", "different pages"))]
    if pmid > 0 and not reasons:
        if title >= 0.5 or mode == "none":
            return Verdict(MERGE, "pmid", scores, (), 3.0 + title)
        return Verdict(REVIEW, "pmid", scores, ("same PMID, different titles",), 0.0)
    if doi > 0 and not reasons and pmid >= 0:
        if (
            title >= TITLE_LOOSE
            or (mode == "none" and agree >= 2)
            or (title >= 0.7 and agree >= 3 and conflicts == 0)
        ):
            return Verdict(MERGE, "doi+title", scores, (), 2.0 + title)
        if title >= 0.6 and conflicts == 0 and agree >= 2:
            return Verdict(REVIEW, "doi+title", scores, ("same DOI, titles differ",), 0.0)
        return Verdict(DISTINCT, "doi+title", scores, ("same DOI, different titles",), 0.0)

    citation = _same_citation(a, b, journal, volume, pages, authors, year)
    if citation and not reasons and not soft and title < TITLE_LOOSE:
        # a translated title: the same journal, volume, page range, year and first author
        return Verdict(MERGE, "citation", scores, (), 1.0 + title)
    if reasons:
        # a typo in a number, or one page field damaged, with everything else the same: ask
        if (
            len(reasons) == 1
            and a.kind == b.kind
            and title >= TITLE_CLOSE
            and agree >= 4
            and conflicts <= (1 if "pages" in reasons[0] else 0)
        ):
            return Verdict(REVIEW, "veto", scores, tuple(reasons), 0.0)
        return Verdict(DISTINCT, "veto", scores, tuple(reasons), 0.0)
    if title < TITLE_REVIEW:
        return Verdict(DISTINCT, "fuzzy", scores, (), 0.0)

    short = len(a.title) < SHORT_TITLE or len(b.title) < SHORT_TITLE
    need = 1 if title >= TITLE_SAME else 2 if title >= TITLE_CLOSE else 3
    if short:
        need += 1
    # a strong author/year/venue agreement when titles differ only by wording or translation
    # a different journal is no proof (translations, renamed journals), but two conference
    # abstracts of one study at two meetings are two reports
    venue = journal >= 0 or (pages > 0 and not (a.conference or b.conference))
    strong = conflicts == 0 and venue and agree >= need and year >= 0
    if title < TITLE_CLOSE and authors <= 0 and not _same_place(a, b, journal, volume, pages):
        strong = False  # a reworded title needs the same authors, or the same page range
    if short and not (pages > 0 or (authors > 0 and volume > 0)):
        # "Editorial", "Obesity": a short title says little; only a shared place in the journal
        # or the same authors in the same volume make it one report, and without authors or
        # pages there is nothing for a reviewer to go on either
        if authors <= 0 and pages <= 0:
            return Verdict(DISTINCT, "fuzzy", scores, ("short title, nothing else",), 0.0)
        strong = False
    if not venue and (a.conference or b.conference):
        # a meeting abstract or paper and a report elsewhere (another meeting, a journal): two
        # reports, whatever the title
        return Verdict(DISTINCT, "fuzzy", scores, ("a meeting item and another venue",), 0.0)
    if soft:
        if strong or (title >= TITLE_CLOSE and conflicts == 0 and venue):
            return Verdict(REVIEW, "fuzzy", scores, tuple(soft), 0.0)
        return Verdict(DISTINCT, "veto", scores, tuple(soft), 0.0)
    if title >= TITLE_LOOSE and strong:
        return Verdict(MERGE, "fuzzy", scores, (), title + 0.1 * agree)
    if conflicts >= 2 or (year < 0 and conflicts >= 1 and title < TITLE_SAME):
        return Verdict(DISTINCT, "fuzzy", scores, ("metadata conflicts",), 0.0)
    if title >= TITLE_CLOSE or (title >= TITLE_LOOSE and agree >= 2 and conflicts == 0):
        why = "metadata conflict" if conflicts else "little corroboration"
        return Verdict(REVIEW, "fuzzy", scores, (why,), 0.0)
    return Verdict(DISTINCT, "fuzzy", scores, (), 0.0)


def _same_place(a: Prepared, b: Prepared, journal: int, volume: int, pages: int) -> bool:
    """The same journal, volume and page range (first and last page, over two pages)."""
    return (
        journal > 0
        and volume > 0
        and pages > 0
        and a.page_first is not None
        and a.page_last is not None
        and a.page_last == b.page_last
        and a.page_last > a.page_first
    )


def _same_citation(
    a: Prepared, b: Prepared, journal: int, volume: int, pages: int, authors: int, year: int
) -> bool:
    """Journal, volume, first and last page, year and authors all agree (not an abstract page,
    where several abstracts share a page)."""
    return (
        journal > 0
        and volume > 0
        and pages > 0
        and authors > 0
        and year > 0
        and a.page_last is not None
        and a.page_last == b.page_last
        and a.page_last > (a.page_first or 0)
        and not (a.conference or b.conference)
        and a.kind == b.kind
    )


def _full_article(p: Prepared) -> bool:
    """Regular pages spanning three or more pages: a journal article, not an abstract."""
    if p.page_first is None or p.page_last is None or p.page_prefix:
        return False
    return p.page_last - p.page_first >= 2
