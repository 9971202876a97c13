"""The daemon's files: its lock (which holds its pid), its status file and its log, and the status read from them.

A member reads only their own lines of the log and their own latest errors (`LogReader`); an admin reads them all.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from paa.config import Paths
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.rbac import require_admin
from paa.core.context import Acting, Context
from paa.core.reminders.upcoming import upcoming
from paa.db.models import Notification, User
from paa.errors import PaaError
from paa.files import LockHeld, open_locked
from paa.redact import redact


@dataclass(frozen=True)
class DaemonFiles:
    """Where the reminder daemon keeps its lock (holding its pid), its status and its log."""

    lock: Path
    status: Path
    log: Path

    @classmethod
    def of(cls, paths: Paths) -> DaemonFiles:
        return cls(paths.data_dir / "daemon.lock", paths.data_dir / "daemon.json", paths.log_dir / "daemon.log")


def running_daemon(files: DaemonFiles) -> int | None:
    """The pid of the daemon holding the lock of this data folder, or None when none runs."""
    try:
        fd = open_locked(files.lock, wait=False, create=False)
    except FileNotFoundError:
        return None
    except LockHeld:
        return _pid_in(files.lock) or -1
    os.close(fd)  # nobody held it: let it go at once
    return None


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class LogReader:
    """Whose lines of the daemon's log (and of its latest errors) a person may read."""

    user_id: int | None  # None: nobody is acting, so only the daemon's own lines
    everything: bool  # an admin, or an install without accounts: nobody to keep apart

    @classmethod
    def of(cls, acting: Acting | None, user: User | None = None) -> LogReader:
        if acting is None:
            return cls(None, False)
        if not acting.accounts_exist:
            return cls(acting.user.id, True)
        try:
            require_admin(user or acting.user, authenticated=acting.authenticated, accounts_exist=True)
        except PaaError:
            return cls(acting.user.id, False)
        return cls(acting.user.id, True)

    @classmethod
    def for_account(cls, actx: AuthContext) -> LogReader:
        """For an account command, which opens even when nobody is logged in."""
        if actx.acting is None:
            return cls(None, everything=not actx.accounts_exist())
        return cls.of(actx.acting, actx.session.get(User, actx.acting.user.id))

    def may_read(self, user_id: object) -> bool:
        return self.everything or user_id is None or user_id == self.user_id


@dataclass(frozen=True)
class DaemonStatus:
    """Whether the daemon runs, since when, what it will send next and what went wrong lately."""

    running: bool
    pid: int | None
    started_at: datetime | None
    uptime_seconds: float | None
    jobs: int | None
    last_scan_at: datetime | None
    next: list[dict[str, Any]]
    last_errors: list[dict[str, Any]]
    failed_notifications: int

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "pid": self.pid,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "uptime_seconds": self.uptime_seconds,
            "jobs": self.jobs,
            "last_scan_at": self.last_scan_at.isoformat() if self.last_scan_at else None,
            "next": self.next,
            "last_errors": self.last_errors,
            "failed_notifications": self.failed_notifications,
        }


def read_status_file(files: DaemonFiles) -> dict[str, Any]:
    try:
        data = json.loads(files.status.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def daemon_status(ctx: Context, next_count: int = 5) -> DaemonStatus:
    """The daemon's state: from its lock and status file when it runs; the next reminders from the database."""
    files = DaemonFiles.of(ctx.paths)
    pid = running_daemon(files)
    data = read_status_file(files) if pid is not None else {}
    started = _instant(data.get("started_at"))
    now = ctx.now()
    failed = ctx.session.exec(
        select(func.count()).where(Notification.user_id == ctx.user_id, Notification.status == "failed")
    ).one()
    coming = [u.to_json() for u in upcoming(ctx, now, 8)[:next_count]]
    errors = data.get("last_errors") if isinstance(data.get("last_errors"), list) else []
    reader = LogReader.of(ctx.acting, ctx.user) if ctx.acting is not None else LogReader(ctx.user_id, False)
    errors = [e for e in errors or [] if isinstance(e, dict) and reader.may_read(e.get("user_id"))]
    return DaemonStatus(
        running=pid is not None,
        pid=pid if pid and pid > 0 else None,
        started_at=started,
        uptime_seconds=round((now - started).total_seconds(), 1) if started else None,
        jobs=data.get("jobs") if isinstance(data.get("jobs"), int) else None,
        last_scan_at=_instant(data.get("last_scan_at")),
        next=coming,
        last_errors=[{"at": e.get("at"), "message": redact(str(e.get("message", "")))} for e in errors[-10:]],
        failed_notifications=failed,
    )
