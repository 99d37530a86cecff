"""Normalised views of a record that duplicate detection compares: pure functions, no I/O.

Each function takes the raw text a source gave and returns a canonical form, so that two
exports of one article compare equal however each database spelled it.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from rea.records import (
    Author,
    DocumentKind,
    Record,
    document_kind,
    fold_text,
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
    """Lower case, transliterated to ASCII (``Sørensen`` = ``Sorensen``), punctuation → space.

    The one fold of :func:`rea.records.fold_text`, for titles, authors and journals alike.
    """
    return fold_text(value)


_MAY_NEED_CLEANING = re.compile(
    r"[\[\]]|\(\w+\s+abstract\)|\bLA:|^\s*retracted|letters\)|\d{4}", re.I
)
_TRANSLATED_WITH_NOTES = re.compile(r"^\[([^\[\]]{10,})\]\s*\.?\s*(?:\[[^\[\]]*\]?\s*\.?\s*)+$")
_LETTERS_NOTE = re.compile(r"\s*[\[(](?:multiple|\d+)\s+letters[\])]\s*\.?\s*$", re.I)
# the cited article appended to a title: "(vol 33, pg 1234, 2010)" (Web of Science errata),
# "[Diabetes Care 2010;33(6):1234-40]", ". N Engl J Med 2010;362:123-30"
_WOS_CITATION = re.compile(
    r"\s*\(\s*vol\.?\s*[\w.]+\s*,\s*(?:pg|pp?)\.?\s*[\w.-]+[^()]*\)\s*\.?$", re.I
)
_BRACKET_TAIL = re.compile(r"\s*[\[(]([^\[\]()]{6,160})[\])]\s*\.?$")
_SENTENCE_TAIL = re.compile(r"\.\s+([^.]{6,120}(?:\.[^.]{1,60}){0,3})\.?$")
_YEAR_IN = re.compile(r"\b(?:19|20)\d\d\b")
_VOLUME_PAGE = re.compile(
    r"\d+\s*(?:\(\s*[\w -]+\s*\))?\s*:\s*[A-Za-z]?\d+|\bvol\b|\bpg\b|\bpp?\.\s*\d", re.I
)
# a footnote mark glued to the last word: "... in adolescents1", "... in adolescents*"
_FOOTNOTE = re.compile(r"(?<=[a-z]{4})(?:[1-9]|\s?[*†‡]+)$")
# a kicker naming the item's own kind before its title: "Systematic review: …"
_KICKER = re.compile(
    r"^(?:(?:original|research|clinical|systematic|brief|short|special|concise|invited|case"
    r"|scientific|narrative)\s+)?(?:article|research|review|meta-analysis|trial|study|report"
    r"|communication|paper|investigation|contribution)\s*:\s+",
    re.I,
)


def _citation_like(segment: str) -> bool:
    """A year and a volume:page (or vol/pg) in a few words: a reference, not part of a title."""
    return (
        bool(_YEAR_IN.search(segment))
        and bool(_VOLUME_PAGE.search(segment))
        and len(segment.split()) <= 16
    )


def strip_appended_citation(text: str) -> str:
    """The title without a reference to another article appended to it."""
    shorter = _WOS_CITATION.sub("", text)
    if shorter != text and len(shorter) >= 10:
        return shorter
    match = _BRACKET_TAIL.search(text) or _SENTENCE_TAIL.search(text)
    if match and _citation_like(match.group(1)) and match.start() >= 10:
        return text[: match.start()]
    return text


def clean_title(value: str) -> str:
    """The title without markup, translation brackets, language tags or database notes.

    ``[Effects of X on Y]`` (a translated title) → ``Effects of X on Y``;
    ``Effects of X. [Chinese]`` → ``Effects of X``; ``K<inf>Ca</inf>3.1`` → ``KCa3.1``;
    ``... meta-analysis. [Review] [45 refs]`` → ``... meta-analysis``;
    ``[Effects of X]. [Review] [16 refs] [German]`` → ``Effects of X``; a cited article
    appended (``(vol 33, pg 1234, 2010)``), a footnote mark (``adolescents1``) and a kicker
    naming the item's kind (``Systematic review: …``) are cut.
    """
    text = html.unescape(value) if "&" in (value or "") else value or ""
    if "<" in text:
        text = _TAG.sub("", text)
    text = " ".join(text.split()).strip('"“”')
    text = _FOOTNOTE.sub("", text)
    if ":" in text[:60]:
        unkicked = _KICKER.sub("", text, count=1)
        text = unkicked if len(unkicked) >= 20 else text
    if not _MAY_NEED_CLEANING.search(text):
        return text.rstrip(".").strip()
    for _ in range(4):
        before = text
        translated = _TRANSLATED_WITH_NOTES.match(text.strip())
        if translated:
            text = translated.group(1)
        text = _TRAILING_NOTE.sub("", text)
        text = _LETTERS_NOTE.sub("", text)
        stripped = text.strip().rstrip(".").strip()
        if stripped.startswith("[") and stripped.endswith("]") and stripped.count("[") == 1:
            text = stripped[1:-1]
        elif not stripped.startswith("["):
            shorter = _TRAILING_BRACKETS.sub("", text)
            text = shorter if len(shorter) >= 10 else text
        text = re.sub(r"^\s*retracted(?:\s+article)?\s*:\s*", "", text, flags=re.I)
        text = strip_appended_citation(text.strip())
        if text == before:
            break
    return text.strip().rstrip(".").strip().strip('"“”')


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


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ],
        start=2,
    )
}
# words naming who or what was studied: sibling registry records, or the adult and the
# paediatric report of one trial, differ by one of them (folded to one form each)
_POPULATION = {
    "adult": "adult",
    "adults": "adult",
    "child": "child",
    "children": "child",
    "childhood": "child",
    "paediatric": "child",
    "pediatric": "child",
    "adolescent": "adolescent",
    "adolescents": "adolescent",
    "youth": "adolescent",
    "infant": "infant",
    "infants": "infant",
    "neonates": "infant",
    "neonatal": "infant",
    "newborn": "infant",
    "newborns": "infant",
    "women": "women",
    "woman": "women",
    "female": "women",
    "females": "women",
    "men": "men",
    "male": "men",
    "males": "men",
    "elderly": "older",
    "older": "older",
    "mice": "mice",
    "mouse": "mice",
    "murine": "mice",
    "rat": "rat",
    "rats": "rat",
    "dog": "dog",
    "dogs": "dog",
    "canine": "dog",
    "pig": "pig",
    "pigs": "pig",
    "porcine": "pig",
    "vitro": "vitro",
    "vivo": "vivo",
    "protocol": "protocol",
}


def title_population(words: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Population and design words of a title (adults, children, rats, in vitro, protocol)."""
    return frozenset(_POPULATION[w] for w in words if w in _POPULATION)


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
    for word in _NUMBER_WORDS.keys() & set(words):
        found.add(_NUMBER_WORDS[word])  # "five-year" = "5-year" ≠ "six-year"
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


