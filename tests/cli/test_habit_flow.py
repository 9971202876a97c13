"""The issue's walkthrough, command by command, through the CLI entry point."""

from __future__ import annotations

import json

import pytest


def test_walkthrough(cli) -> None:
    assert (
        cli("habit", "add", "Drink water", "--unit", "glasses", "--target", "8", "--at-least", "--remind", "09:00").code
        == 0
    )
    assert cli("habit", "add", "Run", "--days", "mon,wed,fri", "--category", "health").code == 0
    assert cli("habit", "add", "Meditate", "--times", "5", "--per", "7").code == 0

    logged = cli("habit", "log", "water", "3")
    assert logged.code == 0, logged.err
    assert "3 of 8 glasses" in logged.out

    run = cli("habit", "log", "run", "--date", "yesterday", "--note", "5 km, easy")
    assert run.code == 0, run.err
    assert "2026-11-25" in run.out

    assert cli("habit", "skip", "meditate").code == 0

    today = cli("habit", "today")
    assert today.code == 0
    assert "Left to do" in today.out and "Drink water" in today.out
    assert "Not due today" in today.out  # Thursday: Run is Mon/Wed/Fri

    listed = json.loads(cli("habit", "list", "--json").out)
    by_name = {h["name"]: h for h in listed}
    assert by_name["Drink water"]["today"] == {"day": "2026-11-26", "state": "partial", "value": 3.0}
    assert by_name["Run"]["schedule"]["weekdays"] == ["mon", "wed", "fri"]
    assert by_name["Run"]["streak"]["current"] == 2  # Wed done, Thu not due
    assert by_name["Meditate"]["today"]["state"] == "skipped"
    assert by_name["Meditate"]["schedule"] == {
        "type": "x_per_y",
        "weekdays": [],
        "times": 5,
        "period_days": 7,
        "text": "5 times a week",
    }

    shown = cli("habit", "show", "run")
    assert shown.code == 0
    assert "Mon, Wed, Fri" in shown.out and "health" in shown.out
    history = json.loads(cli("habit", "history", "run", "--json").out)
    assert history["logs"] == [
        {"day": "2026-11-25", "status": "done", "value": None, "note": "5 km, easy", "state": "done"}
    ]


def test_measurable_log_adds_unless_set(cli) -> None:
    cli("habit", "add", "Water", "--unit", "glasses", "--target", "8")
    cli("habit", "log", "water", "3")
    cli("habit", "log", "water", "2.5")
    data = json.loads(cli("habit", "show", "water", "--json").out)
    assert data["today"]["value"] == 5.5
    cli("habit", "log", "water", "8", "--set")
    data = json.loads(cli("habit", "show", "water", "--json").out)
    assert data["today"] == {"day": "2026-11-26", "state": "done", "value": 8.0}


def test_boolean_log_twice_is_reported_not_duplicated(cli) -> None:
    cli("habit", "add", "Run")
    first = cli("habit", "log", "run", "--json")
    second = cli("habit", "log", "run", "--json")
    assert json.loads(first.out)["outcome"] == "created"
    assert json.loads(second.out)["outcome"] == "unchanged"
    assert "already done" in cli("habit", "log", "run").out
    assert len(json.loads(cli("habit", "history", "run", "--json").out)["logs"]) == 1


def test_errors_are_one_line_with_hint_and_exit_code(cli) -> None:
    cli("habit", "add", "Run")
    cli("habit", "add", "Read")
    missing = cli("habit", "log", "swim")
    assert missing.code == 4
    assert missing.err.splitlines()[0] == "paa: error: no habit matches 'swim'"
    ambiguous = cli("habit", "log", "r")
    assert ambiguous.code == 5
    assert "Run (#1)" in ambiguous.err and "Read (#2)" in ambiguous.err
    future = cli("habit", "log", "run", "--date", "2026-11-27")
    assert future.code == 3 and "future" in future.err
    suggestion = cli("habit", "log", "rad")
    assert "did you mean 'Read'" in suggestion.err
    for result in (missing, ambiguous, future):
        assert "Traceback" not in result.err
        assert result.out == ""


def test_archive_hides_and_all_shows(cli) -> None:
    cli("habit", "add", "Floss")
    assert cli("habit", "archive", "floss").code == 0
    assert json.loads(cli("habit", "list", "--json").out) == []
    archived = json.loads(cli("habit", "list", "--all", "--json").out)
    assert [h["archived"] for h in archived] == [True]
    cli("habit", "unarchive", "floss")
    assert len(json.loads(cli("habit", "list", "--json").out)) == 1


def test_delete_needs_yes_without_a_terminal(cli) -> None:
    cli("habit", "add", "Floss")
    cli("habit", "log", "floss")
    refused = cli("habit", "delete", "floss")
    assert refused.code == 11  # NOT_CONFIRMED, not Ctrl-C's 130
    assert len(json.loads(cli("habit", "list", "--json").out)) == 1
    assert cli("habit", "delete", "floss", "--yes").code == 0
    assert json.loads(cli("habit", "list", "--all", "--json").out) == []


