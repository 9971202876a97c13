"""Encryption at rest: the data key (in the OS keyring or a 0600 file), attaching it to the engine, and rotating it.

Sensitive columns (check-in answers, chat messages, memories, habit log notes, token signing keys) are sealed with
AES-256-GCM by `paa.db.sealed`; this module decides where the key lives. `data.key` in the data folder (0600) always
exists once a key does: it holds the keys themselves when there is no usable keyring, or only the name of the
keyring entry that holds them. So a keyring that cannot be reached today is an error naming it, never a reason to make
a new key. A key is made on the first sealed write, and never while the database already holds sealed values: a lost
key is reported with how to restore it, never silently replaced. See docs/security.md.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, text
from sqlmodel import Session

from paa.config import Paths
from paa.db import blind
from paa.db.sealed import DIALECT_ATTRIBUTE, KEY_BYTES, SEALED_COLUMNS, DataKeys, KeyMissing, KeySet, seal, unseal
from paa.errors import StorageError
from paa.files import file_lock, write_private_json

KEY_FILE = "data.key"
KEYRING_SERVICE = "paa"
FORMAT = 1
Where = Literal["keyring", "file"]


@dataclass(frozen=True)
class KeyStatus:
    """Whether sealing is on and where the data key lives; never the key itself."""

    where: Where | None  # None: no key yet (nothing sealed yet)
    detail: str
    current: str | None
    keys: int

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "detail": self.detail, "current": self.current, "keys": self.keys}


@dataclass(frozen=True)
class Rotation:
    """What a data-key rotation did: the new key's id, the ids retired, and how many values were sealed again."""

    current: str
    retired: tuple[str, ...]
    values: int


def key_file(paths: Paths) -> Path:
    return paths.data_dir / KEY_FILE


def _keyring(environ: Mapping[str, str] | None) -> Any | None:
    if environ is None:  # no environment given (tests opening an engine by hand): the file only
        return None
    from paa.core.accounts.secrets import keyring_backend

    return keyring_backend(environ)


def _encode(keyset: KeySet) -> dict[str, Any]:
    keys = {kid: base64.urlsafe_b64encode(key).decode("ascii") for kid, key in keyset.keys.items()}
    return {"current": keyset.current, "keys": keys}


def _decode(data: Any, where: str) -> KeySet:
    try:
        keys = {str(kid): base64.urlsafe_b64decode(str(value)) for kid, value in data["keys"].items()}
        current = str(data["current"])
    except (KeyError, TypeError, AttributeError, ValueError):
        raise StorageError(f"the data key in {where} is damaged", hint=_RESTORE) from None
    if current not in keys or any(len(key) != KEY_BYTES for key in keys.values()):
        raise StorageError(f"the data key in {where} is damaged", hint=_RESTORE)
    return KeySet(current, keys)


_RESTORE = (
    "restore data.key (and, if it names one, the OS keyring entry) from the backup made with this database; "
    "see docs/security.md"
)


def _read_file(paths: Paths) -> dict[str, Any] | None:
    path = key_file(paths)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise StorageError(f"{path} is damaged", hint=_RESTORE) from None
    if not isinstance(data, dict):
        raise StorageError(f"{path} is damaged", hint=_RESTORE)
    return data


def _read(paths: Paths, environ: Mapping[str, str] | None) -> tuple[KeySet, Where, str] | None:
    """The stored keys, where they are and a description; None when no key was ever made here."""
    data = _read_file(paths)
    if data is None:
        return None
    path = key_file(paths)
    if data.get("where") != "keyring":
        return _decode(data, str(path)), "file", str(path)
    entry = str(data.get("entry") or "")
    backend = _keyring(environ)
    if backend is None:
        raise KeyMissing(
            f"the data key is in the OS keyring (entry {KEYRING_SERVICE}/{entry}), which cannot be reached now",
            hint="unlock or start the keyring (PAA_KEYRING must not be off), or restore data.key with the key itself",
        )
    try:
        value = backend.get_password(KEYRING_SERVICE, entry)
    except Exception:
        value = None
    if not value:
        raise KeyMissing(f"the OS keyring has no entry {KEYRING_SERVICE}/{entry} holding the data key", hint=_RESTORE)
    try:
        stored = json.loads(value)
    except ValueError:
        raise StorageError(f"the keyring entry {KEYRING_SERVICE}/{entry} is damaged", hint=_RESTORE) from None
    return _decode(stored, f"the keyring entry {KEYRING_SERVICE}/{entry}"), "keyring", f"OS keyring entry {entry}"


def _write(paths: Paths, environ: Mapping[str, str] | None, keyset: KeySet) -> Where:
    """Store the keys: in the keyring when one works (data.key then names the entry), else in data.key itself."""
    path = key_file(paths)
    existing = _read_file(paths)
    backend = _keyring(environ)
    if existing is not None and existing.get("where") != "keyring":
        backend = None  # keys kept in the file stay there: moving them is not a rotation's business
    if backend is not None:
        entry = str((existing or {}).get("entry") or f"data-keys-{secrets.token_hex(6)}")
        try:
            backend.set_password(KEYRING_SERVICE, entry, json.dumps(_encode(keyset)))
        except Exception as exc:
            if existing is not None:  # the keys are in the keyring: never split them between two places
                raise StorageError(
                    "the OS keyring refused to store the data key", hint="unlock it and try again"
                ) from exc
        else:
            write_private_json(path, {"format": FORMAT, "where": "keyring", "entry": entry})
            return "keyring"
    write_private_json(path, {"format": FORMAT, "where": "file", **_encode(keyset)})
    return "file"


