"""Reading and changing settings: install-wide ones live in config.toml, personal ones per user."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from paa.config import (
    IN_SECRET_STORE,
    KEYS,
    SCOPES,
    LoadedSettings,
    Paths,
    Scope,
    Source,
    env_name,
    field_for_key,
    is_secret,
    read_config_file,
    setting_docs,
    validate_value,
    write_config_value,
)
from paa.core.accounts.auth import AuthContext, require_install_admin
from paa.core.accounts.users import resolve_preference, set_preference, stored_preferences
from paa.core.context import Context
from paa.db.models import UserPreference
from paa.errors import ConfigError, InvalidInput, PaaError
from paa.redact import HIDDEN, mask_secret

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
    loaded: LoadedSettings,
    stored: dict[str, Any] | None = None,
    *,
    reveal: bool = False,
    kept: Collection[str] = (),
) -> list[SettingView]:
    """Every setting with its effective value and where it came from; secrets masked unless `reveal`.

    `kept` names the fields the secret store holds (`kept_secrets`); those are never shown, revealed or not.
    """
    views = []
    for key, field in KEYS.items():
        scope = SCOPES[field]
        if scope == "user" and stored is not None:
            value, source = resolve_preference(field, loaded, stored)
        else:
            value, source = getattr(loaded.settings, field), loaded.sources[field]
        secret = is_secret(field)
        if field in IN_SECRET_STORE:  # write-only: whether it is set, and where from
            if field in kept and source != "env":
                value, source = HIDDEN, "stored"
            elif value is not None:
                value = HIDDEN
        elif secret and value is not None and not reveal:
            value = mask_secret(str(value))
        views.append(SettingView(key, value, source, scope, describe(field), secret))
    return views


def current_settings(ctx: Context, *, reveal: bool = False, kept: Collection[str] = ()) -> list[SettingView]:
    return settings_view(ctx.loaded, stored_preferences(ctx.session, ctx.user_id), reveal=reveal, kept=kept)


def kept_secrets(paths: Paths, environ: Mapping[str, str]) -> set[str]:
    """The secret settings (`smtp.password`) the secret store holds a value for; never the values."""
    from paa.core.accounts.secrets import stored_secret

    return {field for field, name in IN_SECRET_STORE.items() if stored_secret(paths, name, environ) is not None}


def may_read_secrets(actx: AuthContext) -> bool:
    """Whether the acting person may read install-wide secrets: an admin, or anyone on an install without accounts
    (whoever uses it can read config.toml anyway)."""
    try:
        require_install_admin(actx)
    except PaaError:
        return False
    return True


def set_install_setting(paths: Paths, field: str, raw: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Validate and store an install-wide setting in config.toml (a secret-store one in the keyring, else
    secrets.json: `environ` then says whether a keyring may be used); return the stored value."""
    value = validate_value(field, raw)
    if field in IN_SECRET_STORE:
        from paa.core.accounts.secrets import set_secret

        set_secret(paths, IN_SECRET_STORE[field], value, environ or {})
        _drop_from_config(paths, field)  # a copy written there by hand would linger in plain text
        return value
    write_config_value(paths, field, value)
    return value


def _drop_from_config(paths: Paths, field: str) -> None:
    if field in read_config_file(paths.config_file):
        write_config_value(paths, field, None)


def unset_install_setting(paths: Paths, field: str, environ: Mapping[str, str] | None = None) -> None:
    """Remove an install-wide setting from config.toml, and a secret-store one from the store too."""
    if field in IN_SECRET_STORE:
        from paa.core.accounts.secrets import delete_secret

        delete_secret(paths, IN_SECRET_STORE[field], environ or {})
        _drop_from_config(paths, field)
        return
    write_config_value(paths, field, None)


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
    "kept_secrets",
    "may_read_secrets",
    "overriding_env",
    "set_install_setting",
    "set_user_setting",
    "settings_view",
    "unset_install_setting",
    "unset_user_setting",
    "user_setting",
    "user_settings",
]
