"""The key bar shows every key as it is typed, brackets included, in a tiny host app."""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from paa.tui.widgets.keybar import KeyBar


class _Keys(Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("left_square_bracket", "step(-1)", "Earlier"),
        Binding("right_square_bracket", "step(1)", "Later"),
        Binding("t", "today", "[Today]"),
        Binding("x", "hidden", "Hidden", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield KeyBar()


class _Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(_Keys())


def test_bracket_keys_and_descriptions_show_as_typed() -> None:
    async def run() -> str:
        app = _Host()
        async with app.run_test(size=(80, 5)) as pilot:
            await pilot.pause()
            return str(app.screen.query_one(KeyBar).render())

    line = asyncio.run(run())
    assert "[ Earlier" in line and "] Later" in line and "t [Today]" in line
    assert "[[/]" not in line and "Hidden" not in line
