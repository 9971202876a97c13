"""What reminders are to come: every occurrence in a window, computed from the database alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paa.core.context import Context
from paa.core.events import KIND_TO_TYPE
from paa.core.reminders.rules import Occurrence, merged
from paa.core.reminders.sources import load_sources
from paa.errors import InvalidInput

MAX_UPCOMING_DAYS = 366
_EPSILON = timedelta(microseconds=1)


@dataclass(frozen=True)
class Upcoming:
    """One reminder to come: when (UTC and local), what, and the habit day it belongs to."""

    occurrence: Occurrence
    title: str
    local: datetime

    def to_json(self) -> dict[str, Any]:
        o = self.occurrence
        return {
            "due_at": o.due_at.isoformat(),
            "local": self.local.isoformat(),
            "type": KIND_TO_TYPE[o.kind],
            "kind": o.kind,
            "ref_id": o.ref_id,
            "title": self.title,
            "day": o.day.isoformat() if o.day else None,
        }


def upcoming(ctx: Context, start: datetime, days: int) -> list[Upcoming]:
    """Every reminder due from `start` (included) for `days` days: computed from the database alone."""
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise InvalidInput(f"--days must be between 1 and {MAX_UPCOMING_DAYS} (got {days})")
    sources = load_sources(ctx)
    found = merged(sources.rules, sources.where, start - _EPSILON, start + timedelta(days=days) - _EPSILON)
    return [Upcoming(o, sources.title_of(o), o.due_at.astimezone(sources.where.zone)) for o in found]
