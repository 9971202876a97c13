"""Fixtures for the assistant's tests: the fake Anthropic API, and no OS keyring anywhere."""

from __future__ import annotations

import pytest

from tests.ai.fake_anthropic import fake_anthropic  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")
