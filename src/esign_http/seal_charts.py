"""Server-side SVG for the statistics pages: no JavaScript, no CDN, no inline style (the CSP
allows none). Presentation attributes (fill, stroke) are not CSS, so they are allowed."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 640, 220, 32


def line_chart(points: list[tuple[str, int]], *, label: str = "applications") -> Markup:
    """A polyline of ``(x label, value)`` with the axis, a few x labels and the maximum."""
    if not points:
        return Markup(  # noqa: S704 (every interpolation is escaped or numeric)
            f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{WIDTH}" '
            f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"></svg>')
    top = max(v for _, v in points) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(points) - 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, (_, v) in enumerate(points)))
    every = max(1, len(points) // 6)
    ticks = "".join(
        f'<text x="{xy(i, 0)[0]:.1f}" y="{HEIGHT - 10}" font-size="10" text-anchor="middle">{escape(name)}</text>'
        for i, (name, _) in enumerate(points) if i % every == 0)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#1f6feb"><title>{escape(n)}: {v}</title></circle>'
                   for (n, v), (x, y) in zip(points, (xy(i, v) for i, (_, v) in enumerate(points)), strict=True))
    return Markup(  # noqa: S704 (every interpolation is escaped or numeric)
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>'
        f'<text x="4" y="{PAD}" font-size="10">{top}</text>'
        f'<polyline points="{coords}" fill="none" stroke="#1f6feb" stroke-width="2"/>{dots}{ticks}</svg>')
