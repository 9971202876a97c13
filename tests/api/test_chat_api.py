"""`/api/v1/chat` over the real app, against the fake Anthropic server (the real `anthropic` SDK, 127.0.0.1 only):
streamed and JSON answers, tools that change data, the confirmation rule, isolation and the missing key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paa.api.app import create_app
from paa.api.caller import authenticate
from paa.api.chat_stream import stream_reply
from paa.api.routes.chat import ChatAnswer
from paa.clock import FixedClock
from tests.api.conftest import Account, register
from tests.support.fake_anthropic import FakeAnthropic, mid_stream_error, reply
from tests.support.runtime import runtime_for
from tests.support.waiting import wait_until

SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def http(clock: FixedClock, fake_anthropic: FakeAnthropic) -> Iterator[TestClient]:
    """The app on a server runtime whose environment points the SDK at the fake server (set before it is built)."""
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        yield client


def events_of(account: Account, url: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """POST and read the Server-Sent Events one by one: (event name, data)."""
    found: list[tuple[str, dict[str, Any]]] = []
    with account.http.stream("POST", url, json=body, headers={**account.headers, **SSE}) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        name, data = "", ""
        for line in answer.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and name:
                found.append((name, json.loads(data)))
                name, data = "", ""
    return found


def habit_named(account: Account, name: str) -> dict[str, Any] | None:
    listed = account.get("/api/v1/habits").json()
    return next((item for item in listed if item["name"] == name), None)


def tool_results(fake: FakeAnthropic) -> list[dict[str, Any]]:
    """The tool_result blocks of the newest request the model received."""
    last = fake.message_requests[-1].body["messages"]
    return [
        block
        for message in last
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def test_a_streamed_reply_arrives_event_by_event(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Hello Alice, nice to see you again.", chunks=3, usage=(120, 30)))
    events = events_of(alice, "/api/v1/chat/message", {"message": "hello"})

    names = [name for name, _ in events]
    assert names == ["delta", "delta", "delta", "done"]
    assert "".join(data["text"] for name, data in events if name == "delta") == "Hello Alice, nice to see you again."
    done = events[-1][1]
    assert done["usage"]["output_tokens"] == 30 and done["usage"]["input_tokens"] == 120
    assert done["confirmation"] is None
    user_id, reply_id = done["message_ids"]
    assert done["message_id"] == reply_id

    stored = alice.get("/api/v1/chat/history", params={"conversation_id": done["conversation_id"]}).json()
    assert [(m["id"], m["role"], m["content"]) for m in stored["messages"]] == [
        (user_id, "user", "hello"),
        (reply_id, "assistant", "Hello Alice, nice to see you again."),
    ]
    listed = alice.get("/api/v1/chat/history").json()
    assert [(item["id"], item["title"], item["messages"]) for item in listed] == [(done["conversation_id"], "hello", 2)]
    assert fake_anthropic.message_requests[-1].texts() == ["hello"]


def test_a_json_answer_where_a_tool_logs_a_habit(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    alice.post("/api/v1/habits", json={"name": "Run"})
    fake_anthropic.push(reply("Logging it.", tools=[("log_habit", {"habit": "Run"})]), reply("Run is done today."))

    answer = alice.post("/api/v1/chat/message", json={"message": "I went for a run"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ChatAnswer.model_validate(body)  # the shape the OpenAPI document promises
    assert body["reply"] == "Logging it.\n\nRun is done today."
    assert [(call["name"], call["input"], call["ok"], call["declined"]) for call in body["tool_calls"]] == [
        ("log_habit", {"habit": "Run"}, True, False)
    ]
    assert "Logged Run" in body["tool_calls"][0]["summary"]
    assert body["confirmation"] is None
    assert len(body["message_ids"]) == 4  # the message, the first reply, the tool's result, the last reply

    run = habit_named(alice, "Run")
    assert run is not None and run["today"]["state"] == "done"
    assert '"outcome": "created"' in tool_results(fake_anthropic)[0]["content"]

    fake_anthropic.push(reply("You're welcome."))  # the conversation goes on: the model sees the earlier turn
    answer = alice.post("/api/v1/chat/message", json={"message": "thanks", "conversation_id": body["conversation_id"]})
    assert answer.json()["reply"] == "You're welcome."
    assert "I went for a run" in fake_anthropic.message_requests[-1].texts()


def test_a_destructive_tool_waits_for_confirmation_then_runs(
    alice: Account, bob: Account, fake_anthropic: FakeAnthropic
) -> None:
    alice.post("/api/v1/habits", json={"name": "Run"})
    fake_anthropic.push(reply("I can do that.", tools=[("delete_habit", {"habit": "Run"})]))

    events = events_of(alice, "/api/v1/chat/message", {"message": "delete my Run habit"})
    assert [name for name, _ in events] == ["delta", "delta", "delta", "confirm", "done"]
    waiting = events[3][1]
    assert waiting["tool"] == "delete_habit" and waiting["input"] == {"habit": "Run"}
    assert waiting["question"].startswith("Delete the habit Run")
    assert events[-1][1]["confirmation"] == waiting
    assert habit_named(alice, "Run") is not None  # nothing ran yet
    assert len(fake_anthropic.message_requests) == 1

    url = f"/api/v1/chat/confirm/{waiting['id']}"
    assert bob.post(url, json={"approve": True}).status_code == 404  # bound to Alice
    assert habit_named(alice, "Run") is not None

    fake_anthropic.push(reply("Deleted Run."))
    answer = alice.post(url, json={"approve": True})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ChatAnswer.model_validate(body)
    assert body["reply"] == "Deleted Run."
    assert [(c["name"], c["ok"]) for c in body["tool_calls"]] == [("delete_habit", True)]
    assert habit_named(alice, "Run") is None
    assert "logs_removed" in tool_results(fake_anthropic)[0]["content"]

    again = alice.post(url, json={"approve": True})  # answered once, and only once
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


def test_a_refused_confirmation_changes_nothing(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    alice.post("/api/v1/habits", json={"name": "Run"})
    fake_anthropic.push(reply("", tools=[("delete_habit", {"habit": "Run"})]))
    first = alice.post("/api/v1/chat/message", json={"message": "delete Run"}).json()
    waiting = ChatAnswer.model_validate(first).confirmation
    assert waiting is not None and waiting.tool == "delete_habit" and first["tool_calls"] == []

    fake_anthropic.push(reply("All right, I kept it."))
    events = events_of(alice, f"/api/v1/chat/confirm/{waiting.id}", {"approve": False})
    tools = [data for name, data in events if name == "tool"]
    assert [(t["state"], t["name"]) for t in tools] == [("started", "delete_habit"), ("finished", "delete_habit")]
    assert tools[1]["declined"] is True and tools[1]["ok"] is False
    assert events[-1][0] == "done" and events[-1][1]["confirmation"] is None
    assert habit_named(alice, "Run") is not None
    assert '"declined": true' in tool_results(fake_anthropic)[0]["content"]


def test_a_confirmation_expires_and_a_new_message_sets_it_aside(
    alice: Account, fake_anthropic: FakeAnthropic, clock: FixedClock
) -> None:
    alice.post("/api/v1/habits", json={"name": "Run"})
    fake_anthropic.push(reply("Sure.", tools=[("delete_habit", {"habit": "Run"})]))
    body = alice.post("/api/v1/chat/message", json={"message": "delete Run"}).json()

    clock.advance(timedelta(minutes=16))
    late = alice.post(f"/api/v1/chat/confirm/{body['confirmation']['id']}", json={"approve": True})
    assert late.status_code == 404
    assert "expired" in late.json()["detail"]
    assert habit_named(alice, "Run") is not None

    fake_anthropic.push(reply("Noted, Run stays."))
    answer = alice.post(
        "/api/v1/chat/message", json={"message": "never mind", "conversation_id": body["conversation_id"]}
    )
    assert answer.status_code == 200, answer.text  # the held call was answered (declined), so the history is valid
    assert "Not confirmed" in tool_results(fake_anthropic)[0]["content"]


def test_bob_cannot_see_or_continue_alices_conversation(
    alice: Account, bob: Account, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply("Hi Alice."))
    conversation = alice.post("/api/v1/chat/message", json={"message": "my secret plan"}).json()["conversation_id"]

    assert bob.get("/api/v1/chat/history", params={"conversation_id": conversation}).status_code == 404
    assert bob.get("/api/v1/chat/context", params={"conversation_id": conversation}).status_code == 404
    continued = bob.post("/api/v1/chat/message", json={"message": "and?", "conversation_id": conversation})
    assert continued.status_code == 404
    assert bob.get("/api/v1/chat/history").json() == []
    assert len(fake_anthropic.message_requests) == 1  # Bob's attempt never reached the model


def test_the_context_is_what_the_model_would_be_told(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    alice.post("/api/v1/habits", json={"name": "Drink water", "unit": "glasses", "target": 8})
    shown = alice.get("/api/v1/chat/context", params={"message": "water"}).json()
    assert shown["system"].startswith("You are paa")
    assert "Drink water" in shown["context"] and "2026-11-26" in shown["context"]
    assert "log_habit" in shown["tools"] and "delete_habit" in shown["tools"]

    fake_anthropic.push(reply("Drink up."))
    alice.post("/api/v1/chat/message", json={"message": "water"})
    system = fake_anthropic.message_requests[-1].body["system"]
    assert [block["text"] for block in system] == [
        shown["system"],
        shown["context"],
    ]  # the same builder, the same words


def test_a_model_failure_mid_stream_is_an_error_event(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(mid_stream_error("Part of an answer that never ends", after_events=5))
    events = events_of(alice, "/api/v1/chat/message", {"message": "hello"})
    assert events[0][0] == "delta"
    name, problem = events[-1]
    assert name == "error"
    assert problem["status"] == 503 and problem["type"] == "/problems/model-unavailable"


def test_a_client_leaving_mid_reply_keeps_what_arrived(
    http: TestClient, alice: Account, fake_anthropic: FakeAnthropic
) -> None:
    """The WebSocket's way in (stream_reply): dropping the stream stops the model and stores the reply so far as
    interrupted, as Ctrl-C does in the CLI."""
    gate = threading.Event()  # the fake holds the rest of the reply back until the test has left
    scripted = reply("One two three four five six", chunks=6)
    scripted.pace = gate
    fake_anthropic.push(scripted)
    runtime = http.app.state.runtime  # type: ignore[attr-defined]
    events = stream_reply(runtime, authenticate(runtime, alice.tokens["access_token"]), "count for me")
    assert next(events) == {"event": "delta", "data": {"text": "One t"}}
    events.close()  # type: ignore[attr-defined]
    try:

        def stored() -> list[dict[str, Any]]:
            listed = alice.get("/api/v1/chat/history").json()
            shown = alice.get("/api/v1/chat/history", params={"conversation_id": listed[0]["id"]}).json()
            return [m for m in shown["messages"] if m["role"] == "assistant"]

        replies = wait_until(stored, what="the interrupted reply to be stored")
        assert [(m["content"], m["interrupted"]) for m in replies] == [("One t", True)]
    finally:
        gate.set()


def test_without_an_api_key_the_chat_is_503(clock: FixedClock) -> None:
    with runtime_for(clock=clock, serves_callers=True) as runtime, TestClient(create_app(runtime)) as client:
        carol = register(client, "carol")
        answer = carol.post("/api/v1/chat/message", json={"message": "hello"})
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "no Anthropic API key" in answer.json()["detail"]
        assert carol.post("/api/v1/chat/message", json={"message": "hi"}, headers=SSE).status_code == 503
        assert carol.get("/api/v1/chat/history").json() == []  # nothing was stored
        assert carol.get("/api/v1/chat/context").status_code == 200  # reading needs no model


def test_messages_are_searched_and_a_conversation_deleted(
    alice: Account, bob: Account, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply("Rest it for a day."), reply("Sure."))
    first = alice.post("/api/v1/chat/message", json={"message": "my knee hurts after runs"}).json()
    alice.post("/api/v1/chat/message", json={"message": "plan my week"})

    found = alice.get("/api/v1/chat/search", params={"q": "KNEE runs"})
    assert found.status_code == 200, found.text
    hits = [(hit["conversation_id"], hit["role"], hit["match"]) for hit in found.json()]
    assert hits[0] == (first["conversation_id"], "user", "text")
    assert bob.get("/api/v1/chat/search", params={"q": "knee"}).json() == []
    assert alice.get("/api/v1/chat/search", params={"q": " "}).status_code == 422

    url = f"/api/v1/chat/conversations/{first['conversation_id']}"
    assert bob.delete(url).status_code == 404
    assert alice.delete(url).status_code == 204
    assert alice.get("/api/v1/chat/history", params={"conversation_id": first["conversation_id"]}).status_code == 404
    assert [item["title"] for item in alice.get("/api/v1/chat/history").json()] == ["plan my week"]
    assert all(hit["conversation_id"] != first["conversation_id"] for hit in
               alice.get("/api/v1/chat/search", params={"q": "knee"}).json())  # fmt: skip
    assert alice.delete(url).status_code == 404


def test_the_chat_reads_answer_their_documented_shapes(alice: Account, fake_anthropic: FakeAnthropic) -> None:
    """History (the list and one conversation), search and context hold to the schemas the OpenAPI document names,
    with a tool call and its result among the messages."""
    from pydantic import TypeAdapter

    from paa.api import schemas

    def holds(model: Any, path: str, **params: Any) -> Any:
        answer = alice.get(f"/api/v1/chat/{path}", params=params)
        assert answer.status_code == 200, answer.text
        return TypeAdapter(model).validate_json(answer.content)

    alice.post("/api/v1/habits", json={"name": "Run"})
    fake_anthropic.push(reply("Logging it.", tools=[("log_habit", {"habit": "Run"})]), reply("Run is done today."))
    conversation = alice.post("/api/v1/chat/message", json={"message": "I went for a run"}).json()["conversation_id"]

    listed = holds(list[schemas.Conversation], "history")
    assert [(item.id, item.messages) for item in listed] == [(conversation, 4)]
    detail = holds(list[schemas.Conversation] | schemas.ConversationDetail, "history", conversation_id=conversation)
    assert isinstance(detail, schemas.ConversationDetail)
    assert [message.role for message in detail.messages] == ["user", "assistant", "tool", "assistant"]
    hits = holds(list[schemas.ChatHit], "search", q="run")
    assert hits and {hit.conversation_id for hit in hits} == {conversation}
    preview = holds(schemas.ChatContext, "context", message="how is my running going", conversation_id=conversation)
    assert "log_habit" in preview.tools and preview.history.messages == 4
