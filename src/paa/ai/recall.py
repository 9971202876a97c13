"""The assistant's way into memory: the chat engine's names for `paa.ai.memory`, plus warm-up for long sessions."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from paa.ai import memory
from paa.ai.memory import MemoryHit as Hit
from paa.ai.memory import forget, get_memory, index_checkin, index_message, remember
from paa.core.context import Context

if TYPE_CHECKING:
    from paa.ai.providers.base import Provider
    from paa.core.runtime import Runtime

__all__ = [
    "Hit", "forget", "get_memory", "index_checkin", "index_message", "remember", "search", "warm_up",
    "warm_up_in_background",
]  # fmt: skip


def search(
    ctx: Context, query: str, *, limit: int = 8, kinds: Sequence[str] | None = None, wait_for_model: bool = True
) -> list[Hit]:
    """The memories most relevant to `query`, best first (nothing for a blank query); see `memory.search` for
    `wait_for_model`."""
    if not query.strip():
        return []
    return memory.search(ctx, query, limit=limit, kinds=kinds, wait_for_model=wait_for_model)


def warm_up(ctx: Context, *, keep_indexing: bool = False) -> None:
    """Load what search needs (embedding model, collection) so the first real query is quick; with
    `keep_indexing` (a long-running process: the REPL, the TUI), also embed new memories in a background thread."""
    memory.warm_up(ctx)
    if keep_indexing:
        memory.start_indexer(ctx)


def warm_up_in_background(
    runtime: Runtime, *, provider: Provider | None = None, keep_indexing: bool = False, for_user: bool = True
) -> threading.Thread:
    """Import the SDK (`provider`) and load memory search in a thread while the person types, for a long-lived
    process (the REPL, the TUI, the server): chat turns never wait for the model, so until it is in they rank
    memories by their words alone.

    A server (`for_user` False) acts for nobody until a request proves its caller: it loads the model only, with no
    user's vectors and no indexer. The thread may outlive its runtime (the person leaves at once): it then opens
    nothing, since a context opened on the closed runtime would make it new services that nobody closes.
    """
    service = memory.MemoryService.of(runtime)

    def work() -> None:
        try:
            if provider is not None:
                provider.warm_up()
            if service.closed or service.vector_index() is None or not for_user:  # vector_index() loads the model
                return
            with runtime.context() as ctx:
                if ctx.services.peek(memory.MemoryService) is service:  # not a runtime reopened after it was closed
                    warm_up(ctx, keep_indexing=keep_indexing)
        except Exception:  # a failure shows up, clearly, on the first real message or search instead
            pass

    thread = threading.Thread(target=work, name="paa-memory-warm-up", daemon=True)
    thread.start()
    return thread
