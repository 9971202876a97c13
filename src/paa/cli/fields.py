"""The CLI's word for each field core names in an error: the option that sets it."""

from __future__ import annotations

from paa.errors import name_fields

HABIT_FLAGS = {
    "unit": "--unit",
    "target": "--target",
    "at_most": "--at-most",
    "days": "--days",
    "times": "--times",
    "per": "--per",
    "remind": "--remind",
    "remind_days": "--remind-days",
    "category": "--category",
    "color": "--color",
    "description": "--description",
}
# Other fields core names; a field means the same option in every command that has it.
OTHER_FLAGS = {
    "at": "--at",
    "in": "--in",
    "cron": "--cron",
    "from": "--from",
    "to": "--to",
    "mood": "--mood",
    "energy": "--energy",
    "answer": "--answer",
    "append": "--append",
    "replace": "--replace",
    "limit": "--limit",
}
FLAGS = {**HABIT_FLAGS, **OTHER_FLAGS}


def as_flags(text: str) -> str:
    """Core's text with each field it refers to (`times`) named by its option (--times)."""
    return name_fields(text, FLAGS)
