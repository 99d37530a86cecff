"""CLI commands: ``rea query render | lint | show | import``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rea.cli.options import json_option, review_option
from rea.errors import LintFailed
from rea.pipeline import query as pipeline
from rea.query import DATABASES
from rea.query.databases import DATABASES as ENTRIES

# The databases whose strategies rea reads back (their entries name a reader).
READABLE = tuple(db for db, entry in ENTRIES.items() if entry.reader is not None)


@click.group(
    "query",
    epilog="""\b
Example:
  rea query show
  rea query render --db scopus --stage 2013-2018-all
  rea query lint --verbatim searches/pcn-rea/box4-as-printed.txt""",
)
def query_group() -> None:
    """Render, lint, show and import search strategies (strategy.toml)."""


@query_group.command(
    "render",
    epilog="""\b
Example:
  rea query render --db pubmed --stage 1998-2012-reviews
  rea query render --db wos --stage 2013-2018-all --review searches/pcn-rea
  rea query render --all --out searches/pcn-rea/queries""",
)
@review_option
@click.option("--db", type=click.Choice(DATABASES), help="Database to render for.")
@click.option("--stage", "stage_id", metavar="ID", help="Search stage (see `rea query show`).")
@click.option("--all", "render_every", is_flag=True, help="Every stage x database into --out.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for --all.")
@click.option(
    "--review-filter",
    is_flag=True,
    help="Add the database's own review filter (review[pt], DOCTYPE(re), DT=(Review), "
    'Ovid limit to "review"). Never added unless asked.',
)
@json_option
def render_command(
    review: str | None,
    db: str | None,
    stage_id: str | None,
    render_every: bool,
    out: Path | None,
    review_filter: bool,
    as_json: bool,
) -> None:
    """Print a stage's native query for one database (warnings go to stderr).

    With --all, write every stage x database to --out (one file each, plus NOTES.md with
    the warnings and API parameters) so that changes show in diffs.
    """
    if render_every:
        if out is None or db or stage_id:
            raise click.UsageError("--all needs --out and takes no --db or --stage")
        for path in pipeline.render_all(review, out, review_filter=review_filter):
            click.echo(str(path))
        return
    if not db or not stage_id:
        raise click.UsageError("give --db and --stage (or --all --out DIR)")
    rendered = pipeline.render_query(review, db, stage_id, review_filter=review_filter)
    if as_json:
        data: dict[str, Any] = {
            "db": rendered.db,
            "stage": rendered.stage,
            "text": rendered.text,
            "warnings": list(rendered.warnings),
            "params": rendered.params,
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(rendered.text)
    for warning in rendered.warnings:
        click.echo(f"Warning: {warning}", err=True)


@query_group.command(
    "lint",
    epilog="""\b
Example:
  rea query lint
  rea query lint --strict --review searches/pcn-rea
  rea query lint --verbatim searches/pcn-rea/box4-as-printed.txt""",
)
@review_option
@click.option(
    "--verbatim",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lint a plain boolean search text file (e.g. as printed in a report).",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only errors.")
@json_option
def lint_command(review: str | None, verbatim: Path | None, strict: bool, as_json: bool) -> None:
    """Check a strategy as a search peer review would: each finding with file:line:col.

    Errors (the text cannot be searched as written) always fail; warnings fail with --strict.
    """
    if verbatim is not None and review is not None:
        raise click.UsageError("give --verbatim FILE or --review PATH, not both")
    report = pipeline.lint(review, verbatim=verbatim)
    if as_json:
        rows = [
            {
                "path": f.path,
                "line": f.pos.line if f.pos else None,
                "column": f.pos.column if f.pos else None,
                "severity": f.severity,
                "code": f.code,
                "db": f.db,
                "message": f.message,
                "hint": f.hint,
                "term": f.term,
                "accepted": f.accepted,
            }
            for f in report.findings
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        for finding in report.findings:
            click.echo(str(finding))
    click.echo(
        f"{report.errors} error(s), {report.warnings} warning(s), {report.accepted} accepted",
        err=True,
    )
    if report.errors or (strict and report.warnings):
        what = "errors" if report.errors else "warnings (--strict)"
        raise LintFailed(f"lint found {what}")


@query_group.command(
    "import",
    epilog="""\b
