"""A real `paa serve` streams a chat reply as Server-Sent Events while the model is still answering (the fake
Anthropic server holds the rest back), and a destructive tool waits for a second request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_serve import register, serving
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = pytest.mark.e2e


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    name, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and name:
            yield name, json.loads(data)
            name, data = "", ""


def test_a_reply_streams_before_the_model_has_finished(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    gate = threading.Event()
    scripted = reply("One two three four five six", chunks=6)
    scripted.pace = gate  # the fake sends the first delta, then waits for the test
    fake_anthropic.push(scripted)
    try:
        with serving() as server:
            headers = {"Authorization": f"Bearer {register(server)}", "Accept": "text/event-stream"}
            url = f"{server.url}/api/v1/chat/message"
            with httpx.stream(
                "POST", url, json={"message": "count"}, headers=headers, timeout=GIVE_UP_SECONDS
            ) as answer:
                assert answer.status_code == 200
                events = sse_events(answer.iter_lines())
                assert next(events) == ("delta", {"text": "One t"})  # arrived while the model is held back
                gate.set()
                rest = list(events)
    finally:
        gate.set()
    assert [name for name, _ in rest] == ["delta"] * 5 + ["done"]
    assert "One t" + "".join(data["text"] for name, data in rest if name == "delta") == "One two three four five six"


def test_a_destructive_tool_waits_for_the_second_request(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("", tools=[("delete_habit", {"habit": "Run"})]), reply("Deleted."))
    with serving() as server:
        token = register(server)
        with httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=GIVE_UP_SECONDS
        ) as client:
            assert client.post("/habits", json={"name": "Run"}).status_code == 201
            waiting = client.post("/chat/message", json={"message": "delete Run"}).json()["confirmation"]
            assert waiting["tool"] == "delete_habit"
            assert [habit["name"] for habit in client.get("/habits").json()] == ["Run"]
            confirmed = client.post(f"/chat/confirm/{waiting['id']}", json={"approve": True})
            assert confirmed.json()["reply"] == "Deleted."
            assert client.get("/habits").json() == []
