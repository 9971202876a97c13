"""Account tests: cheap argon2 parameters (PAA_ARGON2) and no OS keyring, for every test here."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from tests.support.fake_oauth import FakeOAuth, serve

CHEAP_ARGON2 = "t=1,m=64,p=1"  # the real default costs ~0.4 s a hash; these make one take well under 1 ms


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_ARGON2", CHEAP_ARGON2)
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
