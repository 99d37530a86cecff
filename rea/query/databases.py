"""The databases rea renders for: one entry each, read by renderers, lints, readers and labels.

Adding a database is one :class:`Database` entry here and one renderer in ``rea.query.render``
(several entries may share a renderer: the Ovid databases differ only in fields and vocabulary).
Every rule cites the database's own documentation (or, where the vendor's page was not
available, the guide that quotes it); where no documentation of a limit was found the limit is
None and the comment says so.

Sources that are not databases (citation searching, websites, trial registers) are described by
:data:`OTHER_SOURCES` so that labels and PRISMA categories come from one place too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rea.query.ast import Term

PrismaCategory = Literal["database", "register", "websites", "organisations", "citations"]


@dataclass(frozen=True)
class Truncation:
    """What the database can do with ``*`` (any run of characters, possibly none)."""

    symbol: str = "*"  # what the database writes for a right-hand truncation
    min_stem: int = 1  # characters needed before the first wildcard of a word
    leading: bool = False  # may a word start with a wildcard
    inner: bool = False  # may a wildcard stand inside a word (organi*ation)
    several: bool = True  # more than one wildcard in a term
    in_phrase: Literal["any", "last", "none"] = "any"  # which words of a phrase may hold one
    #: how the renderer writes a phrase with a wildcard where quotes cannot hold one (None: it
    #: cannot, and the wildcard is a problem)
    phrase_fallback: str | None = None


@dataclass(frozen=True)
class Limits:
    """How big one query (or one search-history line) may be; None: no documented limit."""

    operators: int | None = None  # Boolean and proximity operators
    terms: int | None = None
    characters: int | None = None


@dataclass(frozen=True)
class Database:
    """One database (on one platform) and its search syntax."""

    id: str
    label: str
    platform: str
    renderer: str  # module in rea.query.render
    reader: str | None  # module in rea.query.native that reads its strategies back
    field_codes: Mapping[str, str]  # neutral field (ti, ab, kw) -> the database's code
    truncation: Truncation
    precedence: str  # how it reads operators without parentheses
    proximity: str | None  # its proximity operator, None if it has none
    proximity_offset: int  # neutral NEAR/n is the database's operator with n + offset
    proximity_ordered: str | None  # its in-order proximity operator
    vocabulary: str | None  # subject headings it indexes: mesh, emtree, cinahl, apa
    limits: Limits
    history: str | None  # how a search-history line is referred to ("#{n}", "{n}", "S{n}")
    export_formats: tuple[str, ...]  # reader formats of rea.sources.readers for its exports
    prisma: PrismaCategory = "database"
    stopwords: frozenset[str] = field(default_factory=frozenset)
    wildcards: str = ""
    docs: tuple[str, ...] = ()


# PubMed's stopword list (PubMed Help, "Stopwords"; NLM PubMed tutorial 020_170: "commonly found
# words are not indexed and PubMed will ignore them").
PUBMED_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "again",
        "all",
        "almost",
        "also",
        "although",
        "always",
        "among",
        "an",
        "and",
        "another",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "done",
        "due",
        "during",
        "each",
        "either",
        "enough",
        "especially",
        "etc",
        "for",
        "found",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "here",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "kg",
        "km",
        "made",
        "mainly",
        "make",
        "may",
        "mg",
        "might",
        "ml",
        "mm",
        "most",
        "mostly",
        "must",
        "nearly",
        "neither",
        "no",
        "nor",
        "obtained",
        "of",
        "often",
        "on",
        "our",
        "overall",
        "perhaps",
        "pmid",
        "quite",
        "rather",
        "really",
        "regarding",
        "seem",
        "seen",
        "several",
        "should",
        "show",
        "showed",
        "shown",
        "shows",
        "significantly",
        "since",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "therefore",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "upon",
        "use",
        "used",
        "using",
        "various",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "while",
        "with",
        "within",
        "without",
        "would",
    ]
)
# EBSCOhost's basic stop words ("Stop words are always ignored, even if they are enclosed in
# quotation marks": help.ebsco.com, EBSCO Interfaces User Guide, "How are phrases searched?";
# list as reproduced in the OSU-OKC library guide to stop words).
EBSCO_STOPWORDS = frozenset(
    [
        "a",
        "also",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "however",
        "if",
        "in",
        "is",
        "not",
        "of",
        "on",
        "or",
        "p",
        "so",
        "than",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "was",
        "were",
        "whatever",
        "whether",
        "which",
        "with",
        "would",
    ]
)


def _ovid(db: Database, **changes: object) -> Database:
    """Another database on Ovid: Ovid MEDLINE's syntax with its own fields and vocabulary."""
    from dataclasses import replace

    return replace(db, **changes)  # type: ignore[arg-type]


