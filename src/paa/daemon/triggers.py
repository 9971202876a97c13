"""An APScheduler trigger that asks core when a reminder is next due, so DST rules live in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from paa.core.reminders.rules import Rule, Zone, next_occurrence


class ReminderTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at each occurrence of one reminder rule, as `paa.core.reminders.rules` computes it."""

    __slots__ = ("rule", "where")

    def __init__(self, rule: Rule, where: Zone) -> None:
        self.rule = rule
        self.where = where

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = previous_fire_time if previous_fire_time is not None else now - timedelta(microseconds=1)
        found = next_occurrence(self.rule, self.where, after)
        return None if found is None else found.due_at

    def __str__(self) -> str:
        return f"reminder[{self.rule.kind}:{self.rule.ref_id}]"
