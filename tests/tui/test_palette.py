"""The command palette holds every key of the screen shown, and running an entry does what the key does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paa.tui.app import _screen_commands
from tests.support.tui import drive, shown, wait_for
from tests.support.tui_dataset import TODAY

MODES = ["dashboard", "chat", "habits", "checkin", "analytics"]


@pytest.mark.parametrize("mode", MODES)
def test_each_key_of_a_screen_is_a_palette_entry(mode: str, seeded, make_app) -> None:
    app = make_app()
    titles: list[str] = []

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        if mode != "dashboard":
            await pilot.press(str(MODES.index(mode) + 1))
            await wait_for(pilot, lambda: app.current_mode == mode, what=mode)
        screen = app.screen
        keys = [b for b in screen.BINDINGS if b.description and b.key != "escape"]
        titles.extend(command.title for command in _screen_commands(screen))
        assert len(titles) == len(keys) > 0
        assert all(binding.tooltip in " ".join(titles) for binding in keys)

    drive(app, scenario)


def test_a_screen_key_run_from_the_palette(seeded, make_app) -> None:
    app = make_app()
    earlier = TODAY - timedelta(days=30)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        await pilot.press("5")
        await wait_for(pilot, lambda: shown(app, "All habits, 30d"), what="analytics")
        await pilot.press("ctrl+p", *"one period earlier")
        await wait_for(pilot, lambda: shown(app, "Analytics: as of one period earlier"), what="the entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(app, f"as of {earlier:%d %b %Y}, 30 days ago"), what="a period earlier")

    drive(app, scenario, size=(120, 40))
