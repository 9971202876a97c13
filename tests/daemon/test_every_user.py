"""Once accounts exist, a tick serves every enabled account, nobody being logged in on this machine: each user's
reminders fire in their own zone and at their own check-in time, go into their own feed, and only the install
owner's reach the channels config.toml sets (docs/reminders.md, "Whose reminders go where")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from paa.clock import FixedClock
from paa.core.changes import events_after
from paa.core.runtime import Runtime
from paa.daemon.dispatch import Dispatcher
from paa.db.models import Notification, User
from tests.support.recorders import Recorder, http_recorder
from tests.support.runtime import runtime_for

BEFORE = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BERLIN_0900 = datetime(2026, 11, 26, 8, 0, 2, tzinfo=UTC)
NEW_YORK_0900 = datetime(2026, 11, 26, 14, 0, 2, tzinfo=UTC)
NEW_YORK_1000 = datetime(2026, 11, 26, 15, 0, 2, tzinfo=UTC)  # Bob's check-in time
PASSWORD = "plum-violin-harbour-77"


def _account(name: str, timezone: str, checkin: str, habit: str) -> int:
    """An account made the way `paa serve` makes one (no session on this machine), with its zone, its check-in time
    and a habit reminded at 09:00 its time."""
    from paa.core.accounts.registration import create_account
    from paa.core.accounts.users import set_preference
    from paa.core.habits.manage import HabitFields, add_habit

    clock = FixedClock(BEFORE)
    with runtime_for(clock=clock) as runtime:
        with runtime.auth(write=True) as actx:
            user = create_account(actx, name, PASSWORD)
            assert user.id is not None
            set_preference(actx.session, user.id, "timezone", timezone, clock)
            set_preference(actx.session, user.id, "checkin_time", checkin, clock)
        with runtime.context(write=True, acting=runtime.acting_as(user.id)) as ctx:
            add_habit(ctx, HabitFields(name=habit, remind="09:00"))
        return user.id


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """The install's channels: a webhook (a local recorder) and the log."""
    monkeypatch.delenv("PAA_TIMEZONE", raising=False)  # each user's stored zone decides
    with http_recorder() as recorder:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook,log")
        monkeypatch.setenv("PAA_WEBHOOK_URL", recorder.url)
        yield recorder


@pytest.fixture
def two_users(hook: Recorder) -> tuple[int, int]:
    alice = _account("alice", "Europe/Berlin", "21:00", "Alice's stretch")  # the first account: admin, the owner
    bob = _account("bob", "America/New_York", "10:00", "Bob's walk")
    return alice, bob


def _ticks(*instants: datetime) -> Callable[[], list[int]]:
    clock = FixedClock(BEFORE)
    with runtime_for(clock=clock) as runtime:
        dispatcher = Dispatcher(runtime=runtime)
        sent = [dispatcher.tick().sent]
        for instant in instants:
            clock.instant = instant
            sent.append(dispatcher.tick().sent)
        dispatcher.close()
    return lambda: sent


def _rows(runtime: Runtime, user_id: int) -> list[tuple[str, str, str, str]]:
    with Session(runtime.engine) as session:
        rows = session.exec(select(Notification).where(Notification.user_id == user_id)).all()
        return sorted((row.kind, row.title, row.channel, row.status) for row in rows)


def _feed(runtime: Runtime, user_id: int) -> list[tuple[str, str]]:
    with Session(runtime.engine) as session:
        found = events_after(session, 0, user_id=user_id)
        return [(event.type, event.data["due_at"]) for _, event in found if event.type != "data:changed"]


def test_one_tick_serves_every_account_in_its_own_zone_with_nobody_logged_in(
    two_users: tuple[int, int], hook: Recorder
) -> None:
    alice, bob = two_users
    sent = _ticks(BERLIN_0900, NEW_YORK_0900, NEW_YORK_1000)()
    assert sent == [0, 2, 1, 1]  # Alice: webhook and log; then Bob's habit, then Bob's check-in: app alone
    with runtime_for() as runtime:
        assert _rows(runtime, alice) == [
            ("habit", "Alice's stretch", "log", "logged"),
            ("habit", "Alice's stretch", "webhook", "sent"),
        ]
        assert _rows(runtime, bob) == [
            ("checkin", "Daily check-in", "app", "sent"),
            ("habit", "Bob's walk", "app", "sent"),
        ]
        assert _feed(runtime, alice) == []  # the owner's app channel is on only when named or a server runs here
        assert _feed(runtime, bob) == [
            ("habit:reminder", "2026-11-26T14:00:00+00:00"),  # 09:00 in New York
            ("checkin:prompt", "2026-11-26T15:00:00+00:00"),  # his own check-in time, 10:00
        ]
    [posted] = hook.received  # the machine's webhook carried the owner's reminder alone
    assert json.loads(posted.body)["title"] == "Alice's stretch"


