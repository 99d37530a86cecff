"""CLI commands: dedup (run, review, explain, undo, export)."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import click

from rea.cli.options import json_option, resolve_review, review_option
from rea.pipeline import dedup as use
from rea.records import Record


def _summary_text(s: use.RunSummary) -> str:
    older = s.stored_records - s.records
    lines = [
        f"records: {s.records}"
        + (f" (and {older} from earlier runs, linked too)" if older else ""),
        f"works: {s.works}",
        f"duplicates removed: {s.duplicates_removed}",
    ]
    other = s.duplicates_removed - s.database_duplicates
    if other:
        lines.append(
            f"  PRISMA's duplicate records removed: {s.database_duplicates} (database records "
            f"only; the other {other} are other-method records of works found already)"
        )
    for c in s.per_source:
        lines.append(
            f"  {c.source}: {c.records} records, {c.duplicates_removed} duplicates removed"
        )
    lines.append(f"new records this run: {s.new_records} ({s.new_works} new works)")
    lines.append(f"new records joining existing works: {s.joined_existing}")
    lines.append(f"new records joining already-screened works: {s.joined_screened}")
    for absorbed, survivor in s.merged_works:
        lines.append(f"work {absorbed} merged into work {survivor}")
    lines.append(f"pairs waiting for review: {s.queued}")
    if s.unidentified:
        lines.append(
            f"records with neither a title nor an identifier: {s.unidentified} "
            "(matched on their citation only; queued when it matches)"
        )
    return "\n".join(lines)


_SCORE_ORDER = ("title", "authors", "year", "journal", "volume", "pages", "doi", "pmid")


def _scores(scores: dict[str, float]) -> str:
    keys = [k for k in _SCORE_ORDER if k in scores]
    keys += sorted(k for k in scores if k not in _SCORE_ORDER)
    return ", ".join(f"{k} {scores[k]:g}" for k in keys)


def _progress(stage: str, done: int, total: int) -> None:
    what = {"prepared": "records normalised", "compared": "candidate pairs compared"}
    click.echo(f"{done} {what.get(stage, stage)}", err=True)


@click.group(
    "dedup",
    invoke_without_command=True,
    epilog="""\b
Example:
  rea dedup --review searches/pcn-rea
  rea dedup --review searches/pcn-rea --review-queue""",
)
@review_option
@click.option("--review-queue", "then_review", is_flag=True, help="Review the queue afterwards.")
@click.option("--reviewer", default="", help="Reviewer initials (with --review-queue).")
@json_option
@click.pass_context
def dedup(
    ctx: click.Context, review: str | None, then_review: bool, reviewer: str, as_json: bool
) -> None:
    """Group the review's records into works (one per unique report).

    Every record is kept and linked to one work with the rule and scores that matched it.
    Earlier works, their ids and every human decision are kept; uncertain pairs are queued
    for `rea dedup review`.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = review
        return
    paths = resolve_review(review)
    summary = use.run(paths, progress=None if as_json else _progress)
    if as_json:
        click.echo(json.dumps(asdict(summary), indent=2))
    else:
        click.echo(_summary_text(summary))
    if then_review and summary.queued:
        _review_loop(paths, reviewer)


def _parent_review(ctx: click.Context, review: str | None) -> str | None:
    return review or (ctx.parent.obj if ctx.parent is not None else None)


def _describe(record: Record) -> list[tuple[str, str]]:
    authors = "; ".join(str(a) for a in record.authors[:6])
    if len(record.authors) > 6:
        authors += f"; … ({len(record.authors)})"
    return [
        ("source", f"{record.provenance.source} / {record.provenance.stage}"),
        ("title", record.title),
        ("authors", authors),
        ("year", str(record.year or "")),
        ("journal", record.journal or record.journal_abbrev),
        ("vol/iss", f"{record.volume} / {record.issue}".strip(" /")),
        ("pages", record.pages),
        ("doi", record.doi),
        ("pmid", record.pmid),
    ]