# --- at-most habits: a day with nothing logged is 0, which keeps the limit ------------------------


def test_an_at_most_habit_with_nothing_logged_is_within_its_limit(cli) -> None:
    assert cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most").code == 0
    assert cli("habit", "add", "Run").code == 0
    today = cli("habit", "today")
    assert today.code == 0, today.err
    left = today.out.split("Left to do")[1].split("\n\n")[0]
    assert "Run" in left and "Coffee" not in left
    assert "Within the limit" in today.out and "0/2 cups ✓" in today.out
    assert "1 of 2 done" in today.out
    listed = {h["name"]: h for h in json.loads(cli("habit", "list", "--json").out)}
    assert listed["Coffee"]["today"] == {"day": "2026-11-26", "state": "within", "value": None}
    assert listed["Coffee"]["streak"]["current"] == 1
    # The check-in's "still open today" agrees: only Run is open.
    done = cli("checkin", "--mood", "4", "-a", "fine", "-a", "none")
    assert done.code == 0, done.err
    assert "Still open today: Run." in done.out


def test_an_at_most_week_counts_empty_days_as_kept(cli) -> None:
    cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most")
    # Backfilled: 1 cup on the 20th, 3 on the 22nd (over), nothing on the other days.
    cli("habit", "log", "coffee", "1", "--date", "2026-11-20")
    cli("habit", "log", "coffee", "3", "--date", "2026-11-22")
    data = json.loads(cli("habit", "show", "coffee", "--json").out)
    states = {d["day"]: d["state"] for d in data["recent"]}
    assert [states[f"2026-11-{n}"] for n in range(20, 27)] == [
        "done", "within", "over", "within", "within", "within", "within",
    ]  # fmt: skip
    # 23-26 kept since the 22nd; completion over 7 days: 6 of 7 kept.
    assert data["streak"]["current"] == 4
    assert data["stats"]["completion"]["7d"] == pytest.approx(6 / 7)
    summary = json.loads(cli("analytics", "habit", "coffee", "--period", "7d", "--json").out)
    assert summary["completion"]["7d"] == round(6 / 7, 4)
    assert summary["streak"]["current"] == 4
    assert summary["strength"] > 0.9


def test_history_says_each_day_s_state(cli) -> None:
    cli("habit", "add", "Water", "--unit", "glasses", "--target", "8")
    cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most")
    cli("habit", "log", "water", "6", "--date", "yesterday")
    cli("habit", "log", "water", "8")
    cli("habit", "log", "coffee", "3", "--date", "yesterday")
    cli("habit", "skip", "coffee")
    water = json.loads(cli("habit", "history", "water", "--json").out)["logs"]
    assert [(log["day"], log["status"], log["state"]) for log in water] == [
        ("2026-11-26", "done", "done"),
        ("2026-11-25", "done", "partial"),
    ]
    coffee = json.loads(cli("habit", "history", "coffee", "--json").out)["logs"]
    assert [log["state"] for log in coffee] == ["skipped", "over"]
    # The same words as `habit show`.
    shown = json.loads(cli("habit", "show", "water", "--json").out)
    assert {d["day"]: d["state"] for d in shown["recent"]}["2026-11-25"] == "partial"


def test_every_state_has_its_own_glyph_without_colour(cli, monkeypatch) -> None:
    from paa.cli.output import console
    from paa.core.habits.status import STATE_MARKS
    from paa.tui.widgets.charts import STATES

    glyphs = [glyph for glyph, _word in STATE_MARKS.values()]
    assert len(set(glyphs)) == len(glyphs)
    assert {state: (glyph, word) for state, (glyph, _style, word) in STATES.items()} == STATE_MARKS
    monkeypatch.setenv("NO_COLOR", "1")
    console.cache_clear()
    cli("habit", "add", "Water", "--unit", "glasses", "--target", "8")
    cli("habit", "add", "Coffee", "--unit", "cups", "--target", "2", "--at-most")
    cli("habit", "log", "water", "6", "--date", "yesterday")
    cli("habit", "log", "coffee", "3", "--date", "yesterday")
    water, coffee = cli("habit", "show", "water").out, cli("habit", "show", "coffee").out
    assert "◐ partly" in water and "▲ over" in water  # the legend
    assert "◐" in water.split("week of")[1].split("\n\n")[0]  # the strip
    assert "▲" in coffee.split("week of")[1].split("\n\n")[0]
    history = cli("habit", "history", "coffee").out
    assert "▲ over" in history and "done" not in history
    heat = cli("analytics", "heatmap", "coffee", "--period", "7d").out
    assert "▲" in heat and "◇" in heat and "over 1" in heat
