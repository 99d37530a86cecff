"""Normalised views of a record that duplicate detection compares: pure functions, no I/O.

Each function takes the raw text a source gave and returns a canonical form, so that two
exports of one article compare equal however each database spelled it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rea.records import (
    Author,
    Record,
    normalize_doi,
    normalize_pages,
    normalize_pmid,
    split_authors,
)

# ---------------------------------------------------------------- titles

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:]*(?:\s[^<>]*)?/?>")
_TRAILING_BRACKETS = re.compile(r"(?:\s*\.?\s*\[[^\[\]]*(?:\]|$))+\s*\.?\s*$")
_TRAILING_NOTE = re.compile(
    r"\s*(?:\((?:provisional|structured)\s+abstract\)|\bLA:\s*\w+)\s*\.?\s*$", re.I
)
_SUBTITLE_SPLIT = re.compile(r"\s*(?::|\s-{1,2}\s|\.\s|\?\s|!\s)\s*")
_ROMAN = {
    "i": "1",
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "v": "5",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "x": "10",
}
_ROMAN_CONTEXT = frozenset(
    ["part", "phase", "type", "stage", "study", "trial", "class", "grade", "section", "volume"]
)


def fold(value: str) -> str:
    """Lower case, no diacritics, German umlaut spellings folded, punctuation → one space."""
    if value.isascii():
        text = value.lower()
    else:
        text = unicodedata.normalize("NFKD", value)
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = text.lower().replace("ß", "ss")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


_MAY_NEED_CLEANING = re.compile(r"[\[\]]|\(\w+\s+abstract\)|\bLA:|^\s*retracted", re.I)


def clean_title(value: str) -> str:
    """The title without markup, translation brackets, language tags or database notes.

    ``[Effects of X on Y]`` (a translated title) → ``Effects of X on Y``;
    ``Effects of X. [Chinese]`` → ``Effects of X``; ``K<inf>Ca</inf>3.1`` → ``KCa3.1``;
    ``... meta-analysis. [Review] [45 refs]`` → ``... meta-analysis``.
    """
    text = html.unescape(value) if "&" in (value or "") else value or ""
    if "<" in text:
        text = _TAG.sub("", text)
    text = " ".join(text.split()).strip('"“”')
    if not _MAY_NEED_CLEANING.search(text):
        return text.rstrip(".").strip()
    for _ in range(3):
        before = text
        text = _TRAILING_NOTE.sub("", text)
        stripped = text.strip().rstrip(".").strip()
        if stripped.startswith("[") and stripped.endswith("]") and stripped.count("[") == 1:
            text = stripped[1:-1]
        elif not stripped.startswith("["):
            shorter = _TRAILING_BRACKETS.sub("", text)
            text = shorter if len(shorter) >= 10 else text
        text = re.sub(r"^\s*retracted(?:\s+article)?\s*:\s*", "", text, flags=re.I)
        if text == before:
            break
    return text.strip().rstrip(".").strip()


def title_words(title: str) -> list[str]:
    return fold(clean_title(title)).split()


_PLACEHOLDER_TITLES = frozenset(
    ["no title available", "untitled", "no title", "title not available", "not available"]
)


def _title_views(title: str) -> tuple[list[str], str, tuple[str, ...]]:
    """Words, main title, and bilingual parts, cleaning the title once.

    Placeholders some databases put where a title is missing (``[No title available]``) give an
    empty title: they say nothing about the record.
    """
    cleaned = clean_title(title)
    if cleaned.lower() in _PLACEHOLDER_TITLES:
        return [], "", ()
    words = fold(cleaned).split()
    pieces = _SUBTITLE_SPLIT.split(cleaned, maxsplit=1)
    main = pieces[0] if len(pieces) > 1 and len(pieces[0]) >= 20 else ""
    parts: tuple[str, ...] = ()
    if ";" in cleaned or " = " in cleaned:
        parts = title_parts(title)
    return words, main, parts


def compact(words: list[str]) -> str:
    """Words joined without spaces: ``thrombosis- induced``, ``d isease`` compare equal."""
    return "".join(words)


def main_title(title: str) -> str:
    """The title before its subtitle (``Main: subtitle``, ``Main - subtitle``, ``Main. More``)."""
    cleaned = clean_title(title)
    parts = _SUBTITLE_SPLIT.split(cleaned, maxsplit=1)
    return parts[0] if len(parts) > 1 and len(parts[0]) >= 20 else ""


def title_parts(title: str) -> tuple[str, ...]:
    """Compact forms of each language of a bilingual title (``Original; Translation``)."""
    cleaned = clean_title(title)
    pieces = re.split(r"\s*;\s+|\s+=\s+", cleaned)
    if len(pieces) < 2:
        return ()
    parts = (compact(fold(clean_title(p)).split()) for p in pieces)
    return tuple(p for p in parts if len(p) >= 20)


_THOUSANDS = re.compile(r"\b(\d{1,3}) (\d{3})\b")
_DIGITS = re.compile(r"\d+")


def title_numbers(words: list[str]) -> frozenset[str]:
    """Numbers in a title (digits, and roman numerals after Part/Phase/Type …): Part I ≠ Part II.

    ``words`` are folded words; thousands written ``10 000`` or ``10,000`` count as one number.
    """
    found: set[str] = set()
    previous = ""
    text = " ".join(words)
    while _THOUSANDS.search(text):
        text = _THOUSANDS.sub(r"\1\2", text)
    for digits in _DIGITS.findall(text):
        found.add(digits.lstrip("0") or "0")
    if not _ROMAN.keys() & set(words):
        return frozenset(found)
    for word in words:
        if word in _ROMAN and (previous in _ROMAN_CONTEXT or (word != "i" and len(word) > 1)):
            found.add(_ROMAN[word])
        previous = word
    return frozenset(found)


# ---------------------------------------------------------------- authors


@lru_cache(maxsize=65536)
def _surname_key(family: str) -> str:
    text = fold(family)
    text = text.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return text.replace(" ", "")


def author_surnames(authors: tuple[Author, ...]) -> tuple[str, ...]:
    """Folded surnames in order; handles whole strings left in ``family`` by some readers."""
    names: list[str] = []
    for author in authors:
        family = author.family
        if not author.given and (
            ";" in family
            or " and " in family
            or "," in family
            or _RUN_TOGETHER_HINT.search(family)
            or _TRAILING_INITIALS.search(family)
        ):
            expanded = split_authors(family)
        else:
            expanded = (author,)
        for one in expanded:
            key = _family_key(one.family)
            if key:
                names.append(key)
    return tuple(names)


_RUN_TOGETHER_HINT = re.compile(r"\.[A-Z][a-z]")
_TRAILING_INITIALS = re.compile(r"\s(?:[A-Z]\.?-?){1,4}$")


@lru_cache(maxsize=65536)
def _family_key(family: str) -> str:
    words = fold(family).split()
    # "de Schipper" / "van Kemenade": drop the particles, "Wright Jr": drop the suffix
    words = [w for w in words if w not in _PARTICLES] or words
    return _surname_key(" ".join(words))


_PARTICLES = frozenset(
    [
        "de",
        "del",
        "della",
        "der",
        "den",
        "van",
        "von",
        "da",
        "di",
        "le",
        "la",
        "du",
        "dos",
        "das",
        "jr",
        "sr",
        "ii",
        "iii",
    ]
)


# ---------------------------------------------------------------- journals

_JOURNAL_STOP = frozenset(
    [
        "the",
        "of",
        "and",
        "in",
        "for",
        "on",
        "de",
        "la",
        "des",
        "du",
        "der",
        "und",
        "&",
        "y",
        "e",
        "d",
        "et",
        "di",
        "le",
        "les",
        "el",
        "fur",
        "i",
        "och",
        "og",
    ]
)
_CONFERENCE = re.compile(
    # not "proceedings" alone: Proc Natl Acad Sci and Proc Nutr Soc are journals
    r"\b(?:conference|congress|meeting|symposium|abstracts?|annual\s+scientific"
    r"|scientific\s+sessions?|workshop|colloquium|supplement|conf|symp)\b",
    re.I,
)


@lru_cache(maxsize=16384)
def journal_names(value: str) -> tuple[tuple[str, ...], ...]:
    """The journal's name(s) as words without stop words; abbreviations kept.

    Drops what databases add: ``. Conference: …``, ``: official journal of …``, place
    qualifiers ``(Carlton, Vic.)``, ``[Electronic Resource]``; ``A = B = C`` gives each name.
    """
    text = html.unescape(value or "").strip().strip('"')
    text = re.split(r"\.\s*conference\s*:|\s:\s|\[", text, maxsplit=1, flags=re.I)[0]
    text = re.sub(r"\([^()]*\)", " ", text)
    text = re.sub(r"['’]s\b", "s", text)
    names = []
    for part in text.split(" = "):
        words = tuple(w for w in fold(part).split() if w not in _JOURNAL_STOP)
        if words:
            names.append(words)
    return tuple(names)


def journal_tokens(value: str) -> tuple[str, ...]:
    """The first name of :func:`journal_names` (for display and blocking)."""
    names = journal_names(value)
    return names[0] if names else ()


def issns(values: tuple[str, ...]) -> frozenset[str]:
    """ISSNs as 8 characters (``0957-9672 (Print)`` → ``09579672``)."""
    found = set()
    for value in values:
        for match in re.finditer(r"\b(\d{4})-?(\d{3}[\dXx])\b", value):
            found.add((match.group(1) + match.group(2)).upper())
    return frozenset(found)


def journal_names_match(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> bool:
    return any(journals_match(x, y) for x in a for y in b)


@lru_cache(maxsize=65536)
def journals_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Full name vs abbreviation: ``Diab Vasc Dis Res`` = ``Diabetes and Vascular Disease
    Research``; every word of one is a prefix of the aligned word of the other."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(long) - len(short) > 1:
        # ``Surgical Endoscopy`` = ``Surgical Endoscopy and Other Interventional Techniques``
        return len(short) >= 2 and long[: len(short)] == short
    skipped = 0
    i = j = 0
    while i < len(short) and j < len(long):
        s, t = short[i], long[j]
        if t.startswith(s) or s.startswith(t) or _abbrev_of(s, t) or _abbrev_of(t, s):
            i += 1
            j += 1
        elif skipped == 0 and len(long) > len(short):
            skipped += 1
            j += 1
        else:
            return False
    return i == len(short) and (j == len(long) or skipped + len(long) - j <= 1)


def _abbrev_of(short: str, word: str) -> bool:
    """``pharmacol`` ⊂ ``pharmacology``, ``sci`` ⊂ ``science``, ``rsch`` ⊂ ``research``."""
    if len(short) < 2 or short[0] != word[0]:
        return False
    it = iter(word)
    return all(c in it for c in short)


# ---------------------------------------------------------------- pages, volume, year

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


@lru_cache(maxsize=65536)
def page_range(value: str) -> tuple[str, int | None, int | None]:
    """(prefix, first, last) of a page string; ``221-8`` → ('', 221, 228).

    Several ranges (``233-8, 230-5``) span from the lowest first page to the highest last page.
    Pages a spreadsheet turned into a date (``21-Aug``) or an export mangled (``Suppl-29``) are
    unknown, never a conflict.
    """
    text = (value or "").strip().strip('"')
    if not text or text.upper() == "NA":
        return ("", None, None)
    ranges = [_one_range(part.strip()) for part in re.split(r"[;,+]", text) if part.strip()]
    ranges = [r for r in ranges if r[1] is not None]
    if not ranges:
        return ("", None, None)
    prefix = ranges[0][0]
    same = [r for r in ranges if r[0] == prefix]
    first = min(r[1] for r in same if r[1] is not None)
    lasts = [r[2] for r in same if r[2] is not None]
    return (prefix, first, max(lasts) if lasts else None)


def _one_range(text: str) -> tuple[str, int | None, int | None]:
    month = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})|([A-Za-z]{3})-(\d{1,2})", text)
    if month and (month.group(2) or month.group(3) or "").lower() in _MONTHS:
        return ("", None, None)
    if re.match(r"[A-Za-z]{2,}|[A-Za-z]-", text):
        return ("", None, None)  # "Suppl-29", "t-8", "author reply 2243-5": unknown
    norm = normalize_pages(text)
    match = re.fullmatch(r"([A-Za-z]*)(\d+)(?:\.\w+)?(?:-([A-Za-z]*)(\d+)(?:\.\w+)?)?", norm)
    if not match:
        digits = re.search(r"([A-Za-z]?)(\d+)", norm)
        if not digits:
            return ("", None, None)
        return (digits.group(1), int(digits.group(2)), None)
    prefix, first, _, last = match.groups()
    start = int(first)
    end = int(last) if last else None
    if end is not None and end < start:
        end = None
    return (prefix, start, end)


def first_number(value: str) -> str:
    match = re.search(r"\d+", value or "")
    return match.group(0).lstrip("0") if match else ""


def clean_volume(volume: str, issue: str) -> str:
    """The volume number when it is trustworthy, else "".

    Exports damage volumes of supplements (``62 (SUPPL. 1)`` split into volume ``1)``); a volume
    with stray brackets is treated as unknown rather than as a conflict.
    """
    text = (volume or "").strip()
    if not text or text.upper() == "NA":
        return ""
    if re.fullmatch(r"\d+[A-Za-z]?", text):
        return text.lstrip("0").lower()
    # "44 (2 Supplement 1)", "10 Suppl 2", "31 Pt 2"
    match = re.fullmatch(r"(\d+)\s*(?:\([^()]*\)|(?:suppl\w*|pt|part)\.?\s*\w*)", text, re.I)
    if match:
        return match.group(1).lstrip("0")
    return ""


def is_supplement(value: str) -> bool:
    return bool(re.search(r"suppl|\bS\d|supplement", value or "", re.I))


# ---------------------------------------------------------------- kinds of item

_NOTICE_END = r"\s*(?::|\.|-|–|—|\]|\bto\b|\bfor\b|\bnotice\b|\bnote\b|$)"
_ERRATUM = re.compile(
    r"^\s*\[?\s*(?:(?:erratum|errata|corrigendum|corrigenda|addendum)\b"
    r"|(?:publisher['’]?s?\s+|author['’]?s?\s+)?correction"
    + _NOTICE_END
    + r"|notice\s+of\s+correction)",
    re.I,
)
_RETRACTION = re.compile(
    r"^\s*\[?\s*(?:(?:retraction|withdrawn|withdrawal)"
    + _NOTICE_END
    + r"|notice\s+of\s+retraction|expression\s+of\s+concern)",
    re.I,
)
_COMMENT = re.compile(
    r"^\s*\[?\s*(?:comments?\s+(?:on|to)\b|commentary\s+on\b|re\s*:|reply\b|in\s+reply\b"
    r"|in\s+response\b|response\s+to\b|authors?['’]?\s+(?:reply|response)"
    r"|letter\s+to\s+the\s+editor|editorial\s+comment)"
    r"|(?::\s*|\b)(?:reply|authors?['’]?\s+(?:reply|response)|a\s+response)\s*\.?\s*$",
    re.I,
)


def item_kind(record: Record) -> str:
    """``article``, ``erratum``, ``retraction`` or ``comment`` (from title and publication type)."""
    types = " ".join(record.publication_types).lower()
    title = html.unescape(record.title or "")
    if "erratum" in types or _ERRATUM.search(title):
        return "erratum"
    if "retraction of publication" in types or _RETRACTION.search(title):
        return "retraction"
    if "comment" in types.split() or _COMMENT.search(title):
        return "comment"
    return "article"


@lru_cache(maxsize=16384)
def _conference_journal(journal: str) -> bool:
    return bool(_CONFERENCE.search(journal))


def is_conference(record: Record) -> bool:
    """A conference abstract or meeting paper rather than a journal article."""
    types = " ".join(record.publication_types).lower()
    if any(k in types for k in ("congress", "conference", "meeting", "proceedings")):
        return True
    if record.extra.get("entry_type", "").lower() in ("inproceedings", "conference", "abstract"):
        return True
    if _conference_journal(record.journal or ""):
        return True
    prefix, first, last = page_range(record.pages)
    if prefix in ("S", "A", "P") and first is not None and (last is None or last - first < 2):
        return True  # a meeting-abstract page (A123, S45-S46)
    if is_supplement(record.volume) or is_supplement(record.issue):
        # a supplement holds abstracts, but also whole articles: only short items count
        _, first, last = page_range(record.pages)
        return first is None or last is None or last - first < 2
    return False


# ---------------------------------------------------------------- the prepared record


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything the comparison needs, computed once per record."""

    record_id: int
    title: str  # compact folded title
    main: str  # compact folded main title ("" when there is no subtitle)
    parts: tuple[str, ...]  # each language of a bilingual title
    words: tuple[str, ...]
    numbers: frozenset[str]
    main_numbers: frozenset[str]
    surnames: tuple[str, ...]
    years: frozenset[int]
    journal: tuple[tuple[str, ...], ...]
    issn: frozenset[str]
    volume: str
    issue: str
    page_prefix: str
    page_first: int | None
    page_last: int | None
    doi: str
    pmid: str
    kind: str
    conference: bool
    completeness: int


