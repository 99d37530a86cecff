"""CLI commands: sources (search, runs, import, replay)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import click

from rea.cli.options import json_option, resolve_review, review_option


def _progress(message: str) -> None:
    click.echo(message, err=True)


#: exit code of `rea search` when a search is not proven complete (accepted ones included)
EXIT_INCOMPLETE = 3


def _state(state: str, missing: int, surplus: int, reasons: Sequence[str]) -> str:
    if state == "complete":
        return "complete"
    parts = []
    if missing:
        parts.append(f"{missing} missing")
    if surplus:
        parts.append(f"{surplus} more than reported")
    label = "INCOMPLETE" if state == "incomplete" else "incomplete, accepted as current"
    detail = ", ".join(parts) or (reasons[0] if reasons else "")
    return f"{label}: {detail}" if detail else label


@click.command(
    epilog="""\b
Example:
  rea search --review searches/pcn-rea
  rea search --stage 2013-2018-all --source pubmed
  rea search --resume 2026-11-24T101500Z
  rea search --strict --accept-incomplete

\b
Exit codes: 0 every search is complete; 3 a search is incomplete (it is not
used as the current search unless --accept-incomplete); 1 an error (the run
stays resumable with --resume)."""
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
@click.option(
    "--strict",
    is_flag=True,
    help="Stop when PubMed says it ran another query than the one written "
    "(a phrase or field not found, a term ignored, a wildcard cut short).",
)
@click.option(
    "--accept-incomplete",
    is_flag=True,
    help="Use a search that is not proven complete as the current one anyway "
    "(the report shows it as incomplete).",
)
@json_option
def search(
    review: str | None,
    stage: str | None,
    source: str | None,
    resume: str | None,
    strict: bool,
    accept_incomplete: bool,
    as_json: bool,
) -> None:
    """Run every stage x API source of the strategy as a new run (or finish one with --resume).

    Every response is kept byte for byte under runs/<run-id>/; the records go to the store. Each
    search is checked: the distinct identifiers stored must match the count the database
    reported, or the search is marked INCOMPLETE with the number missing. Needs the network, or
    REA_PUBMED_URL/REA_SCOPUS_URL pointing at `rea replay`; Scopus needs SCOPUS_API_KEY.
    """
    from rea.pipeline.search import plan_searches, run_searches

    paths = resolve_review(review)
    if resume and (stage or source):
        raise click.UsageError("--resume finishes the run's own plan; drop --stage/--source")
    tasks = None if resume else plan_searches(paths, stage=stage, source=source)
    result = run_searches(
        paths,
        tasks,
        resume=resume,
        progress=_progress,
        strict=strict,
        accept_incomplete=accept_incomplete,
    )
    if as_json:
        value = asdict(result)
        for task in value["tasks"]:
            task["state"] = str(task["state"])
        click.echo(json.dumps(value, indent=2))
    else:
        click.echo(f"run {result.run_id} ({result.path})")
        for task in result.tasks:
            reported = "?" if task.reported_count is None else task.reported_count
            note = " (stored earlier)" if task.already_done else ""
            state = _state(task.state.value, task.missing_count, task.surplus_count, task.reasons)
            click.echo(
                f"  {task.stage:<24} {task.source:<8} {task.fetched_count:>7} records "
                f"of {reported} reported  {state}{note}"
            )
            for kind, text in task.messages:
                click.echo(f"    PubMed says {kind}: {text}")
            for warning in task.warnings:
                click.echo(f"    warning: {warning}")
            if not task.complete:
                for reason in task.reasons:
                    click.echo(f"    why: {reason}")
    if result.incomplete:
        names = ", ".join(f"{t.stage}/{t.source}" for t in result.incomplete)
        if accept_incomplete:
            click.echo(
                f"incomplete searches accepted as current: {names}; the report marks them",
                err=True,
            )
        else:
            click.echo(
                f"incomplete searches: {names}. They are not used for dedup and PRISMA; "
                f"search again, or accept them: rea runs accept {result.run_id}",
                err=True,
            )
        click.get_current_context().exit(EXIT_INCOMPLETE)


@click.group(
    invoke_without_command=True,
    epilog="""\b
