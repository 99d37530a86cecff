"""The Scopus Search API: cursor paging (``start`` offsets, sliced, when the cursor is refused),
COMPLETE view when the key is entitled, clear errors for every refusal, and a search that proves
it is complete.

Every page is read (parsed whole) before it is stored; an answer that is not data is retried and
never kept. What is checked, and what is done about it:

- **Cursor paging** counts distinct EIDs, not entries. A page that comes back empty before the
  end, a page identical to the one before, a ``@next`` that repeats the current or an earlier
  cursor, a page of records already seen, or a missing ``@next`` before the end is asked again
  (a new request), and when it stays wrong the paging restarts from ``cursor=*``. A cursor that
  the service no longer accepts (it expires, e.g. when a run is resumed later) restarts the
  paging too. At the end the distinct EIDs are compared with ``opensearch:totalResults``.
- **Start offsets** (when the cursor is refused) cannot pass 5,000: a larger search is cut by
  publication year, and a year above 5,000 is cut further by query, each cut a predicate and its
  negation (``AND DOCTYPE(ar)`` / ``AND NOT DOCTYPE(ar)``…), checked to add up to the year's
  count. Records shifting between pages while the database changes (a record seen twice, a count
  that moves) make the slice be paged again.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from rea.config import Settings
from rea.errors import (
    ConfigError,
    NotData,
    QuotaExceeded,
    SourceError,
)
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
from rea.sources.ratelimit import LIMITS
from rea.sources.readers.common import issns
from rea.sources.snapshots import Fetched, Page, SourceSnapshot

SOURCE = "scopus"
START_LIMIT = 5000
PAGE_SIZE = {"COMPLETE": 25, "STANDARD": 200}
#: pagings of one search (or one slice) before its shortfall is reported
MAX_PASSES = 3
#: a page that looks wrong is asked again this many times before the paging restarts
PAGE_RETRIES = 2
#: predicates that cut a start-offset slice above 5,000 in two (the predicate and its negation)
SPLIT_PREDICATES = (
    "DOCTYPE(ar)",
    "DOCTYPE(re)",
    "DOCTYPE(cp)",
    "SRCTYPE(j)",
    "LANGUAGE(english)",
    "OPENACCESS(1)",
    "SUBJAREA(MEDI)",
    "SUBJAREA(SOCI)",
    "SUBJAREA(NURS)",
    "SUBJAREA(HEAL)",
)

STANDARD_WARNING = (
    "THE SCOPUS KEY IS NOT ENTITLED TO THE COMPLETE VIEW: records were fetched in the STANDARD "
    "view and have NO ABSTRACTS and only the first author. Screening on titles only is weaker; "
    "run from your institution's network or set SCOPUS_INSTTOKEN, then search again."
)
STANDARD_WARNING_WITH_TOKEN = (
    "THE SCOPUS KEY AND INSTITUTION TOKEN ARE NOT ENTITLED TO THE COMPLETE VIEW: records were "
    "fetched in the STANDARD view and have NO ABSTRACTS and only the first author. Screening on "
    "titles only is weaker; SCOPUS_INSTTOKEN is set, so ask your library (or Elsevier's API "
    "support) to enable the COMPLETE view for the key and token, then search again."
)

Progress = Callable[[str], None]


class CursorRefused(SourceError):
    """The key may not use ``cursor`` paging (HTTP 403)."""


class ViewNotEntitled(SourceError):
    """The key may not ask for the COMPLETE view (HTTP 401)."""


class StaleCursor(SourceError):
    """A ``cursor`` from an earlier page is no longer accepted."""


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
        rate=LIMITS["scopus"].rate(),
        headers=headers,
        secrets=settings.secrets(),
        sleep=sleep,
        state_dir=settings.state_dir,
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
    if not isinstance(body, dict):
        return " ".join(response.text(300).split())
    error = body.get("service-error")
    status = error.get("status") if isinstance(error, dict) else None
    text = status.get("statusText") if isinstance(status, dict) else None
    return str(text or body.get("error") or " ".join(response.text(300).split()))


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
    if 400 <= status < 500:
        raise SourceError(
            f"Scopus refused the request ({status}): {text}", where=where, status=status
        )
    if status < 300 and response.body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        raise NotData(f"Scopus answered an HTML page, not data (HTTP {status})")


@dataclass(frozen=True)
class ScopusPage:
    total: int
    entries: list[dict[str, Any]]
    next_cursor: str | None


def entry_id(entry: Mapping[str, Any]) -> str:
    """The entry's EID (``2-s2.0-…``), from ``eid`` or else ``dc:identifier``; '' if neither."""
    eid = str(entry.get("eid") or "").strip()
    if eid:
        return eid
    ident = str(entry.get("dc:identifier") or "")
    match = re.fullmatch(r"SCOPUS_ID:(\d+)", ident.strip())
    return f"2-s2.0-{match.group(1)}" if match else ""


