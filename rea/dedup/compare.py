"""Comparing two prepared records: scores, agreements, conflicts, vetoes and a verdict.

The verdict is one of ``merge`` (the same report), ``review`` (a human should look) and
``distinct``. Every verdict carries the rule that gave it and the scores behind it, so that a
link can be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from rea.dedup.normalize import (
    Prepared,
    is_series,
    journal_names_match,
    journal_names_related,
    meeting_venues_agree,
)

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


def _author_lists(x: tuple[str, ...], y: tuple[str, ...]) -> tuple[int, float]:
    sa, sb = set(x), set(y)
    overlap = len(sa & sb) / min(len(sa), len(sb))
    first = x[0] == y[0] or Indel.normalized_similarity(x[0], y[0]) >= 0.8
    if first or overlap >= 0.5:
        return 1, overlap
    if overlap == 0:
        # one surname may be spelled differently; only a conflict when nothing is close
        close = any(
            Indel.normalized_similarity(u, v, score_cutoff=0.8) >= 0.8 for u in x[:5] for v in y[:5]
        )
        return (0 if close else -1), overlap
    return 0, overlap


def _authors(a: Prepared, b: Prepared) -> tuple[int, float]:
    """Agreement of the author lists; when they disagree, one side's names are read again as
    ``Given, Family`` (an export that put the given name first)."""
    if not a.surnames or not b.surnames:
        return 0, 0.0
    result = _author_lists(a.surnames, b.surnames)
    if result[0] <= 0:
        for x, y in ((a.swapped, b.surnames), (a.surnames, b.swapped)):
            if x and y:
                swapped = _author_lists(x, y)
                if swapped[0] > 0:
                    return swapped
    return result


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


def _sets(x: frozenset[str], y: frozenset[str]) -> int:
    if not x or not y:
        return 0
    return 1 if x & y else -1


def _issue(x: str, y: str) -> int:
    """Issues: a supplement or a double issue (``3-4``) holding the other is not a conflict."""
    if not x or not y:
        return 0
    if x == y:
        return 1
    if x.startswith("s") or y.startswith("s") or x.startswith("p") != y.startswith("p"):
        return 0  # a supplement, or "Part 2" against a plain issue number
    for one, other in ((x, y), (y, x)):
        if "-" in one:
            low, high = (int(n) for n in one.split("-"))
            if other.isdigit() and low <= int(other) <= high:
                return 0
    return -1


def _journal(a: Prepared, b: Prepared) -> int:
    """+1 the same journal or meeting, 0 cannot tell, -1 two venues."""
    if a.issn & b.issn:
        return 1  # the same ISSN, however the name was spelled
    if not a.journal or not b.journal:
        return 0
    if journal_names_match(a.journal, b.journal):
        return 1
    if a.conference and b.conference:
        return meeting_venues_agree(a.venue, b.venue)
    if a.document == "thesis" or b.document == "thesis":
        return 0  # a thesis and its listing in Dissertation Abstracts
    if (a.conference or b.conference) and (is_series(a.venue) or is_series(b.venue)):
        return 0  # proceedings in a book series vs the meeting's name
    if journal_names_related(a.journal, b.journal):
        return 0  # a section and its parent journal
    return -1


def _title_evidence(a: Prepared, b: Prepared, title: float) -> bool:
    """The titles share their content: half of the longer words of the shorter title, or a
    similarity of 0.6 (two translations of one title do; two different articles do not)."""
    if title >= 0.6:
        return True
    wa = {w for w in a.words if len(w) >= 4}
    wb = {w for w in b.words if len(w) >= 4}
    if not wa or not wb:
        return False
    return len(wa & wb) >= 0.5 * min(len(wa), len(wb))


def compare(a: Prepared, b: Prepared, containers: frozenset[str] = frozenset()) -> Verdict:
    """Score one pair and decide: merge, review or distinct."""
    title, mode = title_similarity(a, b)
    if a.body or b.body:
        # a notice or reply: compare what it is about (an erratum of X, in any notation)
        about_a, about_b = a.body or a.title, b.body or b.title
        if about_a and about_b:
            about = Indel.normalized_similarity(about_a, about_b)
            if about > title:
                title, mode = about, "notice"
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
    issue = _issue(a.issue, b.issue)
    if volume < 0 and (a.volume == b.issue or b.volume == a.issue):
        volume = 0  # an issue or supplement number exported as the volume
    for x, y in ((a, b), (b, a)):
        if not x.volume and x.issue and x.issue == y.volume:
            volume, issue = 1, 0  # fields shifted by one: the volume exported as the issue
    journal = _journal(a, b)
    doi_a = a.doi if a.doi not in containers else ""
    doi_b = b.doi if b.doi not in containers else ""
    doi = _field(doi_a, doi_b)
    pmid = _field(a.pmid, b.pmid)
    registry = _sets(a.registry, b.registry)
    scores: dict[str, float] = {
        "title": round(title, 3),
        "authors": round(author_overlap, 3),
        "year": year,
        "pages": pages,
        "volume": volume,
        "issue": issue,
        "journal": journal,
        "doi": doi,
        "pmid": pmid,
    }
    if mode not in ("full", "none"):
        scores["title_" + mode] = 1
    if registry:
        scores["registry"] = registry

    # vetoes: things that make two similar records different reports
    reasons: list[str] = []
    letters = "letters" in (a.kind, b.kind) and a.kind != b.kind
    if a.kind != b.kind:
        reasons.append(f"{a.kind} vs {b.kind}")
    if a.document != b.document and {a.document, b.document} in _TWO_KINDS:
        reasons.append(f"{a.document} vs {b.document}")
    numbers_a, numbers_b = a.numbers, b.numbers
    if mode == "main":
        numbers_a = a.main_numbers or a.numbers
        numbers_b = b.main_numbers or b.numbers
    elif mode in ("prefix", "part", "notice"):
        numbers_a = numbers_b = frozenset()
    if numbers_a != numbers_b:
        reasons.append("different numbers in titles")
    if a.population and b.population and a.population != b.population and mode != "part":
        reasons.append("different populations in titles")
    if a.conference != b.conference and pages <= 0 and _full_article(b if a.conference else a):
        reasons.append("conference abstract vs journal article")
    if pages < 0 and volume > 0 and journal > 0:
        reasons.append("different pages in the same journal and volume")
    if issue < 0 and volume >= 0 and journal >= 0:
        reasons.append("different issues")
    if registry < 0:
        reasons.append("different registry ids")
    soft: list[str] = []
    if pmid < 0:
        soft.append("different PMIDs")
    if doi < 0:
        soft.append("different DOIs")

    agree = sum(x > 0 for x in (year, authors, pages, volume, journal, issue))
    conflicts = sum(x < 0 for x in (year, authors, pages, volume, issue))
    scores["agree"] = agree
    scores["conflicts"] = conflicts

    if (
        a.kind != b.kind
        and title >= TITLE_CLOSE
        and "letters" not in (a.kind, b.kind)
        and doi <= 0
        and pmid <= 0
        and pages <= 0
    ):
        # a notice (erratum, retraction, reply) and the item it is about: related, not one
        # (the same identifier or the same first page is one item typed differently by two
        # databases: that goes through the vetoes below and may be queued)
        return Verdict(DISTINCT, "related", scores, tuple(reasons), 0.0)

    # exact keys first: one PMID is one PubMed record, and one DOI one article, whatever a
    # typo did to a number in the title or to the pages; only the kind of item still vetoes
    if a.kind == b.kind and (pmid > 0 or (doi > 0 and pmid >= 0 and title >= TITLE_CLOSE)):
        reasons = [r for r in reasons if not r.startswith(_TYPO_REASONS)]
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
            return Verdict(REVIEW, "doi+title", scores, ("same DOI, different titles",), 0.0)
        return Verdict(DISTINCT, "doi+title", scores, ("same DOI, different titles",), 0.0)
    if registry > 0 and not reasons and not soft and conflicts == 0 and title >= TITLE_CLOSE:
        # one trial registration; a title naming the registry id names the trial, and two
        # reports of one trial differ in their citation, so nothing may conflict
        return Verdict(MERGE, "registry", scores, (), 2.0 + title)

    if mode == "none":
        # a record without a title (kept at import): only its citation can point to another
        if (
            journal > 0
            and volume > 0
            and pages > 0
            and year >= 0
            and authors >= 0
            and conflicts == 0
            and not soft
        ):
            return Verdict(REVIEW, "untitled", scores, ("no title: same citation",), 0.0)
        return Verdict(DISTINCT, "untitled", scores, (), 0.0)

    if letters:
        # several letters printed as one record, and one of them
        if pages > 0 and volume >= 0 and journal >= 0 and title >= TITLE_CLOSE:
            return Verdict(
                REVIEW, "veto", scores, ("one letter and a multiple-letters record",), 0.0
            )
        return Verdict(DISTINCT, "veto", scores, tuple(reasons), 0.0)

    if a.generic or b.generic:
        # "Editorial", "Editor's comments": many items carry the title, so only the whole
        # citation (journal, volume, and issue or pages) makes two records one item; such pairs
        # are never queued
        full = (
            volume > 0
            and (issue > 0 or pages > 0)
            and journal >= 0
            and year >= 0
            and authors >= 0
            and conflicts == 0
        )
        if full and title >= TITLE_CLOSE and not reasons and not soft:
            return Verdict(MERGE, "citation", scores, (), 1.0 + title)
        return Verdict(DISTINCT, "generic", scores, ("generic title",), 0.0)

    citation = _same_citation(a, b, journal, volume, pages, authors, year) and issue >= 0
    if (
        citation
        and not reasons
        and not soft
        and title < TITLE_LOOSE
        and _title_evidence(a, b, title)
    ):
        # a translated title: the same journal, volume, page range, year and first author
        return Verdict(MERGE, "citation", scores, (), 1.0 + title)
    if reasons:
        # a typo in a number, one page field damaged, or one item typed differently by two
        # databases (a letter PubMed calls a comment), with everything else the same: ask
        if (
            len(reasons) == 1
            and (a.kind == b.kind or (title >= TITLE_SAME and pages > 0 and journal > 0))
            and title >= TITLE_CLOSE
            and agree >= 4
            and conflicts <= (1 if "pages" in reasons[0] or "issues" in reasons[0] else 0)
            and not reasons[0].startswith(_NEVER_QUEUED)
        ):
            return Verdict(REVIEW, "veto", scores, tuple(reasons), 0.0)
        return Verdict(DISTINCT, "veto", scores, tuple(reasons), 0.0)
    if title < TITLE_REVIEW:
        return Verdict(DISTINCT, "fuzzy", scores, (), 0.0)

    # title, authors and the same page range carry the decision whatever the venue's name
    # (a meeting's full proceedings title vs its short name)
    if (
        title >= TITLE_SAME
        and authors > 0
        and _same_range(a, b)
        and year >= 0
        and conflicts == 0
        and not soft
    ):
        return Verdict(MERGE, "fuzzy", scores, (), title + 0.1 * agree)
    if (
        title >= TITLE_SAME
        and journal > 0
        and volume > 0
        and _same_range(a, b)
        and year >= 0
        and issue >= 0
        and not soft
    ):
        # the same title in the same place (journal, volume, page range) is one item, whoever
        # the export lists as its authors (a group name, given names in the surname field)
        return Verdict(MERGE, "citation", scores, (), 1.0 + title)
    if journal < 0 and volume <= 0 and pages <= 0 and issue <= 0:
        # two journals (or a journal and a meeting) and nothing of the citation in common:
        # two reports, e.g. an abstract and the article, or a secondary publication
        return Verdict(DISTINCT, "fuzzy", scores, ("two venues",), 0.0)
    if journal > 0 and volume < 0 and pages <= 0:
        return Verdict(DISTINCT, "fuzzy", scores, ("different volumes of one journal",), 0.0)

    short = len(a.title) < SHORT_TITLE or len(b.title) < SHORT_TITLE
    need = 1 if title >= TITLE_SAME else 2 if title >= TITLE_CLOSE else 3
    if short:
        need += 1
    # a strong author/year/venue agreement when titles differ only by wording or translation
    # a different journal is no proof (translations, renamed journals), but two conference
    # abstracts of one study at two meetings are two reports
    venue = (
        journal >= 0
        or (pages > 0 and not (a.conference or b.conference))
        or (volume > 0 and issue > 0 and not (a.conference or b.conference))
    )
    strong = conflicts == 0 and venue and agree >= need and year >= 0
    if title < TITLE_CLOSE and authors <= 0 and not _same_place(a, b, journal, volume, pages):
        strong = False  # a reworded title needs the same authors, or the same page range
    if year == 0 and a.years and b.years and volume <= 0 and pages <= 0 and issue <= 0:
        # a year apart with nothing of the citation in common: an online-first record and
        # its print version, or two reports a year apart; a human tells
        strong = False
    if short and not (pages > 0 or (authors > 0 and volume > 0)):
        # a short title says little; only a shared place in the journal or the same authors
        # in the same volume make it one report, and without authors or pages there is
        # nothing for a reviewer to go on either
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


# vetoes that identifiers outweigh (a typo in a title number, a damaged page or issue field)
_TYPO_REASONS = (
    "different numbers",
    "different pages",
    "different issues",
    "different populations",
)
# vetoes that hold even against an otherwise complete agreement: two items by design
_NEVER_QUEUED = ("different populations", "different registry", "conference abstract vs")
# document kinds that are two different items when they meet
_TWO_KINDS = (
    {"book", "chapter"},
    {"thesis", "article"},
    {"thesis", "meeting"},
)


def _same_range(a: Prepared, b: Prepared) -> bool:
    """The same first and last page, over two pages or more (not one abstract's page)."""
    return (
        a.page_first is not None
        and a.page_last is not None
        and a.page_first == b.page_first
        and a.page_last == b.page_last
        and a.page_last > a.page_first
        and a.page_prefix.upper() == b.page_prefix.upper()
    )


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
    """Regular (or electronic, ``e10-e18``) pages spanning three or more pages: a journal
    article, not an abstract."""
    if p.page_first is None or p.page_last is None or p.page_prefix.lower() not in ("", "e"):
        return False
    return p.page_last - p.page_first >= 2