_GROUP = re.compile(
    r"\b(?:group|groups|investigators|consortium|collaborat\w*|committee|society|association"
    r"|team|network|trialists|study|working|task\s+force|panel|council|organi[sz]ation)\b",
    re.I,
)


def is_group_author(author: Author) -> bool:
    """``ALTS Group``, ``ASCUS-LSIL``, ``EPIC Investigators``: a group, not a person; some
    databases list it, others the people, so it is left out of the comparison."""
    if author.given.strip():
        return False
    family = author.family.strip()
    if _GROUP.search(family):
        return True
    return family.isupper() and ("-" in family or any(c.isdigit() for c in family))


def author_surnames(authors: tuple[Author, ...]) -> tuple[str, ...]:
    """Folded surnames in order (group authors left out); handles whole strings left in
    ``family`` by some readers."""
    keys = (_family_key(one.family) for one in _expanded(authors) if not is_group_author(one))
    return tuple(k for k in keys if k)


def swapped_surnames(authors: tuple[Author, ...]) -> tuple[str, ...]:
    """The surnames if the export wrote ``Given, Family`` (``John, Smith``): the given names.

    Empty unless at least one given name is a whole word (not initials); a pair whose authors
    do not agree is compared again with one side's names swapped.
    """
    names: list[str] = []
    swapped = False
    for one in _expanded(authors):
        if is_group_author(one):
            continue
        given = one.given.strip()
        if re.fullmatch(r"[^\W\d_]{2,}(?:-[^\W\d_]{2,})?", given) and not given.isupper():
            key = _family_key(given)
            swapped = True
        else:
            key = _family_key(one.family)
        if key:
            names.append(key)
    return tuple(names) if swapped else ()


