"""A loopback server that answers E-utilities and Scopus Search API requests from recordings.

The directory format is documented in ``docs/sources.md`` ("Replay recordings"). The server
binds ``127.0.0.1`` only. Faults are injected on demand, from ``faults.json`` or
:meth:`ReplayServer.add_fault`, in kinds that are not tied to one service where the failure is
not: refusals and throttling (429, 5xx, 400, 413/414), answers that are not data (an empty 200, a
truncated body, plain text, JSON where XML was asked, HTML, a document that does not parse),
transport failures (a dropped connection, a connection cut mid-answer, a slow or trickling
answer), answers that hold the wrong records (a record not asked for, one twice, a batch short or
empty, a character XML forbids), Scopus paging faults (a stuck or repeating cursor, an empty or
repeated page, an expired cursor) and a database that changes while it is searched (ids added,
entries inserted at the front or removed). The server can also enforce a request rate, answering
429 past it and counting what it refused. A request that no recording answers gets a 404 whose
body says so, and a log line on stderr.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from rea.config import SECRET_NAMES, redact_params
from rea.errors import ConfigError, Location
from rea.sources.pubmed_xml import split_articles
from rea.sources.replay_scholarly import REPEATED, SERVICES, ScholarlyGraph

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
IGNORED_PARAMS = frozenset({"tool", "email", *SECRET_NAMES})
SCOPUS_START_LIMIT = 5000
ESEARCH_CAP = 9999
#: fault kinds, by what they do (documented in docs/sources.md)
FAULT_KINDS = frozenset(
    {
        # refusals and throttling
        "http_429",
        "http_500",
        "http_502",
        "http_503",
        "http_400",
        "http_413",
        "http_414",
        "blocked",
        "cursor_forbidden",
        "quota_exceeded",
        "cursor_expired",
        "post_refused",
        # answers that are not data
        "error_body",
        "empty_200",
        "truncated",
        "plain_text",
        "json_instead",
        "xml_instead",
        "html_page",
        "bad_document",
        # transport
        "slow",
        "trickle",
        "drop_connection",
        "cut_connection",
        # answers holding the wrong records
        "short_batch",
        "empty_batch",
        "extra_record",
        "duplicate_record",
        "forbidden_characters",
        "esearch_messages",
        "zero_hits",
        "wrong_count",
        # Scopus paging
        "cursor_stuck",
        "cursor_repeat",
        "empty_page",
        "same_page",
        # a database that changes while it is searched
        "grow",
        "insert_entries",
        "delete_entries",
    }
)
#: kinds that change the recorded database and then answer normally
_MUTATIONS = frozenset({"grow", "insert_entries", "delete_entries"})
#: kinds that change the normal answer
_TRANSFORMS = frozenset(
    {
        "truncated",
        "bad_document",
        "short_batch",
        "empty_batch",
        "extra_record",
        "duplicate_record",
        "forbidden_characters",
        "esearch_messages",
        "zero_hits",
        "wrong_count",
        "cursor_stuck",
        "cursor_repeat",
        "empty_page",
        "same_page",
    }
)
_ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
_EFETCH_HEAD = (
    b'<?xml version="1.0" ?>\n'
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
BLOCKED_PAGE = (
    b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>"
    b"<h1>Your access to NCBI has been blocked</h1><p>Your IP address has been blocked because "
    b"of possible misuse. Please contact info@ncbi.nlm.nih.gov.</p></body></html>"
)
_HTML_ERROR = (
    b"<!DOCTYPE html><html><head><title>Service Temporarily Unavailable</title></head><body>"
    b"<h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>"
)
_TOO_LONG_PAGE = (
    b"<!DOCTYPE html><html><head><title>414 Request-URI Too Long</title></head><body>"
    b"<h1>Request-URI Too Long</h1><p>The requested URL's length exceeds the capacity limit "
    b"for this server.</p></body></html>"
)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _meaningful(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k.lower() not in IGNORED_PARAMS}


@dataclass
class Fault:
    kind: str
    service: str | None = None
    path: str | None = None
    times: int = 1  # -1: every matching request
    after: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    def matches(self, service: str, path: str, params: dict[str, str]) -> bool:
        if self.service and self.service != service:
            return False
        if self.path is not None and self.path.strip("/") != path:
            return False
        wanted = self.options.get("match") or {}
        if any(str(v) not in params.get(str(k), "") for k, v in wanted.items()):
            return False
        if self.kind in ("cursor_forbidden",) and "cursor" not in params:
            return False
        if self.kind == "cursor_expired" and params.get("cursor", "*") == "*":
            return False
        if self.kind in ("cursor_stuck", "cursor_repeat", "empty_page", "same_page"):
            return "cursor" in params or "start" in params
        return True

    def take(self) -> bool:
        """Count a matching request; True when this one gets the fault."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times >= 0 and self.fired >= self.times:
            return False
        self.fired += 1
        return True


