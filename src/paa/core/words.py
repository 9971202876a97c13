"""Counted words for messages: "1 day", "2 days", "1 cup", "3 cups", the same in every interface."""

from __future__ import annotations

# Unit endings that are not an English plural "s": "1 glass", "1 bus", "1 kWh"; a unit ending in one stays as it is.
_NOT_PLURAL = ("ss", "us", "is", "'s")


def plural(count: float, singular: str, plural_form: str | None = None) -> str:
    """`count` and the word, singular for exactly one: plural(1, "day") is "1 day", plural(2, "reply", "replies")."""
    word = singular if count == 1 else plural_form or singular + "s"
    return f"{number(count)} {word}"


def unit_for(value: float | None, unit: str) -> str:
    """A habit's unit (as the person typed it, usually plural) for an amount: "cup" for 1 of "cups", else `unit`."""
    if value != 1 or len(unit) < 3 or not unit.endswith("s") or unit.lower().endswith(_NOT_PLURAL):
        return unit
    for ending in ("sses", "shes", "ches", "xes", "zes"):
        if unit.lower().endswith(ending):  # "glasses" -> "glass", "inches" -> "inch"
            return unit[:-2]
    return unit[:-1]


def amount(value: float, unit: str | None) -> str:
    """An amount with its unit agreeing: "1 cup", "2 cups", "0.5 km"; the number alone without a unit."""
    return f"{number(value)} {unit_for(value, unit)}" if unit else number(value)


def number(value: float) -> str:
    """A count or an amount without a needless ".0": 3, 2.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
