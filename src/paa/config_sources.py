"""Where settings come from, read raw: paa's folders, the PAA_* environment and config.toml.

`paa.config` validates these into its settings model; this module imports neither pydantic nor anything else
heavy, so the TUI can read its theme before its first paint.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paa.errors import ConfigError

APP_NAME = "paa"
DEFAULT_THEME = "textual-dark"  # the TUI's, until the person picks another


@dataclass(frozen=True)
class Paths:
    """The folders and files paa reads and writes."""

    data_dir: Path
    config_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "paa.db"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"


def resolve_paths(environ: Mapping[str, str]) -> Paths:
    """Return paa's paths: all under `PAA_HOME` when `environ` sets it, else the platform's folders."""
    home = environ.get("PAA_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(root, root, root / "cache", root / "logs")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return Paths(
        Path(dirs.user_data_dir),
        Path(dirs.user_config_dir),
        Path(dirs.user_cache_dir),
        Path(dirs.user_log_dir),
    )


def env_name(field: str) -> str:
    return "PAA_" + field.upper()


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A TOML document's values by dotted key (`[checkin] time = ...` -> `checkin.time`)."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def read_toml(path: Path) -> dict[str, Any]:
    """config.toml as a table ({} when there is none); ConfigError when it is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix or remove the file") from None


def raw_setting(key: str, field: str, environ: Mapping[str, str]) -> Any | None:
    """One setting as given (environment, then config.toml), unvalidated; None when neither sets it."""
    value = environ.get(env_name(field), "")
    if value != "":
        return value
    try:
        table = flatten(read_toml(resolve_paths(environ).config_file))
    except (ConfigError, OSError):
        return None  # `paa config` and `paa doctor` say what is wrong with the file
    found = [stored for dotted, stored in table.items() if names_setting(dotted, key, field)]
    return found[-1] if found else None


# The variables that may hold a secret, each of which may instead name a file holding it: `PAA_DB_URL_FILE=/run/
# secrets/db_url` reads the URL from that file, as container platforms hand over secrets (compose `secrets:`, a
# Kubernetes Secret mounted as files), so no secret sits in the environment a `docker inspect` or `ps e` shows.
SECRET_VARIABLES = (
    "PAA_DATABASE_URL",
    "PAA_DB_URL",
    "PAA_REDIS_URL",
    "PAA_MEMORY_CHROMA_TOKEN",
    "PAA_NTFY_URL",
    "PAA_NTFY_TOKEN",
    "PAA_WEBHOOK_URL",
    "PAA_SMTP_PASSWORD",
    "PAA_OAUTH_GOOGLE_CLIENT_SECRET",
    "ANTHROPIC_API_KEY",
)
FILE_SUFFIX = "_FILE"
SECRET_FILE_MAX_BYTES = 64 * 1024  # a URL or a key; anything larger is the wrong file


def read_secret_files(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with each secret variable taken from the file its `*_FILE` variable names.

    The `*_FILE` variable is dropped once read, so reading the result again changes nothing. A file's trailing line
    break is not part of the value (`echo secret > file` is how people write one). Setting both a variable and its
    `*_FILE`, or naming a file that cannot be read or is empty, is a ConfigError naming the variable.
    """
    values = dict(environ)
    for name in SECRET_VARIABLES:
        file_variable = name + FILE_SUFFIX
        location = values.pop(file_variable, "")
        if location == "":
            continue
        if values.get(name, "") != "":
            raise ConfigError(f"{name} and {file_variable} are both set", hint="set one of them", field=file_variable)
        values[name] = _secret_from_file(file_variable, Path(location).expanduser())
    return values


def _secret_from_file(variable: str, path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(SECRET_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror or exc}", field=variable) from None
    if len(raw) > SECRET_FILE_MAX_BYTES:
        raise ConfigError(f"{variable}: {path} is larger than a secret ({SECRET_FILE_MAX_BYTES} bytes)", field=variable)
    try:
        value = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ConfigError(f"{variable}: {path} is not UTF-8 text", field=variable) from None
    if value.strip() == "":
        raise ConfigError(f"{variable}: {path} is empty", hint="write the secret into it", field=variable)
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{variable}: {path} holds more than one line", hint="one secret on one line", field=variable)
    return value


def names_setting(typed: str, key: str, field: str) -> bool:
    """Whether a key as a person typed it names this setting: `checkin.time`, `checkin_time`, `Checkin-Time`."""
    return typed.strip().lower().replace("-", "_") in (key, field, key.replace(".", "_"))
