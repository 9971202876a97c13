"""The screens' one write path: what a change did, or one line on why it could not, and never a traceback."""

from __future__ import annotations

import pytest

from paa.errors import Conflict
from tests.support.tui import drive, wait_for


def _told(app) -> list[tuple[str, str, str]]:
    return [(note.message, note.title, note.severity) for note in app._notifications]


async def _on_stretch(pilot) -> None:
    from textual.widgets import DataTable

    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")
    table = pilot.app.screen.query_one("#today-table", DataTable)
    for _ in range(table.row_count):
        if table.get_row_at(table.cursor_row)[1].plain == "Stretch":
            return
        await pilot.press("down")
    raise AssertionError("Stretch is not on the dashboard")


@pytest.mark.parametrize(
    ("failure", "told"),
    [
        (Conflict("Stretch was changed elsewhere", hint="try again"), ("Stretch was changed elsewhere", "", "warning")),
        (OSError("disk I/O error\nTraceback (most recent call last): ..."), ("disk I/O error", "Not saved", "error")),
    ],
)
def test_a_failed_write_is_one_line_and_the_app_goes_on(seeded, make_app, monkeypatch, failure, told) -> None:
    from paa.tui.screens import dashboard

    def fail(*args: object) -> str:
        raise failure

    monkeypatch.setattr(dashboard, "log_done", fail)
    app = make_app()

    async def scenario(pilot) -> None:
        await _on_stretch(pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: told in _told(app), what=f"the notification {told}")
        assert app.is_running and not any("Traceback" in message for message, _, _ in _told(app))

    drive(app, scenario)


def test_archiving_from_the_habits_list_says_what_it_did(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.habits import HabitsScreen

        await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")
        await pilot.press("3")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, HabitsScreen) and app.screen.rows and app.screen)
        row = next(row for row in screen.rows if row.name == "Stretch")
        screen.change(row.id, "archive")
        await wait_for(pilot, lambda: ("Archived Stretch.", "", "information") in _told(app), what="the archive note")

    drive(app, scenario)


def test_the_habits_list_reports_a_failing_database_too(seeded, make_app, monkeypatch) -> None:
    from paa.tui.screens import habits

    def fail(*args: object) -> str:
        raise OSError("database is locked")

    monkeypatch.setattr(habits, "set_archived", fail)
    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard's first paint")
        await pilot.press("3")
        screen = await wait_for(
            pilot, lambda: isinstance(app.screen, habits.HabitsScreen) and app.screen.rows and app.screen
        )
        screen.change(screen.rows[0].id, "archive")
        told = ("database is locked", "Not saved", "error")
        await wait_for(pilot, lambda: told in _told(app), what="the failure, in one line")
        assert app.is_running

    drive(app, scenario)
