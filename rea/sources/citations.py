"""Citation searching: the references (backward) and the citing works (forward) of seed works,
from four open services, each over the one HTTP client with its own shared rate.

=============  ==========================================  =====================================
service        backward (what a seed cites)                forward (what cites a seed)
=============  ==========================================  =====================================
pubmed         elink ``pubmed_pubmed_refs``                elink ``pubmed_pubmed_citedin``
opencitations  ``/references/{id}``                        ``/citations/{id}``
crossref       the ``reference`` list publishers deposit    — (Cited-by needs member credentials)
openalex       ``referenced_works`` of the seed            ``/works?filter=cites:…``
=============  ==========================================  =====================================

What each service documents, and how rea asks it (the fewest requests each allows):

- **E-utilities elink** (https://www.ncbi.nlm.nih.gov/books/NBK25499/, "ELink"): ids given as the
  ``id`` parameter repeated (``id=1&id=2``) are linked one by one, one ``LinkSet`` each, so one
  POST carries up to :data:`ELINK_BATCH` seeds; 3 requests/s, 10 with an API key. A seed without
  its ``LinkSet`` in the answer is asked again (a new request), then reported.
- **OpenCitations Index API v2** (https://api.opencitations.net/index/v2): one request per seed
  and direction (``/references/doi:…``, ``/citations/pmid:…``), unpaged: the whole list comes in
  one JSON array whose ``citing``/``cited`` fields hold every identifier of each side
  (``omid:br/… doi:… pmid:… openalex:W…``). No account, no published limit; an optional access
  token goes in the ``authorization`` header.
- **Crossref REST API** (https://api.crossref.org/swagger-ui/index.html, "Works"; rate limits at
  https://www.crossref.org/documentation/retrieve-metadata/rest-api/access-and-authentication/):
  up to :data:`CROSSREF_BATCH` DOIs in one list query (``filter=doi:A,doi:B``), whose items carry
  the ``reference`` lists publishers deposited (a reference has a ``DOI`` or only its citation:
  ``unstructured``, ``article-title``, ``author``, ``year``…); ``mailto`` puts rea in the polite
  pool. Crossref has no open forward list.
- **OpenAlex** (https://developers.openalex.org, "Filter works", "Page through results"):
  ``filter=doi:A|B`` (up to 100 values OR'd) finds the seeds with their ``referenced_works``;
  ``filter=openalex:W1|W2`` resolves those; ``filter=cites:W1|W2`` lists the works citing any of
  the seeds, paged with ``cursor`` (``meta.count``, ``meta.next_cursor``), each result naming what
  it cites in its own ``referenced_works``. ``per_page`` at most 100; ``api_key`` (required for
  real use since 13 February 2026) and ``mailto`` go with every call.

Every answer goes through a :class:`~rea.sources.snapshots.SourceSnapshot`: read first (what is
not data is asked again, never stored), stored byte for byte, found again on ``--resume``.
A paged listing (OpenAlex ``cites:``) is checked against the count the service reported with
:func:`rea.completeness.assess`; paging that repeats (a cursor seen before, a page of nothing
new) is restarted, and what is still missing is reported, never hidden.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from rea.completeness import assess
from rea.config import Settings
from rea.errors import ConfigError, NotData, SourceError
from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    SourceKind,
    normalize_doi,
    normalize_pages,
    normalize_pmid,
    parse_author,
)
from rea.sources import pubmed
from rea.sources.http import Http, HttpResponse, Params, Sleep
from rea.sources.pubmed_xml import ElinkAnswer, read_elink
from rea.sources.ratelimit import LIMITS
from rea.sources.snapshots import Page, SourceSnapshot

SOURCE = "citation_searching"
SERVICES = ("pubmed", "opencitations", "crossref", "openalex")

#: seeds per elink request (POST; NCBI asks for POST past 200 ids)
ELINK_BATCH = 200
#: DOIs per Crossref list query (comma-separated ``doi:`` filters; URLs stay short)
CROSSREF_BATCH = 50
#: values OR'd in one OpenAlex filter (the service allows 100)
OPENALEX_BATCH = 50
#: OpenAlex results per page (the most the service gives)
OPENALEX_PAGE = 100
#: pagings of one OpenAlex listing before what is missing is reported
PAGINGS = 3

Progress = Callable[[str], None]


class Direction(StrEnum):
    BACKWARD = "backward"  # the seed's references
    FORWARD = "forward"  # the works citing the seed

    @property
    def label(self) -> str:
        return "references" if self is Direction.BACKWARD else "citing works"


def directions(value: str) -> tuple[Direction, ...]:
    """``backward``, ``forward`` or ``both``."""
    if value == "both":
        return (Direction.BACKWARD, Direction.FORWARD)
    try:
        return (Direction(value),)
    except ValueError:
        raise ConfigError(
            f"no direction {value!r}", hint="one of backward, forward, both"
        ) from None


@dataclass(frozen=True)
class Seed:
    """A work whose references and citing works are chased: its identifiers, from its records."""

    work_id: int
    dois: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()
    label: str = ""  # "Smith 2019" or the title's start, for messages

    def to_json(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "dois": list(self.dois),
            "pmids": list(self.pmids),
            "label": self.label,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Seed:
        return cls(
            int(value["work_id"]),
            tuple(str(d) for d in value.get("dois", ())),
            tuple(str(p) for p in value.get("pmids", ())),
            str(value.get("label", "")),
        )


@dataclass(frozen=True)
class Ids:
    """The identifiers one service gave for a cited or citing work."""

    doi: str = ""
    pmid: str = ""
    openalex: str = ""  # W123
    pmcid: str = ""
    reference: str = ""  # a reference list entry without an identifier: its own key

    def pairs(self) -> list[tuple[str, str]]:
        """(kind, value) of every identifier set, the strongest first."""
        found = [("doi", self.doi), ("pmid", self.pmid), ("openalex", self.openalex)]
        found += [("pmcid", self.pmcid), ("ref", self.reference)]
        return [(k, v) for k, v in found if v]

    def key(self) -> str:
        kind, value = self.pairs()[0]
        return f"{kind}:{value}"

    def merged(self, other: Ids) -> Ids:
        return Ids(
            self.doi or other.doi,
            self.pmid or other.pmid,
            self.openalex or other.openalex,
            self.pmcid or other.pmcid,
            self.reference or other.reference,
        )


@dataclass(frozen=True)
class Link:
    """One service said: ``seed`` cites (backward) or is cited by (forward) the work ``ids``."""

    seed: int
    direction: Direction
    service: str
    ids: Ids
    snapshot: str = ""  # the stored answer that said so (relative to the review)
    sha256: str = ""


@dataclass(frozen=True)
class Described:
    """What a service says a work is: its identifiers and its record (metadata and the page it
    came from)."""

    ids: Ids
    record: Record
    service: str  # pubmed, openalex, crossref, or "reference" (only a reference list's entry)


@dataclass
class ServiceOutcome:
    """What asking one service gave: links, descriptions met on the way, and what went wrong."""

    service: str
    links: list[Link] = field(default_factory=list)
    described: list[Described] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # seed → why this service cannot
    problems: list[str] = field(default_factory=list)  # faults met (recovered, or reasons)
    reasons: list[str] = field(default_factory=list)  # why what it listed is not complete
    missing: int = 0  # listed by the service's own count, never received
    requests: int = 0  # answers read (stored or reused)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "links": len(self.links),
            "skipped": {str(k): v for k, v in self.skipped.items()},
            "problems": self.problems,
            "reasons": self.reasons,
            "missing": self.missing,
            "requests": self.requests,
        }


# --- clients ------------------------------------------------------------------------------------


def make_http(settings: Settings, service: str, *, sleep: Sleep = time.sleep) -> Http:
    """The client of one citation or full-text service at its base URL, with its shared rate."""
    urls = {
        "opencitations": settings.opencitations_url,
        "crossref": settings.crossref_url,
        "openalex": settings.openalex_url,
        "unpaywall": settings.unpaywall_url,
        "europepmc": settings.europepmc_url,
    }
    if service == "pubmed":
        return pubmed.make_http(settings, sleep=sleep)
    keyed = service == "crossref" and bool(settings.contact_email)
    headers = {}
    if service == "opencitations" and settings.opencitations_token:
        headers["authorization"] = settings.opencitations_token
    return Http(
        api=service,
        base_url=urls[service],
        rate=LIMITS[service].rate(keyed=keyed),
        headers=headers,
        secrets=settings.secrets(),
        sleep=sleep,
        state_dir=settings.state_dir,
    )


def contact_params(settings: Settings, service: str) -> dict[str, str]:
    """What identifies rea's user to a service: ``mailto`` (Crossref's polite pool, OpenAlex),
    OpenAlex's ``api_key``. Redacted in every stored file."""
    params: dict[str, str] = {}
    if settings.contact_email and service in ("crossref", "openalex"):
        params["mailto"] = settings.contact_email
    if service == "openalex" and settings.openalex_api_key:
        params["api_key"] = settings.openalex_api_key
    return params


