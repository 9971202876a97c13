"""The daemon as a notification channel of `/api/v1/ws` (issue #15): the seed's server events `chat:notification`
(a reminder of your own) and `checkin:prompt` (the daily check-in time) reach the user's open socket with their own
type, from a reminder added over HTTP and the real dispatcher on the `app` channel; another user's socket gets
neither. (`habit:reminder` is followed end to end in tests/e2e/test_serve.py.)

The daemon acts as the account logged in on the machine (`paa auth login`), as a real one does: it sends that
user's reminders only, so Alice logs in here first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.events_ws import WsTiming
from paa.clock import FixedClock
from paa.daemon.dispatch import Dispatcher
from tests.api.conftest import PASSWORD, Account
from tests.support.account_fixtures import stdin  # noqa: F401  (a fixture: `paa auth login --password-stdin`)
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for

WS = "/api/v1/ws"


@pytest.fixture(autouse=True)
def app_channel(http: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_NOTIFY_CHANNELS", "app")
    http.app.state.ws_timing = WsTiming(auth_seconds=5, ping_seconds=3600, poll_seconds=0.01)  # type: ignore[attr-defined]


@pytest.fixture
def alice_here(alice: Account, cli: Any, stdin: Any) -> Account:  # noqa: F811
    """Alice, logged in on this machine too: the daemon acts as her."""
    stdin(PASSWORD + "\n")
    done = cli("auth", "login", "alice", "--password-stdin")
    assert done.code == 0, done.err
    return alice


def _next_not_a_change(socket: Any) -> dict[str, Any]:
    """The next message that is not a `data:changed` (the dispatcher's own writes may add some)."""
    while True:
        message: dict[str, Any] = socket.receive_json()
        if message["type"] != "data:changed":
            return message


def test_a_reminder_and_the_check_in_prompt_reach_the_socket(http: TestClient, alice_here: Account) -> None:
    alice = alice_here
    added = alice.post("/api/v1/reminders", json={"text": "Call mom", "at": "2026-11-26T13:00"})
    assert added.status_code == 201, added.text
    clock = FixedClock(FIXED_NOW)
    with runtime_for(clock=clock) as runtime, http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        assert socket.receive_json()["type"] == "ready"
        dispatcher = Dispatcher(runtime=runtime)
        try:
            dispatcher.tick()
            clock.instant = datetime(2026, 11, 26, 13, 0, 2, tzinfo=UTC)
            dispatcher.tick()
            reminder = _next_not_a_change(socket)
            clock.instant = datetime(2026, 11, 26, 21, 0, 2, tzinfo=UTC)  # the check-in time (21:00, UTC here)
            dispatcher.tick()
            prompt = _next_not_a_change(socket)
        finally:
            dispatcher.close()
    assert reminder["type"] == "chat:notification" and reminder["data"]["data"]["text"] == "Call mom", reminder
    assert reminder["data"]["data"]["reminder_id"] == added.json()["id"]
    assert prompt["type"] == "checkin:prompt" and prompt["data"]["due_at"] == "2026-11-26T21:00:00+00:00", prompt
    assert prompt["id"] > reminder["id"]


def test_another_users_notifications_never_reach_a_socket(http: TestClient, alice_here: Account, bob: Account) -> None:
    """Alice's reminder and check-in prompt fire while Bob's socket is open: the daemon serves both of them, and
    Bob's socket gets his own check-in prompt and his own change, never a word of Alice's."""
    alice = alice_here
    assert alice.post("/api/v1/reminders", json={"text": "Alice's secret", "at": "2026-11-26T13:00"}).status_code == 201
    clock = FixedClock(FIXED_NOW)
    with runtime_for(clock=clock) as runtime, http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": bob.tokens["access_token"]})
        assert socket.receive_json()["type"] == "ready"
        dispatcher = Dispatcher(runtime=runtime)
        try:
            dispatcher.tick()
            sent = 0
            for hour in (13, 21):  # the reminder's time, then the check-in's
                clock.instant = datetime(2026, 11, 26, hour, 0, 2, tzinfo=UTC)
                sent += dispatcher.tick().sent
        finally:
            dispatcher.close()
        assert sent == 3  # Alice's reminder and prompt into her feed, Bob's prompt into his
        assert bob.post("/api/v1/habits", json={"name": "Bob's own"}).status_code == 201
        received = [socket.receive_json()]
        while received[-1] != {**received[-1], "type": "data:changed", "data": {"areas": ["habits"]}}:
            received.append(socket.receive_json())
    assert [m["type"] for m in received if m["type"] != "data:changed"] == ["checkin:prompt"], received
    assert "Alice" not in repr(received)