Example:
  rea runs
  rea runs diff 2026-05-01T090000Z 2026-11-24T101500Z
  rea runs accept 2026-11-24T101500Z --stage 2013-2018-all --source pubmed""",
)
@review_option
@json_option
@click.pass_context
def runs(ctx: click.Context, review: str | None, as_json: bool) -> None:
    """List the search runs of the review: per stage and source the records stored, the count
    reported, whether the search is complete, and which run is current."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = review
        return
    from rea.pipeline.search import list_runs

    found = list_runs(resolve_review(review))
    if as_json:
        value = [asdict(r) for r in found]
        for item in value:
            for row in item["searches"]:
                row["state"] = str(row["state"])
        click.echo(json.dumps(value, indent=2))
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
            current = "  [current]" if (s.stage, s.source) in run.current else ""
            shown = _state(
                s.state.value, s.missing_count, s.surplus_count, s.details.get("reasons", [])
            )
            click.echo(
                f"  {s.stage:<24} {s.source:<8} {s.fetched_count:>7} of {reported}  "
                f"{shown}{current}"
            )


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
        for run_id, state, missing in (
            (run_a, d.state_a, d.missing_a),
            (run_b, d.state_b, d.missing_b),
        ):
            if state in ("incomplete", "accepted"):
                click.echo(
                    f"  note: the search of run {run_id} is incomplete ({missing} missing): "
                    "a record it lacks may be lost, not gone from the database"
                )
        for sign, keys in (("+", d.added), ("-", d.removed)):
            for key in keys[:show]:
                click.echo(f"  {sign} {key.key}  {key.title[:80]}")
            if len(keys) > show:
                click.echo(f"  {sign} … {len(keys) - show} more")


@runs.command(
    "accept",
    epilog="""\b
Example:
  rea runs accept 2026-11-24T101500Z --stage 2013-2018-all --source pubmed
  rea runs accept 2026-11-24T101500Z --note "12 PMIDs gone from PubMed; checked"
""",
)
@click.argument("run_id", metavar="RUN")
@click.option("--stage", default=None, help="Only this stage's search.")
@click.option("--source", default=None, help="Only this source's search.")
@click.option("--note", default="", help="Why the incomplete search is good enough.")
@review_option
@click.pass_context
def runs_accept(
    ctx: click.Context,
    run_id: str,
    stage: str | None,
    source: str | None,
    note: str,
    review: str | None,
) -> None:
    """Use the incomplete searches of a finished run as current anyway.

    The run's files do not change; the store records the acceptance (when, and the note), and
    the report shows the search as incomplete.
    """
    from rea.pipeline.search import accept_incomplete

    done = accept_incomplete(
        resolve_review(review or ctx.obj), run_id, stage=stage, source=source, note=note
    )
    for item in done:
        parts = []
        if item.missing_count:
            parts.append(f"{item.missing_count} missing")
        if item.surplus_count:
            parts.append(f"{item.surplus_count} more than reported")
        detail = f" ({', '.join(parts)})" if parts else ""
        click.echo(f"accepted {item.stage}/{item.source} of run {item.run_id}{detail}")


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
@click.option(
    "--max-size",
    metavar="SIZE",
    default=None,
    help="Refuse larger files (e.g. 2G; default: $REA_IMPORT_MAX_SIZE or 512M).",
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
    max_size: str | None,
    review: str | None,
    as_json: bool,
) -> None:
    """Validate a whole export file, then store its records in one transaction.

    The file is copied into the review's imports/ folder. Refused unless --force: the same file
    twice, or a file whose records are all stored already from an earlier import of the same
    source and stage. A source the strategy does not list is refused unless --add-source.
    Control characters in the text (NUL bytes, terminal escapes) are removed and counted.
    """
    from rea.config import parse_size
    from rea.pipeline.imports import import_file

    result = import_file(
        resolve_review(review),
        file,
        source=source,
        stage=stage,
        format=format_,
        force=force,
        add_source=add_source,
        max_size=None if max_size is None else parse_size(max_size),
    )
    if result.removed_controls:
        removed = ", ".join(f"{name} ×{n}" for name, n in result.removed_controls.items())
        total = sum(result.removed_controls.values())
        click.echo(
            f"Warning: removed {total} control characters from the text ({removed})", err=True
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
    """Answer E-utilities, Scopus and the citation and full-text services' requests on
    127.0.0.1 from recorded responses; prints the environment that points rea at it."""
    from rea.sources.replay import ReplayServer

    server = ReplayServer(recordings, port=port)
    for name, value in server.env().items():
        click.echo(f"{name}={value}")
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
