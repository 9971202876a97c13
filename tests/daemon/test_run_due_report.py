"""What a tick and `run-due` tell the user: the log fallback is not a delivery, a channel without its settings fails
loudly (report and exit code), times are in the user's zone, a custom reminder is named by its text, and a habit
reminder's command works as printed."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from paa.clock import FixedClock
from paa.daemon.channels import Notifier
from paa.daemon.dispatch import Dispatcher, TickReport
from paa.errors import ExitCode
from tests.support.runtime import open_context, runtime_for

BERLIN_0700 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BERLIN_0900 = datetime(2026, 11, 26, 8, 0, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")


def _call_mom_at_nine() -> None:
    from paa.core.reminders.custom import add_reminder

    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_reminder(ctx, "Call mom", at="09:00")


def _tick_at_nine(notifier: Notifier | None = None) -> TickReport:
    clock = FixedClock(BERLIN_0700)
    dispatcher = Dispatcher(runtime=runtime_for(clock=clock), notifier=notifier)
    try:
        dispatcher.tick()
        clock.instant = BERLIN_0900
        return dispatcher.tick()
    finally:
        dispatcher.close()


def test_a_fallback_to_the_log_is_not_sent_and_a_channel_without_its_url_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "desktop,ntfy")
    _call_mom_at_nine()
    report = _tick_at_nine(notifier=lambda title, body: False)  # the desktop refuses it: the log gets it
    assert (report.sent, report.logged, report.failed) == (0, 1, 1)
    assert report.summary() == "1 reminder(s) due: 0 sent, 1 only written to the log, 1 failed"
    assert report.to_json()["logged"] == 1 and report.unconfigured == ["ntfy"]
    assert report.exit_code() == ExitCode.CONFIG
    assert report.event_lines() == ["Thu 26 Nov 09:00  reminder  Call mom"]  # Berlin time, the reminder's text


@pytest.mark.parametrize(
    ("shown", "sent", "logged", "code"), [(True, 1, 0, ExitCode.OK), (False, 0, 1, ExitCode.UNAVAILABLE)]
)
def test_only_a_delivery_counts_as_sent(
    monkeypatch: pytest.MonkeyPatch, shown: bool, sent: int, logged: int, code: ExitCode
) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "desktop")
    _call_mom_at_nine()
    report = _tick_at_nine(notifier=lambda title, body: shown)
    assert (report.sent, report.logged, report.failed, report.exit_code()) == (sent, logged, 0, code)
    from paa.core.reminders.outbox import notification_history

    with open_context() as ctx:
        [row] = notification_history(ctx)
    assert (row.channel, row.status) == ("desktop", "sent" if shown else "logged")  # the history says the same


@pytest.fixture
def run_due(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., tuple[int, str]]]:
    """`python -m paa.daemon run-due` in this process; its log handlers are taken down afterwards."""
    from paa.daemon.__main__ import main

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["run-due", *args])
        return code, capsys.readouterr().out

    yield run
    for name in ("paa", "apscheduler"):
        for handler in list(logging.getLogger(name).handlers):
            logging.getLogger(name).removeHandler(handler)
            handler.close()


def test_run_due_reports_in_the_users_zone_and_exits_with_the_channels_problem(
    monkeypatch: pytest.MonkeyPatch, run_due: Callable[..., tuple[int, str]]
) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log,ntfy")
    _call_mom_at_nine()
    monkeypatch.setenv("PAA_NOW", BERLIN_0700.isoformat())
    assert run_due() == (0, "0 reminder(s) due: 0 sent, 0 failed\n")
    monkeypatch.setenv("PAA_NOW", BERLIN_0900.isoformat())
    code, out = run_due()
    assert code == ExitCode.CONFIG
    lines = out.splitlines()
    assert lines[:2] == ["1 reminder(s) due: 1 sent, 1 failed", "  Thu 26 Nov 09:00  reminder  Call mom"]
    assert "chat:notification" not in out and "+00:00" not in out
    assert "ntfy.url is not set" in lines[2]


def test_a_habit_reminder_command_works_as_printed(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    from paa.core.habits.manage import HabitFields, add_habit

    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8, remind="09:00"))
        add_habit(ctx, HabitFields(name="Coffee", unit="cups", target=2, at_most=True, remind="09:00"))
        add_habit(ctx, HabitFields(name="Stretch", remind="09:00"))
    report = _tick_at_nine()
    commands = {event.title: (str(event.data["command"]), event.body) for event in report.events}
    assert {title: command for title, (command, _) in commands.items()} == {
        "Drink water": "paa habit log 'Drink water' 8",
        "Coffee": "paa habit log Coffee 1",
        "Stretch": "paa habit log Stretch",
    }
    assert commands["Drink water"][1].startswith("Due today: 8 glasses. Log them with `paa habit log 'Drink water' 8`")
    assert "at most 2 cups" in commands["Coffee"][1]
    for command, body in commands.values():
        assert f"`{command}`" in body
        result = cli(*shlex.split(command)[1:])
        assert result.code == 0, (command, result.err)
