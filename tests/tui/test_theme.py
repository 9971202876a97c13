"""The TUI keeps the theme a person picks (in config.toml, `tui.theme`) and starts in it next time."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.support.tui import drive, shown, wait_for


def _stored_theme(home: Path) -> str | None:
    path = home / "config.toml"
    if not path.exists():
        return None
    return tomllib.loads(path.read_text()).get("tui", {}).get("theme")


def test_a_theme_picked_in_the_app_is_kept_and_used_at_the_next_start(seeded, make_app) -> None:
    app = make_app()

    async def pick(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        assert app.theme == "textual-dark"
        app.action_toggle_dark()
        await wait_for(pilot, lambda: _stored_theme(seeded) == "textual-light", what="the theme in config.toml")

    drive(app, pick)
    again = make_app()

    async def reopen(pilot) -> None:
        await wait_for(pilot, lambda: again.ready_at, what="the first paint")
        assert again.theme == "textual-light"

    drive(again, reopen)


def test_the_theme_from_the_palette_is_kept(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        await pilot.press("ctrl+p")
        await pilot.press(*"Toggle light")
        await wait_for(pilot, lambda: shown(app, "Toggle light/dark theme"), what="the palette's entry")
        await pilot.press("enter")
        await wait_for(pilot, lambda: _stored_theme(seeded) == "textual-light", what="the theme in config.toml")

    drive(app, scenario)


def test_the_environment_chooses_over_config_toml(seeded, make_app, monkeypatch, run_paa) -> None:
    assert run_paa("config", "set", "tui.theme", "textual-light").returncode == 0
    monkeypatch.setenv("PAA_TUI_THEME", "nord")
    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        assert app.theme == "nord"

    drive(app, scenario)
    assert _stored_theme(seeded) == "textual-light"  # only a choice made in the app is written


def test_an_unknown_theme_is_named_and_the_default_is_used(seeded, make_app) -> None:
    (seeded / "config.toml").write_text('[tui]\ntheme = "no-such-theme"\n')
    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        await wait_for(pilot, lambda: shown(app, "No theme called 'no-such-theme'"), what="the warning")
        assert app.theme == "textual-dark"

    drive(app, scenario)
    assert _stored_theme(seeded) == "no-such-theme"  # left for the person to correct, not overwritten
