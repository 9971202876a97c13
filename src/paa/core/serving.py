"""Whether a `paa serve` runs on this machine for this data folder: the server's marker file.

`paa serve` writes `server.json` in the data folder while it runs and removes it when it stops. The daemon reads it to
turn on the `app` notification channel by default (reminders reach the server's WebSocket clients through the change
feed) without anyone editing `notify.channels`. A server on another machine is not seen here: name `app` in
`notify.channels` for it.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from paa.config_sources import Paths
from paa.files import write_private_text

MARKER_NAME = "server.json"


@dataclass(frozen=True)
class ServerMarker:
    """What a running server says of itself: where it listens, its process, since when."""

    url: str
    pid: int
    host: str
    started_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "pid": self.pid, "host": self.host, "started_at": self.started_at.isoformat()}


def marker_file(paths: Paths) -> Path:
    return paths.data_dir / MARKER_NAME


def write_marker(paths: Paths, url: str, now: datetime) -> ServerMarker:
    """Say that this process serves `url`; an OSError is the caller's to report."""
    marker = ServerMarker(url, os.getpid(), socket.gethostname(), now)
    write_private_text(marker_file(paths), json.dumps(marker.to_json()))
    return marker


def remove_marker(paths: Paths) -> None:
    """Remove this process's marker (another server's, started meanwhile, is left alone)."""
    found = read_marker(paths, alive_only=False)
    if found is not None and found.pid == os.getpid() and found.host == socket.gethostname():
        with suppress(OSError):
            marker_file(paths).unlink()


def read_marker(paths: Paths, *, alive_only: bool = True) -> ServerMarker | None:
    """The running server's marker; None when there is none, it cannot be read, or its process has ended."""
    try:
        raw = json.loads(marker_file(paths).read_text(encoding="utf-8"))
        marker = ServerMarker(str(raw["url"]), int(raw["pid"]), str(raw["host"]),
                              datetime.fromisoformat(str(raw["started_at"])))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if alive_only and not _alive(marker):
        return None
    return marker


def server_in_use(paths: Paths) -> bool:
    """Whether a `paa serve` for this data folder runs on this machine now."""
    return read_marker(paths) is not None


def _alive(marker: ServerMarker) -> bool:
    if marker.host != socket.gethostname():
        return True  # a shared folder seen from another host: the process cannot be checked from here
    try:
        os.kill(marker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
