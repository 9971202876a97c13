"""Issue #14, item 2: linking a GitHub identity to an account needed no password, and outlived a password change.

With alice's session left open, bob ran `paa --user alice auth login --github` with his own GitHub account; after
alice changed her password and logged out everywhere, bob still logged in as alice. Linking now asks for the
account's password; alice can list and unlink identities, and a password change or `logout --everywhere` can
drop them all.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from paa.db.models import UserAuth
from tests.support.accounts import ALICE_PASSWORD
from tests.support.fake_oauth import FakeOAuth, stand_in
from tests.support.runtime import open_auth

BOB_GITHUB_ID = 9001
NEW_PASSWORD = "quiet-lantern-orchard-58"


@pytest.fixture
def github(oauth_server: Callable[[], FakeOAuth], monkeypatch: pytest.MonkeyPatch, slept) -> FakeOAuth:
    """GitHub, where bob approves paa with his own account."""
    monkeypatch.setenv("PAA_OAUTH_GITHUB_CLIENT_ID", "paa-test-client")
    fake = stand_in(monkeypatch, oauth_server())
    fake.user = {"id": BOB_GITHUB_ID, "login": "bob-gh", "email": None}
    fake.emails = []
    return fake


def _again(github: FakeOAuth) -> None:
    github.token_script = ["ok"]


def _alice_logged_in(cli, stdin) -> None:
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0


def _linked(username: str) -> list[str]:
    """The identities linked to an account, read from the database."""
    from sqlmodel import col, select

    from paa.core.accounts.lookups import user_named

    with open_auth() as actx:
        user = user_named(actx.session, username)
        assert user is not None
        rows = actx.session.exec(
            select(UserAuth).where(
                UserAuth.user_id == user.id, UserAuth.kind == "oauth", col(UserAuth.revoked_at).is_(None)
            )
        ).all()
    return [f"{row.provider}:{row.subject}" for row in rows]


def _bob_signs_in(cli, github: FakeOAuth) -> str:
    """bob logs in with his GitHub account from a fresh shell; who paa says he is."""
    _again(github)
    done = cli("auth", "login", "--github")
    assert done.code == 0, done.err
    return str(json.loads(cli("auth", "whoami", "--json").out)["user"]["username"])


def test_an_open_session_is_not_enough_to_link_an_identity(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)  # and she walks away, her session still open

    done = cli("--user", "alice", "auth", "login", "--github")  # bob, with his own GitHub account

    assert done.code != 0 and "Linked" not in done.out
    assert "password" in done.err
    assert _linked("alice") == []
    cli("auth", "logout")
    assert _bob_signs_in(cli, github) != "alice"


def test_a_wrong_password_links_nothing(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    stdin("not-alices-password\n")
    done = cli("--user", "alice", "auth", "login", "--github", "--password-stdin")
    assert done.code == 8 and "wrong user name or password" in done.err
    assert _linked("alice") == []


def test_alice_links_her_identity_with_her_password(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    stdin(ALICE_PASSWORD + "\n")
    done = cli("auth", "login", "--github", "--password-stdin")
    assert done.code == 0, done.err
    assert "Linked your GitHub identity to alice" in done.out
    assert _linked("alice") == [f"github:{BOB_GITHUB_ID}"]


def _link_behind_alices_back() -> None:
    """A link made before linking asked for a password: bob's GitHub identity on alice's account."""
    from paa.core.accounts.lookups import user_named

    with open_auth(write=True) as actx:
        alice = user_named(actx.session, "alice")
        assert alice is not None and alice.id is not None
        actx.session.add(UserAuth(user_id=alice.id, kind="oauth", provider="github", subject=str(BOB_GITHUB_ID),
                                  label="bob-gh", created_at=actx.now()))  # fmt: skip


def test_a_password_change_drops_the_linked_identities(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    stdin(f"{ALICE_PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    done = cli("auth", "passwd", "--password-stdin", "--drop-identities")
    assert done.code == 0, done.err
    assert "Unlinked 1 identity (github)" in done.out
    assert _linked("alice") == []
    cli("auth", "logout")
    assert _bob_signs_in(cli, github) != "alice"


def test_logout_everywhere_drops_the_linked_identities(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    done = cli("auth", "logout", "--everywhere", "--drop-identities")
    assert done.code == 0, done.err
    assert "Unlinked 1 identity (github)" in done.out
    assert _linked("alice") == []
    assert _bob_signs_in(cli, github) != "alice"


def test_without_the_flag_and_without_a_terminal_identities_stay(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    stdin(f"{ALICE_PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    done = cli("auth", "passwd", "--password-stdin")
    assert done.code == 0 and "--drop-identities" in done.out  # it says how to drop them
    assert _linked("alice") == [f"github:{BOB_GITHUB_ID}"]


def test_alice_lists_and_unlinks_an_identity(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    listed = cli("auth", "identities", "--json")
    assert listed.code == 0, listed.err
    [identity] = json.loads(listed.out)
    assert (identity["provider"], identity["subject"], identity["label"]) == ("github", str(BOB_GITHUB_ID), "bob-gh")
    assert "github" in cli("auth", "identities").out
    done = cli("auth", "identities", "unlink", "github")
    assert done.code == 0, done.err
    assert _linked("alice") == [] and json.loads(cli("auth", "identities", "--json").out) == []
    cli("auth", "logout")
    assert _bob_signs_in(cli, github) != "alice"


def test_the_last_way_to_log_in_is_never_unlinked(cli, github: FakeOAuth) -> None:
    assert cli("auth", "login", "--github").code == 0  # an account made for the identity: no password
    done = cli("auth", "identities", "unlink", "github")
    assert done.code != 0 and "password" in done.err
    assert _linked("bob-gh") == [f"github:{BOB_GITHUB_ID}"]
    done = cli("auth", "logout", "--everywhere", "--drop-identities")
    assert done.code != 0 and _linked("bob-gh") == [f"github:{BOB_GITHUB_ID}"]


def test_another_user_neither_sees_nor_unlinks_alices_identities(cli, stdin, github: FakeOAuth) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    stdin("plum-violin-harbour-77\n")
    assert cli("auth", "register", "carol", "--password-stdin").code == 0
    assert json.loads(cli("--user", "carol", "auth", "identities", "--json").out) == []
    done = cli("--user", "carol", "auth", "identities", "unlink", "github")
    assert done.code == 4 and "no github identity" in done.err
    assert _linked("alice") == [f"github:{BOB_GITHUB_ID}"]


class _Terminal(io.StringIO):
    """Typed answers, on what looks like a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "left"), [("y\n", []), ("n\n", [f"github:{BOB_GITHUB_ID}"])])
def test_on_a_terminal_logout_everywhere_asks_whether_to_unlink(
    cli, stdin, github: FakeOAuth, monkeypatch: pytest.MonkeyPatch, answer: str, left: list[str]
) -> None:
    _alice_logged_in(cli, stdin)
    _link_behind_alices_back()
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    done = cli("auth", "logout", "--everywhere")
    assert done.code == 0, done.err
    assert "Also unlink github from your account?" in done.out
    assert _linked("alice") == left
