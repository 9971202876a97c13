"""What a storage failure means to a person: one StorageError whose hint fits the cause.

Every interface reports a failing database, or a file or folder paa cannot use, through `as_storage_error`, so
"the disk is full" never gets the hint meant for a lock held by another program.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DatabaseError, OperationalError, StatementError

from paa.errors import StorageError

# (words in the driver's message, hint); the first match wins.
_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("database is locked", "table is locked", "schema is locked"), "another program may hold the database; try again"),
    (("disk is full", "database or disk is full"), "the disk is full: free some space and try again"),
    (
        ("readonly database", "read-only"),
        "the database file or its folder is read-only: give yourself write permission on both",
    ),
    (
        ("file is not a database", "malformed", "not a database", "file is encrypted"),
        "the database file is damaged: restore a copy from the backups folder beside it, "
        "or move the file aside and paa starts a new one",
    ),
    (("unable to open database file",), "check that the folder exists and that you may write to it"),
    (("disk i/o error",), "the disk reported an error: check the disk and the free space"),
    (
        ("connection refused", "could not connect", "could not translate host", "timeout expired", "password"),
        "check that the database server is running and that PAA_DB_URL is right",
    ),
)


def is_storage_failure(exc: BaseException) -> bool:
    """Whether `exc` is the database failing (locked, damaged, full, read-only, unreachable) rather than a bug."""
    # An IntegrityError or ProgrammingError is a DatabaseError too, but it is paa's mistake, not the storage's.
    if isinstance(exc, OperationalError | sqlite3.OperationalError):
        return True
    return type(exc) in (DatabaseError, sqlite3.DatabaseError)


def storage_failure(exc: BaseException, doing: str = "database error") -> StorageError:
    """The StorageError to report for a failing database: `doing: <the driver's reason>`, with the hint that fits."""
    reason = _reason(exc)
    lowered = reason.lower()
    hint = next((hint for words, hint in _HINTS if any(word in lowered for word in words)), None)
    return StorageError(f"{doing}: {reason}", hint=hint or "run `paa doctor` to check the database")


def as_storage_error(exc: BaseException) -> StorageError | None:
    """The StorageError for a failing database or a file paa cannot use (PAA_HOME naming a file, say); else None."""
    original = getattr(exc, "orig", None)
    if isinstance(exc, StatementError) and isinstance(original, StorageError):
        return original  # raised while a value was written (a sealed column without its key): SQLAlchemy wrapped it
    if is_storage_failure(exc):
        return storage_failure(exc)
    if isinstance(exc, OSError) and exc.filename:
        return StorageError(
            f"cannot use {exc.filename}: {exc.strerror or type(exc).__name__}",
            hint="check that its folder exists and that you may write there (PAA_HOME sets where paa keeps its files)",
        )
    return None


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
