"""Importing export files: validate the whole file, keep a copy, store it in one transaction."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from rea.config import ReviewPaths
from rea.errors import DuplicateImport
from rea.query import load_strategy
from rea.records import Provenance, SourceKind
from rea.sources.readers import detect, read_all
from rea.store import open_store
from rea.store.sources import find_import, save_import
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
) -> ImportResult:
    strategy = load_strategy(paths.strategy)
    strategy.stage(stage)  # a stage the strategy does not have is refused, naming the stages
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    fmt = format or detect(file)
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
