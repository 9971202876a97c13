"""Who an HTTP request acts as: a short-lived access JWT, or a long-lived API token a person created.

API tokens (`paa auth token create`) are for scripts and phones: random, shown once, stored as their SHA-256,
scoped to `read` or `read,write`, revocable. Access tokens come from a login and are checked by
`paa.core.accounts.tokens`. Either way the answer is an `Acting` the runtime opens contexts with.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, or_
from sqlalchemy import select as core_select  # sqlmodel's select takes at most four columns
from sqlmodel import Session, col, select

from paa.core import validate
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.tokens import LEEWAY, REFRESH_KIND
from paa.core.accounts.users import PROTECTING_KINDS, accounts_exist, token_digest
from paa.core.context import Acting
from paa.core.ids import get_row
from paa.db.models import SigningKey, User, UserAuth
from paa.errors import AuthError, InvalidInput, NotFound, PermissionDenied

API_TOKEN_KIND = "api_token"
API_TOKEN_PREFIX = "paa_t_"
SCOPES = ("read", "write")
NAME_MAX = 100


@dataclass(frozen=True)
class Caller:
    """The user behind a request, what the credential allows, and which credential it was (never the secret)."""

    acting: Acting
    scopes: frozenset[str]
    credential: str  # "login:<family>" or "token:<id>", for logs and rate-limit keys

    @property
    def user_id(self) -> int:
        assert self.acting.user.id is not None
        return self.acting.user.id

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(f"this token may not {scope}", hint="create a token with --scope read,write")

    def require_login(self, what: str) -> None:
        """Refuse `what` to an API token: a token is as strong as what made it, so only a login makes new ones
        (a leaked read-only token must not mint a read,write one)."""
        if not self.credential.startswith("login:"):
            raise PermissionDenied(f"an API token cannot {what}", hint="log in with a password and use that login")


@dataclass(frozen=True)
class Claim:
    """Who a token proved before stands for, not checked again now: enough to count a request against its user's
    rate limit or to name the user of a cached answer, never to act as them (that proves the token again)."""

    user_id: int
    scopes: frozenset[str]


@dataclass(frozen=True)
class ApiTokenView:
    id: int
    name: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class NewApiToken:
    token: str = field(repr=False)
    view: ApiTokenView

    def to_json(self) -> dict[str, Any]:
        """The token's view and, this once, the token itself."""
        return {**self.view.to_json(), "token": self.token}


def parse_scopes(text: str) -> frozenset[str]:
    """`read`, `write` or `read,write`; `write` includes `read` (a client that changes data must see it)."""
    given = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(given - set(SCOPES))
    if unknown or not given:
        raise InvalidInput(f"unknown scope {', '.join(unknown) or '(none)'}: use read or read,write", field="scope")
    return frozenset(given | {"read"})


def _view(row: UserAuth) -> ApiTokenView:
    assert row.id is not None
    scopes = tuple(sorted((row.scopes or "read").split(",")))
    return ApiTokenView(row.id, row.label, scopes, row.created_at, row.expires_at, row.last_used_at, row.revoked_at)


def create_api_token(actx: AuthContext, name: str, scopes: frozenset[str], *, days: int | None = None) -> NewApiToken:
    """A new API token for the acting user, who must have logged in (a token is as strong as what made it)."""
    acting = actx.actor()
    if not acting.authenticated:
        raise AuthError("log in before creating an API token", hint=f"paa auth login {acting.user.username}")
    label = validate.clean_text(" ".join(name.split()), "token name", NAME_MAX, field="name")
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInput("a token lives 1 to 3650 days", field="days")
    assert acting.user.id is not None
    now = actx.secure_now()
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = UserAuth(
        user_id=acting.user.id, kind=API_TOKEN_KIND, secret_hash=token_digest(token), label=label,
        scopes=",".join(sorted(scopes)), created_at=now,
        expires_at=None if days is None else now + timedelta(days=days),
    )  # fmt: skip
    actx.session.add(row)
    actx.session.flush()
    return NewApiToken(token, _view(row))


def list_api_tokens(actx: AuthContext, *, include_revoked: bool = False) -> list[ApiTokenView]:
    acting = actx.actor()
    query = select(UserAuth).where(UserAuth.user_id == acting.user.id, UserAuth.kind == API_TOKEN_KIND)
    if not include_revoked:
        query = query.where(col(UserAuth.revoked_at).is_(None))
    return [_view(row) for row in actx.session.exec(query.order_by(col(UserAuth.id)))]


