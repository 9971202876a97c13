"""Issue #14, item 9: members read install-wide secrets, and `config set` echoed them from a visible command line.

bob, a member, read alice's webhook token with `paa config get webhook.url` and `paa config show`; `config set`
printed the secret back and could only take it as an argument, where `ps` and the shell history show it. Now secret
settings (flagged in the settings model) are masked for members, masked in `config show` unless an admin asks with
`--show-secrets`, never echoed, and can come from stdin (`-`) or a hidden prompt.
"""

from __future__ import annotations

import io
import json

import pytest

from paa.config import KEYS, LoadedSettings, Settings, is_secret
from paa.core.configuration import settings_view
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD

WEBHOOK = "https://hooks.example.org/services/T0/B0/wHk7TokenQ2x9Lm4Pv8Rs"
NTFY = "https://alice:ntfy-Pa55word@ntfy.example.org/alice-private-topic"
TOKEN = "wHk7TokenQ2x9Lm4Pv8Rs"
SECRETS = (TOKEN, "ntfy-Pa55word", "alice-private-topic")


@pytest.fixture
def household(cli, stdin) -> None:
    """alice (the admin) and bob (a member), each with a session; alice has set the channels' URLs."""
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0
    for key, value in (("webhook.url", WEBHOOK), ("ntfy.url", NTFY)):
        stdin(value + "\n")
        done = cli("--user", "alice", "config", "set", key, "-")
        assert done.code == 0, done.err


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_a_member_cannot_read_install_secrets(cli, household) -> None:
    got = cli("--user", "bob", "config", "get", "webhook.url")
    assert got.code == 0 and got.out.strip() == "https://hooks.example.org/***"
    _no_secret(cli("--user", "bob", "config", "get", "ntfy.url", "--json").out)
    shown = cli("--user", "bob", "config", "show")
    _no_secret(shown.out)
    assert "hooks.example.org" in shown.out  # where it goes is no secret: that it is set, and to which host
    _no_secret(cli("--user", "bob", "config", "show", "--json").out)

    refused = cli("--user", "bob", "config", "show", "--show-secrets")
    assert refused.code == 9 and "admin" in refused.err
    _no_secret(refused.out)


def test_an_admin_reads_secrets_only_when_asking(cli, household) -> None:
    _no_secret(cli("--user", "alice", "config", "show").out)  # a screen share shows nothing
    shown = cli("--user", "alice", "config", "show", "--show-secrets", "--json")
    values = {row["key"]: row["value"] for row in json.loads(shown.out)}
    assert values["webhook.url"] == WEBHOOK and values["ntfy.url"] == NTFY
    assert cli("--user", "alice", "config", "get", "webhook.url").out.strip() == WEBHOOK


def test_config_set_never_echoes_a_secret(cli, stdin, household) -> None:
    stdin(WEBHOOK + "\n")
    from_stdin = cli("--user", "alice", "config", "set", "webhook.url", "-")
    assert from_stdin.code == 0
    _no_secret(from_stdin.out + from_stdin.err)
    assert "webhook.url" in from_stdin.out

    on_the_line = cli("--user", "alice", "config", "set", "webhook.url", WEBHOOK)  # still works, with a warning
    assert on_the_line.code == 0
    _no_secret(on_the_line.out + on_the_line.err)
    assert "ps" in on_the_line.err and "-" in on_the_line.err


def test_a_secret_left_out_is_asked_for_with_a_hidden_prompt(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []

    def hidden(prompt: str = "") -> str:
        asked.append(prompt)
        return NTFY

    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setattr("getpass.getpass", hidden)
    done = cli("config", "set", "ntfy.url")

    assert done.code == 0, done.err
    assert asked and all("ntfy.url" in prompt for prompt in asked)
    _no_secret(done.out + done.err)
    assert cli("config", "get", "ntfy.url").out.strip() == NTFY  # one person, no accounts: their own secret


def test_without_a_value_or_a_terminal_config_set_says_how(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    done = cli("config", "set", "webhook.url")
    assert done.code != 0 and "stdin" in done.err


def test_secret_settings_are_flagged_in_the_settings_model() -> None:
    secret = {key for key, field in KEYS.items() if is_secret(field)}
    assert {"database.url", "webhook.url", "ntfy.url", "oauth.google.client_secret"} <= secret
    assert not secret & {"timezone", "smtp.host", "smtp.user", "ai.model", "color"}


def test_a_database_password_is_never_shown_unasked() -> None:
    url = "postgresql+psycopg://paa:pg-Sup3rSecret@db.example.org/paa"
    loaded = LoadedSettings(Settings(database_url=url), {field: "default" for field in KEYS.values()}, {}, {})
    [database] = [view for view in settings_view(loaded) if view.key == "database.url"]
    assert "pg-Sup3rSecret" not in str(database.value) and "db.example.org" in str(database.value)
    [revealed] = [view for view in settings_view(loaded, reveal=True) if view.key == "database.url"]
    assert revealed.value == url
