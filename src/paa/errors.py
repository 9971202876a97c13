"""Errors that paa reports to people: each kind carries an exit code and a hint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in docs/exit-codes.md."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    INVALID_INPUT = 3
    NOT_FOUND = 4
    CONFLICT = 5
    STORAGE = 6
    CONFIG = 7
    ABORTED = 130
    AUTH = 8
    FORBIDDEN = 9
    UNAVAILABLE = 10
    NOT_CONFIRMED = 11


class PaaError(Exception):
    """An error with a one-line message and an optional hint on what to do next.

    `field` names the domain field a wrong value came from (`target`, `times`, `remind`, ...), for an interface to
    point at its own control: a CLI flag, a form field, an API `loc`. A field name in backticks inside the message
    or hint is a reference to a field, which each interface renders in its own words with `name_fields`.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field


class InvalidInput(PaaError):
    """A value given by the user cannot be accepted."""

    exit_code = ExitCode.INVALID_INPUT


class NotFound(PaaError):
    """The thing named does not exist."""

    exit_code = ExitCode.NOT_FOUND


class Conflict(PaaError):
    """The request clashes with what is stored (duplicate name, ambiguous name, ...)."""

    exit_code = ExitCode.CONFLICT


class StorageError(PaaError):
    """The database cannot be opened, migrated or written."""

    exit_code = ExitCode.STORAGE


class ConfigError(PaaError):
    """A configuration key or value is not valid."""

    exit_code = ExitCode.CONFIG


class Aborted(PaaError):
    """The person stopped the command before it changed anything (quit at a prompt; Ctrl-C is reported the same)."""

    exit_code = ExitCode.ABORTED


class NotConfirmed(Aborted):
    """A step that needs the person's yes did not get it: they answered no, or there was no terminal to ask."""

    exit_code = ExitCode.NOT_CONFIRMED


class AuthError(PaaError):
    """Who is asking cannot be established: not logged in, a wrong password, an expired or refused token."""

    exit_code = ExitCode.AUTH


class TooManyAttempts(AuthError):
    """A login refused for now after repeated failures; `retry_after` is how many seconds to wait (an API's
    Retry-After). The same kind as AuthError to the CLI: same exit code, message and hint."""

    def __init__(self, message: str, hint: str | None = None, *, retry_after: int) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class PermissionDenied(PaaError):
    """The acting user is known but may not do this (another user's data, or an admin-only command)."""

    exit_code = ExitCode.FORBIDDEN


def error_text(exc: BaseException, limit: int = 200) -> str:
    """What a person is told of `exc`: a PaaError's message, else the exception's own text; one line, `limit` long."""
    message = getattr(exc, "message", None) or str(exc)
    return (message.strip().splitlines() or [type(exc).__name__])[0][:limit]


_FIELD_REFERENCE = re.compile(r"`([a-z_]+)`")


def name_fields(text: str, words: Mapping[str, str]) -> str:
    """`text` with each field reference (a field name in backticks) that `words` knows replaced by its word there."""
    return _FIELD_REFERENCE.sub(lambda match: words.get(match.group(1), match.group(0)), text)