def revoke_api_token(actx: AuthContext, token_id: int) -> ApiTokenView:
    """Revoke one of the acting user's API tokens; another user's id is not found, as in every other lookup."""
    acting = actx.actor()
    row = get_row(actx.session, UserAuth, token_id)
    if row is None or row.kind != API_TOKEN_KIND or row.user_id != acting.user.id:
        raise NotFound(f"no API token with id {token_id}", hint="see `paa auth token list`")
    if row.revoked_at is None:
        row.revoked_at = actx.secure_now()
        actx.session.add(row)
        actx.session.flush()
    return _view(row)


def caller_for(session: Session, token: str, now: datetime) -> Caller:
    """The caller a bearer token proves, or AuthError saying why it is refused (never echoing the token)."""
    return _prove(session, token, now)[0]


@dataclass(frozen=True)
class _Proof:
    """What proving a token established for good: who, with which scopes, until when, through which credential."""

    user_id: int
    scopes: frozenset[str]
    credential: str
    expires_at: datetime | None
    issued_at: datetime | None = None
    family: str | None = None  # an access token's login
    key_id: str | None = None  # the key that signed an access token
    token_id: int | None = None  # an API token's row


def _prove(session: Session, token: str, now: datetime) -> tuple[Caller, _Proof]:
    if token.startswith(API_TOKEN_PREFIX):
        return _api_token_caller(session, token, now)
    from paa.core.accounts.tokens import verify_access_token

    claims = verify_access_token(session, token, now)
    acting = Acting(claims.user, "session", True, accounts_exist(session), login_family=claims.session_family)
    caller = Caller(acting, frozenset(SCOPES), f"login:{claims.session_family}")
    proof = _Proof(
        claims.user_id, caller.scopes, caller.credential, claims.expires_at, claims.issued_at,
        family=claims.session_family, key_id=claims.key_id,
    )  # fmt: skip
    return caller, proof


def _api_token_caller(session: Session, token: str, now: datetime) -> tuple[Caller, _Proof]:
    found = session.exec(
        select(UserAuth, User)
        .join(User, col(User.id) == col(UserAuth.user_id))
        .where(UserAuth.secret_hash == token_digest(token), UserAuth.kind == API_TOKEN_KIND)
    ).first()
    if found is None:
        raise AuthError("the API token is not valid", hint="create one with `paa auth token create`")
    row, user = found
    if row.revoked_at is not None:
        raise AuthError("the API token was revoked", hint="create a new one with `paa auth token create`")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthError("the API token has expired", hint="create a new one with `paa auth token create`")
    if not user.is_active:
        raise AuthError("the account is disabled", hint="ask an admin to enable it")
    scopes = frozenset((row.scopes or "read").split(","))
    caller = Caller(Acting(user, "session", True, accounts_exist(session)), scopes, f"token:{row.id}")
    assert user.id is not None
    return caller, _Proof(user.id, scopes, caller.credential, row.expires_at, token_id=row.id)


