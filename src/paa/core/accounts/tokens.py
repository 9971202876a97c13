"""Tokens for the API server: short JWT access tokens and rotating refresh tokens, issued and checked in core.

- Access tokens are JWTs signed with HS256 (the only algorithm accepted: `alg: none` or any other is refused
  before the signature is looked at). `iss`, `aud`, `sub`, `iat`, `exp`, `jti` and `sid` are required; `iss`
  and `aud` are checked by PyJWT; `iat` and `exp` must be JSON numbers (not strings, not booleans) and are
  checked against the real clock (`AuthContext.secure_now`; PAA_NOW never moves it; a test may fix it).
- Signing keys live in the `signing_keys` table, named by the `kid` header. `rotate_signing_key` makes a new one;
  the old one still verifies for a grace period (`valid_until`), then tokens signed with it are refused.
- Refresh tokens are random, stored as their SHA-256 with a `family` per login. Each use spends the token and
  gives a new one in the same family; presenting a spent token again means it was stolen or replayed, so the
  whole family is revoked, and the access tokens of that login stop working too (their `sid` is the family).
  That revocation is committed before the refusal is raised, so it holds although the request fails.

PyJWT is imported only here, inside the functions that sign or verify.
"""

from __future__ import annotations

import base64
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from paa.core.accounts.users import token_digest
from paa.db.models import SigningKey, User, UserAuth
from paa.errors import AuthError

ISSUER = "paa"
AUDIENCE = "paa-api"
ALGORITHMS = ("HS256",)
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
DEFAULT_GRACE = timedelta(minutes=15)
REFRESH_PREFIX = "paa_r_"
REFRESH_KIND = "refresh"
LEEWAY = timedelta(seconds=30)  # clock skew allowed between a server's replicas
REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti", "sid")


@dataclass(frozen=True)
class Claims:
    """What a valid access token says."""

    user_id: int
    role: str
    session_family: str
    issued_at: datetime
    expires_at: datetime
    token_id: str
    # The user row as the check read it: the session's identity map holds rows weakly, so asking for it again
    # after this returns would read it again (a query on every request of the API).
    user: User = field(compare=False, repr=False)
    key_id: str = ""  # the signing key's `kid`: a cached proof checks the key is still there and in its grace


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh gives an API client; both tokens are secrets and are never logged."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


# ---- signing keys ------------------------------------------------------------------------------------------


def _new_key(session: Session, now: datetime) -> SigningKey:
    material = base64.urlsafe_b64encode(secrets.token_bytes(64)).decode("ascii").rstrip("=")
    key = SigningKey(kid=secrets.token_hex(8), algorithm=ALGORITHMS[0], secret=material, created_at=now)
    session.add(key)
    session.flush()
    return key


def _key_bytes(key: SigningKey) -> bytes:
    return base64.urlsafe_b64decode(key.secret + "=" * (-len(key.secret) % 4))


def current_signing_key(session: Session, now: datetime) -> SigningKey:
    """The key new tokens are signed with; made on first use."""
    key = session.exec(
        select(SigningKey).where(col(SigningKey.retired_at).is_(None)).order_by(col(SigningKey.id).desc())
    ).first()
    return key if key is not None else _new_key(session, now)


def rotate_signing_key(session: Session, now: datetime, *, grace: timedelta = DEFAULT_GRACE) -> SigningKey:
    """Retire the current key (it verifies for `grace` more), drop keys past their grace, and make a new one."""
    for old in session.exec(select(SigningKey).where(col(SigningKey.retired_at).is_(None))).all():
        old.retired_at = now
        old.valid_until = now + grace
        session.add(old)
    for expired in session.exec(select(SigningKey).where(col(SigningKey.valid_until) <= now)).all():
        session.delete(expired)
    session.flush()
    return _new_key(session, now)


# ---- access tokens -----------------------------------------------------------------------------------------


def issue_access_token(session: Session, user: User, family: str, now: datetime) -> str:
    """A signed access token for a user, tied to the login (`sid`) it came from."""
    import jwt

    key = current_signing_key(session, now)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user.id),
        "role": user.role,
        "sid": family,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TTL).timestamp()),
        "jti": secrets.token_hex(12),
    }
    return str(jwt.encode(claims, _key_bytes(key), algorithm=key.algorithm, headers={"kid": key.kid}))


def _refuse(reason: str) -> AuthError:
    return AuthError(f"the access token is not valid: {reason}", hint="log in again or refresh the token")


