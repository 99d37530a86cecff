"""CLI commands: screening (rea screen, decide, conflicts, resolve, fulltext, study-type)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from rea.cli.options import F, json_option, resolve_review, review_option
from rea.config import ReviewPaths
from rea.errors import ScreeningError
from rea.pipeline import ranking as ranking_pipeline
from rea.pipeline import screening as pipeline
from rea.screening import Phase, PhaseStats, ReviewerStats, term_pattern

PHASES = click.Choice([p.value for p in Phase])


def _phase(value: str | None) -> Phase | None:
    return Phase(value) if value else None


def _stopping_json(s: ranking_pipeline.PhaseStopping) -> dict[str, object]:
    r = s.report
    return {
        "screened": r.screened,
        "included": r.included,
        "remaining": r.remaining,
        "estimated_relevant_left": r.estimated_relevant_left,
        "relevant_left_upper": r.relevant_left_upper,
        "recall_target": r.recall_target,
        "confidence": r.confidence,
        "p_value": r.p_value,
        "consecutive_excludes": r.consecutive_excludes,
        "rules": {
            x.rule: {"verdict": x.verdict.value, "detail": x.detail, "guarantee": x.guarantee}
            for x in r.rules
        },
        "stopped": {
            "by": s.stopped_by,
            "rule": s.stopped_rule,
            "at": s.stopped_at,
            "unscreened": s.unscreened_at_stop,
        }
        if s.stopped_by
        else None,
    }


def _print_stopping(s: ranking_pipeline.PhaseStopping) -> None:
    r = s.report
    if r.screened == 0:
        return
    click.echo(
        f"  stopping: about {r.estimated_relevant_left:.0f} relevant works left "
        f"(at most {r.relevant_left_upper} with {r.confidence:.0%} confidence) "
        f"among {r.remaining} unscreened"
    )
    for rule in r.rules:
        # the verdict, what the rule promises (or that it promises nothing), the figures
        click.echo(
            f"    {rule.rule}: {rule.verdict.value.upper()} ({rule.detail}); {rule.guarantee}"
        )
    if s.stopped_by:
        click.echo(
            f"    stopped by {s.stopped_by} ({s.stopped_rule}) at {s.stopped_at}: "
            f"{s.unscreened_at_stop} works never screened"
        )


#: A reviewer's own decisions, hidden from the others in a blind review.
_DECISION_COUNTS = ("included", "excluded", "maybe", "conflicts")


def _reviewer_json(r: ReviewerStats, *, hide: bool) -> dict[str, object]:
    data: dict[str, object] = {**asdict(r), "remaining": r.remaining}
    if hide:
        for key in _DECISION_COUNTS:
            data.pop(key)
    return data


def all_reviewers_option(func: F) -> F:
    """``--all-reviewers``: every reviewer's decisions (unblinds a blind review)."""
    return click.option(
        "--all-reviewers",
        "all_reviewers",
        is_flag=True,
        help="Every reviewer's decisions; in a blind review this unblinds the screening.",
    )(func)


def _warn_unblinding(paths: ReviewPaths) -> None:
    if pipeline.is_blind(paths):
        click.echo(
            "Warning: this shows every reviewer's decisions: it unblinds the screening "
            "(blind = true in screening.toml); keep it from the screeners until their "
            "conflicts are resolved",
            err=True,
        )


