"""Where paa keeps its files, and its settings: environment > config.toml > default."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from paa.config_sources import APP_NAME as APP_NAME  # re-exported: callers take paths from here
from paa.config_sources import DEFAULT_THEME, flatten, names_setting, read_toml
from paa.config_sources import Paths as Paths
from paa.config_sources import env_name as env_name
from paa.config_sources import resolve_paths as resolve_paths
from paa.errors import ConfigError
from paa.timeofday import hhmm

Scope = Literal["install", "user"]
Source = Literal["env", "file", "stored", "default", "detected"]


def _quoted(value: Any, limit: int = 40) -> str:
    """repr() of a user value, cut short so a huge input gives a short message."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


CHANNELS = ("desktop", "ntfy", "webhook", "email", "log", "app")


def parse_channels(value: str) -> str:
    """Normalise a comma list of notification channels ("Desktop, ntfy" -> "desktop,ntfy")."""
    names = [part.strip().lower() for part in value.replace(" ", ",").split(",") if part.strip()]
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel {unknown[0]!r}; choose from {', '.join(CHANNELS)}")
    if not names:
        raise ValueError(f"name at least one channel: {', '.join(CHANNELS)}")
    return ",".join(dict.fromkeys(names))


MODEL_MAX = 100
TONE_MAX = 200


def parse_model(value: str) -> str:
    """A model's name as the API spells it: no spaces, at most MODEL_MAX characters."""
    name = value.strip()
    if not name or len(name) > MODEL_MAX or any(char.isspace() or not char.isprintable() for char in name):
        raise ValueError("must be a model's name, e.g. claude-sonnet-5-5")
    return name


def parse_theme(value: str) -> str:
    """A theme's name as Textual spells them (lower case, digits, hyphens); the TUI checks that it exists."""
    name = value.strip().lower()
    if not name or not all(char.isascii() and (char.isalnum() or char == "-") for char in name):
        raise ValueError("must be a theme's name, e.g. textual-dark, textual-light or nord")
    return name


def parse_origins(value: Any) -> Any:
    """Normalise web origins, a comma list or a TOML list ("https://a.example, http://localhost:8080")."""
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value)
    if not isinstance(value, str):
        return value
    origins = []
    for part in value.replace(" ", ",").split(","):
        origin = part.strip().rstrip("/").lower()
        if not origin:
            continue
        scheme, sep, host = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not host or any(char in host for char in "/?#@*"):
            raise ValueError("each origin must be scheme://host[:port], e.g. https://paa.example.org")
        origins.append(origin)
    return ",".join(dict.fromkeys(origins))


def secret(default: Any = None) -> Any:
    """A field holding a secret (a token, a password, a URL with credentials): never echoed, shown masked unless an
    admin asks (`is_secret`)."""
    return Field(default=default, json_schema_extra={"secret": True})


# Secret settings kept in the secret store (paa.core.accounts.secrets) rather than config.toml, under these names:
# they are write-only (never shown, not even to an admin) and never taken on the command line.
IN_SECRET_STORE: dict[str, str] = {"smtp_password": "smtp.password"}


def is_secret(field: str) -> bool:
    """Whether a Settings field was declared with `secret()`."""
    extra = Settings.model_fields[field].json_schema_extra
    return isinstance(extra, dict) and extra.get("secret") is True


