"""CLI commands: prisma, report, demo, init."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rea.cli.options import json_option, resolve_review, review_option

INTERIM = "INTERIM: some works still await a decision; the numbers will change."


def final_option(func: Any) -> Any:
    """``--final``: refuse while any work awaits a decision, naming the works."""
    return click.option(
        "--final",
        is_flag=True,
        help="Refuse (naming the works) while any work still awaits a decision.",
    )(func)


@click.command(
    "prisma",
    epilog="""\b
Example:
  rea prisma --review searches/pcn-rea
  rea prisma --stage 2013-2018-all --csv prisma-2013.csv
  rea prisma --json > prisma.json
  rea prisma --final""",
)
@review_option
@json_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the PRISMA2020-template CSV (loads into the PRISMA2020 Shiny app).",
)
@click.option(
    "--stage", default=None, help="Only this stage's flow (default: every stage and the total)."
)
@final_option
def prisma_command(
    review: str | None, as_json: bool, csv_path: Path | None, stage: str | None, final: bool
) -> None:
    """Print the PRISMA 2020 flow-diagram numbers, computed from the review's store.

    Every box is checked to add up; a box that does not is an error naming the works involved.
    Mid-review, works still awaiting a decision have a box of their own and the numbers are
    marked interim; --final refuses them instead, naming the works.
    """
    import json

    from rea.pipeline.prisma import prisma_counts, write_csv

    counts = prisma_counts(resolve_review(review), final=final)
    flows = [counts.flow(stage)] if stage else list(counts.flows())
    if csv_path is not None:
        write_csv(counts, csv_path, flow=stage or "total")
        click.echo(f"wrote {csv_path}", err=True)
    if as_json:
        data = (
            counts.as_dict()
            if not stage
            else {"rule": counts.rule, "interim": counts.interim, "flow": flows[0].as_dict()}
        )
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        if counts.interim:
            click.echo(INTERIM)
        for flow in flows:
            click.echo(_text(flow.as_dict()))
        if not stage:
            click.echo(counts.rule)
        for s in counts.superseded:
            click.echo(
                f"not counted: run {s.run_id} {s.stage}/{s.source} ({s.records} records, {s.state})"
            )
    if counts.interim:
        waiting = counts.total.awaiting_total
        click.echo(
            f"interim: {waiting} {'work awaits' if waiting == 1 else 'works await'} a decision "
            "(rea screen stats, rea conflicts); --final refuses until none does",
            err=True,
        )


def _text(flow: dict[str, Any]) -> str:
    ident, dbr, oth, inc = (
        flow["identification"],
        flow["databases"],
        flow["other_methods"],
        flow["included"],
    )

    def both(key: str) -> str:
        return f"{dbr[key]} / {oth[key]}"

    def listing(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"

    rows = [
        (
            "records identified from databases",
            ident["databases_total"],
            listing(ident["databases"]),
        ),
        (
            "records identified by other methods",
            ident["other_methods_total"],
            listing(ident["other_methods"]),
        ),
        ("duplicates removed", ident["duplicates"], "database records"),
        (
            "other-method records found already",
            ident["other_method_repeats"],
            "counted by rea dedup as duplicates, not here",
        ),
        (
            "removed by automation / other reasons",
            f"{ident['excluded_automatic']} / {ident['excluded_other']}",
            "",
        ),
        ("records screened", dbr["records_screened"], ""),
        ("records excluded", dbr["records_excluded"], ""),
        ("  of which never screened (stopped)", dbr["records_excluded_automation"], ""),
        ("records awaiting a decision", dbr["awaiting_screening"], ""),
        ("other methods: not sought / awaiting", f"{oth['not_sought']} / {oth['awaiting']}", ""),
        ("reports sought (databases / other)", both("reports_sought"), ""),
        ("reports not retrieved", both("reports_not_retrieved"), ""),
        ("reports assessed", both("reports_assessed"), ""),
        ("reports excluded", both("reports_excluded_total"), ""),
        ("reports awaiting a decision", both("reports_awaiting"), ""),
    ]
    reasons: dict[str, int] = {}
    for branch in (dbr, oth):
        for reason, n in branch["reports_excluded"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    rows += [("", n, reason) for reason, n in reasons.items()]
    rows += [
        ("studies included", inc["studies"], listing(inc["by_type"])),
        ("reports of included studies", inc["reports"], ""),
    ]
    lines = [f"== {flow['label']}" + (" (interim)" if flow["interim"] else "")]
    for label, value, detail in rows:
        lines.append(f"{label:<40}{value!s:>9}  {detail}".rstrip())
    return "\n".join(lines)


@click.command(
    "report",
    epilog="""\b