def _print_stats(
    found: list[PhaseStats],
    stopping: dict[Phase, ranking_pipeline.PhaseStopping] | None = None,
    *,
    viewer: str | None = None,
    blinded: bool = False,
) -> None:
    for ps in found:
        click.echo(f"{ps.phase.label}: {ps.works} works", nl=False)
        click.echo(
            f" · included {ps.included} · excluded {ps.excluded} · pending {ps.pending}"
            + (f" · not retrieved {ps.not_retrieved}" if ps.not_retrieved else "")
            + f" · conflicts {ps.conflicts} · resolved {ps.resolved}"
            f" · double-screened {ps.double_screened}"
        )
        if not ps.works:
            click.echo("")
            continue
        header = ("reviewer", "assigned", "screened", "include", "exclude", "maybe", "remaining")
        click.echo("  " + "".join(f"{h:>10}" for h in (*header, "conflicts")))
        for r in ps.reviewers:
            own: tuple[object, ...] = (r.included, r.excluded, r.maybe)
            conflicts: object = r.conflicts
            if blinded and r.reviewer != viewer:
                own, conflicts = ("-", "-", "-"), "-"
            values = (r.reviewer, r.assigned, r.screened, *own, r.remaining, conflicts)
            click.echo("  " + "".join(f"{v!s:>10}" for v in values))
        if blinded:
            click.echo(
                "  (blind review: other reviewers' decisions and the kappa are not shown; "
                "--all-reviewers shows them and unblinds)"
            )
        for a in [] if blinded else ps.agreement:
            kappa = "n/a" if a.kappa is None else f"{a.kappa:.2f}"
            agreed = "n/a" if a.observed is None else f"{100 * a.observed:.0f}%"
            click.echo(f"  kappa {a.a}–{a.b}: {kappa} (agreement {agreed} on {a.n} works)")
        if stopping is not None and ps.phase in stopping:
            _print_stopping(stopping[ps.phase])
        click.echo("")


def withdraw_later_option(func: Any) -> Any:
    return click.option(
        "--withdraw-later",
        is_flag=True,
        help="Also withdraw the work's full-text decisions when this change takes it out of "
        "full text (recorded in the audit trail).",
    )(func)


