"""Reading and changing settings: install-wide ones live in config.toml, personal ones per user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from paa.config import (
    KEYS,
    SCOPES,
    LoadedSettings,
    Paths,
    Scope,
    Source,
    env_name,
    field_for_key,
    is_secret,
    setting_docs,
    validate_value,
    write_config_value,
)
from paa.core.accounts.auth import AuthContext, require_install_admin
from paa.core.accounts.users import resolve_preference, set_preference, stored_preferences
from paa.core.context import Context
from paa.db.models import UserPreference
from paa.errors import ConfigError, InvalidInput, PaaError
from paa.redact import mask_secret

if TYPE_CHECKING:
    from paa.core.reminders.channels import ChannelProblem


@dataclass(frozen=True)
class SettingView:
    key: str
    value: Any  # a secret's is masked unless it was asked for (see `settings_view`)
    source: Source
    scope: Scope
    description: str
    secret: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "source": self.source,
            "scope": self.scope,
            "description": self.description,
        }


def describe(field: str) -> str:
    return setting_docs().get(field, "")


def settings_view(
    loaded: LoadedSettings, stored: dict[str, Any] | None = None, *, reveal: bool = False
) -> list[SettingView]:
    """Every setting with its effective value and where it came from; secrets masked unless `reveal`."""
    views = []
    for key, field in KEYS.items():
        scope = SCOPES[field]
        if scope == "user" and stored is not None:
            value, source = resolve_preference(field, loaded, stored)
        else:
            value, source = getattr(loaded.settings, field), loaded.sources[field]
        secret = is_secret(field)
        if secret and value is not None and not reveal:
            value = mask_secret(str(value))
        views.append(SettingView(key, value, source, scope, describe(field), secret))
    return views


def current_settings(ctx: Context, *, reveal: bool = False) -> list[SettingView]:
    return settings_view(ctx.loaded, stored_preferences(ctx.session, ctx.user_id), reveal=reveal)


def may_read_secrets(actx: AuthContext) -> bool:
    """Whether the acting person may read install-wide secrets: an admin, or anyone on an install without accounts
    (whoever uses it can read config.toml anyway)."""
    try:
        require_install_admin(actx)
    except PaaError:
        return False
    return True


def set_install_setting(paths: Paths, field: str, raw: Any) -> Any:
    """Validate and store an install-wide setting in config.toml; return the stored value."""
    value = validate_value(field, raw)
    write_config_value(paths, field, value)
    return value


def set_user_setting(ctx: Context, field: str, raw: Any) -> Any:
    value = validate_value(field, raw)
    set_preference(ctx.session, ctx.user_id, field, value, ctx.clock)
    return value


def user_setting(key: str, raw: Any) -> tuple[str, Any]:
    """The per-user setting `key` names (`checkin.time` or `checkin_time`) and `raw` checked for it (None: unset).

    Install-wide settings are not a person's to change here: they are the install's (`paa config set` by an admin).
    Errors name `key` as their field, for a form or an API body.
    """
    try:
        field = field_for_key(key)
        if SCOPES[field] != "user":
            raise InvalidInput(
                f"{key} is an install-wide setting, not a personal preference",
                hint="an admin changes it with `paa config set` where paa is installed",
                field=key,
            )
        return field, None if raw is None else validate_value(field, raw)
    except ConfigError as exc:
        raise InvalidInput(exc.message, hint=exc.hint, field=key) from None


def user_settings(views: list[SettingView]) -> list[SettingView]:
    """The personal preferences among `views` (what each user sets for themselves)."""
    return [view for view in views if view.scope == "user"]


def unset_user_setting(ctx: Context, field: str) -> None:
    row = ctx.session.exec(
        select(UserPreference).where(UserPreference.user_id == ctx.user_id, UserPreference.key == field)
    ).first()
    if row is not None:
        ctx.session.delete(row)


def channel_warnings(loaded: LoadedSettings, field: str) -> list[ChannelProblem]:
    """After `field` changed: the chosen notification channels left without a setting they need (none for others)."""
    from paa.core.reminders.channels import CHANNEL_SETTINGS, channel_problems

    return channel_problems(loaded.settings) if field in CHANNEL_SETTINGS else []


def overriding_env(loaded: LoadedSettings, field: str) -> str | None:
    """Name of the environment variable that overrides this setting right now, if any."""
    return env_name(field) if field in loaded.env_values else None


__all__ = [
    "SettingView",
    "channel_warnings",
    "current_settings",
    "field_for_key",
    "may_read_secrets",
    "overriding_env",
    "set_install_setting",
    "set_user_setting",
    "settings_view",
    "unset_user_setting",
    "user_setting",
    "user_settings",
]
