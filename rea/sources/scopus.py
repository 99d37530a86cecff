"""The Scopus Search API: cursor paging (``start`` offsets split by year when the cursor is
refused), COMPLETE view when the key is entitled, clear errors for every refusal."""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rea.config import Settings
from rea.errors import ConfigError, QuotaExceeded, SourceError, TransientSourceError
from rea.records import (
    AbstractSection,
    Author,
    Provenance,
    Record,
    normalize_doi,
    normalize_pages,
    parse_author,
)
from rea.sources.http import Http, HttpResponse, Sleep
from rea.sources.readers.common import issns
from rea.sources.snapshots import Page, SourceSnapshot

SOURCE = "scopus"
START_LIMIT = 5000
PAGE_SIZE = {"COMPLETE": 25, "STANDARD": 200}
#: Scopus allows 9 requests per second per key for the Search API.
RATE = 9.0

STANDARD_WARNING = (
    "THE SCOPUS KEY IS NOT ENTITLED TO THE COMPLETE VIEW: records were fetched in the STANDARD "
    "view and have NO ABSTRACTS and only the first author. Screening on titles only is weaker; "
    "run from your institution's network or set SCOPUS_INSTTOKEN, then search again."
)

Progress = Callable[[str], None]


class CursorRefused(SourceError):
    """The key may not use ``cursor`` paging (HTTP 403)."""


class ViewNotEntitled(SourceError):
    """The key may not ask for the COMPLETE view (HTTP 401)."""


def make_http(settings: Settings, *, sleep: Sleep = time.sleep) -> Http:
    if not settings.scopus_api_key:
        raise ConfigError(
            "SCOPUS_API_KEY is not set, so Scopus cannot be searched",
            hint="get a key at https://dev.elsevier.com and put it in the environment variable "
            "SCOPUS_API_KEY (and SCOPUS_INSTTOKEN off campus), or search PubMed only with "
            "--source pubmed",
        )
    headers = {"X-ELS-APIKey": settings.scopus_api_key, "Accept": "application/json"}
    if settings.scopus_insttoken:
        headers["X-ELS-Insttoken"] = settings.scopus_insttoken
    return Http(
        api="scopus",
        base_url=settings.scopus_url,
        rate=RATE,
        headers=headers,
        secrets=settings.secrets(),
        sleep=sleep,
    )


def parse_reset(value: str, *, now: float | None = None) -> datetime | None:
    """When a quota resets, from ``X-RateLimit-Reset``: epoch seconds, epoch milliseconds,
    seconds from now, or a date. None when the value cannot be read."""
    value = value.strip()
    if not value:
        return None
    current = time.time() if now is None else now
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number > 1e11:  # epoch milliseconds
            number /= 1000.0
        elif number < 1e9:  # a delay in seconds
            number += current
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _status_text(response: HttpResponse) -> str:
    try:
        body = json.loads(response.body)
    except ValueError:
        return " ".join(response.text(300).split())
    status = body.get("service-error", {}).get("status", {}) if isinstance(body, dict) else {}
    text = status.get("statusText") or (body.get("error") if isinstance(body, dict) else "")
    return str(text or response.text(300))


