"""The local user and their stored preferences."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from paa.clock import Clock
from paa.config import SCOPES, LoadedSettings, Settings, Source, validate_value
from paa.core.context import Preferences
from paa.db.engine import writer
from paa.db.models import User, UserPreference

LOCAL_USERNAME = "local"
USER_KEYS = tuple(field for field, scope in SCOPES.items() if scope == "user")


def detect_timezone() -> str:
    """The system's IANA zone name, or UTC when it cannot be told."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:  # tzlocal raises several kinds on odd systems; UTC is a safe answer
        return "UTC"
    try:
        return validate_value("timezone", name) if name else "UTC"
    except Exception:
        return "UTC"


def ensure_local_user(engine: Engine, loaded: LoadedSettings, clock: Clock) -> User:
    """Return the local user, creating it with its preferences on first use."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == LOCAL_USERNAME)).first()
        if user is not None:
            return user
    with Session(writer(engine), expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == LOCAL_USERNAME)).first()
        if user is not None:  # created by another process while we waited for the lock
            return user
        now = clock.now()
        user = User(username=LOCAL_USERNAME, role="admin", created_at=now)
        session.add(user)
        session.flush()
        assert user.id is not None
        for field, value in initial_preferences(loaded).items():
            session.add(UserPreference(user_id=user.id, key=field, value=json.dumps(value), updated_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return session.exec(select(User).where(User.username == LOCAL_USERNAME)).one()
        return user


def initial_preferences(loaded: LoadedSettings) -> dict[str, Any]:
    """A new user's preferences: config.toml values where given, the detected zone, else defaults."""
    defaults = Settings()
    values: dict[str, Any] = {}
    for field in USER_KEYS:
        if field in loaded.file_values:
            values[field] = loaded.file_values[field]
        elif field == "timezone":
            values[field] = detect_timezone()
        else:
            values[field] = getattr(defaults, field)
    return values


def stored_preferences(session: Session, user_id: int) -> dict[str, Any]:
    rows = session.exec(select(UserPreference).where(UserPreference.user_id == user_id)).all()
    stored: dict[str, Any] = {}
    for row in rows:
        try:
            stored[row.key] = validate_value(row.key, json.loads(row.value))
        except Exception:  # a damaged row falls back to the default rather than breaking paa
            continue
    return stored


def resolve_preference(field: str, loaded: LoadedSettings, stored: dict[str, Any]) -> tuple[Any, Source]:
    """One user preference with where it came from: env > stored > config.toml > default."""
    if field in loaded.env_values:
        return loaded.env_values[field], "env"
    if field in stored:
        return stored[field], "stored"
    if field in loaded.file_values:
        return loaded.file_values[field], "file"
    if field == "timezone":
        return detect_timezone(), "detected"
    return getattr(Settings(), field), "default"


def effective_preferences(session: Session, user: User, loaded: LoadedSettings) -> Preferences:
    assert user.id is not None
    stored = stored_preferences(session, user.id)
    values = {field: resolve_preference(field, loaded, stored)[0] for field in USER_KEYS}
    return Preferences(**values)


def set_preference(session: Session, user_id: int, field: str, value: Any, clock: Clock) -> None:
    """Store one preference for a user (already validated)."""
    row = session.exec(
        select(UserPreference).where(UserPreference.user_id == user_id, UserPreference.key == field)
    ).first()
    if row is None:
        row = UserPreference(user_id=user_id, key=field, value="null", updated_at=clock.now())
    row.value = json.dumps(value)
    row.updated_at = clock.now()
    session.add(row)