class ProvenTokens:
    """Bearer tokens this process has proved, so that using one again costs one statement instead of a full proof.

    Kept, for good, is what a proof established and nothing can change: an access token's signature and claims
    (no second decode, no signing key read and unsealed), or which API token a digest names. Read again on every
    use, in one statement, is everything that can revoke a token: the user (deleted, disabled, or a changed row,
    which the caller carries), the login's refresh family for an access token (logout, refresh-token reuse,
    sessions revoked) or the API token's row (revoked), the signing key (dropped, or past its grace), and whether
    accounts exist. So a revocation from any process (the CLI, another worker) is refused at the very next
    request, as without the cache; expiry is checked on the clock each time. Anything that fails the repeat check
    goes through the full proof again, which gives the refusal its reason. Only a token's SHA-256 is kept.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._proofs: dict[str, _Proof] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def caller(self, session: Session, token: str, now: datetime) -> Caller:
        """The caller `token` proves now, or AuthError saying why it is refused."""
        digest = token_digest(token)
        with self._lock:
            proof = self._proofs.get(digest)
        if proof is not None:
            caller = _recheck(session, proof, digest, now)
            if caller is not None:
                return caller
            with self._lock:
                self._proofs.pop(digest, None)
        caller, proof = _prove(session, token, now)
        with self._lock:
            if len(self._proofs) >= self._max_entries:
                self._forget_expired(now)
            self._proofs[digest] = proof
        return caller

    def claim(self, token: str, now: datetime) -> Claim | None:
        """Who `token` stood for when it was proved, if it was and has not expired by the clock; None otherwise.
        No database: whether it was revoked since is for `caller` to say, when the request acts."""
        with self._lock:
            proof = self._proofs.get(token_digest(token))
        if proof is None or not _in_time(proof, now):
            return None
        return Claim(proof.user_id, proof.scopes)

    def knows(self, token: str) -> bool:
        """Whether `token` was proved before (its next use is then one indexed read)."""
        digest = token_digest(token)
        with self._lock:
            return digest in self._proofs

    def __len__(self) -> int:
        return len(self._proofs)

    def _forget_expired(self, now: datetime) -> None:
        """Drop proofs of expired tokens; if that frees too little (many live tokens), start again empty: a
        forgotten token is only proved in full once more."""
        for digest, proof in list(self._proofs.items()):
            if proof.expires_at is not None and proof.expires_at <= now - LEEWAY:
                del self._proofs[digest]
        if len(self._proofs) >= self._max_entries // 2:
            self._proofs.clear()


# The repeat checks are built once, with parameters: building the statement took as long as running it, and the
# same statement object keeps its cache key (SQLAlchemy works it out once).
@cache
def _accounts_exist() -> Any:
    # `kind = a OR kind = b`, not `kind IN (a, b)`: SQLAlchemy renders an IN list again on every run of a statement
    # otherwise built once, and this one runs on every API request.
    protecting = or_(*(col(UserAuth.kind) == kind for kind in PROTECTING_KINDS)) & col(UserAuth.revoked_at).is_(None)
    return exists(select(UserAuth.id).where(protecting))


@cache
def _api_token_check() -> Any:
    """The user, the token's revocation time and whether accounts exist, for a token row and its digest."""
    return (
        core_select(User, col(UserAuth.revoked_at), _accounts_exist())
        .join(UserAuth, col(UserAuth.user_id) == col(User.id))
        .where(
            col(UserAuth.id) == bindparam("token_id"),
            col(UserAuth.secret_hash) == bindparam("digest"),  # the very row proved, were ids reused after a deletion
            col(UserAuth.kind) == API_TOKEN_KIND,
            col(User.id) == bindparam("user_id"),
        )
    )


@cache
def _login_check() -> Any:
    """The user, whether the login is alive, whether the signing key is there and until when, whether accounts
    exist."""
    alive = exists(select(UserAuth.id)).where(
        col(UserAuth.family) == bindparam("family"),
        col(UserAuth.user_id) == bindparam("user_id"),
        col(UserAuth.kind) == REFRESH_KIND,
        col(UserAuth.revoked_at).is_(None),
    )
    key = select(SigningKey.valid_until).where(col(SigningKey.kid) == bindparam("kid"))
    known = exists(select(SigningKey.id).where(col(SigningKey.kid) == bindparam("kid")))
    return core_select(User, alive, known, key.scalar_subquery(), _accounts_exist()).where(
        col(User.id) == bindparam("user_id")
    )


def _in_time(proof: _Proof, now: datetime) -> bool:
    """Whether a proved token is within its lifetime on the clock `now`."""
    skew = LEEWAY if proof.family is not None else timedelta(0)  # as the full proofs allow: access tokens only
    if proof.expires_at is not None and proof.expires_at <= now - skew:
        return False
    return proof.issued_at is None or proof.issued_at <= now + LEEWAY


def _recheck(session: Session, proof: _Proof, digest: str, now: datetime) -> Caller | None:
    """The caller a proved token stands for if nothing revoked it since, in one statement; None otherwise (the full
    proof then says why)."""
    if not _in_time(proof, now):
        return None
    if proof.token_id is not None:
        params = {"token_id": proof.token_id, "digest": digest, "user_id": proof.user_id}
        token = session.execute(_api_token_check(), params).first()
        if token is None or token[1] is not None:
            return None
        user, accounts_exist_now = token[0], bool(token[2])
    else:
        params = {"family": proof.family, "user_id": proof.user_id, "kid": proof.key_id}
        login = session.execute(_login_check(), params).first()
        if login is None or not login[1] or not login[2] or (login[3] is not None and login[3] <= now):
            return None
        user, accounts_exist_now = login[0], bool(login[4])
    if not user.is_active:
        return None
    acting = Acting(user, "session", True, accounts_exist_now, login_family=proof.family)
    return Caller(acting, proof.scopes, proof.credential)


def touch_api_token(session: Session, token_id: int, now: datetime) -> None:
    """Record when a token was last used (at most once a minute, so reads stay cheap)."""
    row = session.get(UserAuth, token_id)
    if row is not None and (row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)):
        row.last_used_at = now
        session.add(row)


__all__ = [
    "API_TOKEN_KIND",
    "Caller",
    "Claim",
    "ProvenTokens",
    "caller_for",
    "create_api_token",
    "list_api_tokens",
    "revoke_api_token",
]
