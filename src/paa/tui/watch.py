"""Noticing that another process (or another connection of this one) changed the database.

SQLite's `PRAGMA data_version` on a connection of our own changes whenever any *other* connection commits: a
`paa habit log` in another terminal, the daemon, or the chat's tool calls through the app's engine. Reading it
costs a few microseconds and takes no lock, so a worker thread polls it twice a second. Another database
(PostgreSQL) has no such counter; there the app simply reloads every few seconds.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

POLL_SECONDS = 0.5
PERIODIC_SECONDS = 5.0


class Watcher(Protocol):
    def changed(self) -> bool:
        """Whether the database changed since the last call (or since the watcher was made)."""
        ...

    def close(self) -> None: ...


class DataVersionWatcher:
    """Polls `PRAGMA data_version` on a private read-only use of the SQLite file."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(str(path), timeout=1.0, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._version = self._read()

    def _read(self) -> int:
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        with self._lock:
            try:
                version = self._read()
            except sqlite3.Error:  # busy for a moment (a checkpoint): look again at the next poll
                return False
            if version == self._version:
                return False
            self._version = version
            return True

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PeriodicWatcher:
    """For a database without a change counter: reports a change every `every` seconds."""

    def __init__(self, every: float = PERIODIC_SECONDS) -> None:
        self.every = every
        self._last = time.monotonic()

    def changed(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True

    def close(self) -> None:
        return None
