"""Small charts drawn with glyphs that carry the meaning on their own: sparklines, bars and a calendar heatmap.

They return Textual content markup, coloured with theme variables (`$success`, ...) so they read in light and
dark themes alike, and without colour at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from paa.core.habits.status import STATE_MARKS
from paa.tui.markup import literal

SPARKS = "▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉"
LEVEL_GLYPHS = ("·", "░", "▒", "▓", "█")
LEVEL_STYLES = ("$foreground-muted", "$success 40%", "$success 60%", "$success 80%", "$success")
WEEKDAY_LETTERS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

# Each state of a habit's day: a theme colour here, its glyph and word from core (the same as the CLI's), so
# the picture reads without colour.
STATE_COLOURS = {
    "done": "$success",
    "partial": "$warning",
    "over": "$error",
    "within": "$success",
    "skipped": "$primary",
    "due": "$foreground",
    "missed": "$error",
    "not_due": "$foreground-muted",
}
STATES: dict[str, tuple[str, str, str]] = {
    state: (glyph, STATE_COLOURS[state], word) for state, (glyph, word) in STATE_MARKS.items()
}


MARKED_STATES = frozenset({"over", "within"})


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def state_mark(state: str) -> str:
    glyph, style, _word = STATES.get(state, ("?", "$foreground", state))
    return f"[{style}]{glyph}[/]"


def today_text(state: str, measurable: bool, value: float | None, target: float | None, unit: str | None) -> str:
    """What a habit's day says in a cell: `3/8 glasses` for an amount, else the state's word."""
    if measurable and state != "skipped":
        text = f"{number(value or 0)}/{number(target)}"
        return f"{text} {literal(unit)}" if unit else text
    return STATES.get(state, ("", "", state))[2]


def spark(values: Sequence[float | None], low: float, high: float) -> str:
    """One glyph per value on a fixed scale from `low` to `high`; a missing value is a dim dot."""
    out = []
    span = (high - low) or 1.0
    for value in values:
        if value is None:
            out.append("[$foreground-muted]·[/]")
            continue
        level = round((min(high, max(low, value)) - low) / span * (len(SPARKS) - 1))
        out.append(SPARKS[level])
    return "".join(out)


def squeeze(values: Sequence[float | None], width: int) -> list[float | None]:
    """At most `width` values: consecutive groups averaged (missing values left out), the newest group last."""
    if len(values) <= width or width <= 0:
        return list(values)
    size = -(-len(values) // width)
    start = len(values) - size * (len(values) // size)
    groups = ([values[:start]] if start else []) + [values[i : i + size] for i in range(start, len(values), size)]
    out: list[float | None] = []
    for group in groups:
        known = [value for value in group if value is not None]
        out.append(sum(known) / len(known) if known else None)
    return out


def bar(fraction: float | None, width: int) -> str:
    """A horizontal bar `width` cells long, filled to `fraction` in eighths of a cell."""
    if fraction is None or width <= 0:
        return " " * max(width, 0)
    eighths = round(min(1.0, max(0.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[rest] if rest else "")
    return text + "[$foreground-muted]" + "·" * (width - len(text)) + "[/]"


def column(fraction: float | None) -> str:
    """One cell standing for a share: a block from ▁ to █, or a dim dot when nothing was expected."""
    if fraction is None:
        return "[$foreground-muted]·[/]"
    return SPARKS[round(min(1.0, max(0.0, fraction)) * (len(SPARKS) - 1))]


def level_cell(level: int | None, width: int) -> str:
    if level is None:
        return " " * width
    return f"[{LEVEL_STYLES[level]}]{LEVEL_GLYPHS[level] * width}[/]"


def heatmap(cells: Sequence[Any], last: date, width: int, week_start: str = "monday") -> list[str]:
    """A GitHub-style calendar: one row per weekday, one column per week, as many weeks as fit in `width`.

    `cells` have `day` and `level` (0-4, or None when nothing was expected); the last column holds `last`.
    """
    first_weekday = 0 if week_start == "monday" else 6
    order = [(first_weekday + i) % 7 for i in range(7)]
    label_width = 3
    cell_width = 2 if (width - label_width) // 2 >= 26 else 1
    end_column_start = last - timedelta(days=(last.weekday() - first_weekday) % 7)
    weeks = max(1, (width - label_width) // cell_width)
    if cells:  # no empty weeks before the first day with data
        first = min(cell.day for cell in cells)
        weeks = max(1, min(weeks, (end_column_start - first).days // 7 + 1))
    start = end_column_start - timedelta(days=7 * (weeks - 1))
    levels = {cell.day: cell.level for cell in cells}
    # An over-the-limit day and a day within it are not levels of amount: they show their own glyph.
    marked = {cell.day: cell.state for cell in cells if getattr(cell, "state", None) in MARKED_STATES}
    known = set(levels)
    rows = []
    for row, weekday in enumerate(order):
        parts = [f"[$foreground-muted]{WEEKDAY_LETTERS[weekday] if row % 2 == 0 else '  '}[/] "]
        for week in range(weeks):
            day = start + timedelta(days=7 * week + row)
            if day > last or day not in known:
                parts.append(" " * cell_width)
            elif day in marked:
                glyph, style, _word = STATES[marked[day]]
                parts.append(f"[{style}]{glyph * cell_width}[/]")
            else:
                parts.append(level_cell(levels[day], cell_width))
        rows.append("".join(parts))
    return rows


def heat_legend() -> str:
    return "less " + "".join(level_cell(level, 1) for level in range(5)) + " more"


def rich_color(variables: dict[str, str], name: str) -> str:
    """A theme variable (`success`, `foreground-muted`, ...) as an opaque hex colour for Rich text."""
    from textual.color import Color, ColorParseError

    try:
        colour = Color.parse(variables.get(name, "") or "#808080")
    except ColorParseError:
        colour = Color.parse("#808080")
    if colour.a < 1:
        background = Color.parse(variables.get("background", "") or "#000000")
        colour = background.blend(colour.with_alpha(1.0), colour.a)
    return colour.hex6


def state_styles(variables: dict[str, str]) -> dict[str, str]:
    """Rich colours for each day state, from the current theme (for DataTable cells)."""
    names = {style: style.lstrip("$") for _glyph, style, _word in STATES.values()}
    return {state: rich_color(variables, names[style]) for state, (_glyph, style, _word) in STATES.items()}
