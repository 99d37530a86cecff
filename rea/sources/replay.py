"""A loopback server that answers E-utilities and Scopus Search API requests from recordings.

The directory format is documented in ``docs/sources.md`` ("Replay recordings"). The server
binds ``127.0.0.1`` only. Faults (429, 5xx, ``<ERROR>`` bodies, short batches, slow answers,
dropped connections, block pages, Scopus cursor refusal and quota) are injected on demand, from
``faults.json`` or :meth:`ReplayServer.add_fault`. A request that no recording answers gets a 404
whose body says so, and a log line on stderr.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from rea.config import SECRET_NAMES, redact_params
from rea.errors import ConfigError, Location
from rea.sources.pubmed_xml import split_articles

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
IGNORED_PARAMS = frozenset({"tool", "email", *SECRET_NAMES})
SCOPUS_START_LIMIT = 5000
ESEARCH_CAP = 9999
FAULT_KINDS = frozenset(
    {
        "http_429",
        "http_500",
        "http_502",
        "http_503",
        "http_400",
        "error_body",
        "short_batch",
        "slow",
        "drop_connection",
        "blocked",
        "cursor_forbidden",
        "quota_exceeded",
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
        return not (self.kind == "cursor_forbidden" and "cursor" not in params)

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


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class Recordings:
    """Everything under a recordings folder, loaded once."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.pubmed_searches: dict[str, dict[str, Any]] = {}
        self.articles: dict[str, bytes] = {}
        self.scopus_searches: dict[str, dict[str, Any]] = {}
        self.exchanges: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
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
        for path in sorted((root / "scopus" / "searches").glob("*.json")):
            entry = self._json(path)
            self.scopus_searches[_norm(entry["query"])] = entry
        for path in sorted((root / "exchanges").glob("*.json")):
            exchange = self._json(path)
            exchange["_body"] = (path.parent / exchange["body_file"]).read_bytes()
            self.exchanges.append(exchange)
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


def _cursor_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"rea-replay:{offset}".encode()).decode("ascii")


def _cursor_offset(token: str) -> int | None:
    if token == "*":
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith("rea-replay:"):
        return None
    return int(text.split(":", 1)[1])


def _scopus_error(status: int, code: str, text: str) -> Answer:
    body = {"service-error": {"status": {"statusCode": code, "statusText": text}}}
    return Answer(status, json.dumps(body).encode(), "application/json;charset=UTF-8")


_STANDARD_DROPS = ("dc:description", "author", "authkeywords", "idxterms")


