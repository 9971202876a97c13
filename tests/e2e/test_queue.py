"""Issue #17, background work on the job queue (queue.enabled, PAA_REDIS_URL): real `paa worker` processes on the
session's throwaway redis-server take the jobs. A check-in posted to the API is read by the model in a worker, from a
job that carries ids only; a reminder due is sent once although two workers hold a job for it twice; a worker killed
with -9 in the middle of a job loses nothing (another takes the job once the first is unheard)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from fastapi import FastAPI
from sqlmodel import Session, select
from starlette.testclient import TestClient

from paa.ai import queue
from paa.core.runtime import Runtime
from paa.db.models import DailyCheckin, Memory, Message, Notification
from tests.support.accounts import ALICE_PASSWORD
from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic, hang, reply
from tests.support.recorders import Recorder, http_recorder
from tests.support.redis_server import redis_url  # noqa: F401  (the session's Redis)
from tests.support.runtime import open_context, runtime_for
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e
Row = TypeVar("Row")
ANSWER = "Long day, the deadline moved again and I am worried about it."
READING = {
    "sentiment_score": -0.5, "sentiment_label": "negative",
    "summary": "The deadline moved again and it weighs on you. You sound tired.",
    "follow_up": "What would make the new deadline feel manageable?",
}  # fmt: skip


@pytest.fixture
def jobs_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:  # noqa: F811
    """The queue on, in a database of the session's Redis that this test empties first (no job of an earlier test
    can reach this test's workers); workers unheard for 2 s lose their jobs to others."""
    url = redis_url.rsplit("/", 1)[0] + "/1"
    monkeypatch.setenv("PAA_REDIS_URL", url)
    monkeypatch.setenv("PAA_QUEUE_ENABLED", "true")
    monkeypatch.setenv("PAA_QUEUE_HEARTBEAT_SECONDS", "2")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield client
    client.close()


