"""The hottest reads' answers, kept for the next identical request while the caller's data has not changed.

A habit list is the same bytes for as long as the user's data and day stay the same, and clients ask for it again
and again (each tab and phone after each change event, scripts polling). Its key is what the ETag layer already
trusts (paa.api.caching): the data owner, the path and query, and the data version of the request's own read
transaction (the user's newest change-feed id, written by every committed write from any process, and their habit
day). A write anywhere gives a newer feed id, so an old answer is never found again; a new day likewise. Answers
live in this process only (each worker keeps its own), bounded in bytes, the least recently used going first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

BUDGET_BYTES = 16 * 1024 * 1024  # a few thousand habit lists; a worker's memory stays bounded whatever the users


class Answers:
    """Answer bodies by (user, target), each with the data version it was computed at; one per runtime."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self._kept: OrderedDict[tuple[int, str], tuple[Hashable, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # PostgreSQL reads run in the thread pool

    def answer(self, user_id: int, target: str, version: Hashable, make: Callable[[], bytes]) -> bytes:
        """The body for `target` as `user_id`'s data stood at `version`: the kept one, or `make()`'s, kept."""
        key = (user_id, target)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == version:
                self._kept.move_to_end(key)
                return kept[1]
        body = make()
        with self._lock:
            self._forget(key)
            if len(body) <= self.budget:
                self._kept[key] = (version, body)
                self._size += len(body)
                while self._size > self.budget:
                    self._forget(next(iter(self._kept)))
        return body

    def _forget(self, key: tuple[int, str]) -> None:
        kept = self._kept.pop(key, None)
        if kept is not None:
            self._size -= len(kept[1])

    def __len__(self) -> int:
        return len(self._kept)