DATABASES: dict[str, Database] = {
    db.id: db
    for db in (
        # PubMed User Guide (pubmed.ncbi.nlm.nih.gov/help/): field tags [ti] [tiab] [ot]
        # ("other term": author keywords); MeSH [mh], [mh:noexp], [majr]; "PubMed processes
        # searches in a left-to-right sequence"; search history #n in Advanced Search.
        # Wildcards: NLM Tech Bull 2024 May-Jun (458):e5 "Wildcard Search Improvements": * in the
        # middle of a term or phrase, several per term or phrase, at least 4 characters before
        # the first wildcard; no leading wildcard.
        # Proximity: NLM Tech Bull 2022 Nov-Dec (449):e4: "search terms"[field:~N], N = the
        # maximum number of words between, any order, [ti] and [tiab] only, no wildcards.
        # No documented limit on query length or operators was found.
        Database(
            id="pubmed",
            label="PubMed",
            platform="NLM PubMed",
            renderer="pubmed",
            reader="pubmed",
            field_codes={"ti": "ti", "ab": "tiab", "kw": "ot"},
            truncation=Truncation(min_stem=4, inner=True, several=True, in_phrase="any"),
            precedence="left to right",
            proximity='"a b"[tiab:~N]',
            proximity_offset=0,
            proximity_ordered=None,
            vocabulary="mesh",
            limits=Limits(),
            history="#{n}",
            export_formats=("medline", "pubmed-xml"),
            stopwords=PUBMED_STOPWORDS,
            wildcards="* only (no single-character wildcard)",
            docs=(
                "https://pubmed.ncbi.nlm.nih.gov/help/",
                "https://www.nlm.nih.gov/pubs/techbull/mj24/mj24_pubmed_wildcard.html",
                "https://www.nlm.nih.gov/pubs/techbull/nd22/nd22_pubmed_proximity_search_available.html",
            ),
        ),
        # Scopus search tips (dev.elsevier.com/sc_search_tips.html; help.scopus.com
        # h_bscssrchboolop.htm, h_bscssrchFASTprox.htm): TITLE-ABS, TITLE-ABS-KEY, TITLE, ABS,
        # AUTHKEY; loose phrases "..." with wildcards, {...} exact; * anywhere in a word, also
        # leading; precedence OR, W/n PRE/n, AND, AND NOT; W/n any order, PRE/n in order, n =
        # maximum number of words between (0-255); "Scopus will not support boolean operators
        # (AND, OR, AND NOT) as an argument to a proximity expression"; search history #n.
        # No documented limit on query length was found.
        Database(
            id="scopus",
            label="Scopus",
            platform="Elsevier Scopus",
            renderer="scopus",
            reader="scopus",
            field_codes={"ti": "TITLE", "ab": "ABS", "kw": "AUTHKEY"},
            truncation=Truncation(min_stem=1, leading=True, inner=True),
            precedence="OR, then W/n and PRE/n, then AND, then AND NOT",
            proximity="W/n",
            proximity_offset=0,
            proximity_ordered="PRE/n",
            vocabulary=None,
            limits=Limits(),
            history="#{n}",
            export_formats=("scopus-csv", "ris", "bibtex"),
            wildcards="* any run of characters; ? exactly one",
            docs=(
                "https://dev.elsevier.com/sc_search_tips.html",
                "http://help.scopus.com/robo/projects/schelp/h_bscssrchFASTprox.htm",
            ),
        ),
        # Web of Science help (webofscience.help.clarivate.com/Content/search-rules.htm,
        # search-operators.html; images.webofknowledge.com .../hs_wildcards.html, hs_topic.html):
        # TS= TI= AB= AK=; quoting a term turns lemmatization off ("mouse" does not find mice), as
        # do wildcards; at least 3 characters before a wildcard in Title and Topic, 3 after a
        # leading one; NEAR/x: at most x words between, any order (no ordered operator); AND
        # cannot stand inside NEAR; precedence NEAR, SAME, NOT, AND, OR; "you can use up to 49
        # of these operators in a single search query" (search-rules.htm; another edition of the
        # page limits only All Fields searches: rea keeps to 49 so that every query runs).
        Database(
            id="wos",
            label="Web of Science",
            platform="Clarivate Web of Science Core Collection",
            renderer="wos",
            reader="wos",
            field_codes={"ti": "TI", "ab": "AB", "kw": "AK"},
            truncation=Truncation(min_stem=3, leading=True, inner=True),
            precedence="NEAR/x, SAME, NOT, AND, OR",
            proximity="NEAR/x",
            proximity_offset=0,
            proximity_ordered=None,
            vocabulary=None,
            limits=Limits(operators=49),
            history="#{n}",
            export_formats=("wos", "wos-tab"),
            wildcards="* any run; ? exactly one; $ zero or one",
            docs=(
                "https://webofscience.help.clarivate.com/Content/search-rules.htm",
                "https://webofscience.help.clarivate.com/Content/search-operators.html",
            ),
        ),
        # Ovid (resourcecenter.ovid.com/site/help/documentation/ospa/en/Content/syntax.htm;
        # Ovid's training page tools.ovid.com/ovidgo/searches/training.php: "ADJn ... the
        # adjacent terms separated by n-1 words apart, the terms occurring in any order"; NSW
        # CIAP guide to Ovid truncation: * or $ at the end of a word, # exactly one and ? zero or
        # one character inside a word, no wildcard as the first character). Ovid MEDLINE field
        # codes: .ti. .ab. .kf. (keyword heading word); subject headings exp X/, X/, *X/.
        # Precedence: Ovid reads operators left to right within a line; rea writes one group of
        # terms per numbered line. No documented limit on line length was found.
        Database(
            id="ovid",
            label="Ovid MEDLINE",
            platform="Ovid",
            renderer="ovid",
            reader="ovid",
            field_codes={"ti": "ti", "ab": "ab", "kw": "kf"},
            truncation=Truncation(symbol="$", min_stem=1, inner=True, several=True),
            precedence="left to right within a line",
            proximity="adjN",
            proximity_offset=1,
            proximity_ordered=None,
            vocabulary="mesh",
            limits=Limits(),
            history="{n}",
            export_formats=("ovid", "ris"),
            wildcards="$ or * truncation; # exactly one; ? zero or one",
            docs=(
                "http://resourcecenter.ovid.com/site/help/documentation/ospa/en/Content/syntax.htm",
                "https://tools.ovid.com/ovidgo/searches/training.php",
            ),
        ),
        # Embase.com (embase.com/info/helpfiles/search-hints/boolean-operators): NEAR/n "within
        # n words of each other, in either order ... symptom NEAR/5 headache retrieves records
        # with at most 4 words between"; NEXT/n in order; proximity takes parentheses,
        # truncation and field limits; :ti,ab,kw fields; Emtree 'x'/exp, 'x'/de, 'x'/mj;
        # search history #n. No documented limit on query length was found.
        Database(
            id="embase",
            label="Embase (Embase.com)",
            platform="Elsevier Embase.com",
            renderer="embase",
            reader="embase",
            field_codes={"ti": "ti", "ab": "ab", "kw": "kw"},
            truncation=Truncation(min_stem=1, inner=True),
            precedence="NEAR/NEXT, then NOT, AND, OR (write parentheses)",
            proximity="NEAR/n",
            proximity_offset=1,
            proximity_ordered="NEXT/n",
            vocabulary="emtree",
            limits=Limits(),
            history="#{n}",
            export_formats=("ris",),
            wildcards="* any run; ? exactly one",
            docs=("http://embase.com/info/helpfiles/search-hints/boolean-operators",),
        ),
        # CINAHL on EBSCOhost (help.ebsco.com EBSCO Interfaces User Guide; bll.epnet.com/help/
        # ehost/Including_Phrases_in_Search.htm): Nn any order, Wn in order, n = words between
        # (libguides.sdu.dk/EBSCO-english/proximity: "N1 ... up to one word between"); TI, AB,
        # KW fields; (MH "x+") exploded heading, (MH "x") not, (MM "x") major; * truncation, ?
        # one character, # zero or one; stop words ignored even inside quotes; search history
        # S1, S2. No documented limit on query length was found.
        Database(
            id="cinahl",
            label="CINAHL (EBSCOhost)",
            platform="EBSCOhost",
            renderer="ebsco",
            reader="ebsco",
            field_codes={"ti": "TI", "ab": "AB", "kw": "KW"},
            truncation=Truncation(min_stem=1, inner=True),
            precedence="left to right (write parentheses)",
            proximity="Nn",
            proximity_offset=0,
            proximity_ordered="Wn",
            vocabulary="cinahl",
            limits=Limits(),
            history="S{n}",
            export_formats=("ris",),
            stopwords=EBSCO_STOPWORDS,
            wildcards="* any run; ? exactly one; # zero or one",
            docs=(
                "https://help.ebsco.com/interfaces/EBSCO_Guides/EBSCO_Interfaces_User_Guide/How_are_phrases_searched",
                "https://libguides.sdu.dk/EBSCO-english/proximity",
            ),
        ),
        # Cochrane Library Search Manager (cochranelibrary.com/search-manager-help): word
        # variants off by default; quotes for a phrase, and "phrase search does NOT support the
        # use of wildcards" (the NEXT operator joins words in order); NEAR/n any order, NEAR
        # alone is NEAR/6 (Cochrane Handbook 5.1, 6.4.8); :ti,ab,kw fields; MeSH as
        # [mh "x"] exploded, [mh ^"x"] this term only, [mh "x"[mj]] major; history #n. NEAR/n
        # counts like Embase.com's ("within n words"), so rea writes NEAR/(n+1). No documented
        # limit on query length was found.
        Database(
            id="cochrane",
            label="Cochrane Library (CENTRAL)",
            platform="Wiley Cochrane Library",
            renderer="cochrane",
            reader="cochrane",
            field_codes={"ti": "ti", "ab": "ab", "kw": "kw"},
            truncation=Truncation(
                min_stem=1,
                leading=True,
                inner=True,
                in_phrase="none",
                phrase_fallback="its words joined by NEXT (adjacent, in order: the same records)",
            ),
            precedence="NEAR/NEXT, then NOT, AND, OR (write parentheses)",
            proximity="NEAR/n",
            proximity_offset=1,
            proximity_ordered="NEXT",
            vocabulary="mesh",
            limits=Limits(),
            history="#{n}",
            export_formats=("ris",),
            wildcards="* any run; ? exactly one",
            docs=(
                "https://cochranelibrary.com/search-manager-help",
                "http://handbook-5-1.cochrane.org/chapter_6/6_4_8_proximity_operators_near_next_and_adj.htm",
            ),
        ),
        # Europe PMC (europepmc.org/Help, search syntax reference; its REST search takes the same
        # query): FIELD:term, TITLE_ABS: (title and abstract), TITLE:, ABSTRACT:, KW:, MESH:;
        # PUB_YEAR:[1998 TO 2012]; LANG:eng; phrases in double quotes, proximity "a b"~N; it is
        # Lucene-based, so * truncates single words and does not work inside a quoted phrase.
        # Europe PMC keeps no search history to combine; no documented length limit was found.
        Database(
            id="europepmc",
            label="Europe PMC",
            platform="EMBL-EBI Europe PMC",
            renderer="europepmc",
            reader="europepmc",
            field_codes={"ti": "TITLE", "ab": "ABSTRACT", "kw": "KW"},
            truncation=Truncation(
                min_stem=1,
                inner=True,
                in_phrase="none",
                phrase_fallback="its words ANDed in the same field (more records)",
            ),
            precedence="NOT, AND, OR (Lucene; write parentheses)",
            proximity='"a b"~N',
            proximity_offset=0,
            proximity_ordered=None,
            vocabulary="mesh",
            limits=Limits(),
            history=None,
            export_formats=("ris",),
            wildcards="* any run of characters at the end of a word",
            docs=("https://europepmc.org/searchsyntax", "https://europepmc.org/Help"),
        ),
    )
}


