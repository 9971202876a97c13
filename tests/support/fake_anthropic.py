"""A fake Anthropic Messages API on 127.0.0.1, for running the real `anthropic` SDK in tests.

It answers POST /v1/messages like the real API: server-sent events for `stream: true` (message_start,
content_block_start/delta/stop with text and tool_use blocks, ping, message_delta, message_stop), JSON otherwise,
and errors in the API's shape (401 authentication_error, 429 rate_limit_error, 529 overloaded_error, 400
invalid_request_error). It checks what a client sends the way the API does (key, version header, alternating
roles, every tool_use answered by a tool_result) and records every request for tests to inspect.

Replies are scripted in order with `push(...)`, or computed by `responder(request)`. The `fake_anthropic` fixture
in tests/conftest.py starts one for a test and points the SDK at it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

from tests.support.waiting import GIVE_UP_SECONDS

API_KEY = "sk-ant-test-0000"
MODEL = "claude-sonnet-5-5"
_ids = count(1)


@dataclass
class Recorded:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def system_text(self) -> str:
        system = self.body.get("system") or []
        if isinstance(system, str):
            return system
        return "\n".join(block.get("text", "") for block in system)

    @property
    def tool_names(self) -> list[str]:
        return [tool["name"] for tool in self.body.get("tools") or []]

    def texts(self, role: str = "user") -> list[str]:
        """The text blocks of all messages of a role, in order."""
        found = []
        for message in self.body.get("messages", []):
            if message["role"] != role:
                continue
            content = message["content"]
            if isinstance(content, str):
                found.append(content)
            else:
                found.extend(block["text"] for block in content if block.get("type") == "text")
        return found


@dataclass
class Reply:
    """A scripted answer. `events` for a stream; `status`/`error` for an HTTP error; `cut_after` drops the
    connection after that many events; `mid_error` sends an `error` event there instead; `hang` never answers."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    message: dict[str, Any] | None = None  # the non-streamed form of the same reply
    status: int = 200
    error: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    mid_error: dict[str, Any] | None = None
    hang: bool = False
    repeat: int = 1  # answer this many requests with it (e.g. all of the SDK's retries)
    pace: threading.Event | None = None  # a gate: text after the first delta waits until it is set


def _message_id() -> str:
    return f"msg_fake{next(_ids):06d}"


