"""The dashboard, driven as a person would: find a habit, log it, see the streak change; amounts, skip, undo."""

from __future__ import annotations

from sqlmodel import select

from paa.db.models import Habit, HabitLog
from tests.support.tui import dashboard_row, drive, screen_text, shown, wait_for
from tests.support.tui_dataset import TODAY


async def _ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")


async def _select(pilot, name: str) -> None:
    """Move the cursor down to a habit with the arrow keys."""
    from textual.widgets import DataTable

    table = pilot.app.screen.query_one("#today-table", DataTable)
    for _ in range(table.row_count):
        if table.get_row_at(table.cursor_row)[1].plain == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name} is not on the dashboard")


def _logs(make_ctx, name: str) -> list[HabitLog]:
    with make_ctx() as ctx:
        habit = ctx.session.exec(select(Habit).where(Habit.name == name)).one()
        return list(ctx.session.exec(select(HabitLog).where(HabitLog.habit_id == habit.id, HabitLog.day == TODAY)))


def test_the_dashboard_shows_today_with_streaks_strength_and_panels(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _ready(pilot)
        text = screen_text(app)
        assert "Today, Thursday 26 November: 1 of 4 done" in text
        assert "Not yet today (due at 21:00)." in text
        assert "18:00  Call mom (reminder)" in text
        water = dashboard_row(app, "Drink water")
        assert water[0] == "◐" and water[2] == "3/8 glasses"
        assert water[4].endswith("%")
        assert dashboard_row(app, "Coffee")[2] == "1/2 cups" and dashboard_row(app, "Coffee")[0] == "●"
        assert "Journal" not in text  # archived

    drive(app, scenario)


def test_logging_a_habit_from_the_dashboard_changes_its_streak(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _ready(pilot)
        before = dashboard_row(app, "Stretch")
        assert before[0] == "○" and before[2] == "due"
        streak_before = int(before[3].rstrip("d")) if before[3] != "–" else 0
        await _select(pilot, "Stretch")
        await pilot.press("space")
        after = await wait_for(
            pilot, lambda: (row := dashboard_row(app, "Stretch"))[0] == "●" and row, what="Stretch done"
        )
        assert after[2] == "done"
        assert after[3] == f"{streak_before + 1}d"
        assert "Today, Thursday 26 November: 2 of 4 done" in screen_text(app)
        await pilot.press("u")  # undo: back to due, the streak as it was
        undone = await wait_for(pilot, lambda: (row := dashboard_row(app, "Stretch"))[0] == "○" and row, what="undo")
        assert undone[3] == before[3]

    drive(app, scenario)
    assert _logs(make_ctx, "Stretch") == []


def test_a_measured_habit_asks_for_an_amount_and_says_what_is_wrong(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.modals import AmountScreen

        await _ready(pilot)
        await _select(pilot, "Read")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, AmountScreen), what="the amount dialog")
        await pilot.press("a", "b", "c", "enter")
        await wait_for(pilot, lambda: "amount must be a number (got 'abc')" in screen_text(app), what="the message")
        assert isinstance(app.screen, AmountScreen)  # still open, nothing saved
        await pilot.press("ctrl+a", "ctrl+k", "2", "5", "enter")
        row = await wait_for(pilot, lambda: (row := dashboard_row(app, "Read"))[0] == "●" and row, what="Read done")
        assert row[2] == "25/20 pages"

    drive(app, scenario)
    [log] = _logs(make_ctx, "Read")
    assert (log.status, log.value) == ("done", 25.0)


def test_skip_carries_the_streak_and_is_stored(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _ready(pilot)
        streak = dashboard_row(app, "Stretch")[3]
        await _select(pilot, "Stretch")
        await pilot.press("s")
        row = await wait_for(
            pilot, lambda: (row := dashboard_row(app, "Stretch"))[2] == "skipped" and row, what="skipped"
        )
        assert row[0] == "–" and row[3] == f"{int(streak.rstrip('d')) + 1}d"  # a skip carries the streak on
        await wait_for(pilot, lambda: shown(app, "Skipped Stretch today. Your streak is safe."), what="the toast")

    drive(app, scenario)
    [log] = _logs(make_ctx, "Stretch")
    assert log.status == "skipped"


def test_names_with_brackets_show_as_written(seeded, make_app, make_ctx) -> None:
    from paa.core.habits.manage import HabitFields, add_habit

    with make_ctx(write=True) as ctx:  # "[WIP]" looks like a markup tag to Textual's own escape, which drops it
        add_habit(ctx, HabitFields(name="[WIP] Plan [b]the week", remind="13:00"))
    app = make_app()

    async def scenario(pilot) -> None:
        await _ready(pilot)
        assert "13:00  [WIP] Plan [b]the week" in screen_text(app)

    drive(app, scenario, size=(120, 40))
