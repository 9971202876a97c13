"""Past conversations brought into paa (`paa memory import`), and where a memory search hit came from.

An import writes in the caller's one write transaction: a refused file (a bad record with `on_error="stop"`) or a
failure part-way leaves nothing behind. Each conversation and message keeps `import_key`, a SHA-256 of its source
and its id there, unique per user, so importing the same file again (or a later export holding more) adds only what
is new. Text, titles and speakers' names are sealed at rest like every message (the columns do it). Each message
becomes a memory through `index_messages`, found by its words at once; its vector comes later, from the background
indexer or the next `paa memory search` or `reindex`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from paa.ai.memory import MemoryHit, index_messages
from paa.ai.store import title_for
from paa.core.context import Context
from paa.core.dataio.conversations import History, Problem, import_key
from paa.db.models import Conversation, Memory, Message
from paa.errors import Conflict, InvalidInput

ON_ERROR = ("skip", "stop")
Progress = Callable[[int, int], None]  # (messages done, messages in the file)
_CHUNK = 500  # keys per IN (...) query: well under SQLite's and PostgreSQL's limits on parameters


@dataclass
class HistoryImport:
    """What an import added, found already here, and could not read (docs/json.md: `paa memory import --json`)."""

    format: str
    dry_run: bool = False
    conversations_added: int = 0
    conversations_existing: int = 0
    messages_added: int = 0
    messages_existing: int = 0
    memories_added: int = 0
    skipped: list[Problem] = field(default_factory=list)
    conversation_ids: list[int] = field(default_factory=list)  # the conversations that got new messages

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "dry_run": self.dry_run,
            "conversations": {"added": self.conversations_added, "existing": self.conversations_existing},
            "messages": {"added": self.messages_added, "existing": self.messages_existing},
            "memories_added": self.memories_added,
            "skipped": [problem.to_json() for problem in self.skipped],
            "conversation_ids": self.conversation_ids,
        }


def import_history(
    ctx: Context,
    history: History,
    *,
    on_error: str = "skip",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> HistoryImport:
    """Add the conversations and messages of `history` the acting user does not have yet.

    With `on_error="stop"` a file with any unreadable record is refused whole (InvalidInput naming the first);
    with "skip" those records are left out and listed in the result. With `dry_run`, only count.
    """
    if on_error not in ON_ERROR:
        raise InvalidInput(f"unknown --on-error {on_error!r}", hint="use skip or stop", field="on_error")
    if history.problems and on_error == "stop":
        first, count = history.problems[0], len(history.problems)
        more = f" (and {count - 1} more problem(s))" if count > 1 else ""
        raise InvalidInput(
            f"{first}{more}; nothing was imported",
            hint="fix the file, or --on-error skip to import the rest and list what was skipped",
            field="file",
        )
    summary = HistoryImport(history.format, dry_run=dry_run, skipped=list(history.problems))
    fmt = history.format
    conversation_keys = {id(item): import_key(fmt, item.key) for item in history.conversations}
    existing = _existing_conversations(ctx, list(conversation_keys.values()))
    message_keys = [
        import_key(fmt, item.source or item.key, message.key)
        for item in history.conversations
        for message in item.messages
    ]
    # By the messages' own keys, not their conversations': a ChatGPT message keeps its key when a later export has
    # it on another branch (the person switched branches), and is found wherever it was stored.
    known_messages = _existing_message_keys(ctx, message_keys)
    memories_before = 0 if dry_run else _memory_count(ctx)
    total, done = history.message_count, 0
    if progress is not None:
        progress(0, total)
    for item in history.conversations:
        key = conversation_keys[id(item)]
        row = existing.get(key)
        own = row.id if row is not None else None
        # A new message goes where the message before it is kept: in a later ChatGPT export the person may have
        # switched to a branch kept as a conversation of its own, and what they said next continues that one, not
        # the main thread's order. `None`: this item's own conversation.
        fresh: dict[int | None, list[tuple[str, Any]]] = {}
        before: int | None = None
        for message in item.messages:
            message_key = import_key(fmt, item.source or item.key, message.key)
            if message_key in known_messages:
                summary.messages_existing += 1
                kept_in = known_messages[message_key]
                before = None if kept_in == own else kept_in
            else:
                known_messages[message_key] = own  # the same message twice in one file counts once
                fresh.setdefault(before, []).append((message_key, message))
        added = sum(len(group) for group in fresh.values())
        if row is None and None in fresh:
            summary.conversations_added += 1
        else:  # here already, or (a ChatGPT branch first seen) every message of it kept in another one
            summary.conversations_existing += 1
        summary.messages_added += added
        if not dry_run:
            for target, group in fresh.items():
                if target is None:
                    row = _write_conversation(ctx, row, key, item.title, fmt, group)
                    existing[key] = row
                    written = row
                else:
                    other = ctx.session.get(Conversation, target)
                    if other is None or other.user_id != ctx.user_id:
                        # Deleted since its messages were read (a concurrent `paa chat delete`): the import stops
                        # whole rather than put the message elsewhere; run again, it adds only what is missing.
                        raise Conflict(
                            "a conversation was deleted while the history was imported; nothing was imported",
                            hint="run the import again",
                            field="file",
                        )
                    written = _write_conversation(ctx, other, other.import_key or key, item.title, fmt, group)
                if (written.id or 0) not in summary.conversation_ids:
                    summary.conversation_ids.append(written.id or 0)
                for message_key, _message in group:
                    known_messages[message_key] = written.id
        done += len(item.messages)
        if progress is not None:
            progress(done, total)
    if not dry_run:
        ctx.session.flush()
        summary.memories_added = _memory_count(ctx) - memories_before
    return summary


def _write_conversation(
    ctx: Context, row: Conversation | None, key: str, title: str | None, fmt: str, fresh: list[tuple[str, Any]]
) -> Conversation:
    session, uid = ctx.session, ctx.user_id
    times = [message.time for _key, message in fresh]
    if row is None:
        first_user = next((message.text for _key, message in fresh if message.role == "user"), fresh[0][1].text)
        row = Conversation(
            user_id=uid,
            title=title or title_for(first_user) or None,
            created_at=min(times),
            updated_at=max(times),
            imported_from=fmt,
            import_key=key,
        )
        session.add(row)
        session.flush()
    else:  # a later export of the same conversation: its new messages join it
        row.created_at = min(row.created_at, *times)
        row.updated_at = max(row.updated_at, *times)
        session.add(row)
    assert row.id is not None
    messages = [
        Message(
            user_id=uid,
            conversation_id=row.id,
            role=message.role,
            content=message.text,
            speaker=message.speaker,
            model=message.model,
            created_at=message.time,
            import_key=message_key,
        )
        for message_key, message in sorted(fresh, key=lambda pair: pair[1].time)  # ids in the order things were said
    ]
    session.add_all(messages)
    session.flush()
    index_messages(ctx, messages)  # in one pass: a query per message made 6,000 messages take a minute
    return row


def _existing_conversations(ctx: Context, keys: list[str]) -> dict[str, Conversation]:
    found: dict[str, Conversation] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = ctx.session.exec(
            select(Conversation).where(
                Conversation.user_id == ctx.user_id, col(Conversation.import_key).in_(keys[start : start + _CHUNK])
            )
        ).all()
        found.update({row.import_key: row for row in rows if row.import_key})
    return found


def _existing_message_keys(ctx: Context, keys: list[str]) -> dict[str, int | None]:
    """Which of these message keys the user has already, and the conversation each is in (the unique index on
    (user, key) answers each chunk)."""
    found: dict[str, int | None] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = ctx.session.exec(
            select(Message.import_key, Message.conversation_id).where(
                Message.user_id == ctx.user_id, col(Message.import_key).in_(keys[start : start + _CHUNK])
            )
        ).all()
        found.update({key: conversation_id for key, conversation_id in rows if key})
    return found


def _memory_count(ctx: Context) -> int:
    return int(ctx.session.exec(select(func.count(col(Memory.id))).where(Memory.user_id == ctx.user_id)).one() or 0)


# ---- where a hit came from --------------------------------------------------------------------------------------


def with_sources(ctx: Context, hits: Sequence[MemoryHit]) -> list[MemoryHit]:
    """The hits with what a script checks them by: for a message, its id, conversation, speaker, role, time and own
    text (a memory's text may hold more than the message); for a fact or check-in, its time and text."""
    message_ids = [hit.source_id for hit in hits if hit.kind == "message" and hit.source_id is not None]
    found: dict[int, tuple[Message, str | None]] = {}
    for start in range(0, len(message_ids), _CHUNK):
        rows = ctx.session.exec(
            select(Message, Conversation.title)
            .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
            .where(Message.user_id == ctx.user_id, col(Message.id).in_(message_ids[start : start + _CHUNK]))
        ).all()
        found.update({message.id or 0: (message, title) for message, title in rows})
    described: list[MemoryHit] = []
    for hit in hits:
        source = found.get(hit.source_id or 0) if hit.kind == "message" else None
        if source is None:
            described.append(replace(hit, time=hit.created_at, text=hit.content))
            continue
        message, title = source
        described.append(
            replace(
                hit,
                message_id=message.id,
                conversation_id=message.conversation_id,
                conversation_title=title,
                speaker=message.speaker,
                role=message.role,
                time=message.created_at,
                text=message.content,
            )
        )
    return described