class Settings(BaseModel):
    """Every setting paa knows; each field's docstring is its documentation."""

    # Field docstrings are read lazily by `setting_docs()`: pydantic's own attribute-docstring
    # support parses this source on every start, which costs more than the rest of the config.
    model_config = ConfigDict(extra="forbid")

    database_url: str | None = secret()
    """SQLAlchemy URL of the database; unset means the SQLite file in the data folder. PostgreSQL 15 or later:
    postgresql+psycopg://user:password@host/paa, with paa[postgres] installed (docs/scaling.md)."""

    color: Literal["auto", "always", "never"] = "auto"
    """Colour in human output: auto (only on a terminal, never with NO_COLOR), always or never."""

    timezone: str | None = None
    """Your IANA time zone, e.g. Europe/Berlin; detected from the system on first use."""

    day_start_hour: int = Field(default=0, ge=0, le=23)
    """Hour (0-23) at which your day begins: with 4, a log at 01:30 counts for the day before."""

    week_start: Literal["monday", "sunday"] = "monday"
    """First day of the week in calendars and weekly figures."""

    checkin_time: str = "21:00"
    """Local time (HH:MM) of the daily check-in prompt."""

    notify_channels: str = "desktop"
    """Where reminders go, a comma list of: desktop, ntfy, webhook, email, log, app (the clients of `paa serve`; on
    without naming it while a `paa serve` runs on this machine)."""

    ntfy_url: str | None = secret()
    """ntfy topic URL for the ntfy channel, e.g. https://ntfy.sh/my-topic; a token comes from PAA_NTFY_TOKEN."""

    webhook_url: str | None = secret()
    """URL the webhook channel POSTs each reminder to, as JSON."""

    smtp_host: str | None = None
    """SMTP server of the email channel."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """SMTP port (587 with STARTTLS, 465 for TLS from the start, 25 for neither)."""

    smtp_user: str | None = None
    """SMTP login name of the email channel; its password is smtp.password."""

    smtp_password: str | None = secret()
    """SMTP password: `paa config set smtp.password` keeps it in the OS keyring (else secrets.json, 0600), never in
    config.toml, and takes it from stdin or a hidden prompt only; it is never shown. PAA_SMTP_PASSWORD wins."""

    smtp_from: str | None = None
    """Sender address of reminder emails (default: smtp.user)."""

    smtp_to: str | None = None
    """Address reminder emails are sent to."""

    smtp_starttls: bool = True
    """Whether to upgrade the SMTP connection with STARTTLS (port 465 always uses TLS)."""

    reminder_grace_minutes: int = Field(default=60, ge=0, le=10080)
    """Minutes a reminder may still be sent late (after sleep or a stopped daemon); older ones are marked missed."""

    remind_when_done: bool = False
    """Send a habit's reminder even when the habit is already done that day."""

    ai_model: str = "claude-sonnet-5-5"
    """Claude model of the conversation; `/model NAME` in the chat changes it too."""

    ai_background_model: str = "claude-haiku-5-5"
    """Model of the background work: conversation summaries, check-in notes and insights."""

    assistant_tone: str = "warm, direct and brief"
    """How the assistant talks, in a few words (at most 200 characters)."""

    ai_context_tokens: int = Field(default=3000, ge=1, le=200_000)
    """Token budget of what paa tells the assistant each turn: habits, check-ins, memories."""

    ai_history_tokens: int = Field(default=12000, ge=1, le=1_000_000)
    """Token budget of the conversation's recent turns sent with each message; older ones are summarised."""

    ai_max_tokens: int = Field(default=2048, ge=1, le=128_000)
    """Longest reply, in tokens."""

    ai_timeout: float = Field(default=60.0, gt=0, le=3600)
    """Seconds to wait for the API before giving up."""

    backup_keep: int = Field(default=7, ge=0, le=10_000)
    """How many `paa backup` copies the backups folder keeps (the oldest go first); 0 keeps them all."""

    backup_daily: bool = True
    """Whether the reminder daemon (`paa daemon`) takes a backup when the newest is a day old."""

    queue_enabled: bool = False
    """Whether reminder delivery, embedding and the API's check-in reading run as jobs on the Redis of PAA_REDIS_URL,
    done by `paa worker` processes (docs/scaling.md#background-work); off, each process does them itself."""

    queue_heartbeat_seconds: int = Field(default=60, ge=1, le=3600)
    """How long a `paa worker` may go unheard before the jobs it had taken go back to the queue for another."""

    queue_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """How long to wait for Redis to connect or answer before a job is done in this process instead (the queue's
    depth at /metrics is left out); an unreachable Redis host never holds a request or a reminder longer."""

    memory_chroma_url: str | None = None
    """A Chroma server (e.g. http://chroma:8000) to keep memory vectors on, shared by every paa process that sets it
    (docs/scaling.md#vector-memory-on-chroma); unset, they stay in paa's own store."""

    memory_chroma_prefix: str = "paa"
    """The start of each user's Chroma collection name (`<prefix>-u<user id>`): give each paa database sharing one
    Chroma server its own."""

    memory_chroma_token: str | None = secret()
    """A token sent to the Chroma server as `Authorization: Bearer`, for a server or proxy that asks for one."""

    memory_chroma_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long to wait for the Chroma server to connect or answer before a search or an index write fails."""

    tui_theme: str = DEFAULT_THEME
    """Theme of the TUI, e.g. textual-dark, textual-light, nord, gruvbox; the TUI keeps your last choice here."""

    oauth_github_client_id: str | None = None
    """Client ID of the GitHub OAuth App (device flow enabled) that `paa auth login --github` signs in with."""

    oauth_google_client_id: str | None = None
    """Client ID of the Google OAuth client (TVs and Limited Input devices) of `paa auth login --google`."""

    oauth_google_client_secret: str | None = secret()
    """Secret of that Google client; Google asks for it, though for such clients it is not confidential."""

    server_cors_origins: str | None = None
    """Web origins whose pages may call `paa serve` from a browser, a comma list (e.g. https://paa.example.org);
    none by default."""

    server_rate_per_minute: int = Field(default=120, ge=1, le=1_000_000)
    """Requests per minute each API caller may make on average (per user; per address before logging in)."""

    server_rate_burst: int = Field(default=60, ge=1, le=1_000_000)
    """Requests an API caller may make at once before the per-minute rate applies."""

    server_max_body_bytes: int = Field(default=1_000_000, ge=1024, le=1_000_000_000)
    """Largest request body `paa serve` accepts, in bytes; a larger one is refused with 413."""

    warm_autostart: bool = True
    """Whether a command that finds no warm server (docs/performance.md#the-warm-path) starts one in the background;
    it runs without it itself. PAA_NO_SERVER=1 skips the warm server altogether."""

    warm_idle_seconds: int = Field(default=600, ge=10, le=7 * 24 * 3600)
    """Seconds without a command after which the warm server quits (`paa warm start --idle` overrides it)."""

    @field_validator("server_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        return parse_origins(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {_quoted(value)}; use an IANA name such as Europe/Berlin") from exc
        return value

    @field_validator("checkin_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        return hhmm(value)

    @field_validator("notify_channels")
    @classmethod
    def _known_channels(cls, value: str) -> str:
        return parse_channels(value)

    @field_validator("ai_model", "ai_background_model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        return parse_model(value)

    @field_validator("assistant_tone")
    @classmethod
    def _tone(cls, value: str) -> str:
        tone = " ".join(value.split())
        if not tone or len(tone) > TONE_MAX or not tone.isprintable():
            raise ValueError(f"must be a few words (1 to {TONE_MAX} printable characters)")
        return tone

    @field_validator("tui_theme")
    @classmethod
    def _theme_name(cls, value: str) -> str:
        return parse_theme(value)

    @field_validator("ntfy_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip().lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()

    @field_validator("memory_chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL of the Chroma server, e.g. http://chroma:8000")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number, or out of range
        except ValueError:
            raise ValueError("has a port that is not a number from 1 to 65535") from None
        if parts.username or parts.password:
            raise ValueError("must not hold a user or password: put a token in memory.chroma_token")
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise ValueError("must name the server only (no path, query or fragment), e.g. http://chroma:8000")
        return url.rstrip("/")

    @field_validator("memory_chroma_prefix")
    @classmethod
    def _chroma_prefix(cls, value: str) -> str:
        # `<prefix>-u<user id>` must be a valid Chroma collection name: 3-512 characters of [a-zA-Z0-9._-], starting
        # and ending with a letter or digit.
        prefix = value.strip()
        if not 1 <= len(prefix) <= 40:
            raise ValueError("must be 1 to 40 characters")
        if not all(c.isascii() and (c.isalnum() or c in "._-") for c in prefix):
            raise ValueError("may hold only letters, digits, '.', '_' and '-'")
        if not (prefix[0].isalnum() and prefix[-1].isalnum()):
            raise ValueError("must start and end with a letter or a digit")
        return prefix

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # The rule stored text follows (paa.terminal_text): an SMTP host or sender with ESC in it was kept and
        # printed raw by `config show`. Defined last, so a field's own check speaks first.
        if isinstance(value, str):
            from paa.terminal_text import hidden_positions

            for index in hidden_positions(value):
                raise ValueError(f"must not contain a control or invisible character (U+{ord(value[index]):04X})")
        return value


@cache
def setting_docs() -> dict[str, str]:
    """Each Settings field's docstring, read from this module's source."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(Settings))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            # one line: a docstring wrapped at the source's width is one sentence or two, shown as such
            docs[node.target.id] = " ".join(inspect.cleandoc(following.value.value).split())
    return docs


# Keys people type, mapped to Settings fields. User-scope keys are stored per user in the
# database; a value for them in config.toml is the default given to new users.
KEYS: dict[str, str] = {
    "database.url": "database_url",
    "color": "color",
    "timezone": "timezone",
    "day_start_hour": "day_start_hour",
    "week_start": "week_start",
    "checkin.time": "checkin_time",
    "notify.channels": "notify_channels",
    "ntfy.url": "ntfy_url",
    "webhook.url": "webhook_url",
    "smtp.host": "smtp_host",
    "smtp.port": "smtp_port",
    "smtp.user": "smtp_user",
    "smtp.password": "smtp_password",
    "smtp.from": "smtp_from",
    "smtp.to": "smtp_to",
    "smtp.starttls": "smtp_starttls",
    "reminders.grace_minutes": "reminder_grace_minutes",
    "reminders.when_done": "remind_when_done",
    "ai.model": "ai_model",
    "ai.background_model": "ai_background_model",
    "ai.tone": "assistant_tone",
    "ai.context_tokens": "ai_context_tokens",
    "ai.history_tokens": "ai_history_tokens",
    "ai.max_tokens": "ai_max_tokens",
    "ai.timeout": "ai_timeout",
    "backup.keep": "backup_keep",
    "backup.daily": "backup_daily",
    "queue.enabled": "queue_enabled",
    "queue.heartbeat_seconds": "queue_heartbeat_seconds",
    "queue.timeout_seconds": "queue_timeout_seconds",
    "memory.chroma_url": "memory_chroma_url",
    "memory.chroma_prefix": "memory_chroma_prefix",
    "memory.chroma_token": "memory_chroma_token",
    "memory.chroma_timeout_seconds": "memory_chroma_timeout_seconds",
    "tui.theme": "tui_theme",
    "oauth.github.client_id": "oauth_github_client_id",
    "oauth.google.client_id": "oauth_google_client_id",
    "oauth.google.client_secret": "oauth_google_client_secret",
    "server.cors_origins": "server_cors_origins",
    "server.rate_per_minute": "server_rate_per_minute",
    "server.rate_burst": "server_rate_burst",
    "server.max_body_bytes": "server_max_body_bytes",
    "warm.autostart": "warm_autostart",
    "warm.idle_seconds": "warm_idle_seconds",
}
SCOPES: dict[str, Scope] = {
    "database_url": "install",
    "color": "install",
    "timezone": "user",
    "day_start_hour": "user",
    "week_start": "user",
    "checkin_time": "user",
    "notify_channels": "install",
    "ntfy_url": "install",
    "webhook_url": "install",
    "smtp_host": "install",
    "smtp_port": "install",
    "smtp_user": "install",
    "smtp_password": "install",
    "smtp_from": "install",
    "smtp_to": "install",
    "smtp_starttls": "install",
    "reminder_grace_minutes": "install",
    "remind_when_done": "install",
    "ai_model": "user",
    "ai_background_model": "user",
    "assistant_tone": "user",
    "ai_context_tokens": "user",
    "ai_history_tokens": "user",
    "ai_max_tokens": "user",
    "ai_timeout": "user",
    "backup_keep": "install",
    "backup_daily": "install",
    "queue_enabled": "install",
    "queue_heartbeat_seconds": "install",
    "queue_timeout_seconds": "install",
    "memory_chroma_url": "install",
    "memory_chroma_prefix": "install",
    "memory_chroma_token": "install",
    "memory_chroma_timeout_seconds": "install",
    "tui_theme": "install",
    "oauth_github_client_id": "install",
    "oauth_google_client_id": "install",
    "oauth_google_client_secret": "install",
    "server_cors_origins": "install",
    "server_rate_per_minute": "install",
    "server_rate_burst": "install",
    "server_max_body_bytes": "install",
    "warm_autostart": "install",
    "warm_idle_seconds": "install",
}
ENV_ALIASES: dict[str, str] = {"database_url": "PAA_DB_URL", "assistant_tone": "PAA_AI_TONE"}
_FIELD_TO_KEY = {field: key for key, field in KEYS.items()}


def field_for_key(key: str) -> str:
    """Return the Settings field a user-typed key names; `checkin.time` and `checkin_time` both work."""
    for known, field in KEYS.items():
        if names_setting(key, known, field):
            return field
    raise ConfigError(f"unknown setting {_quoted(key)}", hint=f"known settings: {', '.join(KEYS)}")


def key_for_field(field: str) -> str:
    return _FIELD_TO_KEY[field]


def validate_value(field: str, raw: Any) -> Any:
    """Check one value for a field and return it in its stored form, or raise ConfigError naming the key."""
    try:
        checked = Settings.model_validate({field: raw})
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{key_for_field(field)}: {reason} (got {_quoted(raw)})") from None
    return getattr(checked, field)


def read_config_file(path: Path) -> dict[str, Any]:
    """Return the settings stored in config.toml as {field: value}; unknown keys are errors."""
    values: dict[str, Any] = {}
    for dotted, value in flatten(read_toml(path)).items():
        try:
            field = field_for_key(dotted)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None
        values[field] = validate_value(field, value)
    return values


@dataclass(frozen=True)
class LoadedSettings:
    """Settings with where each value came from."""

    settings: Settings
    sources: dict[str, Source]
    file_values: dict[str, Any]
    env_values: dict[str, Any]


def load_settings(paths: Paths, environ: Mapping[str, str]) -> LoadedSettings:
    """Merge defaults, config.toml and the PAA_* variables of `environ`, validating each value."""
    env = environ
    file_values = read_config_file(paths.config_file)
    env_values: dict[str, Any] = {}
    for field in KEYS.values():
        for name in (env_name(field), ENV_ALIASES.get(field)):
            if name and env.get(name, "") != "":
                try:
                    env_values[field] = validate_value(field, env[name])
                except ConfigError as exc:
                    raise ConfigError(f"environment variable {name}: {exc.message}") from None
                break
    merged = {**file_values, **env_values}
    sources: dict[str, Source] = {field: "default" for field in KEYS.values()}
    sources.update({field: "file" for field in file_values})
    sources.update({field: "env" for field in env_values})
    return LoadedSettings(Settings(**merged), sources, file_values, env_values)


def write_config_value(paths: Paths, field: str, value: Any | None) -> None:
    """Store (or with None, remove) one install-scope value in config.toml, atomically.

    The file is edited, not rewritten: comments, order and the other values stay as the person wrote them, and
    another spelling of the same key (`tui_theme` for `tui.theme`) is replaced rather than left to compete.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    path = paths.config_file
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix or remove the file") from None
    key = key_for_field(field)
    *tables, name = key.split(".")
    _drop_other_spellings(document, key, field, keep=(*tables, name))
    table: Any = document
    for part in tables:
        if part not in table:
            table[part] = tomlkit.table()
        table = table[part]
    if value is None:
        table.pop(name, None)
    else:
        table[name] = value
    from paa.files import make_private_folder, write_private_text

    make_private_folder(path.parent)  # it may hold webhook tokens and database.url: 0700, and the file 0600
    write_private_text(path, tomlkit.dumps(document))


def _drop_other_spellings(document: Any, key: str, field: str, keep: tuple[str, ...]) -> None:
    """Remove the entries, at the top or one table down, that name this setting under another spelling."""
    for outer in list(document.keys()):
        item = document[outer]
        if isinstance(item, dict):
            for inner in list(item.keys()):
                if (outer, inner) != keep and names_setting(f"{outer}.{inner}", key, field):
                    del item[inner]
        elif (outer,) != keep and names_setting(outer, key, field):
            del document[outer]