@contextmanager
def workers(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` real `python -m paa.daemon worker` processes (what `paa worker` runs), stopped at the end; each logs
    to a file in PAA_HOME, which a failing test shows."""
    home = Path(os.environ["PAA_HOME"])
    started = []
    for _ in range(count):
        with (home / f"worker-{len(list(home.glob('worker-*.log')))}.log").open("ab") as log:
            command = [sys.executable, "-m", "paa.daemon", "worker", "--threads", "2"]
            started.append(subprocess.Popen(command, env=dict(os.environ), stdout=log, stderr=log))
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=GIVE_UP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log_file in sorted(home.glob("worker-*.log")):
            sys.stderr.write(f"--- {log_file.name}\n{log_file.read_text(errors='replace')[-4000:]}\n")


def _idle(client: redis.Redis) -> bool:
    """No job waits in the queue and none is held by a worker (dramatiq's per-worker sets of unacknowledged ids)."""
    held = sum(int(client.scard(key)) for key in client.scan_iter(match=f"{queue.NAMESPACE}:__acks__.*"))
    return int(client.llen(f"{queue.NAMESPACE}:{queue.QUEUE_NAME}")) == 0 and held == 0


def _waiting_jobs(client: redis.Redis) -> list[dict[str, Any]]:
    """The messages waiting in the queue, as dramatiq stores them."""
    stored = client.hgetall(f"{queue.NAMESPACE}:{queue.QUEUE_NAME}.msgs")
    return [json.loads(value) for value in stored.values()]


@pytest.fixture
def api_client(
    fake_anthropic: FakeAnthropic, jobs_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The API in this process on the test's database (the queue on), with Alice signed in; the model is the fake."""
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())  # the worker's today is the check-in's day
    with runtime_for(serves_callers=True) as runtime, TestClient(_app(runtime)) as client:
        answer = client.post("/api/v1/auth/register", json={"username": "alice", "password": ALICE_PASSWORD})
        assert answer.status_code == 201, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


def _app(runtime: Runtime) -> FastAPI:
    from paa.api.app import ServerOptions, create_app

    return create_app(runtime, ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000))


def _rows(model: type[Row]) -> list[Row]:
    """Every row of a table, read past the accounts (the test looks at what the worker wrote)."""
    with runtime_for() as runtime, Session(runtime.engine) as session:
        return list(session.exec(select(model)).all())


def _checkin_row() -> DailyCheckin:
    [row] = _rows(DailyCheckin)
    return row


def _summaries() -> list[str]:
    return [m.content for m in _rows(Memory) if m.kind == "checkin"]


def test_a_checkin_queues_its_reading_and_a_worker_does_it(
    api_client: TestClient, fake_anthropic: FakeAnthropic, jobs_redis: redis.Redis
) -> None:
    answer = api_client.post("/api/v1/checkins/daily", json={"answers": [ANSWER], "mood": 2})
    assert answer.status_code == 201, answer.text
    waiting = _waiting_jobs(jobs_redis)  # no worker yet: the jobs wait, and they hold ids only
    kinds = {str(job["actor_name"]): job["kwargs"] for job in waiting}
    assert set(kinds) == {queue.READ_CHECKIN, queue.EMBED_MEMORIES}  # the check-in is a memory: its embedding too
    assert set(kinds[queue.READ_CHECKIN]) == {"user_id", "day"}
    assert all(job["args"] == [] for job in waiting)
    assert "deadline" not in json.dumps(waiting) and fake_anthropic.requests == []
    assert "paa_job_queue_depth 2.0" in api_client.get("/metrics").text
    fake_anthropic.push(reply(json.dumps(READING), model="claude-haiku-5-5"))
    with workers(1):
        wait_until(lambda: _checkin_row().sentiment_source == "claude-haiku-5-5", what="the worker's reading")
        wait_until(lambda: _idle(jobs_redis), what="the queue to empty")  # the summary's embedding job too
    assert "deadline moved again" in fake_anthropic.requests[0].body["messages"][0]["content"]
    assert [s for s in _summaries() if "weighs on you" in s]
    [conversation] = api_client.get("/api/v1/chat/history").json()  # the follow-up question waits in a conversation
    assert conversation["title"] == "Check-in 2026-11-26" and conversation["messages"] == 2
    assert [m.content for m in _rows(Message) if m.role == "assistant"] == [READING["follow_up"]]


def test_a_worker_killed_in_the_middle_of_a_job_loses_nothing(
    api_client: TestClient, fake_anthropic: FakeAnthropic, jobs_redis: redis.Redis
) -> None:
    fake_anthropic.push(hang(), reply(json.dumps(READING), model="claude-haiku-5-5"))
    assert api_client.post("/api/v1/checkins/daily", json={"answers": [ANSWER], "mood": 2}).status_code == 201
    with workers(1) as [first]:
        fake_anthropic.wait_for_requests(1, timeout=GIVE_UP_SECONDS)  # it is inside the job, waiting on the model
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=GIVE_UP_SECONDS)
        assert _checkin_row().sentiment_source == "vader"
        with workers(1):  # once the first is unheard for 2 s, its job goes back to the queue for this one
            wait_until(lambda: _checkin_row().sentiment_source == "claude-haiku-5-5", what="the job taken again")
            wait_until(lambda: _idle(jobs_redis), what="the queue to empty")
    assert len(fake_anthropic.message_requests) == 2
    assert len([s for s in _summaries() if "weighs on you" in s]) == 1


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with http_recorder() as recorder:
        monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "webhook,log")
        monkeypatch.setenv("PAA_WEBHOOK_URL", recorder.url)
        yield recorder


def test_a_reminder_due_is_sent_once_by_two_workers_holding_its_job_twice(
    hook: Recorder, jobs_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paa.core.reminders.custom import add_reminder

    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())
    with open_context(write=True) as ctx:
        add_reminder(ctx, "water the plants", at=(FIXED_NOW + timedelta(minutes=1)).isoformat())
    monkeypatch.setenv("PAA_NOW", (FIXED_NOW + timedelta(minutes=1, seconds=5)).isoformat())  # it is due now
    run_due = subprocess.run([sys.executable, "-m", "paa.daemon", "run-due", "--json"], env=dict(os.environ),
                             capture_output=True, text=True, timeout=GIVE_UP_SECONDS)  # fmt: skip
    assert run_due.returncode == 0, run_due.stderr
    assert json.loads(run_due.stdout)["sent"] == 0  # claimed and queued: the workers send it
    waiting = _waiting_jobs(jobs_redis)
    assert sorted(job["actor_name"] for job in waiting) == [queue.DELIVER_REMINDER] * 2  # webhook and log
    with runtime_for() as runtime:  # every job a second time: a retry, a duplicate, a daemon's second tick
        jobs = queue.attach(runtime)
        assert jobs is not None
        for job in waiting:
            jobs.enqueue(queue.DELIVER_REMINDER, **job["kwargs"])
        jobs.close()
    with workers(2):
        [delivery] = hook.wait_for(1)
        wait_until(lambda: _idle(jobs_redis), what="all four jobs done")
    assert len(hook.received) == 1 and delivery.json()["body"].startswith("water the plants")
    rows = _rows(Notification)
    assert sorted((row.channel, row.status, row.attempts) for row in rows) == [("log", "logged", 1),
                                                                               ("webhook", "sent", 1)]  # fmt: skip


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({}, "paa: error: the job queue is off: a worker has nothing to do"),
        ({"PAA_QUEUE_ENABLED": "true"}, "paa: error: queue.enabled is on but PAA_REDIS_URL is not set"),
    ],
)
def test_a_worker_without_a_queue_refuses_in_one_line(
    environ: dict[str, str],
    says: str,
    run_paa: Callable[..., subprocess.CompletedProcess[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    done = run_paa("worker")
    assert done.returncode == 7  # ExitCode.CONFIG
    assert done.stderr.splitlines()[0] == says and "Traceback" not in done.stderr


def test_a_failed_job_is_retried_without_its_traceback_in_redis(jobs_redis: redis.Redis) -> None:
    import dramatiq

    broker = queue.make_broker(os.environ["PAA_REDIS_URL"], heartbeat_seconds=2, worker=True)
    tries: list[int] = []

    def failing(user_id: int) -> None:
        tries.append(user_id)
        raise RuntimeError("secret words of the job")

    dramatiq.Actor(failing, broker=broker, actor_name=queue.EMBED_MEMORIES, queue_name=queue.QUEUE_NAME, priority=0,
                   options={"max_retries": 1, "min_backoff": 60_000, "max_backoff": 60_000})  # fmt: skip
    worker = dramatiq.Worker(broker, queues={queue.QUEUE_NAME}, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        queue.JobQueue(os.environ["PAA_REDIS_URL"]).enqueue(queue.EMBED_MEMORIES, user_id=7)
        delayed = f"{queue.NAMESPACE}:{queue.QUEUE_NAME}.DQ.msgs"  # the retry waits out its backoff here
        wait_until(lambda: tries == [7] and jobs_redis.hlen(delayed) == 1, what="the job to fail and wait for a retry")
    finally:
        worker.stop(timeout=10_000)
        broker.close()
    [stored] = [json.loads(value) for value in jobs_redis.hgetall(delayed).values()]
    assert stored["options"]["retries"] == 1 and "traceback" not in stored["options"]
    assert "secret words" not in json.dumps(stored)
