"""The PRISMA 2020 flow diagram as SVG, drawn from a flow's numbers (``Flow.as_dict()``).

Laid out as the PRISMA 2020 template for new reviews draws it: phase bars on the left
(Identification, Screening, Included); the databases branch in the first column with its
removal and exclusion boxes beside it; the other-methods branch (websites, organisations,
citation searching) in the third column, starting at "Reports sought for retrieval"; both
branches joining in "Studies included in review". Black on white with light fills, so it
reads when printed. Every number carries ``data-box`` and ``data-n`` so tools (and tests) can
read it back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from rea.query.databases import label as registry_label

FONT = 12
LINE = 15
PAD = 8
CHAR = 6.4  # average glyph width at 12px sans-serif, for wrapping

X_PHASE, W_PHASE = 10, 28
X1, W1 = 50, 250  # databases: main column
X2, W2 = 330, 230  # databases: side boxes
X3, W3 = 600, 230  # other methods: main column
X4, W4 = 860, 200  # other methods: side boxes
WIDTH = X4 + W4 + 10
GAP = 34

#: The reference review's own grey-literature sources; databases and other common sources are
#: named by rea.query.databases (see label()).
LABELS = {"gponline": "GPOnline", "pulse": "Pulse", "hsj": "HSJ"}


def label(source: str) -> str:
    """How a source is named in the diagram and the report."""
    return LABELS.get(source) or registry_label(source)


@dataclass(frozen=True)
class Line:
    text: str
    box: str | None = None
    n: int | None = None
    bold: bool = False


def _keep_n(text: str) -> str:
    """``(n = 12)`` never breaks across lines."""
    return re.sub(r"\(n = (\d+)\)", "(n\u00a0=\u00a0\\1)", text)


def _wrap(text: str, width: float) -> list[str]:
    limit = max(8, int((width - 2 * PAD) / CHAR))
    lines: list[str] = []
    current = ""
    for word in (w for w in text.split(" ") if w):
        if current and len(current) + 1 + len(word) > limit:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines or [""]


class Canvas:
    def __init__(self, marker: str) -> None:
        self.parts: list[str] = []
        self.marker = marker

    def box(
        self,
        x: float,
        y: float,
        w: float,
        lines: Sequence[Line],
        *,
        fill: str = "#ffffff",
        name: str = "",
    ) -> float:
        """Draw a box with wrapped lines; returns its height."""
        wrapped: list[tuple[str, Line]] = []
        for line in lines:
            pieces = _wrap(_keep_n(line.text), w)
            marked = next((k for k, p in enumerate(pieces) if "(n\u00a0=" in p), 0)
            for k, piece in enumerate(pieces):
                wrapped.append((piece, line if k == marked else Line(piece, bold=line.bold)))
        h = 2 * PAD + LINE * len(wrapped)
        self.parts.append(
            f'<g class="box" data-name={quoteattr(name)}>'
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}" stroke="#000" '
            f'stroke-width="1.2"/>'
        )
        for i, (piece, entry) in enumerate(wrapped):
            attrs = ""
            if entry is not None and entry.box is not None and entry.n is not None:
                attrs = f' data-box={quoteattr(entry.box)} data-n="{entry.n}"'
            weight = ' font-weight="bold"' if entry is not None and entry.bold else ""
            ty = y + PAD + LINE * (i + 1) - 3
            self.parts.append(f'<text x="{x + PAD}" y="{ty}"{attrs}{weight}>{escape(piece)}</text>')
        self.parts.append("</g>")
        return h

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000" stroke-width="1.2" '
            f'marker-end="url(#{self.marker})"/>'
        )

    def elbow(self, points: Sequence[tuple[float, float]]) -> None:
        path = " ".join(f"{x},{y}" for x, y in points)
        self.parts.append(
            f'<polyline points="{path}" fill="none" stroke="#000" stroke-width="1.2" '
            f'marker-end="url(#{self.marker})"/>'
        )

    def header(self, x: float, y: float, w: float, text: str, fill: str) -> None:
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="30" rx="6" fill="{fill}" stroke="#000"/>'
            f'<text x="{x + w / 2}" y="{y + 20}" text-anchor="middle" font-weight="bold">'
            f"{escape(text)}</text>"
        )

    def phase(self, y1: float, y2: float, text: str) -> None:
        cy = (y1 + y2) / 2
        self.parts.append(
            f'<rect x="{X_PHASE}" y="{y1}" width="{W_PHASE}" height="{y2 - y1}" rx="6" '
            f'fill="#a9c5e8" stroke="#000"/>'
            f'<text x="{X_PHASE + W_PHASE / 2 + 4}" y="{cy}" text-anchor="middle" '
            f'font-weight="bold" transform="rotate(-90 {X_PHASE + W_PHASE / 2 + 4} {cy})">'
            f"{escape(text)}</text>"
        )


def _n(box: str, label: str, n: int, *, indent: bool = False) -> Line:
    return Line(f"{'– ' if indent else ''}{label} (n = {n})", box=box, n=n)


def _label(source: str) -> str:
    return label(source)


def flow_svg(flow: Mapping[str, Any], *, title: str = "") -> str:
    """The SVG document (a string) of one flow, as ``rea.prisma.Flow.as_dict()`` gives it."""
    ident = flow["identification"]
    dbr = flow["databases"]
    oth = flow["other_methods"]
    inc = flow["included"]
    marker = "arrow-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(flow["label"]))
    c = Canvas(marker)
    y0: float = 10
    if title:
        c.parts.append(
            f'<text x="{WIDTH / 2}" y="{y0 + 14}" text-anchor="middle" font-size="15" '
            f'font-weight="bold">{escape(title)}</text>'
        )
        y0 += 26
    c.header(
        X1, y0, X2 + W2 - X1, "Identification of new studies via databases and registers", "#ffe9a8"
    )
    c.header(X3, y0, X4 + W4 - X3, "Identification of new studies via other methods", "#e3e3e3")
    y: float = y0 + 30 + 20

    # identification
    db_lines = [Line("Records identified from:", bold=True)]
    db_lines.append(_n("database_results", "Databases", int(ident["databases_total"])))
    db_lines += [
        _n(f"database:{k}", _label(k), int(v), indent=True) for k, v in ident["databases"].items()
    ]
    db_lines.append(_n("register_results", "Registers", int(ident.get("registers_total", 0))))
    removed = [
        Line("Records removed before screening:", bold=True),
        _n("duplicates", "Duplicate records removed", int(ident["duplicates"])),
        _n(
            "excluded_automatic",
            "Records marked as ineligible by automation tools",
            int(ident["excluded_automatic"]),
        ),
        _n("excluded_other", "Records removed for other reasons", int(ident["excluded_other"])),
    ]
    other_lines = [Line("Records identified from:", bold=True)]
    other_lines += [
        _n(f"other:{k}", _label(k), int(v)) for k, v in ident["other_methods"].items()
    ] or [Line("no other methods")]
    if ident["other_methods"]:
        # identified → sought, step by step: PRISMA 2020 draws no screening boxes here
        works = int(oth.get("identified_works", 0))
        other_lines.append(
            _n("other_identified_works", "Reports not found by the databases", works)
        )
        other_lines.append(
            _n(
                "other_not_sought",
                "not sought (excluded on title/abstract)",
                int(oth.get("not_sought", 0)),
                indent=True,
            )
        )
        if int(oth.get("awaiting", 0)):
            other_lines.append(
                _n(
                    "other_awaiting",
                    "awaiting a decision (interim)",
                    int(oth["awaiting"]),
                    indent=True,
                )
            )
    y_ident = y
    h1 = c.box(X1, y, W1, db_lines, name="database_results")
    h2 = c.box(X2, y, W2, removed, name="removed")
    h3 = c.box(X3, y, W3, other_lines, name="other_results")
    c.arrow(X1 + W1, y + h1 / 2, X2, y + h1 / 2)
    row = max(h1, h2, h3)
    y_ident_end = y + row
    db_bottom, other_bottom = y + h1, y + h3
    y = y + row + GAP

    # screening: databases
    y_screen = y
    h = c.box(
        X1,
        y,
        W1,
        [_n("records_screened", "Records screened", int(dbr["records_screened"]))],
        name="records_screened",
    )
    c.arrow(X1 + W1 / 2, db_bottom, X1 + W1 / 2, y)
    excluded_lines = [_n("records_excluded", "Records excluded", int(dbr["records_excluded"]))]
    automation = int(dbr.get("records_excluded_automation", 0))
    if automation:
        excluded_lines.append(
            _n(
                "records_excluded_automation",
                "of which never screened after screening was stopped",
                automation,
            )
        )
    waiting = int(dbr.get("awaiting_screening", 0))
    if waiting:
        excluded_lines.append(
            _n("awaiting_screening", "Records awaiting a decision (interim)", waiting)
        )
    he = c.box(X2, y, W2, excluded_lines, name="records_excluded")
    c.arrow(X1 + W1, y + h / 2, X2, y + h / 2)
    prev_bottom = y + h
    y += max(h, he) + GAP

    # sought / not retrieved, both branches on one row
    h = c.box(
        X1,
        y,
        W1,
        [_n("dbr_sought_reports", "Reports sought for retrieval", int(dbr["reports_sought"]))],
        name="dbr_sought_reports",
    )
    c.arrow(X1 + W1 / 2, prev_bottom, X1 + W1 / 2, y)
    hn = c.box(
        X2,
        y,
        W2,
        [
            _n(
                "dbr_notretrieved_reports",
                "Reports not retrieved",
                int(dbr["reports_not_retrieved"]),
            )
        ],
        name="dbr_notretrieved_reports",
    )
    c.arrow(X1 + W1, y + h / 2, X2, y + h / 2)
    ho = c.box(
        X3,
        y,
        W3,
        [_n("other_sought_reports", "Reports sought for retrieval", int(oth["reports_sought"]))],
        name="other_sought_reports",
    )
    c.arrow(X3 + W3 / 2, other_bottom, X3 + W3 / 2, y)
    hon = c.box(
        X4,
        y,
        W4,
        [
            _n(
                "other_notretrieved_reports",
                "Reports not retrieved",
                int(oth["reports_not_retrieved"]),
            )
        ],
        name="other_notretrieved_reports",
    )
    c.arrow(X3 + W3, y + ho / 2, X4, y + ho / 2)
    prev_bottom, other_prev = y + h, y + ho
    y += max(h, hn, ho, hon) + GAP

    # assessed / excluded with reasons
    def reasons(box: str, counts: Mapping[str, int], total: int, waiting: int) -> list[Line]:
        lines = [Line(f"Reports excluded: (n = {total})", box=box, n=total, bold=True)]
        lines += [Line(f"{k} (n = {v})", box=f"{box}:{k}", n=int(v)) for k, v in counts.items()]
        if waiting:
            awaiting = {"dbr_excluded": "dbr_awaiting"}.get(box, "other_reports_awaiting")
            lines.append(_n(awaiting, "Reports awaiting a decision (interim)", waiting))
        return lines

    h = c.box(
        X1,
        y,
        W1,
        [_n("dbr_assessed", "Reports assessed for eligibility", int(dbr["reports_assessed"]))],
        name="dbr_assessed",
    )
    c.arrow(X1 + W1 / 2, prev_bottom, X1 + W1 / 2, y)
    hx = c.box(
        X2,
        y,
        W2,
        reasons(
            "dbr_excluded",
            dbr["reports_excluded"],
            int(dbr["reports_excluded_total"]),
            int(dbr.get("reports_awaiting", 0)),
        ),
        name="dbr_excluded",
    )
    c.arrow(X1 + W1, y + h / 2, X2, y + h / 2)
    ho = c.box(
        X3,
        y,
        W3,
        [_n("other_assessed", "Reports assessed for eligibility", int(oth["reports_assessed"]))],
        name="other_assessed",
    )
    c.arrow(X3 + W3 / 2, other_prev, X3 + W3 / 2, y)
    hox = c.box(
        X4,
        y,
        W4,
        reasons(
            "other_excluded",
            oth["reports_excluded"],
            int(oth["reports_excluded_total"]),
            int(oth.get("reports_awaiting", 0)),
        ),
        name="other_excluded",
    )
    c.arrow(X3 + W3, y + ho / 2, X4, y + ho / 2)
    prev_bottom, other_prev = y + h, y + ho
    y_screen_end = y + max(h, hx, ho, hox)
    y = y_screen_end + GAP

    # included
    by_type = ", ".join(f"{k} {v}" for k, v in inc["by_type"].items())
    hi = c.box(
        X1,
        y,
        W1,
        [
            _n("new_studies", "Studies included in review", int(inc["studies"])),
            _n("new_reports", "Reports of included studies", int(inc["reports"])),
            Line(f"by type: {by_type}"),
        ],
        fill="#ffffff",
        name="included",
    )
    for kind, v in inc["by_type"].items():
        c.parts.append(f'<desc data-box="type:{escape(kind)}" data-n="{int(v)}"></desc>')
    c.arrow(X1 + W1 / 2, prev_bottom, X1 + W1 / 2, y)
    c.elbow([(X3 + W3 / 2, other_prev), (X3 + W3 / 2, y + hi / 2), (X1 + W1, y + hi / 2)])
    y_end = y + hi

    c.phase(y_ident, y_ident_end, "Identification")
    c.phase(y_screen, y_screen_end, "Screening")
    c.phase(y, y_end, "Included")
    height = y_end + 12
    body = "\n".join(c.parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="prisma-flow" '
        f'data-flow={quoteattr(str(flow["label"]))} viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{FONT}" role="img">'
        f"<title>{escape('PRISMA 2020 flow diagram: ' + (title or str(flow['label'])))}</title>"
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#000"/></marker></defs>'
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>'
        f"{body}</svg>"
    )
