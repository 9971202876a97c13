"""The app channel: a reminder becomes an event in the user's change feed (which `paa serve` pushes to its clients),
when notify.channels names it, or by itself while a server's marker says one runs here."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from paa.clock import FixedClock
from paa.config import resolve_paths
from paa.core.changes import FeedEvent, events_after
from paa.core.serving import marker_file, server_in_use, write_marker
from paa.daemon.dispatch import Dispatcher
from tests.support.runtime import open_context, runtime_for

BERLIN_0700 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BERLIN_0900 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
NO_SUCH_PID = 4_194_304 + 1  # above Linux's largest pid


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")


def _habit() -> int:
    from paa.core.habits.manage import HabitFields, add_habit

    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", remind="09:00"))
        return ctx.user_id


def _tick_at_nine() -> list[tuple[str, str]]:
    """One tick at the reminder's time; the channels and statuses of what it recorded."""
    from paa.core.reminders.outbox import notification_history

    clock = FixedClock(BERLIN_0700)
    with runtime_for(clock=clock) as runtime:
        dispatcher = Dispatcher(runtime=runtime)
        dispatcher.tick()
        clock.instant = BERLIN_0900
        dispatcher.tick()
        dispatcher.close()
    with open_context() as ctx:
        return sorted((row.channel, row.status) for row in notification_history(ctx, limit=10))


def _reminders_in_feed(user_id: int) -> list[FeedEvent]:
    with runtime_for() as runtime, Session(runtime.engine) as session:
        return [event for _, event in events_after(session, 0, user_id=user_id) if event.type != "data:changed"]


def test_a_reminder_on_the_app_channel_is_an_event_in_the_users_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "app")
    user_id = _habit()
    assert _tick_at_nine() == [("app", "sent")]
    [event] = _reminders_in_feed(user_id)
    assert event.type == "habit:reminder"
    assert event.data["title"] == "Drink water"
    assert event.data["due_at"] == "2026-11-26T08:00:00+00:00"
    assert isinstance(event.data["notification_id"], int)


def test_a_running_server_turns_the_app_channel_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    user_id = _habit()
    paths = resolve_paths(os.environ)
    write_marker(paths, "http://127.0.0.1:8750", BERLIN_0700)  # this test's process plays the server
    assert server_in_use(paths)
    assert _tick_at_nine() == [("app", "sent"), ("log", "logged")]
    assert [event.type for event in _reminders_in_feed(user_id)] == ["habit:reminder"]


def test_a_server_that_is_gone_leaves_the_app_channel_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    user_id = _habit()
    paths = resolve_paths(os.environ)
    gone = {"url": "http://127.0.0.1:8750", "pid": NO_SUCH_PID, "host": socket.gethostname(),
            "started_at": BERLIN_0700.isoformat()}  # fmt: skip
    marker_file(paths).parent.mkdir(parents=True, exist_ok=True)  # made by the SQLite file, not by PostgreSQL
    marker_file(paths).write_text(json.dumps(gone), encoding="utf-8")
    assert not server_in_use(paths)
    assert _tick_at_nine() == [("log", "logged")]
    assert _reminders_in_feed(user_id) == []


def test_a_custom_reminder_and_the_check_in_prompt_reach_the_feed_as_their_own_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The seed's server events besides habit:reminder: chat:notification (a reminder of your own) and
    checkin:prompt (the daily check-in time, 21:00 by default) go into the feed the WebSocket follows."""
    from paa.core.reminders.custom import add_reminder

    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "app")
    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_reminder(ctx, "Call mom", at="2026-11-26T08:30")
        user_id = ctx.user_id
    clock = FixedClock(BERLIN_0700)
    with runtime_for(clock=clock) as runtime:
        dispatcher = Dispatcher(runtime=runtime)
        dispatcher.tick()
        for instant in (datetime(2026, 11, 26, 7, 30, 2, tzinfo=UTC), datetime(2026, 11, 26, 20, 0, 2, tzinfo=UTC)):
            clock.instant = instant
            dispatcher.tick()
        dispatcher.close()
    reminder, prompt = _reminders_in_feed(user_id)
    assert reminder.type == "chat:notification" and reminder.data["data"]["text"] == "Call mom", reminder.data
    assert reminder.data["due_at"] == "2026-11-26T07:30:00+00:00"
    assert prompt.type == "checkin:prompt" and prompt.data["due_at"] == "2026-11-26T20:00:00+00:00", prompt.data
