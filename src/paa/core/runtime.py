"""The one way paa is opened: an `Environment` read once by an interface, and a `Runtime` that hands out contexts.

Every interface (CLI, chat REPL, TUI, daemon) builds one Runtime from an explicit Environment; nothing below it
reads `os.environ`. The Runtime owns the engine (opened on first use), knows who is acting, gives each piece of
work a short transaction, and owns the services made on first use (e.g. memory search); `close()` ends them all.

Two clocks: `clock` (PAA_NOW may fix it) places habit days and reminders; `security_clock` is the system clock,
always, and decides everything an attacker could gain by moving time: the login slowdown, session and token
lifetimes, key rotation. Only trusted code (a test) gives another one, through the constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from sqlmodel import Session

from paa.clock import Clock, FixedClock, SystemClock
from paa.config import LoadedSettings, Paths, Settings, load_settings, resolve_paths
from paa.config_sources import read_secret_files
from paa.core.accounts.users import (
    effective_preferences,
    normalised_name,
    recheck_acting,
    resolve_acting,
    selected_name,
    system_acting,
)
from paa.core.context import Acting, Context
from paa.core.services import Services
from paa.core.storage import database_url, open_engine
from paa.db.engine import hold_user_writes, writer
from paa.errors import AuthError, ConfigError, NotFound, PaaError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paa.core.accounts.auth import AuthContext
    from paa.core.accounts.passwords import HashParams

S = TypeVar("S")
PAA_NOW_YEARS = (1970, 9000)  # the years PAA_NOW may fix the clock in
SESSION_TOUCH_EVERY = timedelta(hours=1)  # how stale a session's last_used_at may get before a write refreshes it


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
    # Days a year before and after "now" (windows, reminders, the user's zone) must still be dates Python can hold.
    if not PAA_NOW_YEARS[0] <= instant.year <= PAA_NOW_YEARS[1]:
        first, last = PAA_NOW_YEARS
        raise ConfigError(f"PAA_NOW must be a date-time from the year {first} to {last} (got {fixed!r})")
    return FixedClock(instant)


@dataclass(frozen=True)
class Environment:
    """What paa runs with: its paths, its settings, its clock, the variables they were read from, the named user."""

    paths: Paths
    loaded: LoadedSettings
    clock: Clock
    environ: Mapping[str, str]  # a read-only copy: secrets, API base URLs and hashing costs are read from it
    user: str | None = None  # the user named by `paa --user` or PAA_USER, normalised

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, user: str | None = None, clock: Clock | None = None
    ) -> Environment:
        """Read paths, settings and clock from `environ` once; `user` (from `--user`) wins over PAA_USER.

        Secrets named by `*_FILE` variables (PAA_DB_URL_FILE, ...) are read here, so everything downstream sees
        PAA_DB_URL itself (paa.config_sources.read_secret_files)."""
        values: Mapping[str, str] = MappingProxyType(read_secret_files(environ))
        paths = resolve_paths(values)
        loaded = load_settings(paths, values)
        named = normalised_name(user) if user is not None else selected_name(values)
        return cls(paths, loaded, clock or clock_from_environ(values), values, named)

    @property
    def settings(self) -> Settings:
        return self.loaded.settings


class Runtime:
    """paa opened for one process (or one command): the engine, the acting user, contexts and services.

    Use it as a context manager, or call `close()`: that stops its services and disposes of the engine.
    """

    def __init__(
        self,
        environment: Environment,
        *,
        acting: Acting | None = None,
        security_clock: Clock | None = None,
        hash_params: HashParams | None = None,
        serves_callers: bool = False,
    ) -> None:
        """`security_clock` and `hash_params` are for tests only: a fixed clock for lifetimes, cheap hashing.

        `serves_callers`: a server's runtime, which acts only as the callers it proved (`acting=`), never as
        whoever logged in on this machine.
        """
        self.environment = environment
        self.security_clock: Clock = security_clock or SystemClock()  # never from the environment
        self.hash_params = hash_params  # None: the defaults, or PAA_ARGON2 when it asks for more
        # An interface's way to say whom its writes act as (the CLI: "as bob" when several accounts are logged in);
        # called once, before the first write of this runtime.
        self.on_first_write: Callable[[Acting], None] | None = None
        self._announced = False
        self.services = Services()
        self._engine: Engine | None = None
        self._acting = acting
        self._pinned = acting is not None  # trusted code named the user: never resolved again
        self.serves_callers = serves_callers
        self._lock = threading.RLock()
        # This process's writers take turns here before SQLite's write lock: queued in order instead of each
        # retrying the busy database on its own backoff, which left some of 16 concurrent writers waiting seconds.
        # Not on PostgreSQL (see `context`).
        self._writers = threading.RLock()

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str],
        *,
        user: str | None = None,
        clock: Clock | None = None,
        security_clock: Clock | None = None,
        hash_params: HashParams | None = None,
        serves_callers: bool = False,
    ) -> Runtime:
        environment = Environment.from_environ(environ, user=user, clock=clock)
        return cls(environment, security_clock=security_clock, hash_params=hash_params, serves_callers=serves_callers)

    @property
    def paths(self) -> Paths:
        return self.environment.paths

    @property
    def loaded(self) -> LoadedSettings:
        return self.environment.loaded

    @property
    def clock(self) -> Clock:
        return self.environment.clock

    @property
    def environ(self) -> Mapping[str, str]:
        return self.environment.environ

    @property
    def engine(self) -> Engine:
        """The database engine, opened (and migrated when behind) on first use."""
        with self._lock:
            if self._engine is None:
                self._engine = open_engine(self.paths, self.loaded, self.environ)
                redis_url = self.environ.get("PAA_REDIS_URL")
                if redis_url:  # committed feed events are announced to the API workers (docs/scaling.md)
                    from paa.core import feed_signal

                    feed_signal.attach(self._engine, redis_url)
            return self._engine

    def acting(self) -> Acting:
        """Who this runtime acts as: resolved on first use (see `resolve_acting`), then kept."""
        with self._lock:
            if self._acting is None:
                self._acting = self._resolve()
            return self._acting

    def acting_as(self, user_id: int) -> Acting:
        """Act as a given user from trusted code (the daemon serving every user); never from user input."""
        return system_acting(self.engine, user_id)

    @contextmanager
    def _queued(self) -> Iterator[None]:
        """Wait for this process's earlier writers, at most as long as SQLite would wait for its lock; past that
        the write goes on and SQLite's busy timeout decides, as it did before there was a queue."""
        from paa.db.engine import BUSY_TIMEOUT_MS

        queued = self._writers.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if queued:
                self._writers.release()

    @contextmanager
    def context(
        self,
        *,
        write: bool = False,
        acting: Acting | None = None,
        proving: Callable[[Session], Acting] | None = None,
    ) -> Iterator[Context]:
        """A short transaction as the acting user (or `acting`); with `write`, committed at the end (all or nothing).

        A write checks again, inside its transaction, that the acting user's session still holds (not logged out,
        revoked, expired or disabled since this runtime resolved it): a long-running REPL or TUI stops writing then.
        A read may instead be given `proving`, which establishes who acts inside the read's own transaction, before
        anything else is read (the API's bearer token: one transaction per request instead of two).
        """
        if proving is not None and (write or acting is not None):
            raise ValueError("proving is for reads, instead of acting")
        who = acting or (None if proving is not None else self.acting())
        bind = writer(self.engine) if write else self.engine
        # Only SQLite's writers queue in the process: PostgreSQL takes writers at once (one user's in turn, by an
        # advisory lock), and a queue there made every write of a server process wait for all of its others.
        queued = write and self.engine.dialect.name == "sqlite"
        with self._queued() if queued else nullcontext(), Session(bind, expire_on_commit=False) as session:
            if proving is not None:
                who = proving(session)
            assert who is not None
            if write:
                hold_user_writes(session, who.user.id or 0)  # PostgreSQL: a user's writes in turn, as on SQLite
                self._recheck(session, who)
                self._announce(who)
            ctx = self._context_for(session, who)
            if not write:
                yield ctx
                return
            self._touch_session(ctx)
            from paa.core.changes import ChangeWatch

            watch = ChangeWatch(session)
            try:
                yield ctx
                watch.record(ctx.user_id, self.security_clock.now())
            finally:
                watch.close()
            session.commit()

    @contextmanager
    def auth(self, *, write: bool = False, acting: Acting | None = None) -> Iterator[AuthContext]:
        """A transaction for account work; it opens even when nobody can be acted as yet (people log in then).

        Who is acting is `acting` when an interface proved it (the API's bearer token), else looked up afresh;
        a write forgets it, since logging in or out changes it.
        """
        from paa.core.accounts.auth import AuthContext

        problem: PaaError | None = None
        given = acting is not None
        if acting is None:
            try:
                acting = self._acting if self._pinned else self._resolve()
            except (AuthError, NotFound) as exc:
                problem = exc
        bind = writer(self.engine) if write else self.engine
        with Session(bind, expire_on_commit=False) as session:
            yield AuthContext(
                session, self.clock, self.paths, self.loaded, self.environ, acting, problem,
                security_clock=self.security_clock, hash_params=self.hash_params,
            )  # fmt: skip
            if write:
                session.commit()
        if write and not self._pinned and not given:
            with self._lock:
                self._acting = None

    def reload(self) -> None:
        """Read the settings again and forget who is acting, for a long-running process (the daemon).

        config.toml may change under it, or someone may log in; the engine is kept unless the database moved.
        """
        fresh = Environment.from_environ(self.environ, user=self.environment.user, clock=self.clock)
        with self._lock:
            moved = database_url(fresh.paths, fresh.loaded) != database_url(self.paths, self.loaded)
            self.environment = fresh
            if not self._pinned:
                self._acting = None
            engine, self._engine = (self._engine, None) if moved else (None, self._engine)
        if engine is not None:
            engine.dispose()

    def service(self, kind: type[S], make: Callable[[], S] | None = None) -> S:
        """This runtime's service of a kind, made on first use by `make` (or `kind()`)."""
        return self.services.get(kind, make)

    def close(self) -> None:
        """Stop the services and dispose of the engine; using the runtime again opens a new one."""
        self.services.close()
        with self._lock:
            engine, self._engine = self._engine, None
            if not self._pinned:
                self._acting = None
        if engine is not None:
            from paa.core import feed_signal

            feed_signal.detach(engine)
            engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _resolve(self) -> Acting:
        if self.serves_callers:
            raise AuthError("nobody is acting: a server acts only as the caller its request proves")
        return resolve_acting(
            self.engine, self.paths, self.loaded, self.clock, self.environment.user, security_clock=self.security_clock
        )

    def _announce(self, acting: Acting) -> None:
        with self._lock:
            announce, self._announced = (None if self._announced else self.on_first_write), True
        if announce is not None:
            announce(acting)

    def _recheck(self, session: Session, acting: Acting) -> None:
        """Refuse a write whose session ended after it was resolved; then forget it, so the next use resolves again."""
        try:
            recheck_acting(session, acting, self.security_clock.now())
        except AuthError:
            with self._lock:
                if self._acting is acting and not self._pinned:
                    self._acting = None
            raise

    def _context_for(self, session: Session, acting: Acting) -> Context:
        """A Context on an open session; guarded (`paa.core.accounts.rbac.guard`) when accounts exist."""
        prefs = effective_preferences(session, acting.user, self.loaded)
        ctx = Context(session, acting.user, self.clock, self.loaded, self.paths, prefs, acting, self.services)
        if acting.accounts_exist:
            from paa.core.accounts.rbac import guard

            guard(session, lambda: ctx.user_id)
        return ctx

    def _touch_session(self, ctx: Context) -> None:
        """Record when a CLI session was last used, at most once an hour and only in a write (reads stay read-only)."""
        acting = ctx.acting
        if acting is None or acting.session_id is None:
            return
        now = self.security_clock.now()
        if acting.session_last_used is not None and now - acting.session_last_used < SESSION_TOUCH_EVERY:
            return
        from sqlalchemy import update

        from paa.db.models import UserAuth

        ctx.session.execute(update(UserAuth).where(UserAuth.id == acting.session_id).values(last_used_at=now))  # type: ignore[arg-type]
        with self._lock:
            if self._acting is acting:  # a long-lived runtime need not touch it again within the hour
                self._acting = replace(acting, session_last_used=now)
