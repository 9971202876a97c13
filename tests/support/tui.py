"""Helpers for driving the TUI in tests and in scripts/tui_screens.py: run a scenario, wait on a condition, read
the screen."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from typing import Any

from tests.support.waiting import GIVE_UP_SECONDS, wait_until_async

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


def drive(app: Any, scenario: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (80, 24)) -> None:
    """Run `scenario(pilot)` against the app in a headless terminal of `size`, then close it."""

    async def main() -> None:
        try:
            async with app.run_test(size=size, notifications=True) as pilot:
                await scenario(pilot)
        finally:
            app.store.close()

    asyncio.run(main())


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = GIVE_UP_SECONDS, what: str = "") -> Any:
    """Let the app run until `predicate()` is true (returning its value); give up after `timeout` seconds."""
    return await wait_until_async(
        predicate, pilot.pause, timeout, what=what or repr(predicate), describe=lambda: screen_text(pilot.app)
    )


async def paste(pilot: Any, selector: str, text: str, *, submit: bool = False) -> None:
    """Put `text` into the input `selector` as a paste does (one event, where a key per character costs a screen
    update each), then press Enter if `submit`. Tests that are about typing itself press the keys instead."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    widget.insert_text_at_cursor(text)
    await pilot.pause()
    if submit:
        await pilot.press("enter")


def screen_text(app: Any) -> str:
    """The terminal's text as a person sees it (no colours), for assertions and failure messages."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def shown(app: Any, text: str) -> bool:
    """Whether `text` is on screen, allowing for it being wrapped (in a toast, say) over several lines."""
    import re

    flat = " ".join(re.sub("[\u2500-\u259f]", " ", screen_text(app)).split())  # box-drawing and block glyphs
    return " ".join(text.split()) in flat


def dashboard_row(app: Any, name: str) -> list[str]:
    """The dashboard's row for a habit, as the texts of its cells."""
    from textual.widgets import DataTable

    table = app.screen.query_one("#today-table", DataTable)
    for key in table.rows:
        cells = [cell.plain for cell in table.get_row(key)]
        if cells[1] == name:
            return cells
    raise AssertionError(f"no row for {name}")
