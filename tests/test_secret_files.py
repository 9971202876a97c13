"""Secrets read from files named by `*_FILE` variables (PAA_DB_URL_FILE, ...), as containers hand them over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paa.config_sources import SECRET_VARIABLES, read_secret_files
from paa.core.runtime import Environment
from paa.errors import ConfigError, ExitCode


def _secret(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / "secrets" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_a_file_variable_gives_the_value_without_its_line_break_and_is_dropped(tmp_path: Path) -> None:
    path = _secret(tmp_path, "redis_url", "redis://:s3cret@redis:6379/0\n")

    values = read_secret_files({"PAA_REDIS_URL_FILE": str(path), "PAA_COLOR": "never"})

    assert values == {"PAA_REDIS_URL": "redis://:s3cret@redis:6379/0", "PAA_COLOR": "never"}
    assert read_secret_files(values) == values  # read twice (the CLI, then its runtime): the same


def test_every_secret_variable_may_come_from_a_file(tmp_path: Path) -> None:
    environ = {}
    for name in SECRET_VARIABLES:
        environ[name + "_FILE"] = str(_secret(tmp_path, name.lower(), f"value-of-{name}\r\n"))

    values = read_secret_files(environ)

    assert values == {name: f"value-of-{name}" for name in SECRET_VARIABLES}


def test_other_file_variables_are_left_alone(tmp_path: Path) -> None:
    # Only secrets are read from files: PAA_HOME_FILE is nobody's, and stays a plain variable.
    environ = {"PAA_HOME_FILE": str(tmp_path), "SOMETHING_FILE": "/nowhere"}

    assert read_secret_files(environ) == environ


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "is empty"),
        ("\n", "is empty"),
        ("postgresql+psycopg://a@b/c\nsecond line\n", "more than one line"),
        (b"\xff\xfe", "not UTF-8"),
        ("x" * (64 * 1024 + 1), "larger than a secret"),
    ],
)
def test_a_file_that_holds_no_single_secret_is_an_error_naming_the_variable(
    tmp_path: Path, content: str | bytes, words: str
) -> None:
    path = _secret(tmp_path, "db_url", content)

    with pytest.raises(ConfigError, match=words) as raised:
        read_secret_files({"PAA_DB_URL_FILE": str(path)})

    assert raised.value.field == "PAA_DB_URL_FILE" and "PAA_DB_URL_FILE" in raised.value.message


def test_a_missing_file_is_an_error_naming_the_variable_and_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-secret"

    with pytest.raises(ConfigError, match="cannot read") as raised:
        read_secret_files({"ANTHROPIC_API_KEY_FILE": str(missing)})

    assert str(missing) in raised.value.message and raised.value.field == "ANTHROPIC_API_KEY_FILE"


def test_a_variable_and_its_file_together_are_refused(tmp_path: Path) -> None:
    path = _secret(tmp_path, "db_url", "sqlite:////somewhere/paa.db\n")

    with pytest.raises(ConfigError, match="both set") as raised:
        read_secret_files({"PAA_DB_URL": "sqlite:////elsewhere/paa.db", "PAA_DB_URL_FILE": str(path)})

    assert raised.value.field == "PAA_DB_URL_FILE"


def test_the_runtime_takes_the_database_url_from_its_file(tmp_path: Path, paa_home: Path) -> None:
    database = tmp_path / "elsewhere" / "paa.db"
    path = _secret(tmp_path, "db_url", f"sqlite:///{database}\n")

    environment = Environment.from_environ({**os.environ, "PAA_DB_URL_FILE": str(path)})

    assert environment.settings.database_url == f"sqlite:///{database}"
    assert environment.loaded.sources["database_url"] == "env"
    assert "PAA_DB_URL_FILE" not in environment.environ


def test_a_command_uses_the_database_the_file_names(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "elsewhere" / "paa.db"
    database.parent.mkdir()
    monkeypatch.setenv("PAA_DB_URL_FILE", str(_secret(tmp_path, "db_url", f"sqlite:///{database}\n")))

    added = cli("habit", "add", "Read")

    assert added.code == 0, added.err
    assert database.is_file()  # the file's URL, not the SQLite file in PAA_HOME
    listed = cli("habit", "list")
    assert "Read" in listed.out


def test_a_command_with_an_unreadable_secret_file_says_so_in_one_line(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAA_DB_URL_FILE", str(tmp_path / "missing"))

    result = cli("habit", "list")

    assert result.code == ExitCode.CONFIG
    assert "PAA_DB_URL_FILE" in result.err and "Traceback" not in result.err


def test_serve_takes_redis_from_its_file_before_starting_workers(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Several workers need Redis: named by PAA_REDIS_URL_FILE, it counts (here it does not answer, which is the next
    # check), where without it `--workers 2` is refused for having no Redis at all.
    monkeypatch.setenv("PAA_REDIS_URL_FILE", str(_secret(tmp_path, "redis_url", "redis://127.0.0.1:1/0\n")))

    result = cli("serve", "--workers", "2", "--port", "0")

    assert result.code == ExitCode.CONFIG, result.err
    assert "cannot reach Redis at PAA_REDIS_URL" in result.err and "needs Redis" not in result.err


def test_paths_and_doctor_work_with_a_secret_file_that_cannot_be_read(
    cli, tmp_path: Path, paa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAA_DB_URL_FILE", str(tmp_path / "missing"))

    path = cli("config", "path")
    doctor = cli("doctor")

    assert path.code == 0 and path.out.strip() == str(paa_home / "config.toml")  # paths need no secret
    assert "config" in doctor.out and "PAA_DB_URL_FILE: cannot read" in doctor.out  # reported as a check
    assert "Traceback" not in doctor.err


def test_serve_names_a_redis_file_it_cannot_read(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REDIS_URL_FILE", str(tmp_path / "missing"))

    result = cli("serve", "--workers", "2", "--port", "0")

    assert result.code == ExitCode.CONFIG
    assert "PAA_REDIS_URL_FILE: cannot read" in result.err and "needs Redis" not in result.err
