"""The attack suite: each test reproduces an attack on paa and checks that it fails.

Accounts are hashed cheaply (tests/conftest.py gives the Runtime cheap parameters) and never reach the OS keyring;
the attacker's tools are fakes on 127.0.0.1 (tests/support/fake_oauth.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.account_fixtures import _no_keyring, stdin  # noqa: F401  (fixtures for every test here)
from tests.support.fake_oauth import FakeOAuth, serve


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The device flow's pauses, recorded instead of waited for."""
    pauses: list[float] = []
    monkeypatch.setattr("paa.core.accounts.oauth.time.sleep", pauses.append)
    return pauses


@pytest.fixture
def oauth_server() -> Iterator[Callable[[], FakeOAuth]]:
    """Start fake OAuth servers on 127.0.0.1, as many as a test needs; each stops with the test."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda: stack.enter_context(serve())
