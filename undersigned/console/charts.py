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
    anchor: str = "middle"  # text-anchor: the ends of the axis keep their labels inside


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


# Public pictures: the same rules (no script, no style attributes, numbers formatted here).
# ---------------------------------------------------------------------------------------------
@dataclass
class Point:
    day: date
    added: int
    total: int
    x: str
    y: str


@dataclass
class LineChart:
    width: int
    height: int
    points: list[Point]
    path: str
    area: str
    ticks: list[Tick]
    top: int
    left: int
    right: int
    axis_y: str
    top_y: str


def cumulative_chart(per_day: list[tuple[date, int]]) -> LineChart | None:
    """A running total over time, one point per day with sign-ons (their dates as given,
    oldest first); the x axis is real time, so a quiet fortnight is a flat stretch."""
    if not per_day:
        return None
    plot_w, plot_h = WIDTH - LEFT - 12, HEIGHT - TOP - BOTTOM
    first, last = per_day[0][0], per_day[-1][0]
    span = max((last - first).days, 1)
    final = sum(n for _d, n in per_day)
    top = max(final, 1)
    running = 0
    points = []
    for day, added in per_day:
        running += added
        x = LEFT + 4 + plot_w * ((day - first).days / span if last != first else 1.0)
        y = TOP + plot_h - plot_h * running / top
        points.append(Point(day=day, added=added, total=running, x=_n(x), y=_n(y)))
    base = _n(TOP + plot_h)
    # A step line: the total holds until the next day with sign-ons.
    path = [f"M{_n(LEFT + 4)} {base}"]
    previous_y = base
    for p in points:
        path.append(f"L{p.x} {previous_y}L{p.x} {p.y}")
        previous_y = p.y
    line = "".join(path)
    area = f"{line}L{points[-1].x} {base}Z"
    every = max(1, len(points) // 5)
    ticks = [
        Tick(x=p.x, label=p.day)
        for i, p in enumerate(points)
        if i % every == 0 or i == len(points) - 1
    ]
    # Labels closer than ~90 px would overlap: keep the later one.
    kept: list[Tick] = []
    for tick in ticks:
        while kept and float(tick.x) - float(kept[-1].x) < 90:
            kept.pop()
        kept.append(tick)
    kept[0].anchor = "start"
    if len(kept) > 1 or float(kept[-1].x) > WIDTH - 60:
        kept[-1].anchor = "end"
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        path=line,
        area=area,
        ticks=kept,
        top=top,
        left=LEFT,
        right=WIDTH - 4,
        axis_y=base,
        top_y=_n(TOP + 10),
    )


# The tile grid map: every state (and DC) one square, placed roughly where it lies.
# (column, row) in the widely used 12 x 8 layout (Alaska and Maine on top, Hawaii bottom left).
STATE_TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (11, 0),
    "VT": (10, 1), "NH": (11, 1),
    "WA": (1, 2), "ID": (2, 2), "MT": (3, 2), "ND": (4, 2), "MN": (5, 2), "IL": (6, 2),
    "WI": (7, 2), "MI": (8, 2), "NY": (9, 2), "RI": (10, 2), "MA": (11, 2),
    "OR": (1, 3), "NV": (2, 3), "WY": (3, 3), "SD": (4, 3), "IA": (5, 3), "IN": (6, 3),
    "OH": (7, 3), "PA": (8, 3), "NJ": (9, 3), "CT": (10, 3),
    "CA": (1, 4), "UT": (2, 4), "CO": (3, 4), "NE": (4, 4), "MO": (5, 4), "KY": (6, 4),
    "WV": (7, 4), "VA": (8, 4), "MD": (9, 4), "DE": (10, 4),
    "AZ": (2, 5), "NM": (3, 5), "KS": (4, 5), "AR": (5, 5), "TN": (6, 5), "NC": (7, 5),
    "SC": (8, 5), "DC": (9, 5),
    "OK": (4, 6), "LA": (5, 6), "MS": (6, 6), "AL": (7, 6), "GA": (8, 6),
    "HI": (0, 7), "TX": (4, 7), "FL": (9, 7),
}  # fmt: skip
TILE, TILE_GAP = 48, 4
# Five shades, lightest for none; text is dark on the light ones, white on the dark ones.
SHADES = ("#f3f4f6", "#dbeafe", "#93c5fd", "#2563eb", "#1e3a8a")


