"""Pure SVG charts drawn on the server (no JavaScript): horizontal bars and a year × tag table of bars.

Labels are escaped; every chart has a <title> and a text table beside it for screen readers.
"""

from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#1d5c3a"
PALETTE = ["#1d5c3a", "#2358b5", "#8a5a00", "#7a3e9d", "#b03a2e", "#5b7f00", "#00838f", "#555555"]


def bars(title: str, pairs: list[tuple[str, int]], *, width: int = 560, label_width: int = 230) -> Markup:
    """One horizontal bar per (label, value)."""
    row = 26
    height = max(row * len(pairs), row) + 10
    top = max((value for _, value in pairs), default=0) or 1
    span = width - label_width - 50
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="t-{_id(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t-{_id(title)}">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(pairs):
        y = 5 + i * row
        length = round(span * value / top)
        short = label if len(label) <= 26 else label[:25] + "…"  # 13px text: ~26 characters fit in 222px
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1a1a1a">{escape(short)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{max(length, 1)}" height="{row - 8}" fill="{BAR}">'
            f"<title>{escape(label)} : {value}</title></rect>"
            f'<text x="{label_width + length + 6}" y="{y + 17}" font-size="13" fill="#1a1a1a">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped(title: str, rows: list[str], series: list[str], values: dict[tuple[str, str], int],
            *, width: int = 560) -> Markup:
    """Vertical bars: one group per row (e.g. a year), one bar per series (e.g. a tag) in its colour."""
    height, bottom, left = 240, 30, 30
    group_width = (width - left) / max(len(rows), 1)
    bar = max(4.0, (group_width - 16) / max(len(series), 1))
    top = max(values.values(), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="t-{_id(title)}" viewBox="0 0 {width} {height + 40}" '
        f'width="{width}" height="{height + 40}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t-{_id(title)}">{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#444"/>',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{height - bottom}" stroke="#444"/>',
        f'<text x="{left - 4}" y="20" text-anchor="end" font-size="12" fill="#1a1a1a">{top}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="12" fill="#1a1a1a">0</text>',
    ]
    for g, row in enumerate(rows):
        x0 = left + g * group_width + 8
        for s, name in enumerate(series):
            value = values.get((row, name), 0)
            h = round((height - bottom - 10) * value / top)
            parts.append(
                f'<rect class="bar" x="{x0 + s * bar:.1f}" y="{height - bottom - h}" width="{bar - 1:.1f}" height="{h}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(row)} · {escape(name)} : {value}</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + len(series) * bar / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'font-size="13" fill="#1a1a1a">{escape(row)}</text>'
        )
    for s, name in enumerate(series):  # legend
        x = left + s * 64
        parts.append(
            f'<rect x="{x}" y="{height + 8}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{height + 19}" font-size="12" fill="#1a1a1a">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _id(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
