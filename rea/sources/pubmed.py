"""PubMed through NCBI E-utilities: esearch (split by date past 9,999 hits), then efetch XML.

Every response goes through a :class:`~rea.sources.snapshots.SourceSnapshot`, so it is stored
byte for byte before the next request and found again on ``--resume``.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from Bio import Entrez

from rea.config import Settings
from rea.errors import BlockedError, ConfigError, SourceError, TransientSourceError
from rea.records import Provenance, Record
from rea.sources.http import Http, HttpResponse, Sleep
from rea.sources.pubmed_xml import parse_articles
from rea.sources.snapshots import Page, SourceSnapshot

SOURCE = "pubmed"
#: esearch never returns an id past this position of a result set.
ESEARCH_CAP = 9_999
BATCH_SIZE = 200
REFETCH_ROUNDS = 3
EARLIEST = date(1781, 1, 1)

_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)

Progress = Callable[[str], None]

BLOCKED_HINT = (
    "NCBI answered with a web page instead of data, which it does when an address sends too many "
    "requests or looks automated. Wait an hour, set NCBI_API_KEY (and NCBI_EMAIL), then rerun "
    "with --resume; if it persists, write to eutilities@ncbi.nlm.nih.gov."
)


def make_http(settings: Settings, *, sleep: Sleep = time.sleep) -> Http:
    """The E-utilities client: 3 requests/s, 10 with an API key, one throttle for all NCBI."""
    rate = 10.0 if settings.ncbi_api_key else 3.0
    return Http(
        api="ncbi",
        base_url=settings.pubmed_url,
        rate=rate,
        secrets=settings.secrets(),
        sleep=sleep,
    )


def common_params(settings: Settings) -> dict[str, str]:
    """``tool`` and ``email`` on every call (NCBI's policy), and the key when there is one."""
    params = {"tool": settings.ncbi_tool}
    if settings.ncbi_email:
        params["email"] = settings.ncbi_email
    if settings.ncbi_api_key:
        params["api_key"] = settings.ncbi_api_key
    return params


def check_eutils(response: HttpResponse) -> None:
    """Tell data from the ways E-utilities fails (raise) — called before anything is stored.

    429 and 5xx are left to :class:`~rea.sources.http.Http`, which retries them.
    """
    if response.status == 429 or response.status >= 500:
        return
    head = response.body[:4096].lstrip().lower()
    if "html" in response.header("Content-Type").lower() or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        raise BlockedError(
            f"NCBI returned an HTML page (HTTP {response.status}), not data",
            where=response.url,
            hint=BLOCKED_HINT,
            status=response.status,
        )
    if 400 <= response.status < 500 and response.status != 429:
        detail = _error_detail(response.body)
        raise SourceError(
            f"PubMed refused the request (HTTP {response.status}){': ' + detail if detail else ''}",
            where=response.url,
            hint="check the query text and the parameters; this is not retried",
            status=response.status,
        )
    match = _ERROR.search(response.body)
    if match:
        message = match.group(1).decode("utf-8", errors="replace").strip()
        raise TransientSourceError(
            f"E-utilities answered an error instead of data: {message}", where=response.url
        )


def _error_detail(body: bytes) -> str:
    match = _ERROR.search(body) or re.search(rb'"error"\s*:\s*"([^"]*)"', body)
    text = match.group(1) if match else body[:300]
    return " ".join(text.decode("utf-8", errors="replace").split())[:300]


def check_articles(response: HttpResponse) -> None:
    check_eutils(response)
    if response.status != 200:
        return
    tail = response.body.rstrip()[-64:]
    if not (tail.endswith(b"</PubmedArticleSet>") or tail.endswith(b"<PubmedArticleSet/>")):
        raise TransientSourceError("efetch answer is cut short", where=response.url)


@dataclass(frozen=True)
class SearchCount:
    count: int
    ids: list[str]


def _read_esearch(page: Page) -> SearchCount:
    try:
        parsed = Entrez.read(io.BytesIO(page.body))  # type: ignore[no-untyped-call]
    except Exception as exc:  # Bio.Entrez raises several types for bad XML
        raise SourceError(f"cannot read the esearch answer: {exc}", where=page.relpath) from exc
    return SearchCount(count=int(parsed["Count"]), ids=[str(i) for i in parsed["IdList"]])


def _fmt(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def _parse_date(value: str, *, end: bool) -> date:
    parts = [int(p) for p in re.findall(r"\d+", value)]
    if not parts:
        raise ConfigError(f"cannot read the date {value!r}")
    year = parts[0]
    if len(parts) == 1:
        return date(year, 12, 31) if end else date(year, 1, 1)
    month = parts[1]
    if len(parts) == 2:
        if not end:
            return date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(year, month, parts[2])


@dataclass
class PubmedSearch:
    """One PubMed search of one stage, run into one snapshot folder."""

    http: Http
    settings: Settings
    snapshot: SourceSnapshot
    term: str
    params: Mapping[str, str] = field(default_factory=dict)  # from the rendered query
    date_from: date | None = None
    date_to: date | None = None
    batch_size: int = BATCH_SIZE
    progress: Progress | None = None
    warnings: list[str] = field(default_factory=list)
    reported_count: int | None = None
    pmids: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def _say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self._say(f"warning: {message}")

    def _esearch(self, retmax: int, lo: date | None, hi: date | None) -> SearchCount:
        params = {"db": "pubmed", "term": self.term, "retmax": str(retmax), "retstart": "0"}
        params.update({k: v for k, v in self.params.items() if k not in ("mindate", "maxdate")})
        if lo is not None and hi is not None:
            params.update(mindate=_fmt(lo), maxdate=_fmt(hi))
            params.setdefault("datetype", "pdat")
        params.update(common_params(self.settings))
        page = self.snapshot.fetch(self.http, "POST", "esearch.fcgi", params, check=check_eutils)
        return _read_esearch(page)

    def _range(self) -> tuple[date | None, date | None]:
        lo = self.date_from
        hi = self.date_to
        if "mindate" in self.params:
            lo = _parse_date(self.params["mindate"], end=False)
        if "maxdate" in self.params:
            hi = _parse_date(self.params["maxdate"], end=True)
        return lo, hi

    def _collect(self, lo: date, hi: date) -> list[str]:
        counted = self._esearch(0, lo, hi)
        if counted.count == 0:
            return []
        if counted.count < ESEARCH_CAP:
            return self._esearch(ESEARCH_CAP, lo, hi).ids
        if lo >= hi:
            self._warn(
                f"{counted.count} records carry the single publication date {_fmt(lo)}; only "
                f"the first {ESEARCH_CAP} can be retrieved"
            )
            return self._esearch(ESEARCH_CAP, lo, hi).ids
        middle = lo + (hi - lo) // 2
        self._say(f"pubmed: {counted.count} hits in {_fmt(lo)}-{_fmt(hi)}, splitting by date")
        return self._collect(lo, middle) + self._collect(middle + timedelta(days=1), hi)

    def search_ids(self) -> list[str]:
        """The PMIDs of the search: esearch Count first, date slices when it reaches the cap."""
        lo, hi = self._range()
        first = self._esearch(0, lo, hi)
        self.reported_count = first.count
        self._say(f"pubmed: esearch reports {first.count} records")
        if first.count == 0:
            ids: list[str] = []
        elif first.count < ESEARCH_CAP:
            ids = self._esearch(ESEARCH_CAP, lo, hi).ids
        else:
            ids = self._collect(lo or EARLIEST, hi or date.today() + timedelta(days=366))
        unique = list(dict.fromkeys(ids))
        if len(unique) != first.count:
            self._warn(
                f"PubMed reported {first.count} records but the search returned {len(unique)} "
                "distinct PMIDs (the database changed during the search, or records lack a "
                "publication date in range)"
            )
        self.pmids = unique
        self.snapshot.write_extra("pmids.txt", ("\n".join(unique) + "\n").encode("ascii"))
        return unique

    def _efetch(self, ids: list[str]) -> Page:
        params = {"db": "pubmed", "retmode": "xml", "id": ",".join(ids)}
        params.update(common_params(self.settings))
        return self.snapshot.fetch(self.http, "POST", "efetch.fcgi", params, check=check_articles)

    def fetch_records(self, run_id: str, stage: str) -> Iterator[Record]:
        """Records of every PMID, batch by batch; a batch that comes back short is refetched."""
        done = 0
        for start in range(0, len(self.pmids), self.batch_size):
            wanted = self.pmids[start : start + self.batch_size]
            for round_ in range(REFETCH_ROUNDS + 1):
                page = self._efetch(wanted)
                got: set[str] = set()
                for record in self._records(page, run_id, stage):
                    if record.pmid in got:
                        continue
                    got.add(record.pmid)
                    yield record
                done += len(got & set(wanted))
                missing = [p for p in wanted if p not in got]
                if not missing:
                    break
                if round_ == REFETCH_ROUNDS:
                    self.missing.extend(missing)
                    self._warn(
                        f"efetch never returned {len(missing)} PMIDs: {', '.join(missing[:20])}"
                    )
                    break
                self._say(f"pubmed: {len(missing)} PMIDs missing from a batch, asking again")
                wanted = missing
            self._say(f"pubmed: fetched {done}/{len(self.pmids)}")

    def _records(self, page: Page, run_id: str, stage: str) -> Iterator[Record]:
        provenance = Provenance(
            source=SOURCE,
            stage=stage,
            run_id=run_id,
            snapshot=page.relpath,
            snapshot_sha256=page.sha256,
        )
        yield from parse_articles(page.body, provenance, where=page.relpath)
