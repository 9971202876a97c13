"""The services a runtime owns (e.g. memory search): one of each kind, made on first use, closed with it.

Core knows no service itself: the ai layer plugs its own kinds in, so a service is typed by its class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

S = TypeVar("S")


class Services:
    """A typed registry of a runtime's services: `services.get(MemoryService, make)` gives the one instance."""

    def __init__(self) -> None:
        self._made: dict[type[Any], Any] = {}
        self._lock = threading.Lock()

    def get(self, kind: type[S], make: Callable[[], S] | None = None) -> S:
        """The service of this kind, made with `make` (or `kind()`) the first time it is asked for."""
        with self._lock:
            found = self._made.get(kind)
            if found is None:
                found = make() if make is not None else kind()
                self._made[kind] = found
            return found  # type: ignore[no-any-return]

    def peek(self, kind: type[S]) -> S | None:
        """The service of this kind if one was made, without making it."""
        with self._lock:
            return self._made.get(kind)

    def close(self) -> None:
        """Close every service that has a `close()`, the last made first, and forget them."""
        with self._lock:
            made = list(self._made.values())
            self._made.clear()
        for service in reversed(made):
            close = getattr(service, "close", None)
            if callable(close):
                close()
