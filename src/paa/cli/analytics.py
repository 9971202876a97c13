"""`paa analytics`: streaks, completion, habit strength, mood, engagement and insights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from paa.cli.output import emit_json

if TYPE_CHECKING:
    from datetime import date as Date

    from paa.core.analytics.load import ConversationTopics
    from paa.core.analytics.overall import Engagement
    from paa.core.analytics.periods import Period
    from paa.core.context import Context

PERIOD_HELP = "Window ending on the as-of day: Nd, Nw, Ny (365 days) or all"
AS_OF_HELP = "Look from this day instead of today: yesterday, -N, a weekday name or YYYY-MM-DD."
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/analytics.md).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help=AS_OF_HELP, show_default=False)]
HabitArg = Annotated[str, typer.Argument(help="Habit id, name, or a unique prefix of it.", show_default=False)]


def create() -> typer.Typer:
    app = typer.Typer(help="Streaks, completion, habit strength, mood, engagement and insights.", no_args_is_help=True)
    commands: list[tuple[str, Callable[..., None]]] = [
        ("summary", summary), ("habit", habit), ("mood", mood), ("engagement", engagement),
        ("insights", insights), ("heatmap", heatmap), ("export", export),
    ]  # fmt: skip
    for name, function in commands:
        app.command(name)(function)
    return app


def _window(ctx: Context, as_of: str | None, period: str) -> tuple[Date, Period]:
    from paa.core.analytics.periods import parse_period
    from paa.core.analytics.reports import as_of_day

    return as_of_day(ctx, as_of), parse_period(period)


def _read(as_of: str | None, period: str, compute: Callable[[Context, Date, Period], T]) -> T:
    """Open the database, resolve the as-of day and the period, and compute one report."""
    from paa.cli import runtime

    with runtime.current().context() as ctx:
        return compute(ctx, *_window(ctx, as_of, period))


def _show(as_json: bool, data: Callable[[], Any], render: Callable[[ModuleType], None]) -> None:
    """Print a report as JSON, or draw it with `render(paa.cli.analytics_views)`."""
    if as_json:
        emit_json(data())
        return
    from paa.cli import analytics_views

    render(analytics_views)


def summary(
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "30d",
    as_json: JsonOpt = False,
) -> None:
    """Show every habit's strength, streak and completion, with mood, engagement and insights."""
    from paa.core.analytics.reports import overview

    found = _read(as_of, period, overview)
    _show(as_json, found.to_json, lambda views: views.render_summary(found))


def habit(
    habit: HabitArg,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "90d",
    as_json: JsonOpt = False,
) -> None:
    """Show one habit in depth: strength and its history, streaks, completion, weekdays, amounts."""
    from paa.core.analytics.reports import habit_report

    found = _read(as_of, period, lambda ctx, day, window: habit_report(ctx, habit, day, window))
    _show(as_json, found.to_json, lambda views: views.render_habit(found))


def mood(
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "30d",
    as_json: JsonOpt = False,
) -> None:
    """Show mood, energy and sentiment with their 7-day trends, and how each habit relates to mood."""
    from paa.core.analytics.reports import overview

    found = _read(as_of, period, lambda ctx, day, window: overview(ctx, day, window, with_insights=False)).mood
    _show(as_json, found.to_json, lambda views: views.render_mood(found))


def engagement(
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "30d",
    as_json: JsonOpt = False,
) -> None:
    """Show how much you used paa: active days, check-in streak, habit logs and chat messages."""
    from paa.core.analytics.load import read_conversation_topics
    from paa.core.analytics.reports import engagement_json, engagement_report

    def compute(ctx: Context, day: Date, window: Period) -> tuple[Engagement, ConversationTopics]:
        usage = engagement_report(ctx, day, window)
        return usage, read_conversation_topics(ctx, usage.start, usage.end)

    found, topics = _read(as_of, period, compute)
    _show(as_json, lambda: engagement_json(found, topics), lambda views: views.render_engagement(found, topics))


def insights(
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "90d",
    as_json: JsonOpt = False,
) -> None:
    """List plain-language observations from your data, each with its numbers."""
    from paa.core.analytics.reports import overview

    found = _read(as_of, period, overview)
    _show(as_json, found.insights_json, lambda views: views.render_insights(found))


def heatmap(
    habit: Annotated[
        str | None, typer.Argument(help="A habit (id or name); all habits when left out.", show_default=False)
    ] = None,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "365d",
    as_json: JsonOpt = False,
) -> None:
    """Draw a calendar heatmap: each day's share of habits done, or one habit's days."""
    from paa.core.analytics.reports import habit_heatmap, overall_heatmap

    def compute(ctx: Context, day: Date, window: Period) -> tuple[Any, str]:
        found = habit_heatmap(ctx, habit, day, window) if habit else overall_heatmap(ctx, day, window)
        return found, ctx.prefs.week_start

    found, week_start = _read(as_of, period, compute)
    _show(as_json, found.to_json, lambda views: views.render_heatmap(found, week_start))


def export(
    format_: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
    table: Annotated[
        str, typer.Option("--table", "-t", help="For CSV: habit-days (one row per habit and day) or days.")
    ] = "habit-days",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.", show_default=False)
    ] = None,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", "-p", help=f"{PERIOD_HELP}.")] = "all",
) -> None:
    """Export day-by-day figures as CSV or JSON for spreadsheets and pandas.

    Examples:

      paa analytics export > habits.csv

      paa analytics export --table days --period 365d -o days.csv

      paa analytics export --format json -o analytics.json
    """
    from paa.errors import InvalidInput

    kind, which = format_.strip().lower(), table.strip().lower()
    if kind not in ("csv", "json"):
        raise InvalidInput(f"unknown format {format_!r}", hint="use --format csv or --format json")
    if which not in ("habit-days", "days"):
        raise InvalidInput(f"unknown table {table!r}", hint="use --table habit-days or --table days")
    from paa.core.analytics.reports import export as build_export

    found = _read(as_of, period, build_export)
    from paa.cli.analytics_views import write_export

    write_export(found, kind, which, output)
