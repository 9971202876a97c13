"""Issue #14: `paa doctor` had a redactor of its own, which hid a database URL's password only.

A token in the database URL's query (`?sslpassword=...`, `?auth_token=...`) was printed as is, and so was the user
name; an error about the URL (a missing driver, say) showed its query too. Doctor now passes every line it shows
through `paa.redact.redact`, the one redactor the daemon's log and the notifications use.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paa.core.doctor import Check

TOKEN = "abcDEF1234567890"
PASSWORD = "hunter2pass"


def test_doctor_hides_a_token_in_a_working_database_url(cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite's URI form takes query parameters (it ignores the ones it does not know): the database opens.
    monkeypatch.setenv("PAA_DB_URL", f"sqlite:///file:{paa_home}/paa.db?uri=true&auth_token={TOKEN}")
    shown = cli("doctor", "--json")
    database = next(check for check in json.loads(shown.out) if check["name"] == "database")
    assert database["status"] == "ok", database
    assert TOKEN not in shown.out and "auth_token=***" in database["detail"]
    assert f"{paa_home}/paa.db" in database["detail"]  # a file's path is no secret: doctor still says where


def test_doctor_hides_the_credentials_of_a_database_url_it_cannot_use(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_DB_URL", f"postgresql://paa:{PASSWORD}@127.0.0.1:1/paa?sslpassword={TOKEN}")
    for args in (("doctor",), ("doctor", "--json")):
        shown = cli(*args)
        assert shown.code != 0 and "database" in shown.out  # the failing check is still reported
        assert TOKEN not in shown.out + shown.err and PASSWORD not in shown.out + shown.err


def test_every_line_doctor_shows_is_redacted() -> None:
    from paa.core.doctor import _redacted

    check = Check("channel webhook", "error", "https://user:pw@hooks.example.org/x", f"Bearer {TOKEN} was refused")
    shown = _redacted(check)
    assert "pw@" not in shown.detail and TOKEN not in (shown.advice or "")
    assert shown.name == check.name and shown.status == check.status


def test_redaction_leaves_a_clean_setup_as_written(cli) -> None:
    """Every line is redacted, so doctor's own words must not read like credentials (`key: value`, `KEY=...`)."""
    shown = cli("doctor")
    assert "***" not in shown.out + shown.err, shown.out
    assert "no Anthropic API key, so chat runs offline" in shown.out
