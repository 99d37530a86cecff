"""Importing export files: validate the whole file, keep a copy, store it in one transaction.

The file is never read whole into memory: a size limit (``--max-size``, ``REA_IMPORT_MAX_SIZE``,
default 512 MB) refuses an outsized file before a byte is read; the copy kept in ``imports/`` is
made and hashed in one streamed pass; the readers stream too. The copy is renamed into place and
its rows written in the same write transaction, so a killed import leaves no half-imported file:
at worst a temporary copy (``imports/.tmp-PID-…``) or a copy no import row names, and the next
import removes those first.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rea.config import ReviewPaths, format_size, import_max_size
from rea.errors import ConfigError, DuplicateImport, ImportFormatError, ReaError
from rea.files import process_alive, write_text_atomic
from rea.query import Strategy, load_strategy
from rea.records import Provenance, SourceKind
from rea.sources.readers import detect, read_file
from rea.store import Store, open_store
from rea.store.sources import (
    content_key,
    find_import,
    import_paths,
    imported_contents,
    save_import,
)
from rea.store.works import now

#: Formats whose records PRISMA counts under "other methods" (so are the records of a source
#: listed under ``[sources] other`` of the strategy, whatever the format).
OTHER_FORMATS = frozenset({"grey-csv"})

_CHUNK = 1024 * 1024
_KEPT = re.compile(r"^[0-9a-f]{12}-")
_TMP = re.compile(r"^\.tmp-(\d+)-")


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    path: str  # the kept copy, relative to the review
    source: str
    stage: str
    format: str
    n_records: int
    kind: str
    # positions in the file of records with neither a title nor an identifier: kept and
    # flagged, since only their citation can match them (``rea dedup review`` shows them)
    unidentified: tuple[int, ...] = ()
    removed_controls: dict[str, int] = field(default_factory=dict)  # by name: {"NUL": 3}


def import_file(
    paths: ReviewPaths,
    file: Path,
    *,
    source: str,
    stage: str,
    format: str | None = None,
    force: bool = False,
    add_source: bool = False,
    max_size: int | None = None,
) -> ImportResult:
    """Validate the whole file, then store its records in one transaction.

    Refused, before anything is stored: a file above the size limit (before it is read), a stage
    or a source the strategy does not list (with ``add_source`` the source is written into the
    strategy's ``[sources]`` first), the same bytes imported before, and a file whose records are
    all stored already from an earlier import of the same source and stage (same identifiers and
    content) — unless ``force``.
    """
    strategy = load_strategy(paths.strategy)
    strategy.stage(stage)  # a stage the strategy does not have is refused, naming the stages
    _check_size(file, import_max_size() if max_size is None else max_size)
    fmt = format or detect(file)
    listed = (*strategy.api_sources, *strategy.import_sources, *strategy.other_sources)
    if source not in listed:
        if not add_source:
            raise ConfigError(
                f"the strategy lists no source {source!r}",
                where=str(paths.strategy),
                hint=f"sources listed: {', '.join(listed) or 'none'}; pass --add-source to add "
                f"{source!r} to [sources] in strategy.toml",
            )
        strategy = add_strategy_source(paths, source, "other" if fmt in OTHER_FORMATS else "import")
    other = fmt in OTHER_FORMATS or source in strategy.other_sources
    kind = SourceKind.OTHER if other else SourceKind.DATABASE
    paths.imports.mkdir(parents=True, exist_ok=True)
    tmp = paths.imports / f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{file.name}"
    try:
        digest = _copy_and_hash(file, tmp)
        copy_name = f"{digest[:12]}-{file.name}"
        kept = paths.imports / copy_name
        provenance = Provenance(
            source=source,
            stage=stage,
            snapshot=kept.relative_to(paths.root).as_posix(),
            snapshot_sha256=digest,
            kind=kind,
        )
        read = read_file(file, fmt, provenance)  # the whole file, before anything is stored
        with open_store(paths.store) as store, store.transaction():
            tidy_imports(store, paths)
            earlier = find_import(store, digest)
            if earlier is not None and not force:
                raise DuplicateImport(
                    f"this file was imported already on {earlier.imported_at} as "
                    f"{earlier.source}/{earlier.stage} ({earlier.n_records} records)",
                    where=str(file),
                    hint="pass --force to import it again",
                )
            keys = [content_key(r) for r in read.records]
            if keys and not force and set(keys) <= imported_contents(store, source, stage):
                raise DuplicateImport(
                    f"all {len(keys)} records of this file are stored already from an earlier "
                    f"import of {source}/{stage} (same identifiers and content; the file's "
                    "bytes differ)",
                    where=str(file),
                    hint="pass --force to import them again",
                )
            os.replace(tmp, kept)  # inside the transaction: never a copy without its rows
            import_id = save_import(
                store,
                path=provenance.snapshot or "",
                original=str(file),
                sha256=digest,
                source=source,
                stage=stage,
                format=fmt,
                kind=kind,
                imported_at=now(),
                records=read.records,
            )
    finally:
        tmp.unlink(missing_ok=True)
    unidentified = tuple(
        r.provenance.position or i for i, r in enumerate(read.records, start=1) if r.unidentified
    )
    return ImportResult(
        import_id,
        provenance.snapshot or "",
        source,
        stage,
        fmt,
        len(read.records),
        kind.value,
        unidentified=unidentified,
        removed_controls=read.removed,
    )


def _check_size(file: Path, limit: int) -> None:
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ImportFormatError(f"cannot read the file: {exc.strerror}", where=str(file)) from None
    if not file.is_file():
        raise ImportFormatError("not a regular file", where=str(file))
    if size > limit:
        raise ImportFormatError(
            f"the file is {format_size(size)}, above the import limit of {format_size(limit)}",
            where=str(file),
            hint="split the export into smaller files, or raise the limit: "
            "rea import --max-size 2G … (or REA_IMPORT_MAX_SIZE=2G)",
        )


def _copy_and_hash(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` and return its SHA-256, reading it once, in chunks."""
    digest = hashlib.sha256()
    try:
        with source.open("rb") as read, target.open("xb") as write:
            while chunk := read.read(_CHUNK):
                digest.update(chunk)
                write.write(chunk)
    except OSError as exc:
        raise ReaError(
            f"cannot keep a copy of the file: {exc.strerror or exc}", where=str(source)
        ) from exc
    return digest.hexdigest()


def tidy_imports(store: Store, paths: ReviewPaths) -> list[Path]:
    """Remove what killed imports left in ``imports/``: temporary copies of processes that are
    gone, and kept copies no import row names. Run inside a write transaction (a copy is only
    ever renamed into place inside one, with its rows). Returns what was removed."""
    if not paths.imports.is_dir():
        return []
    named = {Path(p).name for p in import_paths(store)}
    removed = []
    for path in paths.imports.iterdir():
        tmp = _TMP.match(path.name)
        left_by_killed = tmp is not None and not process_alive(int(tmp.group(1)))
        orphan = bool(_KEPT.match(path.name)) and path.name not in named and path.is_file()
        if left_by_killed or orphan:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def add_strategy_source(paths: ReviewPaths, source: str, kind: str) -> Strategy:
    """Add ``source`` to the ``[sources]`` list ``kind`` (import or other) of strategy.toml,
    editing the text in place so that comments and layout stay; returns the strategy read
    again. Refused where the list cannot be found as one ``kind = [...]`` line."""
    text = paths.strategy.read_text(encoding="utf-8")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", source):
        raise ConfigError(
            f"a source name is lower case letters, digits, '-' and '_', not {source!r}",
            hint="e.g. --source hsj",
        )
    lines = text.splitlines(keepends=True)
    in_sources = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            in_sources = stripped.split("#")[0].strip() == "[sources]"
            continue
        match = re.match(rf"^(\s*{kind}\s*=\s*\[)(.*?)(\].*)$", line.rstrip("\r\n"))
        if in_sources and match:
            inside = match.group(2).strip().rstrip(",").strip()
            items = f'{inside}, "{source}"' if inside else f'"{source}"'
            ending = line[len(line.rstrip("\r\n")) :]
            lines[i] = f"{match.group(1)}{items}{match.group(3)}{ending}"
            break
    else:
        raise ConfigError(
            f"cannot add {source!r} to [sources] {kind}: no one-line `{kind} = [...]` there",
            where=str(paths.strategy),
            hint=f'add it by hand: [sources] {kind} = [..., "{source}"]',
        )
    edited = "".join(lines)
    try:
        added = source in tomllib.loads(edited).get("sources", {}).get(kind, [])
    except tomllib.TOMLDecodeError:
        added = False
    if not added:
        raise ConfigError(
            f"cannot add {source!r} to [sources] {kind} automatically",
            where=str(paths.strategy),
            hint=f'add it by hand: [sources] {kind} = [..., "{source}"]',
        )
    write_text_atomic(paths.strategy, edited, what="strategy.toml")
    return load_strategy(paths.strategy)