def read_body(body: bytes) -> ScopusPage:
    """A Search API JSON answer, checked to be one; :class:`NotData` otherwise."""
    stripped = body.removeprefix(b"\xef\xbb\xbf").strip()
    if not stripped:
        raise NotData("Scopus answered an empty body")
    try:
        value = json.loads(stripped)
    except ValueError:
        text = " ".join(stripped[:80].decode("utf-8", errors="replace").split())
        kind = "XML" if stripped[:1] == b"<" else "something"
        raise NotData(f"Scopus answered {kind} that is not JSON (begins {text!r})") from None
    results = value.get("search-results") if isinstance(value, dict) else None
    if not isinstance(results, dict):
        error = value.get("service-error") if isinstance(value, dict) else None
        status = error.get("status") if isinstance(error, dict) else None
        if isinstance(status, dict):
            said = status.get("statusText") or status.get("statusCode") or ""
            raise NotData(f"Scopus answered an error instead of data: {said}")
        raise NotData("Scopus answer has no search-results")
    raw_total = results.get("opensearch:totalResults")
    try:
        total = int(str(raw_total).strip())
    except ValueError:
        raise NotData(f"Scopus answer has no readable totalResults ({raw_total!r})") from None
    raw_entries = results.get("entry", [])
    if not isinstance(raw_entries, list):
        raise NotData("Scopus answer's entry is not a list")
    entries = [e for e in raw_entries if isinstance(e, dict) and "error" not in e]
    cursor = results.get("cursor") or {}
    following = cursor.get("@next") if isinstance(cursor, dict) else None
    return ScopusPage(total, entries, str(following) if following else None)


def read_page(page: Page) -> ScopusPage:
    return read_body(page.body)


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
class Found:
    """One entry kept: the first page it was seen on, and its position there."""

    entry: dict[str, Any]
    page: Page
    position: int


