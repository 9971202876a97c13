"""Conversations and messages: opening short transactions, storing every message with its usage, reading them back.

The chat loop never holds a write transaction while a model answers: each write here is its own short
transaction, taken from a `Contexts` factory (a runtime's `context`, on one engine for the whole session).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select

from paa.core.attachments import AttachmentView
from paa.core.context import Context
from paa.core.ids import get_row
from paa.core.validate import strip_controls
from paa.db.models import AnalyticsEvent, Conversation, Memory, Message
from paa.errors import InvalidInput, NotFound

Contexts = Callable[..., AbstractContextManager[Context]]
TITLE_MAX = 80
USAGE_EVENT = "chat_usage"
SUMMARY_EVENT = "conversation_summary"
INSIGHT_EVENT = "conversation_insight"


# ---- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    """A stored message as the interfaces show it (docs/chat.md documents its JSON)."""

    id: int
    conversation_id: int
    role: str
    content: str
    tool_calls: Any
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    interrupted: bool
    created_at: datetime
    attachments: tuple[AttachmentView, ...] = ()  # the person's files sent with it
    speaker: str | None = None  # who said it, when known (an imported conversation's speakers)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "role": self.role,
            "content": self.content,
            "tool_calls": self.tool_calls,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "interrupted": self.interrupted,
            "created_at": self.created_at.isoformat(),
            "attachments": [item.to_json() for item in self.attachments],
            "speaker": self.speaker,
        }


def message_view(row: Message, attachments: Sequence[AttachmentView] = ()) -> MessageView:
    assert row.id is not None
    return MessageView(
        id=row.id,
        conversation_id=row.conversation_id,
        role=row.role,
        content=row.content,
        tool_calls=_loads(row.tool_calls),
        model=row.model,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        interrupted=bool(row.interrupted),
        created_at=row.created_at,
        attachments=tuple(attachments),
        speaker=row.speaker,
    )


def message_views(ctx: Context, rows: Sequence[Message]) -> list[MessageView]:
    """Messages as shown, each with its attachments."""
    from paa.core.attachments import attachments_of, view

    found = attachments_of(ctx, [row.id for row in rows if row.id is not None])
    return [message_view(row, [view(item) for item in found.get(row.id or 0, [])]) for row in rows]


@dataclass(frozen=True)
class ConversationView:
    """A conversation with its message count and token totals."""

    id: int
    title: str | None
    summary: str | None
    created_at: datetime
    updated_at: datetime
    messages: int
    input_tokens: int
    output_tokens: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "messages": self.messages,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


def _loads(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# ---- writing ---------------------------------------------------------------------------------------


def title_for(text: str) -> str:
    line = " ".join(strip_controls(text).split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"


def create_conversation(ctx: Context, first_text: str) -> Conversation:
    now = ctx.now()
    row = Conversation(user_id=ctx.user_id, title=title_for(first_text) or None, created_at=now, updated_at=now)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def get_conversation(ctx: Context, conversation_id: int) -> Conversation:
    row = get_row(ctx.session, Conversation, conversation_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no conversation with id {conversation_id}", hint="see `paa chat history`")
    return row


def add_message(
    ctx: Context,
    conversation_id: int,
    role: str,
    content: str,
    *,
    tool_calls: Any = None,
    model: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    interrupted: bool = False,
) -> Message:
    """Store one message and touch its conversation.

    Control characters are dropped rather than refused (validate.strip_controls): a model's reply or pasted text
    is kept, without the escape sequences it carried.
    """
    conversation = get_conversation(ctx, conversation_id)
    now = ctx.now()
    row = Message(
        user_id=ctx.user_id,
        conversation_id=conversation_id,
        role=role,
        content=strip_controls(content),
        tool_calls=None if tool_calls is None else json.dumps(tool_calls, ensure_ascii=False, default=str),
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        interrupted=interrupted,
        created_at=now,
    )
    ctx.session.add(row)
    conversation.updated_at = now
    ctx.session.add(conversation)
    ctx.session.flush()
    return row


def payload_json(payload: dict[str, Any]) -> str:
    """JSON with `conversation_id` first (the rest sorted), so a conversation's events can be found by prefix."""
    first = {"conversation_id": payload["conversation_id"]} if "conversation_id" in payload else {}
    rest = {key: value for key, value in sorted(payload.items()) if key != "conversation_id"}
    return json.dumps({**first, **rest}, default=str)


