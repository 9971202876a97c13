"""The daemon's log: private (0600 in a 0700 folder), free of secrets, and each line tagged with the user it is about.

A line reads `2026-11-26 08:00:01,004 INFO paa.reminders user=7: ...`; `user=-` marks a line about the daemon itself.
`lines_for` picks what one person may read: their own lines and the daemon's, or everything for an admin.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from paa.files import make_private_folder, open_private_append
from paa.redact import redact

if TYPE_CHECKING:
    from paa.daemon.files import DaemonFiles

LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s user=%(paa_user)s: %(message)s"
NO_USER = "-"

_ABOUT: ContextVar[int | None] = ContextVar("paa_log_user", default=None)
# The start of each record: a new line that does not match belongs to the record above (a traceback, say).
_HEADER = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+(?: user=(\d+|-))?: ")


@contextmanager
def about_user(user_id: int | None) -> Iterator[None]:
    """Tag what is logged in this block (in this thread, and in work it hands on with its context) with a user."""
    token = _ABOUT.set(user_id)
    try:
        yield
    finally:
        _ABOUT.reset(token)


class PrivateFormatter(logging.Formatter):
    """Formats a record with its user, takes secrets out, and indents continuation lines so none can pass for a
    record of its own (or of another user)."""

    def format(self, record: logging.LogRecord) -> str:
        user = getattr(record, "user_id", None)
        if user is None:
            user = _ABOUT.get()
        record.paa_user = NO_USER if user is None else str(user)
        return redact(super().format(record)).replace("\n", "\n    ")


class _PrivateRotatingFileHandler(RotatingFileHandler):
    def _open(self) -> io.TextIOWrapper:
        return open_private_append(Path(self.baseFilename), self.encoding)


class _PrivateFileHandler(logging.FileHandler):
    def _open(self) -> io.TextIOWrapper:
        return open_private_append(Path(self.baseFilename), self.encoding)


def configure_logging(
    files: DaemonFiles, *, to_stderr: bool = False, max_bytes: int = LOG_BYTES, rotate: bool = True
) -> logging.Handler:
    """Send paa's and APScheduler's log records to the daemon log (and stderr when asked).

    Only one process may rotate the log: renaming it under another writer would send that writer's lines to the
    old file. So `run-due` beside a running daemon only appends (`rotate=False`), and the daemon rotates.
    """
    make_private_folder(files.log.parent)
    handler: logging.FileHandler
    if rotate:
        handler = _PrivateRotatingFileHandler(files.log, maxBytes=max_bytes, backupCount=LOG_BACKUPS, encoding="utf-8")
    else:
        handler = _PrivateFileHandler(files.log, encoding="utf-8")
    handler.setFormatter(PrivateFormatter(FORMAT))
    targets: list[logging.Handler] = [handler]
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(PrivateFormatter("%(asctime)s %(levelname)s %(message)s"))
        targets.append(stream)
    for name, level in (("paa", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for target in targets:
            logger.addHandler(target)
    return handler


def lines_for(lines: Iterable[str], user_id: int | None, *, everything: bool = False) -> Iterator[str]:
    """The log lines one person may read: with `everything` (an admin, or nobody to keep apart) all of them;
    else the daemon's own lines and, for `user_id`, that user's. Lines from before tagging are an admin's only."""
    shown = everything  # a first line that continues an earlier record: whose it is cannot be told
    for line in lines:
        header = _HEADER.match(line)
        if header is not None:
            tag = header.group(1)
            shown = everything or tag == NO_USER or (tag is not None and user_id is not None and tag == str(user_id))
        if shown:
            yield line