def _holds_sealed_values(engine: Engine | None) -> bool:
    """Whether the database already holds sealed values (then a missing key must never be replaced by a new one)."""
    if engine is None:
        return False
    with engine.connect() as conn:
        for table, column in SEALED_COLUMNS:
            try:
                found = conn.execute(text(f"SELECT 1 FROM {table} WHERE {column} LIKE 'enc:v1:%' LIMIT 1")).first()
            except Exception:  # a table not made yet (a database being created)
                conn.rollback()
                continue
            if found is not None:
                return True
    return False


def load_keys(
    paths: Paths, environ: Mapping[str, str] | None, engine: Engine | None = None, *, make: bool = True
) -> KeySet:
    """The data keys; the first key is made here (under a lock, so two processes cannot make two), unless `make` is
    false (a reader that must write nothing: KeyMissing then)."""
    found = _read(paths, environ)
    if found is not None:
        return found[0]
    if not make:
        raise KeyMissing(f"no data key yet: {key_file(paths)} does not exist", hint=_RESTORE)
    paths.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with file_lock(paths.data_dir / ".data-key.lock"):
        found = _read(paths, environ)  # another process may have made it while we waited
        if found is not None:
            return found[0]
        if _holds_sealed_values(engine):
            raise KeyMissing(f"the data key is missing: {key_file(paths)} does not exist", hint=_RESTORE)
        kid = secrets.token_hex(4)
        keyset = KeySet(kid, {kid: os.urandom(KEY_BYTES)})
        _write(paths, environ, keyset)
        return keyset


def attach(engine: Engine, paths: Paths, environ: Mapping[str, str] | None, *, make: bool = True) -> None:
    """Give the engine its data keys, loaded on the first sealed read or write (made then, unless `make` is false)."""
    # Weakly: SQLAlchemy's statement caches (one per table's mapper, for the process's lifetime) keep the dialect, and
    # so this provider, after the engine is gone; a strong reference would keep every engine ever opened, with its
    # pool and its own statement cache, alive with it. A read or write that loads the keys holds the engine anyway.
    owner = weakref.ref(engine)
    provider = DataKeys(lambda: load_keys(paths, environ, owner(), make=make), description=str(key_file(paths)))
    setattr(engine.dialect, DIALECT_ATTRIBUTE, provider)


def _provider(engine: Engine) -> DataKeys:
    provider = getattr(engine.dialect, DIALECT_ATTRIBUTE, None)
    if not isinstance(provider, DataKeys):
        raise StorageError("this database connection has no data key", hint="open the database through paa")
    return provider


def key_status(paths: Paths, environ: Mapping[str, str] | None, engine: Engine | None = None) -> KeyStatus:
    """Where the data key lives (for `paa doctor`); raises KeyMissing or StorageError when it cannot be read.

    With `engine`, a database holding sealed values but no key stored is reported as the missing key it is.
    """
    found = _read(paths, environ)
    if found is None and _holds_sealed_values(engine):
        raise KeyMissing(f"the data key is missing: {key_file(paths)} does not exist", hint=_RESTORE)
    if found is None:
        return KeyStatus(None, f"no data key yet; one is made in {key_file(paths)} or the OS keyring", None, 0)
    keyset, where, detail = found
    return KeyStatus(where, detail, keyset.current, len(keyset.keys))


def rotate_data_key(session: Session, paths: Paths, environ: Mapping[str, str] | None) -> Rotation:
    """Make a new data key and seal every sealed value (and the word index) with it, in the session's transaction.

    The old keys stay stored beside the new one until `finish_rotation` runs after the commit: a failure before that
    leaves every value readable with the keys on disk.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    provider = _provider(engine)
    old = provider.keyset()
    kid = secrets.token_hex(4)
    while kid in old.keys:
        kid = secrets.token_hex(4)
    new = KeySet(kid, {**old.keys, kid: os.urandom(KEY_BYTES)})
    _write(paths, environ, new)  # first on disk, with the old keys, then used
    provider.replace(new)
    connection = session.connection()
    values = 0
    for table, column in SEALED_COLUMNS:
        rows = connection.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        update = text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
        changed = [
            {"id": row[0], "value": seal(new, unseal(new, row[1], table, column), table, column)} for row in rows
        ]
        if changed:
            connection.execute(update, changed)
        values += len(changed)
    if connection.dialect.name in blind.INDEXED_DIALECTS:
        blind.rebuild(connection, new)  # with each message's neighbouring turns and speaker
    return Rotation(kid, tuple(sorted(k for k in old.keys if k != kid)), values)


def finish_rotation(engine: Engine, paths: Paths, environ: Mapping[str, str] | None) -> None:
    """Once the rotation is committed, forget the old keys (nothing is sealed with them any more)."""
    provider = _provider(engine)
    keyset = provider.keyset()
    only = KeySet(keyset.current, {keyset.current: keyset.keys[keyset.current]})
    _write(paths, environ, only)
    provider.replace(only)
