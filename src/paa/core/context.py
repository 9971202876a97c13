"""The context every core call gets: session, user, clock, settings and the user's preferences (data only).

`paa.core.runtime.Runtime` builds contexts; this module opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from paa.clock import Clock, habit_day
from paa.config import LoadedSettings, Paths
from paa.core.services import Services
from paa.db.models import User

Via = Literal["session", "profile", "local", "system"]


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


@dataclass(frozen=True)
class Acting:
    """The user a command acts as, and how that was established (see `paa.core.accounts.users.resolve_acting`)."""

    user: User
    via: Via  # session: logged in; profile: named, has no password; local: the implicit user; system: trusted code
    authenticated: bool
    accounts_exist: bool  # some user is protected by a password or OAuth, so users must be kept apart
    session_id: int | None = None
    session_last_used: datetime | None = None
    # An access token's login (its refresh family): which API or browser login a request came through, so a list of
    # logins can mark the caller's own (session_id names a terminal's session row; a login is a family of rows).
    login_family: str | None = None


@dataclass
class Context:
    """What a core call works with; built by `Runtime.context`, or by hand in tests."""

    session: Session
    user: User
    clock: Clock
    loaded: LoadedSettings
    paths: Paths
    prefs: Preferences
    acting: Acting | None = None  # how `user` was established (None for a Context built by hand)
    services: Services = field(default_factory=Services)  # the runtime's (memory search, ...); its own when by hand

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The user's current habit day, in their zone and with their day-start hour."""
        return habit_day(self.clock.now(), self.prefs.zone, self.prefs.day_start_hour)
