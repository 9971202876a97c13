"""The assistant's way into memory: `paa.ai.memory` (FTS5 + chromadb) when it is there, else plain SQL on the table.

The fallback keeps chat working (and testable) on an install without the memory module; it searches by words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from paa.core.context import Context
from paa.db.models import DailyCheckin, Memory, Message
from paa.errors import InvalidInput, NotFound

MEMORY_MAX = 2000


def _memory_module() -> ModuleType | None:
    try:
        from paa.ai import memory
    except ImportError:
        return None
    return memory


@dataclass(frozen=True)
class Hit:
    """A memory found for a query (the same fields as `paa.ai.memory.MemoryHit`)."""

    memory_id: int
    kind: str
    content: str
    score: float
    created_at: datetime
    source_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_id": self.memory_id,
            "kind": self.kind,
            "content": self.content,
            "score": round(self.score, 4),
            "created_at": self.created_at.isoformat(),
            "source_id": self.source_id,
        }


def search(ctx: Context, query: str, *, limit: int = 8, kinds: Sequence[str] | None = None) -> list[Hit]:
    """The memories most relevant to `query`, best first."""
    if not query.strip():
        return []
    memory = _memory_module()
    if memory is not None:
        found = memory.search(ctx, query, limit=limit, kinds=kinds)
        return [Hit(h.memory_id, h.kind, h.content, float(h.score), h.created_at, h.source_id) for h in found]
    return _word_search(ctx, query, limit, kinds)


def _word_search(ctx: Context, query: str, limit: int, kinds: Sequence[str] | None) -> list[Hit]:
    words = {w.strip(".,;:!?\"'()").lower() for w in query.split()}
    words = {w for w in words if len(w) > 2}
    if not words:
        return []
    statement = select(Memory).where(Memory.user_id == ctx.user_id)
    if kinds:
        statement = statement.where(col(Memory.kind).in_(list(kinds)))
    conditions = [func.lower(Memory.content).contains(word) for word in words]
    from sqlalchemy import or_

    rows = ctx.session.exec(statement.where(or_(*conditions)).order_by(col(Memory.id).desc()).limit(200)).all()
    scored = []
    for row in rows:
        text = row.content.lower()
        score = sum(word in text for word in words) / len(words)
        scored.append((score, row))
    scored.sort(key=lambda pair: (-pair[0], -(pair[1].id or 0)))
    return [
        Hit(row.id or 0, row.kind, row.content, score, row.created_at, row.source_id) for score, row in scored[:limit]
    ]


def remember(ctx: Context, content: str, *, kind: str = "fact", source_id: int | None = None) -> Memory:
    """Keep a fact (or a check-in summary) for later conversations."""
    memory = _memory_module()
    if memory is not None:
        return memory.remember(ctx, content, kind=kind, source_id=source_id)
    text = " ".join(content.split())
    if not text:
        raise InvalidInput("nothing to remember")
    if len(text) > MEMORY_MAX:
        raise InvalidInput(f"a memory holds at most {MEMORY_MAX} characters")
    row = Memory(user_id=ctx.user_id, kind=kind, content=text, source_id=source_id, created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    return row


def forget(ctx: Context, memory_id: int) -> Memory:
    memory = _memory_module()
    if memory is not None:
        return memory.forget(ctx, memory_id)
    row = ctx.session.get(Memory, memory_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no memory with id {memory_id}")
    ctx.session.delete(row)
    ctx.session.flush()
    return row


def get_memory(ctx: Context, memory_id: int) -> Memory:
    row = ctx.session.get(Memory, memory_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no memory with id {memory_id}", hint="search_memory shows the ids")
    return row


def index_message(ctx: Context, message: Message) -> None:
    memory = _memory_module()
    if memory is not None:
        memory.index_message(ctx, message)


def index_checkin(ctx: Context, checkin: DailyCheckin) -> None:
    memory = _memory_module()
    if memory is not None:
        memory.index_checkin(ctx, checkin)


def warm_up(ctx: Context, *, keep_indexing: bool = False) -> None:
    """Load whatever search needs (embedding model, collection) so the first real query is quick.

    With `keep_indexing` (a long-running process: the REPL, the TUI), also embed new memories from now on in a
    background thread, when memory can.
    """
    memory = _memory_module()
    if memory is None:
        return
    warm = getattr(memory, "warm_up", None)
    if callable(warm):
        warm(ctx)
    else:
        memory.search(ctx, "warm up", limit=1)
    start = getattr(memory, "start_indexer", None)
    if keep_indexing and callable(start):
        start(ctx)
