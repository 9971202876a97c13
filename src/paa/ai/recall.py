"""The assistant's way into memory: the chat engine's names for `paa.ai.memory`, plus warm-up for long sessions."""

from __future__ import annotations

from collections.abc import Sequence

from paa.ai import memory
from paa.ai.memory import MemoryHit as Hit
from paa.ai.memory import forget, get_memory, index_checkin, index_message, remember
from paa.core.context import Context

__all__ = ["Hit", "forget", "get_memory", "index_checkin", "index_message", "remember", "search", "warm_up"]


def search(ctx: Context, query: str, *, limit: int = 8, kinds: Sequence[str] | None = None) -> list[Hit]:
    """The memories most relevant to `query`, best first (nothing for a blank query)."""
    if not query.strip():
        return []
    return memory.search(ctx, query, limit=limit, kinds=kinds)


def warm_up(ctx: Context, *, keep_indexing: bool = False) -> None:
    """Load what search needs (embedding model, collection) so the first real query is quick; with
    `keep_indexing` (a long-running process: the REPL, the TUI), also embed new memories in a background thread."""
    memory.warm_up(ctx)
    if keep_indexing:
        memory.start_indexer(ctx)
