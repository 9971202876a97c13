"""Issue #14: an account made by GitHub or Google sign-in has no password, and its first one took only a session.

alice signs in with GitHub (paa makes her account, with no password) and leaves her session open. bob, at her
keyboard, ran `paa --user alice auth passwd` and gave a password of his choosing: no current password was asked
for, since there was none. From then on bob logged in as alice with it, whatever she did with her sessions. The
first password of such an account now takes proof through one of its linked identities (`paa auth passwd
--github`: the device flow, approved at the provider by the account that is linked); without it, paa refuses and
says how.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from paa.errors import AuthError
from tests.support.fake_oauth import FakeOAuth, stand_in
from tests.support.runtime import open_auth

ALICE_GITHUB = {"id": 4242, "login": "octo-alice", "email": None}
BOB_GITHUB = {"id": 9001, "login": "bob-gh", "email": None}
BOBS_PASSWORD_FOR_ALICE = "harbour-quince-meadow-71"
ALICES_NEW_PASSWORD = "copper-willow-lantern-36"


@pytest.fixture
def github(oauth_server: Callable[[], FakeOAuth], monkeypatch: pytest.MonkeyPatch, slept) -> FakeOAuth:
    """GitHub, where alice approves paa with her account; a test switches to bob's by setting `user`."""
    monkeypatch.setenv("PAA_OAUTH_GITHUB_CLIENT_ID", "paa-test-client")
    fake = stand_in(monkeypatch, oauth_server())
    fake.user = dict(ALICE_GITHUB)
    fake.emails = []
    return fake


def _alice_signs_up_with_github(cli, github: FakeOAuth) -> str:
    """alice's account, made by her GitHub sign-in (no password); its name."""
    github.token_script = ["ok"]
    done = cli("auth", "login", "--github")
    assert done.code == 0, done.err
    name = str(json.loads(cli("auth", "whoami", "--json").out)["user"]["username"])
    assert json.loads(cli("auth", "whoami", "--json").out)["user"]["has_password"] is False
    return name


def _logs_in(cli, stdin, name: str, password: str) -> bool:
    stdin(password + "\n")
    return bool(cli("auth", "login", name, "--password-stdin").code == 0)


def test_an_open_session_cannot_set_a_first_password(cli, stdin, github: FakeOAuth) -> None:
    alice = _alice_signs_up_with_github(cli, github)  # and she walks away, her session still open

    stdin(f"{BOBS_PASSWORD_FOR_ALICE}\n{BOBS_PASSWORD_FOR_ALICE}\n")
    done = cli("--user", alice, "auth", "passwd", "--password-stdin")  # bob

    assert done.code == 8, done.out + done.err
    assert "--github" in done.err  # it says how the owner proves it is her
    cli("auth", "logout")
    assert not _logs_in(cli, stdin, alice, BOBS_PASSWORD_FOR_ALICE)


def test_bobs_own_github_account_is_no_proof(cli, stdin, github: FakeOAuth) -> None:
    alice = _alice_signs_up_with_github(cli, github)
    github.user, github.token_script = dict(BOB_GITHUB), ["ok"]  # bob approves the code with his own account

    stdin(f"{BOBS_PASSWORD_FOR_ALICE}\n{BOBS_PASSWORD_FOR_ALICE}\n")
    done = cli("--user", alice, "auth", "passwd", "--github", "--password-stdin")

    assert done.code == 8 and "not linked" in done.err, done.out + done.err
    cli("auth", "logout")
    assert not _logs_in(cli, stdin, alice, BOBS_PASSWORD_FOR_ALICE)


def test_alice_sets_her_first_password_by_approving_with_her_github(cli, stdin, github: FakeOAuth) -> None:
    alice = _alice_signs_up_with_github(cli, github)
    github.token_script = ["ok"]

    stdin(f"{ALICES_NEW_PASSWORD}\n{ALICES_NEW_PASSWORD}\n")
    done = cli("auth", "passwd", "--github", "--password-stdin")

    assert done.code == 0, done.err
    assert "Password set" in done.out
    cli("auth", "logout")
    assert _logs_in(cli, stdin, alice, ALICES_NEW_PASSWORD)


def test_core_refuses_a_first_password_without_proof(cli, github: FakeOAuth) -> None:
    from paa.core.accounts.registration import change_password

    alice = _alice_signs_up_with_github(cli, github)
    with open_auth(write=True) as actx, pytest.raises(AuthError, match="linked identity"):
        change_password(actx, None, BOBS_PASSWORD_FOR_ALICE, source="cli")
    with open_auth(write=True) as actx, pytest.raises(AuthError, match="not linked"):
        change_password(actx, None, BOBS_PASSWORD_FOR_ALICE, source="cli", identity=("github", "9001"))
    assert json.loads(cli("--user", alice, "auth", "whoami", "--json").out)["user"]["has_password"] is False
