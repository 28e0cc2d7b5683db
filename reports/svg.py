"""Server-rendered SVG bar charts: no script, nothing fetched, allowed by the console's CSP."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

ROW, LABEL_W, BAR_W, VALUE_W = 22, 150, 260, 60


def bar_chart(title: str, rows: list[tuple[str, float | None]], *, chart_id: str, maximum: float = 100.0,
              fmt: str = "{:.1f}%") -> Markup:
    """One horizontal bar per (label, percentage); None is drawn as — without a bar. Counts: give the
    largest as `maximum` and fmt="{:.0f}" (hotspots/)."""
    height = ROW * len(rows) + 30
    width = LABEL_W + BAR_W + VALUE_W
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{escape(chart_id)}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = 26 + i * ROW
        out.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label[:12])}</text>')
        out.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{BAR_W}" height="14" fill="#eef1f5"/>')
        if value is not None:
            w = round(BAR_W * max(0.0, min(value, maximum)) / (maximum or 1.0), 1)
            out.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w}" height="14" fill="#2f6db5" '
                       f'data-label="{escape(label)}" data-value="{value}"/>')
        shown = "—" if value is None else fmt.format(value)
        out.append(f'<text x="{LABEL_W + BAR_W + 6}" y="{y + 14}" font-size="12">{shown}</text>')
    out.append("</svg>")
    return Markup("".join(out))
