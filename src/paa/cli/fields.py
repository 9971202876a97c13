"""The CLI's word for each habit field core names in an error: the option that sets it."""

from __future__ import annotations

from paa.errors import name_fields

FLAGS = {
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


def as_flags(text: str) -> str:
    """Core's text with each field it refers to (`times`) named by its option (--times)."""
    return name_fields(text, FLAGS)
