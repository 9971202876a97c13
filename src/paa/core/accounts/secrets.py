"""API keys and other secrets: in the OS keyring when a usable one exists, else in a 0600 file in the data folder.

`PAA_KEYRING=off` (or `file`) forces the file; tests set it so they never touch a real keyring. A secret is
never returned by a listing and never printed: callers get where it is stored, not what it is.

Finding the OS keyring costs 100-200 ms (keyring reads every installed package's entry points), which `paa checkin`
would pay for nothing on every run when no key is kept there. So paa notes in keyring.json, in the data folder, which
secrets it put in (or found in) the keyring, and looking a secret up asks the keyring only for those. Without that
note (a data folder from before it) the keyring is asked once for every name and the note written; storing, removing
and listing (`paa auth key list`) always ask the keyring and bring the note up to date.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from paa.config import Paths, Settings
from paa.errors import InvalidInput, StorageError
from paa.files import write_private_json

SERVICE = "paa"
FILE_NAME = "secrets.json"
NOTE_NAME = "keyring.json"  # the names paa keeps in the OS keyring (no values)
KNOWN = ("anthropic",)  # API keys (`paa auth key`)
SETTINGS = ("smtp.password",)  # secret settings kept here rather than in config.toml (`paa config set`)
MAX_LENGTH = 4096
Where = Literal["env", "keyring", "file"]
ENV_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "smtp.password": "PAA_SMTP_PASSWORD"}


@dataclass(frozen=True)
class SecretInfo:
    """Where one named secret is kept; the value itself is never part of it."""

    name: str
    where: Where
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "where": self.where, "detail": self.detail}


def check_name(name: str) -> str:
    """The canonical secret name, or InvalidInput naming the known ones."""
    key = name.strip().lower()
    if key not in KNOWN:
        raise InvalidInput(f"unknown key name {name[:40]!r}", hint=f"known names: {', '.join(KNOWN)}")
    return key


def _stored_name(name: str) -> str:
    """An API key's canonical name, or a secret setting's (`smtp.password`) as is."""
    return name if name in SETTINGS else check_name(name)


def _check_value(key: str, value: str) -> str:
    if key in SETTINGS:  # a password: kept as typed (spaces too), but one line of printable text
        if not value:
            raise InvalidInput(f"{key} is empty", field=key)
        if len(value) > MAX_LENGTH or not value.isprintable():
            raise InvalidInput(f"{key} must be one line of printable text, at most {MAX_LENGTH} characters", field=key)
        return value
    text = value.strip()
    if not text:
        raise InvalidInput("the key is empty")
    if len(text) > MAX_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidInput("that does not look like an API key (spaces, control characters or far too long)")
    return text


def _spare_the_macos_probe() -> None:
    """keyring loads its macOS backend on every system, and that backend's helper module looks for the macOS
    frameworks with `ctypes.util.find_library`, which on Linux runs gcc and ldconfig: 150-350 ms of every command that
    looks for a keyring (`paa checkin` does, for the API key). Anywhere but macOS the backend refuses itself in its
    priority check whatever that module holds, so an empty stand-in is put in its place first."""
    if sys.platform == "darwin":
        return
    import types

    name = "keyring.backends.macOS.api"
    sys.modules.setdefault(name, types.ModuleType(name))


def keyring_off(environ: Mapping[str, str]) -> bool:
    """Whether PAA_KEYRING switches the keyring off (secrets then live in the file only)."""
    return environ.get("PAA_KEYRING", "").strip().lower() in ("off", "file", "0", "no", "false")


def keyring_backend(environ: Mapping[str, str]) -> Any | None:
    """The OS keyring, or None when it is switched off, not installed, or has no usable backend."""
    if keyring_off(environ):
        return None
    _spare_the_macos_probe()
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # not installed, or broken: the file will do
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    if type(backend).__name__ == "ChainerBackend" and not getattr(backend, "backends", None):
        return None
    return backend


# ---- the file ------------------------------------------------------------------------------------


def secrets_file(paths: Paths) -> Path:
    return paths.data_dir / FILE_NAME


def _read_file(paths: Paths) -> dict[str, str]:
    path = secrets_file(paths)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise StorageError(f"{path} is damaged", hint="remove it and store the key again") from None
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def _write_file(paths: Paths, data: dict[str, str]) -> None:
    """Write the file atomically; it is created 0600 and never exists with wider permissions."""
    path = secrets_file(paths)
    try:
        write_private_json(path, data, sort_keys=True)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror}") from None


# ---- the note of what is in the keyring ----------------------------------------------------------


def keyring_note(paths: Paths) -> Path:
    return paths.data_dir / NOTE_NAME


def _read_note(paths: Paths) -> set[str] | None:
    """The names noted as kept in the keyring, or None when there is no usable note (then the keyring is asked)."""
    try:
        data = json.loads(keyring_note(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    names = data.get("names") if isinstance(data, dict) else None
    if not isinstance(names, list):
        return None
    return {str(name) for name in names}


def _write_note(paths: Paths, names: set[str]) -> None:
    with suppress(OSError):  # only a cost: without the note the keyring is asked next time too
        write_private_json(keyring_note(paths), {"names": sorted(names)})


def _note(paths: Paths, key: str, kept: bool, environ: Mapping[str, str]) -> None:
    """Record whether `key` is now in the keyring (a missing note is first filled by asking for every name)."""
    names = _read_note(paths)
    if names is None:
        names = _survey(environ)
    changed = (key in names) != kept
    if kept:
        names.add(key)
    else:
        names.discard(key)
    if changed or not keyring_note(paths).exists():
        _write_note(paths, names)


def _survey(environ: Mapping[str, str]) -> set[str]:
    """Ask the keyring for every name it could hold; an inconclusive answer (it refused) counts as holding it."""
    backend = keyring_backend(environ)
    found: set[str] = set()
    if backend is None:
        return found
    for key in (*KNOWN, *SETTINGS):
        try:
            value = backend.get_password(SERVICE, key)
        except Exception:  # locked now: keep asking for this one until an answer comes
            found.add(key)
            continue
        if value:
            found.add(key)
    return found


def _may_be_in_keyring(paths: Paths, key: str, environ: Mapping[str, str]) -> bool:
    if keyring_off(environ):
        return False
    names = _read_note(paths)
    if names is None:
        names = _survey(environ)
        _write_note(paths, names)
    return key in names


# ---- the public calls ----------------------------------------------------------------------------


def secret_known(paths: Paths, name: str, environ: Mapping[str, str]) -> bool:
    """Whether a secret is set or stored, as far as paa can tell without asking the OS keyring (which may wait for
    an unlock): its environment variable, the secrets file, or the note of what the keyring holds. No note, or a
    file that cannot be read, counts as perhaps: a caller learns the truth from `get_secret`."""
    key = _stored_name(name)
    variable = ENV_VARIABLES.get(key)
    if variable and environ.get(variable, "").strip():
        return True
    try:
        if key in _read_file(paths):
            return True
    except StorageError:
        return True
    if keyring_off(environ):
        return False
    names = _read_note(paths)
    return names is None or key in names


def set_secret(paths: Paths, name: str, value: str, environ: Mapping[str, str]) -> SecretInfo:
    """Store a secret (keyring first, else the file) and return where it went."""
    env = environ
    key = _stored_name(name)
    text = _check_value(key, value)
    backend = keyring_backend(env)
    if backend is not None:
        try:
            backend.set_password(SERVICE, key, text)
        except Exception:  # a locked or refusing keyring: fall back to the file rather than lose the key
            backend = None
        else:
            _note(paths, key, True, env)
            stored = _read_file(paths)
            if key in stored:  # an older copy in the file would shadow nothing, but should not linger
                del stored[key]
                _write_file(paths, stored)
            return SecretInfo(key, "keyring", f"OS keyring ({type(backend).__name__})")
    stored = _read_file(paths)
    stored[key] = text
    _write_file(paths, stored)
    return SecretInfo(key, "file", str(secrets_file(paths)))


def stored_secret(
    paths: Paths, name: str, environ: Mapping[str, str], *, ask_keyring: bool = False
) -> tuple[str, SecretInfo] | None:
    """The stored value of a secret and where it came from (keyring, then file), ignoring the environment.

    The keyring is asked when the note says paa keeps this secret there, or always with `ask_keyring` (a listing),
    which also corrects the note."""
    env = environ
    key = _stored_name(name)
    asked = ask_keyring and not keyring_off(env)
    backend = keyring_backend(env) if asked or _may_be_in_keyring(paths, key, env) else None
    if backend is not None:
        try:
            value = backend.get_password(SERVICE, key)
        except Exception:  # locked or refusing: the note stays as it is
            pass
        else:
            _note(paths, key, bool(value), env)
            if value:
                return value, SecretInfo(key, "keyring", f"OS keyring ({type(backend).__name__})")
    value = _read_file(paths).get(key)
    if value:
        return value, SecretInfo(key, "file", str(secrets_file(paths)))
    return None


def get_secret(paths: Paths, name: str, environ: Mapping[str, str]) -> tuple[str, SecretInfo] | None:
    """A secret for use: its environment variable (e.g. ANTHROPIC_API_KEY) wins over a stored one."""
    env = environ
    key = _stored_name(name)
    variable = ENV_VARIABLES.get(key)
    if variable and env.get(variable, "").strip():
        return env[variable].strip(), SecretInfo(key, "env", variable)
    return stored_secret(paths, key, env)


def delete_secret(paths: Paths, name: str, environ: Mapping[str, str]) -> list[SecretInfo]:
    """Remove a stored secret from the keyring and the file; return where it was removed from."""
    env = environ
    key = _stored_name(name)
    removed: list[SecretInfo] = []
    backend = keyring_backend(env)
    if backend is not None:
        try:
            if backend.get_password(SERVICE, key):
                backend.delete_password(SERVICE, key)
                removed.append(SecretInfo(key, "keyring", f"OS keyring ({type(backend).__name__})"))
            _note(paths, key, False, env)
        except Exception:
            pass
    stored = _read_file(paths)
    if key in stored:
        del stored[key]
        _write_file(paths, stored)
        removed.append(SecretInfo(key, "file", str(secrets_file(paths))))
    return removed


def list_secrets(paths: Paths, environ: Mapping[str, str]) -> list[SecretInfo]:
    """Every known secret that is set, in the environment or stored, without its value."""
    env = environ
    found: list[SecretInfo] = []
    for key in KNOWN:
        variable = ENV_VARIABLES.get(key)
        if variable and env.get(variable, "").strip():
            found.append(SecretInfo(key, "env", variable))
        stored = stored_secret(paths, key, env, ask_keyring=True)
        if stored is not None:
            found.append(stored[1])
    return found


def smtp_password(paths: Paths, settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The email channel's SMTP password: PAA_SMTP_PASSWORD, else the stored smtp.password, else config.toml's."""
    given = environ.get(ENV_VARIABLES["smtp.password"])  # as typed: a password may end in a space
    if given:
        return given
    found = stored_secret(paths, "smtp.password", environ)
    if found is not None:
        return found[0]
    return settings.smtp_password or None
