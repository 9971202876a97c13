"""How habits look in a terminal: tables, the recent-days strip, and log confirmations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from paa.cli.output import console, emit_json, escape, say, table
from paa.core.habits.manage import schedule_of
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.habits.status import KEPT, OPEN, STATE_MARKS
from paa.core.words import amount, unit_for

if TYPE_CHECKING:
    from paa.core.habits.logs import LogResult
    from paa.core.habits.overview import HabitDetail, HabitStatus, LoggedDay
    from paa.db.models import Habit

__all__ = ["escape", "render_detail", "render_history", "render_list", "render_today", "report_log"]

# Each state's colour; its glyph and word come from core, the same as the TUI's, so the picture reads
# the same without colour.
STATE_COLOURS = {
    "done": "green",
    "partial": "yellow",
    "over": "red",
    "within": "green",
    "skipped": "blue",
    "due": "bold",
    "missed": "red",
    "not_due": "dim",
}
STATE_STYLE = {state: (glyph, STATE_COLOURS[state], word) for state, (glyph, word) in STATE_MARKS.items()}


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def today_text(status: HabitStatus) -> str:
    habit = status.habit
    glyph, style, word = STATE_STYLE[status.state]
    if habit.kind == "measurable" and status.state != "skipped":
        value = status.entry.value if status.entry and status.entry.value is not None else 0
        word = f"{_number(value)}/{_number(habit.target)} {escape(unit_for(habit.target, habit.unit or ''))}".rstrip()
        if status.state in KEPT:
            word += " ✓"
    return f"[{style}]{glyph} {word}[/]"


def streak_text(status: HabitStatus) -> str:
    current = status.current_streak
    return f"{current.length}d" if current else "–"


def render_list(found: list[HabitStatus]) -> None:
    if not found:
        say('No habits yet. Add one: [bold]paa habit add "Drink water" --unit glasses --target 8[/]')
        return
    rows = []
    for status in found:
        habit = status.habit
        name = escape(habit.name) + (" [dim](archived)[/]" if habit.archived else "")
        rows.append(
            [
                str(habit.id), name, today_text(status), streak_text(status),
                schedule_of(habit).describe(), escape(habit.category or ""),
            ]
        )  # fmt: skip
    table(["ID", "Habit", "Today", "Streak", "Schedule", "Category"], rows, right=frozenset({"ID", "Streak"}))


def render_today(day: date, found: list[HabitStatus]) -> None:
    if not found:
        say("No habits yet. Add one: [bold]paa habit add Run --days mon,wed,fri[/]")
        return
    groups = {
        "Left to do": [s for s in found if s.state in OPEN],
        "Done": [s for s in found if s.state == "done"],
        "Within the limit": [s for s in found if s.state == "within"],
        "Skipped": [s for s in found if s.state == "skipped"],
        "Over the limit": [s for s in found if s.state == "over"],
        "Not due today": [s for s in found if s.state == "not_due"],
    }
    due_total = len(found) - len(groups["Not due today"]) - len(groups["Skipped"])
    kept = sum(s.state in KEPT for s in found)
    say(f"[bold]{day.strftime('%A %d %B %Y')}[/]: {kept} of {due_total} done")
    for title, members in groups.items():
        if not members:
            continue
        say(f"\n[bold]{title}[/]")
        for status in members:
            streak = status.current_streak
            tail = f"  [dim]streak {streak.length}d[/]" if streak else ""
            say(f"  {today_text(status)}  {escape(status.habit.name)} [dim]#{status.habit.id}[/]{tail}")


def render_detail(found: HabitDetail, week_start: str) -> None:
    out = console()
    status, habit = found.status, found.status.habit
    data = status.to_json()
    out.print(f"[bold]{escape(habit.name)}[/] [dim]#{habit.id}[/]" + (" [dim](archived)[/]" if habit.archived else ""))
    if habit.description:
        out.print(escape(habit.description))
    facts = [("Schedule", data["schedule"]["text"])]
    if habit.kind == "measurable":
        bound = "at most" if habit.target_type == "at_most" else "at least"
        target = escape(amount(habit.target, habit.unit)) if habit.target is not None else ""
        facts.append(("Target", f"{bound} {target}".rstrip()))
    if data["reminders"]:
        days = ", ".join(d.capitalize() for d in data["reminder_days"]) or "on due days"
        facts.append(("Reminders", f"{', '.join(data['reminders'])} ({days})"))
    if habit.category:
        facts.append(("Category", escape(habit.category)))
    facts.append(("Today", today_text(status)))
    streaks = status.streaks
    facts.append(("Streak", f"{streak_text(status)} (best {streaks.best.length}d)" if streaks.best else "–"))
    rates = "  ".join(f"{k} {_percent(v)}" for k, v in found.rates.items())
    facts.append(("Completion", rates))
    total = f"{found.total_done} done, {found.total_skipped} skipped"
    if found.total_value is not None:
        total += f", {escape(amount(found.total_value, habit.unit))} in all"
    facts.append(("Totals", total))
    facts.append(("Last done", found.last_done.isoformat() if found.last_done else "never"))
    width = max(len(k) for k, _ in facts)
    for key, value in facts:
        out.print(f"[dim]{key.ljust(width)}[/]  {value}")
    out.print()
    _render_strip(found, week_start)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _render_strip(found: HabitDetail, week_start: str) -> None:
    """Recent days as rows of weeks, one column per weekday."""
    out = console()
    first = 0 if week_start == "monday" else 6
    order = [(first + i) % 7 for i in range(7)]
    out.print("[dim]week of      " + " ".join(SHORT_DAYS[d][:2].capitalize() for d in order) + "[/]")
    rows: list[list[str]] = []
    labels: list[str] = []
    for day, state in found.recent:
        column = order.index(day.weekday())
        if column == 0 or not rows:
            rows.append(["  "] * 7)
            labels.append((day - timedelta(days=column)).isoformat())
        glyph, style, _ = STATE_STYLE[state]
        rows[-1][column] = f"[{style}]{glyph}[/] " if glyph != " " else "  "
    for label, cells in zip(labels, rows, strict=True):
        out.print(f"[dim]{label}[/]   " + " ".join(cells))
    legend = "  ".join(f"[{style}]{glyph}[/] {word}" for glyph, style, word in STATE_STYLE.values() if glyph != " ")
    out.print(f"\n[dim]{legend}[/]")


def render_history(habit: Habit, days: list[LoggedDay]) -> None:
    if not days:
        say(f"Nothing logged for {escape(habit.name)} in that range.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold", title=escape(habit.name), title_justify="left")
    for column in ("Day", "", "State", "Value", "Note"):
        table.add_column(column)
    for logged in days:
        row = logged.log
        glyph, style, word = STATE_STYLE[logged.state]
        value = escape(amount(row.value, habit.unit)) if row.value is not None else ""
        state = f"[{style}]{glyph} {word}[/]"
        table.add_row(row.day.isoformat(), row.day.strftime("%a"), state, value, escape(row.note or ""))
    console().print(table)


def report_log(habit: Habit, result: LogResult, as_json: bool) -> None:
    from paa.core.habits.overview import log_result_json

    row = result.log
    if as_json:
        emit_json(log_result_json(habit, result))
        return
    name, day = escape(habit.name), _day_word(row.day)
    if result.outcome == "unchanged":
        state = "skipped" if row.status == "skipped" else "done"
        say(f"{name} was already {state} {day}; nothing changed.")
    elif row.status == "skipped":
        say(f"Skipped {name} {day}. Your streak is safe.")
    elif habit.kind == "measurable":
        bound = "at most " if habit.target_type == "at_most" else ""
        target = escape(amount(habit.target, habit.unit)) if habit.target is not None else ""
        say(f"Logged {name} {day}: {_number(row.value)} of {bound}{target}.")
    else:
        say(f"Logged {name} {day}." + (" (It was skipped before.)" if result.previous_status == "skipped" else ""))
    notice = result.note_notice()
    if notice:
        say(notice)


def _day_word(day: date) -> str:
    return f"for {day.isoformat()} ({day.strftime('%a')})"
