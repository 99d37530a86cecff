"""Rendering the report: one self-contained HTML file, plus each flow diagram as its own SVG."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from rea.errors import ReportError
from rea.files import new_folder_beside, swap_folder_in
from rea.report import images
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
    """One report in a reference list; ``reports`` are the other reports of the same study."""

    work_id: int
    citation: str
    doi: str = ""
    url: str = ""
    reports: tuple[ReferenceView, ...] = ()
    reason: str = ""  # why it was excluded at full text (the excluded list)

    @property
    def href(self) -> str | None:
        """The link to follow: the DOI's resolver, else the URL if it is http(s); else none."""
        return safe_href(self.doi, self.url)


def safe_href(doi: str = "", url: str = "") -> str | None:
    """A link that is safe to click: ``https://doi.org/<doi>`` for a DOI, an ``http``/``https``
    URL with a host as it is; anything else (``javascript:``, ``data:``, ``file:``, relative or
    malformed) is no link at all and is shown as text only."""
    if doi.strip():
        return "https://doi.org/" + quote(doi.strip(), safe="/:;()._-")
    candidate = url.strip()
    if not candidate or any(c in candidate for c in "\r\n\t\\ \"'<>`"):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not parts.username:
        return candidate
    return None


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
    excluded: Sequence[ReferenceView] = ()  # reports excluded at full text, with their reasons
    overrides: Sequence[Mapping[str, Any]] = ()  # resolutions given with --override
    kappa_definition: str = ""
    searches: Sequence[Mapping[str, Any]] = ()  # every search of every run, with its state
    stopping: Sequence[str] = ()  # what stopping decisions did, in sentences
    # rea.pipeline.citations.StageRounds as dicts: each stage's citation-searching rounds
    citation_rounds: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    svgs: tuple[Path, ...]
    pngs: tuple[Path, ...] = ()
    pdfs: tuple[Path, ...] = ()  # one per diagram, then report.pdf


#: What a report folder holds; a folder holding anything else is not replaced (--out safety).
MARKER = ".rea-report"
_OWN_FILE = re.compile(r"^(report\.(html|pdf)|flow-[^/]+\.(svg|png|pdf)|\.rea-report)$")


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


def _numbers(flow: Mapping[str, Any]) -> dict[str, int]:
    """The numbers table's cells of one flow (``Flow.as_dict()``)."""
    ident, dbr, oth, inc = (
        flow["identification"],
        flow["databases"],
        flow["other_methods"],
        flow["included"],
    )
    return {
        "databases": int(ident["databases_total"]),
        "other": int(ident["other_methods_total"]),
        "duplicates": int(ident["duplicates"]),
        "screened": int(dbr["records_screened"]),
        "excluded": int(dbr["records_excluded"]),
        "awaiting": int(dbr["awaiting_screening"]) + int(oth["awaiting"]),
        "sought": int(dbr["reports_sought"]) + int(oth["reports_sought"]),
        "not_retrieved": int(dbr["reports_not_retrieved"]) + int(oth["reports_not_retrieved"]),
        "assessed": int(dbr["reports_assessed"]) + int(oth["reports_assessed"]),
        "reports_excluded": int(dbr["reports_excluded_total"]) + int(oth["reports_excluded_total"]),
        "reports_awaiting": int(dbr["reports_awaiting"]) + int(oth["reports_awaiting"]),
        "studies": int(inc["studies"]),
        "reports": int(inc["reports"]),
    }


NUMBER_ROWS = (
    ("Records identified from databases", "databases"),
    ("Records identified by other methods", "other"),
    ("Duplicate records removed (database records)", "duplicates"),
    ("Records screened (databases)", "screened"),
    ("Records excluded", "excluded"),
    ("Works awaiting a title/abstract decision", "awaiting"),
    ("Reports sought for retrieval (both branches)", "sought"),
    ("Reports not retrieved", "not_retrieved"),
    ("Reports assessed for eligibility", "assessed"),
    ("Reports excluded", "reports_excluded"),
    ("Reports awaiting a full-text decision", "reports_awaiting"),
    ("Studies included", "studies"),
    ("Reports of included studies", "reports"),
)


def render_report(context: ReportContext) -> str:
    """The report as one HTML string: styles and diagrams inline, nothing fetched."""
    flows: list[dict[str, Any]] = [
        {
            "flow": flow,
            "title": _flow_title(flow, context.stage_labels),
            "svg": flow_svg(flow),
            "numbers": _numbers(flow),
        }
        for flow in context.flows
    ]
    waiting = ("awaiting", "reports_awaiting")
    rows = [
        (label, key)
        for label, key in NUMBER_ROWS
        if key not in waiting or any(f["numbers"][key] for f in flows)
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        c=context,
        flows=flows,
        reasons=_reason_table(context.flows),
        type_headings=TYPE_HEADINGS,
        flow_labels=[str(f["label"]) for f in context.flows],
        number_rows=rows,
    )


def write_report(context: ReportContext, out_dir: Path, *, images_too: bool = True) -> ReportFiles:
    """Write ``report.html``, ``flow-<label>.svg`` per flow and, with ``images_too``, each
    diagram as PNG and PDF and the report as ``report.pdf``, into ``out_dir``.

    Everything is written into a new folder beside ``out_dir`` first and swapped in at once, so
    a reader, or a kill at any moment, finds the old set or the new set, never a mix. A folder
    that holds anything but a report is refused rather than replaced.
    """
    if not context.flows:
        raise ReportError("no PRISMA flow to draw", hint="run the searches and screening first")
    _check_out(out_dir)
    if images_too:
        images.check_converters()
    html = render_report(context)
    try:
        new = new_folder_beside(out_dir)
    except OSError as exc:
        raise ReportError(f"cannot write the report: {exc}", where=str(out_dir)) from exc
    try:
        svgs, pngs, pdfs = [], [], []
        for flow in context.flows:
            name = f"flow-{flow['label']}"
            svg = flow_svg(flow, title=_flow_title(flow, context.stage_labels))
            (new / f"{name}.svg").write_text(
                '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n", encoding="utf-8"
            )
            svgs.append(out_dir / f"{name}.svg")
            if images_too:
                images.svg_to_png(svg, new / f"{name}.png")
                images.svg_to_pdf(svg, new / f"{name}.pdf")
                pngs.append(out_dir / f"{name}.png")
                pdfs.append(out_dir / f"{name}.pdf")
        (new / "report.html").write_text(html, encoding="utf-8")
        if images_too:
            images.html_to_pdf(new / "report.html", new / "report.pdf")
            pdfs.append(out_dir / "report.pdf")
        (new / MARKER).write_text("written by `rea report`, which replaces this folder whole\n")
        swap_folder_in(new, out_dir)
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise ReportError(f"cannot write the report: {exc}", where=str(out_dir)) from exc
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return ReportFiles(
        html=out_dir / "report.html", svgs=tuple(svgs), pngs=tuple(pngs), pdfs=tuple(pdfs)
    )


def _check_out(out_dir: Path) -> None:
    """Refuse to replace a folder that holds anything but a rea report."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError("not a folder", where=str(out_dir), hint="--out names a folder")
    if not out_dir.is_dir():
        return
    foreign = sorted(p.name for p in out_dir.iterdir() if not _OWN_FILE.match(p.name))
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise ReportError(
            f"the folder holds files that are not a rea report ({shown}); rea report replaces "
            "its folder whole",
            where=str(out_dir),
            hint="choose a new or empty folder with --out",
        )