def verify_access_token(session: Session, token: str, now: datetime) -> Claims:
    """Check an access token completely, or raise AuthError saying why it is refused (never echoing it)."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _refuse("it cannot be read") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _refuse(f"the algorithm {str(algorithm)[:20]!r} is not accepted")
    kid = header.get("kid")
    key = session.exec(select(SigningKey).where(SigningKey.kid == str(kid))).first() if isinstance(kid, str) else None
    if key is None:
        raise _refuse("it was signed with an unknown key")
    if key.valid_until is not None and key.valid_until <= now:
        raise _refuse("it was signed with a retired key")
    try:
        claims = jwt.decode(
            token,
            _key_bytes(key),
            algorithms=list(ALGORITHMS),
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidAudienceError:
        raise _refuse("it is meant for another audience") from None
    except jwt.InvalidIssuerError:
        raise _refuse("it comes from another issuer") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _refuse(f"the {exc.claim} claim is missing") from None
    except jwt.InvalidSignatureError:
        raise _refuse("its signature does not match") from None
    except jwt.PyJWTError:
        raise _refuse("it is malformed") from None
    if not (_numeric_date(claims["iat"]) and _numeric_date(claims["exp"])):
        raise _refuse("a time claim is not a number")
    if not (isinstance(claims["sub"], str) and claims["sub"].isascii() and claims["sub"].isdigit()):
        raise _refuse("a claim has the wrong type")  # paa writes `sub` as a user id in a string
    try:
        issued = datetime.fromtimestamp(claims["iat"], tz=now.tzinfo)
        expires = datetime.fromtimestamp(claims["exp"], tz=now.tzinfo)
        user_id = int(claims["sub"])
    except (TypeError, ValueError, OverflowError, OSError):
        raise _refuse("a claim has the wrong type") from None
    if expires <= now - LEEWAY:
        raise _refuse("it has expired")
    if issued > now + LEEWAY:
        raise _refuse("it was issued in the future")
    family = str(claims["sid"])
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise _refuse("its user is unknown or disabled")
    if not _family_alive(session, family, user_id):
        raise _refuse("its login was revoked")
    return Claims(user_id, user.role, family, issued, expires, str(claims["jti"]), user, key.kid)


def _numeric_date(value: object) -> bool:
    """Whether a time claim is a JSON number (RFC 7519's NumericDate): `int("9999999999")` and `int(True)` pass too."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _family_alive(session: Session, family: str, user_id: int) -> bool:
    return (
        session.exec(
            select(UserAuth.id).where(
                UserAuth.family == family,
                UserAuth.user_id == user_id,
                UserAuth.kind == REFRESH_KIND,
                col(UserAuth.revoked_at).is_(None),
            )
        ).first()
        is not None
    )


# ---- refresh tokens ----------------------------------------------------------------------------------------


def _new_refresh(session: Session, user_id: int, family: str, now: datetime, label: str | None) -> str:
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    row = UserAuth(user_id=user_id, kind=REFRESH_KIND, secret_hash=token_digest(token), family=family, label=label,
                   created_at=now, expires_at=now + REFRESH_TTL)  # fmt: skip
    session.add(row)
    return token


def issue_tokens(session: Session, user: User, now: datetime, *, label: str | None = "api") -> TokenPair:
    """A new login for an API client (after its password or OAuth was checked): a new refresh family."""
    assert user.id is not None
    family = secrets.token_hex(16)
    refresh = _new_refresh(session, user.id, family, now, label)
    session.flush()
    access = issue_access_token(session, user, family, now)
    return TokenPair(access, refresh, int(ACCESS_TTL.total_seconds()))


def revoke_family(session: Session, family: str, now: datetime) -> int:
    """Revoke every refresh token of one login; its access tokens are refused from then on."""
    result = session.execute(
        update(UserAuth)
        .where(col(UserAuth.family) == family, col(UserAuth.kind) == REFRESH_KIND, col(UserAuth.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_refresh_login(session: Session, refresh_token: str, now: datetime) -> int:
    """End the login a refresh token belongs to, spent or not (a browser's logout holds only that token, in a cookie):
    its whole family is revoked, so its access tokens stop working too. An unknown token ends nothing (0)."""
    rows = session.exec(select(UserAuth).where(UserAuth.secret_hash == token_digest(refresh_token))).all()
    row = next((found for found in rows if found.kind == REFRESH_KIND and found.family), None)
    return 0 if row is None or row.family is None else revoke_family(session, row.family, now)


def refresh_tokens(session: Session, refresh_token: str, now: datetime) -> TokenPair:
    """Spend a refresh token for a new pair. A spent token presented again revokes its whole family.

    The revocation is committed here before AuthError is raised: the caller's transaction ends with the error, and
    a rolled-back revocation would leave the thief's tokens working.
    """
    rows = session.exec(select(UserAuth).where(UserAuth.secret_hash == token_digest(refresh_token))).all()
    row = next((found for found in rows if found.kind == REFRESH_KIND), None)
    if row is None or row.family is None:
        raise AuthError("the refresh token is not valid", hint="log in again")
    if row.revoked_at is not None:
        revoke_family(session, row.family, now)
        session.commit()
        raise AuthError(
            "this refresh token was already used: every token of that login is now revoked",
            hint="log in again; if you did not reuse it, someone else may have it",
        )
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthError("the refresh token has expired", hint="log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AuthError("the account is disabled", hint="ask an admin to enable it")
    row.revoked_at = now
    row.last_used_at = now
    session.add(row)
    refresh = _new_refresh(session, row.user_id, row.family, now, row.label)
    session.flush()
    access = issue_access_token(session, user, row.family, now)
    return TokenPair(access, refresh, int(ACCESS_TTL.total_seconds()))
