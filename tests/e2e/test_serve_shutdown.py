"""Issue #15, operations: a graceful stop finishes the streams in flight. SIGTERM reaches a real `paa serve` while a
chat reply streams as Server-Sent Events (the fake Anthropic server holds the rest back): the client still gets
every delta and `done` (the reply stored whole, not as interrupted), no new connection is taken meanwhile, and the
server exits 0."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_serve import register, serving
from tests.e2e.test_serve_chat_sse import sse_events
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e


def test_sigterm_lets_a_streaming_reply_finish(paa_home: Path, fake_anthropic: FakeAnthropic) -> None:
    gate = threading.Event()
    scripted = reply("One two three four five six", chunks=6)
    scripted.pace = gate  # the fake sends the first delta, then waits for the test
    fake_anthropic.push(scripted)
    try:
        with serving() as server:
            token = register(server)
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            url = f"{server.url}/api/v1/chat/message"
            with httpx.stream(
                "POST", url, json={"message": "count"}, headers=headers, timeout=GIVE_UP_SECONDS
            ) as answer:
                assert answer.status_code == 200
                events = sse_events(answer.iter_lines())
                assert next(events) == ("delta", {"text": "One t"})
                server.process.send_signal(signal.SIGTERM)  # the stop begins with the reply half sent
                wait_until(lambda: _refused(server.url), what="the stopping server to refuse new connections")
                gate.set()
                rest = list(events)
            _out, err = server.process.communicate(timeout=GIVE_UP_SECONDS)
    finally:
        gate.set()
    assert [name for name, _ in rest] == ["delta"] * 5 + ["done"], err
    done = rest[-1][1]
    assert done["text"] == "One two three four five six" and done["interrupted"] is False
    assert isinstance(done["message_id"], int)
    assert server.process.returncode == 0, err
    assert f"stopped serving {server.url}" in err


def _refused(url: str) -> bool:
    """Whether a new connection is refused (a stopping server closes its listening socket first)."""
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False
