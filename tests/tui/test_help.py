"""The help lists every key of every screen, as the key bar shows it, with what it does."""

from __future__ import annotations

import pkgutil

from textual.screen import ModalScreen

import paa.tui.screens
from paa.tui.screens.base import PaaScreen
from paa.tui.screens.help import SECTIONS, screen_bindings, sections
from tests.support.tui import drive, shown, wait_for


def test_every_screen_of_the_app_has_a_section() -> None:
    import importlib

    screens = set()
    for module in pkgutil.iter_modules(paa.tui.screens.__path__):
        loaded = importlib.import_module(f"paa.tui.screens.{module.name}")
        for name, value in vars(loaded).items():
            screen = isinstance(value, type) and issubclass(value, PaaScreen) and not issubclass(value, ModalScreen)
            if screen and value is not PaaScreen and value.__module__ == loaded.__name__:
                screens.add(f"{module.name}:{name}")
    assert screens == {path for _, path, _ in SECTIONS}


def test_each_binding_is_listed_with_its_explanation() -> None:
    shown_keys = {"left_square_bracket": "[", "right_square_bracket": "]", "slash": "/"}
    listed = {section.title: section.keys for section in sections(lambda key: shown_keys.get(key, key))}
    for title, path, _ in SECTIONS:
        for binding in screen_bindings(path):
            assert binding.tooltip, f"{path} {binding.key}: a binding needs a tooltip for the help"
            assert any(does == binding.tooltip for _, does in listed[title])
    assert ("[", "as of one period earlier") in listed["Analytics"]
    assert ("/", "filter the list by name") in listed["Habits"]


def test_the_help_shows_keys_as_typed(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Static

        from paa.tui.screens.help import HelpScreen

        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        assert shown(app, "space mark the habit done today")
        keys = [str(static.render()) for static in app.screen.query(".help-key").results(Static)]
        assert "[" in keys and "]" in keys and "? / f1" in keys  # further down: the analytics keys, as typed
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")

    drive(app, scenario, size=(120, 40))