def register(group: click.Group) -> None:
    """Add this module's commands to the `rea` group."""

    @group.group(
        "screen",
        invoke_without_command=True,
        epilog="""\b
Example:
  rea screen --phase title_abstract --reviewer JS
  rea screen stats
  rea screen export --reviewer JS --out js.csv""",
    )
    @review_option
    @click.option("--phase", type=PHASES, default=Phase.TITLE_ABSTRACT.value, show_default=True)
    @click.option("--reviewer", metavar="NAME", help="Who is screening (as in screening.toml).")
    @click.pass_context
    def screen(ctx: click.Context, review: str | None, phase: str, reviewer: str | None) -> None:
        """Screen works one at a time in the terminal, one key per decision.

        Keys: i include, e exclude (then pick a reason), m maybe, n note, u undo,
        s skip, ? help (with the eligibility criteria), q quit. Every decision is stored as
        soon as its key is pressed.
        """
        if ctx.invoked_subcommand is not None:
            return
        if not reviewer:
            raise click.UsageError("say who is screening: --reviewer NAME")
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise ScreeningError(
                "rea screen needs a terminal",
                hint="without one use rea decide, or rea screen export / import",
            )
        from rea.cli.screen_tui import run_screen

        context = pipeline.open_screen(resolve_review(review), Phase(phase), reviewer)
        try:
            if context.warning:
                click.echo(f"Warning: {context.warning}", err=True)
            run_screen(context, term_pattern(context.terms))
            s = context.session
            click.echo(f"{s.reviewer}: {s.done} of {s.total} screened at {s.phase.label}.")
        finally:
            context.close()

    @screen.command(
        "stats",
        epilog="""\b
Example:
  rea screen stats --reviewer JS
  rea screen stats --all-reviewers --json""",
    )
    @review_option
    @click.option(
        "--reviewer", metavar="NAME", default=None, help="Also show this reviewer's own decisions."
    )
    @all_reviewers_option
    @json_option
    def screen_stats(
        review: str | None, reviewer: str | None, all_reviewers: bool, as_json: bool
    ) -> None:
        """Progress and agreement per phase and reviewer: screened, included, excluded, maybe,
        remaining, conflicts, and Cohen's kappa for each pair of reviewers.

        In a blind review other reviewers show only how far they are (assigned, screened,
        remaining): their includes, excludes, maybes, conflicts and the kappa need
        --all-reviewers, which unblinds.
        """
        paths = resolve_review(review)
        found = pipeline.screening_stats(paths)
        stopping = {s.phase: s for s in ranking_pipeline.stopping_stats(paths)}
        blinded = pipeline.is_blind(paths) and not all_reviewers
        if all_reviewers:
            _warn_unblinding(paths)
        if as_json:
            data = [
                {
                    **{k: v for k, v in asdict(ps).items() if k not in ("reviewers", "agreement")},
                    "phase": ps.phase.value,
                    "reviewers": [
                        _reviewer_json(r, hide=blinded and r.reviewer != reviewer)
                        for r in ps.reviewers
                    ],
                    "agreement": [] if blinded else [a.as_dict() for a in ps.agreement],
                    "stopping": _stopping_json(stopping[ps.phase]),
                }
                for ps in found
            ]
            click.echo(json.dumps(data, indent=2))
            return
        _print_stats(found, stopping, viewer=reviewer if blinded else None, blinded=blinded)

    @screen.command(
        "stop",
        epilog="""\b
Example:
  rea screen stop --phase title_abstract --by JS --rule statistical
  rea screen stop --phase title_abstract --by JS --rule judgement --withdraw""",
    )
    @review_option
    @click.option("--phase", type=PHASES, required=True)
    @click.option("--by", "by", metavar="NAME", required=True, help="Who decides to stop.")
    @click.option(
        "--rule",
        type=click.Choice(ranking_pipeline.STOP_RULES),
        required=True,
        help="The rule the decision rests on (shown by rea screen stats).",
    )
    @click.option("--note", default="", help="Why, in a sentence.")
    @click.option("--withdraw", is_flag=True, help="Withdraw the phase's stop.")
    def screen_stop(
        review: str | None, phase: str, by: str, rule: str, note: str, withdraw: bool
    ) -> None:
        """Record the decision to stop screening a phase, with the stopping figures then.

        The works not screened by then are reported by rea prisma as excluded by automation
        tools. Screening may go on; a work screened later counts as screened.
        """
        result = ranking_pipeline.record_stop(
            resolve_review(review), phase=Phase(phase), by=by, rule=rule, note=note,
            withdraw=withdraw,
        )  # fmt: skip
        if withdraw:
            click.echo(f"{phase}: stop withdrawn by {by}")
            return
        click.echo(
            f"{phase}: stopped by {by} ({rule}); {result.unscreened_at_stop} works never "
            "screened (excluded by automation in the PRISMA counts)"
        )

    @screen.command(
        "export",
        epilog="""\b
Example:
  rea screen export --phase title_abstract --reviewer JS --out js.csv
  rea screen export --all-reviewers --out decisions.csv""",
    )
    @review_option
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write to FILE instead of stdout.",
    )
    @click.option("--phase", type=PHASES, default=None, help="Only this phase.")
    @click.option(
        "--reviewer",
        metavar="NAME",
        default=None,
        help="Only this reviewer's works and own decisions (blank ones to fill in).",
    )
    @all_reviewers_option
    def screen_export(
        review: str | None,
        out: Path | None,
        phase: str | None,
        reviewer: str | None,
        all_reviewers: bool,
    ) -> None:
        """Write decisions as CSV. With --reviewer, that reviewer's queue with their own
        decisions only (for screening in a spreadsheet, then rea screen import); with
        --all-reviewers every reviewer's decisions and the final status (unblinds)."""
        if (reviewer is None) == (not all_reviewers):
            raise click.UsageError(
                "say whose decisions: --reviewer NAME (that reviewer's own) or --all-reviewers "
                "(everyone's, which unblinds a blind review)"
            )
        paths = resolve_review(review)
        if all_reviewers:
            _warn_unblinding(paths)
        text = pipeline.export_decisions(paths, out, phase=_phase(phase), reviewer=reviewer)
        if out is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"decisions written to {out}", err=True)

    @screen.command(
        "import",
        epilog="""\b
Example:
  rea screen import js.csv
  rea screen import labels.csv --phase title_abstract --reviewer JS""",
    )
    @review_option
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--phase", type=PHASES, default=None, help="Phase of rows without one.")
    @click.option("--reviewer", metavar="NAME", default=None, help="Reviewer of rows without one.")
    def screen_import(
        review: str | None, file: Path, phase: str | None, reviewer: str | None
    ) -> None:
        """Read decisions from a CSV (columns work_id, phase, reviewer, decision, reason, note).
        The whole file is checked first; one bad row refuses it, naming the row."""
        result = pipeline.import_decisions(
            resolve_review(review), file, phase=_phase(phase), reviewer=reviewer
        )
        click.echo(
            f"{result.written} decisions stored, {result.unchanged} unchanged, "
            f"{result.blank} rows without a decision ({result.rows} rows read)"
        )

    @group.command(
        "decide",
        epilog="""\b
Example:
  rea decide 12 include --phase title_abstract --reviewer JS
  rea decide 40 exclude --phase full_text --reviewer JS --reason commissioning-only
  rea decide 12 undo --phase title_abstract --reviewer JS
  rea decide 12 undo --phase title_abstract --reviewer JS --withdraw-later""",
    )
    @review_option
    @click.argument("work", type=int)
    @click.argument("decision", type=click.Choice(["include", "exclude", "maybe", "undo"]))
    @click.option("--phase", type=PHASES, required=True)
    @click.option("--reviewer", metavar="NAME", required=True)
    @click.option("--reason", default="", help="Exclusion reason code (needed at full text).")
    @click.option("--note", default="", help="A note kept with the decision.")
    @withdraw_later_option
    def decide(
        review: str | None,
        work: int,
        decision: str,
        phase: str,
        reviewer: str,
        reason: str,
        note: str,
        withdraw_later: bool,
    ) -> None:
        """Record one reviewer's decision on one work without the screen (undo withdraws the
        reviewer's standing decision).

        A title/abstract change that takes a work out of full text, where it already has
        decisions, is refused naming them, unless --withdraw-later withdraws them with it.
        """
        result = pipeline.decide(
            resolve_review(review),
            work,
            decision,
            phase=Phase(phase),
            reviewer=reviewer,
            reason=reason,
            note=note,
            withdraw_later=withdraw_later,
        )
        click.echo(result.message)

    @group.command(
        "conflicts",
        epilog="""\b
Example:
  rea conflicts
  rea conflicts --phase full_text --json""",
    )
    @review_option
    @click.option("--phase", type=PHASES, default=None)
    @json_option
    def conflicts(review: str | None, phase: str | None, as_json: bool) -> None:
        """Works on which the reviewers disagree (or left a maybe that does not count as
        include), waiting for rea resolve."""
        found = pipeline.list_conflicts(resolve_review(review), _phase(phase))
        if as_json:
            data = [{**asdict(c), "phase": c.phase.value} for c in found]
            click.echo(json.dumps(data, indent=2))
            return
        if not found:
            click.echo("No open conflicts.")
            return
        for c in found:
            votes = ", ".join(
                f"{r} {d}" + (f" ({reason})" if reason else "") for r, d, reason in c.decisions
            )
            click.echo(f"{c.work_id}\t{c.phase.value}\t{c.kind}\t{votes}\t{c.title}")

    @group.command(
        "resolve",
        epilog="""\b
Example:
  rea resolve 12 include --phase title_abstract --by MS
  rea resolve 40 exclude --phase full_text --by JS,AH --reason commissioning-only
  rea resolve 12 exclude --phase title_abstract --by MS --override --note "off topic" """,
    )
    @review_option
    @click.argument("work", type=int)
    @click.argument("decision", type=click.Choice(["include", "exclude"]))
    @click.option("--phase", type=PHASES, required=True)
    @click.option(
        "--by",
        "by",
        metavar="NAME[,NAME…]",
        required=True,
        help="The adjudicator, or everyone who agreed in discussion.",
    )
    @click.option("--reason", default="", help="Exclusion reason code (needed at full text).")
    @click.option("--note", default="")
    @click.option(
        "--override",
        is_flag=True,
        help="Overrule reviewers who do not disagree (marked as an override everywhere).",
    )
    @withdraw_later_option
    def resolve(
        review: str | None,
        work: int,
        decision: str,
        phase: str,
        by: str,
        reason: str,
        note: str,
        override: bool,
        withdraw_later: bool,
    ) -> None:
        """Record the outcome of a conflict: a third reviewer's call or a discussion.

        A work whose reviewers do not disagree is refused unless --override; an override is
        marked as such in the audit trail and the report.
        """
        result = pipeline.resolve_work(
            resolve_review(review),
            work,
            decision,
            phase=Phase(phase),
            by=by,
            reason=reason,
            note=note,
            override=override,
            withdraw_later=withdraw_later,
        )
        click.echo(result.message)

    @group.command(
        "fulltext",
        epilog="""\b
Example:
  rea fulltext 40 sought --by JS
  rea fulltext 40 retrieved --location pdfs/smith2019.pdf --by JS
  rea fulltext 41 not_retrieved --by JS --note "no library access"
  rea fulltext 42 withdraw --by JS --note "recorded on the wrong work" """,
    )
    @review_option
    @click.argument("work", type=int)
    @click.argument(
        "status", type=click.Choice(["sought", "not_retrieved", "retrieved", "withdraw"])
    )
    @click.option("--location", default="", help="Path or URL of the retrieved full text.")
    @click.option("--by", "by", metavar="NAME", required=True)
    @click.option("--note", default="")
    def fulltext(
        review: str | None, work: int, status: str, location: str, by: str, note: str
    ) -> None:
        """Record the search for a work's full text: sought, not_retrieved, or retrieved with
        a path or URL; withdraw takes the record back (it stays in the audit trail)."""
        result = pipeline.set_retrieval(
            resolve_review(review), work, status, by=by, location=location, note=note
        )
        click.echo(result.message)

    @group.group(
        "study",
        epilog="""\b
Example:
  rea study link 40 57 --by JS
  rea study unlink 57 --by JS
  rea study list""",
    )
    def study() -> None:
        """Reports of one study: link several included reports (works) to one study, so that
        PRISMA counts one study and the report lists its reports together."""

    @study.command(
        "link",
        epilog="""\b
Example:
  rea study link 40 57 61 --by JS --note "one federation, three papers" """,
    )
    @review_option
    @click.argument("works", type=int, nargs=-1, required=True)
    @click.option("--by", "by", metavar="NAME", required=True)
    @click.option("--note", default="")
    def study_link(review: str | None, works: tuple[int, ...], by: str, note: str) -> None:
        """Link included reports to one study (named by the first work, or by the study one of
        them already belongs to)."""
        result = pipeline.link_study(resolve_review(review), list(works), by=by, note=note)
        click.echo(result.message)

    @study.command(
        "unlink",
        epilog="""\b
Example:
  rea study unlink 57 --by JS""",
    )
    @review_option
    @click.argument("work", type=int)
    @click.option("--by", "by", metavar="NAME", required=True)
    @click.option("--note", default="")
    def study_unlink(review: str | None, work: int, by: str, note: str) -> None:
        """Take a report out of its study: it counts as a study of its own again."""
        result = pipeline.unlink_study(resolve_review(review), work, by=by, note=note)
        click.echo(result.message)

    @study.command(
        "list",
        epilog="""\b
Example:
  rea study list --json""",
    )
    @review_option
    @json_option
    def study_list(review: str | None, as_json: bool) -> None:
        """Studies with several linked reports."""
        found = pipeline.list_studies(resolve_review(review))
        if as_json:
            click.echo(json.dumps({str(k): v for k, v in found.items()}, indent=2))
            return
        if not found:
            click.echo("No study has several linked reports.")
        for study_id, reports in found.items():
            click.echo(f"study {study_id}: reports {', '.join(map(str, reports))}")

    @group.command(
        "study-type",
        epilog="""\b
Example:
  rea study-type 40 primary --by JS""",
    )
    @review_option
    @click.argument("work", type=int)
    @click.argument("study_type", type=click.Choice(["review", "primary", "grey"]))
    @click.option("--by", "by", metavar="NAME", required=True)
    def study_type(review: str | None, work: int, study_type: str, by: str) -> None:
        """Record the study type of an included work: review, primary study or grey
        literature (the report counts them)."""
        result = pipeline.set_study_type(resolve_review(review), work, study_type, by=by)
        click.echo(result.message)
