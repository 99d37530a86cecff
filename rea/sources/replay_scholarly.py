"""The replay server's scholarly graph: citation and full-text services answered from one file.

``<recordings>/scholarly/works.json`` describes works and who cites whom; the replay server
answers, in each service's documented format, E-utilities elink and efetch (PubMed),
OpenCitations' Index API v2, Crossref's ``/works``, OpenAlex's ``/works``, Unpaywall's
``/v2/{doi}``, Europe PMC's ``search`` and ``{PMCID}/fullTextXML``, and serves the open-access
files they point at under ``/files/``. Each service sees only what it holds, so services can
disagree, as they do::

    {"works": [
      {"id": "A", "doi": "10.1/a", "pmid": "31000001", "pmcid": "PMC7000001",
       "openalex": "W3000000001",                     # optional: made up from the id if absent
       "title": "...", "authors": [["Smith", "J"]], "journal": "...", "year": 2019,
       "volume": "3", "issue": "1", "pages": "1-9", "abstract": "...", "type": "journal-article",
       "in": ["pubmed", "crossref", "openalex", "opencitations", "europepmc", "unpaywall"],
       "references": ["B", "C", {"unstructured": "NHS England. Five Year Forward View. 2014."}],
       "references_by": {"crossref": ["B"]},         # what one service holds instead
       "oa": {"unpaywall": [{"pdf": "a.pdf", "host_type": "repository",
                             "license": "cc-by", "version": "acceptedVersion"}],
              "europepmc": {"open": true, "pdf": "a-epmc.pdf", "xml": true}}}],
     "files": {"blocked.pdf": {"html": true}}}

``in`` defaults to every service the work's identifiers allow (PubMed: a PMID; Crossref: a DOI;
OpenCitations: a DOI or PMID; OpenAlex, Europe PMC, Unpaywall: any). A service's citing works
are the works whose references in that service name the work. Files named under ``oa`` are small
valid PDFs made from the work's title unless ``files`` says otherwise (``{"html": true}``: a web
page where a PDF was promised; ``{"truncated": true}``: a PDF cut short). The formats follow each
service's documentation (see tests/fixtures/scholarly/SOURCES.md for examples written from it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

#: the services the graph answers (PubMed's elink and efetch are answered through it too)
SERVICES = frozenset({"opencitations", "crossref", "openalex", "unpaywall", "europepmc", "files"})
#: joins the values of a parameter sent several times (``id=1&id=2``)
REPEATED = "\x1f"


@dataclass(frozen=True)
class Reply:
    """An answer before the server wraps it (status, body, content type, headers)."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def _json(value: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json")


@dataclass(eq=False)  # one object per work: hashed and compared by identity
class Work:
    key: str
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    openalex: str = ""
    title: str = ""
    authors: list[tuple[str, str]] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    abstract: str = ""
    type: str = "journal-article"
    known_to: frozenset[str] = frozenset()
    references: list[Any] = field(default_factory=list)
    references_by: dict[str, list[Any]] = field(default_factory=dict)
    oa: dict[str, Any] = field(default_factory=dict)

    def citation(self) -> str:
        """The reference as a reference list prints it."""
        names = ", ".join(f"{f} {g}".strip() for f, g in self.authors[:3])
        parts = [names, self.title, self.journal, str(self.year or "")]
        return ". ".join(p for p in parts if p) + "."


def _author(value: Any) -> tuple[str, str]:
    return (str(value[0]), str(value[1]) if len(value) > 1 else "")


def _allowed(work: Work) -> set[str]:
    allowed = {"openalex", "europepmc", "unpaywall"}
    if work.pmid:
        allowed.add("pubmed")
    if work.doi:
        allowed.add("crossref")
    if work.doi or work.pmid:
        allowed.add("opencitations")
    if not work.doi:
        allowed.discard("unpaywall")  # Unpaywall is asked by DOI only
    return allowed


