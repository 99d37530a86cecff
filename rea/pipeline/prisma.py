"""Use cases: the PRISMA 2020 numbers of a review, and its report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rea import __version__
from rea.config import ReviewPaths
from rea.prisma import PrismaCounts, compute, to_template_csv
from rea.query import DATABASES, load_strategy, render
from rea.query.lint import lint_strategy
from rea.report import QueryView, ReferenceView, ReportContext, ReportFiles, format_reference
from rea.report import write_report as write_report_files
from rea.screening.config import load_screening_config
from rea.screening_vocab import Rules
from rea.store import Store, open_store
from rea.store.prisma import (
    latest_study_types,
    run_rows,
    search_rows,
    snapshot_rows,
    work_summaries,
)


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
    text = to_template_csv(counts.flow(flow))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_report(
    paths: ReviewPaths,
    out_dir: Path | None = None,
    *,
    notes: tuple[str, ...] = (),
    final: bool = False,
) -> ReportFiles:
    """Write the review's HTML report and its SVG flow diagrams; returns their paths. Mid-review
    the report is stamped interim; with ``final`` a work awaiting a decision is an error."""
    info = strategy_info(paths)
    with open_store(paths.store, create=False) as store:
        counts = _compute(paths, store, info.stages, final=final)
        included = counts.total.works.get("included", [])
        types = latest_study_types(store)
        grouped: dict[str, list[ReferenceView]] = defaultdict(list)
        for summary in sorted(
            work_summaries(store, included),
            key=lambda s: ([a[0].lower() for a in s.authors[:1]], s.year or 0, s.title),
        ):
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
            view = ReferenceView(summary.work_id, citation, summary.doi, summary.url)
            grouped[types.get(summary.work_id, "unclassified")].append(view)
        order = ("review", "primary", "grey", "unclassified")
        included_views = {k: tuple(grouped[k]) for k in order if grouped.get(k)}
        snapshots = snapshot_rows(store)
        runs = run_rows(store)
        searches = search_rows(store)
    queries = []
    for q in info.queries:
        mine = [s for s in snapshots if s.source == q.db and s.stage == q.stage]
        mine_searches = [s for s in searches if s.source == q.db and s.stage == q.stage]
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
    )
    return write_report_files(context, out_dir or paths.report)
