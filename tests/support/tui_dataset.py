"""The fixed dataset the TUI is tested, pictured and benchmarked on: built through core, from a seed, on a fixed clock.

Seven habits (one archived), `days` days of logs and check-ins ending the day before Thursday 2026-11-26, a little of
today, one custom reminder and one stored conversation. The same arguments always give the same database.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
SEED = 20261126

HABITS: list[tuple[str, dict[str, Any], float]] = [
    # name, fields, share of days kept
    ("Drink water", {"unit": "glasses", "target": 8, "remind": "09:00", "category": "health"}, 0.8),
    ("Run", {"days": "mon,wed,fri", "category": "health", "remind": "07:30"}, 0.75),
    ("Meditate", {"times": 5, "per": 7, "category": "mind"}, 0.7),
    ("Read", {"unit": "pages", "target": 20, "category": "mind"}, 0.65),
    ("Coffee", {"unit": "cups", "target": 2, "at_most": True}, 0.85),
    ("Stretch", {"remind": "21:30"}, 0.7),
    ("Journal", {"description": "Three lines before bed."}, 0.5),
]
ANSWERS = [
    ("Calm and productive, a good day.", "Finished the report early."),
    ("Tired, slept badly.", "Went for a walk anyway."),
    ("Busy but fine.", "Cooked dinner with friends."),
    ("Stressful meetings all afternoon.", "Nothing much."),
    ("Great day outside in the sun.", "Ran further than ever."),
]
CONVERSATION = [
    ("user", "How did my week go?"),
    (
        "assistant",
        "A solid week. You kept **Drink water** on 6 of 7 days and ran on Monday, Wednesday and Friday.\n\n"
        "- Meditate: 4 of the 5 sessions you aim for\n- Read: 18 pages a day on average\n\n"
        "Your mood averaged 3.6, a little up on the week before.",
    ),
    ("user", "Remind me what I said about running"),
    ("assistant", "On Friday you said the 5 km felt easy and you want to try 7 km next week."),
]


def environ(home: Path) -> dict[str, str]:
    return {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_KEYRING": "off"}


def build(home: Path, days: int = 60, seed: int = SEED) -> Mapping[str, int]:
    """Create the dataset in a new PAA_HOME `home`; return how many rows of each kind were made."""
    from paa.ai.store import add_message, create_conversation
    from paa.clock import FixedClock
    from paa.core.checkins.entries import Answer, save_checkin
    from paa.core.habits.logs import log_habit, skip_habit
    from paa.core.habits.manage import HabitFields, add_habit, list_habits, set_archived
    from paa.core.reminders.custom import add_reminder
    from tests.support.runtime import open_context

    env = environ(home)
    rng = random.Random(seed)
    start = TODAY - timedelta(days=days)
    with open_context(write=True, environ=env, clock=FixedClock(NOW - timedelta(days=days))) as ctx:
        for name, fields, _share in HABITS:
            add_habit(ctx, HabitFields(name=name, **fields))
    counts = {"habits": len(HABITS), "logs": 0, "checkins": 0, "messages": 0}
    with open_context(write=True, environ=env, clock=FixedClock(NOW)) as ctx:
        habits = {habit.name: habit for habit in list_habits(ctx)}
        for offset in range(days):
            day = start + timedelta(days=offset)
            for name, fields, share in HABITS:
                habit = habits[name]
                if "days" in fields and day.strftime("%a").lower()[:3] not in str(fields["days"]):
                    continue
                roll = rng.random()
                if roll < 0.05:
                    skip_habit(ctx, habit, day)
                elif roll < 0.05 + share:
                    value = None
                    if habit.kind == "measurable":
                        target = float(fields["target"])
                        value = float(
                            rng.randint(0, 1)
                            if fields.get("at_most")
                            else rng.randint(int(target) - 3, int(target) + 2)
                        )
                        value = max(value, 1.0)
                    log_habit(ctx, habit, day, value=value)
                else:
                    continue
                counts["logs"] += 1
            if rng.random() < 0.85:
                first, second = ANSWERS[rng.randrange(len(ANSWERS))]
                mood = min(5, max(1, round(3 + rng.gauss(0.4, 1.0))))
                answers = [Answer("How was your day?", first), Answer("Any wins today?", second)]
                save_checkin(ctx, day, answers, mood=mood, energy=rng.randint(2, 5))
                counts["checkins"] += 1
        log_habit(ctx, habits["Drink water"], TODAY, value=3.0)
        log_habit(ctx, habits["Coffee"], TODAY, value=1.0)
        set_archived(ctx, habits["Journal"], True)
        counts["logs"] += 2
        add_reminder(ctx, "Call mom", at="2026-11-26T18:00")
    with open_context(write=True, environ=env, clock=FixedClock(NOW - timedelta(days=2))) as ctx:
        conversation = create_conversation(ctx, CONVERSATION[0][1])
        assert conversation.id is not None
        for role, text in CONVERSATION:
            add_message(ctx, conversation.id, role, text, model="claude-sonnet-5-5" if role == "assistant" else None)
            counts["messages"] += 1
    return counts
