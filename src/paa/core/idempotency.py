"""Idempotency keys: a write sent again with the same client-made key is done once, and answered as the first time.

A client that loses its connection cannot tell whether a write it sent arrived (the browser app's offline queue
sends it again when the connection returns). It names the write with a key of its own (`Idempotency-Key`, a UUID);
`once` stores the key, a fingerprint of the request and the write's answer in the write's own transaction, so the
key is there exactly when the write is. A second request with the key gets the stored answer and writes nothing; a
key reused for a different request is refused. Keys are unique per user (another user's key is simply unknown) and
kept for KEEP_FOR.

Two requests with one key at the same moment: a write transaction holds the user's write lock from its start
(BEGIN IMMEDIATE on SQLite, paa.db.engine.hold_user_writes on PostgreSQL), so the second looks the key up only
after the first committed, and finds it. The unique index is the last line of defence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import col, delete, select

from paa.core.context import Context
from paa.db.models import IdempotencyKey
from paa.errors import InvalidInput

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(days=30)  # a client offline longer than this may write twice; it had a month to send
KEY_MAX = 100
# Visible ASCII: a UUID, a ULID, or anything a client makes, but never spaces or control characters.
_KEY = re.compile(r"[\x21-\x7e]{1," + str(KEY_MAX) + "}")


@dataclass(frozen=True)
class Outcome:
    """A write's answer, and whether it is the stored answer of an earlier request with the same key."""

    result: dict[str, Any]
    replayed: bool


def check_key(key: str) -> str:
    """The key as given, or a one-line error naming the header."""
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"an {HEADER} is 1 to {KEY_MAX} visible ASCII characters (a UUID, say)",
            field=HEADER,
        )
    return key


def fingerprint(operation: str, request: Mapping[str, Any]) -> str:
    """What identifies a request: the operation and its parameters, in a stable form."""
    text = json.dumps([operation, request], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def once(
    ctx: Context,
    key: str | None,
    operation: str,
    request: Mapping[str, Any],
    write: Callable[[], dict[str, Any]],
) -> Outcome:
    """Run `write` (in ctx's write transaction) unless `key` was used before; then give that request's answer.

    Without a key the write simply runs. `operation` names what is done ("habit.log") and `request` its parameters
    (the habit's id, the body): the same key with a different operation or request is an error, not a replay.
    """
    if key is None:
        return Outcome(write(), False)
    check_key(key)
    made = fingerprint(operation, request)
    found = ctx.session.exec(
        select(IdempotencyKey).where(IdempotencyKey.user_id == ctx.user_id, IdempotencyKey.key == key)
    ).first()
    if found is not None and found.created_at >= ctx.now() - KEEP_FOR:
        if found.fingerprint != made:
            raise InvalidInput(
                f"this {HEADER} was used for a different request",
                hint="make a new key for each write; send a key again only to repeat the same request",
                field=HEADER,
            )
        return Outcome(json.loads(found.response), True)
    _forget_old(ctx)
    result = write()
    ctx.session.add(
        IdempotencyKey(
            user_id=ctx.user_id,
            key=key,
            operation=operation,
            fingerprint=made,
            response=json.dumps(result, default=str),
            created_at=ctx.now(),
        )
    )
    ctx.session.flush()
    return Outcome(result, False)


def _forget_old(ctx: Context) -> None:
    """Drop this user's keys older than KEEP_FOR (an expired key that comes again is a new write)."""
    ctx.session.exec(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.user_id) == ctx.user_id, col(IdempotencyKey.created_at) < ctx.now() - KEEP_FOR
        )
    )
