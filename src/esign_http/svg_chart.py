"""A line chart drawn on the server as inline SVG (短信统计's per-month chart): no JavaScript,
no CDN, nothing for the CSP to allow. Labels are escaped; the markup is returned as
:class:`markupsafe.Markup` for the template."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def _nice_max(value: int) -> int:
    """The smallest 1/2/5 × 10^n at or above ``value`` (at least 5), so gridlines are round."""
    top = 5
    while top < value:
        for factor in (2, 2.5, 2):
            top = int(top * factor)
            if top >= value:
                break
    return top


def line_chart(points: Sequence[tuple[str, int]], *, width: int = 720, height: int = 260, title: str = "",
               element_id: str = "chart") -> Markup:
    """An SVG line chart of ``(label, value)`` points, x labels under each point, four gridlines."""
    left, right, top, bottom = 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = _nice_max(max((v for _, v in points), default=0))
    n = max(len(points), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: int) -> float:
        return top + plot_h - plot_h * v / ymax

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(element_id)}" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for step in range(5):
        value = ymax * step // 4
        gy = y(value)
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - right}" y2="{gy:.1f}" stroke="#dee0e3" '
                     f'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="11" fill="#646a73">'
                     f"{value}</text>")
    coords = [(x(i), y(v)) for i, (_, v) in enumerate(points)]
    if coords:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1677ff" stroke-width="2"/>')
    for i, ((label, value), (px, py)) in enumerate(zip(points, coords, strict=True)):
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#1677ff" data-label="{escape(label)}" '
                     f'data-value="{value}"><title>{escape(label)}: {value}</title></circle>')
        if n <= 12 or i % 2 == 0:
            parts.append(f'<text x="{px:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="11" '
                         f'fill="#646a73">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
