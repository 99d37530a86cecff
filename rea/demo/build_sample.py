# ruff: noqa: E501  (the reference data below is clearer on one line per item)
"""Build the demo sample under rea/demo/sample/ from the reference report's reference list.

Run from the repository root, with the project's shared material beside the clone:

    .venv/bin/python -m rea.demo.build_sample

It reads ``../shared/reference/003_b426e05fdb2da578.txt`` (Smith et al. 2020, NIHR HS&DR topic
report, doi:10.3310/hsdr-tr-129678, Queen's Printer and Controller of HMSO 2020, free to
reproduce for research with acknowledgement) and one Web of Science record from
``../shared/data/fixtures/`` and writes ``rea/demo/sample/items.json``: every reference parsed
into structured fields, the sources that "find" it in the sample, and the sample's screening
decisions, and then each source's native files (PubMed XML, Scopus JSON, Web of Science and Ovid
exports, grey-literature CSVs) under ``rea/demo/sample/<stage>/``. Everything it writes is
committed, so a clone without ../shared has it; the demo only reads those files. A maintainer's
tool: nothing in rea imports it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parents[2]
SHARED = next(
    (p / "shared" for p in REPO.parents if (p / "shared" / "reference").is_dir()),
    REPO.parent / "shared",
)
REPORT = SHARED / "reference" / "003_b426e05fdb2da578.txt"
OUT = REPO / "rea" / "demo" / "sample" / "items.json"

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def reference_lines(text: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(text) if line.strip() == "References" and i > 2000)
    end = next(i for i in range(start, len(text)) if text[i].startswith("Appendix 1"))
    return text[start + 1 : end]


def split_references(lines: list[str]) -> dict[int, str]:
    items: dict[int, str] = {}
    current: int | None = None
    for raw in lines:
        line = raw.strip()
        if not line or line.isdigit() or line.startswith("[©]"):
            continue
        m = re.match(r"^-?\s*(\d{1,3})\.\s+(.*)$", line)
        if m and int(m.group(1)) == (current or 0) + 1:
            current = int(m.group(1))
            items[current] = m.group(2)
        elif line.startswith("- ") and current is not None:
            # the printed list lost the number of one item (62)
            current += 1
            items[current] = line[2:]
        elif current is not None:
            items[current] += " " + line
    return items


DOI = re.compile(r"10\.\d{4,9}/[^\s*]+")


def parse_reference(number: int, text: str) -> dict[str, object]:
    item: dict[str, object] = {"ref": number, "printed": text}
    dois = DOI.findall(text.replace("https://doi.org/https://", "https://"))
    doi = dois[-1].rstrip(".") if dois else ""
    url_match = re.search(r"URL: (\S+)", text)
    body = re.sub(r"https?://\S+", "", text).strip()
    body = re.sub(r"\s+", " ", body)
    # authors: up to the first ". " that does not follow a lone initial of a spelled-out name
    protected = re.sub(r"\*?et al\.\*?", "et al.", body)
    protected = re.sub(r"\b([A-Z])\. (?=[A-Z][\w\-]+(?:,|\. | \(|$))", r"\1# ", protected)
    protected = protected.replace("(Eds.)", "(Eds#)")
    head, _, rest = protected.partition(". ")
    authors_text = head.replace("#", ".")
    rest = rest.replace("#", ".")
    authors = []
    for part in re.split(r",\s*|\s*&\s*|\s+and\s+", authors_text):
        part = part.strip().strip("*")
        if not part or part.startswith("et al") or part == "(Eds.)":
            continue
        m = re.fullmatch(r"([^\W\d][\w'\- ]+?) ([A-Z]{1,3})", part)
        if m:
            authors.append([m.group(1), m.group(2)])
        else:
            m = re.fullmatch(r"((?:[A-Z][a-z]*\.? )+)([A-Z][\w'\-]+)", part)
            if m and len(part.split()) <= 4:
                authors.append([m.group(2), m.group(1).replace(".", "").strip()])
            else:
                authors.append([part, ""])
    rest = rest.replace("**", "")
    journal_ref = re.search(
        r"(\d{4})\s*;\s*(?:\*\*)?([\w()]+)?(?:\*\*)?(?:\s*:\s*([\w\-]+))?", rest
    )
    year_match = re.findall(r"\b(1[89]\d\d|20[0-2]\d)\b", rest)
    year = (
        int(journal_ref.group(1)) if journal_ref else (int(year_match[-1]) if year_match else None)
    )
    italic = re.findall(r"\*([^*]+)\*", rest)
    if journal_ref and italic:
        title = rest.split("*", 1)[0].strip().rstrip(".")
        journal = italic[0].strip().rstrip(".")
        kind = "article"
    elif journal_ref and not italic:
        # "Title. Journal Year;Vol:pages"
        before = rest[: journal_ref.start()].strip().rstrip(".")
        title, _, journal = before.rpartition(". ")
        kind = "article"
    else:
        kind = "grey"
        before = rest.split("*")[0].strip()
        if italic and len(before) > 3:
            title = before
            journal = ""
            publisher = rest[len(before) :].replace("*", "")
        elif italic:
            title = italic[0].strip().rstrip(".:")
            journal = ""
            publisher = rest.split("*")[-1]
        else:
            title, _, publisher = rest.partition(". ")
            journal = ""
        item["publisher"] = re.sub(r"[;:.\s\d]+$", "", publisher.strip(" .:;")).strip(" .:;")
    volume = (journal_ref.group(2) or "") if journal_ref else ""
    pages = (journal_ref.group(3) or "") if journal_ref else ""
    if pages.startswith(doi[:6]) and doi:
        pages = ""
    title = re.sub(r"[;,]\s*(1[89]|20)\d\d\.?$", "", title.strip())
    item.update(
        {
            "authors": authors,
            "title": re.sub(r"\s+", " ", title.replace("*", "")).strip().rstrip("."),
            "journal": journal.replace("*", "").strip(),
            "year": year,
            "volume": volume if volume and volume[0].isdigit() else "",
            "pages": pages if re.match(r"^[e\d]", pages) else "",
            "doi": doi,
            "url": url_match.group(1) if url_match else "",
            "kind": kind,
        }
    )
    item.update(OVERRIDES.get(number, {}))
    return item


# Items whose printed form defeats the parser (a comma in the title, an organisation as author).
OVERRIDES: dict[int, dict[str, object]] = {
    9: {"authors": [["NHS England and British Medical Association", ""]]},
    10: {
        "authors": [["National Audit Office", ""]],
        "title": "Developing new care models through NHS vanguards",
    },
    18: {"title": "Primary care home", "url": "https://napc.co.uk/primary-care-home/"},
    22: {
        "authors": [["Salisbury", "H"]],
        "title": "Oh, those lazy, part time GPs!",
        "journal": "BMJ",
        "year": 2019,
        "volume": "367",
        "kind": "article",
    },
    29: {
        "title": "Cochrane handbook for systematic reviews of interventions",
        "year": 2019,
        "publisher": "John Wiley & Sons",
    },
    30: {"authors": [["Barends", "E"], ["Rousseau", "DM"], ["Briner", "RB"]]},
    39: {
        "authors": [["Bryman", "A"]],
        "title": "How many qualitative interviews is enough? Expert voices and early career reflections on sampling and cases in qualitative research",
        "publisher": "National Centre for Research Methods, Economic and Social Research Council",
    },
    46: {
        "title": "A review of the effectiveness of primary care-led commissioning and its place in the NHS",
        "year": 2004,
        "publisher": "The Health Foundation",
    },
    102: {"title": "Integrated Care Pioneers", "year": 2013},
    59: {
        "title": "Developing care for a changing population: learning from GP-led organisations",
        "publisher": "Nuffield Trust",
    },
    67: {
        "title": "Primary Care Home: evaluating a new model of primary care",
        "publisher": "Nuffield Trust",
    },
    110: {"year": 2020},
    36: {"year": 2019},
    41: {"year": 2018},
}


def chapter3_citations(text: list[str]) -> set[int]:
    start = next(
        i for i, line in enumerate(text) if line.startswith("Chapter 3: Lessons") and i > 500
    )
    end = next(i for i in range(start, len(text)) if text[i].startswith("Chapter 4: Description"))
    cited: set[int] = set()
    for line in text[start:end]:
        line = line.translate(SUPERSCRIPT)
        for group in re.findall(r"\^\{([\d,\s\-]+)\}", line) + re.findall(
            r"(?<=[a-z\)\.,;’'])(\d{2,3}(?:-\d{2,3})?)(?=[\s.,;)]|$)", line
        ):
            for part in group.split(","):
                part = part.strip()
                if "-" in part:
                    a, b = part.split("-")
                    cited.update(range(int(a), int(b) + 1))
                elif part:
                    cited.add(int(part))
    return {n for n in cited if 1 <= n <= 115}


def pick(number: int, salt: str, percent: int) -> bool:
    digest = hashlib.sha256(f"{salt}:{number}".encode()).digest()
    return digest[0] * 100 // 256 < percent


NEWS = {25: "hsj", 97: "hsj", 65: "pulse", 19: "gponline", 22: "gponline", 112: "gponline"}


def assign_sources(item: dict[str, object]) -> None:
    number = int(str(item["ref"]))
    year = item["year"]
    found: list[str] = []
    if item["kind"] == "article" and isinstance(year, int) and 1998 <= year <= 2018:
        found = ["scopus"] if pick(number, "scopus", 85) else []
        if pick(number, "pubmed", 70):
            found.append("pubmed")
        if pick(number, "wos", 55):
            found.append("wos")
        if pick(number, "ovid", 45):
            found.append("ovid")
        if not found:
            found = ["scopus"]
    if number in NEWS:
        found = [NEWS[number]]
    elif item["kind"] == "grey" and isinstance(year, int) and 2013 <= year <= 2019:
        found = [("gponline", "hsj", "pulse")[number % 3]] if pick(number, "grey", 50) else []
    if not found or pick(number, "citation", 15):
        found.append("citation_searching")
    item["sources"] = found
    item["stage"] = (
        "1998-2012-reviews" if isinstance(year, int) and year <= 2012 else "2013-2018-all"
    )


def study_type(item: dict[str, object]) -> str:
    if item["kind"] == "grey":
        return "grey"
    title = str(item["title"]).lower()
    return "review" if re.search(r"review|overview|literature", title) else "primary"


# Exclusion reason codes of the review's screening.toml (searches/pcn-rea/screening.toml).
TA_REASON = "not-gp-collaboration"
FULL_TEXT_REASONS = ("not-gp-collaboration", "commissioning-only", "no-relevant-findings")
METHODS = {1, 26, 27, 28, 29, 30, 31, 34, 35, 36, 37, 38, 39, 40, 41, 42, 111, 113, 114, 115}


def fold(title: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(title).lower()).strip()


def screening(items: list[dict[str, object]], cited: set[int]) -> None:
    """Two screeners ("first" and "second": the first two screeners of the phase in the review's
    screening.toml) and its adjudicator resolving conflicts; includes: the works Chapter 3 cites.

    An item printed twice in the reference list (same title) is one work: both copies carry the
    decisions of the copy Chapter 3 cites, or of the first.
    """
    canonical: dict[str, dict[str, object]] = {}
    for item in items:
        key = fold(item["title"])
        number = int(item["ref"])  # type: ignore[call-overload]
        if key in canonical and (number not in cited or int(canonical[key]["ref"]) in cited):  # type: ignore[call-overload]
            item["same_as"] = canonical[key]["ref"]
            continue
        if key in canonical:
            canonical[key]["same_as"] = number
        canonical[key] = item
    by_ref = {int(i["ref"]): i for i in items}  # type: ignore[call-overload]
    for item in canonical.values():
        item.pop("same_as", None)
        item["screening"] = decide(item, cited)
    for item in items:
        if "same_as" in item:
            item["screening"] = by_ref[int(item["same_as"])]["screening"]  # type: ignore[call-overload]


def decide(item: dict[str, object], cited: set[int]) -> dict[str, object]:
    number = int(item["ref"])  # type: ignore[call-overload]
    include = number in cited
    decisions: dict[str, object] = {}
    if number in METHODS:
        decisions["title_abstract"] = {"first": "exclude", "second": "exclude", "reason": TA_REASON}
        return decisions
    conflict = pick(number, "conflict", 12)
    first = "include"
    second = "exclude" if conflict else "include"
    if not include and pick(number, "ta-exclude", 40):
        first, second = "exclude", ("include" if conflict else "exclude")
    entry: dict[str, object] = {"first": first, "second": second}
    if first != second:
        entry["resolved"] = "include" if include or pick(number, "res", 50) else "exclude"
    if "exclude" in (first, second):
        entry["reason"] = TA_REASON
    decisions["title_abstract"] = entry
    if entry.get("resolved", first) != "include":
        return decisions
    if not include and pick(number, "not-retrieved", 15):
        decisions["retrieval"] = "not_retrieved"
        return decisions
    decisions["retrieval"] = "retrieved"
    if include:
        ft: dict[str, object] = {"first": "include", "second": "include"}
        if pick(number, "ft-conflict", 10):
            ft = {
                "first": "include",
                "second": "exclude",
                "reason": "no-relevant-findings",
                "resolved": "include",
            }
        decisions["full_text"] = ft
        decisions["study_type"] = study_type(item)
        return decisions
    year = item["year"]
    if not isinstance(year, int) or not 1998 <= year <= 2018:
        reason = "outside-dates"
    elif year <= 2012 and study_type(item) != "review":
        reason = "not-review-1998-2012"
    else:
        reason = FULL_TEXT_REASONS[number % len(FULL_TEXT_REASONS)]
    decisions["full_text"] = {"first": "exclude", "second": "exclude", "reason": reason}
    return decisions


def main() -> int:
    if not REPORT.is_file():
        print(f"{REPORT} is absent: nothing to build (the committed sample stays as it is)")
        return 0
    text = REPORT.read_text(encoding="utf-8").splitlines()
    refs = split_references(reference_lines(text))
    items = [parse_reference(n, t) for n, t in sorted(refs.items())]
    cited = chapter3_citations(text)
    for item in items:
        assign_sources(item)
    screening(items, cited)
    doc = {
        "about": (
            "Bibliographic items parsed from the reference list of Smith J, Parkinson S, "
            "Harshfield A, Sidhu M. Early evidence of the development of primary care networks "
            "in England: a rapid evaluation study. NIHR HS&DR 2020, doi:10.3310/hsdr-tr-129678 "
            "(Queen's Printer and Controller of HMSO 2020). Which sources find which item, and "
            "every screening decision, are invented for the demo: this is not the reference "
            "review's search result."
        ),
        "chapter3_cited": sorted(cited),
        "items": items,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_formats(items)
    print(f"{len(items)} items, {len(cited)} cited in chapter 3 -> {OUT.relative_to(REPO)}")
    return 0


# ---------------------------------------------------------------------------------------------
# Native formats. Synthetic identifiers, documented in docs/demo.md, outside every real range:
# PMID 99000000 + n, Scopus EID 2-s2.0-990000nnnnn, Web of Science UT WOS:9999000000nnnnn.

SAMPLE = OUT.parent
STAGES = ("1998-2012-reviews", "2013-2018-all")
RUN_DATE = "2018-09-21"


def pmid(item: dict[str, object]) -> str:
    return str(99_000_000 + int(item["ref"]))  # type: ignore[call-overload]


def eid(item: dict[str, object]) -> str:
    return f"2-s2.0-990000{int(item['ref']):05d}"  # type: ignore[call-overload]


def wos_ut(item: dict[str, object]) -> str:
    return f"WOS:9999000000{int(item['ref']):05d}"  # type: ignore[call-overload]


def found_by(items: list[dict[str, object]], source: str, stage: str) -> list[dict[str, object]]:
    return [i for i in items if source in i["sources"] and i["stage"] == stage]  # type: ignore[operator]


def esc(text: object) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def pubmed_efetch(items: list[dict[str, object]]) -> str:
    out = [
        '<?xml version="1.0" ?>',
        '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
        ' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">',
        "<PubmedArticleSet>",
    ]
    for item in items:
        authors = "".join(
            f'<Author ValidYN="Y"><LastName>{esc(f)}</LastName><Initials>{esc(g)}</Initials></Author>'
            if g
            else f'<Author ValidYN="Y"><CollectiveName>{esc(f)}</CollectiveName></Author>'
            for f, g in item["authors"]  # type: ignore[attr-defined]
        )
        first, _, last = str(item["pages"]).partition("-")
        pagination = (
            f"<Pagination><StartPage>{esc(first)}</StartPage>"
            + (f"<EndPage>{esc(last)}</EndPage>" if last else "")
            + f"<MedlinePgn>{esc(item['pages'])}</MedlinePgn></Pagination>"
            if item["pages"]
            else ""
        )
        doi = (
            f'<ELocationID EIdType="doi" ValidYN="Y">{esc(item["doi"])}</ELocationID>'
            if item["doi"]
            else ""
        )
        ids = f'<ArticleId IdType="pubmed">{pmid(item)}</ArticleId>' + (
            f'<ArticleId IdType="doi">{esc(item["doi"])}</ArticleId>' if item["doi"] else ""
        )
        out.append(
            '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
            f'<PMID Version="1">{pmid(item)}</PMID>'
            '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print">'
            f"<Volume>{esc(item['volume'])}</Volume><PubDate><Year>{item['year']}</Year></PubDate>"
            f"</JournalIssue><Title>{esc(item['journal'])}</Title></Journal>"
            f"<ArticleTitle>{esc(item['title'])}.</ArticleTitle>{pagination}{doi}"
            f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language>'
            '<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
            + (
                '<PublicationType UI="D016454">Review</PublicationType>'
                if "review" in str(item["title"]).lower()
                else ""
            )
            + "</PublicationTypeList></Article></MedlineCitation>"
            f"<PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>{ids}"
            "</ArticleIdList></PubmedData></PubmedArticle>"
        )
    out.append("</PubmedArticleSet>")
    return "\n".join(out) + "\n"


def pubmed_esearch(items: list[dict[str, object]]) -> str:
    ids = "".join(f"<Id>{pmid(i)}</Id>" for i in items)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN"'
        ' "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult><Count>{len(items)}</Count><RetMax>{len(items)}</RetMax>"
        f"<RetStart>0</RetStart><IdList>{ids}</IdList></eSearchResult>\n"
    )


def scopus_pages(items: list[dict[str, object]], per_page: int = 25) -> list[dict[str, object]]:
    pages: list[dict[str, object]] = []
    chunks = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
    for number, chunk in enumerate(chunks):
        entries: list[dict[str, object]] = []
        for item in chunk:
            authors = [
                {
                    "@seq": str(k + 1),
                    "authname": f"{f} {'.'.join(g)}." if g else f,
                    "surname": f,
                    "initials": ".".join(g) + "." if g else "",
                }
                for k, (f, g) in enumerate(cast(list[tuple[str, str]], item["authors"]))
            ]
            review = "review" in str(item["title"]).lower()
            entry: dict[str, object] = {
                "@_fa": "true",
                "link": [
                    {
                        "@_fa": "true",
                        "@ref": "self",
                        "@href": f"https://api.elsevier.com/content/abstract/scopus_id/{eid(item)[7:]}",
                    }
                ],
                "prism:url": f"https://api.elsevier.com/content/abstract/scopus_id/{eid(item)[7:]}",
                "dc:identifier": f"SCOPUS_ID:{eid(item)[7:]}",
                "eid": eid(item),
                "dc:title": item["title"],
                "dc:creator": authors[0]["authname"] if authors else "",
                "prism:publicationName": item["journal"],
                "prism:volume": item["volume"],
                "prism:pageRange": item["pages"] or None,
                "prism:coverDate": f"{item['year']}-01-01",
                "prism:coverDisplayDate": str(item["year"]),
                "dc:description": "",
                "subtype": "re" if review else "ar",
                "subtypeDescription": "Review" if review else "Article",
                "author": authors,
                "author-count": {"@limit": "100", "$": str(len(authors))},
            }
            if item["doi"]:
                entry["prism:doi"] = item["doi"]
            if "pubmed" in item["sources"]:  # type: ignore[operator]
                entry["pubmed-id"] = pmid(item)
            entries.append(entry)
        if not entries:
            entries = [{"@_fa": "true", "error": "Result set was empty"}]
        result: dict[str, object] = {
            "opensearch:totalResults": str(len(items)),
            "opensearch:startIndex": str(number * per_page),
            "opensearch:itemsPerPage": str(len(chunk)),
            "cursor": {"@current": "*" if number == 0 else f"sample-cursor-{number}"},
            "entry": entries,
        }
        if number + 1 < len(chunks):
            result["cursor"]["@next"] = f"sample-cursor-{number + 1}"  # type: ignore[index]
        pages.append({"search-results": result})
    return pages


def wos_export(items: list[dict[str, object]], extra: str) -> str:
    out = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for item in items:
        out.append("PT J")
        names = [f"{f}, {g}" if g else f for f, g in item["authors"]]  # type: ignore[attr-defined]
        for tag in ("AU",):
            out.append(f"{tag} {names[0]}")
            out.extend(f"   {n}" for n in names[1:])
        out.append(f"TI {item['title']}")
        out.append(f"SO {str(item['journal']).upper()}")
        out.append("LA English")
        out.append("DT " + ("Review" if "review" in str(item["title"]).lower() else "Article"))
        out.append(f"PY {item['year']}")
        if item["volume"]:
            out.append(f"VL {item['volume']}")
        first, _, last = str(item["pages"]).partition("-")
        if first:
            out.append(f"BP {first}")
        if last:
            out.append(f"EP {last}")
        if item["doi"]:
            out.append(f"DI {item['doi']}")
        out.append(f"UT {wos_ut(item)}")
        out.append("ER")
        out.append("")
    body = "\n".join(out)
    if extra:
        body += "\n" + extra.strip() + "\n"
    return body + "\nEF\n"


def ovid_export(items: list[dict[str, object]]) -> str:
    """Ovid MEDLINE in Ovid's tagged export format (``<N>`` then ``TAG - value`` lines)."""
    out = []
    for n, item in enumerate(items, start=1):
        out.append(f"<{n}>")
        out.append("VN  - Ovid Technologies")
        out.append("DB  - Ovid MEDLINE(R) ALL")
        out.append(f"AN  - {pmid(item)}")
        out.append(f"TI  - {item['title']}.")
        for f, g in item["authors"]:  # type: ignore[attr-defined]
            out.append(f"FA  - {f}, {g}".rstrip(", "))
        source = f"{item['journal']}. {item['volume']}, {item['pages']}, {item['year']}."
        out.append(f"SO  - {source.replace(' , ', ' ').replace(', ,', ',')}")
        out.append(f"JN  - {item['journal']}")
        if item["volume"]:
            out.append(f"VO  - {item['volume']}")
        if item["pages"]:
            out.append(f"PG  - {item['pages']}")
        out.append(f"YR  - {item['year']}")
        out.append("LG  - English")
        out.append(
            "PT  - " + ("Review" if "review" in str(item["title"]).lower() else "Journal Article")
        )
        if item["doi"]:
            out.append(f"DO  - https://dx.doi.org/{item['doi']}")
        out.append(f"UI  - {pmid(item)}")
        out.append("")
    return "\n".join(out)


