"""A bar chart drawn on the server as SVG: no script, no style attributes (the CSP allows
neither), only presentation attributes. Numbers are formatted here, so a locale's decimal
separator never reaches an SVG coordinate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from undersigned.moderation.selectors import Day

WIDTH, HEIGHT = 640, 200
WIDEST_BAR = 40  # a few days' bars stay bars, not blocks
LEFT, BOTTOM, TOP = 40, 22, 8


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass
class Bar:
    day: date
    total: int
    counted: int
    x: str
    width: str
    y: str
    height: str
    counted_y: str
    counted_height: str


@dataclass
class Tick:
    x: str
    label: date


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    top: int
    axis_y: str
    left: int
    top_y: str
    right: int


def bar_chart(days: list[Day]) -> BarChart | None:
    """One bar per day: its full height is every sign-on made that day, the darker part the
    ones that count now."""
    if not days:
        return None
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - TOP - BOTTOM
    top = max(max(d.total for d in days), 1)
    step = min(plot_w / len(days), WIDEST_BAR)
    gap = 1.0 if step > 4 else 0.0
    bars = []
    for i, d in enumerate(days):
        h = plot_h * d.total / top
        ch = plot_h * d.counted / top
        bars.append(
            Bar(
                day=d.day,
                total=d.total,
                counted=d.counted,
                x=_n(LEFT + i * step + gap / 2),
                width=_n(max(step - gap, 0.5)),
                y=_n(TOP + plot_h - h),
                height=_n(h),
                counted_y=_n(TOP + plot_h - ch),
                counted_height=_n(ch),
            )
        )
    every = max(1, len(days) // 6)
    ticks = [
        Tick(x=_n(LEFT + (i + 0.5) * step), label=d.day)
        for i, d in enumerate(days)
        if i % every == 0 or i == len(days) - 1
    ]
    if len(ticks) > 1 and (len(days) - 1) % every and (len(days) - 1) % every < every / 2:
        ticks.pop(-2)  # the last regular tick would overlap the final one
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=ticks,
        top=top,
        axis_y=_n(TOP + plot_h),
        left=LEFT,
        top_y=_n(TOP + 10),
        right=WIDTH - 4,
    )
