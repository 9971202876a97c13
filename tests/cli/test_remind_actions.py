"""`paa remind edit|snooze|done` through the real CLI, with `run-due` (in this process) delivering to the log channel:
the notification names the commands, a snooze sends it again later, and done keeps it quiet for the day."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paa.errors import ExitCode

pytestmark = pytest.mark.usefixtures("migrated_home")  # a ready database (tests/conftest.py)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the clock every paa command reads (UTC, 26 November 2026)."""
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    return lambda hhmmss: monkeypatch.setenv("PAA_NOW", f"2026-11-26T{hhmmss}+00:00")


@pytest.fixture
def run_due(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], dict[str, Any]]]:
    """`python -m paa.daemon run-due --json` in this process; its log handlers are taken down afterwards."""
    from paa.daemon.__main__ import main

    def run() -> dict[str, Any]:
        capsys.readouterr()
        code = main(["run-due", "--json"])
        out = capsys.readouterr().out
        assert code == 0, out
        return json.loads(out)

    yield run
    for name in ("paa", "apscheduler"):
        for handler in list(logging.getLogger(name).handlers):
            logging.getLogger(name).removeHandler(handler)
            handler.close()


def _json(result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_a_repeating_reminder_is_snoozed_then_done_for_the_day(cli, at, run_due) -> None:
    at("11:50:00")
    stretch = _json(cli("remind", "add", "Stretch", "--cron", "0 * * * *", "--json"))["id"]

    at("12:00:30")
    [event] = run_due()["events"]
    assert event["body"] == f"Stretch\n\nDone? `paa remind done {stretch}`. Later: `paa remind snooze {stretch}`."

    at("12:01:00")
    snoozed = cli("remind", "snooze", f"#{stretch}", "--for", "15m")
    assert snoozed.code == 0 and snoozed.out.strip() == "Snoozed 'Stretch' until Thu 26 Nov 2026 12:16."
    at("12:10:00")
    assert run_due()["retried"] == 0
    at("12:16:05")
    assert run_due()["retried"] == 1  # the same notification, sent again
    history = _json(cli("remind", "list", "--history", "--json"))["history"]
    assert [(n["status"], n["attempts"], n["due_at"]) for n in history] == [("logged", 2, "2026-11-26T12:00:00+00:00")]

    at("12:20:00")
    done = cli("remind", "done", str(stretch))
    assert done.code == 0 and done.out.strip() == "Done for today: 'Stretch'; next: Fri 27 Nov 2026 00:00."
    at("13:00:30")
    quiet = run_due()
    assert quiet["events"] == [] and quiet["suppressed"] == 1
    assert cli("remind", "done", str(stretch)).out.startswith("Done for today: 'Stretch'")  # twice is harmless


def test_a_one_off_reminder_moves_when_snoozed_and_is_removed_when_done(cli, at) -> None:
    at("12:00:00")
    tea = _json(cli("remind", "add", "Tea", "--in", "30m", "--json"))["id"]
    moved = cli("remind", "snooze", str(tea), "--for", "10m")
    assert moved.code == 0 and moved.out.strip() == "Snoozed 'Tea' until Thu 26 Nov 2026 12:40."
    assert _json(cli("remind", "list", "--json"))["reminders"][0]["at"] == "2026-11-26T12:40:00+00:00"
    done = cli("remind", "done", str(tea))
    assert done.code == 0 and done.out.strip() == "Done: removed the one-off reminder 'Tea'."
    assert _json(cli("remind", "list", "--json"))["reminders"] == []
    assert cli("remind", "done", str(tea)).code == ExitCode.NOT_FOUND


def test_a_habit_reminder_names_snooze_and_done_logs_the_habit(cli, at, run_due) -> None:
    at("12:00:00")
    habit = _json(cli("habit", "add", "Run", "--remind", "12:30", "--json"))["id"]
    at("12:30:30")
    [event] = run_due()["events"]
    assert event["body"].endswith(f"Later: `paa remind snooze habit:{habit}`.")
    at("12:31:00")
    assert cli("remind", "snooze", f"habit:{habit}").out.strip() == "Snoozed 'Run' until Thu 26 Nov 2026 12:46."
    done = cli("remind", "done", f"habit:{habit}")
    assert done.code == 0 and done.out.strip() == "Logged 'Run' for today."
    logs = _json(cli("habit", "history", "Run", "--json"))
    assert "2026-11-26" in json.dumps(logs)
    at("12:46:05")
    assert run_due()["retried"] == 0  # done: the snoozed notification is not sent again


def test_edit_changes_text_and_time_and_says_what_is_wrong(cli, at) -> None:
    at("12:00:00")
    call = _json(cli("remind", "add", "Call mom", "--at", "18:00", "--json"))["id"]
    edited = cli("remind", "edit", str(call), "--text", "Call mom and dad", "--cron", "0 18 * * SUN")
    assert edited.code == 0 and edited.out.strip().startswith("Changed reminder #")
    [stored] = _json(cli("remind", "list", "--json"))["reminders"]
    assert (stored["text"], stored["kind"], stored["cron"], stored["at"]) == (
        "Call mom and dad",
        "cron",
        "0 18 * * SUN",
        None,
    )
    again = cli("remind", "edit", str(call), "--at", "19:00")
    assert again.code == 0 and "Changed reminder #" in again.out and "(once); next: Thu 26 Nov 2026 19:00." in again.out
    nothing = cli("remind", "edit", str(call))
    assert nothing.code == ExitCode.INVALID_INPUT and "nothing to change" in nothing.err
    both = cli("remind", "edit", str(call), "--at", "19:00", "--cron", "0 9 * * *")
    assert both.code == ExitCode.INVALID_INPUT and "give either --at or --cron, not both" in both.err
    assert cli("remind", "edit", "999", "--text", "x").code == ExitCode.NOT_FOUND


def test_history_says_logged_for_a_reminder_that_only_reached_the_log(cli, at, run_due) -> None:
    at("11:00:00")
    cli("remind", "add", "Water the plants", "--at", "11:30")
    at("11:30:10")
    assert run_due()["sent"] == 1  # the log is the channel the user chose: run-due counts it as reaching it
    [row] = _json(cli("remind", "list", "--history", "--json"))["history"]
    assert (row["channel"], row["status"]) == ("log", "logged")
    shown = cli("remind", "list", "--history")
    [line] = [line for line in shown.out.splitlines() if "Reminder" in line and " log " in line]
    assert "logged" in line and "sent" not in line


def test_a_repeating_reminder_that_has_not_fired_today_snoozes_its_next_firing(cli, at, run_due, monkeypatch) -> None:
    at("11:50:00")
    stretch = _json(cli("remind", "add", "Stretch", "--cron", "0 12 * * *", "--json"))["id"]
    first = cli("remind", "snooze", str(stretch), "--for", "15m")  # it has never fired: its noon firing moves
    assert first.code == 0 and first.out.strip() == "Snoozed 'Stretch' until Thu 26 Nov 2026 12:15."
    at("11:55:00")
    again = cli("remind", "snooze", str(stretch), "--for", "5m")  # snoozed again before it came: later still
    assert again.code == 0 and again.out.strip() == "Snoozed 'Stretch' until Thu 26 Nov 2026 12:20."
    at("12:00:30")
    assert run_due()["events"] == []  # noon is taken by the snooze
    at("12:20:05")
    assert run_due()["retried"] == 1
    history = _json(cli("remind", "list", "--history", "--json"))["history"]
    assert [(n["status"], n["attempts"], n["due_at"]) for n in history] == [("logged", 1, "2026-11-26T12:00:00+00:00")]

    # the next morning yesterday's notification is less than a day old, but the coming noon is the one meant
    monkeypatch.setenv("PAA_NOW", "2026-11-27T11:00:00+00:00")
    tomorrow = cli("remind", "snooze", str(stretch), "--for", "1h")
    assert tomorrow.code == 0 and tomorrow.out.strip() == "Snoozed 'Stretch' until Fri 27 Nov 2026 13:00."
    monkeypatch.setenv("PAA_NOW", "2026-11-27T12:00:30+00:00")
    assert run_due()["events"] == [] and run_due()["retried"] == 0
    monkeypatch.setenv("PAA_NOW", "2026-11-27T13:00:05+00:00")
    assert run_due()["retried"] == 1


def test_a_habit_reminder_snoozes_its_next_firing_and_a_past_one_off_says_why_not(cli, at, run_due) -> None:
    at("08:00:00")
    habit = _json(cli("habit", "add", "Run", "--remind", "12:30", "--json"))["id"]
    ahead = cli("remind", "snooze", f"habit:{habit}", "--for", "30m")
    assert ahead.code == 0 and ahead.out.strip() == "Snoozed 'Run' until Thu 26 Nov 2026 13:00."
    assert cli("remind", "done", f"habit:{habit}").code == 0  # done today: the snoozed firing is not sent
    at("13:00:05")
    assert run_due()["retried"] == 0 and _json(cli("remind", "list", "--history", "--json"))["history"] == []
    plain = _json(cli("habit", "add", "Read", "--json"))["id"]
    none = cli("remind", "snooze", f"habit:{plain}")
    assert none.code == ExitCode.INVALID_INPUT and "nothing to snooze: 'Read'" in none.err
    assert "--remind" in none.err
    at("08:00:00")
    tea = _json(cli("remind", "add", "Tea", "--at", "09:00", "--json"))["id"]
    at("10:00:00")  # its time passed with nothing sending reminders: there is no notification to send again
    past = cli("remind", "snooze", str(tea))
    assert past.code == ExitCode.INVALID_INPUT and "does not fire again" in past.err and "remind edit" in past.err


def test_edit_snooze_and_done_print_json(cli, at) -> None:
    at("12:00:00")
    review = _json(cli("remind", "add", "Review", "--cron", "0 17 * * *", "--json"))["id"]
    edited = _json(cli("remind", "edit", str(review), "--text", "Review the week", "--json"))
    assert (edited["id"], edited["text"], edited["kind"], edited["next"]) == (
        review,
        "Review the week",
        "cron",
        "2026-11-26T17:00:00+00:00",
    )
    snoozed = _json(cli("remind", "snooze", str(review), "--for", "30m", "--json"))
    assert snoozed == {
        "kind": "custom",
        "ref_id": review,
        "title": "Review the week",
        "action": "snoozed-next",
        "until": "2026-11-26T17:30:00+00:00",
    }
    done = _json(cli("remind", "done", str(review), "--json"))
    assert (done["action"], done["until"]) == ("done", "2026-11-27T17:00:00+00:00")
    habit = _json(cli("habit", "add", "Run", "--json"))["id"]
    logged = _json(cli("remind", "done", f"habit:{habit}", "--json"))
    assert logged == {"kind": "habit", "ref_id": habit, "title": "Run", "action": "logged", "until": None}