def side_by_side(item: use.ReviewItem, width: int) -> str:
    """The two records in two columns, field by field; differing fields marked with `*`."""
    col = max(24, (width - 12) // 2)
    left, right = _describe(item.a.record), _describe(item.b.record)
    header = f"{'':9} {'record ' + str(item.a.record_id):<{col}} | record {item.b.record_id}"
    out = [header, "-" * min(width, 12 + 2 * col)]
    for (name, x), (_, y) in zip(left, right, strict=True):
        mark = "*" if x.strip().lower() != y.strip().lower() else " "
        xs = textwrap.wrap(x, col) or [""]
        ys = textwrap.wrap(y, col) or [""]
        for i in range(max(len(xs), len(ys))):
            label = f"{mark}{name}" if i == 0 else ""
            xa = xs[i] if i < len(xs) else ""
            ya = ys[i] if i < len(ys) else ""
            out.append(f"{label:<9} {xa:<{col}} | {ya}")
    out.append(f"scores: {_scores(item.scores)}")
    if item.reasons:
        out.append(f"why queued: {'; '.join(item.reasons)}")
    return "\n".join(out)


def _review_loop(paths: object, reviewer: str) -> None:
    from rea.config import ReviewPaths

    assert isinstance(paths, ReviewPaths)
    if reviewer:
        use.check_reviewer(paths, reviewer)
    items = use.review_items(paths)
    if not items:
        click.echo("nothing to review")
        return
    if not reviewer:
        reviewer = click.prompt("reviewer initials", err=True)
    use.check_reviewer(paths, reviewer)  # before any pair is shown
    width = shutil.get_terminal_size((120, 24)).columns
    done = 0
    for n, item in enumerate(items, start=1):
        if not use.still_open(paths, item.a.record_id, item.b.record_id):
            continue  # settled by an earlier decision in this session
        click.echo(f"\n[{n}/{len(items)}]")
        click.echo(side_by_side(item, width))
        while True:
            click.echo("m=merge  s=separate (keep apart)  n=skip  q=quit > ", nl=False)
            key = click.getchar() if sys.stdin.isatty() else sys.stdin.readline()
            key = (key or "q").strip().lower()[:1] or "?"
            click.echo(key)
            if key in ("m", "s", "n", "q"):
                break
            click.echo("please press m, s, n or q")
        if key == "q":
            break
        if key == "n":
            continue
        outcome = use.decide(
            paths,
            item.a.record_id,
            item.b.record_id,
            "merge" if key == "m" else "separate",
            reviewer,
        )
        click.echo(outcome.message)
        done += 1
    click.echo(f"{done} decision(s) stored")


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""
    group.add_command(dedup)


@dedup.command(
    "review",
    epilog="""\b
Example:
  rea dedup review --reviewer JS
  rea dedup review --decide 12 40 merge --reviewer JS""",
)
@review_option
@click.option("--reviewer", default="", help="Reviewer initials, stored with each decision.")
@click.option(
    "--decide",
    nargs=3,
    type=(int, int, click.Choice(["merge", "separate"])),
    default=None,
    metavar="A B merge|separate",
    help="Decide one pair without the interactive screen.",
)
@click.option("--note", default="", help="A note stored with the decision (with --decide).")
@click.pass_context
def review_cmd(
    ctx: click.Context,
    review: str | None,
    reviewer: str,
    decide: tuple[int, int, str] | None,
    note: str,
) -> None:
    """Show each queued pair side by side; m=merge, s=separate (keep apart), n=skip, q=quit.

    Decisions are stored and every later `rea dedup` respects them.
    """
    paths = resolve_review(_parent_review(ctx, review))
    if decide is not None:
        a, b, what = decide
        outcome = use.decide(paths, a, b, what, reviewer, note)
        click.echo(outcome.message)
        return
    _review_loop(paths, reviewer)


@dedup.command(
    "explain",
    epilog="""\b
Example:
  rea dedup explain 17""",
)
@review_option
@click.argument("work", type=int)
@json_option
@click.pass_context
def explain_cmd(ctx: click.Context, review: str | None, work: int, as_json: bool) -> None:
    """Print the records of WORK with the rule and scores that linked each one."""
    paths = resolve_review(_parent_review(ctx, review))
    e = use.explain(paths, work)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "work_id": e.work_id,
                    "merged_into": e.merged_into,
                    "kept": e.kept,
                    "records": [
                        {
                            "record_id": r.record.record_id,
                            "source": r.record.record.provenance.source,
                            "title": r.record.record.title,
                            "rule": r.rule,
                            "scores": r.scores,
                            "matched_to": r.matched_to,
                        }
                        for r in e.records
                    ],
                    "decisions": [asdict(d) for d in e.decisions],
                    "queued": [asdict(q) for q in e.queued],
                    "related": [
                        {
                            "record_id": r.record.record_id,
                            "work_id": r.work_id,
                            "relation": r.relation,
                            "to_record": r.to_record,
                            "title": r.record.record.title,
                        }
                        for r in e.related
                    ],
                },
                indent=2,
            )
        )
        return
    if e.merged_into is not None:
        click.echo(f"work {e.work_id} was merged into work {e.merged_into}")
    click.echo(f"work {e.work_id}: {len(e.records)} record(s)")
    for r in e.records:
        rec = r.record.record
        kept = "  (kept)" if r.record.record_id == e.kept else ""
        click.echo(
            f"  record {r.record.record_id} [{rec.provenance.source}] {rec.year or ''} "
            f"{rec.title[:90]}{kept}"
        )
        via = f" matched to record {r.matched_to}" if r.matched_to else ""
        scores = _scores(r.scores)
        click.echo(f"    rule {r.rule}{via}" + (f": {scores}" if scores else ""))
    for d in e.decisions:
        click.echo(
            f"  decision {d.decision_id}: {d.decision} records {d.record_a} and {d.record_b}"
            f" by {d.decided_by} at {d.decided_at}" + (f" ({d.note})" if d.note else "")
        )
    for q in e.queued:
        click.echo(f"  queued: records {q.record_a} and {q.record_b} ({'; '.join(q.reasons)})")
    for rel in e.related:
        other = rel.record.record
        in_work = f"work {rel.work_id}" if rel.work_id is not None else "no work yet"
        theirs = rel.relation.split(" vs ", 1)[-1]
        click.echo(
            f"  related {theirs}: record {rel.record.record_id} [{other.provenance.source}, "
            f"{in_work}], kept apart, about record {rel.to_record}: {other.title[:80]}"
        )


@dedup.command(
    "undo",
    epilog="""\b
Example:
  rea dedup undo 40 --reviewer JS""",
)
@review_option
@click.argument("record", type=int)
@click.option("--reviewer", required=True, help="Reviewer initials, stored with the decision.")
@click.pass_context
def undo_cmd(ctx: click.Context, review: str | None, record: int, reviewer: str) -> None:
    """Undo the merge of RECORD: it leaves its work for a new one and is kept apart from it."""
    paths = resolve_review(_parent_review(ctx, review))
    click.echo(use.undo(paths, record, reviewer).message)


@dedup.command(
    "export",
    epilog="""\b
Example:
  rea dedup export --format ris --out dedup.ris
  rea dedup export --format csv --out dedup.csv""",
)
@review_option
@click.option("--format", "fmt", type=click.Choice(["ris", "csv"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def export_cmd(ctx: click.Context, review: str | None, fmt: str, out: Path) -> None:
    """Write one row (CSV) or reference (RIS) per work, with every source id and source."""
    paths = resolve_review(_parent_review(ctx, review))
    n = use.export(paths, fmt, out)
    click.echo(f"{n} works written to {out}")
