"""``rea simulate``: replay a labelled CSV through the ranker the screening queue uses."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rea.errors import ImportFormatError, Location, ReaError
from rea.files import write_text_atomic
from rea.ranking.metrics import Metrics, recall_curve
from rea.ranking.order import DEFAULT_RANDOM_SHARE, Order
from rea.ranking.plot import recall_curve_svg

if TYPE_CHECKING:
    from rea.ranking.simulation import Simulation

LABEL_COLUMNS = (
    "asreview_label",
    "included",
    "label",
    "final_included",
    "label_included",
    "included_label",
    "included_final",
    "included_flag",
    "include",
)
"""Label columns looked for, in this order, when none is named: ASReview's own list, so an
ASReview LAB export (``asreview_label``) and a SYNERGY file (``label_included``) are read alike."""
TITLE_COLUMNS = ("title", "primary_title")
ABSTRACT_COLUMNS = ("abstract", "notes_abstract", "abstract note")
KEYWORD_COLUMNS = ("keywords",)
SEPARATORS = (",", ";", "\t")

_TRUE = {"1", "true", "yes", "y", "include", "included", "relevant"}
_FALSE = {"0", "false", "no", "n", "exclude", "excluded", "irrelevant"}
_UNLABELLED = {"", "na", "nan", "n/a", "null", "none"}
"""Label cells that mean "not screened" (ASReview LAB leaves them empty)."""


@dataclass(frozen=True)
class LabelledSet:
    """Texts (title, abstract, keywords joined) and their labels, in file order."""

    path: Path
    label_column: str
    texts: tuple[str, ...]
    labels: tuple[bool, ...]
    without_abstract: int
    unlabelled: int = 0
    """Rows without a label (not screened yet), left out of the set."""
    encoding: str = "utf-8"
    separator: str = ","


@dataclass(frozen=True)
class SimulationReport:
    labelled: LabelledSet
    order: Order
    runs: tuple[Simulation, ...]
    metrics: tuple[Metrics, ...]
    svg_path: Path | None

    def mean_sd(self, name: str) -> tuple[float, float]:
        values = [getattr(m, name) for m in self.metrics]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return statistics.fmean(values), sd

    def recall_table(self, steps: int = 10) -> list[tuple[float, float]]:
        """Mean recall (%) after screening each tenth of the records (prior ones excluded)."""
        rows = []
        for i in range(1, steps + 1):
            share = i / steps
            recalls = []
            for run in self.runs:
                cutoff = math.floor(share * run.n_pool)
                found = sum(run.screened_labels()[:cutoff])
                recalls.append(100.0 * found / run.n_relevant)
            rows.append((100.0 * share, statistics.fmean(recalls)))
        return rows


def read_labelled_csv(path: Path, label_column: str | None = None) -> LabelledSet:
    """Read a labelled set: a title column and a label column required, abstract and keywords
    used when present.

    The file may be comma-, semicolon- or tab-separated (told by its header line) and in UTF-8
    (with or without a byte order mark), UTF-16 with a byte order mark, or Latin-1/Windows-1252
    (used when the bytes are not UTF-8). The label column is ``label_column`` or the first of
    :data:`LABEL_COLUMNS` present; labels are 1/0 (also 1.0/0.0), true/false, yes/no or
    include/exclude; an empty label (a record not screened yet, as in an ASReview LAB export)
    leaves the row out and is counted. A bad row raises an error naming file, line and field.
    """
    text, encoding = _decode(path)
    if not text.strip():
        raise ImportFormatError("the file is empty", where=Location(path, 1))
    if "\x00" in text:
        raise ImportFormatError(
            "the file holds NUL bytes: it is not a text CSV file",
            where=Location(path, text[: text.index("\x00")].count("\n") + 1),
            hint="export the labelled set as CSV (comma, semicolon or tab separated)",
        )
    separator = _separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportFormatError(f"not a CSV file: {exc}", where=Location(path, 1)) from exc
    names = [h.strip().lower() for h in header]
    column = _label_column(path, names, label_column)
    title_name = _first_present(names, TITLE_COLUMNS)
    if title_name is None:
        raise ImportFormatError(
            "no title column",
            where=Location(path, 1),
            hint=f"the header has: {', '.join(names)}",
        )
    title_at, label_at = names.index(title_name), names.index(column)
    abstract_name = _first_present(names, ABSTRACT_COLUMNS)
    keywords_name = _first_present(names, KEYWORD_COLUMNS)
    abstract_at = names.index(abstract_name) if abstract_name is not None else None
    keywords_at = names.index(keywords_name) if keywords_name is not None else None
    texts: list[str] = []
    labels: list[bool] = []
    without_abstract = unlabelled = 0
    line = 1
    try:
        for row in reader:
            start = line + 1
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise ImportFormatError(
                    f"row has {len(row)} fields, the header {len(names)}",
                    where=Location(path, start),
                    hint=(
                        f"the file was read as {_SEPARATOR_NAMES[separator]}-separated; "
                        "a field holding the separator must be in double quotes"
                    ),
                )
            label = _label(row[label_at], Location(path, start, field=column))
            if label is None:
                unlabelled += 1
                continue
            labels.append(label)
            abstract = row[abstract_at].strip() if abstract_at is not None else ""
            without_abstract += 0 if abstract else 1
            parts = [row[title_at].strip(), abstract]
            if keywords_at is not None:
                parts.append(row[keywords_at].strip())
            texts.append(" ".join(p for p in parts if p))
    except csv.Error as exc:
        raise ImportFormatError(f"bad CSV: {exc}", where=Location(path, line + 1)) from exc
    if not labels:
        if unlabelled:
            raise ImportFormatError(
                f"none of the {unlabelled} rows has a label in column {column!r}",
                where=Location(path, 2, field=column),
                hint="simulate needs screened records: label them, or name another column "
                "with --label COLUMN",
            )
        raise ImportFormatError("the file has a header but no rows", where=Location(path, 2))
    return LabelledSet(
        path,
        column,
        tuple(texts),
        tuple(labels),
        without_abstract,
        unlabelled=unlabelled,
        encoding=encoding,
        separator=separator,
    )


_SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def _decode(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read in."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReaError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    if data.startswith(b"PK\x03\x04"):
        raise ImportFormatError(
            "an Excel workbook (or another zip file), not CSV",
            where=Location(path, 1),
            hint="save the sheet as CSV (UTF-8) and simulate that file",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"starts as UTF-16 but byte {exc.start} is not: {exc.reason}",
                where=Location(path),
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # Excel's "CSV" on Windows: Windows-1252, a superset of Latin-1's printable characters
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _separator(header: str) -> str:
    """The separator that splits the header line most often (outside double quotes)."""
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _first_present(names: list[str], wanted: Sequence[str]) -> str | None:
    return next((name for name in wanted if name in names), None)


def _label_column(path: Path, names: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted.strip().lower() not in names:
            raise ImportFormatError(
                f"no label column {wanted!r}",
                where=Location(path, 1),
                hint=f"the header has: {', '.join(names)}",
            )
        return wanted.strip().lower()
    found = _first_present(names, LABEL_COLUMNS)
    if found is not None:
        return found
    raise ImportFormatError(
        "no label column (" + ", ".join(LABEL_COLUMNS) + ")",
        where=Location(path, 1),
        hint=f"name it with --label COLUMN; the header has: {', '.join(names)}",
    )


def _label(value: str, where: Location) -> bool | None:
    """True/False for a label, None for a row not screened yet."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _UNLABELLED:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if number == 1.0:
        return True
    if number == 0.0:
        return False
    raise ImportFormatError(
        f"label {value!r} is not 1/0, true/false, yes/no or include/exclude",
        where=where,
        hint="an empty label marks a record not screened yet",
    )