@dataclass(frozen=True)
class SeenRequest:
    method: str
    service: str
    path: str
    params: dict[str, str]  # as received (secrets included: kept in memory only)
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() on arrival


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    trickle: float = 0.0  # seconds between pieces of the body (a slow sender)
    cut: bool = False  # close the connection half way through the body


class Recordings:
    """Everything under a recordings folder, loaded once."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.pubmed_searches: dict[str, dict[str, Any]] = {}
        self.articles: dict[str, bytes] = {}
        self.merged: dict[str, str] = {}  # old PMID -> the PMID it was merged into
        self.scopus_searches: dict[str, dict[str, Any]] = {}
        self.exchanges: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.scholarly: dict[str, Any] = {}  # scholarly/works.json (citations, full texts)
        if root is not None:
            self._load(root)

    def _json(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"bad recording: {exc.msg}", where=Location(path, exc.lineno, exc.colno)
            ) from None

    def _load(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigError("no such recordings folder", where=str(root))
        for path in sorted((root / "pubmed" / "searches").glob("*.json")):
            entry = self._json(path)
            self.pubmed_searches[_norm(entry["term"])] = entry
        for path in sorted((root / "pubmed" / "articles").glob("*.xml")):
            for pmid, element in split_articles(path.read_bytes()):
                self.articles[pmid] = element
        merged = root / "pubmed" / "merged.json"
        if merged.is_file():
            self.merged = {str(k): str(v) for k, v in self._json(merged).items()}
        for path in sorted((root / "scopus" / "searches").glob("*.json")):
            entry = self._json(path)
            self.scopus_searches[_norm(entry["query"])] = entry
        for path in sorted((root / "exchanges").glob("*.json")):
            exchange = self._json(path)
            exchange["_body"] = (path.parent / exchange["body_file"]).read_bytes()
            self.exchanges.append(exchange)
        scholarly = root / "scholarly" / "works.json"
        if scholarly.is_file():
            self.scholarly = self._json(scholarly)
        faults = root / "faults.json"
        if faults.is_file():
            for item in self._json(faults):
                self.faults.append(make_fault(**item))


def make_fault(
    kind: str,
    service: str | None = None,
    path: str | None = None,
    times: int = 1,
    after: int = 0,
    **options: Any,
) -> Fault:
    if kind not in FAULT_KINDS:
        raise ConfigError(f"unknown fault kind {kind!r}", hint=f"one of {sorted(FAULT_KINDS)}")
    return Fault(kind, service, path, times, after, options)


def _date_bounds(value: str, *, end: bool) -> str:
    parts = [int(p) for p in re.findall(r"\d+", value)]
    if not parts:
        return "9999/99/99" if end else "0000/00/00"
    while len(parts) < 3:
        parts.append(99 if end else 1)
    return f"{parts[0]:04d}/{parts[1]:02d}/{parts[2]:02d}"


def _in_range(pdat: str, lo: str, hi: str) -> bool:
    """A publication date in [lo, hi]; a partial date counts as its first day."""
    return lo <= _date_bounds(pdat, end=False) <= hi


_UID_RANGE = re.compile(r"^\((.*)\) AND (\d+):(\d+)\[uid\]$", re.IGNORECASE)
_PREDICATE = re.compile(r"^\((.*)\) AND (NOT )?([A-Z-]+)\(([^()]*)\)$")
_AGGREGATION = {"j": "journal", "b": "book", "k": "book series", "p": "conference proceeding"}


def _scopus_predicate(entry: dict[str, Any], field_name: str, value: str) -> bool | None:
    """Whether a Scopus entry matches ``FIELD(value)``; None for a field the server does not
    know."""
    value = value.strip().strip('"').lower()
    if field_name == "DOCTYPE":
        return str(entry.get("subtype", "")).lower() == value
    if field_name == "SRCTYPE":
        kind = str(entry.get("prism:aggregationType", "journal")).lower()
        return kind == _AGGREGATION.get(value, value)
    if field_name == "LANGUAGE":
        return str(entry.get("language", "english")).lower() == value
    if field_name == "OPENACCESS":
        return str(entry.get("openaccess", "0")) == value
    if field_name == "SUBJAREA":
        areas = entry.get("subject-areas") or ["MEDI"]
        return value.upper() in [str(a).upper() for a in areas]
    return None


def renumbered(pmid: str, element: bytes, new: str) -> bytes:
    """An article under a new PMID (its MedlineCitation PMID and its own ArticleId)."""
    element = re.sub(
        rb"<PMID( [^>]*)?>" + pmid.encode() + rb"</PMID>",
        lambda m: m.group(0).replace(pmid.encode(), new.encode()),
        element,
        count=1,
    )
    return element.replace(
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId>'.encode(),
        f'<ArticleId IdType="pubmed">{new}</ArticleId>'.encode(),
    )


def _scopus_error(status: int, code: str, text: str) -> Answer:
    body = {"service-error": {"status": {"statusCode": code, "statusText": text}}}
    return Answer(status, json.dumps(body).encode(), "application/json;charset=UTF-8")


_STANDARD_DROPS = ("dc:description", "author", "authkeywords", "idxterms")


class ReplayServer:
    """The replay server; ``start()`` runs it in a daemon thread, ``serve_forever()`` in front.

    ``esearch_cap`` is the position past which esearch lists no id (PubMed's 9,999; smaller in
    tests), ``start_limit`` the offset ``start`` paging cannot pass (Scopus's 5,000);
    ``rate_limits`` maps a service to the requests per second it accepts (past it: 429,
    counted in :attr:`refused`).
    """

    def __init__(
        self,
        recordings: Path | None = None,
        *,
        port: int = 0,
        esearch_cap: int = ESEARCH_CAP,
        start_limit: int = SCOPUS_START_LIMIT,
        rate_limits: dict[str, float] | None = None,
    ) -> None:
        self.recordings = Recordings(recordings)
        self.faults: list[Fault] = list(self.recordings.faults)
        self.requests: list[SeenRequest] = []
        self.unmatched: list[str] = []
        self.refused: list[SeenRequest] = []  # over the enforced rate
        self.esearch_cap = esearch_cap
        self.start_limit = start_limit
        self.rate_limits = dict(rate_limits or {})
        self._arrivals: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._epoch = secrets.token_hex(4)  # cursors of another server instance are stale
        self._last_page: dict[str, list[dict[str, Any]]] = {}
        self.graph = ScholarlyGraph(
            self.recordings.scholarly,
            cursor_token=self._cursor_token,
            cursor_offset=self._cursor_offset,
        )
        for pmid, element in self.graph.pubmed_articles().items():
            self.recordings.articles.setdefault(pmid, element)
        handler = _make_handler(self)
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True

    # --- control -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pubmed_url(self) -> str:
        return f"{self.url}/pubmed"

    @property
    def scopus_url(self) -> str:
        return f"{self.url}/scopus"

    def env(self) -> dict[str, str]:
        """The environment that points rea at this server, for every service it answers."""
        return {
            "REA_PUBMED_URL": self.pubmed_url,
            "REA_SCOPUS_URL": self.scopus_url,
            "REA_OPENCITATIONS_URL": f"{self.url}/opencitations",
            "REA_CROSSREF_URL": f"{self.url}/crossref",
            "REA_OPENALEX_URL": f"{self.url}/openalex",
            "REA_UNPAYWALL_URL": f"{self.url}/unpaywall",
            "REA_EUROPEPMC_URL": f"{self.url}/europepmc",
        }

    def add_fault(
        self,
        kind: str,
        *,
        service: str | None = None,
        path: str | None = None,
        times: int = 1,
        after: int = 0,
        **options: Any,
    ) -> Fault:
        fault = make_fault(kind, service, path, times, after, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def merge(self, old: str, new: str) -> None:
        """PubMed merged ``old`` into ``new``: efetch of ``old`` answers ``new``'s record."""
        with self._lock:
            self.recordings.merged[old] = new

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop a server started with :meth:`start`."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def stop_serving(self) -> None:
        """Release the port after :meth:`serve_forever` returned."""
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answering -----------------------------------------------------------------------
    def pick_fault(self, service: str, path: str, params: dict[str, str]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(service, path, params) and fault.take():
                    return fault
        return None

    def over_rate(self, service: str, now: float) -> bool:
        """Whether a request arriving ``now`` exceeds the rate enforced for ``service``."""
        limit = self.rate_limits.get(service)
        if not limit:
            return False
        with self._lock:
            arrivals = self._arrivals.setdefault(service, deque())
            while arrivals and now - arrivals[0] >= 1.0:
                arrivals.popleft()
            if len(arrivals) >= limit:
                return True
            arrivals.append(now)
            return False

    def respond(
        self, method: str, service: str, path: str, params: dict[str, str]
    ) -> Answer | None:
        """The answer to one request, faults applied (None: drop the connection)."""
        fault = self.pick_fault(service, path, params)
        if fault is None:
            return self.answer(method, service, path, params)
        return self.faulty(fault, method, service, path, params)

    def answer(
        self,
        method: str,
        service: str,
        path: str,
        params: dict[str, str],
        fault: Fault | None = None,
    ) -> Answer:
        exchange = self._exchange(method, service, path, params)
        if exchange is not None:
            return exchange
        if service == "pubmed" and path == "esearch.fcgi":
            return self._esearch(params, fault)
        if service == "pubmed" and path == "efetch.fcgi":
            return self._efetch(params, fault)
        if service == "scopus" and path == "":
            return self._scopus(params, fault)
        if service in SERVICES or (service == "pubmed" and path == "elink.fcgi"):
            reply = self.graph.answer(self.url, service, path, params, fault.kind if fault else "")
            if reply is not None:
                return Answer(reply.status, reply.body, reply.content_type, reply.headers)
        return self.unrecorded(method, service, path, params, "no such endpoint")

    def unrecorded(
        self, method: str, service: str, path: str, params: dict[str, str], why: str
    ) -> Answer:
        shown = json.dumps(redact_params(_meaningful(params)), sort_keys=True)
        line = f"rea replay: no recording matches {method} /{service}/{path} {shown} ({why})"
        with self._lock:
            self.unmatched.append(line)
        print(line, file=sys.stderr, flush=True)
        return Answer(404, line.encode("utf-8"), "text/plain; charset=utf-8")

    def _exchange(
        self, method: str, service: str, path: str, params: dict[str, str]
    ) -> Answer | None:
        wanted = _meaningful(params)
        for exchange in self.recordings.exchanges:
            if exchange.get("service") != service or exchange.get("path", "").strip("/") != path:
                continue
            if exchange.get("method") and exchange["method"].upper() != method:
                continue
            recorded = {str(k): str(v) for k, v in exchange.get("params", {}).items()}
            if _meaningful(recorded) != wanted:
                continue
            headers = {str(k): str(v) for k, v in exchange.get("headers", {}).items()}
            content_type = headers.pop("Content-Type", "text/xml; charset=UTF-8")
            return Answer(
                int(exchange.get("status", 200)),
                exchange["_body"],
                content_type,
                tuple(headers.items()),
            )
        return None

    # --- PubMed --------------------------------------------------------------------------
    def _pubmed_search(self, term: str) -> tuple[dict[str, Any] | None, tuple[int, int] | None]:
        search = self.recordings.pubmed_searches.get(term)
        if search is not None:
            return search, None
        match = _UID_RANGE.match(term)
        if match:
            inner = self.recordings.pubmed_searches.get(_norm(match.group(1)))
            if inner is not None:
                return inner, (int(match.group(2)), int(match.group(3)))
        return None, None

    def _esearch(self, params: dict[str, str], fault: Fault | None = None) -> Answer:
        term = _norm(params.get("term", ""))
        search, uids = self._pubmed_search(term)
        if search is None:
            return self.unrecorded("POST", "pubmed", "esearch.fcgi", params, "unknown term")
        ids = [(str(i["pmid"]), str(i.get("pdat", ""))) for i in search.get("ids", [])]
        every = len(ids)
        if params.get("mindate") and params.get("maxdate"):
            lo = _date_bounds(params["mindate"], end=False)
            hi = _date_bounds(params["maxdate"], end=True)
            ids = [(p, d) for p, d in ids if _in_range(d, lo, hi)]
        if uids is not None:
            ids = [(p, d) for p, d in ids if uids[0] <= int(p) <= uids[1]]
        count = int(search.get("count", every)) if len(ids) == every else len(ids)
        if fault is not None and fault.kind == "zero_hits":
            ids, count = [], 0
        if fault is not None and fault.kind == "wrong_count":
            count = int(fault.options.get("count", count + 1))
        retstart = int(params.get("retstart", "0") or 0)
        retmax = int(params.get("retmax", "20") or 20)
        if retstart >= self.esearch_cap and retmax:
            return self._eutils_error(
                "esearch",
                f"Search Backend failed: Exception: 'retstart' cannot be larger than "
                f"{self.esearch_cap - 1}.",
            )
        shown = [p for p, _ in ids[retstart : min(retstart + retmax, self.esearch_cap)]]
        id_list = "".join(f"<Id>{p}</Id>" for p in shown)
        messages = ""
        errors = dict(search.get("error_list", {}))
        warnings = dict(search.get("warning_list", {}))
        if fault is not None and fault.kind == "esearch_messages":
            errors.update(fault.options.get("errors", {}))
            warnings.update(fault.options.get("warnings", {}))
        for block, items in (("ErrorList", errors), ("WarningList", warnings)):
            if items:
                inner = "".join(
                    f"<{kind}>{escape(str(text))}</{kind}>"
                    for kind, texts in items.items()
                    for text in (texts if isinstance(texts, list) else [texts])
                )
                messages += f"<{block}>{inner}</{block}>"
        body = (
            f"{_ESEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{retstart}</RetStart><IdList>{id_list}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(term)}</QueryTranslation>{messages}</eSearchResult>\n"
        )
        return Answer(200, body.encode("utf-8"), "text/xml; charset=UTF-8")

    def _eutils_error(self, endpoint: str, message: str) -> Answer:
        root = "eSearchResult" if endpoint == "esearch" else "eFetchResult"
        text = f'<?xml version="1.0" ?>\n<{root}><ERROR>{escape(message)}</ERROR></{root}>\n'
        return Answer(200, text.encode(), "text/xml; charset=UTF-8")

    def _efetch(self, params: dict[str, str], fault: Fault | None = None) -> Answer:
        if params.get("db", "pubmed") != "pubmed":
            return Answer(
                400, b"<eFetchResult><ERROR>Invalid db name</ERROR></eFetchResult>", "text/xml"
            )
        ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
        articles = self.recordings.articles
        merged = self.recordings.merged
        found = []
        for pmid in ids:
            pmid = merged.get(pmid, pmid)
            if pmid in articles:
                found.append(articles[pmid])
        kind = fault.kind if fault is not None else ""
        opts = fault.options if fault is not None else {}
        if kind == "short_batch":
            drop = int(opts.get("drop", 1))
            found = found[: max(0, len(found) - drop)]
        elif kind == "empty_batch":
            found = []
        elif kind == "extra_record":
            extra = str(opts.get("pmid", ""))
            if not extra:
                asked = set(ids)
                extra = next((p for p in articles if p not in asked), "")
            if extra in articles:
                found.insert(len(found) // 2, articles[extra])
        elif kind == "duplicate_record" and found:
            found.append(found[0])
        elif kind == "forbidden_characters" and found:
            first = found[0]
            at = first.find(b"</ArticleTitle>")
            if at < 0:
                at = first.find(b"</BookTitle>")
            char = str(opts.get("char", "\x0b")).encode("utf-8")
            if at >= 0:
                found[0] = first[:at] + char + b"&#x1;" + first[at:]
        body = _EFETCH_HEAD + b"<PubmedArticleSet>\n" + b"\n".join(found)
        body += b"\n</PubmedArticleSet>\n"
        return Answer(200, body, "text/xml; charset=UTF-8")

    # --- Scopus --------------------------------------------------------------------------
    def _scopus_search(
        self, query: str
    ) -> tuple[dict[str, Any] | None, list[tuple[bool, str, str]]]:
        """The recorded search a query narrows, and its predicates (negated, field, value)."""
        predicates: list[tuple[bool, str, str]] = []
        while True:
            search = self.recordings.scopus_searches.get(query)
            if search is not None:
                return search, predicates
            match = _PREDICATE.match(query)
            if match is None:
                return None, predicates
            predicates.append((bool(match.group(2)), match.group(3), match.group(4)))
            query = _norm(match.group(1))

    def _cursor_token(self, offset: int) -> str:
        raw = f"rea-replay:{self._epoch}:{offset}"
        return base64.urlsafe_b64encode(raw.encode()).decode("ascii")

    def _cursor_offset(self, token: str) -> int | None:
        """The offset of a cursor this server issued; None for any other (stale or forged)."""
        if token == "*":
            return 0
        try:
            text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            return None
        parts = text.split(":")
        if len(parts) != 3 or parts[0] != "rea-replay" or parts[1] != self._epoch:
            return None
        return int(parts[2]) if parts[2].isdigit() else None

    def _scopus(self, params: dict[str, str], fault: Fault | None = None) -> Answer:
        query = _norm(params.get("query", ""))
        search, predicates = self._scopus_search(query)
        if search is None:
            return self.unrecorded("GET", "scopus", "", params, "unknown query")
        view = params.get("view", "STANDARD").upper()
        if view == "COMPLETE" and not search.get("complete_view", True):
            return _scopus_error(
                401,
                "AUTHORIZATION_ERROR",
                "The requestor is not authorized to access the requested view or fields of the "
                "resource",
            )
        count = int(params.get("count", "25") or 25)
        if count > (25 if view == "COMPLETE" else 200):
            return _scopus_error(
                400, "INVALID_INPUT", "Exceeds the maximum number allowed for the service level"
            )
        entries = list(search.get("entries", []))
        for negated, name, value in predicates:
            kept = []
            for entry in entries:
                matched = _scopus_predicate(entry, name, value)
                if matched is None:
                    return _scopus_error(400, "INVALID_INPUT", f"Error translating query: {name}")
                if matched != negated:
                    kept.append(entry)
            entries = kept
        if params.get("date"):
            years = [int(y) for y in re.findall(r"\d{4}", params["date"])]
            lo, hi = years[0], years[-1]
            entries = [
                e for e in entries if lo <= int(str(e.get("prism:coverDate", "0"))[:4] or 0) <= hi
            ]
        cursor = params.get("cursor")
        if cursor is not None:
            offset = self._cursor_offset(cursor)
            if offset is None:
                return _scopus_error(400, "INVALID_INPUT", "Invalid or expired cursor value")
        else:
            offset = int(params.get("start", "0") or 0)
            if offset + count > self.start_limit and offset < len(entries):
                return _scopus_error(
                    400,
                    "INVALID_INPUT",
                    "Exceeds the number of search results allowed: the start parameter cannot "
                    f"pass {self.start_limit}; use the cursor",
                )
        kind = fault.kind if fault is not None else ""
        if kind == "zero_hits":
            entries = []
        page = entries[offset : offset + count]
        following_offset = offset + len(page)
        memo = f"{query}|{params.get('date', '')}|{view}"
        if kind == "empty_page":
            page = []
        elif kind == "same_page" and memo in self._last_page:
            page = self._last_page[memo]
        else:
            self._last_page[memo] = page
        if view != "COMPLETE":
            page = [{k: v for k, v in e.items() if k not in _STANDARD_DROPS} for e in page]
        total = len(entries)
        if kind == "wrong_count":
            total = int(fault.options.get("count", total + 1)) if fault else total
        results: dict[str, Any] = {
            "opensearch:totalResults": str(total),
            "opensearch:startIndex": str(offset),
            "opensearch:itemsPerPage": str(len(page)),
            "opensearch:Query": {"@role": "request", "@searchTerms": query, "@startPage": "0"},
            "link": [{"@_fa": "true", "@ref": "self", "@href": "replay", "@type": "json"}],
            "entry": page if page else [{"@_fa": "true", "error": "Result set was empty"}],
        }
        if cursor is not None:
            following = self._cursor_token(following_offset)
            if kind == "cursor_stuck":
                following = cursor
            elif kind == "cursor_repeat":  # the cursor of the page before this one
                back = max(0, offset - count)
                following = "*" if back == 0 else self._cursor_token(back)
            results["cursor"] = {"@current": cursor, "@next": following}
            if following_offset < total:
                results["link"].append(
                    {"@_fa": "true", "@ref": "next", "@href": f"cursor={following}"}
                )
        body = json.dumps({"search-results": results}).encode("utf-8")
        return Answer(200, body, "application/json;charset=UTF-8")

    # --- a database that changes ---------------------------------------------------------
    def _mutate(self, fault: Fault, service: str, params: dict[str, str]) -> None:
        opts = fault.options
        n = int(opts.get("count", 1))
        with self._lock:
            if service == "pubmed":
                search, _ = self._pubmed_search(_norm(params.get("term", "")))
                if search is None or not search.get("ids"):
                    return
                ids = search["ids"]
                articles = self.recordings.articles
                template = str(ids[0]["pmid"])
                base = int(opts.get("first_pmid", max(int(i["pmid"]) for i in ids) + 1))
                pdat = str(opts.get("pdat", ids[0].get("pdat", "")))
                for k in range(n):
                    new = str(base + k)
                    if template in articles:
                        articles[new] = renumbered(template, articles[template], new)
                    ids.insert(0, {"pmid": new, "pdat": pdat})
                search.pop("count", None)
            elif service == "scopus":
                search, _ = self._scopus_search(_norm(params.get("query", "")))
                if search is None or not search.get("entries"):
                    return
                entries = search["entries"]
                if fault.kind == "delete_entries":
                    del entries[: min(n, len(entries))]
                    return
                template = entries[0]
                for k in range(n):
                    number = int(opts.get("first_number", 86_000_000_000)) + fault.fired * n + k
                    entry = dict(template)
                    entry["eid"] = f"2-s2.0-{number}"
                    entry["dc:identifier"] = f"SCOPUS_ID:{number}"
                    entry["dc:title"] = f"Inserted while paging {number}"
                    entries.insert(0, entry)

    def faulty(
        self, fault: Fault, method: str, service: str, path: str, params: dict[str, str]
    ) -> Answer | None:
        """The answer a fault gives (None: drop the connection)."""
        kind = fault.kind
        opts = fault.options
        if kind in _MUTATIONS:
            self._mutate(fault, service, params)
            return self.answer(method, service, path, params)
        if kind in _TRANSFORMS and kind not in ("truncated", "bad_document"):
            return self.answer(method, service, path, params, fault)
        if kind == "drop_connection":
            return None
        if kind == "slow":
            time.sleep(float(opts.get("delay", 2)))
            return self.answer(method, service, path, params)
        if kind == "trickle":
            normal = self.answer(method, service, path, params)
            return Answer(
                normal.status,
                normal.body,
                normal.content_type,
                normal.headers,
                trickle=float(opts.get("delay", 0.5)),
            )
        if kind == "cut_connection":
            normal = self.answer(method, service, path, params)
            return Answer(normal.status, normal.body, normal.content_type, normal.headers, cut=True)
        if kind == "truncated":
            normal = self.answer(method, service, path, params)
            keep = int(len(normal.body) * float(opts.get("fraction", 0.5)))
            return Answer(normal.status, normal.body[:keep], normal.content_type, normal.headers)
        if kind == "bad_document":
            normal = self.answer(method, service, path, params)
            if service == "scopus":
                body = normal.body.replace(b'"search-results": {', b'"search-results": {{', 1)
            else:
                body = re.sub(rb"</(Count|PubmedArticleSet)>", rb"</\1x>", normal.body, count=1)
            return Answer(normal.status, body, normal.content_type, normal.headers)
        if kind == "http_429":
            headers: tuple[tuple[str, str], ...] = (
                ("Retry-After", str(opts.get("retry_after", "1"))),
            )
            return Answer(429, b'{"error":"API rate limit exceeded"}', "application/json", headers)
        if kind in ("http_500", "http_502", "http_503"):
            status = int(kind[5:])
            return Answer(status, f"{status} replayed server error".encode(), "text/plain")
        if kind in ("http_413", "http_414"):
            return Answer(int(kind[5:]), _TOO_LONG_PAGE, "text/html; charset=iso-8859-1")
        if kind == "http_400":
            if service == "scopus":
                return _scopus_error(400, "INVALID_INPUT", str(opts.get("message", "Bad query")))
            message = escape(str(opts.get("message", "Invalid query")))
            text = f"<eSearchResult><ERROR>{message}</ERROR></eSearchResult>"
            return Answer(400, text.encode(), "text/xml")
        if kind == "error_body":
            message = str(opts.get("message", "Search Backend failed"))
            if service == "scopus":
                return _scopus_error(200, "GENERAL_SYSTEM_ERROR", message)
            return self._eutils_error("esearch" if path == "esearch.fcgi" else "efetch", message)
        if kind == "empty_200":
            content_type = "application/json" if service == "scopus" else "text/xml"
            return Answer(200, b"", content_type)
        if kind == "plain_text":
            message = str(opts.get("message", "Unable to route request!"))
            return Answer(200, message.encode("utf-8"), "text/plain; charset=utf-8")
        if kind == "json_instead":
            value = {"esearchresult": {"ERROR": str(opts.get("message", "Search Backend failed"))}}
            return Answer(200, json.dumps(value).encode(), "application/json; charset=UTF-8")
        if kind == "xml_instead":
            text = '<?xml version="1.0"?><service-error><status><statusCode>GENERAL_SYSTEM_ERROR'
            text += "</statusCode></status></service-error>"
            return Answer(200, text.encode(), "text/xml")
        if kind == "html_page":
            return Answer(200, _HTML_ERROR, "text/html; charset=utf-8")
        if kind == "blocked":
            return Answer(200, BLOCKED_PAGE, "text/html; charset=utf-8")
        if kind == "cursor_forbidden":
            return _scopus_error(
                403, "AUTHORIZATION_ERROR", "Use of the cursor parameter is restricted"
            )
        if kind == "post_refused":
            if method != "POST":
                return self.answer(method, service, path, params)
            return Answer(405, b"Method Not Allowed", "text/plain", (("Allow", "GET"),))
        if kind == "cursor_expired":
            return _scopus_error(400, "INVALID_INPUT", "Invalid or expired cursor value")
        if kind == "quota_exceeded":
            reset = str(opts.get("reset", int(time.time()) + 3600))
            headers = (
                ("X-ELS-Status", "QUOTA_EXCEEDED - Quota Exceeded"),
                ("X-RateLimit-Limit", "20000"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", reset),
            )
            return Answer(429, b'{"error":"Quota Exceeded"}', "application/json", headers)
        raise AssertionError(kind)


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("replay: " + format, *args)

        def _handle(self, method: str) -> None:
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode("utf-8")
                pairs += parse_qsl(form, keep_blank_values=True)
            # a parameter sent several times (elink's id=1&id=2) keeps all its values
            params: dict[str, str] = {}
            for key, value in pairs:
                params[key] = f"{params[key]}{REPEATED}{value}" if key in params else value
            segments = parts.path.strip("/").split("/", 1)
            service = segments[0]
            path = segments[1] if len(segments) > 1 else ""
            seen = SeenRequest(method, service, path, params, dict(self.headers.items()), arrived)
            server.requests.append(seen)
            answer: Answer | None
            if server.over_rate(service, arrived):
                answer = Answer(
                    429,
                    b'{"error":"API rate limit exceeded","api-key":"replay"}',
                    "application/json",
                    (("Retry-After", "1"),),
                )
                server.refused.append(seen)
            else:
                answer = server.respond(method, service, path, params)
            if answer is None:
                self.close_connection = True
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            if answer.cut:
                self.wfile.write(answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if answer.trickle:
                for at in range(0, len(answer.body), 64):
                    self.wfile.write(answer.body[at : at + 64])
                    self.wfile.flush()
                    time.sleep(answer.trickle)
                return
            self.wfile.write(answer.body)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


# --- writing recordings (for demo builders and tests) -------------------------------------------


def _name(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def record_pubmed_search(
    root: Path, term: str, ids: list[tuple[str, str]], *, count: int | None = None
) -> Path:
    """Write ``pubmed/searches/<hash>.json`` for ``term``: ``ids`` as (PMID, publication date)."""
    folder = root / "pubmed" / "searches"
    folder.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"term": term, "ids": [{"pmid": p, "pdat": d} for p, d in ids]}
    if count is not None:
        body["count"] = count
    path = folder / f"{_name(term)}.json"
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def record_pubmed_articles(root: Path, name: str, articles: list[bytes]) -> Path:
    """Write ``pubmed/articles/<name>.xml``: ``<PubmedArticle>``/``<PubmedBookArticle>``
    elements (e.g. cut from a real efetch answer with :func:`split_articles`)."""
    folder = root / "pubmed" / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.xml"
    path.write_bytes(b"<PubmedArticleSet>\n" + b"\n".join(articles) + b"\n</PubmedArticleSet>\n")
    return path


def record_scopus_search(
    root: Path, query: str, entries: list[dict[str, Any]], *, complete_view: bool = True
) -> Path:
    """Write ``scopus/searches/<hash>.json``: ``entries`` in the COMPLETE view's shape."""
    folder = root / "scopus" / "searches"
    folder.mkdir(parents=True, exist_ok=True)
    body = {"query": query, "complete_view": complete_view, "entries": entries}
    path = folder / f"{_name(query)}.json"
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False), encoding="utf-8")
    return path
