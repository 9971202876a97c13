"""Snapshots of every screen at 80x24 and 120x40, on the fixed dataset and clock (pytest-textual-snapshot).

After a deliberate change of the look, refresh them with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the pictures in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.tui.conftest import SIZES, screen_text, wait_for

Scenario = Callable[[Any], Awaitable[None]]


async def _dashboard(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")


async def _chat(pilot) -> None:
    from paa.tui.widgets.chat import AssistantMessage

    await _dashboard(pilot)
    await pilot.press("2")
    await wait_for(pilot, lambda: pilot.app.screen.query("#chat-list"), what="the chat screen")
    pilot.app.screen.open_conversation(1)
    await wait_for(pilot, lambda: len(pilot.app.screen.query(AssistantMessage)) == 2, what="the conversation")
    await wait_for(pilot, lambda: "offline rules" in screen_text(pilot.app), what="the status")
    await pilot.press("escape")


async def _habits(pilot) -> None:
    await _dashboard(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: "of 7 habits" in screen_text(pilot.app), what="the list")


async def _habit_form(pilot) -> None:
    from textual.widgets import Input

    await _habits(pilot)
    await pilot.press("n")
    await wait_for(pilot, lambda: pilot.app.screen.query("#field-name"), what="the form")
    screen = pilot.app.screen
    screen.query_one("#field-name", Input).value = "Run"
    screen.query_one("#field-unit", Input).value = "km"
    screen.query_one("#field-target", Input).value = "far"
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: "target must be a number" in screen_text(pilot.app), what="the messages")


async def _habit_page(pilot) -> None:
    await _habits(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: "Calendar" in screen_text(pilot.app), what="the habit page")


async def _checkin(pilot) -> None:
    await _dashboard(pilot)
    await pilot.press("4")
    await wait_for(pilot, lambda: pilot.app.screen.query("#answer-1"), what="the prompts")


async def _analytics(pilot) -> None:
    await _dashboard(pilot)
    await pilot.press("5")
    await wait_for(pilot, lambda: "Daily completion" in screen_text(pilot.app), what="the figures")


async def _help(pilot) -> None:
    await _dashboard(pilot)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: "command palette" in screen_text(pilot.app), what="help")


SCREENS: dict[str, Scenario] = {
    "dashboard": _dashboard,
    "chat": _chat,
    "habits": _habits,
    "habit_form": _habit_form,
    "habit_page": _habit_page,
    "checkin": _checkin,
    "analytics": _analytics,
    "help": _help,
}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("screen", SCREENS.keys())
def test_screen(screen: str, size: tuple[int, int], seeded, make_app, snap_compare) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[screen])


def test_dashboard_light_theme(seeded, make_app, snap_compare) -> None:
    app = make_app()
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=(80, 24), run_before=_dashboard)
