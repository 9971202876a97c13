"""What paa tells people, as they see it through the real CLI: help placeholders, output a script reads, words that
agree with their numbers, echoes of what was set, and the exit code of a step that was not confirmed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


# ---- words that agree with their numbers, and echoes of what was set ----------------------------------------


def test_plural_and_units_agree_with_their_numbers() -> None:
    from paa.core.words import amount, plural, unit_for

    assert [plural(n, "day") for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert plural(1, "reply", "replies") == "1 reply" and plural(3, "reply", "replies") == "3 replies"
    assert [amount(1, u) for u in ("cups", "glasses", "km", "minutes", "inches", "calories", "kWh", "glass")] == [
        "1 cup", "1 glass", "1 km", "1 minute", "1 inch", "1 calorie", "1 kWh", "1 glass",
    ]  # fmt: skip
    assert [amount(v, "cups") for v in (0, 2, 1.5)] == ["0 cups", "2 cups", "1.5 cups"]
    assert amount(1.0, None) == "1" and unit_for(None, "cups") == "cups"


@pytest.fixture
def first_day(cli) -> None:
    """A new user's first day: an at-most coffee habit with one cup logged, and a run."""
    assert cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most").code == 0
    assert cli("habit", "add", "Run").code == 0
    assert cli("habit", "log", "coffee", "1").code == 0
    assert cli("habit", "log", "run").code == 0


@pytest.mark.parametrize(
    ("args", "wanted", "unwanted"),
    [
        (("habit", "show", "coffee"), ["1 cup in all"], ["1 cups"]),
        (("habit", "history", "coffee"), [" 1 cup "], ["1 cups"]),
        (("analytics", "summary"), ["last 1 day (", "active 1/1 day ·"], ["1 days"]),
        (("analytics", "habit", "run"), ["Streak       1 day (since", "best 1 day (", "(1 day, 0–100%)"], ["1 days"]),
        (("analytics", "engagement"), ["(1 day)"], ["1 days"]),
    ],
    ids=["show", "history", "summary", "habit", "engagement"],
)  # fmt: skip
def test_first_day_reports_speak_in_the_singular(cli, first_day, args, wanted, unwanted) -> None:
    result = cli(*args)
    assert result.code == 0, result.err
    for text in wanted:
        assert text in result.out, result.out
    for text in unwanted:
        assert text not in result.out, result.out