def test_one_ticks_due_reminders_are_each_users_own(
    two_users: tuple[int, int], hook: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both users' reminders fall due in the same tick: each lands in its owner's feed and nowhere else."""
    alice, bob = two_users
    monkeypatch.setenv("PAA_REMINDER_GRACE_MINUTES", "600")  # Alice's, seven hours before, is late, not missed
    sent = _ticks(NEW_YORK_1000)()  # Alice's 09:00 Berlin and Bob's 09:00 and 10:00 New York, all in one tick
    assert sent == [0, 4]
    with runtime_for() as runtime:
        assert _feed(runtime, alice) == []
        assert sorted(kind for kind, _ in _feed(runtime, bob)) == ["checkin:prompt", "habit:reminder"]
        with Session(runtime.engine) as session:
            alices = repr([event.data for _, event in events_after(session, 0, user_id=alice)])
            bobs = repr([event.data for _, event in events_after(session, 0, user_id=bob)])
    assert "Bob's walk" not in alices and "Alice's stretch" not in bobs
    assert [json.loads(r.body)["title"] for r in hook.received] == ["Alice's stretch"]


def test_a_disabled_account_gets_nothing(two_users: tuple[int, int], hook: Recorder) -> None:
    alice, bob = two_users
    with runtime_for() as runtime, Session(runtime.engine) as session:
        user = session.get(User, bob)
        assert user is not None
        user.is_active = False
        session.add(user)
        session.commit()
    assert _ticks(BERLIN_0900, NEW_YORK_1000)() == [0, 2, 0]
    with runtime_for() as runtime:
        assert _rows(runtime, bob) == [] and _feed(runtime, bob) == []
        assert len(_rows(runtime, alice)) == 2


def test_run_due_serves_every_account_with_nobody_logged_in(
    two_users: tuple[int, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cron path: `paa remind run-due` no longer stops at "paa has accounts and nobody is logged in"."""
    from paa.daemon.__main__ import main

    alice, bob = two_users
    monkeypatch.setenv("PAA_REMINDER_GRACE_MINUTES", "600")
    monkeypatch.setenv("PAA_NOW", BEFORE.isoformat())
    assert main(["run-due"]) == 0
    monkeypatch.setenv("PAA_NOW", NEW_YORK_0900.isoformat())
    capsys.readouterr()
    assert main(["run-due"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "2 reminder(s) due: 3 sent, 0 failed",
        "  Thu 26 Nov 09:00  habit  Alice's stretch",  # in Alice's zone
        "  Thu 26 Nov 09:00  habit  Bob's walk",  # in Bob's
    ]
    with runtime_for() as runtime:
        assert [channel for _, _, channel, _ in _rows(runtime, bob)] == ["app"]
        assert [channel for _, _, channel, _ in _rows(runtime, alice)] == ["log", "webhook"]


def test_the_daemon_keeps_each_users_jobs_and_a_fired_job_ticks_its_user(two_users: tuple[int, int]) -> None:
    """Jobs are per user (their ids name the user once accounts exist): a job that fires asks a tick for its own
    user alone, and a disabled account's jobs go."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from paa.daemon.runner import Daemon

    alice, bob = two_users
    with runtime_for(clock=FixedClock(BEFORE)) as runtime:
        daemon = Daemon(runtime)
        daemon.scheduler = BackgroundScheduler(timezone=UTC)
        daemon.scheduler.start(paused=True)
        try:
            daemon.reload(force=True)
            jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
            ours = [f"u{alice}:checkin:0", f"u{alice}:habit:1", f"u{bob}:checkin:0", f"u{bob}:habit:2"]
            assert set(ours) <= set(jobs), sorted(jobs)
            assert jobs[f"u{bob}:habit:2"].args == (bob,)
            daemon._wanted_users = set()  # the tick the reload asked for was taken
            jobs[f"u{bob}:habit:2"].func(*jobs[f"u{bob}:habit:2"].args)
            assert daemon._wanted_users == {bob}  # the next tick serves Bob alone
            with Session(runtime.engine) as session:
                user = session.get(User, bob)
                assert user is not None
                user.is_active = False
                session.add(user)
                session.commit()
            daemon.reload()
            left = {job.id for job in daemon.scheduler.get_jobs()}
            assert set(ours[:2]) <= left and not {job_id for job_id in left if job_id.startswith(f"u{bob}:")}
        finally:
            daemon.scheduler.shutdown(wait=False)
