"""Readers of database export files: ``read(path, provenance) -> Iterator[Record]`` each.

Every reader reads its file as a stream (:func:`common.text_lines`), one record at a time, so
memory holds the records read and not the file besides. :func:`read_file` validates a whole file
(every record read and checked) before anything is stored and says how many control characters
(NUL, escape …) were removed; :func:`detect` tells the format from the first 20 kB.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rea.errors import ImportFormatError
from rea.records import Provenance, Record
from rea.sources.readers import bibtex, grey_csv, medline, ovid, ris, scopus_csv, wos
from rea.sources.readers.common import counting_controls

Reader = Callable[[Path, Provenance], Iterator[Record]]

READERS: dict[str, Reader] = {
    "ris": ris.read,
    "medline": medline.read,
    "bibtex": bibtex.read,
    "wos": wos.read,
    "wos-tab": wos.read_tab,
    "scopus-csv": scopus_csv.read,
    "ovid": ovid.read,
    "grey-csv": grey_csv.read,
}

FORMATS = tuple(READERS)


def detect(path: Path) -> str:
    """The format of an export, from its first lines."""
    with path.open("rb") as handle:
        head = handle.read(20_000).decode("utf-8-sig", errors="replace").lstrip("\ufeff")
    lines = [line.rstrip("\r") for line in head.splitlines()]
    first = next((line for line in lines if line.strip()), "")
    if re.search(r"^TY  -", head, re.M):
        return "ris"
    if first.startswith(("FN ", "VR ")) or (
        re.match(r"^PT [A-Z]\s*$", first) and re.search(r"^ER\s*$", head, re.M)
    ):
        return "wos"
    if "\t" in first and {"PT", "AU", "TI"} <= set(first.split("\t")):
        return "wos-tab"
    if re.match(r"^<\d+>\s*$", first):
        return "ovid"
    if re.search(r"^\s*@\w+\s*\{", head, re.M):
        return "bibtex"
    if re.search(r"^(PMID|OWN |TI  )\s*- ", head, re.M):
        if re.search(r"^(VN|DB|UI)  - ", head, re.M) and not re.search(r"^PMID- ", head, re.M):
            return "ovid"
        return "medline"
    cells = [c.strip().strip('"').lower() for c in first.split(",")]
    if "title" in cells and ("eid" in cells or "source title" in cells):
        return "scopus-csv"
    if "title" in cells:
        return "grey-csv"
    raise ImportFormatError(
        "cannot tell the format of this file",
        where=str(path),
        hint=f"pass --format, one of: {', '.join(FORMATS)}",
    )


@dataclass(frozen=True)
class ReadFile:
    records: list[Record]
    removed: dict[str, int]  # control characters removed, by name ("NUL", "ESC", "U+0085")


def read_file(path: Path, format: str, provenance: Provenance) -> ReadFile:
    """Every record of the file, or an error naming file, line and field; and the control
    characters that were removed from the text."""
    if format not in READERS:
        raise ImportFormatError(f"unknown format {format!r}", hint=f"one of: {', '.join(FORMATS)}")
    with counting_controls() as removed:
        records = list(READERS[format](path, provenance))
    if not records:
        raise ImportFormatError("the file holds no records", where=str(path))
    return ReadFile(records, {control_name(c): n for c, n in removed.most_common()})


def read_all(path: Path, format: str, provenance: Provenance) -> list[Record]:
    """Every record of the file, or an error naming file, line and field."""
    return read_file(path, format, provenance).records


_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"}


def control_name(char: str) -> str:
    return _NAMES.get(ord(char), f"U+{ord(char):04X}")