def record_completeness(record: Record) -> int:
    """How many of the fields a reviewer needs a record has (the most complete one is kept)."""
    return sum(
        bool(x)
        for x in (
            record.pmid,
            record.doi,
            record.abstract,
            record.authors,
            record.journal,
            record.volume,
            record.pages,
            record.year,
        )
    )


def prepare(record_id: int, record: Record) -> Prepared:
    words, main, parts = _title_views(record.title)
    main_words = fold(main).split() if main else []
    years = {y for y in (record.year, record.epub_year) if y}
    journal = journal_names(record.journal) + journal_names(record.journal_abbrev)
    prefix, first, last = page_range(record.pages)
    completeness = record_completeness(record)
    return Prepared(
        record_id=record_id,
        title=compact(words),
        main=compact(main_words),
        parts=parts,
        words=tuple(words),
        numbers=title_numbers(words),
        main_numbers=title_numbers(main_words),
        surnames=author_surnames(record.authors),
        years=frozenset(years),
        journal=journal,
        issn=issns(record.issn),
        volume=clean_volume(record.volume, record.issue),
        issue=first_number(record.issue),
        page_prefix=prefix,
        page_first=first,
        page_last=last,
        doi=normalize_doi(record.doi),
        pmid=normalize_pmid(record.pmid),
        kind=item_kind(record),
        conference=is_conference(record),
        completeness=completeness,
    )