def _json(page: Page, what: str) -> Any:
    body = page.body.removeprefix(b"\xef\xbb\xbf").strip()
    if not body:
        raise NotData(f"{what} answered an empty body")
    if body[:1] not in (b"{", b"["):
        head = " ".join(body[:60].decode("utf-8", errors="replace").split())
        raise NotData(f"{what} answered something that is not JSON (it begins {head!r})")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise NotData(f"{what} answered JSON that does not parse (truncated?): {exc}") from None


def refuse_html(response: HttpResponse) -> None:
    """A web page where data was asked for is not data (a block page, a maintenance page)."""
    if response.status == 429 or response.status >= 500:
        return
    head = response.body[:512].lstrip().lower()
    if response.status < 300 and head.startswith((b"<!doctype html", b"<html")):
        raise NotData(f"answered an HTML page, not data (HTTP {response.status})")


def _first_seen(pairs: Iterable[tuple[str, Page]]) -> dict[str, Page]:
    """Each key once, with the page it was first seen on, in the order first seen."""
    found: dict[str, Page] = {}
    for key, page in pairs:
        found.setdefault(key, page)
    return found


def _batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


_OPENALEX_ID = re.compile(r"(W\d+)$", re.IGNORECASE)


def openalex_id(value: object) -> str:
    """``W2741809807`` from ``https://openalex.org/W2741809807`` (or '' )."""
    match = _OPENALEX_ID.search(str(value or "").strip())
    return match.group(1).upper() if match else ""


