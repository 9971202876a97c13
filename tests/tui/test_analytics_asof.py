"""The analytics screen's as-of day: stepping it with `[` `]`, typing it, refusing a bad one, and `t` for today."""

from __future__ import annotations

import functools
from datetime import date, timedelta

from paa.core.analytics.periods import parse_period
from paa.core.analytics.reports import overview
from paa.tui.widgets import charts
from tests.support.tui import drive, screen_text, shown, wait_for
from tests.support.tui_dataset import TODAY

TODAY_HEADING = "All habits, 30d (28 Oct 2026 – 26 Nov 2026)"


async def _analytics(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")
    await pilot.press("5")
    await wait_for(pilot, lambda: _on_today(pilot.app), what="today's analytics")


def _heading(day: date, days: int = 30) -> str:
    ago = (TODAY - day).days
    start = day - timedelta(days=days - 1)
    return f"All habits, 30d ({start:%d %b %Y} – {day:%d %b %Y}) as of {day:%d %b %Y}, {ago} days ago"


def _on_today(app) -> bool:
    """Today's heading, with no as-of note after it (the table's header follows directly)."""
    return shown(app, f"{TODAY_HEADING} Habit Strength")


def _row(app, name: str) -> str:
    return next(line for line in screen_text(app).splitlines() if line.strip().startswith(name))


def test_stepping_back_shows_what_core_computes_for_that_day(seeded, make_app, make_ctx) -> None:
    period = parse_period("30d")
    day = TODAY - timedelta(days=period.days or 0)  # `[` moves back by the period's length
    with make_ctx() as ctx:
        expected = overview(ctx, day, period)
    app = make_app()

    async def scenario(pilot) -> None:
        await _analytics(pilot)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: shown(app, _heading(day)), what="the figures as of a period ago")
        assert app.screen.page.overview.to_json() == expected.to_json()
        for stats in expected.habits:
            row = _row(app, stats.habit.name)
            assert f"{stats.strength * 100:>3.0f}%" in row and f"{stats.period_done}/{stats.period_due}" in row
        assert shown(app, f"Daily completion average {charts.percent(expected.completion.average)}")
        assert app.screen.query_one("#as-of").value == day.isoformat()
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: _on_today(app), what="today")
        assert app.screen.query_one("#as-of").value == ""

    drive(app, scenario, size=(120, 40))


def test_typing_a_day_changes_the_heading_for_all_habits_and_for_one(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _analytics(pilot)
        await pilot.press("d", *"2026-11-10", "enter")
        await wait_for(pilot, lambda: shown(app, _heading(date(2026, 11, 10))), what="10 November")
        await pilot.press("h")
        await wait_for(
            pilot, lambda: shown(app, "Drink water #1 · every day, 30d (12 Oct 2026 – 10 Nov 2026) as of 10 Nov 2026"),
            what="one habit as of 10 November",
        )  # fmt: skip
        await pilot.press("d", *"yesterday", "enter")  # core's day words work too
        await wait_for(pilot, lambda: shown(app, "as of 25 Nov 2026, 1 day ago"), what="yesterday")
        assert app.screen.query_one("#as-of").value == "2026-11-25"

    drive(app, scenario, size=(120, 40))


def test_a_future_or_malformed_day_is_refused_in_place_and_t_returns_to_today(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _analytics(pilot)
        await pilot.press("left_square_bracket")
        earlier = _heading(TODAY - timedelta(days=30))
        await wait_for(pilot, lambda: shown(app, earlier), what="a period ago")
        page = app.screen.page
        for typed, message in (("2026-12-01", "2026-12-01 is in the future"), ("someday", "cannot read 'someday'")):
            await pilot.press("d", "ctrl+u", *typed, "enter")
            await wait_for(pilot, functools.partial(shown, app, message), what=message)
            assert app.screen.page is page and shown(app, earlier)
            assert app.screen.query_one("#as-of").value == typed  # left there to be corrected
        await pilot.press("escape")  # leaves the field, showing the view's day again
        await wait_for(pilot, lambda: not shown(app, "cannot read"), what="the refusal gone")
        assert app.screen.query_one("#as-of").value == (TODAY - timedelta(days=30)).isoformat()
        await pilot.press("t")
        await wait_for(pilot, lambda: _on_today(app), what="today")
        assert app.screen.query_one("#as-of").value == ""
        await pilot.press("right_square_bracket")  # no later than today
        assert app.screen.asked is None and _on_today(app)

    drive(app, scenario)
