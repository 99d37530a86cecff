"""CLI commands: citation searching (rea citations, rounds, accept)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from rea.cli.options import json_option, resolve_review, review_option

#: exit code when a citation run is not proven complete (as `rea search`)
EXIT_INCOMPLETE = 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.group(
    "citations",
    invoke_without_command=True,
    epilog="""\b
Example:
  rea citations --stage 2013-2018-all                  # round 1, or the next round
  rea citations --stage 2013-2018-all --direction backward --from 12 --from 40
  rea citations --stage 2013-2018-all --service pubmed --service crossref
  rea citations --resume cit-2026-11-24T101500Z
  rea citations rounds

\b
Exit codes: 0 the round is complete (or no round is left to run); 3 a listing
is incomplete (its hits are not used unless --accept-incomplete); 1 an error
(the run stays resumable with --resume).""",
)
@review_option
@click.option("--stage", default=None, help="The stage whose works are chased.")
@click.option(
    "--direction",
    type=click.Choice(["backward", "forward", "both"]),
    default="both",
    show_default=True,
    help="backward: the seeds' references; forward: the works citing them.",
)
@click.option(
    "--from",
    "seeds_from",
    multiple=True,
    metavar="included|WORK",
    help="Seeds: 'included' (round 1 again) or work ids (repeat, or comma-separated). "
    "Default: round 1 from the works included at full text, then the works the last round "
    "found and the review included.",
)
@click.option(
    "--service",
    "services",
    multiple=True,
    type=click.Choice(["pubmed", "opencitations", "crossref", "openalex"]),
    help="Only these services (repeat). Default: all (OpenAlex when OPENALEX_API_KEY is set).",
)
@click.option("--resume", metavar="RUN", default=None, help="Finish the interrupted run RUN.")
@click.option(
    "--accept-incomplete",
    is_flag=True,
    help="Use the round's hits even if a listing is not proven complete (marked as such).",
)
@json_option
@click.pass_context
def citations(
    ctx: click.Context,
    review: str | None,
    stage: str | None,
    direction: str,
    seeds_from: tuple[str, ...],
    services: tuple[str, ...],
    resume: str | None,
    accept_incomplete: bool,
    as_json: bool,
) -> None:
    """Forward and backward citation searching of chosen works, as a recorded, resumable run.

    The references (backward) and the citing works (forward) of the seeds come from PubMed
    (elink), OpenCitations, Crossref (references only) and OpenAlex; every answer is kept
    under citations/<run-id>/. Each hit becomes a record of the source citation_searching
    (PRISMA's other methods) with the seed, direction and services that found it, and is
    deduplicated against everything already found. Set REA_EMAIL (Crossref's polite pool,
    OpenAlex) and OPENALEX_API_KEY; keys and addresses are never written to any file.
    """
    if ctx.invoked_subcommand is not None:
        return
    from rea.pipeline.citations import RoundsFinished, plan_round, run_citations

    paths = resolve_review(review)
    if resume:
        if stage or seeds_from or services:
            raise click.UsageError("--resume finishes the run's own plan; drop the other options")
        plan = None
    else:
        if not stage:
            raise click.UsageError("--stage is required (or --resume RUN)")
        try:
            plan = plan_round(
                paths, stage, direction=direction, seeds_from=seeds_from, services=services
            )
        except RoundsFinished as done:
            click.echo(done.message())
            return
    result = run_citations(
        paths,
        plan,
        resume=resume,
        progress=_progress,
        accept_incomplete=accept_incomplete,
    )
    if as_json:
        value: dict[str, Any] = asdict(result)
        value["state"] = result.state.value
        value["per_seed"] = [{**asdict(s), "new": s.new} for s in result.per_seed]
        click.echo(json.dumps(value, indent=2))
    else:
        _print(result)
    if not result.complete:
        if accept_incomplete:
            click.echo("the incomplete round is accepted; the report marks it", err=True)
        else:
            click.echo(
                f"round {result.round} is INCOMPLETE: its hits are not used for dedup counts and "
                f"PRISMA; run it again, or accept it: rea citations accept {result.run_id}",
                err=True,
            )
        ctx.exit(EXIT_INCOMPLETE)


def _print(result: Any) -> None:
    state = "complete" if result.complete else result.state.value.upper()
    where = f"run {result.run_id} ({result.path})"
    click.echo(f"round {result.round} of {result.stage}: {where} {state}")
    width = max([len(s.label) for s in result.per_seed] + [10])
    by_seed: dict[int, dict[str, Any]] = {}
    for count in result.per_seed:
        by_seed.setdefault(count.work_id, {"label": count.label})[count.direction] = count
    directions = [d for d in ("backward", "forward") if any(d in v for v in by_seed.values())]
    heads = {"backward": "references", "forward": "citing works"}
    header = "  ".join(f"{heads[d] + ' found/known/new':>28}" for d in directions)
    click.echo(f"  {'seed':<{width + 12}}{header}")
    for work_id, row in by_seed.items():
        cells = "  ".join(
            f"{row[d].found:>16}/{row[d].known:>5}/{row[d].new:>5}" for d in directions
        )
        click.echo(f"  {row['label']:<{width}} (work {work_id:>4})" + cells)
    totals = []
    for d in directions:
        found = sum(c.found for c in result.per_seed if c.direction == d)
        known = sum(c.known for c in result.per_seed if c.direction == d)
        totals.append(f"{heads[d]} {found} (known {known}, new {found - known})")
    click.echo(f"  total: {'; '.join(totals)}")
    click.echo(
        f"  {result.hits} records of citation searching: {result.known} already known "
        f"(duplicates of works found before), {result.new_works} new works"
    )
    if result.by_service:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(result.by_service.items()))
        click.echo(f"  hits per service: {shown}")
    if result.only_service:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(result.only_service.items()))
        click.echo(f"  found by one service only: {shown}")
    if result.unresolved:
        click.echo(f"  {result.unresolved} hits have identifiers only (no service described them)")
    if result.citation_only:
        click.echo(
            f"  {result.citation_only} hits are known only as a reference list prints them "
            "(no identifier)"
        )
    for service, seeds in sorted(result.skipped.items()):
        for work_id, why in sorted(seeds.items()):
            click.echo(f"  not chased by {service}: work {work_id} ({why})")
    for problem in result.problems:
        click.echo(f"  note: {problem}")
    for text in result.disagreements:
        click.echo(f"  services disagree: {text}")
    for reason in result.reasons:
        click.echo(f"  why incomplete: {reason}")


@citations.command(
    "rounds",
    epilog="""\b
Example:
  rea citations rounds --stage 2013-2018-all
  rea citations rounds --json""",
)
@review_option
@click.option("--stage", default=None, help="Only this stage.")
@json_option
def rounds(review: str | None, stage: str | None, as_json: bool) -> None:
    """The citation-searching rounds of each stage: seeds, hits, new works, includes, and
    whether another round is due (rounds stop when one adds no include)."""
    from rea.pipeline.citations import citation_rounds

    found = citation_rounds(resolve_review(review), stage)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in found], indent=2))
        return
    if not found:
        click.echo("no citation searching yet (rea citations --stage STAGE)")
        return
    for stage_rounds in found:
        click.echo(f"{stage_rounds.stage}: {stage_rounds.status}")
        for r in stage_rounds.rounds:
            mark = "" if r.current else " (not used)"
            click.echo(
                f"  round {r.round}  {r.run_id}  {r.state}{mark}: {r.seeds} seeds ({r.seeded_by}), "
                f"{r.direction}, {r.hits} hits, {r.known} known, {r.new_works} new works, "
                f"{r.included} included"
            )


@citations.command(
    "accept",
    epilog="""\b
Example:
  rea citations accept cit-2026-11-24T101500Z --note "OpenAlex paging stuck; checked by hand\"""",
)
@review_option
@click.argument("run_id", metavar="RUN")
@click.option("--note", default="", help="Why the incomplete round is used anyway.")
def accept(review: str | None, run_id: str, note: str) -> None:
    """Use an incomplete citation round anyway (the report marks it as incomplete)."""
    from rea.pipeline.citations import accept_citation_run

    row = accept_citation_run(resolve_review(review), run_id, note=note)
    missing = row.missing_count
    click.echo(f"round {row.round} of {row.stage} ({row.run_id}) accepted: {missing} missing")


def register(main: click.Group) -> None:
    main.add_command(citations)
