"""How analytics looks in a terminal: sparklines, bars and a calendar heatmap that read without colour."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from paa.cli.output import console, escape, say
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.habits.status import STATE_MARKS
from paa.core.words import plural, unit_for

if TYPE_CHECKING:
    from paa.core.analytics.habit_stats import HabitStats
    from paa.core.analytics.load import ConversationTopics
    from paa.core.analytics.overall import Engagement, MoodReport
    from paa.core.analytics.reports import Export, Heatmap, Overview

SPARKS = "▁▂▃▄▅▆▇█"
EIGHTHS = " ▏▎▍▌▋▊▉"
# Heatmap levels 0..4: a glyph each, so the calendar reads the same without colour.
LEVEL_GLYPHS = ("·", "░", "▒", "▓", "█")
LEVEL_STYLES = ("dim", "#0e4429", "#006d32", "#26a641", "#39d353")
# Days of one habit that are not a level: their glyph from core's table (the same as `habit show` and the TUI).
STATE_GLYPHS = {
    state: (STATE_MARKS[state][0], style)
    for state, style in (("skipped", "blue"), ("due", "bold"), ("over", "red"), ("within", "green"))
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def number(value: float | None, places: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def sparkline(
    values: Sequence[float | None], low: float | None = None, high: float | None = None, width: int = 0
) -> str:
    """One block per value, height by value between low and high (gaps stay blank).

    With more values than `width`, neighbours are averaged so the line fits.
    """
    points = list(values)
    if width and len(points) > width:
        points = _squeeze(points, width)
    present = [v for v in points if v is not None]
    if not present:
        return " " * len(points)
    lo = min(present) if low is None else low
    hi = max(present) if high is None else high
    span = hi - lo
    out = []
    for value in points:
        if value is None:
            out.append(" ")
            continue
        share = 0.5 if span <= 0 else (min(max(value, lo), hi) - lo) / span
        out.append(SPARKS[min(len(SPARKS) - 1, int(share * (len(SPARKS) - 1) + 0.5))])
    return "".join(out)


def _squeeze(values: list[float | None], width: int) -> list[float | None]:
    result: list[float | None] = []
    for i in range(width):
        chunk = [v for v in values[i * len(values) // width : (i + 1) * len(values) // width] if v is not None]
        result.append(sum(chunk) / len(chunk) if chunk else None)
    return result


def bar(share: float | None, width: int = 20) -> str:
    """A horizontal bar of `width` cells filled to `share` (0..1), in eighths of a cell."""
    if share is None:
        return " " * width
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[rest] if rest else "")
    return text.ljust(width)


def _change(value: float) -> str:
    points = value * 100
    return f"{'+' if points >= 0 else '−'}{abs(points):.0f} pts"


def _period_words(view_period: dict[str, object]) -> str:
    label = view_period["label"]
    span = f"{view_period['start']} – {view_period['end']}"
    return f"all time ({span})" if label == "all" else f"last {plural(int(str(view_period['days'])), 'day')} ({span})"


def _facts(rows: list[tuple[str, str]]) -> None:
    out = console()
    width = max((len(key) for key, _ in rows), default=0)
    for key, value in rows:
        out.print(f"[dim]{key.ljust(width)}[/]  {value}")


def _line_width() -> int:
    return max(20, min(console().width - 24, 90))


def render_summary(view: Overview) -> None:
    out = console()
    out.print(f"[bold]Analytics[/] as of {view.as_of.strftime('%a %d %b %Y')} · {_period_words(view.period_json())}")
    if not view.habits:
        hint = "Add one: [bold]paa habit add Run --days mon,wed,fri[/]"
        out.print(f"\nNo habits with days up to {view.as_of.isoformat()}. {hint}")
    else:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("Habit", "Strength", "", "Change", "Streak", "Best", "7d", "30d", "All"):
            table.add_column(column, justify="left" if column in ("Habit", "") else "right")
        for stats in view.habits:
            current, best = stats.streaks.current, stats.streaks.best
            table.add_row(
                escape(stats.habit.name),
                percent(stats.strength),
                f"[green]{bar(stats.strength, 10)}[/]",
                _change(stats.strength_change),
                f"{current.length}d" if current else "–",
                f"{best.length}d" if best else "–",
                percent(stats.completion["7d"]),
                percent(stats.completion["30d"]),
                percent(stats.completion["all"]),
            )
        out.print()
        out.print(table)
    out.print()
    series = view.completion
    today = series.today
    today_text = f"today {today.done} of {today.due} so far" if today and today.due else "nothing due today"
    rows = [
        ("Completion", f"{sparkline([d.rate for d in series.days], 0.0, 1.0, _line_width())}"),
        ("", f"average {percent(series.average)} · {today_text}"),
    ]
    mood = view.mood
    if mood.mood_average is not None:
        rows.append(("Mood", sparkline([d.mood_trend for d in mood.days], 1.0, 5.0, _line_width())))
        rows.append(("", _mood_line(mood)))
    else:
        rows.append(("Mood", "no check-ins with a mood in this period"))
    rows.append(("Engagement", _engagement_line(view.engagement)))
    _facts(rows)
    if view.insights:
        out.print("\n[bold]Insights[/]")
        for item in view.insights[:5]:
            out.print(f"  • {escape(item.text)}")


def _mood_line(mood: MoodReport) -> str:
    n = sum(d.mood is not None for d in mood.days)
    text = f"average {number(mood.mood_average, 1)} (n={n}) · last 7 days {number(mood.last_week_mood, 1)}"
    if mood.previous_mood is not None:
        text += f" · previous period {number(mood.previous_mood, 1)}"
    return text


def _engagement_line(usage: Engagement) -> str:
    per_day = usage.messages_per_day
    return (
        f"active {usage.active_days}/{plural(len(usage.days), 'day')} · check-in streak {usage.checkin_streak}d "
        f"(best {usage.checkin_best}d) · {number(per_day, 1)} chat messages a day"
    )


def render_habit(stats: HabitStats) -> None:
    out = console()
    ref = stats.habit
    head = f"[bold]{escape(ref.name)}[/] [dim]#{ref.id}[/] · {ref.schedule.describe()}"
    if ref.kind == "measurable":
        bound = "at most" if ref.target_type == "at_most" else "at least"
        head += f" · {bound} {number(ref.target, 2)} {escape(unit_for(ref.target, ref.unit or ''))}".rstrip()
    out.print(head)
    if stats.first_day > stats.as_of:
        out.print(f"It did not exist yet on {stats.as_of.isoformat()}: it counts from {stats.first_day.isoformat()}.")
        return
    period = stats.period.to_json(stats.as_of, stats.first_day)
    out.print(f"[dim]as of {stats.as_of.isoformat()} · {_period_words(period)}[/]\n")
    current, best = stats.streaks.current, stats.streaks.best
    streak = f"{plural(current.length, 'day')} (since {current.start.isoformat()})" if current else "none running"
    if best:
        streak += f" · best {plural(best.length, 'day')} ({best.start.isoformat()} – {best.end.isoformat()})"
    rates = "  ".join(f"{key} {percent(value)}" for key, value in stats.completion.items() if key != "period")
    change = _change(stats.strength_change)
    rows = [
        ("Strength", f"[green]{bar(stats.strength, 20)}[/] {percent(stats.strength)} ({change} over the period)"),
        ("Streak", streak),
        ("Completion", rates),
        ("Totals", f"{stats.done} done, {stats.skipped} skipped since {stats.first_day.isoformat()}"),
        ("This period", f"{stats.period_done} done of {stats.period_due} due, {stats.period_skipped} skipped"),
    ]
    measure = stats.measure
    if measure is not None:
        unit = f" {escape(unit_for(measure.total, ref.unit))}" if ref.unit else ""
        amounts = (
            f"total {number(measure.total)}{unit} · {number(measure.average_logged)} per logged day · "
            f"{number(measure.average_daily)} per day"
        )
        target = (
            f"{measure.on_target} of {plural(measure.due_days, 'day')} ({percent(measure.on_target_rate)}) · "
            f"highest {number(measure.highest)} · lowest {number(measure.lowest)}"
        )
        rows += [("Amounts", amounts), ("On target", target)]
    _facts(rows)
    if stats.days:
        strengths = [p.strength for p in stats.days]
        out.print(f"\n[bold]Strength[/] [dim]({plural(len(strengths), 'day')}, 0–100%)[/]")
        out.print(f"  [green]{sparkline(strengths, 0.0, 1.0, _line_width() + 10)}[/]")
        out.print(f"  [dim]{percent(strengths[0])} on {stats.days[0].day.isoformat()} → {percent(strengths[-1])}[/]")
    out.print("\n[bold]Day of week[/]")
    for stat in stats.weekdays:
        name = SHORT_DAYS[stat.weekday].capitalize()
        if stat.due == 0:
            out.print(f"  {name}  [dim]{'·' * 20}  not due[/]")
        else:
            out.print(f"  {name}  [green]{bar(stat.rate, 20)}[/]  {percent(stat.rate):>4}  {stat.done}/{stat.due}")


def render_mood(mood: MoodReport) -> None:
    out = console()
    out.print(f"[bold]Mood[/] {mood.start.isoformat()} – {mood.end.isoformat()} · {mood.checkins} check-ins\n")
    if mood.mood_average is None and mood.sentiment_average is None:
        out.print("No check-ins with a mood in this period. Check in with [bold]paa checkin[/].")
        return
    width = _line_width()
    rows = [
        ("Mood", f"[cyan]{sparkline([d.mood for d in mood.days], 1.0, 5.0, width)}[/]  daily, 1–5"),
        ("7-day trend", f"[cyan]{sparkline([d.mood_trend for d in mood.days], 1.0, 5.0, width)}[/]"),
        ("", _mood_line(mood)),
        ("Energy", f"average {number(mood.energy_average)}"),
        (
            "Sentiment",
            f"[cyan]{sparkline([d.sentiment_trend for d in mood.days], -1.0, 1.0, width)}[/]  "
            f"7-day trend, −1…+1 · average {number(mood.sentiment_average, 2)}",
        ),
    ]
    _facts(rows)
    if not mood.correlations:
        return
    from rich.table import Table

    out.print("\n[bold]Mood and habits[/] [dim](mood on days done vs all other days; skipped days left out)[/]")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Habit", "Done", "Other", "Diff", "r", "n", "Note"):
        table.add_column(column, justify="left" if column in ("Habit", "Note") else "right")
    for item in sorted(mood.correlations, key=lambda c: -abs(c.difference or 0.0)):
        diff = item.difference
        table.add_row(
            escape(item.habit.name),
            number(item.mood_done, 1),
            number(item.mood_other, 1),
            "–" if diff is None else f"{diff:+.1f}",
            "–" if item.r is None else f"{item.r:+.2f}",
            str(item.n),
            f"[yellow]{escape(item.caution)}[/]" if item.caution else "",
        )
    out.print(table)


def render_engagement(usage: Engagement, topics: ConversationTopics | None = None) -> None:
    out = console()
    length = len(usage.days)
    out.print(f"[bold]Engagement[/] {usage.start.isoformat()} – {usage.end.isoformat()} ({plural(length, 'day')})\n")
    width = _line_width()
    checkins = "".join("█" if d.checkin else "·" for d in usage.days)
    if len(checkins) > width:
        checkins = checkins[-width:]
    rows = [
        ("Active days", f"{usage.active_days} of {length} ({percent(usage.active_days / length if length else None)})"),
        ("Check-ins", f"{usage.checkins} · streak {usage.checkin_streak}d · best {usage.checkin_best}d"),
        ("", checkins),
        ("Habit logs", f"{usage.logs} · {sparkline([float(d.logs) for d in usage.days], 0.0, None, width)}"),
        (
            "Chat",
            f"{plural(usage.user_messages, 'message')} from you ({usage.all_messages} in all) on "
            f"{plural(usage.chat_days, 'day')} · "
            f"{number(usage.messages_per_day, 1)} a day",
        ),
        ("", sparkline([float(d.messages) for d in usage.days], 0.0, None, width)),
    ]
    if topics is not None and topics.conversations:  # what the conversations were about (their insights)
        rows.append(("Topics", escape(", ".join(f"{name} ({count})" for name, count in topics.topics) or "none")))
        rows.append(("Intents", escape(", ".join(f"{name} ({count})" for name, count in topics.intents) or "none")))
    _facts(rows)


def render_insights(view: Overview) -> None:
    out = console()
    out.print(f"[bold]Insights[/] as of {view.as_of.isoformat()} · {_period_words(view.period_json())}\n")
    if not view.insights:
        out.print("Nothing stands out yet: keep logging and checking in, and look again in a week or two.")
        return
    for item in view.insights:
        out.print(f"  • {escape(item.text)}")


def render_heatmap(view: Heatmap, week_start: str) -> None:
    out = console()
    title = escape(view.habit.name) if view.habit else "All habits"
    out.print(f"[bold]{title}[/] {view.start.isoformat()} – {view.as_of.isoformat()}\n")
    if not view.cells:
        out.print("Nothing to show yet for this period.")
        return
    first_weekday = 0 if week_start == "monday" else 6
    order = [(first_weekday + i) % 7 for i in range(7)]
    column_start = view.start - timedelta(days=(view.start.weekday() - first_weekday) % 7)
    weeks = (view.as_of - column_start).days // 7 + 1
    room = max(10, out.width - 5)
    cell = 2 if weeks * 2 <= room else 1
    shown = min(weeks, room // cell)
    skip_weeks = weeks - shown
    grid = [[" " * cell for _ in range(shown)] for _ in range(7)]
    for item in view.cells:
        column = (item.day - column_start).days // 7 - skip_weeks
        if column < 0:
            continue
        row = order.index(item.day.weekday())
        grid[row][column] = _heat_glyph(item.level, item.state, cell)
    months = [" "] * (shown * cell)
    for column in range(shown):
        monday = column_start + timedelta(days=7 * (column + skip_weeks))
        first_of_month = next(
            (monday + timedelta(days=i) for i in range(7) if (monday + timedelta(days=i)).day == 1), None
        )
        if first_of_month is not None or column == 0:
            label = MONTHS[(first_of_month or monday).month - 1]
            position = column * cell
            if all(ch == " " for ch in months[max(0, position - 1) : position + len(label)]):
                months[position : position + len(label)] = list(label)
    out.print("    " + "".join(months).rstrip())
    for row, weekday in enumerate(order):
        label = SHORT_DAYS[weekday][:2].capitalize() if row % 2 == 0 else "  "
        cells = "".join(grid[row]).rstrip()
        out.print(f"[dim]{label}[/]  {cells}" if cells else f"[dim]{label.strip()}[/]")
    legend = " ".join(f"[{style}]{glyph}[/]" for glyph, style in zip(LEVEL_GLYPHS, LEVEL_STYLES, strict=True))
    extra = "  (share of habits done)"
    if view.habit:
        extra = "  " + "  ".join(
            f"[{style}]{glyph}[/] {'due today' if state == 'due' else STATE_MARKS[state][1]}"
            for state, (glyph, style) in STATE_GLYPHS.items()
            if state in ("skipped", "due") or any(c.state == state for c in view.cells)
        )
    out.print(f"\n[dim]less[/] {legend} [dim]more[/]{extra}")
    if skip_weeks:
        out.print(f"[dim]{skip_weeks} earlier weeks do not fit this terminal; widen it or use --period.[/]")
    _heat_facts(view)


def _heat_glyph(level: int | None, state: str | None, cell: int) -> str:
    if state in STATE_GLYPHS:
        glyph, style = STATE_GLYPHS[state]
        return f"[{style}]{glyph * cell}[/]"
    if level is None:
        return " " * cell
    glyph = LEVEL_GLYPHS[level]
    return f"[{LEVEL_STYLES[level]}]{glyph * cell}[/]"


def _heat_facts(view: Heatmap) -> None:
    cells = view.cells
    if view.habit:
        counts = {state: sum(c.state == state for c in cells) for state in STATE_MARKS}
        text = f"done {counts['done']} · missed {counts['missed']} · skipped {counts['skipped']}"
        for state in ("partial", "over", "within"):
            if counts[state]:
                text += f" · {STATE_MARKS[state][1]} {counts[state]}"
        console().print(f"[dim]{text}[/]")
        return
    rated = [c for c in cells if c.level is not None]
    full = sum(c.level == 4 for c in rated)
    console().print(f"[dim]{full} of {plural(len(rated), 'day')} with most or all habits done (level █)[/]")


def write_export(view: Export, kind: str, table: str, output: Path | None) -> None:
    if kind == "json":
        text = json.dumps(view.to_json(), indent=2, ensure_ascii=False) + "\n"
    else:
        from paa.core.analytics.reports import EXPORT_DAY_COLUMNS, EXPORT_HABIT_COLUMNS

        rows = view.habit_rows() if table == "habit-days" else view.day_rows()
        columns = EXPORT_HABIT_COLUMNS if table == "habit-days" else EXPORT_DAY_COLUMNS
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row[key] is None else row[key] for key in columns})
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
        return
    try:
        if output.exists() and not output.is_file():
            output.write_text(text, encoding="utf-8")  # a pipe or a device (-o /dev/stdout): written in place
        else:
            from paa.files import write_private_text

            write_private_text(output, text, create_folders=False)  # 0600: the figures are personal
    except OSError as exc:
        from paa.errors import StorageError

        raise StorageError(f"cannot write {output}: {exc.strerror}") from None
    count = len(view.habit_rows() if table == "habit-days" and kind == "csv" else view.day_rows())
    say(f"Wrote {escape(str(output))} ({kind.upper()}, {count} rows).")
