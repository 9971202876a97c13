"""Live refresh: a change made by another process or connection shows on the open dashboard by itself.

How soon it shows (one poll of the watcher on an idle machine) is a timing, measured in bench/, not asserted here."""

from __future__ import annotations

import asyncio
import threading

import pytest

from paa.tui.watch import POLL_SECONDS, DataVersionWatcher
from tests.support.tui import dashboard_row, drive, screen_text, wait_for


@pytest.mark.e2e
def test_a_paa_habit_log_in_another_terminal_shows_up_on_the_open_dashboard(seeded, make_app, run_paa) -> None:
    app = make_app(poll_seconds=POLL_SECONDS)  # the production interval

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        assert dashboard_row(app, "Stretch")[:3] == ["○", "Stretch", "due"]
        done = await asyncio.to_thread(run_paa, "habit", "log", "stretch")
        assert done.returncode == 0, done.stderr
        row = await wait_for(
            pilot, lambda: (row := dashboard_row(app, "Stretch"))[0] == "●" and row, what="the log on the dashboard"
        )
        assert row[2] == "done"
        assert "2 of 4 done" in screen_text(app)

    drive(app, scenario)


def test_a_check_in_saved_by_another_connection_updates_the_check_in_panel(seeded, make_app, make_ctx) -> None:
    from paa.core.checkins.entries import Answer, save_checkin
    from tests.support.tui_dataset import TODAY

    app = make_app(poll_seconds=POLL_SECONDS)

    def elsewhere() -> None:
        with make_ctx(write=True) as ctx:
            save_checkin(ctx, TODAY, [Answer("How was your day?", "Lovely")], mood=5, energy=4)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        assert "Not yet today" in screen_text(app)
        thread = threading.Thread(target=elsewhere)
        thread.start()
        await asyncio.to_thread(thread.join)
        await wait_for(
            pilot, lambda: "Done: mood 5/5, energy 4/5" in screen_text(app), what="the check-in on the dashboard"
        )

    drive(app, scenario)


def test_nothing_reloads_while_nothing_changes(seeded, make_app) -> None:
    app = make_app(poll_seconds=0.05)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        generation = app.generation
        await pilot.pause(0.5)  # ten polls
        assert app.generation == generation

    drive(app, scenario)


def test_the_watcher_sees_other_connections_commits_only(seeded, make_ctx) -> None:
    from paa.core.habits.manage import HabitFields, add_habit
    from tests.support.runtime import open_context

    with open_context() as ctx:
        path = ctx.paths.database_file
    watcher = DataVersionWatcher(path)
    try:
        assert not watcher.changed()
        with make_ctx(write=True) as ctx:
            add_habit(ctx, HabitFields(name="Floss"))
        assert watcher.changed()
        assert not watcher.changed()  # reported once
        with make_ctx() as ctx:  # a read is not a change
            ctx.session.exec  # noqa: B018
        assert not watcher.changed()
    finally:
        watcher.close()