Example:
  rea report --review searches/pcn-rea
  rea report --out /tmp/pcn-report
  rea report --final
  rea report --svg-only""",
)
@review_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the report into (default: <review>/report); it is replaced whole.",
)
@final_option
@click.option(
    "--svg-only",
    is_flag=True,
    help="Write report.html and the SVG diagrams only: no PNG or PDF (needs no cairo or Pango).",
)
def report_command(review: str | None, out_dir: Path | None, final: bool, svg_only: bool) -> None:
    """Write the review's report: report.html (one self-contained file) and report.pdf, and each
    PRISMA flow diagram as SVG, PNG and PDF.

    The folder is replaced whole, at once. Mid-review the report is stamped interim; --final
    refuses while any work awaits a decision.
    """
    from rea.pipeline.prisma import build_report

    files = build_report(resolve_review(review), out_dir, final=final, images_too=not svg_only)
    for written in (*files.svgs, *files.pngs, *files.pdfs):
        click.echo(f"wrote {written}", err=True)
    click.echo(str(files.html))


@click.command(
    "demo",
    epilog="""\b
Example:
  rea demo
  rea demo --dir /tmp/pcn-demo
  rea screen stats --review /tmp/pcn-demo""",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo") / "pcn-rea-sample",
    show_default=True,
    help="Review folder to create (a folder an earlier demo made is replaced).",
)
def demo_command(folder: Path) -> None:
    """Run the whole pipeline offline on the bundled sample and print where the report is.

    Queries, search (against rea's replay server on 127.0.0.1), imports, dedup, two reviewers'
    screening with conflicts resolved, PRISMA counts and the report. See docs/demo.md.
    """
    from rea.pipeline.demo import run_demo

    result = run_demo(folder, progress=lambda line: click.echo(line, err=True))
    click.echo(f"report: {result.report}")
    for line in _next_steps(result.review):
        click.echo(line)


def _next_steps(review: Path) -> list[str]:
    """What to run next in a new shell: the screen where work is left (with make from the
    repository, or the full path of this rea), else where to look."""
    import shutil
    import sys

    from rea.config import ReviewPaths
    from rea.pipeline.demo import work_left

    left, lost = work_left(ReviewPaths(review))
    rea = "rea" if shutil.which("rea") else str(Path(sys.executable).with_name("rea"))
    use_make = Path("Makefile").is_file() and "screen:" in Path("Makefile").read_text()
    lines = []
    for w in left:
        lines.append(f"left to screen: {w.reviewer} has {w.works} works at {w.phase}; run")
        if use_make:
            lines.append(f"  make screen REVIEW={review} PHASE={w.phase} REVIEWER={w.reviewer}")
        lines.append(f"  {rea} screen --review {review} --phase {w.phase} --reviewer {w.reviewer}")
    if not left:
        lines.append("every work that can be screened is decided")
    if lost:
        lines.append(
            f"{lost} reports at full text were not retrieved: once found, "
            f"{rea} fulltext WORK retrieved --location PATH --by NAME --review {review}"
        )
    lines.append(f"progress: {rea} screen stats --review {review}")
    return lines


@click.command(
    "init",
    epilog="""\b
Example:
  rea init pcn-update-2026
  export REA_REVIEW=searches/pcn-update-2026
  rea query lint --strict""",
)
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to make it (default: searches/NAME).",
)
def init_command(name: str, folder: Path | None) -> None:
    """Make a new review folder with a strategy.toml and a screening.toml to edit, started from
    the reference review's (valid as they are)."""
    from rea.pipeline.review import init_review

    made = init_review(folder or Path("searches") / name, name)
    for path in made.files:
        click.echo(f"wrote {path}", err=True)
    root = made.paths.root
    click.echo(f"review {name} in {root}; next:")
    click.echo(f"  export REA_REVIEW={root}    # or pass --review {root} to each command")
    click.echo(f"  edit {made.paths.strategy} and {made.paths.screening}")
    click.echo("  rea query lint --strict")


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""
    group.add_command(init_command)
    group.add_command(prisma_command)
    group.add_command(report_command)
    group.add_command(demo_command)
