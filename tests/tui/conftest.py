"""Fixtures for the TUI's tests: the fixed dataset in the test's PAA_HOME, the app factory, and Pilot helpers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import tui_dataset as dataset


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
