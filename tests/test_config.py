"""Settings: precedence, validation naming the key, and the `paa config` commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from paa.config import field_for_key, load_settings, resolve_paths
from paa.errors import ConfigError


def test_paa_home_holds_every_path(paa_home: Path) -> None:
    paths = resolve_paths(os.environ)
    assert paths.data_dir == paa_home
    assert paths.config_file == paa_home / "config.toml"
    assert paths.database_file == paa_home / "paa.db"
    assert paths.cache_dir.parent == paa_home and paths.log_dir.parent == paa_home


def test_platform_paths_without_paa_home() -> None:
    paths = resolve_paths({"HOME": "/home/someone", "XDG_DATA_HOME": "/xdg/data", "XDG_CONFIG_HOME": "/xdg/config"})
    assert str(paths.data_dir).endswith("paa") and str(paths.config_file).endswith("paa/config.toml")


def test_keys_accept_dots_and_underscores() -> None:
    assert field_for_key("checkin.time") == field_for_key("checkin_time") == "checkin_time"
    assert field_for_key("Day-Start-Hour") == "day_start_hour"
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        field_for_key("colour")


def test_precedence_env_over_file_over_default(paa_home: Path) -> None:
    paa_home.mkdir(parents=True)
    (paa_home / "config.toml").write_text('color = "never"\nweek_start = "sunday"\n')
    loaded = load_settings(resolve_paths(os.environ), {"PAA_HOME": str(paa_home), "PAA_COLOR": "always"})
    assert loaded.settings.color == "always" and loaded.sources["color"] == "env"
    assert loaded.settings.week_start == "sunday" and loaded.sources["week_start"] == "file"
    assert loaded.settings.checkin_time == "21:00" and loaded.sources["checkin_time"] == "default"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("colour = 'never'\n", "unknown setting 'colour'"),
        ("day_start_hour = 30\n", "day_start_hour:"),
        ("[checkin]\ntime = '25:00'\n", "checkin.time:"),
        ("timezone = 'Mars/Olympus'\n", "unknown time zone"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_file_is_an_error_naming_the_key(cli, paa_home: Path, content: str, message: str) -> None:
    paa_home.mkdir(parents=True)
    (paa_home / "config.toml").write_text(content)
    result = cli("habit", "list")
    assert result.code == 7
    assert message in result.err
    assert "Traceback" not in result.err


def test_bad_environment_value_names_the_variable(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_DAY_START_HOUR", "noon")
    result = cli("habit", "list")
    assert result.code == 7
    assert "PAA_DAY_START_HOUR" in result.err


def test_config_set_get_show_unset(cli, paa_home: Path) -> None:
    overridden = cli("config", "set", "timezone", "Europe/Berlin")
    assert overridden.code == 0
    assert "PAA_TIMEZONE is set in the environment and takes precedence" in overridden.out
    assert cli("config", "get", "timezone").out.strip() == "UTC"  # the fixture's PAA_TIMEZONE wins
    assert cli("config", "set", "checkin.time", "7:05").code == 0
    assert cli("config", "get", "checkin_time").out.strip() == "07:05"
    assert cli("config", "set", "color", "never").code == 0
    assert 'color = "never"' in (paa_home / "config.toml").read_text()

    shown = {row["key"]: row for row in json.loads(cli("config", "show", "--json").out)}
    assert shown["timezone"]["value"] == "UTC" and shown["timezone"]["source"] == "env"
    assert shown["color"] == {
        "key": "color",
        "value": "never",
        "source": "file",
        "scope": "install",
        "description": shown["color"]["description"],
    }
    assert "terminal" in shown["color"]["description"]

    bad = cli("config", "set", "day_start_hour", "24")
    assert bad.code == 7 and "day_start_hour" in bad.err
    assert cli("config", "unset", "color").code == 0
    assert "color" not in (paa_home / "config.toml").read_text()


def test_stored_preference_applies_without_env(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAA_TIMEZONE")
    cli("config", "set", "timezone", "Asia/Tokyo")
    shown = {row["key"]: row for row in json.loads(cli("config", "show", "--json").out)}
    assert shown["timezone"]["value"] == "Asia/Tokyo" and shown["timezone"]["source"] == "stored"
    # 2026-11-26 12:00 UTC is 21:00 in Tokyo, still the 26th; at 16:00 UTC it is the 27th there.
    monkeypatch.setenv("PAA_NOW", "2026-11-26T16:00:00+00:00")
    cli("habit", "add", "Read")
    logged = json.loads(cli("habit", "log", "read", "--json").out)
    assert logged["log"]["day"] == "2026-11-27"


def test_config_path(cli, paa_home: Path) -> None:
    assert cli("config", "path").out.strip() == str(paa_home / "config.toml")
    lines = dict(line.split("\t") for line in cli("config", "path", "--all").out.splitlines())
    assert lines["database"] == str(paa_home / "paa.db")


def test_doctor_reports_database_and_timezone(cli) -> None:
    result = cli("doctor", "--json")
    assert result.code == 0
    checks = {c["name"]: c for c in json.loads(result.out)}
    assert checks["database"]["status"] == "ok"
    assert "journal wal" in checks["database"]["detail"]
    assert checks["timezone"]["detail"].startswith("UTC")
    assert checks["api key"]["status"] == "warn"


def test_config_set_edits_the_file_keeping_comments_and_other_values(cli, paa_home: Path) -> None:
    paa_home.mkdir(parents=True, exist_ok=True)
    (paa_home / "config.toml").write_text(
        '# my paa settings\ncolor = "never"  # no colours please\ntui_theme = "nord"\n\n'
        '[smtp]\n# the office relay\nhost = "mail.example.org"\n'
    )
    assert cli("config", "set", "tui.theme", "gruvbox").code == 0
    assert cli("config", "set", "smtp.port", "465").code == 0
    text = (paa_home / "config.toml").read_text()
    assert "# my paa settings" in text and 'color = "never"  # no colours please' in text
    assert "# the office relay" in text and 'host = "mail.example.org"' in text
    assert "tui_theme" not in text  # the other spelling of the key, replaced rather than left to compete
    import tomllib

    assert tomllib.loads(text)["tui"] == {"theme": "gruvbox"} and tomllib.loads(text)["smtp"]["port"] == 465
    assert cli("config", "get", "tui.theme").out.strip() == "gruvbox"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("memory.chroma_url", "chroma:8000", "must be an http:// or https:// URL"),
        ("memory.chroma_url", "ftp://chroma:8000", "must be an http:// or https:// URL"),
        ("memory.chroma_url", "http://chroma:99999", "port that is not a number from 1 to 65535"),
        ("memory.chroma_url", "http://chroma:8000/api/v2", "must name the server only"),
        ("memory.chroma_url", "http://admin:pw@chroma:8000", "must not hold a user or password"),
        ("memory.chroma_prefix", "my team", "only letters, digits"),
        ("memory.chroma_prefix", "paa_", "must start and end with a letter or a digit"),
        ("memory.chroma_prefix", "p" * 41, "1 to 40 characters"),
        ("memory.chroma_timeout_seconds", "0", "memory.chroma_timeout_seconds"),
    ],
)
def test_chroma_settings_are_checked(cli, paa_home: Path, key: str, value: str, message: str) -> None:
    bad = cli("config", "set", key, value)
    assert bad.code == 7 and message in bad.err and "Traceback" not in bad.err
    assert not (paa_home / "config.toml").exists() or key.split(".")[1] not in (paa_home / "config.toml").read_text()


def test_chroma_settings_are_kept_and_the_token_never_shown(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("config", "set", "memory.chroma_url", "https://chroma.internal:8443/").code == 0
    assert cli("config", "get", "memory.chroma_url").out.strip() == "https://chroma.internal:8443"
    assert cli("config", "set", "memory.chroma_prefix", "team-a").code == 0
    monkeypatch.setenv("PAA_MEMORY_CHROMA_TOKEN", "s3cret-chroma-token")
    shown = cli("config", "show", "--json")
    rows = {row["key"]: row for row in json.loads(shown.out)}
    assert rows["memory.chroma_prefix"]["value"] == "team-a"
    assert rows["memory.chroma_token"]["source"] == "env" and "s3cret-chroma-token" not in shown.out


def test_doctor_says_where_memory_vectors_live_without_chroma(cli) -> None:
    checks = {c["name"]: c for c in json.loads(cli("doctor", "--json").out)}
    assert checks["chroma"]["status"] == "info" and "paa's own store" in checks["chroma"]["detail"]
