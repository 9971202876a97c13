"""Account tests: no OS keyring, for every test here (tests/conftest.py makes hashing cheap everywhere)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.account_fixtures import _no_keyring, stdin  # noqa: F401  (fixtures for every test here)
from tests.support.fake_oauth import FakeOAuth, serve


@pytest.fixture
def fake_oauth() -> Iterator[FakeOAuth]:
    """A fake OAuth authorization server on 127.0.0.1 (tests/support/fake_oauth.py)."""
    with serve() as fake:
        yield fake
