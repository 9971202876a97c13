"""Issue #17, Redis: with PAA_REDIS_URL several app instances (uvicorn workers) act as one server. They spend from
the same rate-limit buckets, a commit anywhere (another app, the CLI) wakes every app's feed reader through pub/sub,
and presence crosses between them. Each test runs on the session's throwaway redis-server (tests/support)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from paa.api.app import ServerOptions, create_app
from paa.api.events_ws import WsTiming
from paa.api.redis_bus import KEY_PREFIX
from paa.core import feed_signal
from paa.core.changes import latest_id
from paa.core.habits.manage import HabitFields, add_habit, list_habits
from tests.support.accounts import ALICE_PASSWORD
from tests.support.redis_server import redis_url  # noqa: F401  (the session's Redis)
from tests.support.runtime import runtime_for
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
NEVER_POLL = WsTiming(safety_poll_seconds=3600.0)  # only Redis's bell can bring an event in time


@pytest.fixture
def shared_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:  # noqa: F811
    """This test's environment names the session's Redis, emptied first (buckets of earlier tests expire slowly)."""
    monkeypatch.setenv("PAA_REDIS_URL", redis_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@contextmanager
def two_apps(options: ServerOptions, **state: Any) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on their own runtimes over one database and one Redis: two workers, in this process."""
    with ExitStack() as stack:
        clients = []
        for _ in range(2):
            runtime = stack.enter_context(runtime_for(serves_callers=True))
            app = create_app(runtime, options)
            for name, value in state.items():
                setattr(app.state, name, value)
            clients.append(stack.enter_context(TestClient(app)))
        yield clients[0], clients[1]


def test_two_apps_spend_from_one_bucket(shared_redis: redis.Redis) -> None:
    options = ServerOptions(rate_per_minute=1, rate_burst=3, rate_clock=lambda: 1_000_000.0)  # nothing refills
    with two_apps(options) as (first, second):
        spent = [first.get("/api/v1/habits").status_code for _ in range(3)]
        refused = second.get("/api/v1/habits")
    assert spent == [401, 401, 401]  # counted by address (no token), let through to the route
    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"] == "60"
    keys = shared_redis.keys(KEY_PREFIX + "*")
    assert keys == [f"{KEY_PREFIX}address:testclient".encode()]
    assert 0 < shared_redis.ttl(keys[0]) <= 181  # gone once it would be full again: 3 tokens at 1 a minute


def _open_socket(client: TestClient, token: str) -> Any:
    socket = client.websocket_connect("/api/v1/ws")
    ws = socket.__enter__()
    ws.send_json({"type": "auth", "token": token})
    assert ws.receive_json()["type"] == "ready"
    return socket, ws


def test_a_write_in_one_app_and_presence_reach_a_socket_of_the_other(shared_redis: redis.Redis) -> None:
    options = ServerOptions(rate_per_minute=1_000_000, rate_burst=1_000_000)
    with two_apps(options, ws_timing=NEVER_POLL) as (first, second):
        registered = first.post("/api/v1/auth/register", json={"username": "alice", "password": ALICE_PASSWORD})
        token = registered.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listening, ws = _open_socket(second, token)
        other, other_ws = _open_socket(first, token)
        try:
            subscribed = lambda: shared_redis.pubsub_numsub(feed_signal.FEED_CHANNEL)[0][1] == 2  # noqa: E731
            wait_until(subscribed, what="both apps to listen on Redis")  # so the write below is heard, not polled
            added = first.post("/api/v1/habits", json={"name": "Run"}, headers=headers)
            assert added.status_code == 201, added.text
            changed = ws.receive_json()  # the safety poll is an hour away: only the bell brings it
            assert changed["type"] == "data:changed" and "habits" in changed["data"]["areas"]
            other_ws.send_json({"type": "presence:update", "data": {"status": "on the train"}})
            seen = ws.receive_json()
            while seen["type"] == "data:changed":  # the first app's own socket got the change as well; skip
                seen = ws.receive_json()
            assert seen == {"type": "presence:update", "data": {"status": "on the train"}}
        finally:
            other.__exit__(None, None, None)
            listening.__exit__(None, None, None)


def test_an_announcement_rings_only_after_commit(shared_redis: redis.Redis, make_ctx: Any) -> None:
    """As a `paa` command writes: a rolled-back write rings nothing; a committed one rings once, with its newest id."""
    listener = shared_redis.pubsub()
    listener.subscribe(feed_signal.FEED_CHANNEL)
    wait_until(lambda: listener.get_message(timeout=0.1), what="the subscription's confirmation")
    with pytest.raises(RuntimeError), make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
        raise RuntimeError("the write fails after its event was added")
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Read"))
        user_id = ctx.user_id
    with make_ctx() as ctx:
        newest = latest_id(ctx.session)
    message = wait_until(lambda: listener.get_message(timeout=0.1), what="the announcement")
    assert json.loads(message["data"]) == {"user_id": user_id, "id": newest}
    assert listener.get_message(timeout=0.2) is None  # the rolled-back write rang nothing
    listener.close()


def test_a_failed_announcement_never_fails_the_write(make_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    with make_ctx() as ctx:
        assert [habit.name for habit in list_habits(ctx)] == ["Run"]


def test_without_redis_each_worker_still_limits_in_its_own_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    options = ServerOptions(rate_per_minute=1, rate_burst=2, rate_clock=lambda: 1_000_000.0)
    with runtime_for(serves_callers=True) as runtime, TestClient(create_app(runtime, options)) as client:
        answers = [client.get("/api/v1/habits").status_code for _ in range(3)]
    assert answers == [401, 401, 429]  # a looser limit while Redis is away, never none
