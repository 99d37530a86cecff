"""The review's HTML report (jinja2, autoescaped) and its PRISMA 2020 flow diagrams (SVG).

The report layer takes plain data (:class:`ReportContext`): the pipeline gathers it from the
strategy, the store and the PRISMA counts.
"""

from rea.report.diagram import flow_svg
from rea.report.html import (
    QueryView,
    ReferenceView,
    ReportContext,
    ReportFiles,
    format_reference,
    render_report,
    write_report,
)

__all__ = [
    "QueryView",
    "ReferenceView",
    "ReportContext",
    "ReportFiles",
    "flow_svg",
    "format_reference",
    "render_report",
    "write_report",
]