def _usage(input_tokens: int, output_tokens: int, cache: tuple[int, int]) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache[0],
        "cache_read_input_tokens": cache[1],
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def reply(
    text: str = "",
    *,
    tools: list[tuple[str, dict[str, Any]]] | None = None,
    chunks: int = 3,
    model: str = MODEL,
    usage: tuple[int, int] = (120, 30),
    cache: tuple[int, int] = (0, 0),
    stop_reason: str | None = None,
) -> Reply:
    """A reply as the API streams it: optional text split into `chunks` deltas, then tool_use blocks."""
    message_id = _message_id()
    input_tokens, output_tokens = usage
    stop = stop_reason or ("tool_use" if tools else "end_turn")
    start_usage = {**_usage(input_tokens, 1, cache)}
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id, "type": "message", "role": "assistant", "content": [], "model": model,
                    "stop_reason": None, "stop_sequence": None, "usage": start_usage,
                },
            },
        ),
    ]  # fmt: skip
    content: list[dict[str, Any]] = []
    index = 0
    if text:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                                               "content_block": {"type": "text", "text": ""}}))  # fmt: skip
        events.append(("ping", {"type": "ping"}))
        size = max(1, -(-len(text) // max(1, chunks)))
        for start in range(0, len(text), size):
            delta = {"type": "text_delta", "text": text[start : start + size]}
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        content.append({"type": "text", "text": text})
        index = 1
    for name, arguments in tools or []:
        tool_id = f"toolu_fake{next(_ids):06d}"
        events.append(("content_block_start", {"type": "content_block_start", "index": index,
                       "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}}}))  # fmt: skip
        raw = json.dumps(arguments)
        half = len(raw) // 2
        for piece in ("", raw[:half], raw[half:]):
            delta = {"type": "input_json_delta", "partial_json": piece}
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        content.append({"type": "tool_use", "id": tool_id, "name": name, "input": arguments})
        index += 1
    events.append(("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": stop, "stop_sequence": None},
                                     "usage": _usage(input_tokens, output_tokens, cache)}))  # fmt: skip
    events.append(("message_stop", {"type": "message_stop"}))
    message = {
        "id": message_id, "type": "message", "role": "assistant", "content": content, "model": model,
        "stop_reason": stop, "stop_sequence": None, "usage": _usage(input_tokens, output_tokens, cache),
    }  # fmt: skip
    return Reply(events=events, message=message)


def error(
    status: int, kind: str, message: str = "", *, repeat: int = 1, headers: dict[str, str] | None = None
) -> Reply:
    """An error response in the API's shape; 429 and 529 come with a short retry-after so SDK retries are quick."""
    extra = dict(headers or {})
    if status in (429, 529) and not extra:
        extra["retry-after-ms"] = "5"
    body = {"type": "error", "error": {"type": kind, "message": message or kind.replace("_", " ")},
            "request_id": f"req_fake{next(_ids):06d}"}  # fmt: skip
    return Reply(status=status, error=body, headers=extra, repeat=repeat)


def cut(text: str, after_events: int = 4) -> Reply:
    """A text reply whose connection drops after `after_events` events (no message_stop, no final chunk)."""
    scripted = reply(text, chunks=6)
    scripted.cut_after = after_events
    return scripted


def mid_stream_error(text: str, after_events: int = 4, kind: str = "overloaded_error") -> Reply:
    """A reply that sends an `error` event part way, as the API does when it is overloaded mid-stream."""
    scripted = reply(text, chunks=6)
    scripted.cut_after = after_events
    scripted.mid_error = {"type": "error", "error": {"type": kind, "message": "Overloaded"}}
    return scripted


def hang() -> Reply:
    """Never answer (until the server stops): for timeouts."""
    return Reply(hang=True)


# ---- validation like the API's ------------------------------------------------------------------------


def problems(body: dict[str, Any]) -> str | None:
    """What the real API would reject in a Messages request body, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return 'messages: first message must use the "user" role'
    for tool in body.get("tools") or []:
        if not {"name", "input_schema"} <= set(tool) or tool["input_schema"].get("type") != "object":
            return f"tools: invalid tool definition {tool.get('name')!r}"
    for number, message in enumerate(messages):
        if number and message.get("role") == messages[number - 1].get("role"):
            return f'messages: roles must alternate between "user" and "assistant" (messages.{number})'
        content = message.get("content")
        if isinstance(content, str):
            if not content:
                return f"messages.{number}: content cannot be empty"
            continue
        if not content:
            return f"messages.{number}: content cannot be empty"
        for block in content:
            if block.get("type") == "text" and not block.get("text"):
                return f"messages.{number}: text content blocks must be non-empty"
            if block.get("type") in ("image", "document"):
                wrong = _media_problem(block)
                if wrong:
                    return f"messages.{number}: {wrong}"
        if message["role"] == "assistant":
            calls = [b["id"] for b in content if b.get("type") == "tool_use"]
            if calls:
                following = messages[number + 1]["content"] if number + 1 < len(messages) else None
                if following is None:
                    continue  # a trailing tool_use (prefill) is not what paa sends, but the API allows it
                results = [
                    b.get("tool_use_id") for b in following if isinstance(b, dict) and b.get("type") == "tool_result"
                ]
                missing = [c for c in calls if c not in results]
                if missing:
                    return (f"messages.{number + 1}: `tool_use` ids were found without `tool_result` blocks "
                            f"immediately after: {', '.join(missing)}")  # fmt: skip
                first_types = [b.get("type") for b in following]
                if first_types[: len(results)] != ["tool_result"] * len(results):
                    return f"messages.{number + 1}: tool_result blocks must come first"
        else:
            previous = messages[number - 1]["content"] if number else []
            asked = {b.get("id") for b in previous if isinstance(b, dict) and b.get("type") == "tool_use"}
            for block in content:
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in asked:
                    return f"messages.{number}: unexpected `tool_use_id` found in `tool_result` blocks"
    return None


IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
IMAGE_MAX_BASE64 = 5 * 1024 * 1024
REQUEST_MAX_BYTES = 32 * 1024 * 1024


def _media_problem(block: dict[str, Any]) -> str | None:
    """What the real API would reject in an image or document block (base64 sources only: what paa sends)."""
    import base64
    import binascii

    source = block.get("source") or {}
    if source.get("type") != "base64":
        return f"{block['type']}.source: only base64 sources are expected from paa"
    media_type, data = source.get("media_type"), source.get("data")
    wanted = IMAGE_TYPES if block["type"] == "image" else ("application/pdf",)
    if media_type not in wanted:
        return f"{block['type']}.source.media_type: Input should be {' or '.join(wanted)}"
    if not isinstance(data, str) or not data:
        return f"{block['type']}.source.data: Field required"
    if block["type"] == "image" and len(data) > IMAGE_MAX_BASE64:
        return "image exceeds 5 MB maximum"
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return f"{block['type']}.source.data: invalid base64 data"
    return None


# ---- the server -----------------------------------------------------------------------------------------


class FakeAnthropic:
    """The server and its script; `url` goes into ANTHROPIC_BASE_URL."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[Recorded], Reply] | None = None
        self.changed = threading.Condition()
        self.release = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-anthropic", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def push(self, *replies: Reply) -> None:
        with self.changed:
            self.replies.extend(replies)

    def next_reply(self, request: Recorded) -> Reply | None:
        with self.changed:
            if self.replies:
                scripted = self.replies[0]
                scripted.repeat -= 1
                if scripted.repeat <= 0:
                    self.replies.popleft()
                return scripted
        return self.responder(request) if self.responder else None

    def record(self, request: Recorded) -> None:
        with self.changed:
            self.requests.append(request)
            self.changed.notify_all()

    def wait_for_requests(self, number: int, timeout: float = 15.0) -> list[Recorded]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.requests) >= number, timeout):
                raise AssertionError(f"expected {number} requests, got {len(self.requests)}")
            return list(self.requests)

    @property
    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/v1/messages")]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeAnthropic

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (Ctrl-C, a timeout, a killed process) is normal here, not worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_fake{next(_ids):06d}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str) -> None:
        self._json(status, {"type": "error", "error": {"type": kind, "message": message}})

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) > REQUEST_MAX_BYTES:
            self._error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        request = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        fake.record(request)
        if not self.path.startswith("/v1/messages"):
            self._error(404, "not_found_error", f"Not found: {self.path}")
            return
        given = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if given != fake.api_key:
            self._error(401, "authentication_error", "invalid x-api-key")
            return
        if "anthropic-version" not in request.headers:
            self._error(400, "invalid_request_error", "anthropic-version: header is required")
            return
        problem = problems(body)
        if problem:
            self._error(400, "invalid_request_error", problem)
            return
        scripted = fake.next_reply(request)
        if scripted is None:
            self._error(500, "api_error", "the fake server has no reply scripted for this request")
            return
        if scripted.hang:
            fake.release.wait(60)
            self.close_connection = True
            return
        if scripted.error is not None:
            self._json(scripted.status, scripted.error, scripted.headers)
            return
        if not body.get("stream"):
            self._json(200, scripted.message or {})
            return
        self._stream(scripted)

    def _stream(self, scripted: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", f"req_fake{next(_ids):06d}")
        self.end_headers()
        for number, (name, data) in enumerate(scripted.events):
            if scripted.cut_after is not None and number >= scripted.cut_after:
                if scripted.mid_error is not None:
                    self._chunk(f"event: error\ndata: {json.dumps(scripted.mid_error)}\n\n".encode())
                    self._chunk(b"")
                    return
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            gated = scripted.pace is not None and name == "content_block_delta" and number > 3
            if gated and (not scripted.pace.wait(GIVE_UP_SECONDS) or self.server.fake.release.is_set()):  # type: ignore[union-attr]
                return
            self._chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
