"""Sealed columns: sensitive text stored encrypted (AES-256-GCM), given back as plain text when read.

A sealed value is `enc:v1:<key id>:<base64url of nonce + ciphertext + tag>`. Its associated data names the table and
column (`paa:messages.content`), so a value moved into another column fails its check instead of being read. A
value without the prefix is plain text written before encryption existed: it reads as it is, and `paa auth
rotate-keys` seals it. The keys come from the engine: `paa.core.encryption` attaches a `DataKeys` provider to the
engine's dialect (the one object SQLAlchemy hands a column type), loaded only when a sealed value is first read or
written, so commands that touch no sensitive column never load `cryptography` or the keyring.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, String, TypeDecorator

from paa.errors import StorageError

PREFIX = "enc:v1:"
NONCE_BYTES = 12
KEY_BYTES = 32
DIALECT_ATTRIBUTE = "paa_data_keys"


class KeyMissing(StorageError):
    """A sealed value names a data key this install does not have (or no key can be loaded at all)."""


class SealBroken(StorageError):
    """A sealed value failed its integrity check: changed, damaged, or moved from another column."""


@dataclass
class KeySet:
    """Data keys by id; `current` seals new values, the others still open older ones (until a rotation ends)."""

    current: str
    keys: dict[str, bytes]

    def key(self, kid: str, where: str) -> bytes:
        found = self.keys.get(kid)
        if found is None:
            raise KeyMissing(
                f"{where} is sealed with data key {kid}, which this install does not have",
                hint="restore the data key (the OS keyring entry 'paa/data-keys' or data.key in the data folder) "
                "from the backup made with this database; see docs/security.md",
            )
        return found


@dataclass
class DataKeys:
    """The keys of one engine, loaded on first use by `load` (which may make the first key)."""

    load: Callable[[], KeySet]
    description: str = ""
    _loaded: KeySet | None = field(default=None, repr=False)

    def keyset(self) -> KeySet:
        if self._loaded is None:
            self._loaded = self.load()
        return self._loaded

    def replace(self, keyset: KeySet) -> None:
        """Use `keyset` from now on (after a rotation)."""
        self._loaded = keyset


def associated_data(table: str, column: str) -> bytes:
    return f"paa:{table}.{column}".encode()


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


def key_id_of(stored: str) -> str | None:
    """The id of the key that sealed `stored`, or None for plain text."""
    if not is_sealed(stored):
        return None
    return stored[len(PREFIX) :].split(":", 1)[0]


def seal(keyset: KeySet, plain: str, table: str, column: str) -> str:
    """Encrypt `plain` with the current key, bound to its table and column."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # loaded only when a sealed column is used

    nonce = os.urandom(NONCE_BYTES)  # 96 random bits per value: no reuse in any realistic number of writes
    kid = keyset.current
    body = AESGCM(keyset.key(kid, "the current key")).encrypt(
        nonce, plain.encode("utf-8"), associated_data(table, column)
    )
    return f"{PREFIX}{kid}:{base64.urlsafe_b64encode(nonce + body).decode('ascii').rstrip('=')}"


def unseal(keyset: KeySet, stored: str, table: str, column: str) -> str:
    """The plain text of a stored value (plain text stored before encryption comes back as it is)."""
    if not is_sealed(stored):
        return stored
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    where = f"a value in {table}.{column}"
    kid, _sep, encoded = stored[len(PREFIX) :].partition(":")
    key = keyset.key(kid, where)
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(raw) < NONCE_BYTES + 16:
            raise ValueError("too short")
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(table, column))
        return plain.decode("utf-8")
    except (InvalidTag, ValueError):
        raise SealBroken(
            f"{where} failed its integrity check: it was changed, damaged or moved from another column",
            hint="restore the database from a backup; `paa doctor` checks the data key",
        ) from None


def keys_of(dialect: Any, where: str) -> KeySet:
    provider: DataKeys | None = getattr(dialect, DIALECT_ATTRIBUTE, None)
    if provider is None:
        raise KeyMissing(
            f"{where} needs the data key, and this database connection has none",
            hint="open the database through paa (paa.core.storage.open_engine)",
        )
    return provider.keyset()


class Sealed(TypeDecorator[str]):
    """Text stored sealed with the engine's data key, bound to `table.column`; plain text from before reads as is."""

    impl = String  # unbounded VARCHAR: a sealed value is about 4/3 of its text plus 50 characters
    cache_ok = True

    def __init__(self, table: str, column: str) -> None:
        super().__init__()
        self.table = table
        self.column = column

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return seal(keys_of(dialect, f"{self.table}.{self.column}"), value, self.table, self.column)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or not is_sealed(value):
            return value
        return unseal(keys_of(dialect, f"a value in {self.table}.{self.column}"), value, self.table, self.column)


# Every sealed column, for rotation and for the tests that read the file: (table, column).
SEALED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("messages", "content"),
    ("messages", "tool_calls"),
    ("messages", "speaker"),
    ("conversations", "title"),
    ("conversations", "summary"),
    ("memories", "content"),
    ("daily_checkins", "answers"),
    ("daily_checkins", "reflection"),
    ("habit_logs", "note"),
    ("signing_keys", "secret"),
    ("attachments", "name"),
    ("attachment_blobs", "blob_key"),
    ("idempotency_keys", "response"),
)


def sealed(table: str, column: str, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    """A column of sealed text (see `Sealed`)."""
    return Column(column, Sealed(table, column), nullable=nullable)


def seal_plain_values(connection: Any, keyset: KeySet, columns: tuple[tuple[str, str], ...] = SEALED_COLUMNS) -> int:
    """Seal every value still stored as plain text, on a connection (raw SQL: every user's rows); return how many.

    A migration passes the columns that exist at its revision (a later one may add more)."""
    from sqlalchemy import text

    done = 0
    for table, column in columns:
        rows = connection.execute(
            text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} NOT LIKE 'enc:v1:%'")
        ).all()
        if rows:
            connection.execute(
                text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                [{"id": row[0], "value": seal(keyset, row[1], table, column)} for row in rows],
            )
        done += len(rows)
    return done
