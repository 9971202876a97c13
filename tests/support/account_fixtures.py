"""Fixtures every account test shares (tests/auth and tests/security import them into their conftest.py)."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep secrets in the data folder's file: no test reaches the OS keyring."""
    monkeypatch.setenv("PAA_KEYRING", "off")


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Feed the next command's stdin: `stdin("pw\\n")`."""

    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed
