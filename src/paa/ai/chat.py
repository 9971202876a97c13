"""The chat loop: store the person's message, build the context, run tool rounds, store every message with its
usage, and yield events. Interfaces (the CLI, the TUI) only render the events and answer confirmations.

    session = ChatSession(contexts, provider, confirm=ask_person)
    for event in session.send("I ran 5 km"):
        ...  # TextDelta, ToolStarted, ToolFinished, Usage, Notice, ReplyDone

An interface that cannot ask in the middle of a turn (the HTTP API) passes `confirm=ASK_LATER`: a destructive call
is then not run; the turn ends with `ConfirmationNeeded` and a `ReplyDone` carrying the pending `Confirmation`, and
`session.resume(confirmation.id, approve)` runs (or declines) the call and lets the model go on. The pending call
belongs to its user, expires after CONFIRMATION_TTL, and is set aside (declined) when a new message comes first.

Ctrl-C: the interface calls `cancel.cancel()` (or a KeyboardInterrupt reaches the loop while it waits on the
model); what arrived so far is kept, marked interrupted, and the loop ends with `ReplyDone(interrupted=True)`.
A provider failure is raised as a PaaError after the partial reply (if any) is stored; the person's message is
always stored before the model is called.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from paa.ai import settings as ai_settings
from paa.ai.attachments import history_blocks, names_of
from paa.ai.context import (
    SYSTEM_PROMPT,
    TurnContext,
    build_turn_context,
    condensed,
    estimate_tokens,
    split_for_budget,
    to_api_messages,
)
from paa.ai.providers.base import CancelToken, Done, Provider, Request, TextDelta, ToolCall, Usage
from paa.ai.store import (
    SUMMARY_EVENT,
    USAGE_EVENT,
    Contexts,
    add_message,
    conversation_events,
    create_conversation,
    get_conversation,
    message_view,
    messages_of,
    record_event,
)
from paa.ai.tools import AskLater, Confirm, ToolResult, ToolRunner, deny, registry
from paa.core.context import Context
from paa.db.models import AnalyticsEvent, Message
from paa.errors import InvalidInput, NotFound, PaaError

if TYPE_CHECKING:
    from paa.ai.checkin_ai import CheckinInsight
    from paa.core.attachments import Draft

MAX_ROUNDS = 8
MESSAGE_MAX_CHARS = 200_000
HISTORY_SCAN = 400  # newest messages read per turn; older ones are covered by the summary
CONFIRMATION_EVENT = "chat_confirmation"
CONFIRMATION_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class ToolStarted:
    call_id: str
    name: str
    input: dict[str, Any]
    destructive: bool


@dataclass(frozen=True)
class ToolFinished:
    result: ToolResult


@dataclass(frozen=True)
class Notice:
    """Something to tell the person that is not part of the reply (summarising, offline, max rounds)."""

    text: str


@dataclass(frozen=True)
class Confirmation:
    """A destructive tool call held until the person answers (`confirm=ASK_LATER`); `id` is the opaque handle."""

    id: str
    conversation_id: int
    call_id: str
    tool: str
    input: dict[str, Any]
    question: str
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "tool": self.tool,
            "input": self.input,
            "question": self.question,
            "expires_at": self.expires_at.isoformat(),
        }


@dataclass(frozen=True)
class ConfirmationNeeded:
    """The turn stops here: `confirmation` waits for the person's yes or no (`ChatSession.resume`)."""

    confirmation: Confirmation


@dataclass(frozen=True)
class ReplyDone:
    conversation_id: int
    message_id: int | None
    text: str
    interrupted: bool
    usage: Usage
    model: str
    follow_up: str | None = None
    message_ids: tuple[int, ...] = ()  # every message this turn stored, in order
    confirmation: Confirmation | None = None  # the call waiting for the person (ASK_LATER only)


ChatEvent = TextDelta | ToolStarted | ToolFinished | Usage | Notice | ConfirmationNeeded | ReplyDone


@dataclass
class _Round:
    parts: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stop: str | None = None
    model: str = ""

    @property
    def text(self) -> str:
        return "".join(self.parts)


