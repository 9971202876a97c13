"""Fixtures for the TUI's tests: the fixed dataset in the test's PAA_HOME, the app factory, and Pilot helpers."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ai.fake_anthropic import fake_anthropic  # noqa: F401  (a fixture)
from tests.tui import dataset

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset, built once per test session; each test gets a copy."""
    home = tmp_path_factory.mktemp("tui-dataset") / "paa-home"
    dataset.build(home)
    return home


@pytest.fixture
def seeded(template_home: Path, paa_home: Path) -> Path:
    """This test's PAA_HOME holding a fresh copy of the dataset."""
    shutil.copytree(template_home, paa_home, dirs_exist_ok=True)
    return paa_home


@pytest.fixture
def make_app(clock) -> Iterator[Callable[..., Any]]:
    """The production app factory on this test's PAA_HOME, with the fixed clock and no cursor blinking."""
    from paa.tui.app import create_app

    made: list[Any] = []

    def factory(**options: Any) -> Any:
        settings = {"poll_seconds": 0.1, "animations": False, **options}
        app = create_app(environ=dict(os.environ), clock=clock, **settings)
        made.append(app)
        return app

    yield factory
    for app in made:
        app.stop_workers()
        app.store.close()


def drive(app: Any, scenario: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (80, 24)) -> None:
    """Run `scenario(pilot)` against the app in a headless terminal of `size`, then close it."""

    async def main() -> None:
        try:
            async with app.run_test(size=size, notifications=True) as pilot:
                await scenario(pilot)
        finally:
            app.store.close()

    asyncio.run(main())


async def wait_for(pilot: Any, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Let the app run until `predicate()` is true (returning its value); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or predicate}\n{screen_text(pilot.app)}"
            )
        await pilot.pause(0.05)


def screen_text(app: Any) -> str:
    """The terminal's text as a person sees it (no colours), for assertions and failure messages."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def shown(app: Any, text: str) -> bool:
    """Whether `text` is on screen, allowing for it being wrapped (in a toast, say) over several lines."""
    flat = " ".join(screen_text(app).replace("▌", " ").replace("▏", " ").split())
    return " ".join(text.split()) in flat
