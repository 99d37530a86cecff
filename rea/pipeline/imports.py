"""Importing export files: validate the whole file, keep a copy, store it in one transaction."""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rea.config import ReviewPaths
from rea.errors import ConfigError, DuplicateImport
from rea.files import write_text_atomic
from rea.query import Strategy, load_strategy
from rea.records import Provenance, SourceKind
from rea.sources.readers import detect, read_all
from rea.store import open_store
from rea.store.sources import content_key, find_import, imported_contents, save_import
from rea.store.works import now

#: Formats whose records PRISMA counts under "other methods" (so are the records of a source
#: listed under ``[sources] other`` of the strategy, whatever the format).
OTHER_FORMATS = frozenset({"grey-csv"})


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


def import_file(
    paths: ReviewPaths,
    file: Path,
    *,
    source: str,
    stage: str,
    format: str | None = None,
    force: bool = False,
    add_source: bool = False,
) -> ImportResult:
    """Validate the whole file, then store its records in one transaction.

    Refused, before anything is stored: a stage or a source the strategy does not list (with
    ``add_source`` the source is written into the strategy's ``[sources]`` first), the same
    bytes imported before, and a file whose records are all stored already from an earlier
    import of the same source and stage (same identifiers and content) — unless ``force``.
    """
    strategy = load_strategy(paths.strategy)
    strategy.stage(stage)  # a stage the strategy does not have is refused, naming the stages
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
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
    copy_name = f"{digest[:12]}-{file.name}"
    kept = paths.imports / copy_name
    provenance = Provenance(
        source=source,
        stage=stage,
        snapshot=kept.relative_to(paths.root).as_posix(),
        snapshot_sha256=digest,
        kind=kind,
    )
    records = read_all(file, fmt, provenance)  # the whole file, before anything is stored
    with open_store(paths.store) as store:
        earlier = find_import(store, digest)
        if earlier is not None and not force:
            raise DuplicateImport(
                f"this file was imported already on {earlier.imported_at} as "
                f"{earlier.source}/{earlier.stage} ({earlier.n_records} records)",
                where=str(file),
                hint="pass --force to import it again",
            )
        keys = [content_key(r) for r in records]
        if keys and not force and set(keys) <= imported_contents(store, source, stage):
            raise DuplicateImport(
                f"all {len(keys)} records of this file are stored already from an earlier import "
                f"of {source}/{stage} (same identifiers and content; the file's bytes differ)",
                where=str(file),
                hint="pass --force to import them again",
            )
        paths.imports.mkdir(parents=True, exist_ok=True)
        if not kept.exists():
            tmp = kept.with_name(f".tmp-{copy_name}")
            shutil.copyfile(file, tmp)
            tmp.rename(kept)
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
            records=records,
        )
    unidentified = tuple(
        r.provenance.position or i for i, r in enumerate(records, start=1) if r.unidentified
    )
    return ImportResult(
        import_id,
        provenance.snapshot or "",
        source,
        stage,
        fmt,
        len(records),
        kind.value,
        unidentified,
    )


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
