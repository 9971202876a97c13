"""Whom a command acts as is visible when it could be someone else, and the device flow's pages are https only.

With alice and bob both logged in on one machine, a command acts as whoever logged in last (or `--user`): alice's
`paa checkin` after bob logged in would go to bob. So writes say whom they act as, the chat REPL's prompt names
the user, and the TUI's top bar shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from paa.core.accounts import oauth
from paa.errors import PaaError
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD


def _register(cli, stdin, name: str, password: str) -> None:
    stdin(password + "\n")
    done = cli("auth", "register", name, "--password-stdin")
    assert done.code == 0, done.err


def test_with_two_accounts_logged_in_a_write_says_whom_it_acts_as(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)  # bob logged in last: plain commands are his now
    done = cli("habit", "add", "Stretch")
    assert done.code == 0 and "as bob" in done.err
    done = cli("--user", "alice", "habit", "add", "Read")
    assert done.code == 0 and "as alice" in done.err
    assert "as " not in cli("habit", "list").err  # a read says nothing: its output is the user's own anyway


def test_alone_nothing_more_is_said(cli, stdin) -> None:
    assert cli("habit", "add", "Stretch").err == ""  # the local user
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    assert cli("habit", "add", "Read").err == ""  # one account logged in: nobody else it could be


def test_after_logout_the_marker_goes(cli, stdin) -> None:
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    _register(cli, stdin, "bob", BOB_PASSWORD)
    assert cli("auth", "logout").code == 0  # bob leaves; alice is current again
    done = cli("habit", "add", "Read")
    assert done.code == 0 and done.err == ""
    assert json.loads(cli("auth", "whoami", "--json").out)["user"]["username"] == "alice"


def test_the_chat_prompt_names_the_user(cli, stdin, monkeypatch) -> None:
    from paa.cli import chat

    _register(cli, stdin, "alice", ALICE_PASSWORD)
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        raise EOFError

    monkeypatch.setattr("builtins.input", typed)
    monkeypatch.setattr(chat, "_stdin_is_terminal", lambda: True)
    assert cli("chat", "--offline").code == 0
    assert prompts and prompts[0].startswith("alice ")


def test_the_chat_prompt_of_the_local_user_is_unchanged(cli, monkeypatch) -> None:
    from paa.cli import chat

    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        raise EOFError

    monkeypatch.setattr("builtins.input", typed)
    monkeypatch.setattr(chat, "_stdin_is_terminal", lambda: True)
    assert cli("chat", "--offline").code == 0
    assert prompts and prompts[0] in ("› ", "> ")


def test_the_dashboard_knows_whom_it_shows(cli, stdin) -> None:
    from paa.tui.data import load_dashboard
    from tests.support.runtime import runtime_for

    with runtime_for() as runtime, runtime.context() as ctx:
        assert load_dashboard(ctx).who is None  # the local user: the top bar shows only the day
    _register(cli, stdin, "alice", ALICE_PASSWORD)
    with runtime_for() as runtime, runtime.context() as ctx:
        assert load_dashboard(ctx).who == "alice"


# ---- the device flow's verification pages ---------------------------------------------------------------------


def _device_answer(**fields: str) -> oauth.Http:
    body = json.dumps({"device_code": "dc", "user_code": "ABCD-EFGH", "interval": 1, **fields}).encode()

    def transport(method: str, url: str, headers: Mapping[str, str], data: bytes | None) -> tuple[int, bytes]:
        return 200, body

    return transport


def _provider() -> oauth.Provider:
    from paa.config import Settings

    return oauth.provider_for("github", Settings(oauth_github_client_id="paa-test-client"))


@pytest.mark.parametrize(
    "complete",
    ["http://github.com/login/device?user_code=ABCD-EFGH", "javascript:alert(1)", "file:///etc/passwd", "https://"],
)
def test_a_verification_uri_complete_that_is_not_https_is_refused(complete: str) -> None:
    http = _device_answer(verification_uri="https://github.com/login/device", verification_uri_complete=complete)
    with pytest.raises(PaaError, match="https"):
        oauth.start_device_flow(_provider(), http=http)


def test_an_https_verification_uri_complete_is_kept() -> None:
    complete = "https://github.com/login/device?user_code=ABCD-EFGH"
    http = _device_answer(verification_uri="https://github.com/login/device", verification_uri_complete=complete)
    assert oauth.start_device_flow(_provider(), http=http).verification_uri_complete == complete
