"""`/api/v1/ws`: the WebSocket of live events (the protocol is in docs/server.md, "WebSocket events").

A socket starts unauthenticated: its first message must be `{"type": "auth", "token": ...}` (an access token or an
API token) within AUTH_SECONDS, so no token ever sits in a URL. The server answers `{"type": "ready",
"last_event_id": N}`, then sends each new event of the user's change feed as `{"type", "id", "data", "at"}`. An
auth message carrying `last_event_id` resumes: the events after it are sent first, from the feed, or `{"type":
"resync"}` when the feed no longer reaches back that far. The server pings every PING_SECONDS, closes a socket that
answered nothing since the previous ping, and checks the token again each time (a logout or revocation reaches
open sockets; a client sends a new `auth` message with a fresh token before its access token expires).

Close codes: 4400 a malformed first message, 4401 no valid token (missing, wrong, expired, revoked, another
user's), 4403 a token without the read scope, 4408 no answer to a ping, 4409 the client fell behind (reconnect
with `last_event_id`: nothing is lost), 4429 the client sent too many messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from sqlmodel import Session

from paa.api.caller import authenticate
from paa.api.hub import Connection, FeedPoller, Hub, event_message
from paa.core.accounts.bearer import Caller
from paa.core.attachments import MESSAGE_MAX_FILES
from paa.core.changes import FeedEvent, events_after, latest_id, oldest_id
from paa.core.runtime import Runtime
from paa.errors import PaaError, PermissionDenied

router = APIRouter(tags=["events"])

BACKLOG_LIMIT = 5000  # events a resume sends; a client further behind than this reloads instead (resync)
PRESENCE_MAX = 40  # characters of a presence status
ECHOED = ("chat:typing", "presence:update")
PUMP_THREAD = "paa-ws-chat"


@dataclass(frozen=True)
class WsTiming:
    """The socket's clocks: the tests shorten them (`app.state.ws_timing`)."""

    auth_seconds: float = 10.0
    ping_seconds: float = 20.0
    poll_seconds: float = 0.2
    safety_poll_seconds: float = 5.0  # with Redis: how often the feed is read with no announcement heard
    messages_burst: int = 100  # messages a client may send at once...
    messages_per_second: float = 20.0  # ...and on average: a typing indicator needs far fewer


class Closing(Exception):
    """End the socket with a close code and a reason the client can show."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def timing_of(app: FastAPI) -> WsTiming:
    timing = getattr(app.state, "ws_timing", None)
    return timing if isinstance(timing, WsTiming) else WsTiming()


def hub_of(app: FastAPI) -> Hub:
    """This process's hub, made on first use (one per app: TestClient and uvicorn each run one app per process)."""
    hub = getattr(app.state, "hub", None)
    if hub is None:
        runtime: Runtime = app.state.runtime
        poll = timing_of(app).poll_seconds
        redis_url = runtime.environ.get("PAA_REDIS_URL")
        if redis_url:  # several workers: woken by Redis, presence relayed through it (paa.api.redis_bus)
            from paa.api.redis_bus import RedisBus, RedisFeed

            bus = RedisBus(redis_url)
            safety = timing_of(app).safety_poll_seconds
            shared = Hub(lambda: RedisFeed(runtime, bus, shared.receive_echo, safety), relay=bus.echo)
            hub = app.state.hub = shared
        else:
            hub = app.state.hub = Hub(lambda: FeedPoller(runtime, poll))
    assert isinstance(hub, Hub)
    return hub


@router.websocket("/ws", name="events")
async def events_socket(websocket: WebSocket) -> None:
    """Live events for one user; see the module's docstring."""
    from paa.api.metrics import websocket_connection

    app: FastAPI = websocket.app
    await websocket.accept()
    socket = Socket(websocket, app.state.runtime, hub_of(app), timing_of(app))
    with websocket_connection(app):
        try:
            await socket.run()
        except Closing as closing:
            with contextlib.suppress(Exception):  # the client may be gone already
                await websocket.close(closing.code, closing.reason)
        except WebSocketDisconnect:
            pass