def minimal_pdf(text: str) -> bytes:
    """A small valid one-page PDF showing ``text`` (for the open-access copies the replay
    serves)."""
    shown = re.sub(r"[()\\]", " ", text)[:90].encode("latin-1", errors="replace")
    stream = b"BT /F1 12 Tf 72 720 Td (" + shown + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    size = len(objects) + 1
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


_BLOCK_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><h1>Checking your "
    b"browser before accessing the site.</h1></body></html>"
)


class ScholarlyGraph:
    """Works and their references, answered as each scholarly service would."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        cursor_token: Callable[[int], str],
        cursor_offset: Callable[[str], int | None],
    ) -> None:
        self.works: dict[str, Work] = {}
        self.files: dict[str, dict[str, Any]] = dict(data.get("files", {}))
        self.cursor_token = cursor_token
        self.cursor_offset = cursor_offset
        self._last_page: dict[str, list[dict[str, Any]]] = {}
        for number, raw in enumerate(data.get("works", []), 1):
            work = Work(
                key=str(raw["id"]),
                doi=str(raw.get("doi", "")).lower(),
                pmid=str(raw.get("pmid", "")),
                pmcid=str(raw.get("pmcid", "")).upper(),
                openalex=str(raw.get("openalex") or f"W{9_000_000_000 + number}"),
                title=str(raw.get("title", "")),
                authors=[_author(a) for a in raw.get("authors", ())],
                journal=str(raw.get("journal", "")),
                year=int(raw["year"]) if raw.get("year") else None,
                volume=str(raw.get("volume", "")),
                issue=str(raw.get("issue", "")),
                pages=str(raw.get("pages", "")),
                abstract=str(raw.get("abstract", "")),
                type=str(raw.get("type", "journal-article")),
                references=list(raw.get("references", [])),
                references_by={str(k): list(v) for k, v in raw.get("references_by", {}).items()},
                oa=dict(raw.get("oa", {})),
            )
            allowed = _allowed(work)
            known = set(raw["in"]) & allowed if "in" in raw else allowed
            work.known_to = frozenset(known)
            self.works[work.key] = work
        self.by_doi = {w.doi: w for w in self.works.values() if w.doi}
        self.by_pmid = {w.pmid: w for w in self.works.values() if w.pmid}
        self.by_openalex = {w.openalex: w for w in self.works.values()}
        self.by_pmcid = {w.pmcid: w for w in self.works.values() if w.pmcid}

    # --- the graph as one service sees it ----------------------------------------------------
    def knows(self, service: str, work: Work) -> bool:
        return service in work.known_to

    def references(self, service: str, work: Work) -> list[Work | dict[str, Any]]:
        """What ``work`` cites in ``service``: works it knows, and (Crossref) reference entries
        that are only text."""
        if not self.knows(service, work):
            return []
        raw = work.references_by.get(service, work.references)
        found: list[Work | dict[str, Any]] = []
        for entry in raw:
            if isinstance(entry, dict):
                if service == "crossref":
                    found.append(entry)
                continue
            target = self.works.get(str(entry))
            if target is None:
                continue
            if service == "crossref" or self.knows(service, target):
                found.append(target)
        return found

    def citing(self, service: str, work: Work) -> list[Work]:
        if not self.knows(service, work):
            return []
        return [w for w in self.works.values() if work in self.references(service, w)]

    # --- answering ---------------------------------------------------------------------------
    def answer(
        self, base_url: str, service: str, path: str, params: Mapping[str, str], fault: str
    ) -> Reply | None:
        """The answer to a request to one of :data:`SERVICES` (or PubMed's elink); None when
        the graph has no such endpoint. ``fault`` names a transforming fault, or ''."""
        if service == "pubmed" and path == "elink.fcgi":
            return self._elink(params, fault)
        if service == "opencitations":
            return self._opencitations(path)
        if service == "crossref":
            return self._crossref(path, params, fault)
        if service == "openalex" and path == "works":
            return self._openalex(params, fault)
        if service == "unpaywall":
            return self._unpaywall(base_url, path, params)
        if service == "europepmc":
            return self._europepmc(base_url, path, params)
        if service == "files":
            return self._file(path)
        return None

    def pubmed_articles(self) -> dict[str, bytes]:
        """The ``<PubmedArticle>`` of every work PubMed holds, for efetch."""
        return {w.pmid: _pubmed_article(w) for w in self.works.values() if self.knows("pubmed", w)}

    # --- PubMed elink --------------------------------------------------------------------------
    def _elink(self, params: Mapping[str, str], fault: str) -> Reply:
        linkname = params.get("linkname", "")
        raw = params.get("id", "")
        ids = raw.split(REPEATED) if REPEATED in raw else [raw]
        sets = []
        for asked in ids:
            pmids = [p.strip() for p in asked.split(",") if p.strip()]
            found: list[Work] = []
            for pmid in pmids:
                work = self.by_pmid.get(pmid)
                if work is None:
                    continue
                if linkname == "pubmed_pubmed_refs":
                    found += [w for w in self.references("pubmed", work) if isinstance(w, Work)]
                elif linkname == "pubmed_pubmed_citedin":
                    found += self.citing("pubmed", work)
            id_list = "".join(f"<Id>{escape(p)}</Id>" for p in pmids)
            links = "".join(f"<Link><Id>{w.pmid}</Id></Link>" for w in dict.fromkeys(found))
            db = (
                f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>{escape(linkname)}</LinkName>{links}"
                "</LinkSetDb>"
                if links
                else ""
            )
            sets.append(f"<LinkSet><DbFrom>pubmed</DbFrom><IdList>{id_list}</IdList>{db}</LinkSet>")
        if fault == "short_batch" and len(sets) > 1:
            sets = sets[:-1]
        if fault == "empty_batch":
            sets = []
        body = (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD '
            'elink 20101123//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">'
            f"\n<eLinkResult>{''.join(sets)}</eLinkResult>\n"
        )
        return Reply(200, body.encode("utf-8"), "text/xml; charset=UTF-8")

    # --- OpenCitations -------------------------------------------------------------------------
    def _oc_id(self, work: Work) -> str:
        parts = [f"omid:br/{_number(work.key)}"]
        if work.doi:
            parts.append(f"doi:{work.doi}")
        if work.openalex:
            parts.append(f"openalex:{work.openalex}")
        if work.pmid:
            parts.append(f"pmid:{work.pmid}")
        return " ".join(parts)

    def _opencitations(self, path: str) -> Reply:
        operation, _, asked = unquote(path).partition("/")
        kind, _, value = asked.partition(":")
        work = (self.by_doi if kind == "doi" else self.by_pmid if kind == "pmid" else {}).get(
            value.lower() if kind == "doi" else value
        )
        if operation not in ("references", "citations"):
            return _json({"error": f"unknown operation {operation}"}, 404)
        rows = []
        if work is not None and self.knows("opencitations", work):
            if operation == "references":
                pairs = [(work, w) for w in self.references("opencitations", work)]
            else:
                pairs = [(w, work) for w in self.citing("opencitations", work)]
            for citing, cited in pairs:
                assert isinstance(citing, Work) and isinstance(cited, Work)
                rows.append(
                    {
                        "oci": f"{_number(citing.key)}-{_number(cited.key)}",
                        "citing": self._oc_id(citing),
                        "cited": self._oc_id(cited),
                        "creation": f"{citing.year or 2020}-01-01",
                        "timespan": f"P{max(0, (citing.year or 2020) - (cited.year or 2020))}Y",
                        "journal_sc": "no",
                        "author_sc": "no",
                    }
                )
        return _json(rows)

    # --- Crossref ------------------------------------------------------------------------------
    def _crossref_item(self, work: Work) -> dict[str, Any]:
        references = []
        for n, entry in enumerate(self.references("crossref", work), 1):
            key = f"{work.doi}_ref{n}"
            if isinstance(entry, dict):
                references.append({"key": key, **entry})
            elif entry.doi and self.knows("crossref", entry):
                references.append({"key": key, "doi-asserted-by": "crossref", "DOI": entry.doi})
            else:
                ref: dict[str, Any] = {"key": key, "unstructured": entry.citation()}
                if entry.title:
                    ref["article-title"] = entry.title
                if entry.authors:
                    ref["author"] = entry.authors[0][0]
                if entry.year:
                    ref["year"] = str(entry.year)
                if entry.journal:
                    ref["journal-title"] = entry.journal
                references.append(ref)
        item: dict[str, Any] = {
            "indexed": {"date-parts": [[2026, 11, 1]], "timestamp": 1793404800000},
            "reference-count": len(references),
            "publisher": "Replayed Publisher",
            "issue": work.issue,
            "content-domain": {"domain": [], "crossmark-restriction": False},
            "short-container-title": [],
            "DOI": work.doi,
            "type": work.type,
            "created": {"date-parts": [[work.year or 2020, 1, 1]]},
            "page": work.pages,
            "source": "Crossref",
            "is-referenced-by-count": len(self.citing("crossref", work)),
            "title": [work.title],
            "prefix": work.doi.split("/")[0],
            "volume": work.volume,
            "author": [
                {"given": g, "family": f, "sequence": "first" if i == 0 else "additional"}
                if g
                else {"name": f, "sequence": "first" if i == 0 else "additional"}
                for i, (f, g) in enumerate(work.authors)
            ],
            "member": "9999",
            "container-title": [work.journal] if work.journal else [],
            "language": "en",
            "deposited": {"date-parts": [[2026, 1, 1]]},
            "score": 1,
            "issued": {"date-parts": [[work.year]] if work.year else [[None]]},
            "references-count": len(references),
            "URL": f"https://doi.org/{work.doi}",
            "reference": references,
        }
        if work.abstract:
            item["abstract"] = f"<jats:p>{escape(work.abstract)}</jats:p>"
        return item

    def _crossref(self, path: str, params: Mapping[str, str], fault: str) -> Reply:
        if path.startswith("works/"):
            doi = unquote(path.removeprefix("works/")).lower()
            work = self.by_doi.get(doi)
            if work is None or not self.knows("crossref", work):
                return Reply(404, b"Resource not found.", "text/plain")
            return _json(
                {
                    "status": "ok",
                    "message-type": "work",
                    "message-version": "1.0.0",
                    "message": self._crossref_item(work),
                }
            )
        if path != "works":
            return Reply(404, b"Resource not found.", "text/plain")
        asked = [
            f.removeprefix("doi:").lower()
            for f in params.get("filter", "").split(",")
            if f.startswith("doi:")
        ]
        items = [
            self._crossref_item(w)
            for d in asked
            if (w := self.by_doi.get(d)) is not None and self.knows("crossref", w)
        ]
        if fault == "short_batch" and items:
            items = items[:-1]
        rows = int(params.get("rows", "20") or 20)
        return _json(
            {
                "status": "ok",
                "message-type": "work-list",
                "message-version": "1.0.0",
                "message": {
                    "facets": {},
                    "total-results": len(items),
                    "items": items[:rows],
                    "items-per-page": rows,
                    "query": {"start-index": 0, "search-terms": None},
                },
            }
        )

    # --- OpenAlex ------------------------------------------------------------------------------
    def _openalex_work(self, work: Work) -> dict[str, Any]:
        words: dict[str, list[int]] = {}
        for position, word in enumerate(work.abstract.split()):
            words.setdefault(word, []).append(position)
        first, _, last = work.pages.partition("-")
        oa_url = self._oa_pdf(work)
        return {
            "id": f"https://openalex.org/{work.openalex}",
            "doi": f"https://doi.org/{work.doi}" if work.doi else None,
            "title": work.title,
            "display_name": work.title,
            "publication_year": work.year,
            "publication_date": f"{work.year}-01-01" if work.year else None,
            "ids": {
                "openalex": f"https://openalex.org/{work.openalex}",
                **({"doi": f"https://doi.org/{work.doi}"} if work.doi else {}),
                **({"pmid": f"https://pubmed.ncbi.nlm.nih.gov/{work.pmid}"} if work.pmid else {}),
                **(
                    {"pmcid": f"https://www.ncbi.nlm.nih.gov/pmc/articles/{work.pmcid[3:]}"}
                    if work.pmcid
                    else {}
                ),
            },
            "language": "en",
            "primary_location": {
                "is_oa": bool(oa_url),
                "landing_page_url": f"https://doi.org/{work.doi}" if work.doi else None,
                "source": {"display_name": work.journal, "issn_l": None, "issn": None}
                if work.journal
                else None,
            },
            "type": "article" if work.type == "journal-article" else work.type,
            "open_access": {"is_oa": bool(oa_url), "oa_url": oa_url or None},
            "authorships": [
                {
                    "author_position": "first" if i == 0 else "middle",
                    "author": {"id": None, "display_name": f"{g} {f}".strip()},
                    "raw_author_name": f"{g} {f}".strip(),
                }
                for i, (f, g) in enumerate(work.authors)
            ],
            "biblio": {
                "volume": work.volume or None,
                "issue": work.issue or None,
                "first_page": first or None,
                "last_page": last or None,
            },
            "cited_by_count": len(self.citing("openalex", work)),
            "referenced_works_count": len(self.references("openalex", work)),
            "referenced_works": [
                f"https://openalex.org/{w.openalex}"
                for w in self.references("openalex", work)
                if isinstance(w, Work)
            ],
            "abstract_inverted_index": words or None,
            "updated_date": "2026-11-01T00:00:00",
        }

    def _oa_pdf(self, work: Work) -> str:
        locations = work.oa.get("unpaywall") or []
        return str(locations[0].get("pdf", "")) if isinstance(locations, list) and locations else ""

    def _openalex(self, params: Mapping[str, str], fault: str) -> Reply:
        matched: list[Work] = []
        for clause in params.get("filter", "").split(","):
            name, _, value = clause.partition(":")
            values = [v.strip() for v in value.split("|") if v.strip()]
            if name == "doi":
                dois = [v.lower().removeprefix("https://doi.org/") for v in values]
                found = [self.by_doi.get(d) for d in dois]
            elif name == "pmid":
                found = [self.by_pmid.get(v) for v in values]
            elif name in ("openalex", "ids.openalex", "openalex_id"):
                found = [self.by_openalex.get(v.upper()) for v in values]
            elif name == "cites":
                cited = [self.by_openalex.get(v.upper()) for v in values]
                found = [
                    w
                    for w in self.works.values()
                    if any(c is not None and c in self.references("openalex", w) for c in cited)
                ]
            else:
                problem = {"error": "Invalid query parameters error.", "message": f"{name} unknown"}
                return _json(problem, 400)
            matched += [w for w in found if w is not None and self.knows("openalex", w)]
        results = [self._openalex_work(w) for w in dict.fromkeys(matched)]
        per_page = min(200, int(params.get("per_page", "25") or 25))
        count = len(results)
        cursor = params.get("cursor")
        offset = 0
        if cursor is not None:
            start = self.cursor_offset(cursor)
            if start is None:
                return _json({"error": "Invalid cursor", "message": "cursor is invalid"}, 400)
            offset = start
        page = results[offset : offset + per_page]
        memo = params.get("filter", "")
        if fault == "zero_hits":
            page, count = [], 0
        elif fault == "empty_page":
            page = []
        elif fault == "same_page" and memo in self._last_page:
            page = self._last_page[memo]
        else:
            self._last_page[memo] = page
        if fault == "wrong_count":
            count += 1
        following: str | None = None
        if cursor is not None and offset + per_page < len(results):
            following = self.cursor_token(offset + per_page)
            if fault == "cursor_stuck":
                following = cursor
            elif fault == "cursor_repeat":
                back = max(0, offset - per_page)
                following = "*" if back == 0 else self.cursor_token(back)
        meta = {
            "count": count,
            "db_response_time_ms": 12,
            "page": None if cursor is not None else 1,
            "per_page": per_page,
            "next_cursor": following,
            "groups_count": None,
        }
        return _json({"meta": meta, "results": page, "group_by": []})

    # --- Unpaywall -----------------------------------------------------------------------------
    def _location(self, base_url: str, spec: Mapping[str, Any], best: bool) -> dict[str, Any]:
        pdf = str(spec.get("pdf", ""))
        landing = str(spec.get("landing", ""))
        url_pdf = f"{base_url}/files/{pdf}" if pdf else None
        url_landing = f"{base_url}/files/{landing}" if landing else None
        return {
            "url": url_pdf or url_landing,
            "url_for_pdf": url_pdf,
            "url_for_landing_page": url_landing or url_pdf,
            "evidence": "oa repository (via OAI-PMH doi match)"
            if spec.get("host_type") == "repository"
            else "open (via page says license)",
            "license": spec.get("license"),
            "version": spec.get("version", "publishedVersion"),
            "host_type": spec.get("host_type", "publisher"),
            "is_best": best,
            "pmh_id": None,
            "endpoint_id": None,
            "repository_institution": None,
            "oa_date": "2020-01-01",
            "updated": "2026-10-01T00:00:00.000000",
        }

    def _unpaywall(self, base_url: str, path: str, params: Mapping[str, str]) -> Reply:
        doi = unquote(path).lower()
        if not params.get("email"):
            return _json(
                {
                    "HTTP_status_code": 422,
                    "error": True,
                    "message": "You must provide an email parameter in the format ?email=...",
                },
                422,
            )
        work = self.by_doi.get(doi)
        if work is None or not self.knows("unpaywall", work):
            return _json(
                {
                    "HTTP_status_code": 404,
                    "error": True,
                    "message": f"'{doi}' isn't in Unpaywall. See https://support.unpaywall.org/",
                },
                404,
            )
        spec = work.oa.get("unpaywall") or []
        closed = isinstance(spec, dict)  # {"closed": {...}}: a location on a paper that is not OA
        specs = [] if closed else list(spec)
        locations = [self._location(base_url, s, i == 0) for i, s in enumerate(specs)]
        best = locations[0] if locations else None
        if isinstance(spec, dict):
            best = self._location(base_url, spec.get("closed", {}), True)
        body = {
            "doi": work.doi,
            "doi_url": f"https://doi.org/{work.doi}",
            "title": work.title,
            "genre": work.type,
            "is_paratext": False,
            "published_date": f"{work.year}-01-01" if work.year else None,
            "year": work.year,
            "journal_name": work.journal,
            "journal_issns": None,
            "journal_issn_l": None,
            "journal_is_oa": False,
            "journal_is_in_doaj": False,
            "publisher": "Replayed Publisher",
            "is_oa": bool(locations),
            "oa_status": ("green" if best and best["host_type"] == "repository" else "hybrid")
            if locations
            else "closed",
            "has_repository_copy": any(loc["host_type"] == "repository" for loc in locations),
            "best_oa_location": best,
            "first_oa_location": best if locations else None,
            "oa_locations": locations,
            "oa_locations_embargoed": [],
            "updated": "2026-10-01T00:00:00.000000",
            "data_standard": 2,
            "z_authors": [{"given": g, "family": f} for f, g in work.authors],
        }
        return _json(body)

    # --- Europe PMC ----------------------------------------------------------------------------
    def _europepmc_result(self, base_url: str, work: Work) -> dict[str, Any]:
        spec = work.oa.get("europepmc") or {}
        urls = []
        is_open = bool(spec.get("open"))
        if spec.get("pdf"):
            code = "OA" if is_open else "F"
            urls.append(
                {
                    "availability": "Open access" if is_open else "Free",
                    "availabilityCode": code,
                    "documentStyle": "pdf",
                    "site": "Europe_PMC",
                    "url": f"{base_url}/files/{spec['pdf']}",
                }
            )
        if work.doi:
            urls.append(
                {
                    "availability": "Subscription required",
                    "availabilityCode": "S",
                    "documentStyle": "doi",
                    "site": "DOI",
                    "url": f"https://doi.org/{work.doi}",
                }
            )
        result: dict[str, Any] = {
            "id": work.pmid or work.pmcid,
            "source": "MED" if work.pmid else "PMC",
            "pmid": work.pmid or None,
            "pmcid": work.pmcid or None,
            "doi": work.doi or None,
            "title": work.title,
            "authorString": ", ".join(f"{f} {g}".strip() for f, g in work.authors),
            "pubYear": str(work.year or ""),
            "isOpenAccess": "Y" if is_open else "N",
            "inEPMC": "Y" if work.pmcid else "N",
            "inPMC": "Y" if work.pmcid else "N",
            "hasPDF": "Y" if spec.get("pdf") else "N",
            "fullTextUrlList": {"fullTextUrl": urls},
        }
        if spec.get("license"):
            result["license"] = spec["license"]
        return {k: v for k, v in result.items() if v is not None}

    def _europepmc(self, base_url: str, path: str, params: Mapping[str, str]) -> Reply:
        if path.endswith("/fullTextXML"):
            pmcid = path.split("/")[0].upper()
            work = self.by_pmcid.get(pmcid)
            spec = (work.oa.get("europepmc") or {}) if work else {}
            if work is None or not spec.get("xml") or not self.knows("europepmc", work):
                return Reply(404, b"", "application/xml")
            return Reply(200, _jats(work), "application/xml")
        if path != "search":
            return _json({"error": "not found"}, 404)
        query = params.get("query", "")
        matched: list[Work] = []
        for kind, value in re.findall(r'\b(PMCID|DOI|EXT_ID):"?([^"\s)]+)"?', query):
            table = {"PMCID": self.by_pmcid, "DOI": self.by_doi, "EXT_ID": self.by_pmid}[kind]
            key = value.upper() if kind == "PMCID" else value.lower() if kind == "DOI" else value
            work = table.get(key)
            if work is not None and self.knows("europepmc", work):
                matched.append(work)
        results = [self._europepmc_result(base_url, w) for w in dict.fromkeys(matched)]
        body = {
            "version": "6.9",
            "hitCount": len(results),
            "nextCursorMark": base64.b64encode(b"end").decode(),
            "request": {"queryString": query, "resultType": params.get("resultType", "lite")},
            "resultList": {"result": results},
        }
        return _json(body)

    # --- files ---------------------------------------------------------------------------------
    def _file(self, name: str) -> Reply:
        name = unquote(name)
        spec = self.files.get(name, {})
        if spec.get("html"):
            return Reply(200, _BLOCK_PAGE, "text/html; charset=utf-8")
        owner = next((w for w in self.works.values() if name in _files_of(w)), None)
        if owner is None and name not in self.files:
            return Reply(404, b"Not Found", "text/plain")
        text = owner.title if owner is not None else name
        body = minimal_pdf(text)
        if spec.get("truncated"):
            body = body[: len(body) // 2]
        return Reply(200, body, "application/pdf")


def _number(key: str) -> str:
    """A stable OpenCitations-like number for a work (``06`` + 12 digits)."""
    return f"06{int(hashlib.sha256(key.encode()).hexdigest()[:10], 16) % 10**12:012d}"


def _files_of(work: Work) -> set[str]:
    names = set()
    unpaywall = work.oa.get("unpaywall") or []
    specs = [unpaywall.get("closed", {})] if isinstance(unpaywall, dict) else list(unpaywall)
    for spec in specs:
        names |= {str(spec[k]) for k in ("pdf", "landing") if spec.get(k)}
    epmc = work.oa.get("europepmc") or {}
    if epmc.get("pdf"):
        names.add(str(epmc["pdf"]))
    return names


def _pubmed_article(work: Work) -> bytes:
    authors = "".join(
        f'<Author ValidYN="Y"><LastName>{escape(f)}</LastName><Initials>{escape(g)}</Initials>'
        "</Author>"
        if g
        else f'<Author ValidYN="Y"><CollectiveName>{escape(f)}</CollectiveName></Author>'
        for f, g in work.authors
    )
    first, _, last = work.pages.partition("-")
    pagination = (
        f"<Pagination><StartPage>{escape(first)}</StartPage>"
        + (f"<EndPage>{escape(last)}</EndPage>" if last else "")
        + f"<MedlinePgn>{escape(work.pages)}</MedlinePgn></Pagination>"
        if work.pages
        else ""
    )
    abstract = (
        f"<Abstract><AbstractText>{escape(work.abstract)}</AbstractText></Abstract>"
        if work.abstract
        else ""
    )
    ids = f'<ArticleId IdType="pubmed">{work.pmid}</ArticleId>'
    if work.doi:
        ids += f'<ArticleId IdType="doi">{escape(work.doi)}</ArticleId>'
    if work.pmcid:
        ids += f'<ArticleId IdType="pmc">{escape(work.pmcid)}</ArticleId>'
    year = f"<PubDate><Year>{work.year}</Year></PubDate>" if work.year else "<PubDate/>"
    text = (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{work.pmid}</PMID><Article PubModel="Print"><Journal>'
        f'<JournalIssue CitedMedium="Print"><Volume>{escape(work.volume)}</Volume>'
        f"<Issue>{escape(work.issue)}</Issue>{year}</JournalIssue>"
        f"<Title>{escape(work.journal)}</Title></Journal>"
        f"<ArticleTitle>{escape(work.title)}</ArticleTitle>{pagination}{abstract}"
        f'<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language>'
        '<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        "</PublicationTypeList></Article></MedlineCitation><PubmedData>"
        f"<PublicationStatus>ppublish</PublicationStatus><ArticleIdList>{ids}</ArticleIdList>"
        "</PubmedData></PubmedArticle>"
    )
    return text.encode("utf-8")


def _jats(work: Work) -> bytes:
    contribs = "".join(
        '<contrib contrib-type="author"><name>'
        f"<surname>{escape(f)}</surname><given-names>{escape(g)}</given-names></name></contrib>"
        for f, g in work.authors
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<article xmlns:xlink="http://www.w3.org/1999/'
        'xlink" article-type="research-article"><front><journal-meta><journal-title-group>'
        f"<journal-title>{escape(work.journal)}</journal-title></journal-title-group>"
        '</journal-meta><article-meta><article-id pub-id-type="pmcid">'
        f"{escape(work.pmcid)}</article-id>"
        + (f'<article-id pub-id-type="doi">{escape(work.doi)}</article-id>' if work.doi else "")
        + f"<title-group><article-title>{escape(work.title)}</article-title></title-group>"
        f'<contrib-group>{contribs}</contrib-group><permissions><license license-type="open-'
        'access"><license-p>This is an open access article.</license-p></license></permissions>'
        f"<abstract><p>{escape(work.abstract)}</p></abstract></article-meta></front>"
        f"<body><sec><title>Introduction</title><p>{escape(work.title)}.</p></sec></body>"
        "</article>\n"
    )
    return text.encode("utf-8")
