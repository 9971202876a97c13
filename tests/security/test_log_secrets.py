"""Issue #14, item 3: `paa daemon logs` showed every user's reminders and the channels' credentials to anyone.

A webhook URL with `user:pass@`, a token in its path and its query reached the daemon's log, the notification's
stored error and the output of `run-due` whenever a delivery failed; and any member, or anyone without a session,
read everyone's reminder texts in `paa daemon logs`. Now nothing paa logs or stores about a channel carries a
credential, each log line names the user it is about, and a member sees only their own lines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from paa.config import resolve_paths
from paa.daemon.files import DaemonFiles
from paa.errors import ExitCode
from tests.support.accounts import ALICE_PASSWORD, BOB_PASSWORD
from tests.support.recorders import http_recorder

BEFORE = "2026-11-26T06:00:00+00:00"  # 07:00 in Berlin: the daemon looks, nothing is due yet
DUE = "2026-11-26T08:00:01+00:00"  # 09:00:01 in Berlin: the 09:00 reminders are due
SECRETS = ("hookpass-9f3k", "tok-77QpX", "key-5Jd2s", "Zq8WmT3vLp0sNe4RkY7uAb1c")


@pytest.fixture(autouse=True)
def _berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reminders at 09:00 Berlin; the handlers `run-due` adds to paa's loggers go when the test ends."""
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    before = {name: list(logging.getLogger(name).handlers) for name in ("paa", "apscheduler")}
    yield
    for name, kept in before.items():
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if h not in kept]:
            logger.removeHandler(handler)
            handler.close()


def _run_due(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], now: str, code: int = 0) -> str:
    """`python -m paa.daemon run-due` at `now`, in this process, ending with `code`; what it printed."""
    from paa.daemon.__main__ import main

    monkeypatch.setenv("PAA_NOW", now)
    capsys.readouterr()
    assert main(["run-due"]) == code
    return capsys.readouterr().out


def _log_text() -> str:
    import os

    return DaemonFiles.of(resolve_paths(os.environ)).log.read_text(encoding="utf-8")


def test_a_failing_webhook_leaves_no_credential_in_log_history_or_output(
    cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAA_NOW", BEFORE)
    assert cli("habit", "add", "Drink water", "--remind", "09:00").code == 0
    with http_recorder() as hook:
        hook.status = 500
        port = hook.url.split(":")[2].split("/")[0]
        secret_url = (
            f"http://hookuser:{SECRETS[0]}@127.0.0.1:{port}/api/webhooks/1234/{SECRETS[3]}"
            f"?token={SECRETS[1]}&api_key={SECRETS[2]}"
        )
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook")
        monkeypatch.setenv("PAA_WEBHOOK_URL", secret_url)
        _run_due(monkeypatch, capsys, BEFORE)
        printed = _run_due(monkeypatch, capsys, DUE, code=ExitCode.UNAVAILABLE)  # a failed delivery is not 0
        assert len(hook.received) == 1  # the delivery was tried, with the real URL
    history = cli("remind", "list", "--history", "--json")
    logged = _log_text()

    assert "error" in printed and "500" in printed and "127.0.0.1" in printed  # still says what failed, and where
    assert "500" in logged and "127.0.0.1" in logged
    for secret in SECRETS:
        assert secret not in printed
        assert secret not in logged
        assert secret not in history.out
    assert "hookuser" not in printed + logged + history.out


def test_a_member_reads_only_their_own_lines_of_the_daemon_log(
    cli, stdin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAA_NOW", BEFORE)
    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0  # the first account: an admin
    stdin(BOB_PASSWORD + "\n")
    assert cli("auth", "register", "bob", "--password-stdin").code == 0  # a member
    assert cli("--user", "alice", "habit", "add", "Call the oncologist", "--remind", "09:00").code == 0
    assert cli("--user", "bob", "habit", "add", "Practise scales", "--remind", "09:00").code == 0
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    # one run serves both accounts: Alice's reminder goes on the log channel (she owns the install), Bob's on his
    # app channel alone, its "due" line in the log tagged as his (docs/reminders.md, "Whose reminders go where")
    _run_due(monkeypatch, capsys, BEFORE)
    _run_due(monkeypatch, capsys, DUE)
    monkeypatch.setenv("PAA_NOW", DUE)
    alices, bobs = "due: habit:reminder #1 ", "due: habit:reminder #2 "  # their habits, in the order added
    assert "Call the oncologist" in _log_text() and alices in _log_text() and bobs in _log_text()
    assert "Practise scales" not in _log_text()  # the machine's log channel is not Bob's

    as_bob = cli("--user", "bob", "daemon", "logs")
    assert as_bob.code == 0, as_bob.err
    assert bobs in as_bob.out
    assert "Call the oncologist" not in as_bob.out and alices not in as_bob.out

    as_alice = cli("--user", "alice", "daemon", "logs")  # an admin sees the whole log
    assert "Call the oncologist" in as_alice.out and alices in as_alice.out and bobs in as_alice.out

    for name in ("alice", "bob"):
        assert cli("--user", name, "auth", "logout").code == 0
    anonymous = cli("daemon", "logs")  # nobody logged in on a machine with accounts
    assert "Call the oncologist" not in anonymous.out and "Practise scales" not in anonymous.out
    assert "log in" in anonymous.err


def test_log_lines_name_their_user_and_hide_credentials_whatever_logs_them(tmp_path) -> None:
    from paa.daemon.logs import configure_logging, lines_for

    files = DaemonFiles(tmp_path / "lock", tmp_path / "status.json", tmp_path / "logs" / "daemon.log")
    handler = configure_logging(files)
    try:
        from paa.daemon.logs import about_user

        log = logging.getLogger("paa.test")
        log.info("started")
        with about_user(7):
            log.warning("cannot reach https://me:%s@ntfy.example.org/topic: refused", SECRETS[0])
            log.info("header Authorization: Bearer %s", SECRETS[1])
            try:
                raise RuntimeError(f"ANTHROPIC key sk-ant-api03-{SECRETS[3]} refused")
            except RuntimeError:
                log.exception("chat failed")
    finally:
        for name in ("paa", "apscheduler"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
    text = files.log.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text
    lines = text.splitlines(keepends=True)
    mine = "".join(lines_for(lines, user_id=7))
    theirs = "".join(lines_for(lines, user_id=8))
    everyone = "".join(lines_for(lines, user_id=None))
    assert "started" in theirs and "ntfy.example.org" not in theirs and "Traceback" not in theirs
    assert "ntfy.example.org" in mine and "Traceback" in mine and "RuntimeError" in mine
    assert "started" in everyone and "ntfy.example.org" not in everyone