def run_simulation(
    path: Path,
    *,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    label_column: str | None = None,
    order: Order = Order.PRIORITISED,
    random_share: float = DEFAULT_RANDOM_SHARE,
    svg_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationReport:
    """Simulate screening ``path`` once per seed and write the recall curves to ``svg_path``."""
    labelled = read_labelled_csv(path, label_column)
    if sum(labelled.labels) < 2 or all(labelled.labels):
        raise ReaError(
            f"{path} has {sum(labelled.labels)} includes among {len(labelled.labels)} rows; a "
            "simulation needs at least 2 includes and 1 exclude",
            hint=f"check the label column ({labelled.label_column})",
        )
    if not seeds:
        raise ReaError("no seed to run", hint="pass --seeds 1 or more")
    # scikit-learn loads slowly: only once the file is known to be good
    from rea.ranking.model import featurize
    from rea.ranking.simulation import simulate

    features = featurize(labelled.texts)
    runs: list[Simulation] = []
    for seed in seeds:
        if progress is not None:
            progress(f"seed {seed}: screening {len(labelled.labels):,} records")
        runs.append(
            simulate(features, labelled.labels, seed=seed, order=order, random_share=random_share)
        )
    metrics = tuple(run.metrics() for run in runs)
    if svg_path is not None:
        first = runs[0]
        svg = recall_curve_svg(
            [recall_curve(run.screened_labels()) for run in runs],
            first.n_pool,
            first.n_relevant,
            title=f"Recall curve: {path.name} ({order.value} order)",
            labels=[f"seed {run.seed}" for run in runs],
        )
        write_text_atomic(svg_path, svg, what="the SVG")
    return SimulationReport(labelled, order, tuple(runs), metrics, svg_path)
