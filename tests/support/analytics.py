"""Small builders shared by the analytics tests."""

from __future__ import annotations

from datetime import date

from paa.core.analytics.load import HabitRef
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import Entry, HabitRule


def nov(day: int) -> date:
    """A day of November 2026 (Sunday 1st ... Thursday 26th, the tests' today)."""
    return date(2026, 11, day)


def ref(
    schedule: Schedule,
    *,
    created: date,
    name: str = "Run",
    habit_id: int = 1,
    unit: str | None = None,
    target: float | None = None,
    at_most: bool = False,
) -> HabitRef:
    measurable = target is not None
    return HabitRef(
        id=habit_id,
        name=name,
        kind="measurable" if measurable else "boolean",
        unit=unit,
        target=target,
        target_type=("at_most" if at_most else "at_least") if measurable else None,
        category=None,
        archived=False,
        schedule=schedule,
        rule=HabitRule(schedule, measurable=measurable, target=target, at_most=at_most),
        created_day=created,
    )


def logs(
    done: tuple[int, ...] = (), skipped: tuple[int, ...] = (), values: dict[int, float] | None = None
) -> dict[date, Entry]:
    """Entries on November days: done, skipped, or done with an amount."""
    found = {nov(n): Entry("done") for n in done}
    found.update({nov(n): Entry("skipped") for n in skipped})
    found.update({nov(n): Entry("done", v) for n, v in (values or {}).items()})
    return found
