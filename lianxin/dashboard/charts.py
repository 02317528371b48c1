"""Charts drawn on the server as SVG strings: no JavaScript, no asset from the internet.

Each chart has a viewBox and no fixed size, so it scales to a phone's width. Every label passes
through `html.escape`, because place and employer names come from fetched pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Colours that stay apart for the common kinds of colour blindness (Okabe–Ito).
STATUS_COLOURS = {
    "done": "#009E73",
    "open": "#56B4E9",
    "overdue": "#E69F00",
    "escalated": "#D55E00",
    "waived": "#999999",
}
LINE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
FONT = 'font-family="sans-serif" font-size="12"'


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet" '
        f'style="width:100%;height:auto">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def text_width(text: str, size: int = 12) -> float:
    """Return about how wide `text` is drawn at `size` px: a CJK glyph is square, a Latin one
    a bit over half as wide (no font metrics on the server, so a generous estimate)."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.62 for ch in text)


def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    maximum: float | None = None,
    unit: str = "%",
    width: int = 480,
) -> str:
    """Return horizontal bars, one per (label, value), longest = `maximum` (default: the max)."""
    row, label_width, pad = 22, 140, 8
    top = maximum if maximum is not None else max((v for _, v in items), default=0.0)
    scale = (width - label_width - 60) / top if top > 0 else 0.0
    body: list[str] = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        length = max(0.0, value) * scale
        body.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{_num(length)}" height="{row - 6}" '
            f'fill="{LINE_COLOURS[0]}"><title>{escape(label)}: {_num(value)}{escape(unit)}'
            f"</title></rect>"
            f'<text x="{_num(label_width + length + 4)}" y="{y + 14}" {FONT}>'
            f"{_num(value)}{escape(unit)}</text>"
        )
    return _svg(width, 2 * pad + max(1, len(items)) * row, body, title)


def line_chart(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    title: str,
    width: int = 480,
    height: int = 200,
) -> str:
    """Return lines over `labels` (months), one per named series; None leaves a gap."""
    # The last month's label is centred on the right end of the axis: leave room for its half.
    right = max(12.0, text_width(labels[-1]) / 2 + 4) if labels else 12.0
    left, top, bottom = 48, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for points in series.values() for v in points if v is not None]
    high = max(values, default=0.0)
    high = high if high > 0 else 1.0
    step = plot_w / (len(labels) - 1) if len(labels) > 1 else 0.0

    def x(i: int) -> float:
        return left + i * step if len(labels) > 1 else left + plot_w / 2

    def y(v: float) -> float:
        return top + plot_h - (v / high) * plot_h

    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{_num(left + plot_w)}" y2="{top + plot_h}" '
        f'stroke="#444"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" {FONT}>{_num(high)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" {FONT}>0</text>',
    ]
    for i, label in enumerate(labels):
        body.append(
            f'<text x="{_num(x(i))}" y="{height - bottom + 16}" text-anchor="middle" {FONT}>'
            f"{escape(label)}</text>"
        )
    for n, (name, points) in enumerate(series.items()):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(points):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{_num(x(i))},{_num(y(v))}")
            body.append(
                f'<circle cx="{_num(x(i))}" cy="{_num(y(v))}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(labels[i])}: {_num(v)}</title></circle>"
            )
        if segment:
            segments.append(segment)
        for part in segments:
            body.append(
                f'<polyline points="{" ".join(part)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
        body.append(
            f'<text x="{left + n * 110}" y="{height - 6}" fill="{colour}" {FONT}>'
            f"{escape(name)}</text>"
        )
    return _svg(width, height, body, title)


def stacked_bar(
    counts: dict[str, int],
    title: str,
    labels: dict[str, str] | None = None,
    width: int = 480,
) -> str:
    """Return one bar split by status, each part as wide as its share; a legend under it."""
    left, bar_h, total = 8, 24, sum(max(0, n) for n in counts.values())
    usable = width - 2 * left
    body: list[str] = []
    x = float(left)
    for i, (status, n) in enumerate(counts.items()):
        name = (labels or {}).get(status, status)
        part = usable * max(0, n) / total if total else 0.0
        colour = STATUS_COLOURS.get(status, LINE_COLOURS[i % len(LINE_COLOURS)])
        body.append(
            f'<rect x="{_num(x)}" y="8" width="{_num(part)}" height="{bar_h}" fill="{colour}">'
            f"<title>{escape(name)}: {n}</title></rect>"
            f'<rect x="{left + (i % 3) * 155}" y="{44 + (i // 3) * 18}" width="10" height="10" '
            f'fill="{colour}"/>'
            f'<text x="{left + (i % 3) * 155 + 14}" y="{53 + (i // 3) * 18}" {FONT}>'
            f"{escape(name)} {n}</text>"
        )
        x += part
    return _svg(width, 44 + ((len(counts) + 2) // 3) * 18 + 6, body, title)
