"""The recall curve as a small standalone SVG (written by hand: no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 420
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 40, 50
COLOURS = ("#1b6ca8", "#d1495b", "#2e8b57", "#8e6c8a", "#e08e0b", "#444444")


def recall_curve_svg(
    curves: Sequence[Sequence[tuple[int, int]]],
    n_total: int,
    n_relevant: int,
    *,
    title: str,
    labels: Sequence[str] | None = None,
) -> str:
    """One line per curve (points: records screened, relevant found), plus the random diagonal.

    Axes are shares: records screened of ``n_total`` and relevant found of ``n_relevant``.
    """
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(screened: float) -> float:
        return LEFT + plot_w * screened / max(1, n_total)

    def y(found: float) -> float:
        return TOP + plot_h * (1 - found / max(1, n_relevant))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for tick in range(0, 101, 20):
        tx, ty = x(n_total * tick / 100), y(n_relevant * tick / 100)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{TOP + plot_h}" stroke="#eee"/>'
        )
        parts.append(
            f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{tx:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{tick}%</text>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick}%</text>')
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>'
    )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">'
        f"records screened (of {n_total:,})</text>"
    )
    parts.append(
        f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2})">relevant found (of {n_relevant:,})</text>'
    )
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(n_total):.1f}" y2="{y(n_relevant):.1f}" '
        'stroke="#999" stroke-dasharray="4 4"><title>random order</title></line>'
    )
    for i, curve in enumerate(curves):
        colour = COLOURS[i % len(COLOURS)]
        points = list(curve)
        if points and points[-1][0] < n_total:
            points.append((n_total, points[-1][1]))  # flat to the end: nothing more was found
        path = " ".join(f"{x(s):.1f},{y(f):.1f}" for s, f in points)
        name = labels[i] if labels is not None and i < len(labels) else f"run {i + 1}"
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5">'
            f"<title>{escape(name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