# Embase on Ovid: the same syntax as Ovid MEDLINE; keywords are .kw. (author keywords); Emtree
# headings exp x/, x/, *x/ (Ovid Embase field guide, zatoka.icm.edu.pl/OVIDWEB/fldguide/
# embase.htm). APA PsycInfo on Ovid: .id. is the key concepts field (author keywords and more);
# headings from the APA Thesaurus, exp X/ (Monash library guide: ".tw. ... searches title,
# abstract, table of contents and key concepts fields in PsycInfo").
_OVID_MORE = (
    _ovid(
        DATABASES["ovid"],
        id="ovid-embase",
        label="Embase (Ovid)",
        field_codes={"ti": "ti", "ab": "ab", "kw": "kw"},
        vocabulary="emtree",
        docs=("http://zatoka.icm.edu.pl/OVIDWEB/fldguide/embase.htm",),
    ),
    _ovid(
        DATABASES["ovid"],
        id="psycinfo",
        label="APA PsycInfo (Ovid)",
        field_codes={"ti": "ti", "ab": "ab", "kw": "id"},
        vocabulary="apa",
        docs=("https://guides.lib.monash.edu/systematic-review/run-your-search",),
    ),
)
_FIRST = ("pubmed", "scopus", "wos", "ovid")
DATABASES = {
    **{k: v for k, v in DATABASES.items() if k in _FIRST},
    **{db.id: db for db in _OVID_MORE},
    **{k: v for k, v in DATABASES.items() if k not in _FIRST},
}


