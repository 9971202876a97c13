"""The cron and service paths when something is wrong: one line and a documented code, and a daemon that stays up.

`run-due` is run through its real entry (`python -m paa.daemon`'s `main`), in-process; the daemon that must keep
running is the real process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from paa.daemon.__main__ import main
from paa.errors import ExitCode
from tests.support.waiting import GIVE_UP_SECONDS, wait_until


def _junk_database(paa_home: Path) -> Path:
    paa_home.mkdir(parents=True, exist_ok=True)
    database = paa_home / "paa.db"
    database.write_bytes(b"not a database, just junk " * 400)
    return database


def _one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert lines and lines[0].startswith("paa: error: "), err
    assert len(lines) <= 2 and all(line.startswith(("paa: error: ", "hint: ")) for line in lines), err
    assert "Traceback" not in err


@pytest.mark.sqlite_only  # a damaged SQLite file
def test_run_due_on_a_junk_database_says_one_line_with_the_storage_code(
    paa_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _junk_database(paa_home)

    code = main(["run-due"])

    err = capsys.readouterr().err
    assert code == ExitCode.STORAGE
    _one_line_error(err)
    assert "file is not a database" in err and "damaged" in err


def test_run_due_with_paa_home_naming_a_file(
    paa_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = paa_home.parent / "not-a-folder"
    a_file.write_text("")
    monkeypatch.setenv("PAA_HOME", str(a_file))

    code = main(["run-due"])

    err = capsys.readouterr().err
    assert code == ExitCode.STORAGE
    _one_line_error(err)
    assert "not-a-folder" in err and "PAA_HOME" in err


@pytest.mark.parametrize("instant", ["9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+05:00"])
def test_run_due_with_paa_now_out_of_range_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], instant: str
) -> None:
    monkeypatch.setenv("PAA_NOW", instant)

    code = main(["run-due"])

    err = capsys.readouterr().err
    assert code == ExitCode.CONFIG
    _one_line_error(err)
    assert "PAA_NOW" in err


def test_daemon_run_with_paa_home_naming_a_file(
    paa_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = paa_home.parent / "not-a-folder"
    a_file.write_text("")
    monkeypatch.setenv("PAA_HOME", str(a_file))

    code = main(["run"])

    assert code == ExitCode.STORAGE
    _one_line_error(capsys.readouterr().err)


def test_an_unexpected_error_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from paa.daemon import dispatch

    def broken(self: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(dispatch.Dispatcher, "tick", broken)

    assert main(["run-due"]) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    _one_line_error(err)
    assert "unexpected ZeroDivisionError: a bug" in err

    monkeypatch.setenv("PAA_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["run-due"])


def _status(paa_home: Path) -> dict[str, object]:
    try:
        return json.loads((paa_home / "daemon.json").read_text())
    except (OSError, ValueError):
        return {}


@pytest.mark.sqlite_only  # a damaged SQLite file
@pytest.mark.e2e
def test_the_daemon_keeps_running_on_a_junk_database_and_recovers(paa_home: Path) -> None:
    database = _junk_database(paa_home)
    process = subprocess.Popen(
        [sys.executable, "-m", "paa.daemon", "run"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:

        def failure_reported() -> bool:
            assert process.poll() is None, process.communicate()[1]
            return "file is not a database" in json.dumps(_status(paa_home).get("last_errors"))

        wait_until(failure_reported, what="the daemon to report the junk database")
        database.unlink()  # moved aside, as the hint says: the next try starts a new database

        def scanned() -> bool:
            assert process.poll() is None, process.communicate()[1]
            return bool(_status(paa_home).get("last_scan_at"))

        wait_until(scanned, what="the daemon to load its reminders once the database is usable")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=GIVE_UP_SECONDS)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    log = (paa_home / "logs" / "daemon.log").read_text()
    assert "loading the reminders failed: cannot open the database" in log
    assert "Traceback" not in log  # a known failure is one line in the log too
