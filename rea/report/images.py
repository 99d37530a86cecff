"""The flow diagrams as PNG and PDF, and the report as PDF: the two converters live here only.

- **CairoSVG** (Kozea; SVG 1.1 → PNG and PDF through the cairo graphics library) draws each
  diagram's SVG exactly as the report shows it, at 2x for PNG (sharp on slides and in Word).
- **WeasyPrint** (Kozea; HTML and CSS → PDF through Pango) prints the report with its print
  style sheet, diagrams included, into ``report.pdf``.

Both are well kept, pure Python over system libraries that desktop Linux has installed already
(cairo; Pango and its fontconfig) and that macOS gets with ``brew install cairo pango``. Each is
imported only when a PNG or PDF is written, so every other command starts without them; a
missing library is a :class:`ReportError` saying what to install.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from rea.errors import ReportError

INSTALL_HINT = (
    "install the {lib} library (Debian/Ubuntu: apt-get install {deb}; macOS: brew install {brew}), "
    "or pass --svg-only to write the report and SVG diagrams without PNG and PDF"
)


def _cairosvg() -> ModuleType:
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # cairocffi raises OSError when libcairo is missing
        raise ReportError(
            f"cannot draw the diagrams as PNG and PDF: {_first_line(exc)}",
            hint=INSTALL_HINT.format(lib="cairo", deb="libcairo2", brew="cairo"),
        ) from exc
    module: ModuleType = cairosvg
    return module


def _weasyprint() -> ModuleType:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # WeasyPrint raises OSError when Pango is missing
        raise ReportError(
            f"cannot print the report as PDF: {_first_line(exc)}",
            hint=INSTALL_HINT.format(
                lib="Pango", deb="libpango-1.0-0 libpangoft2-1.0-0", brew="pango"
            ),
        ) from exc
    module: ModuleType = weasyprint
    return module


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def check_converters() -> None:
    """Raise the :class:`ReportError` of a missing converter before anything is written."""
    _cairosvg()
    _weasyprint()


def svg_to_png(svg: str, path: Path, *, scale: float = 2.0) -> None:
    _cairosvg().svg2png(bytestring=svg.encode("utf-8"), write_to=str(path), scale=scale)


def svg_to_pdf(svg: str, path: Path) -> None:
    _cairosvg().svg2pdf(bytestring=svg.encode("utf-8"), write_to=str(path))


def html_to_pdf(html: Path, pdf: Path) -> None:
    """Print ``html`` (which fetches nothing: styles and diagrams are inline) to ``pdf``."""
    weasyprint = _weasyprint()
    weasyprint.HTML(filename=str(html), url_fetcher=_refuse_fetch).write_pdf(str(pdf))


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The report is self-contained: any URL it would fetch (a hostile record's) is refused."""
    raise ValueError(f"the report fetches nothing (asked for {url[:80]!r})")
