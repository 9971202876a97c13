"""Insights are true over the window they name, and that window is never longer than the habit's life."""

from __future__ import annotations

from paa.core.analytics.habit_stats import habit_stats
from paa.core.analytics.insights import strength_insights
from paa.core.analytics.periods import parse_period
from paa.core.habits.schedule import Schedule
from tests.support.analytics import logs, nov, ref

DAILY = Schedule("daily")


def test_an_at_most_habit_added_today_says_nothing_about_strength() -> None:
    # Coffee, at most 2 cups, added today with nothing logged: it starts at full strength and stays there.
    coffee = ref(DAILY, created=nov(26), name="Coffee", unit="cups", target=2.0, at_most=True)
    stats = habit_stats(coffee, {}, nov(26), parse_period("30d"))
    assert stats.strength == 1.0 and stats.strength_before == 1.0 and stats.strength_change == 0.0
    assert [point.state for point in stats.days] == ["within"]
    assert strength_insights([stats], parse_period("30d")) == []


def test_a_young_habit_is_never_called_the_strongest() -> None:
    young = ref(DAILY, created=nov(24), name="Read", habit_id=2)
    settled = ref(DAILY, created=nov(1), name="Run")
    found = strength_insights(
        [
            habit_stats(young, logs(done=(24, 25, 26)), nov(26), parse_period("30d")),
            habit_stats(settled, logs(done=(20, 22)), nov(26), parse_period("30d")),
        ],
        parse_period("30d"),
    )
    strongest = [i for i in found if i.kind == "strongest"]
    assert [i.numbers["habit"] for i in strongest] == ["Run"]


def test_a_strength_change_names_the_habit_s_age_when_it_is_younger_than_the_period() -> None:
    # Run added on the 15th and done every day since: 12 days, inside a 30-day period.
    run = ref(DAILY, created=nov(15))
    stats = habit_stats(run, logs(done=tuple(range(15, 27))), nov(26), parse_period("30d"))
    [change] = [i for i in strength_insights([stats], parse_period("30d")) if i.kind == "strength_change"]
    assert change.text == "Run climbed from 0% to 47% strength over the last 12 days."
    # The same habit seen over a 7-day period: the window is the period.
    week = habit_stats(run, logs(done=tuple(range(15, 27))), nov(26), parse_period("7d"))
    [change] = [i for i in strength_insights([week], parse_period("7d")) if i.kind == "strength_change"]
    assert change.text.endswith("strength over the last 7 days.")
