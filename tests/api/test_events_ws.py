"""`/api/v1/ws` over the real app: authentication in the first message, fan-out of the change feed, resume, heartbeats,
typing and presence between one user's sockets."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session, col
from starlette.websockets import WebSocketDisconnect

from paa.api.events_ws import WsTiming
from paa.core.changes import latest_id
from paa.db.models.events import ChangeEvent
from tests.api.conftest import Account
from tests.support.waiting import wait_until

WS = "/api/v1/ws"


@pytest.fixture(autouse=True)
def quick_sockets(http: TestClient) -> None:
    """Heartbeats far apart (a test that needs them shortens them), the feed polled often."""
    http.app.state.ws_timing = WsTiming(auth_seconds=5, ping_seconds=3600, poll_seconds=0.01)  # type: ignore[attr-defined]


def hello(account: Account, **extra: Any) -> dict[str, Any]:
    return {"type": "auth", "token": account.tokens["access_token"], **extra}


def newest_event(http: TestClient, user_id: int) -> int:
    with Session(http.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        return latest_id(session, user_id)


def add_habit(account: Account, name: str) -> int:
    answer = account.post("/api/v1/habits", json={"name": name})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_a_change_made_over_http_reaches_the_users_socket(http: TestClient, alice: Account) -> None:
    habit = add_habit(alice, "Run")
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        ready = socket.receive_json()
        assert ready == {"type": "ready", "last_event_id": newest_event(http, alice.user_id)}
        assert alice.post(f"/api/v1/habits/{habit}/log", json={}).status_code == 200
        event = socket.receive_json()
    assert event["type"] == "data:changed"
    assert event["data"] == {"areas": ["habits"]}
    assert event["id"] == newest_event(http, alice.user_id) > ready["last_event_id"]
    assert event["at"].startswith("2026-")


def test_another_users_changes_never_reach_a_socket(http: TestClient, alice: Account, bob: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        add_habit(bob, "Bob's secret habit")
        add_habit(alice, "Read")
        event = socket.receive_json()  # bob's change came first in the feed; alice's socket gets only hers
    assert event["id"] == newest_event(http, alice.user_id)
    assert event["id"] > newest_event(http, bob.user_id)


@pytest.mark.parametrize(
    "first",
    [
        {"type": "auth", "token": "not-a-token"},
        {"type": "auth"},
        {"type": "presence:update", "data": {"status": "here"}},
        "not json",
    ],
)
def test_a_socket_without_a_valid_token_first_is_closed_4401(http: TestClient, alice: Account, first: Any) -> None:
    with http.websocket_connect(WS) as socket:
        if isinstance(first, str):
            socket.send_text(first)
        else:
            socket.send_json(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_a_socket_that_never_authenticates_is_closed_4401(http: TestClient) -> None:
    http.app.state.ws_timing = WsTiming(auth_seconds=0.05)  # type: ignore[attr-defined]
    with http.websocket_connect(WS) as socket, pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_json()
    assert closed.value.code == 4401
    assert "within" in closed.value.reason


def test_a_resume_sends_what_was_missed_then_live_events(http: TestClient, alice: Account) -> None:
    add_habit(alice, "Run")
    seen = newest_event(http, alice.user_id)
    missed = [add_habit(alice, name) for name in ("Read", "Write")]
    assert len(missed) == 2
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice, last_event_id=seen))
        ready = socket.receive_json()
        first, second = socket.receive_json(), socket.receive_json()
        add_habit(alice, "Sleep")
        live = socket.receive_json()
    assert ready["type"] == "ready"
    assert [first["type"], second["type"], live["type"]] == ["data:changed"] * 3
    assert seen < first["id"] < second["id"] == ready["last_event_id"] < live["id"]


def test_a_resume_from_before_the_oldest_kept_event_asks_for_a_resync(http: TestClient, alice: Account) -> None:
    add_habit(alice, "Run")
    seen = newest_event(http, alice.user_id)
    add_habit(alice, "Read")
    pruned = newest_event(http, alice.user_id)  # the client never saw this one, and it is gone now
    add_habit(alice, "Write")
    with Session(http.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        session.execute(delete(ChangeEvent).where(col(ChangeEvent.id) <= pruned))  # as the week's pruning does
        session.commit()
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice, last_event_id=seen))
        ready = socket.receive_json()
        resync = socket.receive_json()
    assert resync == {"type": "resync", "last_event_id": ready["last_event_id"]}


def test_a_resume_from_an_unknown_future_id_asks_for_a_resync(http: TestClient, alice: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice, last_event_id=10_000))
        socket.receive_json()
        assert socket.receive_json()["type"] == "resync"


def test_a_malformed_last_event_id_is_closed_4400(http: TestClient, alice: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice, last_event_id="yesterday"))
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4400


def test_the_server_pings_and_closes_a_socket_that_stops_answering(http: TestClient, alice: Account) -> None:
    # A pong must reach the server before the next ping: half a second leaves room on a loaded machine (at 0.05 s
    # a slow test thread was closed with 4408 before the server got to what the test is about).
    http.app.state.ws_timing = WsTiming(ping_seconds=0.5, poll_seconds=0.01)  # type: ignore[attr-defined]
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        assert socket.receive_json() == {"type": "ping"}
        socket.send_json({"type": "pong"})
        assert socket.receive_json() == {"type": "ping"}  # answered: still open, pinged again
        with pytest.raises(WebSocketDisconnect) as closed:  # this ping goes unanswered
            while True:
                socket.receive_json()
    assert closed.value.code == 4408


def test_a_logout_closes_the_logins_open_sockets(http: TestClient, alice: Account) -> None:
    # A pong must reach the server before the next ping: half a second leaves room on a loaded machine (at 0.05 s
    # a slow test thread was closed with 4408 before the server got to what the test is about).
    http.app.state.ws_timing = WsTiming(ping_seconds=0.5, poll_seconds=0.01)  # type: ignore[attr-defined]
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        logout = alice.post("/api/v1/auth/logout", json={"refresh_token": alice.tokens["refresh_token"]})
        assert logout.status_code == 204, logout.text
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                if socket.receive_json()["type"] == "ping":
                    socket.send_json({"type": "pong"})
    assert closed.value.code == 4401


def test_presence_and_typing_reach_the_users_other_sockets_only(http: TestClient, alice: Account, bob: Account) -> None:
    with (
        http.websocket_connect(WS) as laptop,
        http.websocket_connect(WS) as phone,
        http.websocket_connect(WS) as bobs,
    ):
        for socket, account in ((laptop, alice), (phone, alice), (bobs, bob)):
            socket.send_json(hello(account))
            assert socket.receive_json()["type"] == "ready"
        laptop.send_json({"type": "presence:update", "data": {"status": "away"}})
        assert phone.receive_json() == {"type": "presence:update", "data": {"status": "away"}}
        laptop.send_json({"type": "chat:typing", "data": {"typing": True, "conversation_id": 3}})
        assert phone.receive_json() == {"type": "chat:typing", "data": {"typing": True, "conversation_id": 3}}
        bobs.send_json({"type": "ping"})
        assert bobs.receive_json() == {"type": "pong"}  # nothing of alice's was queued before it
        laptop.send_json({"type": "ping"})
        assert laptop.receive_json() == {"type": "pong"}  # nor echoed back to the sender


def test_a_bad_message_gets_an_error_naming_its_field(http: TestClient, alice: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        socket.send_json({"type": "presence:update", "data": {"status": "x" * 41}})
        too_long = socket.receive_json()
        socket.send_json({"type": "dance"})
        unknown = socket.receive_json()
        socket.send_text("[1, 2]")
        not_an_object = socket.receive_json()
    assert (too_long["type"], too_long["field"]) == ("error", "status")
    assert (unknown["type"], unknown["field"]) == ("error", "type")
    assert not_an_object["error"] == "invalid"


def test_a_socket_cannot_switch_to_another_user(http: TestClient, alice: Account, bob: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        socket.send_json(hello(bob))
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_a_chat_message_without_a_model_key_ends_in_a_503_problem(http: TestClient, alice: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        socket.send_json({"type": "chat:message", "text": "hello"})
        answer = socket.receive_json()
    assert (answer["type"], answer["event"]) == ("chat:response", "error")
    assert answer["data"]["status"] == 503


def test_open_sockets_are_counted_in_the_metrics(http: TestClient, alice: Account) -> None:
    def count() -> str:
        line = next(line for line in http.get("/metrics").text.splitlines() if line.startswith("paa_websocket_conn"))
        return line.split()[-1]

    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        assert count() == "1.0"
    wait_until(lambda: count() == "0.0", what="the closed socket to be uncounted", describe=count)


def test_a_client_sending_too_many_messages_is_closed_4429(http: TestClient, alice: Account) -> None:
    http.app.state.ws_timing = WsTiming(ping_seconds=3600, messages_burst=5, messages_per_second=0.001)  # type: ignore[attr-defined]
    with http.websocket_connect(WS) as socket:
        socket.send_json(hello(alice))
        socket.receive_json()
        for _ in range(5):
            socket.send_json({"type": "ping"})
            assert socket.receive_json() == {"type": "pong"}
        socket.send_json({"type": "ping"})  # the sixth, with the bucket empty
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4429
