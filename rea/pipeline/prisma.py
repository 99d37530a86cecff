"""Use cases: the PRISMA 2020 numbers of a review, and its report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from rea import __version__
from rea.config import ReviewPaths
from rea.files import write_text_atomic
from rea.prisma import PrismaCounts, compute, to_template_csv
from rea.query import DATABASES, load_strategy, render
from rea.query.lint import lint_strategy
from rea.report import QueryView, ReferenceView, ReportContext, ReportFiles, format_reference
from rea.report import write_report as write_report_files
from rea.screening.config import load_screening_config
from rea.screening_vocab import KAPPA_DEFINITION, Rules
from rea.store import Store, open_store
from rea.store.prisma import (
    WorkSummary,
    latest_study_types,
    run_rows,
    search_rows,
    snapshot_rows,
    work_summaries,
)
from rea.store.ranking import current_stop, unscreened_at_stop
from rea.store.screening import overrides as override_rows


@dataclass(frozen=True)
class StrategyInfo:
    """What the PRISMA counts and the report need to know of the strategy."""

    review_id: str
    title: str
    prospero: str
    stages: tuple[str, ...]
    stage_labels: dict[str, str]
    strategy_text: str
    queries: tuple[QueryView, ...]
    warnings: tuple[str, ...]


def strategy_info(paths: ReviewPaths) -> StrategyInfo:
    """The review's strategy as the report shows it: title, stages, each rendered query."""
    strategy = load_strategy(paths.strategy)
    queries = []
    prefix = f"{paths.root}/"
    warnings = [str(f).replace(prefix, "") for f in lint_strategy(strategy)]
    for stage in strategy.stages:
        for db in (*strategy.api_sources, *strategy.import_sources):
            if db not in DATABASES:
                continue  # an export source rea renders no query for (e.g. Embase)
            rendered = render(strategy, db, stage.id)
            queries.append(
                QueryView(db=db, stage=stage.id, text=rendered.text, warnings=rendered.warnings)
            )
    return StrategyInfo(
        review_id=strategy.review_id,
        title=strategy.title,
        prospero=strategy.prospero or "",
        stages=tuple(s.id for s in strategy.stages),
        stage_labels={s.id: s.label for s in strategy.stages},
        strategy_text=paths.strategy.read_text(encoding="utf-8"),
        queries=tuple(queries),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def render_queries(paths: ReviewPaths) -> list[Path]:
    """Every stage x database query of the review, written under ``<review>/queries``."""
    from rea.pipeline.query import render_all

    return render_all(paths.root, paths.queries)


def screening_rules(paths: ReviewPaths) -> tuple[Rules, dict[str, str]]:
    """What the final-decision rule reads of the review's screening.toml, and the labels of its
    exclusion reasons (the defaults, and no labels, without a screening.toml)."""
    if not paths.screening.is_file():
        return Rules(), {}
    config = load_screening_config(paths.screening)
    return config.rules, {r.code: r.label for r in config.reasons}


def _compute(
    paths: ReviewPaths, store: Store, stages: tuple[str, ...], *, final: bool = False
) -> PrismaCounts:
    rules, labels = screening_rules(paths)
    return compute(store, stages=stages, rules=rules, reason_labels=labels, final=final)


def prisma_counts(paths: ReviewPaths, *, final: bool = False) -> PrismaCounts:
    """Every PRISMA flow of the review (one per stage, plus the total), checked; with ``final``
    a work still awaiting a decision is an error naming it."""
    info = strategy_info(paths)
    with open_store(paths.store, create=False) as store:
        return _compute(paths, store, info.stages, final=final)


def write_csv(counts: PrismaCounts, path: Path, *, flow: str = "total") -> Path:
    """The PRISMA2020-template CSV of one flow (default: the total)."""
    write_text_atomic(path, to_template_csv(counts.flow(flow)), what="the PRISMA CSV")
    return path


def build_report(
    paths: ReviewPaths,
    out_dir: Path | None = None,
    *,
    notes: tuple[str, ...] = (),
    final: bool = False,
    images_too: bool = True,
) -> ReportFiles:
    """Write the review's report (HTML, and PDF unless not ``images_too``) and its flow diagrams
    (SVG, and PNG and PDF unless not ``images_too``); returns their paths. Mid-review the report
    is stamped interim; with ``final`` a work awaiting a decision is an error."""
    info = strategy_info(paths)
    with open_store(paths.store, create=False) as store:
        counts = _compute(paths, store, info.stages, final=final)
        total = counts.total
        types = latest_study_types(store)
        studies = total.studies or {w: [w] for w in total.works.get("included", [])}
        wanted = sorted({w for reports in studies.values() for w in reports})
        excluded = sorted(total.excluded_reasons)
        views = {
            s.work_id: _reference(s) for s in work_summaries(store, sorted({*wanted, *excluded}))
        }
        grouped: dict[str, list[ReferenceView]] = defaultdict(list)
        for reports in studies.values():
            found = [views[w] for w in reports if w in views]
            if not found:
                continue
            first, *others = found
            grouped[types.get(first.work_id, "unclassified")].append(
                replace(first, reports=tuple(others))
            )
        order = ("review", "primary", "grey", "unclassified")
        included_views = {
            k: tuple(sorted(grouped[k], key=lambda v: v.citation.lower()))
            for k in order
            if grouped.get(k)
        }
        excluded_views = sorted(
            (replace(views[w], reason=total.excluded_reasons[w]) for w in excluded if w in views),
            key=lambda v: (v.reason, v.citation.lower()),
        )
        snapshots = snapshot_rows(store)
        runs = run_rows(store)
        searches = search_rows(store)
        overrides = [r.__dict__ for r in override_rows(store)]
        stopping = _stopping_lines(store, counts)
    queries = []
    for q in info.queries:
        mine_searches = [s for s in searches if s.source == q.db and s.stage == q.stage]
        # the records counted: those of imports and of the current search, not superseded runs
        run_ids = {r.run_id for r in runs}
        counted = {s.run_id for s in mine_searches if s.current}
        mine = [
            s
            for s in snapshots
            if s.source == q.db
            and s.stage == q.stage
            and (s.origin not in run_ids or s.origin in counted)
        ]
        latest = mine_searches[-1:]
        now = [s for s in mine_searches if s.current][-1:]
        shown = now or latest
        unused = [s for s in latest if not s.current and s.state == "incomplete"]
        origins = tuple(dict.fromkeys(s.origin for s in mine))
        queries.append(
            QueryView(
                db=q.db,
                stage=q.stage,
                text=q.text,
                warnings=q.warnings,
                runs=origins,
                run_dates=tuple(dict.fromkeys(s.at[:10] for s in mine if s.at)),
                hits=sum(s.n_records for s in mine) if mine else None,
                reported=latest[0].reported_count if latest else None,
                query_changed=bool(latest and latest[0].query.strip())
                and " ".join(latest[0].query.split()) != " ".join(q.text.split()),
                state=now[0].state if now else "",
                missing=now[0].missing_count if now else 0,
                accepted_note=now[0].accepted_note if now else "",
                messages=shown[0].messages if shown else (),
                unused_run=unused[0].run_id if unused else "",
                unused_missing=unused[0].missing_count if unused else 0,
            )
        )
    from rea.pipeline.citations import citation_rounds

    rounds = [asdict(s) for s in citation_rounds(paths)]
    context = ReportContext(
        review_id=info.review_id,
        title=info.title,
        prospero=info.prospero,
        rea_version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        flows=[f.as_dict() for f in counts.flows()],
        stage_labels=info.stage_labels,
        total_rule=counts.rule,
        strategy_text=info.strategy_text,
        queries=tuple(queries),
        lint_warnings=info.warnings,
        agreement=[a.as_dict() for a in counts.agreement],
        included=included_views,
        runs=[r.__dict__ for r in runs],
        snapshots=[s.__dict__ for s in snapshots],
        notes=notes,
        interim=counts.interim,
        excluded=tuple(excluded_views),
        overrides=overrides,
        kappa_definition=KAPPA_DEFINITION,
        searches=[s.as_dict() for s in counts.searches],
        stopping=stopping,
        citation_rounds=rounds,
    )
    return write_report_files(context, out_dir or paths.report, images_too=images_too)


def _reference(summary: WorkSummary) -> ReferenceView:
    citation = format_reference(
        summary.authors,
        summary.title,
        summary.journal,
        summary.year,
        summary.volume,
        summary.issue,
        summary.pages,
        summary.doi,
        summary.publisher,
    )
    return ReferenceView(summary.work_id, citation, summary.doi, summary.url)


def _stopping_lines(store: Store, counts: PrismaCounts) -> tuple[str, ...]:
    """What the stop of title/abstract screening did, in numbers that add up: the works
    unscreened when it was recorded = those screened later + those never screened (counted as
    excluded by automation, or not sought by other methods)."""
    stop = current_stop(store, "title_abstract")
    if stop is None:
        return ()
    total = counts.total
    current = set(total.works["records_screened"]) | set(total.works["other_identified"])
    at_stop = [w for w in unscreened_at_stop(store, stop.stop_id) if w in current]
    never = len(total.works["records_excluded_automation"]) + len(
        total.works["other_not_sought_automation"]
    )
    return (
        f"Title/abstract screening was stopped by {stop.decided_by} on {stop.decided_at[:10]} "
        f"({stop.rule} rule): {len(at_stop)} works were unscreened then; "
        f"{len(at_stop) - never} of them were screened later, and {never} were never screened "
        "(counted as excluded by automation, or as not sought by other methods).",
    )
