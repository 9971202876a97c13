"""What paa tells people, as they see it through the real CLI: help placeholders, output a script reads, words that
agree with their numbers, echoes of what was set, and the exit code of a step that was not confirmed."""

from __future__ import annotations

import re
from typing import Any

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _commands() -> list[tuple[str, ...]]:
    import typer
    import typer.core
    import typer.main

    from paa.cli.app import create_app

    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append(path)
        if isinstance(command, typer.core.TyperGroup):
            ctx = typer.Context(command, info_name=path[-1] if path else "paa")
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))

    walk(typer.main.get_command(create_app()), ())
    return found


# ---- help placeholders -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _commands(), ids=lambda path: " ".join(("paa", *path)))
def test_help_placeholders_are_capitals_and_flags_have_none(cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0, result.err
    text = ANSI.sub("", result.out)
    assert "<bool>" not in text
    assert not re.search(r"<(str|int|float|path|list\[\w+\]|\w+ range)>", text), text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert not re.search(r"\{\w+\}", usage), usage  # {name} in the usage line: now NAME
    for word in usage.split("Usage: ", 1)[1].split()[len(path) + 1 :]:  # after "paa" and the command's words
        assert word == word.upper(), f"placeholder {word!r} in {usage!r}"


def test_an_argument_and_an_option_value_as_help_shows_them(cli) -> None:
    text = ANSI.sub("", cli("habit", "add", "--help").out)
    assert "Usage: paa habit add [OPTIONS] NAME" in text
    assert re.search(r"\* +NAME +TEXT +Name of the habit\.", text)
    assert re.search(r"--target +NUMBER +Daily target", text)
    assert re.search(r"--json +Print JSON", text)  # a flag: nothing between the flag and its help
    assert re.search(r"--help +-h +Show this message", text)
    assert "Usage: paa users role [OPTIONS] USERNAME ROLE" in ANSI.sub("", cli("users", "role", "--help").out)


def test_a_missing_argument_is_named_as_help_names_it(cli) -> None:
    result = cli("habit", "add")
    assert result.code == 2
    assert result.err.splitlines()[0] == "paa: error: Missing argument 'NAME'."


# ---- output a script reads ----------------------------------------------------------------------------------


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """COLUMNS says 40: a terminal that narrow would wrap, a pipe must not."""
    from paa.cli.output import console

    monkeypatch.setenv("COLUMNS", "40")
    console.cache_clear()


def test_config_show_in_a_pipe_keeps_each_setting_on_one_line(cli, narrow) -> None:
    result = cli("config", "show")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    color = next(line for line in lines if line.startswith("color "))
    assert "Colour in human output: auto (only on a terminal, never with NO_COLOR), always or never." in color
    assert all(line.split()[0] in {"Setting"} | _setting_keys() for line in lines if line.strip())


def _setting_keys() -> set[str]:
    from paa.config import KEYS

    return set(KEYS)


def test_doctor_in_a_pipe_never_breaks_a_path(cli, narrow, paa_home) -> None:
    result = cli("doctor")
    paths = next(line for line in result.out.splitlines() if "paths:" in line)
    assert f"cache {paa_home / 'cache'}; logs {paa_home / 'logs'}" in paths
    assert all(line[:1] in "•✓!✗ " for line in result.out.splitlines() if line)  # no continuation lines


def test_a_terminal_still_wraps_at_its_width(monkeypatch: pytest.MonkeyPatch, narrow) -> None:
    import sys

    from paa.cli.output import console

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    console.cache_clear()
    assert console().width == 40
    console.cache_clear()
