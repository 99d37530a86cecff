"""``rea simulate``: replay a labelled CSV through the ranker the screening queue uses."""

from __future__ import annotations

import csv
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

LABEL_COLUMNS = ("label_included", "included", "label")
"""Label columns looked for, in this order, when none is named."""

_TRUE = {"1", "true", "yes", "y", "include", "included", "relevant"}
_FALSE = {"0", "false", "no", "n", "exclude", "excluded", "irrelevant"}


@dataclass(frozen=True)
class LabelledSet:
    """Texts (title, abstract, keywords joined) and their labels, in file order."""

    path: Path
    label_column: str
    texts: tuple[str, ...]
    labels: tuple[bool, ...]
    without_abstract: int


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
    """Read a labelled set: ``title`` and a label column required, ``abstract``/``keywords`` used.

    The label column is ``label_column`` or the first of :data:`LABEL_COLUMNS` present; labels are
    1/0, true/false, yes/no or include/exclude. A bad row raises an error naming file and line.
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ReaError(f"cannot read the file: {exc.strerror}", where=str(path)) from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFormatError("the file is empty", where=Location(path, 1)) from None
        except csv.Error as exc:
            raise ImportFormatError(f"not a CSV file: {exc}", where=Location(path, 1)) from exc
        names = [h.strip().lower() for h in header]
        column = _label_column(path, names, label_column)
        if "title" not in names:
            raise ImportFormatError(
                "no title column",
                where=Location(path, 1),
                hint=f"the header has: {', '.join(names)}",
            )
        title_at, label_at = names.index("title"), names.index(column)
        abstract_at = names.index("abstract") if "abstract" in names else None
        keywords_at = names.index("keywords") if "keywords" in names else None
        texts: list[str] = []
        labels: list[bool] = []
        without_abstract = 0
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
                    )
                labels.append(_label(row[label_at], Location(path, start, field=column)))
                abstract = row[abstract_at].strip() if abstract_at is not None else ""
                without_abstract += 0 if abstract else 1
                parts = [row[title_at].strip(), abstract]
                if keywords_at is not None:
                    parts.append(row[keywords_at].strip())
                texts.append(" ".join(p for p in parts if p))
        except csv.Error as exc:
            raise ImportFormatError(f"bad CSV: {exc}", where=Location(path, line + 1)) from exc
    if not labels:
        raise ImportFormatError("the file has a header but no rows", where=Location(path, 2))
    return LabelledSet(path, column, tuple(texts), tuple(labels), without_abstract)


def _label_column(path: Path, names: list[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted.strip().lower() not in names:
            raise ImportFormatError(
                f"no label column {wanted!r}",
                where=Location(path, 1),
                hint=f"the header has: {', '.join(names)}",
            )
        return wanted.strip().lower()
    for name in LABEL_COLUMNS:
        if name in names:
            return name
    raise ImportFormatError(
        "no label column (label_included, included or label)",
        where=Location(path, 1),
        hint="name it with --label COLUMN",
    )


def _label(value: str, where: Location) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ImportFormatError(
        f"label {value!r} is not 1/0, true/false, yes/no or include/exclude", where=where
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
