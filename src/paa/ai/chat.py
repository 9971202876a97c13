"""The chat loop: store the person's message, build the context, run tool rounds, store every message with its
usage, and yield events. Interfaces (the CLI, the TUI) only render the events and answer confirmations.

    session = ChatSession(contexts, provider, confirm=ask_person)
    for event in session.send("I ran 5 km"):
        ...  # TextDelta, ToolStarted, ToolFinished, Usage, Notice, ReplyDone

Ctrl-C: the interface calls `cancel.cancel()` (or a KeyboardInterrupt reaches the loop while it waits on the
model); what arrived so far is kept, marked interrupted, and the loop ends with `ReplyDone(interrupted=True)`.
A provider failure is raised as a PaaError after the partial reply (if any) is stored; the person's message is
always stored before the model is called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from paa.ai import settings as ai_settings
from paa.ai.context import (
    SYSTEM_PROMPT,
    TurnContext,
    build_turn_context,
    condensed,
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
    messages_of,
    record_event,
)
from paa.ai.tools import Confirm, ToolResult, ToolRunner, deny
from paa.errors import InvalidInput, PaaError

if TYPE_CHECKING:
    from paa.ai.checkin_ai import CheckinInsight

MAX_ROUNDS = 8
MESSAGE_MAX_CHARS = 200_000
HISTORY_SCAN = 400  # newest messages read per turn; older ones are covered by the summary


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
class ReplyDone:
    conversation_id: int
    message_id: int | None
    text: str
    interrupted: bool
    usage: Usage
    model: str
    follow_up: str | None = None


ChatEvent = TextDelta | ToolStarted | ToolFinished | Usage | Notice | ReplyDone


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
        confirm: Confirm = deny,
        background: Provider | None = None,
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self.contexts = contexts
        self.provider = provider
        self.background = background if background is not None else (provider if provider.online else None)
        self.runner = ToolRunner(contexts, confirm)
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

    def send(self, text: str, cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        message = text.strip()
        if not message:
            raise InvalidInput("empty message")
        if len(message) > MESSAGE_MAX_CHARS:
            raise InvalidInput(f"the message is too long ({len(message)} characters; the limit is {MESSAGE_MAX_CHARS})")
        cancel = cancel or CancelToken()
        with self.contexts(write=True) as ctx:
            if self._conversation_id is None:
                self._conversation_id = create_conversation(ctx, message).id
            assert self._conversation_id is not None
            user_row = add_message(ctx, self._conversation_id, "user", message)
            ai = ai_settings.load(ctx)
        if self.model_override:
            ai = ai_settings.AiSettings(**{**ai.__dict__, "model": self.model_override})
        conversation_id = self._conversation_id
        stored_ids = [user_row.id]
        turn: TurnContext | None = None
        total = Usage()
        last_id: int | None = None
        final_text = ""
        model = ai.model
        checkin_days: list[date] = []
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
            last_id, final_text = row_id, current.text
            yield current.usage
            if interrupted:
                self.session_usage = self.session_usage + total
                yield ReplyDone(conversation_id, row_id, current.text, True, total, model)
                self._after(stored_ids, [])
                return
            if current.stop != "tool_use" or not current.calls:
                break
            for call in current.calls:
                yield ToolStarted(call.id, call.name, call.input, self.runner.destructive(call.name))
                result = self.runner.run(call.id, call.name, call.input)
                with self.contexts(write=True) as ctx:
                    add_message(
                        ctx, conversation_id, "tool", result.content(),
                        tool_calls={"tool_use_id": call.id, "name": call.name, "is_error": not result.ok,
                                    "declined": result.declined},
                    )  # fmt: skip
                if call.name == "record_checkin" and result.ok and result.data.get("checkin"):
                    checkin_days.append(date.fromisoformat(result.data["checkin"]["day"]))
                yield ToolFinished(result)
            if cancel.cancelled:
                self.session_usage = self.session_usage + total
                yield ReplyDone(conversation_id, last_id, final_text, True, total, model)
                self._after(stored_ids, [])
                return
            if round_number == self.max_rounds - 1:
                yield Notice(f"stopped after {self.max_rounds} tool rounds")
        self.session_usage = self.session_usage + total
        follow_up = self._after(stored_ids, checkin_days)
        yield ReplyDone(conversation_id, last_id, final_text, False, total, model, follow_up)

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
            conversation = get_conversation(ctx, self._conversation_id)
            summaries = conversation_events(ctx, SUMMARY_EVENT, self._conversation_id)
            through = int(summaries[-1][1].get("through_message_id") or 0) if summaries else 0
            summary = conversation.summary if summaries else None
            rows = messages_of(ctx, self._conversation_id, after_id=through, last=HISTORY_SCAN)
            older, recent = split_for_budget(rows, ai.history_tokens)
            if len(rows) == HISTORY_SCAN:  # still older ones, not yet summarised, beyond the scan
                older = messages_of(ctx, self._conversation_id, after_id=through, before_id=rows[0].id) + older
        if older:
            notices.append(Notice(f"summarising {len(older)} older messages to keep the context small"))
            summary = self._summarise(summary, older, ai)
        with self.contexts() as ctx:
            turn = build_turn_context(
                ctx, message, tone=ai.tone, budget_tokens=ai.context_tokens,
                exclude_sources={row.id for row in recent if row.id is not None}, summary=summary,
                hits=turn.hits if turn is not None else None,
            )  # fmt: skip
        request = Request(
            model=ai.model,
            system=SYSTEM_PROMPT,
            context=turn.text,
            messages=to_api_messages(recent),
            tools=self.runner.specs(),
            max_tokens=ai.max_tokens,
            known_habits=turn.habit_names,
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
