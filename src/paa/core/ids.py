"""Record ids as people (and the assistant) give them: one rule for every lookup that names a row by its number."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session

MAX_ID = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's BIGINT hold no more: a larger number names no row

Row = TypeVar("Row")


def can_exist(value: int) -> bool:
    """Whether a row could have this id (1 to MAX_ID); binding a larger one would raise OverflowError."""
    return 1 <= value <= MAX_ID


def parse_id(text: str) -> int | None:
    """The id `text` names (`12`, ` #12 `), or None when it is no id a row can have (words, 0, too large)."""
    digits = text.strip().removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if can_exist(value) else None


def get_row(session: Session, model: type[Row], value: int) -> Row | None:
    """`session.get(model, value)`, with None for an id no row can have instead of an OverflowError."""
    return session.get(model, value) if can_exist(value) else None