Example:
  rea query import --from ovid medline-appendix.txt --out searches/my-review/strategy.toml
  rea query import --from pubmed details.txt            # print the strategy.toml
  rea query import --from wos history.txt --out strategy.toml --id my-review --force""",
)
@click.option(
    "--from",
    "db",
    required=True,
    type=click.Choice(READABLE),
    help="The database whose syntax the file is written in.",
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="strategy.toml to write."
)
@click.option("--id", "review_id", metavar="ID", help="[review] id (default: the --out folder).")
@click.option("--title", help="[review] title.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def import_command(
    db: str, file: Path, out: Path | None, review_id: str | None, title: str | None, force: bool
) -> None:
    """Read a native search strategy (a query, or numbered search-history lines) into a
    strategy.toml: concept blocks, the expression over them, field tags, subject headings,
    dates and languages. What could not be carried over is printed (stderr) and kept as
    comments at the top of the file.
    """
    result = pipeline.import_strategy(
        file, db, out=out, review_id=review_id, title=title, force=force
    )
    if out is None:
        click.echo(result.text, nl=False)
    else:
        click.echo(str(out))
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(
        f"{result.blocks} block(s); {len(result.notes)} note(s) on what could not be carried over",
        err=True,
    )


@query_group.command(
    "show",
    epilog="""\b
Example:
  rea query show
  rea query show --review searches/pcn-rea --json""",
)
@review_option
@json_option
def show_command(review: str | None, as_json: bool) -> None:
    """Show the strategy: review, sources, stages and concept blocks."""
    from rea.query.render.neutral import to_text

    strategy = pipeline.strategy_of(review)
    if as_json:
        data = {
            "review_id": strategy.review_id,
            "title": strategy.title,
            "prospero": strategy.prospero,
            "api_sources": list(strategy.api_sources),
            "import_sources": list(strategy.import_sources),
            "other_sources": list(strategy.other_sources),
            "stages": [
                {
                    "id": s.id,
                    "label": s.label,
                    "date_from": s.date_from.isoformat(),
                    "date_to": s.date_to.isoformat(),
                    "languages": list(s.languages),
                    "terms": strategy.terms(s.id),
                }
                for s in strategy.stages
            ],
            "blocks": {b.name: to_text(b.node) for b in strategy.blocks},
            "query": to_text(strategy.expression or strategy.text),  # type: ignore[arg-type]
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{strategy.review_id}: {strategy.title}")
    if strategy.prospero:
        click.echo(f"PROSPERO {strategy.prospero}")
    click.echo(
        f"sources: api {', '.join(strategy.api_sources) or '-'}; "
        f"import {', '.join(strategy.import_sources) or '-'}; "
        f"other {', '.join(strategy.other_sources) or '-'}"
    )
    click.echo("\nstages:")
    for s in strategy.stages:
        changes = ""
        if s.drop_terms or s.drop_blocks or s.add_terms:
            parts = [f"drops {', '.join(s.drop_terms)}"] if s.drop_terms else []
            parts += [f"drops block {', '.join(s.drop_blocks)}"] if s.drop_blocks else []
            parts += [f"adds to {', '.join(n for n, _ in s.add_terms)}"] if s.add_terms else []
            changes = f" ({'; '.join(parts)})"
        click.echo(
            f"  {s.id}  {s.date_from} .. {s.date_to}  {', '.join(s.languages)}  "
            f"{len(strategy.terms(s.id))} terms{changes}\n    {s.label}"
        )
    if strategy.blocks:
        click.echo("\nblocks:")
        for b in strategy.blocks:
            click.echo(f"  {b.name} ({b.label}):\n    {to_text(b.node)}")
        assert strategy.expression is not None
        click.echo(f"\nquery:\n  {to_text(strategy.expression)}")
    elif strategy.text is not None:
        click.echo(f"\nquery:\n  {to_text(strategy.text)}")


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""
    group.add_command(query_group)
