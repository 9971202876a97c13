"""The context every core call gets: session, user, clock, settings and the user's preferences."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from paa.clock import Clock, FixedClock, SystemClock, habit_day
from paa.config import LoadedSettings, Paths, load_settings, resolve_paths
from paa.db.engine import create_db_engine, sqlite_url, writer
from paa.db.models import User
from paa.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from paa.core.accounts.users import Acting

SESSION_TOUCH_EVERY = timedelta(hours=1)  # how stale a session's last_used_at may get before a write refreshes it


@dataclass(frozen=True)
class Preferences:
    """The user's effective preferences (environment > stored > config.toml > default)."""

    timezone: str
    day_start_hour: int
    week_start: str
    checkin_time: str

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class Context:
    """What a core call works with; built by `open_context`, or by hand in tests."""

    session: Session
    user: User
    clock: Clock
    loaded: LoadedSettings
    paths: Paths
    prefs: Preferences
    extra: dict[str, object] = field(default_factory=dict)
    acting: Acting | None = None  # how `user` was established (None for a Context built by hand)

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The user's current habit day, in their zone and with their day-start hour."""
        return habit_day(self.clock.now(), self.prefs.zone, self.prefs.day_start_hour)


def clock_from_environ(environ: Mapping[str, str]) -> Clock:
    """The system clock, or a fixed one when PAA_NOW holds an ISO instant (for scripted demos and tests)."""
    fixed = environ.get("PAA_NOW")
    if not fixed:
        return SystemClock()
    try:
        instant = datetime.fromisoformat(fixed)
    except ValueError:
        raise ConfigError(f"PAA_NOW: cannot read {fixed!r} as an ISO date-time") from None
    if instant.tzinfo is None:
        raise ConfigError("PAA_NOW must include a UTC offset, e.g. 2026-03-08T12:00:00+00:00")
    return FixedClock(instant)


def database_url(paths: Paths, loaded: LoadedSettings) -> str:
    return loaded.settings.database_url or sqlite_url(paths.database_file)


def open_engine(paths: Paths, loaded: LoadedSettings) -> Engine:
    """Create the engine and make sure the schema is current (migrating when it is behind)."""
    from paa.db.migrate import ensure_current

    url = database_url(paths, loaded)
    if url.startswith("sqlite"):
        _make_private_dir(paths.data_dir)
    engine = create_db_engine(url)
    if engine.dialect.name == "sqlite":
        _make_private_database(engine.url.database)
    try:
        ensure_current(engine, paths.backup_dir, paths.data_dir / ".migrate.lock")
    except OperationalError as exc:
        raise StorageError(f"cannot open the database at {url}: {exc.orig}") from None
    return engine


def _make_private_dir(path: os.PathLike[str] | str) -> None:
    """Create the data folder 0700, or narrow an existing one to 0700 (it holds the database and secrets)."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        _narrow(path, 0o700)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {path}: {exc.strerror}") from None


def _narrow(path: os.PathLike[str] | str, mode: int) -> None:
    """Take group and other permissions off a file or folder we own (one stat when they are already off)."""
    current = os.stat(path).st_mode & 0o777
    if current & 0o077:
        os.chmod(path, current & mode)


def _make_private_database(database: str | None) -> None:
    """Create the SQLite file 0600 before SQLite does (its -wal and -shm files copy that mode); narrow an old one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            for suffix in ("", "-wal", "-shm"):
                if suffix == "" or os.path.exists(database + suffix):
                    _narrow(database + suffix, 0o600)
        except OSError:
            return  # not ours to change (another owner): SQLite reports a real problem when it opens the file
    except OSError:
        return  # e.g. the folder is missing or read-only: SQLite gives the clear error
    else:
        os.close(fd)


@contextmanager
def open_context(
    *,
    write: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    acting: Acting | None = None,
) -> Iterator[Context]:
    """Open the database and yield a Context; with `write`, commit at the end (all or nothing).

    The acting user comes from PAA_USER / `paa --user` or the CLI's session (see
    `paa.core.accounts.users.resolve_acting`),
    or `acting` when trusted code (the daemon) names one.
    """
    from paa.core.accounts.users import resolve_acting

    env = os.environ if environ is None else environ
    paths = resolve_paths(env)
    loaded = load_settings(paths, env)
    clock = clock or clock_from_environ(env)
    engine = open_engine(paths, loaded)
    try:
        who = acting or resolve_acting(engine, paths, loaded, clock, env)
        bind = writer(engine) if write else engine
        with Session(bind, expire_on_commit=False) as session:
            ctx = make_context(session, who, clock, loaded, paths)
            if write:
                _touch_session(ctx)
            yield ctx
            if write:
                session.commit()
    finally:
        engine.dispose()


def make_context(session: Session, acting: Acting, clock: Clock, loaded: LoadedSettings, paths: Paths) -> Context:
    """A Context for an acting user on an open session; guarded (`paa.core.accounts.rbac.guard`) when accounts exist."""
    from paa.core.accounts.users import effective_preferences

    prefs = effective_preferences(session, acting.user, loaded)
    ctx = Context(session, acting.user, clock, loaded, paths, prefs, acting=acting)
    if acting.accounts_exist:
        from paa.core.accounts.rbac import guard

        guard(session, lambda: ctx.user_id)
    return ctx


def _touch_session(ctx: Context) -> None:
    """Record when a CLI session was last used, at most once an hour and only in a write (reads stay read-only)."""
    acting = ctx.acting
    if acting is None or acting.session_id is None:
        return
    now = ctx.now()
    if acting.session_last_used is not None and now - acting.session_last_used < SESSION_TOUCH_EVERY:
        return
    from sqlalchemy import update

    from paa.db.models import UserAuth

    ctx.session.execute(update(UserAuth).where(UserAuth.id == acting.session_id).values(last_used_at=now))  # type: ignore[arg-type]