class ReplayServer:
    """The replay server; ``start()`` runs it in a daemon thread, ``serve_forever()`` in front."""

    def __init__(self, recordings: Path | None = None, *, port: int = 0) -> None:
        self.recordings = Recordings(recordings)
        self.faults: list[Fault] = list(self.recordings.faults)
        self.requests: list[SeenRequest] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
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
        return {"REA_PUBMED_URL": self.pubmed_url, "REA_SCOPUS_URL": self.scopus_url}

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

    def answer(self, method: str, service: str, path: str, params: dict[str, str]) -> Answer:
        exchange = self._exchange(method, service, path, params)
        if exchange is not None:
            return exchange
        if service == "pubmed" and path == "esearch.fcgi":
            return self._esearch(params)
        if service == "pubmed" and path == "efetch.fcgi":
            return self._efetch(params)
        if service == "scopus" and path == "":
            return self._scopus(params)
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

    def _esearch(self, params: dict[str, str]) -> Answer:
        term = _norm(params.get("term", ""))
        search = self.recordings.pubmed_searches.get(term)
        if search is None:
            return self.unrecorded("POST", "pubmed", "esearch.fcgi", params, "unknown term")
        ids = [(str(i["pmid"]), str(i.get("pdat", ""))) for i in search.get("ids", [])]
        every = len(ids)
        if params.get("mindate") and params.get("maxdate"):
            lo = _date_bounds(params["mindate"], end=False)
            hi = _date_bounds(params["maxdate"], end=True)
            ids = [(p, d) for p, d in ids if _in_range(d, lo, hi)]
        count = int(search.get("count", every)) if len(ids) == every else len(ids)
        retstart = int(params.get("retstart", "0") or 0)
        retmax = int(params.get("retmax", "20") or 20)
        shown = [p for p, _ in ids[retstart : min(retstart + retmax, ESEARCH_CAP)]]
        id_list = "".join(f"<Id>{p}</Id>" for p in shown)
        body = (
            f"{_ESEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>{len(shown)}</RetMax>"
            f"<RetStart>{retstart}</RetStart><IdList>{id_list}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(term)}</QueryTranslation></eSearchResult>\n"
        )
        return Answer(200, body.encode("utf-8"), "text/xml; charset=UTF-8")

    def _efetch(self, params: dict[str, str], drop: int = 0) -> Answer:
        if params.get("db", "pubmed") != "pubmed":
            return Answer(
                400, b"<eFetchResult><ERROR>Invalid db name</ERROR></eFetchResult>", "text/xml"
            )
        ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
        found = [self.recordings.articles[i] for i in ids if i in self.recordings.articles]
        if drop:
            found = found[: max(0, len(found) - drop)]
        body = _EFETCH_HEAD + b"<PubmedArticleSet>\n" + b"\n".join(found)
        body += b"\n</PubmedArticleSet>\n"
        return Answer(200, body, "text/xml; charset=UTF-8")

    def _scopus(self, params: dict[str, str]) -> Answer:
        query = _norm(params.get("query", ""))
        search = self.recordings.scopus_searches.get(query)
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
        if params.get("date"):
            years = [int(y) for y in re.findall(r"\d{4}", params["date"])]
            lo, hi = years[0], years[-1]
            entries = [
                e for e in entries if lo <= int(str(e.get("prism:coverDate", "0"))[:4] or 0) <= hi
            ]
        cursor = params.get("cursor")
        if cursor is not None:
            offset = _cursor_offset(cursor)
            if offset is None:
                return _scopus_error(400, "INVALID_INPUT", "Invalid cursor value")
        else:
            offset = int(params.get("start", "0") or 0)
            if offset + count > SCOPUS_START_LIMIT and offset < len(entries):
                return _scopus_error(
                    400,
                    "INVALID_INPUT",
                    "Exceeds the number of search results allowed: the start parameter cannot "
                    "pass 5000; use the cursor",
                )
        page = entries[offset : offset + count]
        if view != "COMPLETE":
            page = [{k: v for k, v in e.items() if k not in _STANDARD_DROPS} for e in page]
        total = len(entries)
        results: dict[str, Any] = {
            "opensearch:totalResults": str(total),
            "opensearch:startIndex": str(offset),
            "opensearch:itemsPerPage": str(len(page)),
            "opensearch:Query": {"@role": "request", "@searchTerms": query, "@startPage": "0"},
            "link": [{"@_fa": "true", "@ref": "self", "@href": "replay", "@type": "json"}],
            "entry": page if total else [{"@_fa": "true", "error": "Result set was empty"}],
        }
        if cursor is not None:
            following = _cursor_token(offset + len(page))
            results["cursor"] = {"@current": cursor, "@next": following}
            if offset + len(page) < total:
                results["link"].append(
                    {"@_fa": "true", "@ref": "next", "@href": f"cursor={following}"}
                )
        body = json.dumps({"search-results": results}).encode("utf-8")
        return Answer(200, body, "application/json;charset=UTF-8")

    def faulty(
        self, fault: Fault, method: str, service: str, path: str, params: dict[str, str]
    ) -> Answer | None:
        """The answer a fault gives (None: drop the connection)."""
        kind = fault.kind
        opts = fault.options
        if kind == "drop_connection":
            return None
        if kind == "slow":
            time.sleep(float(opts.get("delay", 2)))
            return self.answer(method, service, path, params)
        if kind == "short_batch" and service == "pubmed" and path == "efetch.fcgi":
            return self._efetch(params, drop=int(opts.get("drop", 1)))
        if kind == "short_batch":
            return self.answer(method, service, path, params)
        if kind == "http_429":
            headers: tuple[tuple[str, str], ...] = (
                ("Retry-After", str(opts.get("retry_after", "1"))),
            )
            return Answer(429, b'{"error":"API rate limit exceeded"}', "application/json", headers)
        if kind in ("http_500", "http_502", "http_503"):
            status = int(kind[5:])
            return Answer(status, f"{status} replayed server error".encode(), "text/plain")
        if kind == "http_400":
            if service == "scopus":
                return _scopus_error(400, "INVALID_INPUT", str(opts.get("message", "Bad query")))
            message = escape(str(opts.get("message", "Invalid query")))
            text = f"<eSearchResult><ERROR>{message}</ERROR></eSearchResult>"
            return Answer(400, text.encode(), "text/xml")
        if kind == "error_body":
            message = escape(str(opts.get("message", "Search Backend failed")))
            root = "eSearchResult" if path == "esearch.fcgi" else "eFetchResult"
            text = f'<?xml version="1.0" ?>\n<{root}><ERROR>{message}</ERROR></{root}>\n'
            return Answer(200, text.encode(), "text/xml; charset=UTF-8")
        if kind == "blocked":
            return Answer(200, BLOCKED_PAGE, "text/html; charset=utf-8")
        if kind == "cursor_forbidden":
            return _scopus_error(
                403, "AUTHORIZATION_ERROR", "Use of the cursor parameter is restricted"
            )
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
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query, keep_blank_values=True))
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode("utf-8")
                params.update(parse_qsl(form, keep_blank_values=True))
            segments = parts.path.strip("/").split("/", 1)
            service = segments[0]
            path = segments[1] if len(segments) > 1 else ""
            server.requests.append(
                SeenRequest(method, service, path, params, dict(self.headers.items()))
            )
            fault = server.pick_fault(service, path, params)
            if fault is not None:
                answer = server.faulty(fault, method, service, path, params)
                if answer is None:
                    self.close_connection = True
                    return
            else:
                answer = server.answer(method, service, path, params)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
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
