"""A chat over `/api/v1/ws` against the fake Anthropic server: `chat:message` streams `chat:response` events (deltas,
then done), one turn at a time per socket, and the reply is stored like the CLI's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from paa.api.app import create_app
from paa.api.events_ws import WsTiming
from paa.clock import FixedClock
from tests.api.conftest import Account
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.runtime import runtime_for
from tests.support.waiting import wait_until

WS = "/api/v1/ws"


@pytest.fixture
def http(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[TestClient]:
    """The app on a server runtime whose environment points the SDK at the fake server (set before it is built)."""
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        client.app.state.ws_timing = WsTiming(ping_seconds=3600, poll_seconds=0.01)  # type: ignore[attr-defined]
        yield client


def chat_responses(socket: WebSocketTestSession) -> list[dict[str, Any]]:
    """The `chat:response` messages up to the turn's last (done or error); feed events in between are skipped."""
    found: list[dict[str, Any]] = []
    while not found or found[-1]["event"] not in ("done", "error"):
        message = socket.receive_json()
        assert message["type"] != "error", message  # the turn never comes: fail here rather than wait for ever
        if message["type"] == "chat:response":
            found.append(message)
    return found


def test_a_chat_message_streams_deltas_then_done(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply("Hello Alice, nice to see you again.", chunks=3))
    with http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        assert socket.receive_json()["type"] == "ready"
        socket.send_json({"type": "chat:message", "text": "hello", "request_id": "r1"})
        responses = chat_responses(socket)
    assert [message["event"] for message in responses] == ["delta", "delta", "delta", "done"]
    assert {message["request_id"] for message in responses} == {"r1"}
    text = "".join(message["data"]["text"] for message in responses if message["event"] == "delta")
    assert text == "Hello Alice, nice to see you again."
    done = responses[-1]["data"]
    history = alice.get("/api/v1/chat/history", params={"conversation_id": done["conversation_id"]})
    assert history.status_code == 200, history.text
    assert "Hello Alice, nice to see you again." in history.text


def test_the_next_message_is_taken_as_soon_as_a_turn_says_done(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sent its next message on hearing `done` could be told "busy": the socket was freed only after
    the turn had wound down. The turn below winds down slowly, so the old order fails every time."""
    from paa.api import chat_stream

    real = chat_stream.stream_reply

    def slow_to_wind_down(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        try:
            yield from real(*args, **kwargs)
        finally:
            time.sleep(0.5)  # widens the moment between the turn's last event and its end; no time is measured

    monkeypatch.setattr(chat_stream, "stream_reply", slow_to_wind_down)
    fake_anthropic.push(reply("One."), reply("Two."))
    with http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        assert socket.receive_json()["type"] == "ready"
        socket.send_json({"type": "chat:message", "text": "first", "request_id": "r1"})
        assert chat_responses(socket)[-1]["event"] == "done"
        socket.send_json({"type": "chat:message", "text": "second", "request_id": "r2"})
        second = chat_responses(socket)
    assert second[-1]["event"] == "done" and {message["request_id"] for message in second} == {"r2"}


def test_a_chat_message_without_text_is_an_error_naming_the_field(http: TestClient, alice: Account) -> None:
    with http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        socket.receive_json()
        socket.send_json({"type": "chat:message", "text": "   ", "request_id": "r2"})
        error = socket.receive_json()
    assert (error["type"], error["field"], error["request_id"]) == ("error", "text", "r2")


def test_a_destructive_tool_waits_for_chat_confirm_on_the_socket(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    assert alice.post("/api/v1/habits", json={"name": "Run"}).status_code == 201
    fake_anthropic.push(reply("I can do that.", tools=[("delete_habit", {"habit": "Run"})]))
    with http.websocket_connect(WS) as socket:
        socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
        socket.receive_json()
        socket.send_json({"type": "chat:message", "text": "delete my Run habit", "request_id": "ask"})
        asked = chat_responses(socket)
        waiting = next(message["data"] for message in asked if message["event"] == "confirm")
        assert waiting["tool"] == "delete_habit"
        assert [item["name"] for item in alice.get("/api/v1/habits").json()] == ["Run"]  # nothing ran yet

        fake_anthropic.push(reply("Deleted Run."))
        socket.send_json({"type": "chat:confirm", "id": waiting["id"], "approve": True, "request_id": "yes"})
        answered = chat_responses(socket)
    tools = [message["data"] for message in answered if message["event"] == "tool"]
    assert [(tool["state"], tool["name"]) for tool in tools] == [
        ("started", "delete_habit"),
        ("finished", "delete_habit"),
    ]
    assert tools[-1]["ok"] is True
    assert {message["request_id"] for message in answered} == {"yes"}
    assert alice.get("/api/v1/habits").json() == []


def test_a_socket_closed_mid_reply_stops_the_model_and_keeps_what_arrived(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    gate = threading.Event()  # the fake holds the rest of the reply back until the server has seen the socket go
    scripted = reply("One two three four five six", chunks=6)
    scripted.pace = gate
    fake_anthropic.push(scripted)
    try:
        with http.websocket_connect(WS) as socket:
            socket.send_json({"type": "auth", "token": alice.tokens["access_token"]})
            socket.receive_json()
            socket.send_json({"type": "chat:message", "text": "count for me"})
            first = socket.receive_json()
            while first["type"] != "chat:response":  # the stored question's data:changed may come first
                first = socket.receive_json()
            assert (first["event"], first["data"]) == ("delta", {"text": "One t"})

        def sockets_open() -> str:
            metrics = http.get("/metrics").text.splitlines()
            return next(line for line in metrics if line.startswith("paa_websocket_conn")).split()[-1]

        wait_until(lambda: sockets_open() == "0.0", what="the server to end the socket", describe=sockets_open)
        gate.set()  # the model goes on, as a real one does; the turn stops at its next words

        def stored() -> list[dict[str, Any]]:
            listed = alice.get("/api/v1/chat/history")
            if listed.status_code != 200 or not listed.json():  # not stored yet, or asked too often (429)
                return []
            shown = alice.get("/api/v1/chat/history", params={"conversation_id": listed.json()[0]["id"]})
            seen.append(shown.text)
            if shown.status_code != 200:
                return []
            return [message for message in shown.json()["messages"] if message["role"] == "assistant"]

        seen: list[str] = []
        replies = wait_until(stored, interval=0.5, what="the interrupted reply to be stored", describe=lambda: seen[-1])
        assert [(message["content"], message["interrupted"]) for message in replies] == [("One t", True)]
    finally:
        gate.set()