def _pmcid(value: object) -> str:
    match = re.search(r"(?:PMC)?(\d+)\s*$", str(value or ""), re.IGNORECASE)
    return f"PMC{match.group(1)}" if match and str(value or "").strip() else ""


# --- records from each service's metadata -------------------------------------------------------


def citation_provenance(
    stage: str, run_id: str, snapshot: str, sha256: str, position: int | None = None
) -> Provenance:
    """Where a citation-searching record came from: the stored answer it was read from."""
    return Provenance(
        source=SOURCE,
        stage=stage,
        run_id=run_id,
        snapshot=snapshot,
        snapshot_sha256=sha256,
        position=position,
        kind=SourceKind.OTHER,
    )


def _provenance(stage: str, run_id: str, page: Page, position: int | None) -> Provenance:
    return citation_provenance(stage, run_id, page.relpath, page.sha256, position)


def _year(value: object) -> int | None:
    match = re.search(r"(1[5-9]\d\d|20\d\d)", str(value or ""))
    return int(match.group(1)) if match else None


def _strip_tags(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def _first(value: object) -> str:
    if isinstance(value, list):
        return str(value[0]).strip() if value else ""
    return str(value or "").strip()


def crossref_record(item: Mapping[str, Any], provenance: Provenance) -> Record:
    """A Crossref work item (``/works`` answer) as a record."""
    authors = tuple(
        Author(str(a.get("family") or a.get("name") or "").strip(), str(a.get("given", "")))
        for a in item.get("author", []) or []
        if isinstance(a, dict) and (a.get("family") or a.get("name"))
    )
    issued = (item.get("issued") or item.get("published") or {}).get("date-parts") or [[None]]
    year = issued[0][0] if issued and issued[0] else None
    abstract = _strip_tags(str(item.get("abstract") or ""))
    doi = normalize_doi(str(item.get("DOI", "")))
    return Record(
        provenance=provenance,
        title=_strip_tags(_first(item.get("title"))),
        abstract=(AbstractSection(abstract),) if abstract else (),
        authors=authors,
        journal=_first(item.get("container-title")),
        journal_abbrev=_first(item.get("short-container-title")),
        issn=tuple(str(i) for i in item.get("ISSN", []) or []),
        year=int(year) if isinstance(year, int) else _year(year),
        volume=str(item.get("volume") or ""),
        issue=str(item.get("issue") or ""),
        pages=normalize_pages(str(item.get("page") or "")),
        language=str(item.get("language") or ""),
        publication_types=(str(item["type"]),) if item.get("type") else (),
        doi=doi,
        source_id=f"doi:{doi}" if doi else "",
        url=str(item.get("URL") or ""),
    )


def reference_record(ref: Mapping[str, Any], provenance: Provenance, key: str) -> Record:
    """An entry of a reference list that has no DOI: what the list says of the work (its
    structured fields when the publisher deposited them, else the citation as printed)."""
    title = str(ref.get("article-title") or ref.get("volume-title") or "").strip()
    unstructured = str(ref.get("unstructured") or "").strip()
    author = parse_author(str(ref.get("author") or ""))
    return Record(
        provenance=provenance,
        title=title or unstructured,
        authors=(author,) if author else (),
        journal=str(ref.get("journal-title") or ref.get("series-title") or ""),
        year=_year(ref.get("year")),
        volume=str(ref.get("volume") or ""),
        issue=str(ref.get("issue") or ""),
        pages=str(ref.get("first-page") or ""),
        source_id=f"ref:{key}",
        extra={"citation": unstructured} if unstructured and title else {},
    )


def _inverted_abstract(index: object) -> str:
    """OpenAlex's ``abstract_inverted_index`` (word → positions) back to text."""
    if not isinstance(index, dict):
        return ""
    words: dict[int, str] = {}
    for word, positions in index.items():
        for position in positions if isinstance(positions, list) else ():
            if isinstance(position, int):
                words[position] = str(word)
    return " ".join(words[p] for p in sorted(words))


def openalex_ids(work: Mapping[str, Any]) -> Ids:
    ids = work.get("ids") or {}
    return Ids(
        doi=normalize_doi(str(work.get("doi") or ids.get("doi") or "")),
        pmid=normalize_pmid(str(ids.get("pmid") or "")),
        openalex=openalex_id(work.get("id") or ids.get("openalex")),
        pmcid=_pmcid(ids.get("pmcid")) if ids.get("pmcid") else "",
    )


def openalex_record(work: Mapping[str, Any], provenance: Provenance) -> Record:
    """An OpenAlex work object as a record."""
    ids = openalex_ids(work)
    authors = []
    for authorship in work.get("authorships", []) or []:
        name = str((authorship.get("author") or {}).get("display_name") or "")
        author = parse_author(name)
        if author is not None:
            authors.append(author)
    location = work.get("primary_location") or {}
    source = location.get("source") or {}
    biblio = work.get("biblio") or {}
    first, last = str(biblio.get("first_page") or ""), str(biblio.get("last_page") or "")
    abstract = _inverted_abstract(work.get("abstract_inverted_index"))
    return Record(
        provenance=provenance,
        title=str(work.get("title") or work.get("display_name") or "").strip(),
        abstract=(AbstractSection(abstract),) if abstract else (),
        authors=tuple(authors),
        journal=str(source.get("display_name") or ""),
        issn=tuple(str(i) for i in source.get("issn") or []),
        year=work.get("publication_year")
        if isinstance(work.get("publication_year"), int)
        else None,
        volume=str(biblio.get("volume") or ""),
        issue=str(biblio.get("issue") or ""),
        pages=normalize_pages(f"{first}-{last}" if first and last else first),
        language=str(work.get("language") or ""),
        publication_types=(str(work["type"]),) if work.get("type") else (),
        pmid=ids.pmid,
        doi=ids.doi,
        pmcid=ids.pmcid,
        source_id=f"openalex:{ids.openalex}" if ids.openalex else "",
        url=str(location.get("landing_page_url") or ""),
    )


def pubmed_record(record: Record, provenance: Provenance) -> Record:
    """A record efetch gave, as a citation-searching record (its metadata kept whole)."""
    return replace(
        record,
        provenance=replace(provenance, position=record.provenance.position),
        source_id=f"pmid:{record.pmid}",
    )


_OC_ID = re.compile(r"\b(doi|pmid|openalex|omid):(\S+)")


def opencitations_ids(text: str) -> Ids:
    """The identifiers of one side of an OpenCitations citation
    (``omid:br/0610… doi:10.7717/peerj-cs.421 pmid:33817056 openalex:W3138329066``)."""
    found = dict((k, v) for k, v in _OC_ID.findall(text or "") if k != "omid")
    return Ids(
        doi=normalize_doi(found.get("doi", "")),
        pmid=normalize_pmid(found.get("pmid", "")),
        openalex=openalex_id(found.get("openalex", "")),
    )


# --- the services -------------------------------------------------------------------------------


@dataclass
class CitationLookup:
    """Asking the services about ``seeds``: one snapshot folder per service (``folder(service)``)
    in the run, one client per service (``client(service)``)."""

    settings: Settings
    seeds: Sequence[Seed]
    stage: str
    run_id: str
    folder: Callable[[str], SourceSnapshot]
    client: Callable[[str], Http]
    progress: Progress | None = None

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _fetch(
        self,
        outcome: ServiceOutcome,
        snapshot: SourceSnapshot,
        method: str,
        path: str,
        params: Params,
        read: Callable[[Page], Any],
        *,
        attempt: str = "",
        check: Callable[[HttpResponse], None] = refuse_html,
    ) -> tuple[Page, Any]:
        fetched = snapshot.fetch(
            self.client(outcome.service),
            method,
            path,
            params,
            read=read,
            check=check,
            attempt=attempt,
        )
        outcome.requests += 1
        return fetched.page, fetched.value

    # --- PubMed: elink ---------------------------------------------------------------------
    def pubmed(self, wanted: Sequence[Direction]) -> ServiceOutcome:
        outcome = ServiceOutcome("pubmed")
        snapshot = self.folder("pubmed")
        by_pmid: dict[str, list[int]] = {}
        for seed in self.seeds:
            if not seed.pmids:
                outcome.skipped[seed.work_id] = "no PMID"
            for pmid in seed.pmids:
                by_pmid.setdefault(pmid, []).append(seed.work_id)
        pmids = list(by_pmid)
        common = pubmed.common_params(self.settings)
        for direction in wanted:
            linkname = (
                "pubmed_pubmed_refs" if direction is Direction.BACKWARD else "pubmed_pubmed_citedin"
            )
            for batch in _batches(pmids, ELINK_BATCH):
                found = self._elink(outcome, snapshot, batch, linkname, common)
                for pmid, (targets, page) in found.items():
                    for work_id in by_pmid[pmid]:
                        outcome.links += [
                            Link(
                                work_id, direction, "pubmed", Ids(pmid=t), page.relpath, page.sha256
                            )
                            for t in targets
                        ]
        return outcome

    def _elink(
        self,
        outcome: ServiceOutcome,
        snapshot: SourceSnapshot,
        batch: list[str],
        linkname: str,
        common: Mapping[str, str],
    ) -> dict[str, tuple[tuple[str, ...], Page]]:
        found: dict[str, tuple[tuple[str, ...], Page]] = {}
        want = list(batch)
        for round_ in (1, 2, 3):
            params: dict[str, str | tuple[str, ...]] = {
                "dbfrom": "pubmed",
                "db": "pubmed",
                "linkname": linkname,
                "id": tuple(want),
                **common,
            }
            page, answer = self._fetch(
                outcome,
                snapshot,
                "POST",
                "elink.fcgi",
                params,
                lambda page: read_elink(page.body, linkname),
                attempt="" if round_ == 1 else f"r{round_}",
                check=pubmed.check_eutils,
            )
            assert isinstance(answer, ElinkAnswer)
            found.update({p: (v, page) for p, v in answer.links.items() if p in want})
            want = [p for p in want if p not in found]
            if not want:
                break
            self._say(f"pubmed: elink left out {len(want)} of the PMIDs asked, asking again")
        if want:
            shown = ", ".join(want[:10])
            outcome.reasons.append(
                f"elink ({linkname}) never answered for {len(want)} PMIDs: {shown}"
            )
            outcome.missing += len(want)
        return found

    # --- OpenCitations ---------------------------------------------------------------------
    def opencitations(self, wanted: Sequence[Direction]) -> ServiceOutcome:
        outcome = ServiceOutcome("opencitations")
        snapshot = self.folder("opencitations")
        for seed in self.seeds:
            ids = [f"doi:{d}" for d in seed.dois] or [f"pmid:{p}" for p in seed.pmids]
            if not ids:
                outcome.skipped[seed.work_id] = "neither DOI nor PMID"
                continue
            for direction in wanted:
                operation = "references" if direction is Direction.BACKWARD else "citations"
                for asked in ids[:1]:  # the DOI, else the PMID: one name of the seed is enough
                    page, rows = self._fetch(
                        outcome,
                        snapshot,
                        "GET",
                        f"{operation}/{asked}",
                        {},
                        read_opencitations,
                    )
                    own = "citing" if direction is Direction.BACKWARD else "cited"
                    other = "cited" if direction is Direction.BACKWARD else "citing"
                    wrong = 0
                    for row in rows:
                        if asked.lower() not in str(row.get(own, "")).lower():
                            wrong += 1
                            continue
                        target = opencitations_ids(str(row.get(other, "")))
                        if target.pairs():
                            outcome.links.append(
                                Link(
                                    seed.work_id,
                                    direction,
                                    outcome.service,
                                    target,
                                    page.relpath,
                                    page.sha256,
                                )
                            )
                    if wrong:
                        outcome.problems.append(
                            f"{wrong} citations in the answer for {asked} ({operation}) were of "
                            "another work; they were not kept"
                        )
        return outcome

    # --- Crossref --------------------------------------------------------------------------
    def crossref_works(
        self, outcome: ServiceOutcome, snapshot: SourceSnapshot, dois: Sequence[str], purpose: str
    ) -> dict[str, tuple[Mapping[str, Any], Page, int]]:
        """Crossref's items for ``dois`` (batched list queries): DOI → (item, page, position).
        A DOI a first answer lacks is asked once more; still absent, Crossref does not know it."""
        found: dict[str, tuple[Mapping[str, Any], Page, int]] = {}
        common = contact_params(self.settings, "crossref")
        plain = [d for d in dict.fromkeys(dois) if "," not in d]
        odd = [d for d in dict.fromkeys(dois) if "," in d]  # a comma would split the filter
        for batch in _batches(plain, CROSSREF_BATCH):
            want = batch
            for round_ in (1, 2):
                params = {
                    "filter": ",".join(f"doi:{d}" for d in want),
                    "rows": str(len(want)),
                    **common,
                }
                page, items = self._fetch(
                    outcome,
                    snapshot,
                    "GET",
                    "works",
                    params,
                    read_crossref_list,
                    attempt="" if round_ == 1 else f"{purpose}-r2",
                )
                for position, item in enumerate(items, 1):
                    doi = normalize_doi(str(item.get("DOI", "")))
                    if doi in want and doi not in found:
                        found[doi] = (item, page, position)
                want = [d for d in want if d not in found]
                if not want:
                    break
        for doi in odd:
            try:
                page, item = self._fetch(
                    outcome, snapshot, "GET", f"works/{doi}", common, read_crossref_work
                )
            except SourceError as exc:
                if exc.status == 404:
                    continue
                raise
            found[doi] = (item, page, 1)
        return found

    def crossref(self, wanted: Sequence[Direction]) -> ServiceOutcome:
        outcome = ServiceOutcome("crossref")
        snapshot = self.folder("crossref")
        if Direction.BACKWARD not in wanted:
            return outcome
        for seed in self.seeds:
            if not seed.dois:
                outcome.skipped[seed.work_id] = "no DOI"
        dois = [d for s in self.seeds for d in s.dois[:1]]
        items = self.crossref_works(outcome, snapshot, dois, "seeds")
        for seed in self.seeds:
            if not seed.dois:
                continue
            doi = seed.dois[0]
            if doi not in items:
                outcome.skipped[seed.work_id] = f"Crossref does not know doi:{doi}"
                continue
            item, page, _ = items[doi]
            references = item.get("reference")
            count = int(item.get("reference-count") or item.get("references-count") or 0)
            if not isinstance(references, list):
                if count:
                    outcome.problems.append(
                        f"Crossref counts {count} references of doi:{doi} but shows none (the "
                        "publisher did not deposit them openly)"
                    )
                continue
            for position, ref in enumerate(references, 1):
                if not isinstance(ref, dict):
                    continue
                target_doi = normalize_doi(str(ref.get("DOI") or ""))
                if target_doi:
                    target = Ids(doi=target_doi)
                else:
                    key = hashlib.sha256(f"{doi}#{ref.get('key', position)}".encode()).hexdigest()
                    target = Ids(reference=key[:20])
                    record = reference_record(
                        ref, _provenance(self.stage, self.run_id, page, position), target.reference
                    )
                    if record.title:
                        outcome.described.append(Described(target, record, "reference"))
                    else:
                        continue  # an entry with neither identifier nor citation text
                outcome.links.append(
                    Link(
                        seed.work_id,
                        Direction.BACKWARD,
                        "crossref",
                        target,
                        page.relpath,
                        page.sha256,
                    )
                )
        return outcome

    # --- OpenAlex --------------------------------------------------------------------------
    def openalex_works(
        self,
        outcome: ServiceOutcome,
        snapshot: SourceSnapshot,
        kind: str,
        values: Sequence[str],
    ) -> list[tuple[Mapping[str, Any], Page, int]]:
        """OpenAlex's works whose ``kind`` (``doi``, ``pmid``, ``openalex``) is one of
        ``values``, by batched filters."""
        found: list[tuple[Mapping[str, Any], Page, int]] = []
        common = contact_params(self.settings, "openalex")
        for batch in _batches(list(dict.fromkeys(values)), OPENALEX_BATCH):
            params = {
                "filter": f"{kind}:{'|'.join(batch)}",
                "per_page": str(OPENALEX_PAGE),
                **common,
            }
            page, answer = self._fetch(outcome, snapshot, "GET", "works", params, read_openalex)
            found += [(w, page, n) for n, w in enumerate(answer["results"], 1)]
        return found

    def openalex(self, wanted: Sequence[Direction]) -> ServiceOutcome:
        outcome = ServiceOutcome("openalex")
        snapshot = self.folder("openalex")
        seed_of: dict[str, list[int]] = {}  # W id → seeds
        works = self.openalex_works(
            outcome, snapshot, "doi", [d for s in self.seeds for d in s.dois]
        )
        works += self.openalex_works(
            outcome, snapshot, "pmid", [p for s in self.seeds if not s.dois for p in s.pmids]
        )
        referenced: dict[int, list[tuple[str, Page]]] = {}
        for work, page, _ in works:
            ids = openalex_ids(work)
            for seed in self.seeds:
                if (ids.doi and ids.doi in seed.dois) or (ids.pmid and ids.pmid in seed.pmids):
                    seed_of.setdefault(ids.openalex, []).append(seed.work_id)
                    cited = [openalex_id(r) for r in work.get("referenced_works") or []]
                    referenced.setdefault(seed.work_id, []).extend((r, page) for r in cited if r)
        known = {s for seeds in seed_of.values() for s in seeds}
        for seed in self.seeds:
            if seed.work_id not in known:
                outcome.skipped[seed.work_id] = (
                    "OpenAlex does not know it"
                    if seed.dois or seed.pmids
                    else "neither DOI nor PMID"
                )
        if Direction.BACKWARD in wanted:
            for seed_id, refs in referenced.items():
                outcome.links += [
                    Link(
                        seed_id,
                        Direction.BACKWARD,
                        "openalex",
                        Ids(openalex=r),
                        page.relpath,
                        page.sha256,
                    )
                    for r, page in _first_seen(refs).items()
                ]
        if Direction.FORWARD in wanted and seed_of:
            for batch in _batches(sorted(seed_of), OPENALEX_BATCH):
                self._openalex_citing(outcome, snapshot, batch, seed_of)
        return outcome

    def _openalex_citing(
        self,
        outcome: ServiceOutcome,
        snapshot: SourceSnapshot,
        cited: list[str],
        seed_of: Mapping[str, list[int]],
    ) -> None:
        """The works citing any of ``cited``, paged by cursor and checked against the count."""
        common = contact_params(self.settings, "openalex")
        base = {"filter": f"cites:{'|'.join(cited)}", "per_page": str(OPENALEX_PAGE), **common}
        listed: dict[str, tuple[Mapping[str, Any], Page, int]] = {}
        reported: int | None = None
        for paging in range(1, PAGINGS + 1):
            cursor: str | None = "*"
            seen_cursors: set[str] = set()
            this_paging: set[str] = set()  # a repeat is judged within one paging
            while cursor is not None:
                attempt = "" if paging == 1 else f"p{paging}"
                page, answer = self._fetch(
                    outcome,
                    snapshot,
                    "GET",
                    "works",
                    {**base, "cursor": cursor},
                    read_openalex,
                    attempt=attempt,
                )
                reported = int(answer["meta"].get("count") or 0)
                new = 0
                for position, work in enumerate(answer["results"], 1):
                    wid = openalex_id(work.get("id"))
                    if wid and wid not in this_paging:
                        this_paging.add(wid)
                        new += 1
                        listed.setdefault(wid, (work, page, position))
                following = answer["meta"].get("next_cursor")
                if len(listed) >= reported:
                    break
                if not answer["results"] or new == 0:
                    outcome.problems.append(
                        f"openalex: a page of the works citing {len(cited)} seeds held nothing "
                        "new; paging again"
                    )
                    break
                seen_cursors.add(cursor)
                if following and following in seen_cursors:
                    outcome.problems.append(
                        "openalex: paging came back to a cursor it had already followed; "
                        "paging again"
                    )
                    break
                cursor = str(following) if following else None
            if reported is not None and len(listed) >= reported:
                break
            if paging < PAGINGS:
                self._say(
                    f"openalex: {len(listed)} of {reported} citing works listed; paging again"
                )
        verdict = assess(reported=reported, stored_ids=frozenset(listed), listed=None)
        if verdict.missing:
            outcome.missing += verdict.missing
            outcome.reasons.append(
                f"openalex counted {reported} works citing {len(cited)} seeds but listed "
                f"{len(listed)} after {PAGINGS} pagings"
            )
        wanted = set(cited)
        for wid, (work, page, position) in listed.items():
            record = openalex_record(work, _provenance(self.stage, self.run_id, page, position))
            ids = openalex_ids(work)
            outcome.described.append(Described(ids, record, "openalex"))
            cites = {openalex_id(r) for r in work.get("referenced_works") or []} & wanted
            if not cites:
                outcome.problems.append(
                    f"openalex listed {wid} as citing the seeds but its references name none"
                )
            for target in sorted(cites):
                for seed in seed_of[target]:
                    outcome.links.append(
                        Link(seed, Direction.FORWARD, "openalex", ids, page.relpath, page.sha256)
                    )


# --- readers ------------------------------------------------------------------------------------


def read_opencitations(page: Page) -> list[Mapping[str, Any]]:
    value = _json(page, "OpenCitations")
    if not isinstance(value, list):
        raise NotData("OpenCitations answered JSON that is not a list of citations")
    for row in value:
        if not isinstance(row, dict) or "citing" not in row or "cited" not in row:
            raise NotData("OpenCitations answered a list whose entries are not citations")
    return value


def read_crossref_list(page: Page) -> list[Mapping[str, Any]]:
    value = _json(page, "Crossref")
    message = value.get("message") if isinstance(value, dict) else None
    if not isinstance(value, dict) or value.get("status") != "ok" or not isinstance(message, dict):
        raise NotData(f"Crossref answered without data: {str(value)[:120]}")
    items = message.get("items")
    if not isinstance(items, list):
        raise NotData("Crossref answered a work list without items")
    return [i for i in items if isinstance(i, dict)]


def read_crossref_work(page: Page) -> Mapping[str, Any]:
    value = _json(page, "Crossref")
    message = value.get("message") if isinstance(value, dict) else None
    if not isinstance(value, dict) or value.get("status") != "ok" or not isinstance(message, dict):
        raise NotData(f"Crossref answered without data: {str(value)[:120]}")
    return message


def read_openalex(page: Page) -> Mapping[str, Any]:
    value = _json(page, "OpenAlex")
    if not isinstance(value, dict) or "error" in value:
        detail = value.get("message") or value.get("error") if isinstance(value, dict) else ""
        raise NotData(f"OpenAlex answered without data: {detail or str(value)[:120]}")
    if not isinstance(value.get("meta"), dict) or not isinstance(value.get("results"), list):
        raise NotData("OpenAlex answered JSON without meta and results")
    return value


# --- resolving identifiers to records -----------------------------------------------------------


@dataclass
class Resolver:
    """Records for the identifiers that citation searching found: efetch for PMIDs, OpenAlex
    for OpenAlex ids (and DOIs, when OpenAlex is asked), Crossref for the DOIs left."""

    lookup: CitationLookup
    use_openalex: bool
    outcomes: dict[str, ServiceOutcome] = field(default_factory=dict)

    def _outcome(self, service: str) -> ServiceOutcome:
        return self.outcomes.setdefault(service, ServiceOutcome(service))

    def pubmed(self, pmids: Iterable[str]) -> list[Described]:
        wanted = sorted(set(pmids), key=int)
        if not wanted:
            return []
        lookup = self.lookup
        outcome = self._outcome("pubmed")
        search = pubmed.PubmedSearch(
            http=lookup.client("pubmed"),
            settings=lookup.settings,
            snapshot=lookup.folder("pubmed-records"),
            term="",
            progress=lookup.progress,
        )
        search.pmids = wanted
        found = []
        for record in search.fetch_records(lookup.run_id, lookup.stage):
            origin = record.provenance
            prov = citation_provenance(
                lookup.stage, lookup.run_id, origin.snapshot or "", origin.snapshot_sha256 or ""
            )
            hit = pubmed_record(record, prov)
            ids = Ids(doi=hit.doi, pmid=hit.pmid, pmcid=hit.pmcid)
            found.append(Described(ids, hit, "pubmed"))
        for old, new in search.aliases.items():
            outcome.problems.append(f"PMID {old} was merged into {new}")
        if search.missing:
            outcome.problems.append(
                f"efetch gave no record for {len(search.missing)} PMIDs "
                f"({', '.join(search.missing[:10])}); they are kept with their PMID only"
            )
        outcome.requests += search.requests
        return found

    def openalex(self, kind: str, values: Iterable[str]) -> list[Described]:
        wanted = sorted(set(values))
        if not wanted:
            return []
        outcome = self._outcome("openalex")
        snapshot = self.lookup.folder("openalex-records")
        works = self.lookup.openalex_works(outcome, snapshot, kind, wanted)
        return [
            Described(
                openalex_ids(w),
                openalex_record(w, _provenance(self.lookup.stage, self.lookup.run_id, p, n)),
                "openalex",
            )
            for w, p, n in works
        ]

    def crossref(self, dois: Iterable[str]) -> list[Described]:
        wanted = sorted(set(dois))
        if not wanted:
            return []
        outcome = self._outcome("crossref")
        snapshot = self.lookup.folder("crossref-records")
        items = self.lookup.crossref_works(outcome, snapshot, wanted, "records")
        found = []
        for item, page, position in items.values():
            record = crossref_record(
                item, _provenance(self.lookup.stage, self.lookup.run_id, page, position)
            )
            found.append(Described(Ids(doi=record.doi), record, "crossref"))
        return found


# --- hits: one per work found, whichever services named it --------------------------------------

#: Whose description of a work a hit's record takes: PubMed's (abstracts, MeSH) first.
PREFERENCE = ("pubmed", "openalex", "crossref", "reference")
_STRONG = ("doi", "pmid", "openalex")


@dataclass
class Hit:
    """One work citation searching found: every identifier the services gave for it, every link
    that led to it, and every description of it."""

    ids: Ids
    links: list[Link] = field(default_factory=list)
    described: list[Described] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.ids.key()

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted({link.service for link in self.links}))

    @property
    def resolved(self) -> bool:
        """Whether a service described the work (else only its identifiers are known)."""
        return any(d.service != "reference" for d in self.described)

    def record(self, stage: str, run_id: str) -> Record:
        """The hit as a record of the source ``citation_searching``: the best description's
        metadata with every identifier the services gave; identifiers alone when no service
        described it."""
        ranked = sorted(self.described, key=lambda d: PREFERENCE.index(d.service))
        extra = {
            "services": ", ".join(self.services),
            "directions": ", ".join(sorted({link.direction.value for link in self.links})),
            "described_by": ranked[0].service if ranked else "",
        }
        if ranked:
            base = ranked[0].record
        else:
            first = self.links[0]
            base = Record(citation_provenance(stage, run_id, first.snapshot, first.sha256))
        return replace(
            base,
            doi=base.doi or self.ids.doi,
            pmid=base.pmid or self.ids.pmid,
            pmcid=base.pmcid or self.ids.pmcid,
            source_id=self.key,
            extra={**base.extra, **{k: v for k, v in extra.items() if v}},
        )