def _letters(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def truncation_problems(term: Term, db: Database) -> list[str]:
    """Why ``db`` cannot run the wildcards of ``term`` as written (empty if it can). A phrase
    with a wildcard is no problem where the database's renderer writes it another way
    (``Truncation.phrase_fallback``)."""
    rules, name = db.truncation, db.label
    problems: list[str] = []
    for n, word in enumerate(term.words):
        if "*" not in word:
            continue
        leading = word.startswith("*")
        if leading and not rules.leading:
            problems.append(f"{name} cannot truncate at the start of a word ({word})")
        elif leading and db.id == "wos" and _letters(word) < 3:
            problems.append(f"{name} needs three characters after a leading * ({word})")
        if not leading and 0 < _letters(word.split("*", 1)[0]) < rules.min_stem:
            problems.append(f"{name} needs at least {rules.min_stem} characters before * ({word})")
        inner = word.strip("*")
        if "*" in inner and not rules.inner:
            problems.append(f"{name} truncates only at the end of a word ({word})")
        if word.count("*") > 1 and not rules.several:
            problems.append(f"{name} takes one wildcard per word ({word})")
        if term.is_phrase and rules.phrase_fallback is None:
            if rules.in_phrase == "none":
                problems.append(f"{name} cannot use wildcards inside a quoted phrase ({word})")
            elif rules.in_phrase == "last" and n < len(term.words) - 1:
                problems.append(f"{name} truncates only the last word of a phrase ({word})")
    return problems


#: Database ids in the order rea lists them.
DATABASE_IDS: tuple[str, ...] = tuple(DATABASES)


@dataclass(frozen=True)
class OtherSource:
    """A source that is not a bibliographic database: its label and its PRISMA 2020 box."""

    id: str
    label: str
    prisma: PrismaCategory


#: Sources other than databases that reviews commonly name (PRISMA 2020's other methods and trial
#: registers).
OTHER_SOURCES: dict[str, OtherSource] = {
    s.id: s
    for s in (
        OtherSource("citation_searching", "Citation searching", "citations"),
        OtherSource("websites", "Websites", "websites"),
        OtherSource("organisations", "Organisations", "organisations"),
        OtherSource("clinicaltrials_gov", "ClinicalTrials.gov", "register"),
        OtherSource("ictrp", "WHO ICTRP", "register"),
    )
}


def database(db_id: str) -> Database:
    """The entry of ``db_id``; KeyError names the known ids."""
    try:
        return DATABASES[db_id]
    except KeyError:
        raise KeyError(f"unknown database {db_id!r} (known: {', '.join(DATABASES)})") from None


def label(source: str) -> str:
    """How a source is named to people: a database's label, a known other source's label, or the
    id itself."""
    if source in DATABASES:
        return DATABASES[source].label
    if source in OTHER_SOURCES:
        return OTHER_SOURCES[source].label
    return source


def prisma_category(source: str) -> PrismaCategory | None:
    """The PRISMA 2020 box of a known source (None for a source rea does not know)."""
    if source in DATABASES:
        return DATABASES[source].prisma
    if source in OTHER_SOURCES:
        return OTHER_SOURCES[source].prisma
    return None
