"""The screens as they are pictured: each scene drives the app from start to one screen on the fixed dataset.

Used by the snapshot tests and by scripts/tui_screens.py, which writes the pictures in docs/screens/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.support.tui import screen_text, wait_for

Scene = Callable[[Any], Awaitable[None]]


async def dashboard(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")


async def chat(pilot) -> None:
    from paa.tui.widgets.chat import AssistantMessage

    await dashboard(pilot)
    await pilot.press("2")
    await wait_for(pilot, lambda: pilot.app.screen.query("#chat-list"), what="the chat screen")
    pilot.app.screen.open_conversation(1)
    await wait_for(pilot, lambda: len(pilot.app.screen.query(AssistantMessage)) == 2, what="the conversation")
    await wait_for(pilot, lambda: "offline rules" in screen_text(pilot.app), what="the status")
    await pilot.press("escape")


async def habits(pilot) -> None:
    await dashboard(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: "of 7 habits" in screen_text(pilot.app), what="the list")
    # The table sizes its columns to their cells on a later refresh: on a busy machine the picture was taken between.
    await wait_for(pilot, lambda: "Drink water" in screen_text(pilot.app), what="the columns at their width")


async def habit_form(pilot) -> None:
    from textual.widgets import Input

    await habits(pilot)
    await pilot.press("n")
    await wait_for(pilot, lambda: pilot.app.screen.query("#field-name"), what="the form")
    screen = pilot.app.screen
    screen.query_one("#field-name", Input).value = "Run"
    screen.query_one("#field-unit", Input).value = "km"
    screen.query_one("#field-target", Input).value = "far"
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: "target must be a number" in screen_text(pilot.app), what="the messages")


async def habit_page(pilot) -> None:
    await habits(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: "Calendar" in screen_text(pilot.app), what="the habit page")


async def checkin(pilot) -> None:
    await dashboard(pilot)
    await pilot.press("4")
    await wait_for(pilot, lambda: pilot.app.screen.query("#answer-1"), what="the prompts")


async def analytics(pilot) -> None:
    await dashboard(pilot)
    await pilot.press("5")
    await wait_for(pilot, lambda: "Daily completion" in screen_text(pilot.app), what="the figures")


async def help_keys(pilot) -> None:
    await dashboard(pilot)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: "command palette" in screen_text(pilot.app), what="help")


SCENES: dict[str, Scene] = {
    "dashboard": dashboard,
    "chat": chat,
    "habits": habits,
    "habit_form": habit_form,
    "habit_page": habit_page,
    "checkin": checkin,
    "analytics": analytics,
    "help": help_keys,
}
