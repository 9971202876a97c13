"""Reminders with the job queue on, in process on a fixed clock: a tick claims what is due as waiting for a worker and
queues one job per delivery (ids only); the first worker to take a row sends it and a second finds nothing; a row no
worker took within the lease is sent again; with Redis away the daemon sends it itself.

Real `paa worker` processes on a real Redis are tests/e2e/test_queue.py; here the queue records what it is given."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paa.ai.queue import DELIVER_REMINDER, JobQueue
from paa.clock import FixedClock
from paa.core.reminders.outbox import INTERRUPTED, LEASE, NOT_TAKEN, QUEUED
from paa.daemon.dispatch import Dispatcher
from paa.daemon.worker import SETTINGS_FRESH_FOR
from tests.support.jobs import RecordingQueue
from tests.support.recorders import Recorder, http_recorder
from tests.support.runtime import open_context, runtime_for
from tests.support.silent_server import silent_redis_url

BERLIN_0700 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # the habit's 09:00 in Berlin


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    with http_recorder() as recorder:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook,log")
        monkeypatch.setenv("PAA_WEBHOOK_URL", recorder.url)
        yield recorder


def _habit() -> None:
    from paa.core.habits.manage import HabitFields, add_habit

    with open_context(write=True, clock=FixedClock(BERLIN_0700)) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", remind="09:00"))


def _rows() -> list[tuple[str, str, str | None, int, str | None]]:
    from sqlmodel import select

    from paa.db.models import Notification

    with open_context() as ctx:
        rows = ctx.session.exec(select(Notification).order_by(Notification.channel)).all()
        return [(r.channel, r.status, r.claimed_by, r.attempts, r.error) for r in rows]


def _daemon(clock: FixedClock, queue: JobQueue) -> Dispatcher:
    runtime = runtime_for(clock=clock)
    runtime.service(JobQueue, lambda: queue)
    return Dispatcher(runtime=runtime)


def test_a_tick_queues_each_delivery_and_one_worker_sends_it(hook: Recorder) -> None:
    _habit()
    clock = FixedClock(DUE + timedelta(seconds=1))
    queue = RecordingQueue()
    daemon = _daemon(clock, queue)
    report = daemon.tick()
    assert len(report.events) == 1 and report.sent == 0 and hook.received == []
    assert report.queued == 2 and report.summary() == "1 reminder(s) due: 0 sent, 0 failed, 2 queued for the workers"
    assert [job for job, _ in queue.jobs] == [DELIVER_REMINDER, DELIVER_REMINDER]
    assert all(set(ids) == {"user_id", "notification_id"} for _, ids in queue.jobs)  # ids only
    assert [(status, (claimer or "").startswith(QUEUED)) for _, status, claimer, _, _ in _rows()] == [
        ("sending", True), ("sending", True),
    ]  # fmt: skip
    workers = [Dispatcher(runtime=runtime_for(clock=clock)) for _ in range(2)]
    results = [worker.deliver_queued(**ids) for _, ids in queue.jobs for worker in workers]  # type: ignore[arg-type]
    assert [result is not None and result.ok for result in results] == [True, False, True, False]
    assert len(hook.received) == 1
    assert [(channel, status, attempts) for channel, status, _, attempts, _ in _rows()] == [
        ("log", "logged", 1), ("webhook", "sent", 1),
    ]  # fmt: skip
    assert daemon.tick().events == [] and len(queue.jobs) == 2  # a later tick queues nothing again
    for each in (daemon, *workers):
        each.close()
    assert len(hook.received) == 1 and [row[1] for row in _rows()] == ["logged", "sent"]


def test_a_delivery_no_worker_took_is_queued_again_after_the_lease(hook: Recorder) -> None:
    _habit()
    clock = FixedClock(DUE + timedelta(seconds=1))
    queue = RecordingQueue()
    daemon = _daemon(clock, queue)
    daemon.tick()
    first = [ids["notification_id"] for _, ids in queue.jobs]
    clock.instant += LEASE / 2
    assert daemon.tick().retried == 0  # still within the lease: a worker may yet take it
    clock.instant += LEASE
    report = daemon.tick()  # the jobs were lost (Redis emptied): nothing was sent, so they are sent again
    # nothing was tried: neither interrupted nor another attempt, and not a retry to the hub's subscribers
    assert report.interrupted == 0 and report.retried == 1 and report.events == []
    assert sorted(ids["notification_id"] for _, ids in queue.jobs[2:]) == sorted(first)
    assert [(status, attempts, error) for _, status, _, attempts, error in _rows()] == [
        ("sending", 1, NOT_TAKEN), ("sending", 1, NOT_TAKEN),
    ]  # fmt: skip
    worker = Dispatcher(runtime=runtime_for(clock=clock))
    for _, ids in queue.jobs:  # the old jobs and the new: each row is sent once
        worker.deliver_queued(**ids)  # type: ignore[arg-type]
    assert len(hook.received) == 1 and [row[1] for row in _rows()] == ["logged", "sent"]
    worker.close()
    daemon.close()


def test_a_worker_that_died_while_sending_is_not_sent_again(hook: Recorder) -> None:
    from paa.core.reminders.outbox import take_queued

    _habit()
    clock = FixedClock(DUE + timedelta(seconds=1))
    queue = RecordingQueue()
    daemon = _daemon(clock, queue)
    daemon.tick()
    user_id, notification_id = queue.jobs[0][1]["user_id"], queue.jobs[0][1]["notification_id"]
    with open_context(write=True, clock=clock) as ctx:  # a worker on this host took it, then was killed with -9
        assert take_queued(ctx, notification_id, "gone-host:4242") is not None
    clock.instant += LEASE + timedelta(seconds=1)
    report = daemon.tick()
    assert report.interrupted == 1  # its row, in case it went out; the other was never taken, so it is queued again
    by_id = {row_id: row for row_id, row in _rows_by_id().items()}
    assert (by_id[notification_id][0], by_id[notification_id][1]) == ("failed", INTERRUPTED)
    assert Dispatcher(runtime=runtime_for(clock=clock)).deliver_queued(user_id, notification_id) is None
    daemon.close()


def _rows_by_id() -> dict[int, tuple[str, str | None]]:
    from sqlmodel import select

    from paa.db.models import Notification

    with open_context() as ctx:
        return {r.id: (r.status, r.error) for r in ctx.session.exec(select(Notification)).all() if r.id is not None}


@pytest.mark.parametrize("redis", ["refusing", "silent"])
def test_with_redis_away_the_daemon_sends_what_it_claimed(redis: str, hook: Recorder) -> None:
    _habit()
    clock = FixedClock(DUE + timedelta(seconds=1))
    with ExitStack() as stack:
        # refusing: nothing listens on port 1; silent: a host that drops packets, which only the timeout gets out of
        url = "redis://127.0.0.1:1/0" if redis == "refusing" else stack.enter_context(silent_redis_url())
        daemon = _daemon(clock, JobQueue(url, timeout=0.2))
        report = daemon.tick()
        daemon.close()
    assert report.sent == 2 and report.failed == 0 and len(hook.received) == 1  # as without a queue: the log counts
    assert [(channel, status, attempts) for channel, status, _, attempts, _ in _rows()] == [
        ("log", "logged", 1), ("webhook", "sent", 1),
    ]  # fmt: skip


def test_a_worker_sends_on_a_channel_added_after_it_started(monkeypatch: pytest.MonkeyPatch, paa_home: Any) -> None:
    from paa.config import resolve_paths
    from paa.daemon.worker import Jobs

    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    _habit()
    config = resolve_paths(os.environ).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[notify]\nchannels = "log"\n')
    clock = FixedClock(DUE + timedelta(seconds=1))
    jobs = Jobs(runtime_for(clock=clock))  # a worker that read config.toml before the webhook was added
    with http_recorder() as hook:
        config.write_text(f'[notify]\nchannels = "webhook"\n\n[webhook]\nurl = "{hook.url}"\n')
        queue = RecordingQueue()
        daemon = _daemon(clock, queue)
        daemon.tick()
        [(_, ids)] = queue.jobs
        jobs._read_at -= SETTINGS_FRESH_FOR  # the worker's settings are old enough to be read again
        jobs.deliver_reminder(**ids)  # type: ignore[arg-type]
        [posted] = hook.wait_for(1)
    jobs.close()
    daemon.close()
    assert posted.json()["title"] == "Drink water" and [row[1] for row in _rows()] == ["sent"]


def test_a_queued_tick_tells_the_hub_what_the_inline_tick_does(
    hook: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    # The hub's subscribers (run-due's printer, a server's clients) see a reminder once, when it is due: a retry goes
    # to its channels only, as without a queue. A reminder found after its grace period is a warning either way.
    from paa.core.reminders.outbox import retry_delay

    _habit()
    clock = FixedClock(DUE + timedelta(seconds=1))
    queue = RecordingQueue()
    daemon = _daemon(clock, queue)
    seen: list[str] = []
    daemon.hub.subscribe(lambda event: seen.append(event.type))
    daemon.tick()
    assert seen == ["habit:reminder"]
    hook.status = 500  # the worker's webhook delivery fails and waits for its retry
    worker = Dispatcher(runtime=runtime_for(clock=clock))
    results = [worker.deliver_queued(**ids) for _, ids in queue.jobs]  # type: ignore[arg-type]
    assert sorted(result is not None and result.ok for result in results) == [False, True]
    delay = retry_delay(1)
    assert delay is not None
    clock.instant += delay + timedelta(seconds=1)
    report = daemon.tick()
    assert report.retried == 1 and len(queue.jobs) == 3 and seen == ["habit:reminder"]
    with caplog.at_level(logging.WARNING, logger="paa.daemon"):
        clock.instant += timedelta(days=1, hours=2)  # the next 09:00 and its grace period went by while it slept
        assert daemon.tick().missed > 0
    assert "marked missed" in caplog.text and seen == ["habit:reminder"]
    worker.close()
    daemon.close()
