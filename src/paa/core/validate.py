"""Checks for user-supplied text and numbers, applied at the core boundary for every interface."""

from __future__ import annotations

import math
import re
import unicodedata

from paa import terminal_text
from paa.errors import InvalidInput

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
NAMED_COLOURS = frozenset("red orange yellow green teal cyan blue purple magenta pink brown grey white".split())
MAX_VALUE = 1_000_000_000.0


def quoted(text: str, limit: int = 40) -> str:
    """repr() of user text for a message, cut to `limit` characters so a huge input stays a short line."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def strip_controls(text: str, *, multiline: bool = True) -> str:
    """`text` without the characters clean_text refuses (newline and tab kept when `multiline`).

    The cleaning variant of the one rule (paa.terminal_text), for stored text that must not be lost by a refusal:
    a model's reply, pasted chat input, a remembered fact.
    """
    return terminal_text.clean(text, multiline=multiline)


def clean_text(value: str, label: str, max_length: int, *, multiline: bool = False, field: str | None = None) -> str:
    """Return `value` normalised (NFC, trimmed), or raise InvalidInput saying `label` and carrying `field`."""
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise InvalidInput(f"{label} cannot be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{label} is too long ({len(text)} characters; the limit is {max_length})", field=field)
    for index in terminal_text.hidden_positions(text, multiline=multiline):
        raise InvalidInput(f"{label} contains a control or invisible character (U+{ord(text[index]):04X})", field=field)
    return text


def optional_text(
    value: str | None, label: str, max_length: int, *, multiline: bool = False, field: str | None = None
) -> str | None:
    """Like clean_text, but None or blank means no value."""
    if value is None or not value.strip():
        return None
    return clean_text(value, label, max_length, multiline=multiline, field=field)


def habit_name(value: str) -> str:
    name = clean_text(value, "habit name", 100, field="name")
    if name.isdigit():
        raise InvalidInput("a habit name cannot be only digits", hint="digits name a habit by its id", field="name")
    return name


def colour(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text in NAMED_COLOURS or _HEX_COLOUR.match(text):
        return text
    raise InvalidInput(
        f"unknown colour {quoted(value)}",
        hint=f"use #rrggbb or one of: {', '.join(sorted(NAMED_COLOURS))}",
        field="color",
    )


def amount(value: float, label: str = "value", *, allow_zero: bool = True, field: str | None = None) -> float:
    """Check a measured amount: a finite, non-negative number of sane size."""
    if not math.isfinite(value):
        raise InvalidInput(f"{label} must be a finite number", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        least = "zero or more" if allow_zero else "more than zero"
        raise InvalidInput(f"{label} must be {least} (got {value:g})", field=field)
    if value > MAX_VALUE:
        raise InvalidInput(f"{label} is too large (got {value:g})", field=field)
    return float(value)


def parse_number(text: str, label: str = "value", *, field: str | None = None) -> float:
    """Parse a number typed by a person; `3`, `2.5` and `2,5` all work.

    A comma is read as a decimal comma only where it cannot be a thousands separator: `1,000` could mean a
    thousand or one, so it is refused rather than guessed.
    """
    stripped = text.strip()
    if "," in stripped:
        whole, _, fraction = stripped.partition(",")
        if "," in fraction or "." in stripped or (len(fraction) == 3 and fraction.isdigit()):
            raise InvalidInput(
                f"{label} {quoted(text)} is ambiguous: write it without thousands separators",
                hint="e.g. 1000 for a thousand, 1.5 or 1,5 for one and a half",
                field=field,
            )
        stripped = f"{whole}.{fraction}"
    try:
        return float(stripped)
    except ValueError:
        raise InvalidInput(f"{label} must be a number (got {quoted(text)})", field=field) from None
