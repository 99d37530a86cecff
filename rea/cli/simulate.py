"""CLI commands: simulate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from rea.cli.options import json_option

ORDERS = ("prioritised", "mixed", "random")


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""
    group.add_command(simulate_command)


@click.command(
    "simulate",
    epilog="""\b
Example:
  rea simulate labelled.csv --seeds 5 --svg recall.svg
  rea simulate synergy.csv --label label_abstract_screening --order mixed""",
)
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--seeds",
    default=5,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Runs, each from another known include + exclude.",
)
@click.option(
    "--first-seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the first run; the others follow it.",
)
@click.option(
    "--label",
    "label_column",
    default=None,
    metavar="COLUMN",
    help="Label column (default: the first of asreview_label, included, label, "
    "label_included and ASReview's other names).",
)
@click.option(
    "--order",
    "order",
    default="prioritised",
    show_default=True,
    type=click.Choice(ORDERS),
    help="Queue order to simulate.",
)
@click.option(
    "--random-share",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of random picks in mixed order.",
)
@click.option(
    "--svg",
    "svg_path",
    default=None,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the recall curve (default: FILE-recall.svg here).",
)
@json_option
def simulate_command(
    csv_file: Path,
    seeds: int,
    first_seed: int,
    label_column: str | None,
    order: str,
    random_share: float,
    svg_path: Path | None,
    as_json: bool,
) -> None:
    """Replay a labelled set through the ranker the screening queue uses.

    FILE.csv has a title column, a label column (1/0) and usually an abstract column; comma,
    semicolon or tab separated, in UTF-8 or Latin-1. An ASReview LAB export works as it is:
    rows without a label (not screened) are left out and counted. Each run
    starts from 1 known include and 1 known exclude drawn by its seed, then screens the record
    the queue would show next and learns its label. Prints WSS@95, RRF@10 and ATD (prior records
    excluded) and the recall curve, and writes the curve as SVG.
    """
    # imported here: scikit-learn takes a while to load, and only this command needs it
    from rea.pipeline.simulate import run_simulation
    from rea.ranking.order import Order

    target = svg_path if svg_path is not None else Path(f"{csv_file.stem}-recall.svg")
    report = run_simulation(
        csv_file,
        seeds=range(first_seed, first_seed + seeds),
        label_column=label_column,
        order=Order(order),
        random_share=random_share,
        svg_path=target,
        progress=lambda message: click.echo(message, err=True),
    )
    data = report.labelled
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(csv_file),
                    "records": len(data.labels),
                    "included": sum(data.labels),
                    "label_column": data.label_column,
                    "unlabelled_rows_skipped": data.unlabelled,
                    "encoding": data.encoding,
                    "order": report.order.value,
                    "runs": [
                        {
                            "seed": run.seed,
                            "prior": list(run.prior),
                            "wss95": m.wss95,
                            "rrf10": m.rrf10,
                            "atd": m.atd,
                            "retrains": run.retrains,
                        }
                        for run, m in zip(report.runs, report.metrics, strict=True)
                    ],
                    "mean_sd": {k: report.mean_sd(k) for k in ("wss95", "rrf10", "atd")},
                    "recall_curve": report.recall_table(),
                    "svg": str(report.svg_path),
                },
                indent=2,
            )
        )
        return
    click.echo(
        f"{csv_file.name}: {len(data.labels):,} records, {sum(data.labels):,} included "
        f"({data.label_column}), {data.without_abstract:,} without abstract; "
        f"{report.order.value} order, prior 1 include + 1 exclude"
    )
    if data.unlabelled:
        click.echo(
            f"{data.unlabelled:,} rows without a label (not screened) were left out: the figures "
            f"are for the {len(data.labels):,} labelled records only"
        )
    if data.encoding not in ("utf-8", "utf-16"):
        click.echo(f"read as {data.encoding} (the file is not valid UTF-8)")
    click.echo(f"{'seed':>6} {'WSS@95':>8} {'RRF@10':>8} {'ATD':>8} {'retrains':>9}")
    for run, m in zip(report.runs, report.metrics, strict=True):
        click.echo(f"{run.seed:>6} {m.wss95:>8.1f} {m.rrf10:>8.1f} {m.atd:>8.1f} {run.retrains:>9}")
    cells = [report.mean_sd(k) for k in ("wss95", "rrf10", "atd")]
    click.echo("  mean " + " ".join(f"{mean:>8.1f}" for mean, _ in cells))
    click.echo("    sd " + " ".join(f"{sd:>8.1f}" for _, sd in cells))
    click.echo("recall curve (mean over seeds):")
    for screened, recall in report.recall_table():
        bar = "#" * round(recall / 2.5)
        click.echo(f"  {screened:5.0f}% screened  {recall:5.1f}% found  {bar}")
    click.echo(f"recall curve written to {report.svg_path}")