@dataclass
class StateTile:
    code: str
    count: int
    shade: int
    x: str
    y: str
    label_x: str
    code_y: str
    count_y: str
    fill: str
    ink: str


@dataclass
class TileMap:
    width: int
    height: int
    size: int
    tiles: list[StateTile]
    top: int


def shade_of(count: int, top: int) -> int:
    """0 for none, then 1-4 by the share of the busiest state (over a quarter, half, ...)."""
    if count <= 0 or top <= 0:
        return 0
    return min(4, 1 + int(4 * count / (top + 1)))


def tile_map(counts: dict[str, int]) -> TileMap:
    """Counts by postal code on the tile grid; states with none are drawn, pale."""
    top = max(counts.values(), default=0)
    tiles = []
    for code, (col, row) in STATE_TILES.items():
        n = counts.get(code, 0)
        shade = shade_of(n, top)
        x, y = col * (TILE + TILE_GAP), row * (TILE + TILE_GAP)
        tiles.append(
            StateTile(
                code=code,
                count=n,
                shade=shade,
                x=str(x),
                y=str(y),
                label_x=str(x + TILE // 2),
                code_y=str(y + 20),
                count_y=str(y + 38),
                fill=SHADES[shade],
                ink="#ffffff" if shade >= 3 else "#1b1f24",
            )
        )
    return TileMap(
        width=12 * (TILE + TILE_GAP) - TILE_GAP,
        height=8 * (TILE + TILE_GAP) - TILE_GAP,
        size=TILE,
        tiles=tiles,
        top=top,
    )


# The reciprocity ledger as a timeline: one lane per party, one mark per step.
# Effect is told by shape as well as colour: up for a step forward, down for a step back.
EFFECT_MARKS = {
    "forward": ("#15803d", "M0 -7L7 6L-7 6Z"),  # triangle up
    "back": ("#b42318", "M0 7L7 -6L-7 -6Z"),  # triangle down
    "context": ("#57606a", "M-5 -5H5V5H-5Z"),  # square
}


@dataclass
class Mark:
    key: str
    effect: str
    x: str
    y: str
    fill: str
    shape: str
    label: str
    day: date


@dataclass
class Lane:
    label: str
    y: str
    label_y: str


@dataclass
class Timeline:
    width: int
    height: int
    lanes: list[Lane]
    marks: list[Mark]
    years: list[tuple[str, str, str]]  # (x, year, text-anchor)
    left: int
    right: int
    axis_y: str


TIMELINE_LEFT, LANE_H = 150, 44


def timeline(
    lanes: list[str], steps: list[tuple[str, date, list[int], str, str]]
) -> Timeline | None:
    """Steps as (key, date, lane indexes, effect, label), oldest first, on a time axis with
    a tick per year."""
    if not steps:
        return None
    width = WIDTH + 140
    plot_w = width - TIMELINE_LEFT - 16
    first = date(steps[0][1].year, 1, 1)
    last = date(steps[-1][1].year + 1, 1, 1)
    span = (last - first).days

    def x_of(day: date) -> float:
        return TIMELINE_LEFT + 8 + plot_w * (day - first).days / span

    marks = []
    for key, day, indexes, effect, label in steps:
        fill, shape = EFFECT_MARKS[effect]
        for i in indexes:
            marks.append(
                Mark(
                    key=key,
                    effect=effect,
                    x=_n(x_of(day)),
                    y=str(TOP + 10 + i * LANE_H + LANE_H // 2),
                    fill=fill,
                    shape=shape,
                    label=label,
                    day=day,
                )
            )
    every = max(1, (last.year - first.year + 1) // 10)
    years = [
        (_n(x_of(date(year, 1, 1))), str(year), "middle")
        for year in range(first.year, last.year + 1)
        if (year - first.year) % every == 0
    ]
    if years and float(years[-1][0]) > width - 30:
        years[-1] = (years[-1][0], years[-1][1], "end")
    axis = TOP + 10 + len(lanes) * LANE_H
    return Timeline(
        width=width,
        height=axis + 24,
        lanes=[
            Lane(
                label=label,
                y=str(TOP + 10 + i * LANE_H + LANE_H // 2),
                label_y=str(TOP + 10 + i * LANE_H + LANE_H // 2 + 4),
            )
            for i, label in enumerate(lanes)
        ],
        marks=marks,
        years=years,
        left=TIMELINE_LEFT,
        right=width - 8,
        axis_y=str(axis),
    )
