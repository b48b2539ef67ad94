"""Charts as inline SVG, drawn from the report's figures: plain horizontal bars, stacked
horizontal bars (a reason mix per group) and stacked columns over time.

Every drawn value is a ``<rect class="mark">`` carrying ``data-value`` and a ``<title>`` (the
tooltip), so the page's numbers can be read back from it. The charts scale with their
container (``viewBox``); the text tables beside them carry the exact figures.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

# Okabe & Ito's colour-blind-safe palette (Color Universal Design), most distinct first;
# reasons past the seventh share the neutral grey of "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#8C8C8C"
OTHER_NAME = "other reasons"
HARD, SOFT = "#D55E00", "#56B4E9"

W = 560  # width of bar charts (viewBox units)
ROW = 24
LABEL_W = 170


def colours(order: list[str]) -> dict[str, str]:
    """Reason -> colour: the most common reasons first."""
    return {name: PALETTE[i] for i, name in enumerate(order[: len(PALETTE)])}


def _fmt(n: float) -> str:
    return f"{n:,.0f}"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _svg(width: int, height: int, label: str, body: list[str], cls: str = "chart") -> str:
    return (
        '<div class="chartbox">'
        f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg></div>"
    )


def hbars(rows: list[dict[str, Any]], label: str) -> str:
    """One bar per row: ``{"label", "value", "colour", "href"?, "note"?}``; a note (the plain
    words for a reason name) is written after the figure."""
    top = max((r["value"] for r in rows), default=0) or 1
    notes = any(r.get("note") for r in rows)
    width = W + 120 if notes else W
    span = width - LABEL_W - 70 - (230 if notes else 0)
    body: list[str] = []
    for i, r in enumerate(rows):
        y = i * ROW
        w = max(1.0, span * r["value"] / top) if r["value"] else 0
        name = escape(_cut(r["label"], 26))
        tip = escape(f'{r["label"]}: {_fmt(r["value"])}' + (f' ({r["note"]})' if r.get("note") else ""))
        text = f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{name}</text>'
        if r.get("href"):
            text = f'<a href="{escape(r["href"])}">{text}</a>'
        note = f'<tspan class="note" dx="6">{escape(_cut(r["note"], 40))}</tspan>' if r.get("note") else ""
        body.append(
            text
            + f'<rect class="mark bar" x="{LABEL_W}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" fill="{r["colour"]}" '
            f'data-label="{escape(r["label"])}" data-value="{r["value"]}"><title>{tip}</title></rect>'
            + f'<text class="num" x="{LABEL_W + w + 5:.1f}" y="{y + 16}">{_fmt(r["value"])}{note}</text>'
        )
    return _svg(width, max(ROW, len(rows) * ROW), label, body)


def stacked_hbars(rows: list[dict[str, Any]], palette: dict[str, str], label: str) -> str:
    """One bar per group (``{"name", "count", "mix": {reason: n}}``), each as wide as the
    others and split by the share of each reason; the group's count is written after it."""
    span = W - LABEL_W - 70
    body: list[str] = []
    for i, r in enumerate(rows):
        y = i * ROW
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">{escape(_cut(r["name"], 26))}</text>')
        x = float(LABEL_W)
        total = r["count"] or 1
        for reason, n, colour in _segments(r["mix"], palette):
            w = span * n / total
            tip = escape(f'{r["name"]}: {reason} {_fmt(n)} of {_fmt(r["count"])}')
            body.append(
                f'<rect class="mark bar" x="{x:.1f}" y="{y + 4}" width="{max(w, 0.5):.1f}" height="{ROW - 8}" fill="{colour}" '
                f'data-label="{escape(r["name"])}" data-reason="{escape(reason)}" data-value="{n}"><title>{tip}</title></rect>'
            )
            x += w
        body.append(f'<text class="num" x="{LABEL_W + span + 5}" y="{y + 16}">{_fmt(r["count"])}</text>')
    return _svg(W, max(ROW, len(rows) * ROW), label, body)


def _segments(mix: dict[str, int], palette: dict[str, str]) -> list[tuple[str, int, str]]:
    """(reason, count, colour) in palette order; the reasons without a colour summed as one."""
    segs = [(r, mix[r], c) for r, c in palette.items() if mix.get(r)]
    rest = sum(n for r, n in mix.items() if r not in palette)
    if rest:
        segs.append((OTHER_NAME, rest, OTHER))
    return segs


def columns(rows: list[dict[str, Any]], palette: dict[str, str], label: str, spikes: set[str]) -> str:
    """Stacked columns over time (``{"bucket", "count", "mix"}``); spikes get a marker."""
    width, height, left, bottom, top_pad = 1000, 260, 44, 28, 16
    n = max(1, len(rows))
    plot_w = width - left - 8
    plot_h = height - bottom - top_pad
    top = max((r["count"] for r in rows), default=0) or 1
    bw = plot_w / n
    body: list[str] = []
    # y axis: 0, half, top
    for frac in (0.0, 0.5, 1.0):
        y = top_pad + plot_h * (1 - frac)
        body.append(f'<line class="grid" x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
                    f'<text class="num" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_fmt(top * frac)}</text>')
    for i, r in enumerate(rows):
        x = left + i * bw
        y = float(top_pad + plot_h)
        for reason, v, colour in _segments(r["mix"], palette):
            h = plot_h * v / top
            y -= h
            tip = escape(f'{r["bucket"]}: {reason} {_fmt(v)}')
            body.append(
                f'<rect class="mark" x="{x + bw * 0.1:.2f}" y="{y:.2f}" width="{max(bw * 0.8, 0.6):.2f}" height="{max(h, 0.5):.2f}" '
                f'fill="{colour}" data-label="{escape(r["bucket"])}" data-reason="{escape(reason)}" data-value="{v}">'
                f"<title>{tip}</title></rect>"
            )
        if r["bucket"] in spikes:
            cx = x + bw / 2
            body.append(f'<path class="spike" d="M{cx - 5:.1f},{y - 10:.1f} L{cx + 5:.1f},{y - 10:.1f} L{cx:.1f},{y - 3:.1f} Z">'
                        f'<title>{escape(r["bucket"])}: spike, {_fmt(r["count"])}</title></path>')
    # x labels: as many as fit side by side (about 6.5 units a character at 11px, and a gap)
    shown_labels = [_axis_label(r["bucket"]) for r in rows]
    label_w = 6.5 * max((len(t) for t in shown_labels), default=1) + 12
    step = max(1, math.ceil(n * label_w / plot_w))
    for i in range(0, n, step):
        x = left + i * bw + bw / 2
        shown = shown_labels[i]
        body.append(f'<text class="axis" x="{x:.1f}" y="{height - 8}" text-anchor="middle">{escape(shown)}</text>')
    return _svg(width, height, label, body, "chart wide")


def key_class(colour: str) -> str:
    """The CSS class that paints a legend key in ``colour`` (no inline style: the page served
    by ``bouncewise serve`` allows none)."""
    return f"k{PALETTE.index(colour)}" if colour in PALETTE else "ko"


def _axis_label(bucket: str) -> str:
    """An hour ("2026-12-06 04:00") without its year; days, weeks and months as they are."""
    return bucket[5:] if len(bucket) > 10 else bucket


def legend(palette: dict[str, str], titles: dict[str, str], with_other: bool) -> str:
    items = [f'<li><span class="key {key_class(c)}"></span>{escape(r)} <small>{escape(titles.get(r, ""))}</small></li>'
             for r, c in palette.items()]
    if with_other:
        items.append(f'<li><span class="key ko"></span>{OTHER_NAME}</li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"