class Socket:
    """One socket's life: authenticate, catch up, then send events and answer messages until either side ends."""

    def __init__(self, websocket: WebSocket, runtime: Runtime, hub: Hub, timing: WsTiming) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.hub = hub
        self.timing = timing
        self.token = ""
        self.caller: Caller | None = None
        self.heard = True  # anything received since the last ping
        self.chat = ChatTurns(self)

    async def run(self) -> None:
        hello = await self._first_message()
        self.caller = await self._check(hello["token"])
        self.token = hello["token"]
        connection = Connection(self.caller.user_id)
        await self.hub.attach(connection)  # before reading the backlog: nothing falls between the two
        try:
            await self._catch_up(connection, hello.get("last_event_id"))
            await self._serve(connection)
        finally:
            self.chat.stop()
            await self.hub.detach(connection)

    async def _first_message(self) -> dict[str, Any]:
        try:
            text = await asyncio.wait_for(self.websocket.receive_text(), self.timing.auth_seconds)
        except TimeoutError:
            raise Closing(
                4401, f"send {{'type': 'auth', 'token': ...}} within {self.timing.auth_seconds:g} s"
            ) from None
        message = _parse(text)
        if message is None or message.get("type") != "auth" or not isinstance(message.get("token"), str):
            raise Closing(4401, "the first message must be {'type': 'auth', 'token': ...}")
        after = message.get("last_event_id")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
            raise Closing(4400, "last_event_id must be a whole number, 0 or more")
        return message

    async def _check(self, token: str) -> Caller:
        """The caller a token proves, with the read scope; a Closing otherwise."""
        try:
            caller = await asyncio.to_thread(authenticate, self.runtime, token)
            caller.require("read")
        except PermissionDenied as exc:
            raise Closing(4403, exc.message) from None
        except PaaError as exc:
            raise Closing(4401, exc.message) from None
        if self.caller is not None and caller.user_id != self.caller.user_id:
            raise Closing(4401, "a socket stays with one user: open another for a second one")
        return caller

    async def _catch_up(self, connection: Connection, after: int | None) -> None:
        user_id = connection.user_id
        latest, backlog, resync = await asyncio.to_thread(self._backlog, user_id, after)
        await self.websocket.send_json({"type": "ready", "last_event_id": latest})
        if resync:
            await self.websocket.send_json({"type": "resync", "last_event_id": latest})
        for event in backlog:
            await self.websocket.send_json(event_message(event))
        connection.last_event_id = latest if resync or after is None else max([after, *(e.id for e in backlog)])

    def _backlog(self, user_id: int, after: int | None) -> tuple[int, list[FeedEvent], bool]:
        """The user's newest event id, the events after `after` (oldest first), and whether to resync instead."""
        with Session(self.runtime.engine) as session:
            latest = latest_id(session, user_id)
            if after is None:
                return latest, [], False
            # After the newest: a client of another database, or a made-up number. Before the user's oldest kept
            # event: events it never saw may have been pruned (KEEP_FOR). Either way only a reload is sure to be right.
            if after > latest or 0 < after < oldest_id(session, user_id):
                return latest, [], True
            found: list[FeedEvent] = []
            while True:
                page = [event for _, event in events_after(session, after, user_id=user_id)]
                found.extend(page)
                if len(page) < 500:
                    return latest, found, False
                if len(found) >= BACKLOG_LIMIT:
                    return latest, [], True
                after = page[-1].id

    async def _serve(self, connection: Connection) -> None:
        tasks = [
            asyncio.create_task(self._write(connection)),
            asyncio.create_task(self._read(connection)),
            asyncio.create_task(self._heartbeat(connection)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for task in done:
            error = task.exception()
            if error is not None:
                raise error

    async def _write(self, connection: Connection) -> None:
        """Send what the hub and the reader queued, in order; an event already sent (by the catch-up) is skipped."""
        while True:
            message = await connection.queue.get()
            if message.get("type") == "overflow":
                raise Closing(4409, "fell behind: reconnect with last_event_id to resume")
            event_id = message.get("id")
            if isinstance(event_id, int):
                if event_id <= connection.last_event_id:
                    continue
                connection.last_event_id = event_id
            await self.websocket.send_json(message)

    async def _heartbeat(self, connection: Connection) -> None:
        """Ping; close a socket silent since the previous ping; check the token again (it may have ended)."""
        while True:
            await asyncio.sleep(self.timing.ping_seconds)
            if not self.heard:
                raise Closing(4408, f"no answer to a ping within {self.timing.ping_seconds:g} s")
            self.heard = False
            await self._check(self.token)
            connection.offer({"type": "ping"})

    async def _read(self, connection: Connection) -> None:
        allowance, last = float(self.timing.messages_burst), time.monotonic()
        while True:
            text = await self.websocket.receive_text()
            self.heard = True
            now = time.monotonic()  # a token bucket: each message (a re-auth is a database read) spends one
            allowance = min(
                float(self.timing.messages_burst), allowance + (now - last) * self.timing.messages_per_second
            )
            last = now
            if allowance < 1:
                raise Closing(4429, "too many messages: slow down, then reconnect with last_event_id")
            allowance -= 1
            message = _parse(text)
            if message is None:
                connection.offer(_error("invalid", "a message is a JSON object with a `type`"))
                continue
            kind = message["type"]
            if kind == "pong":
                continue
            if kind == "ping":
                connection.offer({"type": "pong"})
            elif kind == "auth":
                await self._reauthenticate(connection, message)
            elif kind in ECHOED:
                self._echo(connection, kind, message)
            elif kind in ("chat:message", "chat:confirm"):
                # a task of its own: the reader goes on reading (pongs) while the model starts its reply
                self.chat.begin(connection, kind, message)
            else:
                connection.offer(_error("invalid", f"unknown message type {str(kind)[:40]!r}", field="type"))

    async def _reauthenticate(self, connection: Connection, message: dict[str, Any]) -> None:
        """A fresh token on an open socket (before the old one expires): kept for the next checks."""
        token = message.get("token")
        if not isinstance(token, str):
            connection.offer(_error("invalid", "an auth message needs a `token`", field="token"))
            return
        self.caller = await self._check(token)
        self.token = token
        connection.offer({"type": "authenticated"})

    def _echo(self, connection: Connection, kind: str, message: dict[str, Any]) -> None:
        """Typing and presence, checked and passed to the user's other sockets (they are not stored)."""
        data = message.get("data", {})
        if not isinstance(data, dict):
            connection.offer(_error("invalid", "`data` must be an object", field="data"))
            return
        if kind == "presence:update":
            status = data.get("status")
            if not isinstance(status, str) or not 0 < len(status) <= PRESENCE_MAX or not status.isprintable():
                connection.offer(_error("invalid", f"`status` must be text of 1 to {PRESENCE_MAX} characters",
                                        field="status"))  # fmt: skip
                return
            shown: dict[str, Any] = {"status": status}
        else:
            typing = data.get("typing", True)
            conversation = data.get("conversation_id")
            if not isinstance(typing, bool) or not (conversation is None or type(conversation) is int):
                connection.offer(_error("invalid", "`typing` is true or false and `conversation_id` a number",
                                        field="typing"))  # fmt: skip
                return
            shown = {"typing": typing, "conversation_id": conversation}
        self.hub.echo(connection, {"type": kind, "data": shown})


LAST_EVENTS = ("done", "error")  # a chat turn's last `chat:response` event


class ChatTurns:
    """`chat:message` and `chat:confirm` on a socket: one turn at a time, streamed as `chat:response` messages.

    Each `paa.api.chat_stream` event becomes `{"type": "chat:response", "request_id", "event", "data"}`: `delta`s,
    `tool`, `notice`, `confirm`, then `done` or `error` (a problem document) last. The turn runs in a thread of its
    own (model and database calls block); a socket that ends mid-reply stops the model, and the reply so far is
    stored as interrupted, as Ctrl-C does in the CLI.
    """

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.running: threading.Event | None = None  # set to stop the turn in progress
        self.cancel: Any = None
        self.tasks: set[asyncio.Task[None]] = set()  # starts in progress, referenced until done

    def begin(self, connection: Connection, kind: str, message: dict[str, Any]) -> None:
        task = asyncio.create_task(self.start(connection, kind, message))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self, connection: Connection, kind: str, message: dict[str, Any]) -> None:
        from paa.ai.chat import MESSAGE_MAX_CHARS
        from paa.ai.providers.base import CancelToken
        from paa.api import chat_stream

        request_id = message.get("request_id")
        if request_id is not None and (not isinstance(request_id, str) or len(request_id) > 100):
            connection.offer(_error("invalid", "`request_id` is text of up to 100 characters", field="request_id"))
            return
        if self.running is not None:
            connection.offer(_error("busy", "a reply is still streaming on this socket: wait for its done",
                                    field="type", request_id=request_id))  # fmt: skip
            return
        runtime, caller = self.socket.runtime, self.socket.caller
        assert caller is not None
        cancel = CancelToken()
        start: Callable[[], Iterator[dict[str, Any]]]
        if kind == "chat:message":
            text, conversation = message.get("text"), message.get("conversation_id")
            attachments = message.get("attachments") or []  # ids of uploads (POST /chat/attachments)
            if (
                not isinstance(attachments, list)
                or len(attachments) > MESSAGE_MAX_FILES
                or any(type(item) is not int or item < 1 for item in attachments)
            ):
                connection.offer(_error("invalid", f"`attachments` is a list of up to {MESSAGE_MAX_FILES} upload ids",
                                        field="attachments", request_id=request_id))  # fmt: skip
                return
            if not isinstance(text, str) or not (text.strip() or attachments) or len(text) > MESSAGE_MAX_CHARS:
                connection.offer(_error("invalid", f"`text` is the message, 1 to {MESSAGE_MAX_CHARS} characters",
                                        field="text", request_id=request_id))  # fmt: skip
                return
            if conversation is not None and (type(conversation) is not int or conversation < 1):
                connection.offer(_error("invalid", "`conversation_id` is a conversation's number",
                                        field="conversation_id", request_id=request_id))  # fmt: skip
                return

            def start() -> Iterator[dict[str, Any]]:
                return chat_stream.stream_reply(
                    runtime, caller, text, conversation, cancel=cancel, attachments=attachments
                )
        else:
            confirmation, approve = message.get("id"), message.get("approve")
            if not isinstance(confirmation, str) or not isinstance(approve, bool):
                connection.offer(_error("invalid", "`id` is the confirmation's id and `approve` true or false",
                                        field="approve", request_id=request_id))  # fmt: skip
                return

            def start() -> Iterator[dict[str, Any]]:
                return chat_stream.stream_confirmation(runtime, caller, confirmation, approve, cancel=cancel)

        stop = self.running = threading.Event()
        self.cancel = cancel
        try:
            events = await asyncio.to_thread(start)
        except PaaError as exc:
            self.running = None
            self._send(connection, request_id, {"event": "error", "data": chat_stream.problem_document(exc)})
            return
        loop = asyncio.get_running_loop()

        def pump() -> None:
            try:
                for event in events:
                    if stop.is_set():
                        break
                    if event.get("event") in LAST_EVENTS:  # free the socket before the client hears the turn is over:
                        self._from_thread(loop, functools.partial(self._ended, stop))  # its next message is no "busy"
                    self._from_thread(loop, functools.partial(self._send, connection, request_id, event))
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()  # early: the turn stops its model stream and stores what arrived, marked interrupted
                self._from_thread(loop, functools.partial(self._ended, stop))

        threading.Thread(target=pump, name=PUMP_THREAD, daemon=True).start()

    def _send(self, connection: Connection, request_id: str | None, event: dict[str, Any]) -> None:
        connection.offer({"type": "chat:response", "request_id": request_id, **event})

    def _ended(self, stop: threading.Event) -> None:
        if self.running is stop:
            self.running, self.cancel = None, None

    @staticmethod
    def _from_thread(loop: asyncio.AbstractEventLoop, call: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has ended: the socket is gone, nobody to tell
            loop.call_soon_threadsafe(call)

    def stop(self) -> None:
        """The socket ended: stop the turn in progress, if any."""
        if self.running is not None:
            self.running.set()
            self.cancel.cancel()


def finish_chat_turns(timeout: float) -> None:
    """Give the chat turns stopped by closing sockets up to `timeout` seconds to store what arrived (marked
    interrupted): a stopping server calls it before it closes its runtime. The threads are found by name: this
    module's pumps, then the turns they stopped (`paa.api.chat_stream` drains those in threads of their own)."""
    deadline = time.monotonic() + timeout
    for prefix in (PUMP_THREAD, "paa-chat-interrupted"):
        for thread in [found for found in threading.enumerate() if found.name.startswith(prefix)]:
            thread.join(max(0.0, deadline - time.monotonic()))


def _parse(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None
    return value


def _error(slug: str, detail: str, *, field: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    extra = {**({"field": field} if field else {}), **({"request_id": request_id} if request_id else {})}
    return {"type": "error", "error": slug, "detail": detail, **extra}
