"""`paa checkin` through the CLI entry point: scripted, from stdin, interactive, and the subcommands."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clock import FIXED_NOW
from tests.support.processes import paa_executable
from tests.support.warm import both_paths

pytestmark = pytest.mark.usefixtures("migrated_home")  # a ready database (tests/conftest.py)


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch):
    """Feed bytes to stdin as a pipe would (not a terminal)."""

    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    return feed


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch):
    """Pretend stdin is a terminal on which the user types `text`."""
    import paa.cli.checkin

    def type_in(text: str) -> None:
        monkeypatch.setattr(paa.cli.checkin, "stdin_is_terminal", lambda: True)
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    return type_in


def stored(cli) -> list[dict]:
    result = cli("checkin", "history", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["checkins"]


def assert_clean_error(result, code: int, message: str) -> None:
    assert result.code == code, (result.out, result.err)
    assert result.out == ""
    assert result.err.startswith("paa: error: ") and message in result.err.splitlines()[0]
    assert "Traceback" not in result.err


# ---- scripted -----------------------------------------------------------------------------------


def test_walkthrough(cli) -> None:
    assert json.loads(cli("checkin", "prompts", "list", "--json").out) == [
        {"position": 1, "text": "How was your day?"},
        {"position": 2, "text": "Any wins today?"},
    ]
    assert cli("checkin", "prompts", "add", "What drained you?").out.strip() == "Added prompt 3: What drained you?"
    assert cli("habit", "add", "Run").code == 0

    done = cli(
        "checkin", "--mood", "4", "--energy", "3", "-a", "A calm, happy day", "-a", "Fixed the bug", "-a", "Meetings"
    )
    assert done.code == 0, done.err
    assert done.out.splitlines()[0].startswith("Checked in for 2026-11-26: mood 4/5, energy 3/5, 3 answers, sentiment")
    assert "nothing to compare with yet" in done.out and "Still open today: Run." in done.out

    shown = json.loads(cli("checkin", "show", "2026-11-26", "--json").out)
    assert shown["mood"] == 4 and shown["energy"] == 3
    assert [a["prompt"] for a in shown["answers"]] == ["How was your day?", "Any wins today?", "What drained you?"]
    assert shown["sentiment"]["label"] == "positive" and shown["sentiment"]["source"] == "vader"
    assert stored(cli) == [shown]

    human = cli("checkin", "show")
    assert human.code == 0
    assert "Thursday 26 November 2026" in human.out and "●●●●○ 4/5" in human.out
    assert "What drained you?\nMeetings" in human.out


def test_json_output_of_a_checkin(cli) -> None:
    result = cli("checkin", "--mood", "2", "--answer", "Rough", "--date", "yesterday", "--json")
    data = json.loads(result.out)
    assert data["outcome"] == "created"
    assert data["checkin"]["day"] == "2026-11-25"
    assert data["reflection"]["open_habits"] is None  # only today has habits "still open"
    assert set(data["reflection"]) == {"day", "mood", "week", "mood_vs_week", "open_habits", "text"}


def test_a_second_run_needs_append_or_replace(cli) -> None:
    cli("checkin", "--mood", "3", "--answer", "first")
    again = cli("checkin", "--mood", "5", "--answer", "second")
    assert_clean_error(again, 5, "there is already a check-in for 2026-11-26")
    assert "--append" in again.err and "--replace" in again.err
    assert [a["answer"] for a in stored(cli)[0]["answers"]] == ["first"]

    appended = cli("checkin", "--append", "--answer", "later", "--answer", "a win")
    assert appended.code == 0 and appended.out.startswith("Added to the check-in of 2026-11-26: mood 3/5, 3 answers")
    replaced = cli("checkin", "--replace", "--mood", "5", "--answer", "start over")
    assert replaced.code == 0 and replaced.out.startswith("Replaced the check-in of 2026-11-26: mood 5/5, 1 answer,")
    [day] = stored(cli)
    assert (day["mood"], [a["answer"] for a in day["answers"]]) == (5, ["start over"])
    assert_clean_error(cli("checkin", "--append", "--replace", "-a", "x"), 3, "cannot be used together")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--mood", "0", "-a", "x"), "mood must be a whole number from 1 to 5 (got 0)"),
        (("--mood", "9", "-a", "x"), "mood must be a whole number from 1 to 5 (got 9)"),
        (("--mood", "3", "--energy", "6", "-a", "x"), "energy must be a whole number from 1 to 5"),
        (("--mood", "3", "-a", "x", "--date", "2026-11-27"), "2026-11-27 is in the future"),
        (("--mood", "3", "-a", "  "), "the answer to 'How was your day?' cannot be empty"),
        (("--mood", "3", "-a", "fine", "-a", ""), "the answer to 'Any wins today?' cannot be empty"),
        (("--mood", "3", "-a", "x" * 100_000), "is too long (100000 characters; the limit is 10000)"),
        (("--mood", "3", "-a", "1", "-a", "2", "-a", "3"), "3 answers for 2 prompts"),
        (("-a", "no mood"), "a check-in needs a mood from 1 to 5"),
    ],
    ids=["mood-0", "mood-9", "energy-6", "future", "blank", "empty", "huge", "too-many", "no-mood"],
)
def test_bad_input_is_refused_and_nothing_is_written(cli, args: tuple[str, ...], message: str) -> None:
    assert_clean_error(cli("checkin", *args), 3, message)
    assert stored(cli) == []


# ---- stdin --------------------------------------------------------------------------------------


def test_answers_on_stdin_one_line_per_prompt(cli, stdin) -> None:
    stdin("\nShipped the release 🎉\n\n".encode())
    result = cli("checkin", "--mood", "5")
    assert result.code == 0, result.err
    [day] = stored(cli)
    assert day["answers"] == [{"prompt": "Any wins today?", "answer": "Shipped the release 🎉"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"caf\xe9 au lait\n", "the input is not valid UTF-8 (byte 0xe9 at offset 3)"),
        (b"x" * 1_000_000, "the input is too large (more than 256 KiB)"),
        (b"y" * 20_000 + b"\n", "is too long (20000 characters; the limit is 10000)"),
        (b"", "no answers given"),
        (b"\n  \n\n", "no answers given"),
        (b"a\nb\nc\n", "3 answers for 2 prompts"),
    ],
    ids=["not-utf8", "1MB", "long-line", "empty", "blank", "too-many"],
)
def test_bad_stdin_is_refused_and_nothing_is_written(cli, stdin, data: bytes, message: str) -> None:
    stdin(data)
    assert_clean_error(cli("checkin", "--mood", "3"), 3, message)
    assert stored(cli) == []


def test_answer_options_win_over_stdin(cli, stdin) -> None:
    stdin(b"\xff not read\n")
    assert cli("checkin", "--mood", "3", "--answer", "from the option").code == 0
    assert stored(cli)[0]["answers"][0]["answer"] == "from the option"


# ---- interactive --------------------------------------------------------------------------------


def test_interactive_checkin_asks_each_prompt_then_mood_and_energy(cli, terminal) -> None:
    terminal("A lovely, relaxed day\n\nnine\n4\n\n")
    result = cli("checkin")
    assert result.code == 0, result.err
    assert "How was your day?" in result.err and "Any wins today?" in result.err
    assert "mood must be a whole number from 1 to 5 (got 'nine')" in result.err  # asked again, not aborted
    assert result.out.startswith("Checked in for 2026-11-26: mood 4/5, 1 answer, sentiment positive")
    [day] = stored(cli)
    assert (day["mood"], day["energy"]) == (4, None)
    assert day["answers"] == [{"prompt": "How was your day?", "answer": "A lovely, relaxed day"}]


def test_interactive_json_keeps_questions_off_stdout(cli, terminal) -> None:
    terminal("Fine\nNone\n3\n2\n")
    result = cli("checkin", "--json")
    assert json.loads(result.out)["checkin"]["energy"] == 2
    assert "Mood (1-5)" in result.err


def test_interactive_rerun_can_edit(cli, terminal) -> None:
    cli("checkin", "--mood", "2", "--energy", "4", "--answer", "Slow start")
    terminal("e\n\nFinished the book\n\n\n")  # keep answer 1, answer prompt 2, keep mood and energy
    result = cli("checkin")
    assert result.code == 0, result.err
    assert "now: Slow start" in result.err
    assert result.out.startswith("Updated the check-in of 2026-11-26: mood 2/5, energy 4/5, 2 answers")
    [day] = stored(cli)
    assert [a["answer"] for a in day["answers"]] == ["Slow start", "Finished the book"]


def test_interactive_edit_can_remove_an_answer(cli, terminal) -> None:
    cli("checkin", "--mood", "2", "--answer", "one", "--answer", "two")
    terminal("-\n\n5\n\n")
    assert cli("checkin", "edit").code == 0
    [day] = stored(cli)
    assert (day["mood"], [a["answer"] for a in day["answers"]]) == (5, ["two"])


def test_interactive_rerun_can_append(cli, terminal) -> None:
    cli("checkin", "--mood", "2", "--answer", "Morning was hard")
    terminal("what?\na\nEvening was wonderful\n\n\n\n")
    result = cli("checkin")
    assert result.code == 0, result.err
    assert "Type e, a or q." in result.err
    [day] = stored(cli)
    assert day["mood"] == 2
    assert [a["answer"] for a in day["answers"]] == ["Morning was hard", "Evening was wonderful"]


@pytest.mark.parametrize("typed", ["q\n", "e\n", "Half an answer\n"], ids=["quit", "eof-while-editing", "eof"])
def test_interactive_quit_or_end_of_input_saves_nothing(cli, terminal, typed: str) -> None:
    cli("checkin", "--mood", "2", "--answer", "original", "--date", "yesterday")
    terminal(typed)
    args = ("checkin", "--date", "yesterday") if typed != "Half an answer\n" else ("checkin",)
    result = cli(*args)
    assert result.code == 130
    assert [d["day"] for d in stored(cli)] == ["2026-11-25"]
    assert stored(cli)[0]["answers"] == [{"prompt": "How was your day?", "answer": "original"}]


def test_interactive_refuses_an_answer_until_it_is_usable(cli, terminal) -> None:
    terminal("x" * 10_001 + "\nShort and sweet\n\n3\n\n")
    assert cli("checkin").code == 0
    assert stored(cli)[0]["answers"][0]["answer"] == "Short and sweet"


# ---- history, show, edit ------------------------------------------------------------------------


def test_history_range_and_rendering(cli) -> None:
    for day, mood, text in [("-10", "1", "Awful"), ("-2", "3", "[bold]not markup[/]"), ("today", "5", "Great")]:
        assert cli("checkin", "--mood", mood, "--answer", text, "--date", day).code == 0
    ranged = json.loads(cli("checkin", "history", "--from", "-3", "--to", "yesterday", "--json").out)
    assert (ranged["from"], ranged["to"], ranged["count"]) == ("2026-11-23", "2026-11-25", 1)
    assert ranged["checkins"][0]["answers"][0]["answer"] == "[bold]not markup[/]"
    human = cli("checkin", "history")
    assert human.code == 0
    lines = human.out.splitlines()
    assert lines[1].startswith("Thu 2026-11-26") and lines[3].startswith("Mon 2026-11-16")
    assert "[bold]not markup[/]" in human.out
    assert "3 check-ins, average mood 3/5" in human.out
    assert_clean_error(cli("checkin", "history", "--to", "2026-12-01"), 3, "is in the future")
    assert_clean_error(cli("checkin", "history", "--from", "today", "--to", "-1"), 3, "is after")


def test_empty_history_and_missing_day(cli) -> None:
    assert "No check-ins yet" in cli("checkin", "history").out
    assert json.loads(cli("checkin", "history", "--json").out)["checkins"] == []
    assert_clean_error(cli("checkin", "show", "yesterday"), 4, "no check-in on 2026-11-25")
    assert_clean_error(cli("checkin", "edit", "yesterday", "--mood", "3"), 4, "no check-in on 2026-11-25")


def test_edit_command(cli) -> None:
    cli("checkin", "--mood", "2", "--energy", "2", "--answer", "Meh", "--answer", "Nothing", "--date", "-1")
    edited = cli("checkin", "edit", "yesterday", "--mood", "4", "--json")
    assert json.loads(edited.out)["outcome"] == "edited"
    assert cli("checkin", "edit", "yesterday", "--no-energy").code == 0
    assert cli("checkin", "edit", "yesterday", "--answer", "Better than I said").code == 0
    [day] = stored(cli)
    assert (day["mood"], day["energy"]) == (4, None)
    assert day["answers"] == [{"prompt": "How was your day?", "answer": "Better than I said"}]
    assert_clean_error(cli("checkin", "edit", "yesterday"), 3, "nothing to change")
    assert_clean_error(cli("checkin", "edit", "yesterday", "--mood", "0"), 3, "mood must be")
    assert_clean_error(cli("checkin", "edit", "yesterday", "--energy", "2", "--no-energy"), 3, "together")
    assert stored(cli)[0]["mood"] == 4


def test_prompt_commands(cli) -> None:
    assert cli("checkin", "prompts", "add", "Grateful for?", "--at", "1").out.strip() == "Added prompt 1: Grateful for?"
    assert cli("checkin", "prompts", "remove", "any wins").out.strip() == "Removed prompt 3: Any wins today?"
    reordered = cli("checkin", "prompts", "reorder", "2")
    assert reordered.out.splitlines() == [" 1. How was your day?", " 2. Grateful for?"]
    assert_clean_error(cli("checkin", "prompts", "add", "grateful FOR?"), 5, "already in the list")
    assert_clean_error(cli("checkin", "prompts", "reorder", "3"), 3, "no prompt number 3")
    cli("checkin", "prompts", "remove", "1")
    assert_clean_error(cli("checkin", "prompts", "remove", "1"), 3, "at least one prompt")
    # A check-in now asks only the remaining prompt.
    cli("checkin", "--mood", "3", "--answer", "Thankful for tea")
    assert stored(cli)[0]["answers"] == [{"prompt": "Grateful for?", "answer": "Thankful for tea"}]


def test_every_checkin_command_has_help(cli) -> None:
    for args in [(), ("history",), ("show",), ("edit",), ("prompts",), ("prompts", "add"), ("prompts", "reorder")]:
        result = cli("checkin", *args, "--help")
        assert result.code == 0 and "Usage: paa checkin" in result.out


# ---- the real executable ------------------------------------------------------------------------


@pytest.mark.e2e
@both_paths
def test_installed_paa_reads_answers_from_a_pipe(run_paa) -> None:
    done = run_paa("checkin", "--mood", "4", "--json", input="Sunny and calm\nA long walk\n")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [a["answer"] for a in data["checkin"]["answers"]] == ["Sunny and calm", "A long walk"]


@pytest.mark.e2e
def test_installed_paa_asks_on_a_terminal(run_paa) -> None:
    pty = pytest.importorskip("pty")  # POSIX only
    leader, follower = pty.openpty()
    try:
        # The terminal buffers the typed lines until paa reads them; Ctrl-D is never needed.
        os.write(leader, b"Productive morning\n\n4\n3\n")
        done = subprocess.run(
            [paa_executable(), "checkin", "--json"], stdin=follower, capture_output=True, timeout=60,
            env={**os.environ, "PAA_NOW": FIXED_NOW.isoformat()},
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr.decode()
    checkin = json.loads(done.stdout)["checkin"]
    assert (checkin["mood"], checkin["energy"]) == (4, 3)
    assert checkin["answers"] == [{"prompt": "How was your day?", "answer": "Productive morning"}]


# ---- docs/checkins.md: its JSON tables match what the commands print ----------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "checkins.md"
LINK = re.compile(r"\[(\w+)\]\(#[\w-]+\)")
BASE = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None,
    "datetime": lambda v: isinstance(v, str) and v.endswith("+00:00"),
}


def doc_sections() -> dict[str, dict]:
    """Each `###` section of the doc: its Output line, its field table, and its JSON examples."""
    parts = re.split(r"^### (.*)$", DOC.read_text(encoding="utf-8"), flags=re.M)
    sections = {}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        output = re.search(r"^Output: (.+)$", body, re.M)
        fields = dict(re.findall(r"^\| `([^`]+)` \| ([^|]+?) \|", body, re.M))
        examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", body, re.S)]
        sections[title.strip()] = {"output": output[1] if output else None, "fields": fields, "examples": examples}
    return sections


def check(value: object, type_text: str, fields: dict[str, str], path: str, doc: dict[str, dict]) -> None:
    """Check a value against a documented type, both ways: no field missing, none undocumented."""
    text_ = type_text.strip()
    if text_.endswith(" or null"):
        if value is None:
            return
        text_ = text_.removesuffix(" or null")
    assert value is not None, f"{path} is null but documented as {type_text!r}"
    if text_.startswith("array of "):
        assert isinstance(value, list), path
        for item in value:
            check(item, text_.removeprefix("array of ").removesuffix(" objects"), fields, path + "[]", doc)
    elif link := LINK.fullmatch(text_):
        check(value, "object", doc[link[1]]["fields"], "", doc)
    elif text_ == "object":
        assert isinstance(value, dict), path
        lead = f"{path}." if path else ""
        expected = {name[len(lead) :]: kind for name, kind in fields.items() if name.startswith(lead)}
        expected = {name: kind for name, kind in expected.items() if "." not in name}
        assert set(value) == set(expected), f"{path or 'root'}: output {sorted(value)}, documented {sorted(expected)}"
        for key, item in value.items():
            check(item, expected[key], fields, lead + key, doc)
    else:
        assert BASE[text_](value), f"{path} = {value!r} is not a {text_}"


def test_doc_examples_and_live_output_match_the_documented_schemas(cli) -> None:
    doc = doc_sections()
    commands = {title for title in doc if title.startswith("`paa ")}
    assert commands == {
        "`paa checkin --json`", "`paa checkin edit --json`", "`paa checkin show --json`",
        "`paa checkin history --json`", "`paa checkin prompts list --json`",
    }  # fmt: skip
    cli("habit", "add", "Water", "--unit", "glasses", "--target", "8")
    cli("checkin", "--mood", "3", "--answer", "Meh", "--date", "yesterday")
    live = {
        "`paa checkin --json`": cli("checkin", "-m", "4", "-e", "2", "-a", "Good", "--json"),
        "`paa checkin edit --json`": cli("checkin", "edit", "--mood", "5", "--json"),
        "`paa checkin show --json`": cli("checkin", "show", "--json"),
        "`paa checkin history --json`": cli("checkin", "history", "--json"),
        "`paa checkin prompts list --json`": cli("checkin", "prompts", "list", "--json"),
    }
    for title, result in live.items():
        assert result.code == 0, result.err
        for value in [json.loads(result.out), *doc[title]["examples"]]:
            check(value, doc[title]["output"], doc[title]["fields"], "", doc)
    assert doc["`paa checkin --json`"]["examples"] and doc["`paa checkin history --json`"]["examples"]
