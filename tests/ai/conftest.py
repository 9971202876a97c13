"""Fixtures for the assistant's tests: the fake Anthropic API, and no OS keyring anywhere."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")


@pytest.fixture
def contexts(clock):
    """The chat's context factory (one runtime's `context`) on the test database, with the fixed clock."""
    from tests.support.runtime import runtime_for

    with runtime_for(clock=clock) as runtime:
        yield runtime.context


@pytest.fixture
def habits(make_ctx) -> None:
    """Drink water (8 glasses a day) and Run (Mon, Wed, Fri); Thursday 2026-11-26 is the day of every test."""
    from paa.core.habits.manage import HabitFields, add_habit

    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8))
        add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri", category="health"))


@pytest.fixture
def claude(fake_anthropic):
    from paa.ai.providers.claude import ClaudeProvider

    return ClaudeProvider(
        fake_anthropic.api_key, model="claude-sonnet-5-5", background_model="claude-haiku-5-5",
        base_url=fake_anthropic.url,
    )  # fmt: skip
