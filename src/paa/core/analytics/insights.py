"""Plain-language observations computed from the figures, each carrying the numbers it rests on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from paa.core.analytics.habit_stats import HabitStats
from paa.core.analytics.overall import TREND_DAYS, CompletionSeries, Engagement, MoodReport
from paa.core.analytics.periods import Period
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.words import plural

WEEKDAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
MOOD_GAP = 0.3  # mood points between done and other days worth mentioning
STRENGTH_SHIFT = 0.10  # strength change over the period worth mentioning
RATE_GAP = 0.15  # completion gap (share) between weekdays, or last week vs the period
MIN_STREAK = 7


@dataclass(frozen=True)
class Insight:
    kind: str
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0  # how notable; the list is sorted by it

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "numbers": self.numbers}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def period_words(period: Period, days: int | None = None) -> str:
    """Name the window an insight covers: the period, or `days` when the history is shorter than it."""
    if period.days is None:
        return "all along"
    length = period.days if days is None else min(days, period.days)
    return "over the last day" if length == 1 else f"over the last {length} days"


def mood_insights(mood: MoodReport) -> list[Insight]:
    found = []
    for item in mood.correlations:
        gap = item.difference
        if item.caution is not None or gap is None or abs(gap) < MOOD_GAP:
            continue
        assert item.mood_done is not None and item.mood_other is not None
        text = (
            f"Mood averages {item.mood_done:.1f} on days you complete {item.habit.name} "
            f"vs {item.mood_other:.1f} otherwise, n={item.n}."
        )
        numbers = {
            "habit": item.habit.name,
            "mood_done": round(item.mood_done, 2),
            "mood_other": round(item.mood_other, 2),
            "n": item.n,
            "r": None if item.r is None else round(item.r, 3),
        }
        found.append(Insight("mood_habit", text, numbers, 2.0 + abs(gap)))
    recent, average = mood.last_week_mood, mood.mood_average
    if recent is not None and average is not None and abs(recent - average) >= MOOD_GAP:
        n = sum(d.mood is not None for d in mood.days[-TREND_DAYS:])
        direction = "above" if recent > average else "below"
        text = f"Mood over the last 7 days averages {recent:.1f}, {direction} the period's {average:.1f} (n={n})."
        found.append(
            Insight(
                "mood_trend",
                text,
                {"last_7d": round(recent, 2), "period": round(average, 2), "n": n},
                1.5 + abs(recent - average),
            )
        )
    return found


def strength_insights(habits: Sequence[HabitStats], period: Period) -> list[Insight]:
    found = []
    scored = [h for h in habits if h.days]
    # Strength says little about a habit younger than a week, so none of those is called the strongest.
    settled = [h for h in scored if (h.as_of - h.first_day).days + 1 >= TREND_DAYS]
    if settled:
        top = max(settled, key=lambda h: h.strength)
        text = f"Your strongest habit is {top.habit.name} at {_pct(top.strength)} strength."
        found.append(Insight("strongest", text, {"habit": top.habit.name, "strength": round(top.strength, 4)}, 1.0))
    for stats in scored:
        change = stats.strength_change
        if abs(change) < STRENGTH_SHIFT or period.days is None:
            continue
        verb = "climbed" if change > 0 else "slipped"
        # The change runs from the period's start, which is never before the habit's first day.
        text = (
            f"{stats.habit.name} {verb} from {_pct(stats.strength_before)} to {_pct(stats.strength)} strength "
            f"{period_words(period, len(stats.days))}."
        )
        numbers = {"habit": stats.habit.name, "from": round(stats.strength_before, 4), "to": round(stats.strength, 4)}
        found.append(Insight("strength_change", text, numbers, 1.2 + abs(change) * 3))
    return found


def streak_insights(habits: Sequence[HabitStats]) -> list[Insight]:
    found = []
    for stats in habits:
        current, best = stats.streaks.current, stats.streaks.best
        if current is None or best is None or current.length < MIN_STREAK or current.length < best.length:
            continue
        text = f"{stats.habit.name}: {current.length}-day streak, your longest yet."
        found.append(
            Insight(
                "record_streak",
                text,
                {"habit": stats.habit.name, "days": current.length},
                1.3 + min(current.length, 100) / 200,
            )
        )
    return found


def weekday_insight(series: CompletionSeries) -> list[Insight]:
    done, due, seen = [0] * 7, [0] * 7, [0] * 7
    for day in series.finished:
        if day.due:
            weekday = day.day.weekday()
            done[weekday] += day.done
            due[weekday] += day.due
            seen[weekday] += 1
    rates = {w: done[w] / due[w] for w in range(7) if seen[w] >= 2}
    if len(rates) < 2:
        return []
    best = max(rates, key=lambda w: (rates[w], -w))
    worst = min(rates, key=lambda w: (rates[w], w))
    gap = rates[best] - rates[worst]
    if gap < RATE_GAP:
        return []
    text = (
        f"You complete {_pct(rates[best])} of habits on {WEEKDAY_NAMES[best]} "
        f"but {_pct(rates[worst])} on {WEEKDAY_NAMES[worst]}."
    )
    numbers = {
        "best": SHORT_DAYS[best],
        "best_rate": round(rates[best], 4),
        "worst": SHORT_DAYS[worst],
        "worst_rate": round(rates[worst], 4),
    }
    return [Insight("weekday", text, numbers, 1.4 + gap)]


def completion_insight(series: CompletionSeries, period: Period) -> list[Insight]:
    finished = series.finished
    if len(finished) < 2 * TREND_DAYS:
        return []
    recent = finished[-TREND_DAYS:]
    done, due = sum(d.done for d in recent), sum(d.due for d in recent)
    average = series.average
    if due == 0 or average is None:
        return []
    rate = done / due
    if abs(rate - average) < RATE_GAP / 1.5:
        return []
    direction = "above" if rate > average else "below"
    text = (
        f"Last 7 days: {_pct(rate)} of habits done, {direction} your {_pct(average)} "
        f"{period_words(period, len(series.days))}."
    )
    return [
        Insight(
            "completion_trend",
            text,
            {"last_7d": round(rate, 4), "period": round(average, 4)},
            1.1 + abs(rate - average) * 2,
        )
    ]


def measure_insights(habits: Sequence[HabitStats]) -> list[Insight]:
    candidates = [h for h in habits if h.measure is not None and h.measure.due_days >= TREND_DAYS]
    if not candidates:
        return []
    weakest = min(candidates, key=lambda h: h.measure.on_target_rate or 0.0)  # type: ignore[union-attr]
    measure = weakest.measure
    assert measure is not None and measure.on_target_rate is not None
    unit = f" {weakest.habit.unit}" if weakest.habit.unit else ""
    average = measure.average_logged
    tail = f", averaging {average:.1f}{unit} on logged days" if average is not None else ""
    text = (
        f"{weakest.habit.name}: on target {measure.on_target} of {plural(measure.due_days, 'day')} "
        f"({_pct(measure.on_target_rate)}){tail}."
    )
    numbers = {
        "habit": weakest.habit.name,
        "on_target": measure.on_target,
        "due_days": measure.due_days,
        "average_logged": None if average is None else round(average, 2),
    }
    return [Insight("measure", text, numbers, 0.9 + (1 - measure.on_target_rate))]


def engagement_insights(usage: Engagement) -> list[Insight]:
    found = []
    length = len(usage.days)
    if length:
        per_day = usage.messages_per_day or 0.0
        text = f"Active on {usage.active_days} of {plural(length, 'day')}; {per_day:.1f} chat messages a day."
        found.append(
            Insight(
                "engagement",
                text,
                {"active_days": usage.active_days, "days": length, "messages_per_day": round(per_day, 2)},
                0.5,
            )
        )
    if usage.checkin_streak >= 3:
        text = f"You have checked in {usage.checkin_streak} days in a row (best {usage.checkin_best})."
        found.append(
            Insight(
                "checkin_streak",
                text,
                {"days": usage.checkin_streak, "best": usage.checkin_best},
                0.8 + min(usage.checkin_streak, 60) / 200,
            )
        )
    return found


def insights(
    habits: Sequence[HabitStats],
    series: CompletionSeries,
    mood: MoodReport,
    usage: Engagement,
    period: Period,
    limit: int = 8,
) -> list[Insight]:
    """The most notable observations first, at most `limit`."""
    found = [
        *mood_insights(mood),
        *strength_insights(habits, period),
        *streak_insights(habits),
        *weekday_insight(series),
        *completion_insight(series, period),
        *measure_insights(habits),
        *engagement_insights(usage),
    ]
    found.sort(key=lambda item: -item.weight)
    return found[:limit]