def check_scopus(response: HttpResponse) -> None:
    """Raise the error that a refusal means; leave 5xx and throttling 429s to the retries."""
    status = response.status
    text = _status_text(response) if status >= 400 else ""
    where = response.url
    if status == 429:
        if "QUOTA_EXCEEDED" in response.header("X-ELS-Status").upper():
            reset = parse_reset(response.header("X-RateLimit-Reset"))
            when = reset.strftime("%Y-%m-%d %H:%M UTC") if reset else "an unknown time"
            raise QuotaExceeded(
                f"the Scopus API key's weekly quota is spent; it resets at {when}",
                where=where,
                status=429,
                hint="rerun with --resume after the reset; stored pages are not fetched again",
            )
        return
    if status == 400:
        raise SourceError(
            f"Scopus rejected the request (400): {text}",
            where=where,
            status=400,
            hint="check the Scopus query syntax in the strategy",
        )
    if status == 401:
        if "view" in text.lower():
            raise ViewNotEntitled(text, where=where, status=401)
        raise SourceError(
            f"Scopus refused the API key (401): {text}",
            where=where,
            status=401,
            hint="check SCOPUS_API_KEY (and SCOPUS_INSTTOKEN); keys come from dev.elsevier.com",
        )
    if status == 403:
        if "cursor" in text.lower():
            raise CursorRefused(text, where=where, status=403)
        raise SourceError(
            f"Scopus denied access (403): {text}",
            where=where,
            status=403,
            hint="Scopus checks the institution's network: search from it, or set SCOPUS_INSTTOKEN",
        )
    if status in (413, 414):
        raise SourceError(
            f"the Scopus query is too long for the API ({status})",
            where=where,
            status=status,
            hint="split the stage's query into shorter blocks",
        )
    if 400 <= status < 500:
        raise SourceError(
            f"Scopus refused the request ({status}): {text}", where=where, status=status
        )
    if status == 200:
        try:
            body = json.loads(response.body)
        except ValueError:
            raise TransientSourceError(
                "Scopus answered with something that is not JSON", where=where
            ) from None
        if not isinstance(body, dict) or "search-results" not in body:
            raise TransientSourceError("Scopus answer has no search-results", where=where)


@dataclass(frozen=True)
class ScopusPage:
    total: int
    entries: list[dict[str, Any]]
    next_cursor: str | None


def read_page(page: Page) -> ScopusPage:
    results = json.loads(page.body)["search-results"]
    entries = [e for e in results.get("entry", []) if isinstance(e, dict) and "error" not in e]
    total = int(results.get("opensearch:totalResults") or 0)
    cursor = results.get("cursor") or {}
    following = cursor.get("@next") if isinstance(cursor, dict) else None
    return ScopusPage(total, entries, str(following) if following else None)


def _author(value: Mapping[str, Any]) -> Author:
    family = str(value.get("surname") or "")
    given = str(value.get("given-name") or value.get("initials") or "")
    if not family:
        parsed = parse_author(str(value.get("authname") or ""))
        return parsed or Author(family="")
    return Author(family=family.strip(), given=given.strip())


def entry_record(entry: Mapping[str, Any], provenance: Provenance) -> Record:
    authors: tuple[Author, ...] = tuple(
        _author(a) for a in entry.get("author") or [] if isinstance(a, dict)
    )
    if not authors and entry.get("dc:creator"):
        # "van der Berg J.": the surname may have several words, the initials come last
        creator = parse_author(str(entry["dc:creator"]))
        authors = (creator,) if creator else ()
    abstract = str(entry.get("dc:description") or "").strip()
    year_match = re.match(r"\d{4}", str(entry.get("prism:coverDate") or ""))
    keywords = tuple(
        k.strip() for k in str(entry.get("authkeywords") or "").split("|") if k.strip()
    )
    found = issns(*(str(entry[k]) for k in ("prism:issn", "prism:eIssn") if entry.get(k)))
    eid = str(entry.get("eid") or "")
    url = ""
    for link in entry.get("link") or []:
        if isinstance(link, dict) and link.get("@ref") == "scopus":
            url = str(link.get("@href") or "")
    subtype = str(entry.get("subtypeDescription") or "")
    return Record(
        provenance=provenance,
        title=" ".join(str(entry.get("dc:title") or "").split()),
        abstract=(AbstractSection(text=abstract),) if abstract else (),
        authors=authors,
        journal=str(entry.get("prism:publicationName") or ""),
        issn=found,
        year=int(year_match.group(0)) if year_match else None,
        volume=str(entry.get("prism:volume") or ""),
        issue=str(entry.get("prism:issueIdentifier") or ""),
        pages=normalize_pages(str(entry.get("prism:pageRange") or "")),
        language=str(entry.get("language") or ""),
        publication_types=(subtype,) if subtype else (),
        keywords=keywords,
        pmid=str(entry.get("pubmed-id") or ""),
        doi=normalize_doi(str(entry.get("prism:doi") or "")),
        eid=eid,
        source_id=eid,
        url=url,
    )