class ChatSession:
    """One conversation with one provider; `send` runs a turn, `usage` adds up what it cost."""

    def __init__(
        self,
        contexts: Contexts,
        provider: Provider,
        *,
        conversation_id: int | None = None,
        confirm: Confirm | AskLater = deny,
        background: Provider | None = None,
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self.contexts = contexts
        self.provider = provider
        self.background = background if background is not None else (provider if provider.online else None)
        self.ask_later = isinstance(confirm, AskLater)
        self.runner = ToolRunner(contexts, deny if isinstance(confirm, AskLater) else confirm)
        self.max_rounds = max_rounds
        self.session_usage = Usage()
        self.model_override: str | None = None  # a model for this session only (`paa chat --model`)
        self._conversation_id = conversation_id
        if conversation_id is not None:
            with contexts() as ctx:
                get_conversation(ctx, conversation_id)  # NotFound early, not on the first message

    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    def keep_follow_up(self, insight: CheckinInsight | None) -> int | None:
        """Keep a check-in's follow-up question as this conversation's last turn (starting one if none is open), so
        the next message answers it; returns the conversation's id (None without a question)."""
        from paa.ai.checkin_ai import keep_follow_up

        kept = keep_follow_up(self.contexts, insight, self._conversation_id)
        if kept is not None:
            self._conversation_id = kept
        return kept

    def new_conversation(self) -> int | None:
        """Start afresh; record the insight of the conversation left behind. Returns the old id."""
        old = self._conversation_id
        self.finish()
        self._conversation_id = None
        return old

    def finish(self) -> None:
        """Store the current conversation's insight (by model when online); never raises for a model failure."""
        if self._conversation_id is None:
            return
        from paa.ai.insights import record_insight

        with contextlib.suppress(PaaError):
            record_insight(self.contexts, self._conversation_id, self.background)

    # ---- one turn ---------------------------------------------------------------------------------

    def send(
        self,
        text: str,
        cancel: CancelToken | None = None,
        *,
        attachments: Sequence[Draft] = (),
        uploads: Sequence[int] = (),
    ) -> Iterator[ChatEvent]:
        """One turn: the person's message (with files read by `paa.core.attachments`, or the ids of earlier uploads)
        is stored, then the model answers. Files alone, without words, are a message too."""
        from paa.core import attachments as files

        message = text.strip()
        if not message and not attachments and not uploads:
            raise InvalidInput("empty message")
        if len(message) > MESSAGE_MAX_CHARS:
            raise InvalidInput(f"the message is too long ({len(message)} characters; the limit is {MESSAGE_MAX_CHARS})")
        if attachments or uploads:
            with self.contexts() as ctx:  # before anything is stored: a refused file leaves no half-sent message
                files.check_message(attachments, files.pending_uploads(ctx, list(uploads)))
        cancel = cancel or CancelToken()
        with self.contexts(write=True) as ctx:
            new = self._conversation_id is None
            if new:
                names = ", ".join(draft.name for draft in attachments)
                self._conversation_id = create_conversation(ctx, message or names or "attachments").id
            assert self._conversation_id is not None
            # A new message instead of an answer: a no (a conversation begun just now holds nothing to answer).
            set_aside = [] if new else _decline_held(ctx, self._conversation_id)
            user_row = add_message(ctx, self._conversation_id, "user", message)
            assert user_row.id is not None
            for position, draft in enumerate(attachments):
                files.store(ctx, draft, message_id=user_row.id, position=position)
            files.claim_uploads(ctx, list(uploads), user_row.id, first_position=len(attachments))
            ai = ai_settings.load(ctx)
        try:
            yield from self._turn(message, ai, cancel, [user_row.id], [*set_aside, user_row.id])
        except PaaError:
            if attachments or uploads:  # the turn failed, the files are kept: memory still finds them
                with self.contexts(write=True) as ctx:
                    _index_files(ctx, [user_row.id])
            raise

    def resume(self, confirmation_id: str, approve: bool, cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        """Answer a held confirmation: run the call (or decline it), then the rest of its round, then let the model
        go on, as if the person had answered when asked. NotFound for an unknown, expired or answered id, or
        another user's."""
        cancel = cancel or CancelToken()
        with self.contexts(write=True) as ctx:
            held = _claim(ctx, confirmation_id)
            conversation_id, message_id = int(held["conversation_id"]), int(held["message_id"])
            calls = _unanswered(ctx, conversation_id, message_id)
            if not calls or calls[0].id != held.get("call_id"):
                raise NotFound("that confirmation was answered already")
            message = _user_text_before(ctx, conversation_id, message_id)
            ai = ai_settings.load(ctx)
        self._conversation_id = conversation_id
        yield from self._turn(message, ai, cancel, [], [], (message_id, calls, {calls[0].id: approve}))

    def _turn(
        self,
        message: str,
        ai: ai_settings.AiSettings,
        cancel: CancelToken,
        stored_ids: list[int | None],
        turn_ids: list[int],
        held: tuple[int, list[ToolCall], dict[str, bool]] | None = None,
    ) -> Iterator[ChatEvent]:
        """Model rounds and their tool calls until the reply is done; `held` (a resumed turn) runs first."""
        if self.model_override:
            ai = ai_settings.AiSettings(**{**ai.__dict__, "model": self.model_override})
        conversation_id = self._conversation_id
        assert conversation_id is not None
        turn: TurnContext | None = None
        total = Usage()
        last_id: int | None = None
        final_text = ""
        model = ai.model
        checkin_days: list[date] = []
        if held is not None:
            message_id, calls, decided = held
            waiting = yield from self._run_calls(conversation_id, message_id, calls, decided, checkin_days, turn_ids)
            if waiting is not None or cancel.cancelled:
                follow_up = self._after(stored_ids, checkin_days)
                yield ReplyDone(conversation_id, None, "", cancel.cancelled, total, model, follow_up, tuple(turn_ids),
                                waiting)  # fmt: skip
                return
        for round_number in range(self.max_rounds):
            request, turn, notices = self._request(message, ai, turn)
            yield from notices
            current = _Round(model=request.model)
            try:
                yield from self._stream(request, cancel, current)
            except PaaError:
                self.session_usage = self.session_usage + total + current.usage
                if current.text:
                    self._store_reply(conversation_id, current, interrupted=True)
                raise
            total = total + current.usage
            model = current.model or model
            interrupted = cancel.cancelled or current.stop == "interrupted"
            row_id = self._store_reply(conversation_id, current, interrupted=interrupted)
            stored_ids.append(row_id)
            turn_ids.append(row_id)
            last_id, final_text = row_id, current.text
            yield current.usage
            if interrupted:
                self.session_usage = self.session_usage + total
                self._after(stored_ids, [])  # before done: a client may send its next message on hearing it
                yield ReplyDone(conversation_id, row_id, current.text, True, total, model, message_ids=tuple(turn_ids))
                return
            if current.stop != "tool_use" or not current.calls:
                break
            waiting = yield from self._run_calls(conversation_id, row_id, current.calls, {}, checkin_days, turn_ids)
            if waiting is not None:
                self.session_usage = self.session_usage + total
                follow_up = self._after(stored_ids, checkin_days)
                yield ReplyDone(conversation_id, last_id, final_text, False, total, model, follow_up, tuple(turn_ids),
                                waiting)  # fmt: skip
                return
            if cancel.cancelled:
                self.session_usage = self.session_usage + total
                self._after(stored_ids, [])
                yield ReplyDone(conversation_id, last_id, final_text, True, total, model, message_ids=tuple(turn_ids))
                return
            if round_number == self.max_rounds - 1:
                yield Notice(f"stopped after {self.max_rounds} tool rounds")
        self.session_usage = self.session_usage + total
        follow_up = self._after(stored_ids, checkin_days)
        yield ReplyDone(conversation_id, last_id, final_text, False, total, model, follow_up, tuple(turn_ids))

    def _run_calls(
        self,
        conversation_id: int,
        message_id: int,
        calls: list[ToolCall],
        decided: dict[str, bool],
        checkin_days: list[date],
        turn_ids: list[int],
    ) -> Generator[ChatEvent, None, Confirmation | None]:
        """Run a round's calls in order, storing each result; returns the call held for the person (ASK_LATER)."""
        for call in calls:
            approved = decided.get(call.id)
            if approved is None and self.ask_later:
                question = self.runner.question(call.name, call.input)
                if question is not None:
                    with self.contexts(write=True) as ctx:
                        waiting = _hold(ctx, conversation_id, message_id, call, question)
                    yield ConfirmationNeeded(waiting)
                    return waiting
            yield ToolStarted(call.id, call.name, call.input, self.runner.destructive(call.name))
            result = self.runner.run(call.id, call.name, call.input, approved=approved)
            with self.contexts(write=True) as ctx:
                row = add_message(
                    ctx, conversation_id, "tool", result.content(),
                    tool_calls={"tool_use_id": call.id, "name": call.name, "is_error": not result.ok,
                                "declined": result.declined},
                )  # fmt: skip
            assert row.id is not None
            turn_ids.append(row.id)
            if call.name == "record_checkin" and result.ok and result.data.get("checkin"):
                checkin_days.append(date.fromisoformat(result.data["checkin"]["day"]))
            yield ToolFinished(result)
        return None

    def _stream(self, request: Request, cancel: CancelToken, current: _Round) -> Iterator[ChatEvent]:
        events = self.provider.stream(request, cancel)
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    current.parts.append(event.text)
                    yield event
                elif isinstance(event, ToolCall):
                    current.calls.append(event)
                elif isinstance(event, Usage):
                    current.usage = event
                elif isinstance(event, Done):
                    current.stop, current.model = event.stop_reason, event.model or current.model
                if cancel.cancelled:
                    break
        except KeyboardInterrupt:
            cancel.cancel()
        finally:
            close = getattr(events, "close", None)  # a generator: close it so the provider's stream closes now
            if close is not None:
                close()

    def _store_reply(self, conversation_id: int, current: _Round, *, interrupted: bool) -> int:
        calls = [{"id": c.id, "name": c.name, "input": c.input} for c in current.calls] or None
        with self.contexts(write=True) as ctx:
            row = add_message(
                ctx, conversation_id, "assistant", current.text,
                tool_calls=None if interrupted else calls, model=current.model,
                input_tokens=current.usage.total_input, output_tokens=current.usage.output_tokens,
                interrupted=interrupted,
            )  # fmt: skip
            record_event(
                ctx, USAGE_EVENT,
                {"conversation_id": conversation_id, "message_id": row.id, "purpose": "reply",
                 "model": current.model, **current.usage.to_json()},
            )  # fmt: skip
        assert row.id is not None
        return row.id

    def _after(self, message_ids: list[int | None], checkin_days: list[date]) -> str | None:
        """Index the turn's messages for memory; refine check-ins recorded in it. Returns a follow-up question."""
        from paa.ai import recall
        from paa.db.models import Message

        with self.contexts(write=True) as ctx:
            for message_id in message_ids:
                row = ctx.session.get(Message, message_id) if message_id else None
                if row is not None and row.content.strip():
                    recall.index_message(ctx, row)
            _index_files(ctx, [i for i in message_ids if i])
        follow_up = None
        if checkin_days and self.background is not None:
            from paa.ai.checkin_ai import after_checkin

            for day in checkin_days:
                insight = after_checkin(self.contexts, self.background, day)
                follow_up = insight.follow_up if insight else follow_up
        return follow_up

    # ---- the request --------------------------------------------------------------------------------

    def _request(
        self, message: str, ai: ai_settings.AiSettings, turn: TurnContext | None
    ) -> tuple[Request, TurnContext, list[Notice]]:
        assert self._conversation_id is not None
        notices: list[Notice] = []
        with self.contexts() as ctx:
            summary, older, recent = _history(ctx, self._conversation_id, ai)
        if older:
            notices.append(Notice(f"summarising {len(older)} older messages to keep the context small"))
            summary = self._summarise(summary, older, ai)
        with self.contexts() as ctx:
            turn = build_turn_context(
                ctx, message, tone=ai.tone, budget_tokens=ai.context_tokens,
                exclude_sources={row.id for row in recent if row.id is not None}, summary=summary,
                hits=turn.hits if turn is not None else None,
            )  # fmt: skip
            # The files go to a model only; the offline rules are told their names, to say they cannot read them.
            blocks = history_blocks(ctx, recent) if self.provider.online else {}
            newest = next((row for row in reversed(recent) if row.role == "user"), None)
            attached = names_of(ctx, newest.id) if newest is not None and newest.id is not None else ()
        request = Request(
            model=ai.model,
            system=SYSTEM_PROMPT,
            context=turn.text,
            messages=to_api_messages(recent, blocks),
            tools=self.runner.specs(),
            max_tokens=ai.max_tokens,
            known_habits=turn.habit_names,
            attachments=attached,
        )
        return request, turn, notices

    def _summarise(self, previous: str | None, older: list[Any], ai: ai_settings.AiSettings) -> str:
        """Summarise the turns that no longer fit (by model, else condensed by rules) and store the summary."""
        from paa.ai.background import summarise

        assert self._conversation_id is not None
        source = "local"
        text = None
        if self.background is not None:
            try:
                text = summarise(
                    self.contexts, self.background, previous, older, conversation_id=self._conversation_id,
                    model=ai.background_model,
                )  # fmt: skip
                source = "model"
            except (PaaError, ValueError):
                text = None
        if text is None:
            text = condensed(older, previous)
        with self.contexts(write=True) as ctx:
            conversation = get_conversation(ctx, self._conversation_id)
            conversation.summary = text
            ctx.session.add(conversation)
            record_event(
                ctx, SUMMARY_EVENT,
                {"conversation_id": self._conversation_id, "through_message_id": older[-1].id,
                 "messages": len(older), "source": source},
            )  # fmt: skip
        return text

    # ---- usage ---------------------------------------------------------------------------------------

    def usage(self) -> dict[str, Any]:
        """What this conversation and this session cost, for /usage."""
        from paa.ai.store import usage_totals

        with self.contexts() as ctx:
            conversation = (
                usage_totals(ctx, self._conversation_id).to_json() if self._conversation_id is not None else None
            )
        return {"conversation": conversation, "session": self.session_usage.to_json()}


def _index_files(ctx: Context, message_ids: list[int]) -> None:
    """Keep the text of these messages' text files and PDFs in memory, page by page (paa.ai.attachments)."""
    from paa.ai.attachments import index_attachments
    from paa.core.attachments import attachments_of

    for rows in attachments_of(ctx, message_ids).values():
        index_attachments(ctx, rows)


# ---- what the model is told ----------------------------------------------------------------------------------


def _history(ctx: Context, conversation_id: int, ai: ai_settings.AiSettings) -> tuple[str | None, list[Any], list[Any]]:
    """(summary, older, recent): the stored summary, the turns that no longer fit and must be summarised first,
    and the turns sent as they are."""
    conversation = get_conversation(ctx, conversation_id)
    summaries = conversation_events(ctx, SUMMARY_EVENT, conversation_id)
    through = int(summaries[-1][1].get("through_message_id") or 0) if summaries else 0
    summary = conversation.summary if summaries else None
    rows = messages_of(ctx, conversation_id, after_id=through, last=HISTORY_SCAN)
    older, recent = split_for_budget(rows, ai.history_tokens)
    if len(rows) == HISTORY_SCAN:  # still older ones, not yet summarised, beyond the scan
        older = messages_of(ctx, conversation_id, after_id=through, before_id=rows[0].id) + older
    return summary, older, recent


def context_preview(ctx: Context, message: str = "", conversation_id: int | None = None) -> dict[str, Any]:
    """What the model would be told now for `message` (in `conversation_id`, when given): the system prompt, the
    per-turn context, the tools and how much history goes with it. Reads only: nothing is summarised or stored."""
    ai = ai_settings.load(ctx)
    summary: str | None = None
    older: list[Any] = []
    recent: list[Any] = []
    if conversation_id is not None:
        summary, older, recent = _history(ctx, conversation_id, ai)
    turn = build_turn_context(
        ctx, message.strip(), tone=ai.tone, budget_tokens=ai.context_tokens,
        exclude_sources={row.id for row in recent if row.id is not None}, summary=summary,
    )  # fmt: skip
    return {
        "model": ai.model,
        "conversation_id": conversation_id,
        "system": SYSTEM_PROMPT,
        "context": turn.text,
        "context_tokens": estimate_tokens(turn.text),
        "tools": list(registry()),  # the names the model sees, in its order
        "history": {"messages": len(recent), "to_summarise": len(older), "summary": summary},
        "memory_ids": list(turn.memory_ids),
    }


# ---- confirmations asked later (ASK_LATER) -----------------------------------------------------------------------
# A held call is an analytics event of its user naming the conversation, the assistant message and the call, with
# a digest of the opaque id (the id itself is only ever given to the person). The tool's input stays in the message.


def _digest(confirmation_id: str) -> str:
    return hashlib.sha256(confirmation_id.encode()).hexdigest()


def _hold(ctx: Context, conversation_id: int, message_id: int, call: ToolCall, question: str) -> Confirmation:
    confirmation_id = secrets.token_urlsafe(18)
    expires_at = ctx.now() + CONFIRMATION_TTL
    record_event(
        ctx, CONFIRMATION_EVENT,
        {"conversation_id": conversation_id, "message_id": message_id, "call_id": call.id,
         "digest": _digest(confirmation_id), "expires_at": expires_at.isoformat()},
    )  # fmt: skip
    return Confirmation(confirmation_id, conversation_id, call.id, call.name, call.input, question, expires_at)


def _claim(ctx: Context, confirmation_id: str) -> dict[str, Any]:
    """Take a held call of this user out of waiting (once); NotFound when unknown, another user's or expired."""
    digest = _digest(confirmation_id)
    rows = ctx.session.exec(
        select(AnalyticsEvent).where(AnalyticsEvent.user_id == ctx.user_id, AnalyticsEvent.kind == CONFIRMATION_EVENT)
    ).all()
    for row in rows:
        payload = json.loads(row.payload or "{}")
        if not hmac.compare_digest(str(payload.get("digest", "")), digest):
            continue
        if ctx.now() >= datetime.fromisoformat(payload["expires_at"]):
            raise NotFound("that confirmation has expired; nothing was changed", hint="ask the assistant again")
        ctx.session.delete(row)
        ctx.session.flush()
        return dict(payload)
    raise NotFound(
        "no confirmation is waiting with that id", hint="it was answered already, or a newer message set it aside"
    )


def _unanswered(ctx: Context, conversation_id: int, message_id: int) -> list[ToolCall]:
    """The calls of assistant message `message_id` that have no stored result yet, in order."""
    rows = messages_of(ctx, conversation_id, after_id=message_id - 1)
    if not rows or rows[0].id != message_id or rows[0].role != "assistant":
        return []
    calls = message_view(rows[0]).tool_calls
    answered = set()
    for row in rows[1:]:
        meta = message_view(row).tool_calls if row.role == "tool" else None
        if isinstance(meta, dict):
            answered.add(meta.get("tool_use_id"))
    return [
        ToolCall(str(call["id"]), str(call["name"]), dict(call.get("input") or {}))
        for call in (calls if isinstance(calls, list) else [])
        if isinstance(call, dict) and call.get("id") and call.get("name") and call["id"] not in answered
    ]


def _decline_held(ctx: Context, conversation_id: int) -> list[int]:
    """Before a new message: every call still held in the conversation is declined (stored as a no, so the model
    hears it), expired or not. Returns the ids of the tool results stored."""
    stored: list[int] = []
    for event, payload in conversation_events(ctx, CONFIRMATION_EVENT, conversation_id):
        for call in _unanswered(ctx, conversation_id, int(payload.get("message_id") or 0)):
            data = {"declined": True, "summary": "Not confirmed: the user went on without answering; nothing changed."}
            row = add_message(
                ctx, conversation_id, "tool", json.dumps(data),
                tool_calls={"tool_use_id": call.id, "name": call.name, "is_error": False, "declined": True},
            )  # fmt: skip
            assert row.id is not None
            stored.append(row.id)
        ctx.session.delete(event)
    ctx.session.flush()
    return stored


def _user_text_before(ctx: Context, conversation_id: int, message_id: int) -> str:
    """The person's message that started the turn `message_id` belongs to (what memory is searched for)."""
    row = ctx.session.exec(
        select(Message)
        .where(
            Message.user_id == ctx.user_id,
            Message.conversation_id == conversation_id,
            Message.role == "user",
            col(Message.id) < message_id,
        )
        .order_by(col(Message.id).desc())
    ).first()
    return row.content if row is not None else ""
