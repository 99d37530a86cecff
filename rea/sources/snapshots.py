"""Immutable snapshots of search runs.

A run lives in ``<review>/runs/<run-id>/``; each stage and source of the run in
``<run-id>/<stage>/<source>/``, which holds

- ``pages/<key>.<ext>``: every response body that was data, byte for byte, named by a hash of
  the request's method, path and parameters (secrets left out), so a page is found again on
  ``--resume``; a repeated request adds the name of its attempt (``<key>-r2``), and a stored page
  that no longer reads is kept beside its replacement (``<key>~2``);
- ``pages/<key>.meta.json``: the request (parameters with secrets redacted), status, a few response
  headers, timestamps, size and sha256 of the body; written before the body;
- ``manifest.json``: written last, once every page is in and the records are stored.

The run's own ``manifest.json`` is written after every stage and source has finished: a run
without it is incomplete and can be resumed; a run with it is finished and is never changed.
Every file is written to a temporary name and linked into place, so nothing is ever
overwritten or half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

from rea import __version__
from rea.config import SECRET_NAMES, redact_params
from rea.errors import NotData, NotFound, SnapshotError, SourceError
from rea.sources.http import Check, Http, HttpResponse, Params

log = logging.getLogger(__name__)
T = TypeVar("T")

MANIFEST = "manifest.json"
RUN_INFO = "run.json"
_KEPT_HEADERS = ("content-type", "date", "retry-after", "x-els-status", "x-ratelimit-remaining")
_RUN_ID = re.compile(r"^\d{4}-\d\d-\d\dT\d{6}Z(?:-\d+)?$")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: Parameters that do not change an answer: secrets, and NCBI's contact fields (so that a run
#: resumed with another NCBI_EMAIL still finds its pages).
_NOT_KEYED = SECRET_NAMES | {"tool", "email"}


def request_key(method: str, path: str, params: Params) -> str:
    """A name for a request: a hash of method, path and every parameter that shapes the answer
    (all but secrets and NCBI's ``tool``/``email``)."""
    kept = {
        k: v if isinstance(v, str) else list(v)
        for k, v in params.items()
        if k.lower() not in _NOT_KEYED
    }
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "params": kept}, sort_keys=True
    ).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()[:24]