def record_event(ctx: Context, kind: str, payload: dict[str, Any]) -> AnalyticsEvent:
    """An analytics event; see `payload_json` for the order of its keys."""
    row = AnalyticsEvent(user_id=ctx.user_id, kind=kind, payload=payload_json(payload), created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    return row


def conversation_events(ctx: Context, kind: str, conversation_id: int) -> list[tuple[AnalyticsEvent, dict[str, Any]]]:
    """Events of one kind about one conversation, oldest first."""
    prefix = json.dumps({"conversation_id": conversation_id})[:-1]  # '{"conversation_id": 12'
    rows = ctx.session.exec(
        select(AnalyticsEvent)
        .where(
            AnalyticsEvent.user_id == ctx.user_id,
            AnalyticsEvent.kind == kind,
            col(AnalyticsEvent.payload).startswith(prefix + ",") | (col(AnalyticsEvent.payload) == prefix + "}"),
        )
        .order_by(col(AnalyticsEvent.id))
    ).all()
    return [(row, _loads(row.payload) or {}) for row in rows]


# ---- reading ---------------------------------------------------------------------------------------


def latest_conversation_id(ctx: Context) -> int | None:
    return ctx.session.exec(
        select(Conversation.id)
        .where(Conversation.user_id == ctx.user_id)
        .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
    ).first()


def list_conversations(ctx: Context, limit: int = 20) -> list[ConversationView]:
    """The latest conversations first, with message counts and token totals."""
    if limit < 1:
        raise InvalidInput("`limit` must be at least 1", field="limit")
    rows = ctx.session.exec(
        select(Conversation)
        .where(Conversation.user_id == ctx.user_id)
        .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    totals: dict[int, tuple[int, int, int]] = {}
    if ids:
        for conversation_id, count, tokens_in, tokens_out in ctx.session.exec(
            select(
                Message.conversation_id,
                func.count(col(Message.id)),
                func.coalesce(func.sum(Message.input_tokens), 0),
                func.coalesce(func.sum(Message.output_tokens), 0),
            )
            .where(Message.user_id == ctx.user_id, col(Message.conversation_id).in_(ids))
            .group_by(col(Message.conversation_id))
        ).all():
            totals[conversation_id] = (int(count or 0), int(tokens_in or 0), int(tokens_out or 0))
    return [_conversation_view(row, totals.get(row.id or 0, (0, 0, 0))) for row in rows]


def _conversation_view(row: Conversation, totals: tuple[int, int, int]) -> ConversationView:
    assert row.id is not None
    return ConversationView(row.id, row.title, row.summary, row.created_at, row.updated_at, *totals)


def conversation_detail(ctx: Context, conversation_id: int) -> tuple[ConversationView, list[MessageView]]:
    row = get_conversation(ctx, conversation_id)
    messages = messages_of(ctx, conversation_id)
    totals = (
        len(messages),
        sum(m.input_tokens or 0 for m in messages),
        sum(m.output_tokens or 0 for m in messages),
    )
    return _conversation_view(row, totals), message_views(ctx, messages)


def messages_of(
    ctx: Context, conversation_id: int, *, after_id: int = 0, before_id: int | None = None, last: int | None = None
) -> list[Message]:
    """A conversation's messages in order (between two ids when given); with `last`, only the newest `last`."""
    query = select(Message).where(
        Message.user_id == ctx.user_id, Message.conversation_id == conversation_id, col(Message.id) > after_id
    )
    if before_id is not None:
        query = query.where(col(Message.id) < before_id)
    if last is None:
        return list(ctx.session.exec(query.order_by(col(Message.id))).all())
    rows = list(ctx.session.exec(query.order_by(col(Message.id).desc()).limit(last)).all())
    rows.reverse()
    return rows


@dataclass(frozen=True)
class SearchHit:
    """A message that matches a search, with its conversation's title."""

    message: MessageView
    conversation_title: str | None
    source: str  # "text" (every word found) or "memory" (found by meaning)

    def to_json(self) -> dict[str, Any]:
        return {**self.message.to_json(), "conversation_title": self.conversation_title, "match": self.source}


def search_messages(ctx: Context, query: str, *, limit: int = 20) -> list[SearchHit]:
    """Messages holding every word of `query` (any case), newest first; then ones memory finds by meaning."""
    from paa.ai.memory import query_words

    words = query_words(query)  # at most 32 distinct words of the first 2,000 characters (docs/memory.md)
    if not words:
        raise InvalidInput("nothing to search for", hint='e.g. paa chat search "knee pain"')
    if limit < 1:
        raise InvalidInput("`limit` must be at least 1", field="limit")
    # Messages are sealed at rest, so the database cannot compare their text: only their text is read and opened
    # here, newest first, until enough match; then the matching rows are loaded (docs/performance.md: the cost).
    scan = select(Message.id, Message.content).where(
        Message.user_id == ctx.user_id, col(Message.role).in_(("user", "assistant", "other"))
    )
    wanted = [word.casefold() for word in words]
    found: list[int] = []
    for message_id, content in ctx.session.exec(scan.order_by(col(Message.id).desc()).execution_options(yield_per=512)):
        lowered = content.casefold()
        if message_id is not None and all(word in lowered for word in wanted):
            found.append(message_id)
            if len(found) >= limit:
                break
    hits: list[SearchHit] = []
    if found:
        statement = select(Message, Conversation.title).join(
            Conversation, col(Conversation.id) == col(Message.conversation_id)
        )
        rows = ctx.session.exec(statement.where(Message.user_id == ctx.user_id, col(Message.id).in_(found))).all()
        by_id = {message.id: (message, title) for message, title in rows}
        hits = [SearchHit(message_view(by_id[i][0]), by_id[i][1], "text") for i in found if i in by_id]
    if len(hits) < limit:
        hits.extend(_memory_hits(ctx, query, {hit.message.id for hit in hits}, limit - len(hits)))
    return hits


def _memory_hits(ctx: Context, query: str, seen: set[int], limit: int) -> list[SearchHit]:
    from paa.ai import recall

    found: list[SearchHit] = []
    for hit in recall.search(ctx, query, limit=limit * 2, kinds=("message",)):
        if hit.source_id is None or hit.source_id in seen or len(found) >= limit:
            continue
        row = ctx.session.get(Message, hit.source_id)
        if row is None or row.user_id != ctx.user_id:
            continue
        seen.add(hit.source_id)
        conversation = ctx.session.get(Conversation, row.conversation_id)
        found.append(SearchHit(message_view(row), conversation.title if conversation else None, "memory"))
    return found


def delete_conversation(ctx: Context, conversation_id: int) -> int:
    """Delete a conversation, its messages, their attachments, their memory entries and its events; return how many
    messages went."""
    from paa.ai import recall

    row = get_conversation(ctx, conversation_id)
    message_ids = list(
        ctx.session.exec(
            select(Message.id).where(Message.user_id == ctx.user_id, Message.conversation_id == conversation_id)
        ).all()
    )
    if message_ids:
        memory_ids = ctx.session.exec(
            select(Memory.id).where(
                Memory.user_id == ctx.user_id, Memory.kind == "message", col(Memory.source_id).in_(message_ids)
            )
        ).all()
        for memory_id in memory_ids:
            if memory_id is not None:
                recall.forget(ctx, memory_id)
    if message_ids:
        from paa.ai.attachments import forget_attachments
        from paa.core.attachments import attachments_of, delete_attachments

        found = attachments_of(ctx, [i for i in message_ids if i is not None])
        attachment_ids = [item.id for items in found.values() for item in items if item.id is not None]
        forget_attachments(ctx, attachment_ids)
        delete_attachments(ctx, attachment_ids)  # and the stored files no other message of the user has
    for kind in (USAGE_EVENT, SUMMARY_EVENT, INSIGHT_EVENT):
        for event, _payload in conversation_events(ctx, kind, conversation_id):
            ctx.session.delete(event)
    ctx.session.execute(
        delete(Message).where(col(Message.user_id) == ctx.user_id, col(Message.conversation_id) == conversation_id)
    )
    ctx.session.delete(row)
    ctx.session.flush()
    return len(message_ids)


@dataclass(frozen=True)
class UsageTotals:
    """Tokens spent: per conversation (from the messages) and on prompt caching (from usage events).

    `calls` counts replies from a model; replies the offline rules gave cost nothing and count as `offline_replies`.
    """

    calls: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    offline_replies: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "offline_replies": self.offline_replies,
        }


def usage_totals(ctx: Context, conversation_id: int | None, *, since: datetime | None = None) -> UsageTotals:
    """What the model calls of a conversation (or, with None, of everything since `since`) cost."""
    if conversation_id is not None:
        events = [payload for _event, payload in conversation_events(ctx, USAGE_EVENT, conversation_id)]
    else:
        query = select(AnalyticsEvent.payload).where(
            AnalyticsEvent.user_id == ctx.user_id, AnalyticsEvent.kind == USAGE_EVENT
        )
        if since is not None:
            query = query.where(AnalyticsEvent.created_at >= since)
        events = [_loads(raw) or {} for raw in ctx.session.exec(query).all()]
    return _sum_usage(events)


def _sum_usage(events: Sequence[dict[str, Any]]) -> UsageTotals:
    from paa.ai.providers.offline import MODEL as OFFLINE_MODEL

    def total(name: str) -> int:
        return sum(int(event.get(name) or 0) for event in events)

    offline = sum(1 for event in events if event.get("model") == OFFLINE_MODEL)
    return UsageTotals(
        len(events) - offline,
        total("input_tokens"),
        total("output_tokens"),
        total("cache_creation_input_tokens"),
        total("cache_read_input_tokens"),
        offline,
    )
