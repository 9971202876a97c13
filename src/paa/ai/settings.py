"""The assistant's settings (model, background model, tone, budgets) for the acting user.

They are settings like any other (`paa config set ai.model ...`, `PAA_AI_MODEL`, `[ai]` in config.toml), of user
scope: a value the person stored (`paa config set`, `/model`, the `set_preference` tool) wins over config.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paa.core.context import Context

FIELDS = ("ai_model", "ai_background_model", "assistant_tone", "ai_context_tokens", "ai_history_tokens",
          "ai_max_tokens", "ai_timeout")  # fmt: skip


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


def setting(ctx: Context, field: str) -> Any:
    """One assistant setting: environment > stored for this user > config.toml > default."""
    from paa.core.accounts.users import resolve_preference, stored_preferences

    if field not in FIELDS:
        raise KeyError(field)
    return resolve_preference(field, ctx.loaded, stored_preferences(ctx.session, ctx.user_id))[0]


def store_setting(ctx: Context, field: str, value: Any) -> None:
    """Keep a per-user assistant setting, validated, within the caller's write transaction."""
    from paa.core.configuration import set_user_setting

    if field not in FIELDS:
        raise KeyError(field)
    set_user_setting(ctx, field, value)
    ctx.session.flush()


def load(ctx: Context) -> AiSettings:
    """All of them at once (one read of the stored ones)."""
    from paa.core.accounts.users import resolve_preference, stored_preferences

    stored = stored_preferences(ctx.session, ctx.user_id)

    def value(field: str) -> Any:
        return resolve_preference(field, ctx.loaded, stored)[0]

    return AiSettings(
        model=str(value("ai_model")),
        background_model=str(value("ai_background_model")),
        tone=str(value("assistant_tone")),
        context_tokens=int(value("ai_context_tokens")),
        history_tokens=int(value("ai_history_tokens")),
        max_tokens=int(value("ai_max_tokens")),
        timeout=float(value("ai_timeout")),
        display_name=ctx.user.display_name,
    )