@dataclass
class ScopusSearch:
    """One Scopus search of one stage, run into one snapshot folder."""

    http: Http
    snapshot: SourceSnapshot
    query: str
    params: Mapping[str, str] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    view: str = "COMPLETE"
    progress: Progress | None = None
    warnings: list[str] = field(default_factory=list)
    reported_count: int | None = None
    pages: list[Page] = field(default_factory=list)
    paging: str = "cursor"

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self._say(f"WARNING: {message}")

    def _get(self, extra: Mapping[str, str]) -> Page:
        params = {"query": self.query, "view": self.view, "count": str(PAGE_SIZE[self.view])}
        params.update(self.params)
        params.update(extra)
        page = self.snapshot.fetch(self.http, "GET", "", params, check=check_scopus)
        self.pages.append(page)
        return page

    def _first(self, extra: Mapping[str, str]) -> Page:
        try:
            return self._get(extra)
        except ViewNotEntitled:
            if self.view != "COMPLETE":
                raise
            self.view = "STANDARD"
            self._warn(STANDARD_WARNING)
            return self._get(extra)

    def _years(self) -> list[int]:
        given = self.params.get("date", "")
        years = [int(y) for y in re.findall(r"\d{4}", given)]
        lo = years[0] if years else (self.date_from.year if self.date_from else 1960)
        hi = years[-1] if years else (self.date_to.year if self.date_to else date.today().year)
        return list(range(lo, hi + 1))

    def fetch_pages(self) -> Iterator[Page]:
        """Every page of the search, each stored before the next is asked for."""
        try:
            first = self._first({"cursor": "*"})
        except CursorRefused:
            self.paging = "start"
            self._say("scopus: cursor paging refused (403), using start offsets")
            yield from self._by_start()
            return
        yield from self._by_cursor(first)

    def _by_cursor(self, page: Page) -> Iterator[Page]:
        parsed = read_page(page)
        self.reported_count = parsed.total
        self._say(f"scopus: {parsed.total} records reported")
        fetched = len(parsed.entries)
        yield page
        current = "*"
        while fetched < parsed.total and parsed.entries and parsed.next_cursor:
            if parsed.next_cursor == current:
                break
            current = parsed.next_cursor
            page = self._get({"cursor": current})
            parsed = read_page(page)
            fetched += len(parsed.entries)
            self._say(f"scopus: fetched {fetched}/{self.reported_count}")
            yield page

    def _range(self, date_param: str | None) -> Iterator[Page]:
        extra = {"start": "0"}
        if date_param:
            extra["date"] = date_param
        page = self._first(extra)
        parsed = read_page(page)
        total = parsed.total
        yield page
        fetched = len(parsed.entries)
        if total > START_LIMIT:
            self._warn(
                f"{total} Scopus records in {date_param or 'the search'}; start offsets reach "
                f"only the first {START_LIMIT}"
            )
        limit = min(total, START_LIMIT)
        while fetched < limit and parsed.entries:
            count = min(PAGE_SIZE[self.view], START_LIMIT - fetched)
            extra = {"start": str(fetched), "count": str(count)}
            if date_param:
                extra["date"] = date_param
            page = self._get(extra)
            parsed = read_page(page)
            fetched += len(parsed.entries)
            yield page

    def _by_start(self) -> Iterator[Page]:
        probe = self._first({"start": "0", "count": "1"})
        total = read_page(probe).total
        self.reported_count = total
        self._say(f"scopus: {total} records reported")
        if total <= START_LIMIT:
            yield from self._range(self.params.get("date"))
            return
        self._say(f"scopus: more than {START_LIMIT} records, splitting by year")
        for year in self._years():
            yield from self._range(str(year))

    def records(self, pages: list[Page], run_id: str, stage: str) -> Iterator[Record]:
        seen: set[str] = set()
        for page in pages:
            position = 0
            for entry in read_page(page).entries:
                position += 1
                provenance = Provenance(
                    source=SOURCE,
                    stage=stage,
                    run_id=run_id,
                    snapshot=page.relpath,
                    snapshot_sha256=page.sha256,
                    position=position,
                )
                record = entry_record(entry, provenance)
                key = record.eid or f"{page.key}:{position}"
                if key in seen:
                    continue
                seen.add(key)
                yield record
