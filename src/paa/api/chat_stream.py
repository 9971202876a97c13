"""A chat turn as a stream of plain event dicts: one implementation for the SSE route, the JSON answer and the
WebSocket.

    events = stream_reply(runtime, caller, "I ran 5 km", conversation_id=None)  # may raise a PaaError
    for event in events:  # {"event": "delta", "data": {"text": "I logged"}}, ..., {"event": "done", "data": {...}}
        send(event)

Events, in order: `delta` {text}; `notice` {text} (summarising older turns, a round limit); `tool` {state:
"started", call_id, name, input, destructive} then {state: "finished", call_id, name, ok, summary, declined};
`confirm` {id, conversation_id, tool, input, question, expires_at} when a destructive tool waits for the person
(answer it with `stream_confirmation`); and last either `done` {conversation_id, message_id, message_ids, text,
usage, model, interrupted, follow_up, confirmation} or `error` (a problem document, RFC 9457).

`stream_reply` and `stream_confirmation` check eagerly (the write scope, the server's API key, the conversation, the
message, the confirmation id) and run the turn up to its first event before returning, so a failure there is raised
as a PaaError and an HTTP route can still answer with a status (`problem_for` gives it). Once the first event is
out, a failure becomes an `error` event and the stream ends. Iterating blocks (model and database calls): run it in
a worker thread, one `next` at a time. Closing the iterator early stops the model's stream.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from starlette.responses import JSONResponse

from paa.ai.chat import ChatEvent, ChatSession, ConfirmationNeeded, Notice, ReplyDone, ToolFinished, ToolStarted
from paa.ai.errors import BadApiKey, NoApiKey, ProviderError, RequestRefused
from paa.ai.providers.base import CancelToken, TextDelta
from paa.ai.store import Contexts
from paa.ai.tools import ASK_LATER
from paa.api import problems
from paa.core.accounts.bearer import Caller
from paa.core.context import Context
from paa.core.runtime import Runtime
from paa.errors import PaaError

Event = dict[str, Any]
log = logging.getLogger("paa.api.chat")

NO_KEY = (
    "the chat is unavailable: no Anthropic API key is configured on this server "
    "(the CLI would answer offline, by simple rules only)"
)
NO_KEY_HINT = "the server's owner stores one with `paa auth key set anthropic` or sets ANTHROPIC_API_KEY"


def stream_reply(
    runtime: Runtime,
    caller: Caller,
    message: str,
    conversation_id: int | None = None,
    *,
    cancel: CancelToken | None = None,
    attachments: Sequence[int] = (),
) -> Iterator[Event]:
    """The caller's message, answered as events (see the module's docstring); a new conversation without an id.
    `attachments` are ids of the caller's uploads (paa.core.attachments.upload), sent with the message."""
    session = _session(runtime, caller, conversation_id)
    cancel = cancel or CancelToken()
    return _started(session, session.send(message, cancel, uploads=attachments), cancel)


def stream_confirmation(
    runtime: Runtime, caller: Caller, confirmation_id: str, approve: bool, *, cancel: CancelToken | None = None
) -> Iterator[Event]:
    """The person's answer to a `confirm` event: the tool runs (or is declined) and the reply goes on, as events.
    Another user's id, an expired one or one answered already raises NotFound."""
    session = _session(runtime, caller, None)
    cancel = cancel or CancelToken()
    return _started(session, session.resume(confirmation_id, approve, cancel), cancel)


def collect(events: Iterator[Event]) -> dict[str, Any]:
    """The whole turn as one JSON answer: reply text, tool calls, a pending confirmation. An `error` event (the
    turn failed part way; what arrived is stored) is raised as `StreamFailed`."""
    rounds: list[list[str]] = [[]]
    tools: list[dict[str, Any]] = []
    inputs: dict[str, Any] = {}
    notices: list[str] = []
    done: dict[str, Any] = {}
    for event in events:
        kind, data = event["event"], event["data"]
        if kind == "delta":
            rounds[-1].append(data["text"])
        elif kind == "tool" and data["state"] == "started":
            inputs[data["call_id"]] = data["input"]
        elif kind == "tool" and data["state"] == "finished":
            finished = {key: value for key, value in data.items() if key != "state"}
            tools.append({**finished, "input": inputs.get(data["call_id"], {})})
            rounds.append([])  # the model's next words are a new paragraph after a tool ran
        elif kind == "notice":
            notices.append(data["text"])
        elif kind == "error":
            raise StreamFailed(data)
        elif kind == "done":
            done = data
    reply = "\n\n".join(text for text in ("".join(parts).strip() for parts in rounds) if text)
    return {
        "conversation_id": done.get("conversation_id"),
        "reply": reply,
        "message_id": done.get("message_id"),
        "message_ids": done.get("message_ids", []),
        "tool_calls": tools,
        "confirmation": done.get("confirmation"),
        "notices": notices,
        "usage": done.get("usage"),
        "model": done.get("model"),
        "interrupted": done.get("interrupted", False),
        "follow_up": done.get("follow_up"),
    }