def gather_hits(
    links: Iterable[Link], described: Iterable[Described]
) -> tuple[list[Hit], list[str]]:
    """The works found, one hit each: identifiers that any service gave together (a DOI and a
    PMID of one record) join their hits, unless that would give one hit two different DOIs,
    PMIDs or OpenAlex ids (the services disagree; the hits stay apart, and it is said).
    Returns the hits (in the order first met) and the disagreements."""
    parent: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    disagreements: list[str] = []

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def add(ids: Ids, who: str) -> None:
        keys = [f"{kind}:{value}" for kind, value in ids.pairs()]
        for key in keys:
            if key not in parent:
                parent[key] = key
                kind, value = key.split(":", 1)
                values[key] = {kind: value}
        base = find(keys[0])
        for key in keys[1:]:
            other = find(key)
            if other == base:
                continue
            mine, theirs = values[base], values[other]
            clash = [k for k in _STRONG if mine.get(k) and theirs.get(k) and mine[k] != theirs[k]]
            if clash:
                kind = clash[0]
                disagreements.append(
                    f"{who} says {keys[0]} is {key}, but another service says {key} is "
                    f"{kind}:{theirs[kind]}; the two are kept apart"
                )
                continue
            parent[other] = base
            values[base] = {**theirs, **mine}

    ordered = sorted(described, key=lambda d: PREFERENCE.index(d.service))
    links = list(links)
    for item in ordered:
        if item.ids.pairs():
            add(item.ids, item.service)
    for link in links:
        add(link.ids, link.service)
    hits: dict[str, Hit] = {}
    for link in links:
        root = find(link.ids.key())
        hits.setdefault(root, Hit(Ids())).links.append(link)
    for item in ordered:
        if item.ids.pairs():
            root = find(item.ids.key())
            if root in hits:  # a description of a work no link led to is not a hit
                hits[root].described.append(item)
    for root, hit in hits.items():
        found = values[root]
        hit.ids = Ids(
            doi=found.get("doi", ""),
            pmid=found.get("pmid", ""),
            openalex=found.get("openalex", ""),
            pmcid=found.get("pmcid", ""),
            reference=found.get("ref", ""),
        )
    return list(hits.values()), list(dict.fromkeys(disagreements))
