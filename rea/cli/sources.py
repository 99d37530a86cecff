"""CLI commands: sources (search, runs, import, replay)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from rea.cli.options import json_option, resolve_review, review_option


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.command(
    epilog="""\b
Example:
  rea search --review searches/pcn-rea
  rea search --stage 2013-2018-all --source pubmed
  rea search --resume 2026-11-24T101500Z"""
)
@review_option
@click.option("--stage", default=None, help="Only this stage of the strategy.")
@click.option("--source", default=None, help="Only this API source (pubmed, scopus).")
@click.option(
    "--resume",
    "resume",
    metavar="RUN",
    default=None,
    help="Finish the interrupted run RUN without fetching stored pages again.",
)
@json_option
def search(
    review: str | None, stage: str | None, source: str | None, resume: str | None, as_json: bool
) -> None:
    """Run every stage x API source of the strategy as a new run (or finish one with --resume).

    Every response is kept byte for byte under runs/<run-id>/; the records go to the store.
    Needs the network, or REA_PUBMED_URL/REA_SCOPUS_URL pointing at `rea replay`; Scopus needs
    SCOPUS_API_KEY.
    """
    from rea.pipeline.search import plan_searches, run_searches

    paths = resolve_review(review)
    if resume and (stage or source):
        raise click.UsageError("--resume finishes the run's own plan; drop --stage/--source")
    tasks = None if resume else plan_searches(paths, stage=stage, source=source)
    result = run_searches(paths, tasks, resume=resume, progress=_progress)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
        return
    click.echo(f"run {result.run_id} ({result.path})")
    for task in result.tasks:
        reported = "?" if task.reported_count is None else task.reported_count
        note = " (stored earlier)" if task.already_done else ""
        click.echo(
            f"  {task.stage:<24} {task.source:<8} {task.fetched_count:>7} records "
            f"of {reported} reported{note}"
        )
        for warning in task.warnings:
            click.echo(f"    warning: {warning}")


@click.group(
    invoke_without_command=True,
    epilog="""\b
Example:
  rea runs
  rea runs diff 2026-05-01T090000Z 2026-11-24T101500Z""",
)
@review_option
@json_option
@click.pass_context
def runs(ctx: click.Context, review: str | None, as_json: bool) -> None:
    """List the search runs of the review, with counts per stage and source."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = review
        return
    from rea.pipeline.search import list_runs

    found = list_runs(resolve_review(review))
    if as_json:
        click.echo(json.dumps([asdict(r) for r in found], indent=2))
        return
    if not found:
        click.echo("no runs yet: `rea search` makes one", err=True)
    for run in found:
        state = (
            "finished" if run.finished else "INCOMPLETE (rea search --resume " + run.run_id + ")"
        )
        click.echo(f"{run.run_id}  started {run.started_at}  {state}")
        for s in run.searches:
            reported = "?" if s.reported_count is None else s.reported_count
            click.echo(f"  {s.stage:<24} {s.source:<8} {s.fetched_count:>7} of {reported}")


@runs.command(
    "diff",
    epilog="""\b
Example:
  rea runs diff 2026-05-01T090000Z 2026-11-24T101500Z --show 20""",
)
@click.argument("run_a")
@click.argument("run_b")
@click.option("--show", default=10, show_default=True, help="Records listed per change.")
@review_option
@json_option
@click.pass_context
def runs_diff(
    ctx: click.Context, run_a: str, run_b: str, show: int, review: str | None, as_json: bool
) -> None:
    """What changed between two runs, per stage and source: counts, records added and removed."""
    from rea.pipeline.search import diff_runs

    diffs = diff_runs(resolve_review(review or ctx.obj), run_a, run_b)
    if as_json:
        click.echo(json.dumps([asdict(d) for d in diffs], indent=2))
        return
    for d in diffs:
        click.echo(
            f"{d.stage} / {d.source}: {d.count_a} -> {d.count_b} "
            f"(+{len(d.added)} added, -{len(d.removed)} removed)"
        )
        for sign, keys in (("+", d.added), ("-", d.removed)):
            for key in keys[:show]:
                click.echo(f"  {sign} {key.key}  {key.title[:80]}")
            if len(keys) > show:
                click.echo(f"  {sign} … {len(keys) - show} more")


@click.command(
    "import",
    epilog="""\b
Example:
  rea import exports/wos-2013-2018.txt --source wos --stage 2013-2018-all
  rea import grey.csv --source gponline --stage 2013-2018-all --format grey-csv
  rea import kingsfund.csv --source kingsfund --stage 2013-2018-all --add-source""",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Where the file came from (wos, ovid, gponline…).")
@click.option("--stage", required=True, help="The strategy stage the file belongs to.")
@click.option(
    "--format",
    "format_",
    default=None,
    help="ris, medline, bibtex, wos, wos-tab, scopus-csv, ovid, grey-csv (default: detected).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Import a file even if the same bytes, or the same records, were imported.",
)
@click.option(
    "--add-source",
    is_flag=True,
    help="Add a source the strategy does not list to its [sources] (import, or other for "
    "grey-csv files) before importing.",
)
@review_option
@json_option
def import_(
    file: Path,
    source: str,
    stage: str,
    format_: str | None,
    force: bool,
    add_source: bool,
    review: str | None,
    as_json: bool,
) -> None:
    """Validate a whole export file, then store its records in one transaction.

    The file is copied into the review's imports/ folder. Refused unless --force: the same file
    twice, or a file whose records are all stored already from an earlier import of the same
    source and stage. A source the strategy does not list is refused unless --add-source.
    """
    from rea.pipeline.imports import import_file

    result = import_file(
        resolve_review(review),
        file,
        source=source,
        stage=stage,
        format=format_,
        force=force,
        add_source=add_source,
    )
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
        return
    click.echo(
        f"imported {result.n_records} records from {file} as {result.source}/{result.stage} "
        f"({result.format}; kept as {result.path})"
    )
    if result.unidentified:
        shown = ", ".join(str(n) for n in result.unidentified[:10])
        more = f" and {len(result.unidentified) - 10} more" if len(result.unidentified) > 10 else ""
        click.echo(
            f"{len(result.unidentified)} record(s) with neither a title nor an identifier "
            f"(file positions {shown}{more}): kept and flagged; `rea dedup review` shows them "
            "where their citation matches another record",
            err=True,
        )


@click.command(
    epilog="""\b
Example:
  rea replay --recordings demo/recordings --port 8765
  REA_PUBMED_URL=http://127.0.0.1:8765/pubmed rea search"""
)
@click.option(
    "--recordings",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of recordings (format: docs/sources.md).",
)
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any).")
def replay(recordings: Path, port: int) -> None:
    """Answer E-utilities and Scopus requests on 127.0.0.1 from recorded responses."""
    from rea.sources.replay import ReplayServer

    server = ReplayServer(recordings, port=port)
    click.echo(f"REA_PUBMED_URL={server.pubmed_url}")
    click.echo(f"REA_SCOPUS_URL={server.scopus_url}", nl=True)
    click.echo("replaying; Ctrl-C stops", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop_serving()


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""
    group.add_command(search)
    group.add_command(runs)
    group.add_command(import_, "import")
    group.add_command(replay)