class StreamFailed(Exception):
    """A turn that failed after it started; `problem` is the `error` event's document."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", "the chat failed"))
        self.problem = problem


def problem_document(exc: PaaError) -> dict[str, Any]:
    """A PaaError as a problem document; a chat without a usable model key is 503, a model failure 502/503."""
    if isinstance(exc, NoApiKey):
        status, slug, detail, hint = 503, "chat-unavailable", NO_KEY, NO_KEY_HINT
    elif isinstance(exc, BadApiKey):
        status, slug, detail, hint = 503, "chat-unavailable", "the model provider refused this server's key", None
    elif isinstance(exc, RequestRefused):
        status, slug, detail, hint = 502, "model-refused", exc.message, None
    elif isinstance(exc, ProviderError):
        status, slug, detail, hint = 503, "model-unavailable", exc.message, exc.hint
    else:
        body: dict[str, Any] = json.loads(bytes(problems.from_error(exc).body))
        return body
    body = json.loads(bytes(problems.problem(status, slug, detail, hint=hint).body))
    return body


def problem_for(exc: PaaError) -> JSONResponse:
    """The HTTP answer for a failure before the stream started."""
    document = problem_document(exc)
    return response_for(document)


def response_for(document: dict[str, Any]) -> JSONResponse:
    status = int(document.get("status", 500))
    headers = {"WWW-Authenticate": 'Bearer realm="paa"'} if status == 401 else None
    return JSONResponse(document, status_code=status, media_type=problems.PROBLEM_JSON, headers=headers)


# ---- the turn ----------------------------------------------------------------------------------------------------


def _contexts(runtime: Runtime, caller: Caller) -> Contexts:
    """Short transactions acting as the caller (the chat opens one per step, never one across a model call)."""

    def contexts(*, write: bool = False) -> AbstractContextManager[Context]:
        return runtime.context(write=write, acting=caller.acting)

    return contexts


def _session(runtime: Runtime, caller: Caller, conversation_id: int | None) -> ChatSession:
    from paa.ai import settings
    from paa.ai.providers.select import choose

    caller.require("write")  # a turn stores messages (and tools may change data)
    contexts = _contexts(runtime, caller)
    with contexts() as ctx:
        ai = settings.load(ctx)
    provider = choose(runtime.paths, ai, runtime.environ, require_key=True)
    return ChatSession(contexts, provider, conversation_id=conversation_id, confirm=ASK_LATER)


def _started(session: ChatSession, turn: Iterator[ChatEvent], cancel: CancelToken) -> Iterator[Event]:
    """Run the turn to its first event now (so early failures raise), then stream the rest."""
    try:
        first: ChatEvent | None = next(turn)
    except StopIteration:
        first = None
    return _relay(session, first, turn, cancel)


def _relay(
    session: ChatSession, first: ChatEvent | None, turn: Iterator[ChatEvent], cancel: CancelToken
) -> Iterator[Event]:
    finished = False
    try:
        pending = [first] if first is not None else []
        while True:
            event = pending.pop() if pending else next(turn, None)
            if event is None:
                finished = True
                return
            if isinstance(event, ReplyDone):
                _record_insight(session, event.conversation_id)
            shown = _event(event)
            if shown is not None:
                yield shown
    except PaaError as exc:
        finished = True
        yield {"event": "error", "data": problem_document(exc)}
    except Exception:  # the client hears that the turn failed; the log keeps why
        finished = True
        log.exception("the chat stream failed")
        yield {"event": "error", "data": json.loads(bytes(_internal().body))}
    finally:
        if not finished:
            _stop(turn, cancel)


def _stop(turn: Iterator[ChatEvent], cancel: CancelToken) -> None:
    """The client went away mid-reply: stop the model's stream, as Ctrl-C does in the CLI, and let the turn store
    what arrived (marked interrupted) in a thread of its own, never in whichever thread dropped the stream."""
    cancel.cancel()

    def drain() -> None:
        try:
            for _event in turn:
                pass
        except Exception:  # an interrupted turn that fails while ending has nobody left to tell
            log.debug("an interrupted chat turn failed while ending", exc_info=True)

    threading.Thread(target=drain, name="paa-chat-interrupted", daemon=True).start()


def _internal() -> JSONResponse:
    return problems.problem(500, "internal", "something went wrong inside paa; the server log has the details")


def _record_insight(session: ChatSession, conversation_id: int) -> None:
    """As the CLI's one-shot answer does: the conversation's topics by rules (no second model call per answer)."""
    from paa.ai.insights import record_insight

    with contextlib.suppress(PaaError):
        record_insight(session.contexts, conversation_id, None)


def _event(event: ChatEvent) -> Event | None:
    if isinstance(event, TextDelta):
        return {"event": "delta", "data": {"text": event.text}}
    if isinstance(event, Notice):
        return {"event": "notice", "data": {"text": event.text}}
    if isinstance(event, ToolStarted):
        data = {"state": "started", "call_id": event.call_id, "name": event.name, "input": event.input,
                "destructive": event.destructive}  # fmt: skip
        return {"event": "tool", "data": data}
    if isinstance(event, ToolFinished):
        result = event.result
        data = {"state": "finished", "call_id": result.call_id, "name": result.name, "ok": result.ok,
                "summary": result.summary, "declined": result.declined}  # fmt: skip
        return {"event": "tool", "data": data}
    if isinstance(event, ConfirmationNeeded):
        return {"event": "confirm", "data": event.confirmation.to_json()}
    if isinstance(event, ReplyDone):
        data = {
            "conversation_id": event.conversation_id,
            "message_id": event.message_id,
            "message_ids": list(event.message_ids),
            "text": event.text,
            "usage": event.usage.to_json(),
            "model": event.model,
            "interrupted": event.interrupted,
            "follow_up": event.follow_up,
            "confirmation": event.confirmation.to_json() if event.confirmation else None,
        }
        return {"event": "done", "data": data}
    return None  # per-round usage: the done event has the turn's total
