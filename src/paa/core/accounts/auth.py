"""The account context: who is acting in an account command, and whether they may act as an admin.

The account functions live beside it: `sessions`, `registration`, `identities`, `admin`, `views` and `lookups`.

Every function takes an `AuthContext` (from `Runtime.auth`), which, unlike a Context, also opens when nobody can be
acted as yet: that is when people log in. Passwords are hashed with argon2id (`paa.core.accounts.passwords`); session
tokens are random and stored as their SHA-256; nothing here ever returns or raises with a secret in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from paa.clock import Clock, SystemClock
from paa.config import LoadedSettings, Paths
from paa.core.accounts import rbac
from paa.core.accounts.passwords import (
    HashParams,
    params_from,
)
from paa.core.accounts.users import (
    LOCAL_USERNAME,
    Acting,
    accounts_exist,
)
from paa.db.models import User
from paa.errors import AuthError, PaaError

PASSWORD_KIND = "password"
OAUTH_KIND = "oauth"
REFRESH_KIND = "refresh"
LABEL_MAX = 100


@dataclass
class AuthContext:
    """What account functions work with: a session on the database, and who is acting, if anyone can be yet."""

    session: Session
    clock: Clock
    paths: Paths
    loaded: LoadedSettings
    environ: Mapping[str, str]
    acting: Acting | None
    problem: PaaError | None  # why nobody can be acted as, when `acting` is None
    security_clock: Clock = field(default_factory=SystemClock)  # the system clock; a test may fix it, PAA_NOW never
    hash_params: HashParams | None = None  # a test's cheap hashing; None reads PAA_ARGON2 (never below the defaults)

    def now(self) -> datetime:
        """The interface's clock (PAA_NOW may fix it): for dates shown, never for a security decision."""
        return self.clock.now()

    def secure_now(self) -> datetime:
        """The real time, for the login slowdown, session and token lifetimes and key rotation."""
        return self.security_clock.now()

    @property
    def params(self) -> HashParams:
        return self.hash_params if self.hash_params is not None else params_from(self.environ)

    def actor(self) -> Acting:
        """Who is acting, or the reason nobody is (not logged in, session expired, ...)."""
        if self.acting is None:
            raise self.problem or AuthError("nobody is logged in", hint="paa auth login")
        return self.acting

    def accounts_exist(self) -> bool:
        return accounts_exist(self.session)


# ---- admins ------------------------------------------------------------------------------------------------


def require_admin(actx: AuthContext) -> Acting:
    """The acting user, if they are an admin who may act as one now; else PermissionDenied (or AuthError)."""
    acting = actx.actor()
    user = actx.session.get(User, acting.user.id) or acting.user
    rbac.require_admin(user, authenticated=acting.authenticated, accounts_exist=actx.accounts_exist())
    return acting


def require_install_admin(actx: AuthContext) -> None:
    """Install-wide changes (API keys, config.toml) serve everyone: with accounts, only an admin makes them."""
    if actx.accounts_exist():
        require_admin(actx)


__all__ = ["LOCAL_USERNAME", "AuthContext"]