def test_the_assistant_says_streak_1_day(cli, first_day, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # nothing piped in
    answer = cli("chat", "--offline", "how am I doing with running?")
    assert "streak 1 day," in answer.out and "1 days" not in answer.out


def test_add_echoes_the_target_and_edit_echoes_the_reminders(cli) -> None:
    added = cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most")
    assert added.out == "Added Coffee (#1): every day, at most 2 cups a day.\n"
    water = cli("habit", "add", "Water", "--unit", "glasses", "--target", "1")
    assert water.out == "Added Water (#2): every day, 1 glass a day.\n"
    edited = cli("habit", "edit", "water", "--remind", "09:00,15:00", "--target", "8")
    assert edited.out == "Updated Water (#2): every day, 8 glasses a day, reminders at 09:00, 15:00.\n"
    run = cli("habit", "add", "Run", "--days", "mon,wed", "--remind", "07:00")
    assert run.out == "Added Run (#3): Mon, Wed, reminders at 07:00.\n"


# ---- a step that was not confirmed ----------------------------------------------------------------------------


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


@pytest.mark.parametrize(
    ("setup", "args"),
    [
        (("habit", "add", "Run"), ("habit", "delete", "run")),
        (("chat", "--offline", "hi"), ("chat", "delete", "1")),
        (("memory", "add", "my knee hurts"), ("memory", "forget", "1")),
        (("auth", "key", "set", "anthropic"), ("auth", "key", "remove", "anthropic")),
    ],
    ids=["habit delete", "chat delete", "memory forget", "auth key remove"],
)  # fmt: skip
def test_not_confirmed_without_a_terminal_has_its_own_documented_code(cli, monkeypatch, setup, args) -> None:
    from paa.errors import ExitCode

    _stdin(monkeypatch, "sk-ant-api03-" + "x" * 40 + "\n")  # the key `auth key set` reads; a pipe, not a terminal
    assert cli(*setup).code == 0
    _stdin(monkeypatch, "")
    result = cli(*args)
    assert result.code == ExitCode.NOT_CONFIRMED == 11
    assert "(not confirmed)" in result.err and "--yes" in result.err
    assert cli(*args, "--yes").code == 0
    documented = (ROOT / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    assert "| 11 | `NOT_CONFIRMED` |" in documented


def test_answering_no_is_not_confirmed_and_ctrl_c_stays_aborted(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import typer

    assert cli("habit", "add", "Run").code == 0
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(typer, "confirm", lambda *args, **kwargs: False)
    said_no = cli("habit", "delete", "run")
    assert (said_no.code, said_no.err.splitlines()[0]) == (11, "paa: error: nothing was changed")

    def ctrl_c(*args: object, **kwargs: object) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(typer, "confirm", ctrl_c)
    assert cli("habit", "delete", "run").code == 130
    assert cli("habit", "show", "run").code == 0  # still there


# ---- the real executable ------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_an_idle_pipe_does_not_hold_up_the_real_paa_chat(paa_home) -> None:
    """`sleep 20 | paa chat "hi"`: the writer stays open and silent; paa answers and exits on its own."""
    import subprocess

    from tests.support.processes import child_env, paa_executable
    from tests.support.waiting import GIVE_UP_SECONDS

    with subprocess.Popen(
        [paa_executable(), "chat", "--offline", "hi"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=child_env(),
    ) as child:  # fmt: skip
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        try:
            code = child.wait(timeout=GIVE_UP_SECONDS)  # stdin is never written to nor closed while it runs
        finally:
            child.stdin.close()
        out, err = child.stdout.read(), child.stderr.read()  # a few lines: they fit in the pipes' buffers
    assert code == 0, err
    assert out.startswith("Hello! I'm running offline")


# ---- building only what runs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "subcommand"),
    [
        (["habit", "log", "water"], "log"),
        (["--user", "bob", "habit", "today"], "today"),
        (["checkin", "prompts", "list"], "prompts"),
        (["habit", "--help"], None),
        (["habit"], None),
        (["--help", "habit", "log"], None),
        (["checkin", "--mood", "4"], None),
    ],
)
def test_the_word_after_the_group_is_the_subcommand_to_build(argv: list[str], subcommand: str | None) -> None:
    from paa.cli.main import _subcommand_named

    assert _subcommand_named(argv) == subcommand


def test_a_subcommand_run_builds_only_that_subcommand(cli) -> None:
    """`paa habit log ...` builds just `log` of its group (Typer reads every built command's signature); a word that
    names none of them (a typo) builds them all, so the error suggests the right one as before."""
    import typer.main

    from paa.cli.app import create_app

    habit = typer.main.get_command(create_app(only="habit", subcommand="log")).commands["habit"]  # type: ignore[attr-defined]
    assert list(habit.commands) == ["log"]
    prompts = typer.main.get_command(create_app(only="checkin", subcommand="prompts")).commands["checkin"]  # type: ignore[attr-defined]
    assert list(prompts.commands) == ["prompts"]
    every = typer.main.get_command(create_app(only="habit", subcommand="lgo")).commands["habit"]  # type: ignore[attr-defined]
    assert {"add", "list", "log", "today", "delete"} <= set(every.commands)
    typo = cli("habit", "lgo", "water")
    assert typo.code == 2 and "No such command 'lgo'. Did you mean 'log'?" in typo.err
    assert cli("habit", "add", "Water").code == 0
    assert "Water" in cli("habit", "list").out
