"""Rendering the report: one self-contained HTML file, plus each flow diagram as its own SVG."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from rea.errors import ReportError
from rea.files import write_text_atomic
from rea.report.diagram import flow_svg, label

TYPE_HEADINGS = {
    "review": "Reviews",
    "primary": "Primary studies",
    "grey": "Grey literature",
    "unclassified": "Study type not recorded",
}


@dataclass(frozen=True)
class QueryView:
    """One database's rendered query for one stage, with how it was run."""

    db: str
    stage: str
    text: str
    warnings: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()  # run ids or imported files
    run_dates: tuple[str, ...] = ()
    hits: int | None = None  # records stored for this database and stage
    reported: int | None = None  # what the database said it had, in the latest run
    query_changed: bool = False  # the latest run sent another text than this rendering
    state: str = ""  # of the current search: complete | accepted ("" when none is current)
    missing: int = 0  # records the current search reported but did not store
    accepted_note: str = ""
    messages: tuple[tuple[str, str], ...] = ()  # the database's own messages about the query
    unused_run: str = ""  # a later search that is incomplete and therefore not used
    unused_missing: int = 0


@dataclass(frozen=True)
class ReferenceView:
    work_id: int
    citation: str
    doi: str = ""
    url: str = ""


@dataclass(frozen=True)
class ReportContext:
    review_id: str
    title: str
    prospero: str
    rea_version: str
    generated_at: str
    flows: Sequence[Mapping[str, Any]]  # rea.prisma.Flow.as_dict(), the stages then the total
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    total_rule: str = ""
    strategy_text: str = ""
    queries: Sequence[QueryView] = ()
    lint_warnings: Sequence[str] = ()
    agreement: Sequence[Mapping[str, Any]] = ()
    included: Mapping[str, Sequence[ReferenceView]] = field(default_factory=dict)
    runs: Sequence[Mapping[str, Any]] = ()
    snapshots: Sequence[Mapping[str, Any]] = ()
    notes: Sequence[str] = ()
    interim: bool = False  # some works still await a decision: the report says so at the top


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    svgs: tuple[Path, ...]


def _name(family: str, given: str) -> str:
    """Vancouver style: ``Soares CB`` from ``Soares, C.B.``, ``Holder H`` from ``Holder, Holly``."""
    parts = [p for p in re.split(r"[\s.\-]+", given) if p]
    initials = "".join(p if p.isupper() and len(p) <= 3 else p[0].upper() for p in parts)
    return f"{family} {initials}".strip()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def format_reference(
    authors: Sequence[tuple[str, str]],
    title: str,
    journal: str,
    year: int | None,
    volume: str = "",
    issue: str = "",
    pages: str = "",
    doi: str = "",
    publisher: str = "",
) -> str:
    """A Vancouver-style reference: ``Smith J, Mays N. Title. Journal 2012;344(2):e980.``; a report
    without a journal: ``Smith J. Title. Publisher; 2013.``"""
    names = [_name(f, g) for f, g in authors]
    who = ", ".join(names[:6]) + (", et al" if len(names) > 6 else "")
    parts = [_sentence(who), _sentence(title)]
    if journal:
        where = f"{journal} {year}" if year else journal
        if volume:
            where += f";{volume}"
            if issue:
                where += f"({issue})"
        if pages:
            where += f":{pages}"
    elif publisher:
        where = f"{publisher}; {year}" if year else publisher
    else:
        where = str(year or "")
    parts.append(_sentence(where))
    if doi:
        parts.append(f"doi:{doi}")
    return " ".join(p for p in parts if p)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rea.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["source"] = lambda s: label(str(s))
    return env


def _flow_title(flow: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    label = str(flow["label"])
    if label == "total":
        return "Total (each work counted once)"
    return labels.get(label, label)


def _reason_table(flows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    reasons: dict[str, dict[str, int]] = {}
    for flow in flows:
        counts: dict[str, int] = {}
        for branch in ("databases", "other_methods"):
            for reason, n in flow[branch]["reports_excluded"].items():
                counts[reason] = counts.get(reason, 0) + int(n)
        for reason, n in counts.items():
            reasons.setdefault(reason, {})[str(flow["label"])] = n
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1].get("total", 0), kv[0]))
    return [{"reason": r, "by_flow": v} for r, v in ordered]


def render_report(context: ReportContext) -> str:
    """The report as one HTML string: styles and diagrams inline, nothing fetched."""
    flows = [
        {
            "flow": flow,
            "title": _flow_title(flow, context.stage_labels),
            "svg": flow_svg(flow),
        }
        for flow in context.flows
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        c=context,
        flows=flows,
        reasons=_reason_table(context.flows),
        type_headings=TYPE_HEADINGS,
        flow_labels=[str(f["label"]) for f in context.flows],
    )


def write_report(context: ReportContext, out_dir: Path) -> ReportFiles:
    """Write ``report.html`` and ``flow-<label>.svg`` per flow into ``out_dir``."""
    if not context.flows:
        raise ReportError("no PRISMA flow to draw", hint="run the searches and screening first")
    try:
        html = render_report(context)
        svgs = []
        for flow in context.flows:
            path = out_dir / f"flow-{flow['label']}.svg"
            svg = flow_svg(flow, title=_flow_title(flow, context.stage_labels))
            write_text_atomic(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
            svgs.append(path)
        html_path = out_dir / "report.html"
        write_text_atomic(html_path, html)
    except OSError as exc:
        raise ReportError(f"cannot write the report: {exc}", where=str(out_dir)) from exc
    return ReportFiles(html=html_path, svgs=tuple(svgs))
