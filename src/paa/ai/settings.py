"""The assistant's settings: model, background model, tone, budgets.

They are read through the settings model when it has the field, else from the user's stored preferences, else a
default here, so the assistant works before `config.py` learns these keys (see docs/chat.md, "Settings").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from paa.config import SCOPES
from paa.core.context import Context
from paa.db.models import UserPreference

DEFAULTS: dict[str, Any] = {
    "ai_model": "claude-sonnet-5-5",
    "ai_background_model": "claude-haiku-5-5",
    "assistant_tone": "warm, direct and brief",
    "ai_context_tokens": 3000,
    "ai_history_tokens": 12000,
    "ai_max_tokens": 2048,
    "ai_timeout": 60.0,
}
TONE_MAX = 200
MODEL_MAX = 100


@dataclass(frozen=True)
class AiSettings:
    model: str
    background_model: str
    tone: str
    context_tokens: int
    history_tokens: int
    max_tokens: int
    timeout: float
    display_name: str | None


def _stored(ctx: Context, field: str) -> Any:
    row = ctx.session.exec(
        select(UserPreference).where(UserPreference.user_id == ctx.user_id, UserPreference.key == field)
    ).first()
    if row is None:
        return None
    try:
        return json.loads(row.value)
    except ValueError:
        return None


def setting(ctx: Context, field: str) -> Any:
    """One assistant setting: the settings model when it knows the field, else the stored preference, else default."""
    settings = ctx.loaded.settings
    if field in type(settings).model_fields:
        if SCOPES.get(field) == "user":
            from paa.core.users import resolve_preference, stored_preferences

            return resolve_preference(field, ctx.loaded, stored_preferences(ctx.session, ctx.user_id))[0]
        return getattr(settings, field)
    value = _stored(ctx, field)
    default = DEFAULTS[field]
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if value is None or not isinstance(value, type(default)):
        return default
    return value


def store_setting(ctx: Context, field: str, value: Any) -> None:
    """Keep a per-user assistant setting (within the caller's write transaction)."""
    if field in type(ctx.loaded.settings).model_fields and SCOPES.get(field) == "user":
        from paa.core.configuration import set_user_setting

        set_user_setting(ctx, field, value)
        return
    row = ctx.session.exec(
        select(UserPreference).where(UserPreference.user_id == ctx.user_id, UserPreference.key == field)
    ).first()
    if row is None:
        row = UserPreference(user_id=ctx.user_id, key=field, value="null", updated_at=ctx.now())
    row.value = json.dumps(value)
    row.updated_at = ctx.now()
    ctx.session.add(row)
    ctx.session.flush()


def load(ctx: Context) -> AiSettings:
    return AiSettings(
        model=str(setting(ctx, "ai_model")),
        background_model=str(setting(ctx, "ai_background_model")),
        tone=str(setting(ctx, "assistant_tone")),
        context_tokens=int(setting(ctx, "ai_context_tokens")),
        history_tokens=int(setting(ctx, "ai_history_tokens")),
        max_tokens=int(setting(ctx, "ai_max_tokens")),
        timeout=float(setting(ctx, "ai_timeout")),
        display_name=ctx.user.display_name,
    )
