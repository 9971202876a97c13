"""Account tests: no OS keyring, for every test here (tests/conftest.py makes hashing cheap everywhere)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from tests.support.fake_oauth import FakeOAuth, serve


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_KEYRING", "off")


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Feed the next command's stdin: `stdin("pw\\n")`."""

    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    return feed


ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "plum-violin-harbour-77"


@pytest.fixture
def fake_oauth() -> Iterator[FakeOAuth]:
    """A fake OAuth authorization server on 127.0.0.1 (tests/support/fake_oauth.py)."""
    with serve() as fake:
        yield fake
