"""Inputs that used to end in "unexpected ..." (exit 1): each gets one line and its documented code now."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from paa.core.ids import MAX_ID, can_exist, parse_id
from paa.errors import ExitCode

TOO_LARGE = str(MAX_ID + 1)
HUGE = "99999999999999999999"


@pytest.fixture(autouse=True)
def _empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin is an empty pipe, as in a script (`paa chat` reads a pipe)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def _one_line(err: str) -> None:
    assert err.startswith("paa: error: "), err
    assert "unexpected" not in err and "Traceback" not in err


@pytest.mark.parametrize("number", [TOO_LARGE, HUGE])
@pytest.mark.parametrize(
    "command",
    [
        ("chat", "show", "{id}"),
        ("chat", "delete", "{id}", "--yes"),
        ("chat", "--resume", "{id}", "--offline", "hello"),
        ("remind", "remove", "{id}"),
        ("memory", "forget", "{id}", "--yes"),
        ("auth", "revoke", "{id}"),
    ],
    ids=["chat-show", "chat-delete", "chat-resume", "remind-remove", "memory-forget", "auth-revoke"],
)
def test_an_id_beyond_what_a_row_can_have_is_not_found(cli, command: tuple[str, ...], number: str) -> None:
    result = cli(*(part.format(id=number) for part in command))

    assert result.code == ExitCode.NOT_FOUND, result.err
    _one_line(result.err)
    assert number in result.err


def test_the_largest_id_a_row_can_have_is_looked_up_as_usual(cli) -> None:
    result = cli("chat", "show", str(MAX_ID))
    assert result.code == ExitCode.NOT_FOUND
    assert f"no conversation with id {MAX_ID}" in result.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" #12 ", 12), (str(MAX_ID), MAX_ID), (TOO_LARGE, None), ("0", None), ("-3", None), ("²", None),
     ("12a", None), ("", None), ("9" * 400, None)],
)  # fmt: skip
def test_parse_id(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


def test_can_exist_bounds() -> None:
    assert can_exist(1) and can_exist(MAX_ID)
    assert not can_exist(0) and not can_exist(MAX_ID + 1)


# Bytes that are not UTF-8 reach Python as lone surrogates (PEP 383), as a shell passes them to `paa`.
NOT_UTF8 = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")


@pytest.mark.parametrize(
    "command",
    [
        ("memory", "add", NOT_UTF8),
        ("config", "set", "smtp.host", NOT_UTF8),
        ("chat", "--offline", NOT_UTF8),
        ("habit", "add", NOT_UTF8),
    ],
    ids=["memory-add", "config-set", "chat", "habit-add"],
)
def test_an_argument_that_is_not_utf8_is_refused_and_nothing_is_written(
    cli, paa_home: Path, command: tuple[str, ...]
) -> None:
    result = cli(*command)

    assert result.code == ExitCode.INVALID_INPUT, result.err
    _one_line(result.err)
    assert f"argument {len(command)}" in result.err and "UTF-8" in result.err
    assert "caf\ufffd \ufffd" in result.err  # the bad bytes shown as replacement characters, not as escapes
    assert not paa_home.exists() or not [path for path in paa_home.rglob("*") if path.name.endswith(".tmp")]
    assert not (paa_home / "config.toml").exists()


def test_paa_home_naming_a_file_is_a_storage_error(cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = paa_home.parent / "a-file"
    a_file.write_text("")
    monkeypatch.setenv("PAA_HOME", str(a_file))

    result = cli("habit", "list")

    assert result.code == ExitCode.STORAGE
    _one_line(result.err)
    assert "a-file" in result.err and "PAA_HOME" in result.err


@pytest.mark.parametrize(
    "instant", ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00+00:00"]
)
@pytest.mark.parametrize("command", [("habit", "today"), ("analytics", "summary"), ("remind", "upcoming")])
def test_paa_now_outside_the_years_paa_can_count_in_is_a_config_error(
    cli, monkeypatch: pytest.MonkeyPatch, instant: str, command: tuple[str, ...]
) -> None:
    assert cli("habit", "add", "Run").code == 0
    monkeypatch.setenv("PAA_NOW", instant)

    result = cli(*command)

    assert result.code == ExitCode.CONFIG, result.err
    _one_line(result.err)
    assert "PAA_NOW" in result.err and "1970" in result.err


def test_a_second_long_note_on_a_day_keeps_the_value_and_the_note_within_its_limit(cli) -> None:
    import json

    from paa.core.habits.logs import NOTE_MAX

    assert cli("habit", "add", "Water", "--unit", "glasses", "--target", "8").code == 0
    first, second = "a" * 1200, "b" * 1200
    assert cli("habit", "log", "Water", "2", "--note", first).code == 0

    result = cli("habit", "log", "Water", "3", "--note", second)

    assert result.code == ExitCode.OK, result.err
    assert "5 of 8 glasses" in result.out
    assert f"at most {NOTE_MAX} characters" in result.out and "403 characters of this note" in result.out
    [log] = json.loads(cli("habit", "history", "Water", "--json").out)["logs"]
    assert log["value"] == 5
    assert len(log["note"]) == NOTE_MAX
    assert log["note"].startswith(first + "; bbb") and log["note"].endswith("b…")

    full = cli("habit", "skip", "Water", "--note", "one more")
    assert full.code == ExitCode.OK, full.err
    assert "8 characters of this note did not fit" in full.out
    assert len([line for line in full.out.splitlines() if "did not fit" in line]) == 1  # one line, said once
    [log] = json.loads(cli("habit", "history", "Water", "--json").out)["logs"]
    assert log["status"] == "skipped" and len(log["note"]) == NOTE_MAX
    again = json.loads(cli("habit", "log", "Water", "1", "--note", "and more", "--json").out)
    assert again["note_shortened"] is True and len(again["log"]["note"]) == NOTE_MAX  # said in JSON too


def test_a_note_that_fits_is_joined_whole(cli) -> None:
    import json

    assert cli("habit", "add", "Run").code == 0
    assert cli("habit", "log", "Run", "--note", "5 km").code == 0
    result = cli("habit", "log", "Run", "--note", "easy")
    assert "did not fit" not in result.out
    kept = json.loads(cli("habit", "log", "Run", "--note", "windy", "--json").out)
    assert kept["note_shortened"] is False and kept["log"]["note"] == "5 km; easy; windy"
    [log] = json.loads(cli("habit", "history", "Run", "--json").out)["logs"]
    assert log["note"] == "5 km; easy; windy"