@dataclass
class PassResult:
    total: int
    found: dict[str, Found]
    clean: bool  # paged to the end, nothing odd, as many distinct EIDs as reported
    finished: bool  # paged to the end


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
    insttoken_set: bool = False
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reported_count: int | None = None
    paging: str = "cursor"
    passes: int = 0
    requests: int = 0
    found: dict[str, Found] = field(default_factory=dict)
    unidentified: int = 0  # entries without an EID
    _totals: set[int] = field(default_factory=set)  # the counts seen while paging

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self._say(f"WARNING: {message}")

    def _problem(self, message: str) -> None:
        self.problems.append(message)
        self._say(f"scopus: {message}")

    def _get(self, extra: Mapping[str, str], attempt: str = "") -> Fetched[ScopusPage]:
        params = {"query": self.query, "view": self.view, "count": str(PAGE_SIZE[self.view])}
        params.update(self.params)
        params.update(extra)
        try:
            fetched = self.snapshot.fetch(
                self.http, "GET", "", params, check=check_scopus, read=read_page, attempt=attempt
            )
        except (QuotaExceeded, ViewNotEntitled, CursorRefused):
            raise
        except SourceError as exc:
            cursor = params.get("cursor")
            if cursor and cursor != "*" and exc.status in (400, 404, 410):
                raise StaleCursor(exc.what, where=exc.where, status=exc.status) from exc
            raise
        self.requests += 1
        return fetched

    def _first(self, extra: Mapping[str, str], attempt: str = "") -> Fetched[ScopusPage]:
        try:
            return self._get(extra, attempt)
        except ViewNotEntitled:
            if self.view != "COMPLETE":
                raise
            self.view = "STANDARD"
            self._warn(STANDARD_WARNING_WITH_TOKEN if self.insttoken_set else STANDARD_WARNING)
            return self._get(extra, attempt)

    def _years(self) -> list[int]:
        given = self.params.get("date", "")
        years = [int(y) for y in re.findall(r"\d{4}", given)]
        lo = years[0] if years else (self.date_from.year if self.date_from else 1960)
        hi = years[-1] if years else (self.date_to.year if self.date_to else date.today().year)
        return list(range(lo, hi + 1))

    @staticmethod
    def _keep(found: dict[str, Found], fetched: Fetched[ScopusPage]) -> tuple[int, int]:
        """Add a page's entries to ``found``; returns (new distinct EIDs, entries without one)."""
        new = unidentified = 0
        for position, entry in enumerate(fetched.value.entries, start=1):
            eid = entry_id(entry)
            if not eid:
                unidentified += 1
                continue
            if eid not in found:
                found[eid] = Found(entry, fetched.page, position)
                new += 1
        return new, unidentified

    # --- the whole search ----------------------------------------------------------------
    def run(self) -> None:
        """Page through the search until it is proven complete or the passes are spent."""
        try:
            self._by_cursor(self._first({"cursor": "*"}))
        except CursorRefused:  # on the first page, or later: start offsets from the beginning
            self.paging = "start"
            self._say("scopus: cursor paging refused (403), using start offsets")
            self._by_start()

    def _confirm_zero(
        self, first: Fetched[ScopusPage], extra: Mapping[str, str]
    ) -> Fetched[ScopusPage]:
        """No hits is asked twice: a backend that answers 0 for a moment must not pass for a
        search that found nothing."""
        if first.value.total != 0:
            return first
        again = self._first(extra, "zero")
        if again.value.total:
            self._problem(f"Scopus counted 0 records, then {again.value.total}")
        return again

    def _by_cursor(self, first: Fetched[ScopusPage]) -> None:
        first = self._confirm_zero(first, {"cursor": "*"})
        union: dict[str, Found] = {}
        chosen: dict[str, Found] | None = None
        self._totals = set()
        for number in range(1, MAX_PASSES + 1):
            self.passes = number
            result = self._cursor_pass(number, first if number == 1 else None)
            for eid, item in result.found.items():
                union.setdefault(eid, item)
            self.reported_count = result.total
            if result.clean:
                chosen = result.found
                break
            if len(self._totals) == 1 and len(union) == result.total:
                # pagings that failed in different places, on a database that did not change:
                # together they hold every record (while it changes, only a clean paging can
                # tell a record missed from one deleted)
                chosen = union
                break
            if number < MAX_PASSES:
                self._problem(
                    f"paging gave {len(result.found)} distinct EIDs of {result.total}; "
                    "restarting from the first page"
                )
        self._settle(union, chosen)

    def _settle(self, union: dict[str, Found], chosen: dict[str, Found] | None) -> None:
        if chosen is None:
            chosen = union
        elif len(chosen) < len(union):
            self._problem(
                f"{len(union) - len(chosen)} records seen in an earlier paging are no longer in "
                "the result set and are not kept"
            )
        self.found = chosen
        if self.reported_count is not None and len(self.found) != self.reported_count:
            self._warn(
                f"Scopus reported {self.reported_count} records but paging gave "
                f"{len(self.found)} distinct EIDs"
            )

    def _cursor_pass(self, number: int, first: Fetched[ScopusPage] | None) -> PassResult:
        base = "" if number == 1 else f"p{number}"
        found: dict[str, Found] = {}
        cursor = "*"
        seen_cursors = {"*"}
        previous: list[str] | None = None
        total: int | None = None
        clean = True
        pages = 0
        while True:
            fetched: Fetched[ScopusPage] | None = first if cursor == "*" else None
            for retry in range(PAGE_RETRIES + 1):
                attempt = base if retry == 0 else f"{base}r{retry}"
                if fetched is None:
                    try:
                        fetched = (
                            self._first({"cursor": cursor}, attempt)
                            if cursor == "*"
                            else self._get({"cursor": cursor}, attempt)
                        )
                    except StaleCursor as exc:
                        self._problem(
                            f"the cursor of page {pages + 1} is no longer accepted ({exc.what}); "
                            "paging restarts from the first page"
                        )
                        return PassResult(total or 0, found, False, False)
                page = fetched.value
                self._totals.add(page.total)
                if total is None and cursor == "*":
                    self._say(f"scopus: {page.total} records reported")
                odd = self._odd_page(page, found, previous, cursor, seen_cursors)
                if odd is None:
                    break
                self._problem(f"{odd} (page {pages + 1}); asking again")
                fetched = None
            else:
                self._problem(f"{odd} again; abandoning this paging")
                return PassResult(page.total, found, False, False)
            pages += 1
            if total is not None and page.total != total:
                self._problem(
                    f"the count moved from {total} to {page.total} while paging (the database "
                    "changed)"
                )
                clean = False
            total = page.total
            _, unidentified = self._keep(found, fetched)
            self.unidentified += unidentified
            self._say(f"scopus: fetched {len(found)}/{total}")
            previous = [entry_id(e) for e in page.entries]
            if len(found) >= total:
                return PassResult(total, found, clean and len(found) == total, True)
            if pages > math.ceil(total / PAGE_SIZE[self.view]) + 5:
                self._problem("paging does not end; abandoning it")
                return PassResult(total, found, False, False)
            assert page.next_cursor is not None  # checked by _odd_page
            cursor = page.next_cursor
            seen_cursors.add(cursor)

    @staticmethod
    def _odd_page(
        page: ScopusPage,
        found: dict[str, Found],
        previous: list[str] | None,
        cursor: str,
        seen: set[str],
    ) -> str | None:
        """What is wrong with a page in the middle of cursor paging, or None."""
        ids = [entry_id(e) for e in page.entries]
        distinct = {i for i in ids if i}
        before = len(found)
        after = len(set(found) | distinct)
        if after >= page.total:
            return None  # the last page: nothing follows it
        if not page.entries:
            return "an empty page before the end of the result set"
        if previous is not None and ids == previous:
            return "the same page as the one before"
        if after == before:
            return "a page of records already seen"
        if not page.next_cursor:
            return "no cursor to the next page before the end of the result set"
        if page.next_cursor == cursor:
            return "the next cursor is the current one (stuck)"
        if page.next_cursor in seen:
            return "the next cursor is an earlier one (repeating)"
        return None

    # --- start offsets -------------------------------------------------------------------
    def _by_start(self) -> None:
        date_param = self.params.get("date")
        extra = {"start": "0"}
        if date_param:
            extra["date"] = date_param
        first = self._confirm_zero(self._first(extra), extra)
        total = first.value.total
        self.reported_count = total
        self._say(f"scopus: {total} records reported")
        union: dict[str, Found] = {}
        if total <= START_LIMIT:
            union.update(self._start_slice(date_param, "", first))
        else:
            self._say(f"scopus: more than {START_LIMIT} records, cutting by year")
            parts = 0
            for year in self._years():
                head = self._first({"start": "0", "date": str(year)})
                parts += head.value.total
                union.update(
                    {
                        k: v
                        for k, v in self._start_split(str(year), "", head).items()
                        if k not in union
                    }
                )
            if parts != total:
                self._problem(f"the years hold {parts} records, the search {total}")
        if len(union) != total:
            recount = self._first(extra | {"count": "1"}, "recount").value.total
            if recount != total:
                self._problem(f"the count moved from {total} to {recount} during the search")
            self.reported_count = recount
        self._settle(union, None)

    def _start_split(
        self, date_param: str, query: str, head: Fetched[ScopusPage], depth: int = 0
    ) -> dict[str, Found]:
        """All records of one slice (a year, perhaps narrowed by predicates), cutting it in two
        by the next predicate while it is above the 5,000 that start offsets reach."""
        total = head.value.total
        if total <= START_LIMIT:
            return self._start_slice(date_param, query, head)
        if depth >= len(SPLIT_PREDICATES):
            self._problem(
                f"{total} records in {date_param} ({query or 'the whole query'}) cannot be cut "
                f"below {START_LIMIT}; only the first {START_LIMIT} are reachable"
            )
            return self._start_slice(date_param, query, head)
        predicate = SPLIT_PREDICATES[depth]
        inner = query or self.query
        with_it = f"({inner}) AND {predicate}"
        without = f"({inner}) AND NOT {predicate}"
        try:
            heads = [
                self._first_query(with_it, date_param),
                self._first_query(without, date_param),
            ]
        except SourceError as exc:
            if exc.status != 400:
                raise
            self._problem(f"Scopus refused the cut {predicate} ({exc.what}); trying the next")
            return self._start_split(date_param, query, head, depth + 1)
        parts = sum(h.value.total for h in heads)
        if parts != total or total in (h.value.total for h in heads):
            # not a partition, or one that cuts nothing off: the next predicate, same slice
            if parts != total:
                self._problem(
                    f"{predicate} and its negation hold {parts} records, the slice {total}: "
                    "they do not partition it"
                )
            return self._start_split(date_param, query, head, depth + 1)
        found: dict[str, Found] = {}
        for narrowed, sub in zip((with_it, without), heads, strict=True):
            for eid, item in self._start_split(date_param, narrowed, sub, depth + 1).items():
                found.setdefault(eid, item)
        return found

    def _first_query(self, query: str, date_param: str) -> Fetched[ScopusPage]:
        return self._first({"start": "0", "date": date_param, "query": query})

    def _start_slice(
        self, date_param: str | None, query: str, head: Fetched[ScopusPage]
    ) -> dict[str, Found]:
        """One slice paged by start offsets, paged again while records shift under it."""
        union: dict[str, Found] = {}
        totals: set[int] = set()
        for number in range(1, MAX_PASSES + 1):
            found, total, clean, seen = self._start_pass(date_param, query, head, number)
            totals |= seen
            for eid, item in found.items():
                union.setdefault(eid, item)
            if clean:
                return found
            if len(totals) == 1 and len(union) == total:  # see _by_cursor
                return union
            if number < MAX_PASSES:
                self._problem(
                    f"records shifted while paging {date_param or 'the search'}; paging it again"
                )
                head = self._slice_get(date_param, query, 0, f"s{number + 1}")
        return union

    def _slice_get(
        self, date_param: str | None, query: str, start: int, attempt: str
    ) -> Fetched[ScopusPage]:
        extra = {"start": str(start)}
        if date_param:
            extra["date"] = date_param
        if query:
            extra["query"] = query
        if start:
            extra["count"] = str(min(PAGE_SIZE[self.view], START_LIMIT - start))
        return self._get(extra, attempt)

    def _start_pass(
        self, date_param: str | None, query: str, head: Fetched[ScopusPage], number: int
    ) -> tuple[dict[str, Found], int, bool, set[int]]:
        attempt = "" if number == 1 else f"s{number}"
        found: dict[str, Found] = {}
        total = head.value.total
        totals = {total}
        limit = min(total, START_LIMIT)
        clean = total <= START_LIMIT
        fetched = head
        offset = 0
        while True:
            page = fetched.value
            totals.add(page.total)
            if page.total != total:
                clean = False
                total = page.total
                limit = min(total, START_LIMIT)
            new, unidentified = self._keep(found, fetched)
            self.unidentified += unidentified
            if new < len(page.entries) - unidentified:
                clean = False  # a record seen on an earlier page: the records shifted
            offset += len(page.entries)
            if offset >= limit or not page.entries:
                break
            fetched = self._slice_get(date_param, query, offset, attempt)
        if len(found) != total:
            clean = False
        return found, total, clean, totals

    def records(self, run_id: str, stage: str) -> list[Record]:
        """The kept records, each once, in the order they were first seen."""
        kept = []
        for item in self.found.values():
            provenance = Provenance(
                source=SOURCE,
                stage=stage,
                run_id=run_id,
                snapshot=item.page.relpath,
                snapshot_sha256=item.page.sha256,
                position=item.position,
            )
            record = entry_record(item.entry, provenance)
            if not record.eid:
                record = _with_eid(record, entry_id(item.entry))
            kept.append(record)
        return kept


def _with_eid(record: Record, eid: str) -> Record:
    return replace(record, eid=eid, source_id=eid)