def write_once(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file; refuse to replace anything.

    ``durable`` also flushes the file to disk before it appears (used for manifests; a page
    torn by a power cut is caught by its sha256 when the run is resumed).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
    with open(tmp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise SnapshotError(
            "refusing to overwrite a stored snapshot file", where=str(path)
        ) from None
    finally:
        tmp.unlink()


def write_json_once(path: Path, value: object, *, durable: bool = False) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    write_once(path, text.encode("utf-8"), durable=durable)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot read {path.name}: {exc}", where=str(path)) from exc


def _extension(response: HttpResponse) -> str:
    kind = response.header("Content-Type").lower()
    if "json" in kind:
        return "json"
    if "html" in kind:
        return "html"
    if "xml" in kind or response.body.lstrip()[:5] == b"<?xml":
        return "xml"
    return "txt"


@dataclass(frozen=True)
class Page:
    """One stored response."""

    key: str
    path: Path  # absolute path of the body
    relpath: str  # relative to the review folder
    sha256: str
    body: bytes
    reused: bool  # read back from an earlier (interrupted) attempt of this run


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """A stored page and what its reader made of it."""

    page: Page
    value: T


Reader = Callable[[Page], T]


class SourceSnapshot:
    """The folder of one stage × source of a run."""

    def __init__(self, run: RunDir, stage: str, source: str) -> None:
        self.run = run
        self.stage = stage
        self.source = source
        self.dir = run.path / stage / source
        self.pages_dir = self.dir / "pages"

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    @property
    def is_complete(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.is_complete:
            raise SnapshotError(
                f"{self.stage}/{self.source} of run {self.run.run_id} is incomplete",
                where=str(self.dir),
            )
        value: dict[str, Any] = read_json(self.manifest_path)
        return value

    def relative(self, path: Path) -> str:
        return path.relative_to(self.run.review_root).as_posix()

    def stored(self, key: str) -> Page | None:
        """The stored page for a request key, checked against its sha256; None if absent."""
        meta_path = self.pages_dir / f"{key}.meta.json"
        if not meta_path.is_file():
            return None
        meta = read_json(meta_path)
        body_path = self.pages_dir / meta["body"]
        if not body_path.is_file():
            return None  # interrupted between the two writes: fetch again
        body = body_path.read_bytes()
        digest = sha256_bytes(body)
        if digest != meta["sha256"]:
            raise SnapshotError(
                "a stored page does not match its sha256 (changed after it was written)",
                where=str(body_path),
                hint="restore the file, or start a new run instead of resuming",
            )
        return Page(key, body_path, self.relative(body_path), digest, body, reused=True)

    def fetch(
        self,
        http: Http,
        method: str,
        path: str,
        params: Params,
        *,
        read: Reader[T],
        check: Check | None = None,
        attempt: str = "",
    ) -> Fetched[T]:
        """The answer to a request, read: the stored page when there is a readable one, else
        fetched, read, and only then stored.

        ``read`` turns a page into data or raises :class:`NotData` (the request is retried, and
        nothing is stored): an error body, a truncated answer or plain text is never kept as
        data. ``attempt`` names a repeated request (a refetch round, a restarted paging): it is
        part of the stored name, not of the request, so that asking again really asks again
        instead of finding the first answer. A stored page that its reader refuses (stored by an
        older rea) is kept and passed over: the new answer is stored beside it (``<key>~2``).
        """
        if self.run.finished:
            raise SnapshotError(f"run {self.run.run_id} is finished and cannot change")
        base = request_key(method, path, params) + (f"-{attempt}" if attempt else "")
        copy = 1
        while True:
            key = base if copy == 1 else f"{base}~{copy}"
            page = self.stored(key)
            if page is None:
                break
            try:
                return Fetched(page, read(page))
            except NotData as exc:
                log.warning("stored page %s is not data (%s); asking again", page.relpath, exc)
                copy += 1
        requested_at = utc_now()
        done: list[Fetched[T]] = []

        def checked(response: HttpResponse) -> None:
            if check is not None:
                check(response)
            if 200 <= response.status < 300:
                page = self._page(key, response)
                done[:] = [Fetched(page, read(page))]

        response = http.request(method, path, params, check=checked)
        if not done:
            raise SourceError(
                f"{http.api}: unexpected HTTP {response.status}",
                where=response.url,
                status=response.status,
            )
        self._store(key, method, path, params, response, requested_at)
        return done[0]

    def _page(self, key: str, response: HttpResponse) -> Page:
        body_path = self.pages_dir / f"{key}.{_extension(response)}"
        return Page(
            key,
            body_path,
            self.relative(body_path),
            sha256_bytes(response.body),
            response.body,
            reused=False,
        )

    def _store(
        self,
        key: str,
        method: str,
        path: str,
        params: Params,
        response: HttpResponse,
        requested_at: str,
    ) -> None:
        body_name = f"{key}.{_extension(response)}"
        body_path = self.pages_dir / body_name
        meta_path = self.pages_dir / f"{key}.meta.json"
        meta = {
            "method": method.upper(),
            "path": path,
            "params": redact_params(dict(params)),
            "status": response.status,
            "headers": {h: response.header(h) for h in _KEPT_HEADERS if response.header(h)},
            "requested_at": requested_at,
            "received_at": utc_now(),
            "size": len(response.body),
            "sha256": sha256_bytes(response.body),
            "body": body_name,
        }
        if meta_path.exists() and not body_path.exists():
            meta_path.unlink()  # left by an attempt killed between the two writes
        write_json_once(meta_path, meta)
        write_once(body_path, response.body)

    def write_extra(self, name: str, data: bytes) -> Path:
        """A derived file (e.g. the PMID list) next to the pages; replaced only before the
        manifest exists."""
        if self.is_complete:
            raise SnapshotError(f"{self.stage}/{self.source} is complete and cannot change")
        path = self.dir / name
        if path.exists():
            path.unlink()
        write_once(path, data)
        return path

    def finish(self, manifest: Mapping[str, Any]) -> None:
        """Write the manifest: the last file of this stage × source."""
        body = {**manifest, "stage": self.stage, "source": self.source, "finished_at": utc_now()}
        body.setdefault("rea_version", __version__)
        write_json_once(self.manifest_path, body, durable=True)


class RunDir:
    """One run of the searches on disk (``runs/<run-id>/``). A kind of run kept elsewhere (the
    citation searches, in ``citations/cit-<run-id>/``) is a subclass naming its folder and the
    prefix of its ids."""

    FOLDER = "runs"
    ID_PREFIX = ""

    def __init__(self, review_root: Path, run_id: str) -> None:
        self.review_root = review_root
        self.run_id = run_id
        self.path = review_root / self.FOLDER / run_id

    @classmethod
    def is_run_id(cls, run_id: str) -> bool:
        prefix = cls.ID_PREFIX
        return run_id.startswith(prefix) and bool(_RUN_ID.match(run_id[len(prefix) :]))

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def finished(self) -> bool:
        return self.manifest_path.is_file()

    def info(self) -> dict[str, Any]:
        value: dict[str, Any] = read_json(self.path / RUN_INFO)
        return value

    def manifest(self) -> dict[str, Any]:
        value: dict[str, Any] = read_json(self.manifest_path)
        return value

    def source(self, stage: str, source: str) -> SourceSnapshot:
        return SourceSnapshot(self, stage, source)

    def finish(self, summary: Mapping[str, Any], *, finished_at: str | None = None) -> None:
        """Write the run's manifest: the run is finished and never changes again."""
        body = {
            "run_id": self.run_id,
            **self.info(),
            **summary,
            "finished_at": finished_at or utc_now(),
            "rea_version": __version__,
        }
        write_json_once(self.manifest_path, body, durable=True)

    @classmethod
    def create(
        cls,
        review_root: Path,
        plan: list[dict[str, Any]],
        *,
        now: Callable[[], datetime] | None = None,
    ) -> Self:
        """A new run folder with a fresh id (``2026-11-24T101500Z``, suffixed if taken)."""
        moment = (now or (lambda: datetime.now(UTC)))()
        base = cls.ID_PREFIX + moment.strftime("%Y-%m-%dT%H%M%SZ")
        runs = review_root / cls.FOLDER
        runs.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            run_id = base if n == 1 else f"{base}-{n}"
            try:
                (runs / run_id).mkdir()
            except FileExistsError:
                continue
            run = cls(review_root, run_id)
            write_json_once(
                run.path / RUN_INFO,
                {
                    "run_id": run_id,
                    "started_at": utc_now(),
                    "rea_version": __version__,
                    "plan": plan,
                },
            )
            return run
        raise SnapshotError("cannot find a free run id", where=str(runs))

    @classmethod
    def open(cls, review_root: Path, run_id: str) -> Self:
        folder = review_root / cls.FOLDER
        if not cls.is_run_id(run_id) or not (folder / run_id / RUN_INFO).is_file():
            raise NotFound(
                f"no run {run_id!r}",
                where=str(folder),
                hint="`rea runs` lists the runs of this review"
                if cls.FOLDER == "runs"
                else "`rea citations rounds` lists the citation runs of this review",
            )
        return cls(review_root, run_id)


def list_runs(review_root: Path) -> Iterator[RunDir]:
    runs = review_root / "runs"
    if not runs.is_dir():
        return
    for path in sorted(runs.iterdir()):
        if _RUN_ID.match(path.name) and (path / RUN_INFO).is_file():
            yield RunDir(review_root, path.name)


def cleanup_temporaries(run: RunDir) -> None:
    """Remove temporary files left by a killed process (never a stored page)."""
    for tmp in run.path.rglob(".tmp-*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
