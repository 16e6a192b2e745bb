"""A small line chart as SVG markup, drawn on the server (no script): score by month on the home pages.

Pure: values in, text out. The markup carries no style attribute (the CSP forbids inline styles): shapes
use SVG presentation attributes and classes styled in static/css/app.css (``.trend-*``). Text is escaped.
A month without a value leaves a gap in the line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

WIDTH = 320
HEIGHT = 150
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 10, 10, 24


def _bounds(values: list[float]) -> tuple[float, float]:
    """A y range of whole tens around the values, at least ten wide (scores are 0..100)."""
    low = math.floor(min(values) / 10) * 10
    high = math.ceil(max(values) / 10) * 10
    if high - low < 10:
        high = low + 10
    return low, high


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def line_chart(points: list[tuple[str, float | None]], *, title: str, unit: str = "") -> str:
    """An SVG line chart of ``points`` ((label, value or None), in order) titled ``title`` (its accessible
    name); each point's tooltip says "label: value unit" (two decimals). Empty text when no point has a value."""
    values = [v for _, v in points if v is not None]
    if not values:
        return ""
    low, high = _bounds(values)
    inner_w, inner_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0.0

    def x(i: int) -> float:
        return _LEFT + (i * step if len(points) > 1 else inner_w / 2)

    def y(v: float) -> float:
        return _TOP + inner_h * (high - v) / (high - low)

    parts = [
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for v in (low, (low + high) / 2, high):  # grid lines with their values
        parts.append(
            f'<line class="trend-grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_fmt(y(v))}" y2="{_fmt(y(v))}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text class="trend-label" x="{_LEFT - 4}" y="{_fmt(y(v) + 4)}" text-anchor="end" '
            f'font-size="10">{_fmt(v)}</text>'
        )
    parts.extend(_lines(points, x, y))
    every = max(1, math.ceil(len(points) / 12))  # at most twelve labels under the axis
    for i, (label, value) in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="trend-label" x="{_fmt(x(i))}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'font-size="10">{escape(label[-2:])}</text>'
            )
        if value is not None:
            tip = escape(f"{label}: {value:.2f}{unit}")
            parts.append(
                f'<circle class="trend-point" cx="{_fmt(x(i))}" cy="{_fmt(y(value))}" r="3" '
                f'fill="#c0392b"><title>{tip}</title></circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _lines(
    points: list[tuple[str, float | None]], x: Callable[[int], float], y: Callable[[float], float]
) -> list[str]:
    """One polyline per run of months with values (a month without one breaks the line)."""
    runs: list[list[str]] = [[]]
    for i, (_, value) in enumerate(points):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{_fmt(x(i))},{_fmt(y(value))}")
    return [
        f'<polyline class="trend-line" points="{" ".join(run)}" fill="none" stroke="#c0392b" '
        f'stroke-width="2"/>'
        for run in runs
        if run
    ]