def _expanded(authors: tuple[Author, ...]) -> list[Author]:
    names: list[Author] = []
    for author in authors:
        family = author.family
        if not author.given and (
            ";" in family
            or " and " in family
            or "," in family
            or _RUN_TOGETHER_HINT.search(family)
            or _TRAILING_INITIALS.search(family)
        ):
            names.extend(split_authors(family))
        else:
            names.append(author)
    return names


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


def journal_names_related(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> bool:
    """One name inside the other, word by word in order: a section and its parent journal
    (``American Journal of Physiology`` and ``… Heart and Circulatory Physiology``)."""
    return any(_contained(x, y) or _contained(y, x) for x in a for y in b)


@lru_cache(maxsize=65536)
def _contained(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    if len(short) < 2 or len(short) >= len(long):
        return False
    j = 0
    for word in short:
        while j < len(long) and not (
            long[j].startswith(word) or word.startswith(long[j]) or _abbrev_of(word, long[j])
        ):
            j += 1
        if j == len(long):
            return False
        j += 1
    return True


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
    if re.match(r"[A-Za-z]{2,}|[A-Za-z]-", text) and not re.fullmatch(
        r"([A-Za-z]{1,4})\d+(?:-\1?\d+)?", text
    ):
        # "Suppl-29", "t-8", "author reply 2243-5": unknown; "iii33-iii44", "JC6-9" are pages
        return ("", None, None)
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
    # "44 (2 Supplement 1)", "10 Suppl 2", "31 Pt 2", "6017 LNCS" (a book series' volume)
    match = re.fullmatch(
        r"(\d+)\s*(?:\([^()]*\)|(?:suppl\w*|pt|part)\.?\s*\w*|[A-Z]{2,6})", text, re.I
    )
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


_LETTERS = re.compile(r"[\[(](?:multiple|\d+)\s+letters[\])]", re.I)


def item_kind(record: Record) -> str:
    """``article``, ``erratum``, ``retraction``, ``comment`` or ``letters`` (several letters
    listed as one record), from the title and the publication types.

    Errata are recognised in every notation: ``Erratum: …``, ``Correction to: …`` and the
    Web of Science form, the corrected article's title followed by ``(vol 33, pg 1234, 2010)``.
    """
    types = " ".join(record.publication_types).lower()
    title = html.unescape(record.title or "")
    if (
        "erratum" in types
        or "correction" in types
        or _ERRATUM.search(title)
        or _WOS_CITATION.search(title)
    ):
        return "erratum"
    if "retraction of publication" in types or _RETRACTION.search(title):
        return "retraction"
    if "comment" in types.split() or _COMMENT.search(title):
        return "comment"
    if _LETTERS.search(title):
        return "letters"
    return "article"


_NOTICE_PREFIX = re.compile(
    r"^\s*\[?\s*(?:(?:publisher['’]?s?|author['’]?s?)\s+)?(?:erratum|errata|corrigendum|corrigenda"
    r"|addendum|correction|retraction(?:\s+notice)?|notice\s+of\s+(?:correction|retraction)"
    r"|expression\s+of\s+concern|withdrawn|withdrawal|comments?|commentary|re|reply|in\s+reply"
    r"|response|authors?['’]?\s+(?:reply|response))"
    r"(?:\s+(?:to|for|in|of|on|regarding))?(?:\s+(?:the\s+)?(?:article|paper|letter))?\s*[:.\-–—]?\s*",
    re.I,
)
_NOTICE_SUFFIX = re.compile(r"\s*[:.\-–—]?\s*(?:authors?['’]?\s+)?(?:reply|response)\s*\.?$", re.I)


def notice_body(title: str) -> str:
    """The title a notice or reply is about: ``Erratum to "X" [Diabetes 2010;33:1]`` → ``X``."""
    text = html.unescape(title or "")
    text = _NOTICE_PREFIX.sub("", text, count=1)
    text = _NOTICE_SUFFIX.sub("", text)
    text = text.strip().strip("\"“”‘’'[]").strip()
    return clean_title(text)


@lru_cache(maxsize=16384)
def _conference_journal(journal: str) -> bool:
    return bool(_CONFERENCE.search(journal))


_THESIS_LISTING = re.compile(r"\bdissertations?\b|\btheses\b|\bthesis\b", re.I)
_SERIES = re.compile(
    r"lecture\s+notes|\bseries\b|^advances\s+in|^studies\s+in|^communications\s+in|\bceur\b"
    r"|^ifip\b|^smart\s+innovation",
    re.I,
)


_VENUE_YEAR = re.compile(r"(?<![\d(])(?:19|20)\d\d(?![\d)])|['’]\d\d\b")


def venue_has_year(journal: str) -> bool:
    """A venue named with its year (``ICIS 2020 Proceedings``, ``HICSS 2019``): a meeting;
    journals do not carry a year in their names."""
    return bool(journal) and bool(_VENUE_YEAR.search(journal))


def is_thesis_listing(journal: str) -> bool:
    """``Dissertation Abstracts International``, ``ProQuest Dissertations and Theses``."""
    return bool(_THESIS_LISTING.search(journal or ""))


def is_series(journal: str) -> bool:
    """A book series that publishes proceedings (``Lecture Notes in Computer Science``)."""
    return bool(_SERIES.search(journal or ""))


def record_kind(record: Record) -> DocumentKind:
    return document_kind(record.publication_types, record.extra.get("entry_type", ""))


def is_conference(record: Record, kind: DocumentKind | None = None) -> bool:
    """A conference abstract or meeting paper rather than a journal article."""
    kind = record_kind(record) if kind is None else kind
    if kind is DocumentKind.MEETING:
        return True
    if kind is DocumentKind.THESIS or is_thesis_listing(record.journal):
        return False
    if _conference_journal(record.journal or "") or venue_has_year(record.journal):
        return True
    prefix, first, last = page_range(record.pages)
    if first is not None and last is not None and last - first > SECTION_PAGES:
        # the whole abstract section's range in a supplement, not one long article
        return is_supplement(record.volume) or is_supplement(record.issue) or bool(prefix)
    if prefix in ("S", "A", "P") and first is not None and (last is None or last - first < 2):
        return True  # a meeting-abstract page (A123, S45-S46)
    if is_supplement(record.volume) or is_supplement(record.issue):
        # a supplement holds abstracts, but also whole articles: only short items count
        _, first, last = page_range(record.pages)
        return first is None or last is None or last - first < 2
    return False


SECTION_PAGES = 60  # a range longer than this is a section or a whole book, not the item's own


# Acronyms that name an organiser of many different meetings, not one meeting.
_ORGANISERS = frozenset(["IEEE", "ACM", "AIS", "IFIP", "SPIE", "LNCS", "CEUR", "USA", "AAAI"])
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b", re.I)
_ORDINAL_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}
_VENUE_STOP = _JOURNAL_STOP | {"proceedings", "proc", "annual", "international", "conference"}


@dataclass(frozen=True, slots=True)
class Venue:
    """The distinctive words of a meeting's name: acronyms, edition (ordinal) and year."""

    acronyms: frozenset[str]
    initials: str  # first letters of the name's words, stop words left out
    ordinals: frozenset[str]
    years: frozenset[str]
    series: bool


def _meeting_names(journal: str) -> list[str]:
    """``Journal. Conference: Meeting`` is both the journal and the meeting."""
    parts = re.split(r"\.\s*conference\s*:\s*", journal, maxsplit=1, flags=re.I)
    return [p for p in parts if p.strip()]


@lru_cache(maxsize=16384)
def meeting_venue(journal: str) -> Venue:
    text = html.unescape(journal or "")
    acronyms: set[str] = set()
    alpha = re.findall(r"[A-Za-z]{2,}", text)
    if len(alpha) < 3 or not all(w.isupper() for w in alpha):
        # a name all in capitals (PROCEEDINGS OF …) has no acronyms to tell apart
        for token in re.findall(r"\b[A-Z][A-Za-z]*[A-Z](?=\b|['’]?\d)", text):
            letters = token.upper()
            if (
                len(letters) >= 3
                and letters not in _ORGANISERS
                and sum(c.isupper() for c in token) >= 3
            ):
                acronyms.add(letters)
    words = fold(text).split()
    ordinals = {m.group(1) for m in _ORDINAL.finditer(text)}
    ordinals |= {_ORDINAL_WORDS[w] for w in words if w in _ORDINAL_WORDS}
    years = set(re.findall(r"\b(?:19|20)\d\d\b", text))
    for match in re.finditer(r"['’](\d{2})\b", text):  # ICIS '19
        years.add("20" + match.group(1))
    content = [
        w for w in words if w.isalpha() and w not in _JOURNAL_STOP and w not in _ORDINAL_WORDS
    ]
    return Venue(
        acronyms=frozenset(acronyms),
        initials="".join(w[0] for w in content),
        ordinals=frozenset(ordinals),
        years=frozenset(years),
        series=is_series(text),
    )


def meeting_venues_agree(a: str, b: str) -> int:
    """+1 one meeting, −1 two meetings (another edition, another name), 0 cannot tell.

    Compared by their distinctive words: the acronym (``ECIS`` = ``European Conference on
    Information Systems``, its initials), the edition (``28th``) and the year. A book series
    (``Lecture Notes in …``) says nothing about the meeting.
    """
    best = -1
    for x in _meeting_names(a):
        for y in _meeting_names(b):
            best = max(best, _one_meeting(meeting_venue(x), meeting_venue(y)))
    return best


def _one_meeting(x: Venue, y: Venue) -> int:
    if x.years and y.years and not x.years & y.years:
        return -1
    if x.ordinals and y.ordinals and not x.ordinals & y.ordinals:
        return -1
    if x.series or y.series:
        return 0
    if x.acronyms & y.acronyms:
        return 1
    for one, other in ((x, y), (y, x)):
        if any(len(a) >= 3 and a.lower() in other.initials for a in one.acronyms):
            return 1
    if x.ordinals & y.ordinals and x.years & y.years:
        return 1
    return -1


_REGISTRY_ID = re.compile(
    r"\b(NCT\d{8}|ISRCTN\d{8}|ACTRN\d{14}|ChiCTR[-\w]{6,20}|EUCTR\d{4}-\d{6}-\d{2}|DRKS\d{8}"
    r"|CTRI/\d{4}/\d{2,3}/\d{4,6}|IRCT\w{6,30}|NTR\d{3,5}|PACTR\d{15}|CRD\d{11})\b",
    re.I,
)


def registry_ids(record: Record) -> frozenset[str]:
    """Trial-registry and PROSPERO ids named by the record (title, source id, URL)."""
    found: set[str] = set()
    for value in (record.source_id, record.url, record.title):
        if value and _REGISTRY_ID.search(value):
            found.update(m.upper() for m in _REGISTRY_ID.findall(value))
    return frozenset(found)


# Titles that name a kind of item rather than its content: a journal prints one in every issue.
_GENERIC_WORDS = frozenset(
    """a an the of in on to for from and with by this our s new year years
    editorial editorials editor editors editor s comment comments commentary introduction preface
    foreword letter letters reply response responses news note notes highlights highlight issue
    issues message president presidents chair column book books review reviews abstract abstracts
    announcement announcements index contents correspondence erratum errata corrigendum obituary
    acknowledgement acknowledgements acknowledgment reviewers guest special section overview
    summary update updates welcome notice information author authors readers report reports
    digest brief briefs desk corner perspective perspectives viewpoint opinion word words few
    remarks editorship board masthead thanks",
    """.replace(",", " ").split()
)


def is_generic_title(words: tuple[str, ...] | list[str], compact_title: str) -> bool:
    """``Editorial``, ``Editor's comments``, ``In this issue``, ``Book reviews``: a title that
    names a kind of item, which many different items carry, so agreeing on it says little."""
    return bool(compact_title) and all(w in _GENERIC_WORDS for w in words)


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
    population: frozenset[str]  # adults, children, rats, in vitro, protocol …
    generic: bool  # "Editorial", "Editor's comments": a title many items carry
    body: str  # compact title of what a notice or reply is about ("" for other items)
    surnames: tuple[str, ...]
    swapped: tuple[str, ...]  # the surnames if the export wrote "Given, Family"
    years: frozenset[int]
    journal: tuple[tuple[str, ...], ...]
    venue: str  # the journal or meeting name as the source gave it
    issn: frozenset[str]
    volume: str
    issue: str
    page_prefix: str
    page_first: int | None
    page_last: int | None
    doi: str
    pmid: str
    registry: frozenset[str]  # NCT…, ISRCTN…, CRD… ids
    kind: str  # article, erratum, retraction, comment, letters
    document: str  # a DocumentKind: article, meeting, thesis, book, chapter, report, unknown
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


def clean_issue(issue: str) -> str:
    """``12``, ``3-4`` (a double issue), ``s1`` (a supplement), ``p2`` (part 2); "" when
    unreadable."""
    text = (issue or "").strip().lower()
    if not text or text == "na":
        return ""
    if text.isdigit():
        return text.lstrip("0") or "0"
    match = re.fullmatch(r"(\d+)\s*[-/&]\s*(\d+)", text)
    if match:
        return f"{int(match.group(1))}-{int(match.group(2))}"
    match = re.search(r"supp\w*\.?\s*(\d*)", text)
    if match:
        return "s" + (match.group(1).lstrip("0") or "")
    match = re.fullmatch(r"(?:pt|part)\.?\s*(\d+)", text)
    if match:
        return "p" + (match.group(1).lstrip("0") or "0")  # "PART 2" of a proceedings volume
    return ""


_EMPTY: frozenset[str] = frozenset()
T = TypeVar("T")
Shared = dict[frozenset[Any], frozenset[Any]]


def _shared(values: frozenset[T], shared: Shared) -> frozenset[T]:
    """One object per distinct small set (years, title numbers, ISSNs): many records share them,
    and a million records would otherwise hold millions of equal frozensets."""
    return shared.setdefault(values, values)


def prepare(record_id: int, record: Record, shared: Shared | None = None) -> Prepared:
    """The record's normalised views. ``shared`` (one dict for a whole collection) lets equal
    small sets be one object."""
    shared = {} if shared is None else shared
    words, main, parts = _title_views(record.title)
    main_words = fold(main).split() if main else []
    years = {y for y in (record.year, record.epub_year) if y}
    journal = journal_names(record.journal) + journal_names(record.journal_abbrev)
    prefix, first, last = page_range(record.pages)
    if first is not None and last is not None and last - first > SECTION_PAGES:
        first = last = None  # a section's or a book's range says nothing about the item
        prefix = ""
    document = record_kind(record)
    if document in (DocumentKind.UNKNOWN, DocumentKind.ARTICLE) and is_thesis_listing(
        record.journal
    ):
        document = DocumentKind.THESIS
    conference = is_conference(record, document)
    kind = item_kind(record)
    title = compact(words)
    body = ""
    if kind != "article":
        body = compact(fold(notice_body(record.title)).split())
    return Prepared(
        record_id=record_id,
        title=title,
        main=compact(main_words),
        parts=parts,
        words=tuple(sys.intern(w) for w in words),
        numbers=_shared(title_numbers(words), shared),
        main_numbers=_shared(title_numbers(main_words), shared),
        population=_shared(title_population(words), shared),
        generic=is_generic_title(words, title),
        body=body,
        surnames=author_surnames(record.authors),
        swapped=swapped_surnames(record.authors),
        years=_shared(frozenset(years), shared),
        journal=journal,
        venue=record.journal or record.journal_abbrev,
        issn=_shared(issns(record.issn), shared),
        volume=clean_volume(record.volume, record.issue),
        issue=clean_issue(record.issue),
        page_prefix=prefix,
        page_first=first,
        page_last=last,
        doi=normalize_doi(record.doi),
        pmid=normalize_pmid(record.pmid),
        registry=registry_ids(record) or _EMPTY,
        kind=kind,
        document=document.value,
        conference=conference,
        completeness=record_completeness(record),
    )
