"""Issue #14: the email channel's SMTP password could only come from PAA_SMTP_PASSWORD.

There was no `smtp.password` setting, so the password had to sit in the daemon's environment (a service file, a
shell profile) and could not be set like the other channel secrets. It is now a setting kept in the secret store
(the OS keyring, else secrets.json, 0600), never in config.toml; `paa config set smtp.password` takes it from stdin
or a hidden prompt and refuses it on the command line (where `ps` and the shell history show it); `config show`
and `config get` never show it, to anyone; PAA_SMTP_PASSWORD still wins when set.
"""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paa.config import Settings, resolve_paths
from paa.core.events import Event
from paa.daemon.channels import build_channels
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.recorders import smtp_recorder

PASSWORD = "Smtp pass-w0rd with spaces"


def _set_from_stdin(cli, stdin, *user: str):
    stdin(PASSWORD + "\n")
    return cli(*user, "config", "set", "smtp.password", "-")


def test_the_password_goes_from_stdin_to_the_secret_store(cli, stdin, paa_home: Path) -> None:
    done = _set_from_stdin(cli, stdin)
    assert done.code == 0, done.err
    assert PASSWORD not in done.out + done.err and "smtp.password is set" in done.out
    paths = resolve_paths({"PAA_HOME": str(paa_home)})
    assert not paths.config_file.exists() or PASSWORD not in paths.config_file.read_text()
    kept = paths.data_dir / "secrets.json"  # tests switch the keyring off: the file stands in for it
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and PASSWORD in kept.read_text()


def test_the_password_is_never_taken_on_the_command_line(cli, paa_home: Path) -> None:
    done = cli("config", "set", "smtp.password", PASSWORD)
    assert done.code == 3 and "stdin" in done.err and "ps" in done.err
    assert PASSWORD not in done.out + done.err
    assert json.loads(cli("config", "get", "smtp.password", "--json").out)["value"] is None


def test_a_hidden_prompt_asks_for_it_twice(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or PASSWORD)
    done = cli("config", "set", "smtp.password")
    assert done.code == 0, done.err
    assert len(asked) == 2 and PASSWORD not in done.out + done.err


def test_config_show_and_get_never_show_it(cli, stdin) -> None:
    assert _set_from_stdin(cli, stdin).code == 0
    for args in (("show",), ("show", "--json"), ("show", "--show-secrets"), ("show", "--show-secrets", "--json"),
                 ("get", "smtp.password"), ("get", "smtp.password", "--json")):  # fmt: skip
        shown = cli("config", *args)
        assert shown.code == 0, shown.err
        assert PASSWORD not in shown.out + shown.err, args
    view = json.loads(cli("config", "get", "smtp.password", "--json").out)
    assert view["value"] == "***" and view["source"] == "stored"  # set, and where: not what


def test_a_member_neither_sets_nor_reads_it(cli, stdin) -> None:
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0
    assert _set_from_stdin(cli, stdin, "--user", "alice").code == 0

    refused = _set_from_stdin(cli, stdin, "--user", "bob")
    assert refused.code == 9 and "admin" in refused.err
    assert PASSWORD not in cli("--user", "bob", "config", "get", "smtp.password").out


def test_the_email_channel_logs_in_with_the_stored_password(cli, stdin, paa_home: Path) -> None:
    assert _set_from_stdin(cli, stdin).code == 0
    environ = {"PAA_HOME": str(paa_home), "PAA_KEYRING": "off"}
    paths = resolve_paths(environ)
    logins: list[tuple[str, str]] = []
    with smtp_recorder(logins) as (port, messages):
        settings = Settings(notify_channels="email", smtp_host="127.0.0.1", smtp_port=port, smtp_user="paa-mailer",
                            smtp_to="me@example.org", smtp_starttls=False)  # fmt: skip
        email = build_channels(settings, environ, paths=paths)["email"]
        reminder = Event("chat:notification", 3, datetime(2026, 11, 26, 6, 0, tzinfo=UTC), "Reminder", "Call mom")
        assert email.send(reminder, 1) is None
    assert logins == [("paa-mailer", PASSWORD)] and len(messages) == 1


def test_the_environment_variable_still_wins(cli, stdin, paa_home: Path) -> None:
    from paa.core.accounts.secrets import smtp_password

    assert _set_from_stdin(cli, stdin).code == 0
    environ = {"PAA_HOME": str(paa_home), "PAA_KEYRING": "off"}
    paths = resolve_paths(environ)
    assert smtp_password(paths, Settings(), environ) == PASSWORD
    assert smtp_password(paths, Settings(), {**environ, "PAA_SMTP_PASSWORD": "from-env"}) == "from-env"
    assert cli("config", "unset", "smtp.password").code == 0
    assert smtp_password(paths, Settings(), environ) is None
