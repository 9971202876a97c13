"""The context every core call gets: session, user, clock, settings and the user's preferences."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from paa.clock import Clock, FixedClock, SystemClock, habit_day
from paa.config import LoadedSettings, Paths, load_settings, resolve_paths
from paa.db.engine import create_db_engine, sqlite_url, writer
from paa.db.models import User
from paa.errors import ConfigError, StorageError


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
    try:
        ensure_current(engine, paths.backup_dir, paths.data_dir / ".migrate.lock")
    except OperationalError as exc:
        raise StorageError(f"cannot open the database at {url}: {exc.orig}") from None
    return engine


def _make_private_dir(path: os.PathLike[str] | str) -> None:
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {path}: {exc.strerror}") from None


@contextmanager
def open_context(
    *,
    write: bool = False,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Iterator[Context]:
    """Open the database and yield a Context; with `write`, commit at the end (all or nothing)."""
    from paa.core.users import effective_preferences, ensure_local_user

    env = os.environ if environ is None else environ
    paths = resolve_paths(env)
    loaded = load_settings(paths, env)
    clock = clock or clock_from_environ(env)
    engine = open_engine(paths, loaded)
    try:
        user = ensure_local_user(engine, loaded, clock)
        bind = writer(engine) if write else engine
        with Session(bind, expire_on_commit=False) as session:
            prefs = effective_preferences(session, user, loaded)
            ctx = Context(session, user, clock, loaded, paths, prefs)
            yield ctx
            if write:
                session.commit()
    finally:
        engine.dispose()