GREY_SOURCES = ("gponline", "pulse", "hsj")
FOUND_VIA = {
    "gponline": "GPOnline search, January 2018 to April 2019",
    "pulse": "Pulse search, January 2018 to April 2019",
    "hsj": "Health Service Journal search, January 2018 to April 2019",
    "citation_searching": "forward and backward citation searching of included studies",
}


def grey_csv(items: list[dict[str, object]], path: Path, source: str) -> None:
    """rea's grey-literature CSV template (docs/sources.md)."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["title", "authors", "organisation", "year", "url", "doi", "type", "found_via", "notes"]
        )
        for item in items:
            kind = "journal article" if item["kind"] == "article" else "report"
            if source in ("pulse", "hsj", "gponline") and item["ref"] in NEWS:
                kind = "news item"
            writer.writerow(
                [
                    item["title"],
                    "; ".join(f"{f}, {g}".rstrip(", ") for f, g in item["authors"]),  # type: ignore[attr-defined]
                    item.get("publisher", "") or item["journal"],
                    item["year"] or "",
                    item["url"],
                    item["doi"],
                    kind,
                    FOUND_VIA[source],
                    f"reference {item['ref']} of the report",
                ]
            )


def write_formats(items: list[dict[str, object]]) -> None:
    wos_fixture = SHARED / "data" / "fixtures" / "exports" / "wos" / "wostools_single-article.txt"
    extra = wos_fixture.read_text(encoding="utf-8") if wos_fixture.is_file() else ""
    for stage in STAGES:
        folder = SAMPLE / stage
        folder.mkdir(parents=True, exist_ok=True)
        pubmed = found_by(items, "pubmed", stage)
        (folder / "pubmed-esearch.xml").write_text(pubmed_esearch(pubmed), encoding="utf-8")
        (folder / "pubmed-efetch.xml").write_text(pubmed_efetch(pubmed), encoding="utf-8")
        for n, page in enumerate(scopus_pages(found_by(items, "scopus", stage)), start=1):
            (folder / f"scopus-page{n}.json").write_text(
                json.dumps(page, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        (folder / "wos.txt").write_text(
            wos_export(found_by(items, "wos", stage), extra if stage == STAGES[1] else ""),
            encoding="utf-8",
        )
        (folder / "ovid-medline.txt").write_text(
            ovid_export(found_by(items, "ovid", stage)), encoding="utf-8"
        )
        for source in (*GREY_SOURCES, "citation_searching"):
            found = found_by(items, source, stage)
            target = folder / f"{source.replace('_', '-')}.csv"
            if found:
                grey_csv(found, target, source)
            else:
                target.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
