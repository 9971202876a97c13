"""Ticks in-process with a fixed clock: events reach the hub and every channel, failures are retried,
and each channel really talks to a local server (or a fake notifier, never a real desktop)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paa.clock import FixedClock
from paa.config import Settings, resolve_paths
from paa.core.events import Event, EventHub
from paa.daemon.channels import DesktopChannel, EmailChannel, NtfyChannel, WebhookChannel, build_channels
from paa.daemon.dispatch import Dispatcher
from tests.support.recorders import http_recorder, smtp_recorder
from tests.support.runtime import runtime_for

BERLIN_0700 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _habit(remind: str = "09:00") -> None:
    from paa.core.habits.manage import HabitFields, add_habit
    from tests.support.runtime import open_context

    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", remind=remind))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")


def _history():
    from paa.core.reminders.outbox import notification_history
    from tests.support.runtime import open_context

    with open_context() as ctx:
        return notification_history(ctx, limit=100)


def test_tick_publishes_events_and_delivers_on_every_channel(env, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock(BERLIN_0700)
    _habit()
    with http_recorder() as hook:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook,log")
        monkeypatch.setenv("PAA_WEBHOOK_URL", hook.url)
        hub = EventHub()
        seen: list[Event] = []
        hub.subscribe(seen.append, types=["habit:reminder"])

        def broken(_event: Event) -> None:
            raise ZeroDivisionError("division by zero")  # as 1 / 0 would

        hub.subscribe(broken)  # a broken subscriber does not stop delivery
        dispatcher = Dispatcher(hub, runtime=runtime_for(clock=clock))
        assert dispatcher.tick().events == []
        clock.instant = datetime(2026, 11, 26, 8, 0, 0, 500_000, tzinfo=UTC)
        report = dispatcher.tick()
        dispatcher.close()
        [posted] = hook.wait_for(1)
    assert report.sent == 2 and report.failed == 0
    assert any("ZeroDivisionError" in e or "division" in e for e in report.errors)
    assert [e.type for e in seen] == ["habit:reminder"]
    body = posted.json()
    assert body["type"] == "habit:reminder" and body["title"] == "Drink water"
    assert body["due_at"] == "2026-11-26T08:00:00+00:00" and body["day"] == "2026-11-26"
    assert body["data"]["command"] == "paa habit log 'Drink water'" and body["channel"] == "webhook"
    assert sorted((n.channel, n.status) for n in _history()) == [("log", "logged"), ("webhook", "sent")]


def test_failed_webhook_is_retried_after_backoff_and_shows_in_history(env, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock(BERLIN_0700)
    _habit()
    with http_recorder() as hook:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook")
        monkeypatch.setenv("PAA_WEBHOOK_URL", hook.url)
        dispatcher = Dispatcher(runtime=runtime_for(clock=clock))
        dispatcher.tick()
        hook.status = 500
        clock.instant = datetime(2026, 11, 26, 8, 0, 1, tzinfo=UTC)
        first = dispatcher.tick()
        assert first.failed == 1 and "500" in first.errors[0]
        assert first.next_retry == clock.now() + timedelta(seconds=30)
        [failed] = _history()
        assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 1, first.next_retry)
        hook.status = 200
        clock.advance(timedelta(seconds=29))
        assert dispatcher.tick().retried == 0
        clock.advance(timedelta(seconds=1))
        second = dispatcher.tick()
        dispatcher.close()
        assert second.retried == 1 and second.sent == 1
        assert len(hook.received) == 2 and hook.received[1].json()["late"] is True
    [sent] = _history()
    assert (sent.status, sent.attempts, sent.next_attempt_at) == ("sent", 2, None)


def test_checkin_prompt_tells_how_to_answer(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "desktop")
    shown: list[tuple[str, str]] = []
    clock = FixedClock(BERLIN_0700)
    hub = EventHub()
    prompts: list[dict[str, object]] = []
    hub.subscribe(lambda event: prompts.append(event.to_json()), types=["checkin:prompt"])
    notifier = lambda title, body: shown.append((title, body)) or True  # noqa: E731
    dispatcher = Dispatcher(hub, runtime=runtime_for(clock=clock), notifier=notifier)
    dispatcher.tick()
    clock.instant = datetime(2026, 11, 26, 20, 0, 2, tzinfo=UTC)  # 21:00:02 in Berlin
    report = dispatcher.tick()
    dispatcher.close()
    assert report.sent == 1
    [(title, body)] = shown
    assert title == "Daily check-in" and "paa checkin" in body
    assert prompts[0]["type"] == "checkin:prompt" and prompts[0]["day"] == "2026-11-26"


def _event() -> Event:
    return Event("chat:notification", 3, BERLIN_0700, "Reminder", "Call mom ☎", data={"reminder_id": 3})


def test_desktop_without_a_session_falls_back_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    channel = DesktopChannel({"PATH": "/usr/bin"})  # no DBUS_SESSION_BUS_ADDRESS, no XDG_RUNTIME_DIR/bus
    with caplog.at_level(logging.INFO, logger="paa.reminders"):
        note = channel.send(_event(), 1)
    import platform

    if platform.system() == "Linux":
        assert note is not None and "no desktop session" in note
        assert "Call mom" in caplog.text


def test_desktop_uses_the_notifier_and_falls_back_when_it_fails(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    assert DesktopChannel({}, notifier=lambda title, body: shown.append(body) or True).send(_event(), 1) is None
    assert shown == ["Call mom ☎"]
    with caplog.at_level(logging.INFO, logger="paa.reminders"):
        note = DesktopChannel({}, notifier=lambda title, body: False).send(_event(), 2)
    assert note is not None and "written to the log" in note and "Call mom" in caplog.text


def test_ntfy_posts_the_body_with_title_tags_and_token() -> None:
    with http_recorder() as server:
        NtfyChannel(server.url, token="tk_secret").send(_event(), 1)
        [got] = server.wait_for(1)
    assert got.body.decode() == "Call mom ☎"
    assert got.headers["Title"] == "Reminder" and got.headers["Tags"] == "bell"
    assert got.headers["Authorization"] == "Bearer tk_secret"


def test_webhook_and_ntfy_report_unreachable_and_unset_urls() -> None:
    from paa.daemon.channels import DeliveryError

    with pytest.raises(DeliveryError, match=r"webhook\.url is not set"):
        WebhookChannel(None).send(_event(), 1)
    with pytest.raises(DeliveryError, match=r"ntfy\.url is not set"):
        NtfyChannel(None).send(_event(), 1)
    with http_recorder() as server:
        dead = server.url
    with pytest.raises(DeliveryError, match="cannot reach"):
        WebhookChannel(dead).send(_event(), 1)


def test_email_goes_through_smtp() -> None:
    with smtp_recorder() as (port, messages):
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_to="me@example.org",
                            smtp_from="paa@example.org", smtp_starttls=False)  # fmt: skip
        assert EmailChannel(settings, password=None).send(_event(), 9) is None
    [message] = messages
    assert "Subject: paa: Reminder" in message and "To: me@example.org" in message


def test_email_and_log_lines_show_the_due_time_in_the_users_zone(
    env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _habit()  # 09:00 in Berlin, 08:00 UTC
    clock = FixedClock(BERLIN_0700)
    with smtp_recorder() as (port, messages):
        settings = {
            "PAA_NOTIFY_CHANNELS": "email,log",
            "PAA_SMTP_HOST": "127.0.0.1",
            "PAA_SMTP_PORT": str(port),
            "PAA_SMTP_TO": "me@example.org",
            "PAA_SMTP_FROM": "paa@example.org",
            "PAA_SMTP_STARTTLS": "false",
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        dispatcher = Dispatcher(runtime=runtime_for(clock=clock))
        try:
            dispatcher.tick()
            clock.instant = datetime(2026, 11, 26, 8, 0, 1, tzinfo=UTC)
            with caplog.at_level(logging.INFO, logger="paa"):
                report = dispatcher.tick()
        finally:
            dispatcher.close()
    assert (report.sent, report.failed) == (2, 0)
    [message] = messages
    assert "(due Thu 26 Nov 2026 09:00 CET; paa notification" in message and "+00:00" not in message
    [line] = [r.getMessage() for r in caplog.records if r.name == "paa.reminders"]
    assert line.startswith("habit:reminder [Thu 26 Nov 2026 09:00 CET #") and "08:00" not in line
    [due] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("due:")]
    assert "at Thu 26 Nov 2026 09:00 CET" in due


def test_build_channels_follows_the_setting() -> None:
    settings = Settings(notify_channels="log, webhook,ntfy,email,desktop")
    assert list(build_channels(settings, {})) == ["log", "webhook", "ntfy", "email", "desktop"]


def test_log_rotates(tmp_path: Path) -> None:
    from paa.daemon.files import DaemonFiles
    from paa.daemon.runner import configure_logging

    files = DaemonFiles(tmp_path / "lock", tmp_path / "status.json", tmp_path / "logs" / "daemon.log")
    handler = configure_logging(files, max_bytes=400)
    try:
        for n in range(40):
            logging.getLogger("paa.daemon").info("line %d of a log that must rotate", n)
    finally:
        for name in ("paa", "apscheduler"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
    assert (tmp_path / "logs" / "daemon.log.1").exists()
    assert not (tmp_path / "logs" / "daemon.log.4").exists()  # three backups kept


def test_beside_a_running_daemon_run_due_only_appends_to_the_log(tmp_path: Path, monkeypatch) -> None:
    from paa.daemon import __main__ as entry
    from paa.daemon.files import DaemonFiles
    from paa.daemon.lock import InstanceLock

    monkeypatch.setenv("PAA_HOME", str(tmp_path))
    files = DaemonFiles.of(resolve_paths(os.environ))
    files.log.parent.mkdir(parents=True)
    files.log.write_text("x" * 2_000_000)  # over the size at which a rotating handler renames it
    lock = InstanceLock(files.lock)
    lock.acquire()  # a daemon runs
    try:
        assert entry._run_due(as_json=True) == 0
        logging.getLogger("paa.daemon").info("run-due was here")
    finally:
        lock.release()
        for name in ("paa", "apscheduler"):
            for handler in list(logging.getLogger(name).handlers):
                logging.getLogger(name).removeHandler(handler)
                handler.close()
    assert not files.log.with_name("daemon.log.1").exists()  # left for the daemon to rotate
    assert files.log.read_text().endswith("run-due was here\n")


def test_trigger_asks_core_for_dst_correct_times() -> None:
    from datetime import time
    from zoneinfo import ZoneInfo

    from paa.core.habits.schedule import Schedule
    from paa.core.reminders.rules import HabitReminder, Zone
    from paa.daemon.triggers import ReminderTrigger

    rule = HabitReminder(1, (time(2, 30),), None, Schedule(), datetime(2020, 1, 1, tzinfo=UTC))
    trigger = ReminderTrigger(rule, Zone(ZoneInfo("America/New_York")))
    first = trigger.get_next_fire_time(None, datetime(2027, 3, 14, 5, tzinfo=UTC))
    assert first == datetime(2027, 3, 14, 7, tzinfo=UTC)  # 03:00 EDT: 02:30 does not exist that night
    assert trigger.get_next_fire_time(first, first) == datetime(2027, 3, 15, 6, 30, tzinfo=UTC)


def test_hub_subscriptions() -> None:
    hub = EventHub()
    got: list[str] = []
    stop = hub.subscribe(lambda e: got.append(e.type), types=["checkin:prompt"])
    hub.subscribe(lambda e: got.append("all"))
    assert hub.publish(_event()) == []
    stop()
    hub.publish(Event("checkin:prompt", 0, BERLIN_0700, "Daily check-in", "How was your day?"))
    assert got == ["all", "all"]


def test_a_change_between_ticks_is_seen_even_at_the_same_instant(env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispatcher keeps its reminders between ticks; an edit must replace them (here with an unchanged clock)."""
    from paa.core.habits.manage import HabitFields, edit_habit, resolve_habit
    from tests.support.runtime import open_context

    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "log")
    clock = FixedClock(BERLIN_0700)
    _habit("09:00")
    dispatcher = Dispatcher(runtime=runtime_for(clock=clock))
    dispatcher.tick()
    with open_context(write=True, clock=clock) as ctx:
        edit_habit(ctx, resolve_habit(ctx, "water"), HabitFields(remind="07:30"))
    clock.instant = datetime(2026, 11, 26, 6, 30, 1, tzinfo=UTC)
    report = dispatcher.tick()
    dispatcher.close()
    assert [e.due_at for e in report.events] == [datetime(2026, 11, 26, 6, 30, tzinfo=UTC)]


def test_desktop_notifier_library_failing_falls_back_to_the_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The real desktop-notifier path, against a session bus that is not there: nothing is shown, the log has it."""
    import platform

    from paa.daemon import channels

    if platform.system() != "Linux":
        pytest.skip("the D-Bus backend is Linux's")
    bus = f"unix:path={tmp_path / 'no-bus'}"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)
    channels._desktop_notifier_sender.cache_clear()
    try:
        note = DesktopChannel({"DBUS_SESSION_BUS_ADDRESS": bus}).send(_event(), 1)
    finally:
        channels._desktop_notifier_sender.cache_clear()
    assert note is not None and "written to the log" in note
