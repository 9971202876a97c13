"""Reminder arithmetic with fixed clocks: DST in New York and Berlin, the day-start hour, cron, grace,
retries and the no-double-send key, first as pure functions and then through the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paa.clock import FixedClock
from paa.core.habits.schedule import Schedule
from paa.core.reminders.rules import (
    CheckinReminder,
    CronSpec,
    CustomReminder,
    HabitReminder,
    Zone,
    after_duration,
    is_missed,
    next_occurrence,
    occurrences,
    parse_duration,
    parse_instant,
    parse_when,
    retry_delay,
    scan_window,
    wall_instant,
)
from paa.errors import InvalidInput

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def utc(*args: int) -> datetime:
    return datetime(*args).replace(tzinfo=UTC)  # type: ignore[arg-type]  # year, month, day and more


def daily(*times: str, days: frozenset[int] | None = None, schedule: Schedule = Schedule()) -> HabitReminder:
    parsed = tuple(time.fromisoformat(t) for t in times)
    return HabitReminder(1, parsed, days, schedule, LONG_AGO)


def locals_between(rule, zone: ZoneInfo, start: datetime, end: datetime, day_start: int = 0) -> list[str]:
    found = occurrences(rule, Zone(zone, day_start), start, end)
    return [o.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for o in found]


# --- DST: a wall time fires once a day at that wall time ----------------------------------------

# (zone, a day before spring forward, a day before fall back)
TRANSITIONS = [
    pytest.param(NY, date(2027, 3, 13), date(2027, 11, 6), id="new-york"),
    pytest.param(BERLIN, date(2027, 3, 27), date(2027, 10, 30), id="berlin"),
]


@pytest.mark.parametrize(("zone", "before_spring", "before_fall"), TRANSITIONS)
def test_0730_fires_once_each_day_at_0730_across_both_transitions(
    zone: ZoneInfo, before_spring: date, before_fall: date
) -> None:
    rule = daily("07:30")
    for first in (before_spring, before_fall):
        start = wall_instant(first, time(0, 0), zone)
        found = occurrences(rule, Zone(zone), start, start + timedelta(days=3))
        assert [o.due_at.astimezone(zone).time() for o in found] == [time(7, 30)] * 3
        assert [o.day for o in found] == [first + timedelta(days=i) for i in range(3)]
    # the UTC instant moves by the hour the clocks moved
    spring = occurrences(rule, Zone(zone), wall_instant(before_spring, time(0), zone),
                         wall_instant(before_spring + timedelta(days=2), time(0), zone))  # fmt: skip
    assert spring[1].due_at - spring[0].due_at == timedelta(hours=23)


def test_new_york_spring_forward_0230_fires_at_0300_and_fall_back_0130_fires_once() -> None:
    rule = daily("02:30")
    assert locals_between(rule, NY, utc(2027, 3, 13, 12), utc(2027, 3, 15, 12)) == [
        "2027-03-14 03:00 EDT",  # 02:30 does not exist: the first valid instant after the gap
        "2027-03-15 02:30 EDT",
    ]
    assert wall_instant(date(2027, 3, 14), time(2, 30), NY) == utc(2027, 3, 14, 7, 0)
    night = daily("01:30")
    found = occurrences(night, Zone(NY), utc(2027, 11, 6, 12), utc(2027, 11, 8, 12))
    assert [o.due_at for o in found] == [utc(2027, 11, 7, 5, 30), utc(2027, 11, 8, 6, 30)]  # EDT first, once


def test_berlin_spring_forward_0230_fires_at_0300_and_fall_back_0230_fires_once() -> None:
    rule = daily("02:30")
    assert locals_between(rule, BERLIN, utc(2027, 3, 27, 12), utc(2027, 3, 29, 12)) == [
        "2027-03-28 03:00 CEST",
        "2027-03-29 02:30 CEST",
    ]
    found = occurrences(rule, Zone(BERLIN), utc(2027, 10, 30, 12), utc(2027, 11, 1, 12))
    assert [o.due_at for o in found] == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]


def test_two_times_in_the_gap_fire_once_at_its_end() -> None:
    rule = daily("02:10", "02:50", "03:00")
    assert locals_between(rule, NY, utc(2027, 3, 14, 0), utc(2027, 3, 14, 23)) == ["2027-03-14 03:00 EDT"]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from([NY, BERLIN, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")]),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    start_day=st.dates(date(2026, 1, 1), date(2028, 12, 1)),
    day_start=st.integers(0, 6),
)
def test_one_occurrence_per_habit_day_always_at_or_just_after_the_wall_time(
    zone: ZoneInfo, hour: int, minute: int, start_day: date, day_start: int
) -> None:
    at = time(hour, minute)
    rule = HabitReminder(1, (at,), None, Schedule(), LONG_AGO)
    start = datetime.combine(start_day, time(12), tzinfo=UTC)
    found = occurrences(rule, Zone(zone, day_start), start, start + timedelta(days=40))
    days = [o.day for o in found]
    assert len(days) == len(set(days)) and len(days) >= 38
    for o in found:
        local = o.due_at.astimezone(zone)
        wanted = datetime.combine(local.date(), at)
        assert local.replace(tzinfo=None) >= wanted  # on time, or at the end of a gap
        assert local.replace(tzinfo=None) - wanted <= timedelta(hours=1)
        assert next_occurrence(rule, Zone(zone, day_start), o.due_at - timedelta(seconds=1)) == o


# --- the day-start hour -------------------------------------------------------------------------


def test_a_time_before_the_day_start_belongs_to_the_day_before() -> None:
    rule = daily("01:00", "22:00")
    where = Zone(BERLIN, day_start_hour=4)
    found = occurrences(rule, where, utc(2026, 11, 26, 0), utc(2026, 11, 27, 23))
    # Thursday's habit day: 22:00 Thursday, then 01:00 on Friday morning (still Thursday's day)
    assert [(o.due_at.astimezone(BERLIN).strftime("%a %H:%M"), o.day) for o in found] == [
        ("Thu 22:00", date(2026, 11, 26)),
        ("Fri 01:00", date(2026, 11, 26)),
        ("Fri 22:00", date(2026, 11, 27)),
    ]
    checkin = CheckinReminder(time(1, 30), LONG_AGO)
    [prompt] = occurrences(checkin, where, utc(2026, 11, 26, 12), utc(2026, 11, 27, 12))
    assert prompt.day == date(2026, 11, 26) and prompt.due_at == utc(2026, 11, 27, 0, 30)


def test_weekday_habits_remind_on_their_days_unless_reminder_days_say_otherwise() -> None:
    mon_wed_fri = Schedule("weekdays", frozenset({0, 2, 4}))
    found = occurrences(daily("09:00", schedule=mon_wed_fri), Zone(UTC_ZONE), utc(2026, 11, 23), utc(2026, 11, 30))
    assert [o.due_at.strftime("%a") for o in found] == ["Mon", "Wed", "Fri"]
    explicit = daily("09:00", days=frozenset({5}), schedule=mon_wed_fri)
    assert [
        o.due_at.strftime("%a") for o in occurrences(explicit, Zone(UTC_ZONE), utc(2026, 11, 23), utc(2026, 11, 30))
    ] == ["Sat"]


def test_nothing_before_the_reminder_existed() -> None:
    rule = HabitReminder(1, (time(9),), None, Schedule(), since=utc(2026, 11, 26, 10))
    found = occurrences(rule, Zone(UTC_ZONE), utc(2026, 11, 25), utc(2026, 11, 28))
    assert [o.due_at for o in found] == [utc(2026, 11, 27, 9)]


# --- cron ---------------------------------------------------------------------------------------


def test_cron_weekly_review_in_the_users_zone() -> None:
    rule = CustomReminder(7, None, CronSpec.parse("0 17 * * FRI"), LONG_AGO)
    found = occurrences(rule, Zone(NY), utc(2027, 3, 1), utc(2027, 3, 20))
    assert [o.due_at.astimezone(NY).strftime("%a %d %H:%M %Z") for o in found] == [
        "Fri 05 17:00 EST", "Fri 12 17:00 EST", "Fri 19 17:00 EDT",
    ]  # fmt: skip
    assert next_occurrence(rule, Zone(NY), utc(2027, 3, 6)) == found[1]


def test_cron_through_dst_fires_each_wall_time_once() -> None:
    quarter = CronSpec.parse("*/15 1-2 * * *")
    fall = quarter.between(NY, utc(2027, 11, 7, 4), utc(2027, 11, 7, 9))
    assert len(fall) == 8  # 01:00-02:45, the repeated hour counted once
    spring = quarter.between(NY, utc(2027, 3, 14, 4), utc(2027, 3, 14, 9))
    assert [d.astimezone(NY).strftime("%H:%M") for d in spring] == ["01:00", "01:15", "01:30", "01:45", "03:00"]


@pytest.mark.parametrize(
    ("expression", "day", "matches"),
    [
        ("0 9 1 * MON", date(2026, 12, 1), True),  # day of month 1 (a Tuesday): either field matches
        ("0 9 1 * MON", date(2026, 11, 30), True),  # a Monday
        ("0 9 1 * MON", date(2026, 12, 2), False),
        ("0 9 * * 7", date(2026, 11, 29), True),  # 7 and 0 are Sunday
        ("0 9 * * 0", date(2026, 11, 29), True),
        ("0 9 * JAN-MAR/2 *", date(2027, 3, 10), True),
        ("0 9 * JAN-MAR/2 *", date(2027, 2, 10), False),
        ("@daily", date(2026, 11, 29), True),
    ],
)
def test_cron_day_matching(expression: str, day: date, matches: bool) -> None:
    assert CronSpec.parse(expression).matches_day(day) is matches


@pytest.mark.parametrize(
    "bad", ["", "0 17 * *", "61 * * * *", "0 24 * * *", "* * * * FUNDAY", "*/0 * * * *", "5-1 * * * *"]
)
def test_bad_cron_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        CronSpec.parse(bad)


def test_cron_that_never_comes_returns_none() -> None:
    assert CronSpec.parse("0 0 31 2 *").next_after(UTC_ZONE, utc(2026, 1, 1), years=2) is None


# --- one-off reminders --------------------------------------------------------------------------

THURSDAY_NOON = utc(2026, 11, 26, 12)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("sunday 18:00", "2026-11-29 18:00"),
        ("18:00 sunday", "2026-11-29 18:00"),
        ("thursday 18:00", "2026-11-26 18:00"),  # later today
        ("thursday 06:00", "2026-12-03 06:00"),  # already past today (it is 07:00): next week
        ("18:30", "2026-11-26 18:30"),
        ("06:00", "2026-11-27 06:00"),  # past today: tomorrow
        ("tomorrow at 9:05", "2026-11-27 09:05"),
        ("2027-03-14 02:30", "2027-03-14 03:00"),  # in the gap: its end
        ("2027-01-02", "2027-01-02 00:00"),
        ("in 20 minutes", "2026-11-26 07:20"),
        ("in 2h", "2026-11-26 09:00"),
        ("in 1h30m", "2026-11-26 08:30"),
        ("tomorrow 9am", "2026-11-27 09:00"),
        ("tomorrow 9 am", "2026-11-27 09:00"),
        ("9:30 pm tomorrow", "2026-11-27 21:30"),
        ("today 18:00", "2026-11-26 18:00"),
        ("fri 9:30", "2026-11-27 09:30"),
        ("Monday 7am", "2026-11-30 07:00"),
        ("2026-12-24T18:00", "2026-12-24 18:00"),
    ],
)
def test_parse_when(text: str, local: str) -> None:
    due = parse_when(text, THURSDAY_NOON, NY)
    assert due.astimezone(NY).strftime("%Y-%m-%d %H:%M") == local


@pytest.mark.parametrize("text", ["yesterday 9:00", "2020-01-01 10:00", "today 06:00", "someday", "25:00", "in x min"])
def test_parse_when_refuses_the_past_and_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_when(text, THURSDAY_NOON, NY)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("20m", 20), ("2h", 120), ("1h30m", 90), ("1d", 1440), ("90 minutes", 90), ("1 h 30 min", 90), ("45s", 0.75)],
)
def test_parse_duration(text: str, minutes: float) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["20", "m", "1.5h", "2 weeks", "h1", "-5m", ""])
def test_parse_duration_refuses_what_is_not_one(text: str) -> None:
    assert parse_duration(text) is None


def test_after_duration_is_ahead_by_whole_seconds_and_names_its_field() -> None:
    assert after_duration("1h30m", THURSDAY_NOON + timedelta(microseconds=5)) == THURSDAY_NOON + timedelta(
        hours=1, minutes=30, seconds=1
    )
    for text in ("0m", "4000d", "soon"):
        with pytest.raises(InvalidInput) as refused:
            after_duration(text, THURSDAY_NOON)
        assert refused.value.field == "in"
    with pytest.raises(InvalidInput) as late:
        parse_when("today 06:00", THURSDAY_NOON, NY)
    assert late.value.field == "at"


def test_parse_instant_reads_local_or_offset_times() -> None:
    assert parse_instant("2027-03-13T00:00", NY) == utc(2027, 3, 13, 5)
    assert parse_instant("2027-03-13T00:00+00:00", NY) == utc(2027, 3, 13)
    with pytest.raises(InvalidInput):
        parse_instant("next week", NY)


# --- scanning, grace, retries -------------------------------------------------------------------


def test_scan_window_first_scan_looks_back_over_the_grace_only() -> None:
    grace = timedelta(hours=1)
    assert scan_window(None, THURSDAY_NOON, grace) == (THURSDAY_NOON - grace, THURSDAY_NOON)
    assert scan_window(THURSDAY_NOON, THURSDAY_NOON, grace) is None
    assert scan_window(THURSDAY_NOON + timedelta(hours=1), THURSDAY_NOON, grace) is None  # clock went back
    resumed = THURSDAY_NOON + timedelta(days=3)
    assert scan_window(THURSDAY_NOON, resumed, grace) == (resumed - timedelta(days=1), resumed)


def test_grace_and_backoff() -> None:
    due = THURSDAY_NOON
    assert not is_missed(due, due + timedelta(minutes=60), timedelta(hours=1))
    assert is_missed(due, due + timedelta(minutes=61), timedelta(hours=1))
    delays = [retry_delay(n) for n in range(1, 6)]
    assert delays == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8), timedelta(minutes=32), None]


# --- through the database: grace, no double send, done habits, retries -------------------------


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")


def _add_water(ctx, remind: str = "09:00,13:00") -> int:
    from paa.core.habits.manage import HabitFields, add_habit

    habit = add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8, remind=remind))
    assert habit.id is not None
    return habit.id


def _claim(make_ctx, channels=("webhook",), claimer="host:1", alive=None):
    from paa.core.reminders.outbox import claim_due

    with make_ctx(write=True) as ctx:
        return claim_due(ctx, list(channels), claimer, alive=alive)


def _rows(make_ctx) -> list[tuple[str, str, str, int]]:
    from paa.core.reminders.outbox import notification_history

    with make_ctx() as ctx:
        rows = notification_history(ctx, limit=1000)
    return sorted((r.due_at.strftime("%d %H:%M"), r.channel, r.status, r.attempts) for r in rows)


def test_due_reminder_is_claimed_once_per_channel_and_never_again(make_ctx, clock: FixedClock, berlin) -> None:
    clock.instant = utc(2026, 11, 26, 6)  # 07:00 in Berlin
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    assert _claim(make_ctx).events == []
    clock.advance(timedelta(hours=2, seconds=1))  # 09:00:01
    first = _claim(make_ctx, channels=("webhook", "log"))
    [event] = first.events
    assert event.type == "habit:reminder" and event.due_at == utc(2026, 11, 26, 8) and not event.late
    assert [d.channel for d in event.deliveries] == ["webhook", "log"]
    assert "paa habit log 'Drink water'" in event.body
    # the same instant again, and another process at the same time: nothing more to send
    assert _claim(make_ctx, channels=("webhook", "log")).events == []
    assert _claim(make_ctx, channels=("webhook", "log"), claimer="other:2").events == []
    assert _rows(make_ctx) == [("26 08:00", "log", "sending", 1), ("26 08:00", "webhook", "sending", 1)]


def test_the_unique_key_stops_a_second_sender_even_without_the_cursor(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.db.models import ReminderCursor

    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    _claim(make_ctx)
    clock.advance(timedelta(hours=2, seconds=5))
    assert len(_claim(make_ctx).events) == 1
    with make_ctx(write=True) as ctx:  # as if a second process had read the cursor before the first moved it
        cursor = ctx.session.get(ReminderCursor, ctx.user_id)
        cursor.scanned_until = utc(2026, 11, 26, 6)
        ctx.session.add(cursor)
    again = _claim(make_ctx, claimer="other:2")
    assert again.scanned is not None and again.events == []


def test_missed_within_grace_is_sent_late_and_older_is_marked_missed(make_ctx, clock: FixedClock, berlin) -> None:
    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    _claim(make_ctx)
    # asleep from 07:00 until 13:40: 09:00 is beyond the hour of grace, 13:00 within it
    clock.instant = utc(2026, 11, 26, 12, 40)
    claim = _claim(make_ctx)
    assert claim.missed == 1
    [late] = claim.events
    assert late.due_at == utc(2026, 11, 26, 12) and late.late and "due at 13:00" in late.body
    assert _rows(make_ctx) == [("26 08:00", "webhook", "missed", 0), ("26 12:00", "webhook", "sending", 1)]


def test_grace_is_configurable(make_ctx, clock: FixedClock, berlin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_REMINDER_GRACE_MINUTES", "5")
    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 12, 6)
    claim = _claim(make_ctx)
    assert claim.missed == 2 and claim.events == []


def test_first_start_only_looks_back_over_the_grace(make_ctx, clock: FixedClock, berlin) -> None:
    clock.instant = utc(2026, 11, 25, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    clock.instant = utc(2026, 11, 26, 8, 30)  # never scanned before: yesterday is not reported as missed
    claim = _claim(make_ctx)
    assert claim.missed == 0 and [e.due_at for e in claim.events] == [utc(2026, 11, 26, 8)]


def test_done_habit_and_done_checkin_are_not_reminded(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.core.checkins.entries import Answer, save_checkin
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx)
    _claim(make_ctx)
    with make_ctx(write=True) as ctx:
        log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=8)
        save_checkin(ctx, ctx.today(), [Answer("How was your day?", "Good")], mood=4)
    clock.instant = utc(2026, 11, 26, 20, 0, 30)  # after 09:00, 13:00 and the 21:00 check-in
    claim = _claim(make_ctx)
    assert claim.events == [] and claim.suppressed == 3


def test_remind_when_done_sends_anyway(make_ctx, clock: FixedClock, berlin, monkeypatch: pytest.MonkeyPatch) -> None:
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    monkeypatch.setenv("PAA_REMIND_WHEN_DONE", "true")
    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="09:00")
        log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=8)
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 8, 0, 30)
    assert len(_claim(make_ctx).events) == 1


def test_partial_progress_still_reminds(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="09:00")
        log_habit(ctx, resolve_habit(ctx, "water"), ctx.today(), value=3)
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 8, 0, 30)
    assert len(_claim(make_ctx).events) == 1


def test_failed_delivery_is_retried_with_backoff_then_given_up(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.core.reminders.outbox import DeliveryResult, next_retry_at, record_results

    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="09:00")
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 8, 0, 1)
    [event] = _claim(make_ctx).events
    row_id = event.deliveries[0].notification_id
    expected_waits = [30, 120, 480, 1920]
    for attempt, wait in enumerate(expected_waits, start=1):
        with make_ctx(write=True) as ctx:
            record_results(ctx, [DeliveryResult(row_id, False, f"boom {attempt}")], "host:1")
            assert next_retry_at(ctx) == clock.now() + timedelta(seconds=wait)
        clock.advance(timedelta(seconds=wait - 1))
        assert _claim(make_ctx).retries == []
        clock.advance(timedelta(seconds=1))
        [retry] = _claim(make_ctx).retries
        assert retry.late and [d.notification_id for d in retry.deliveries] == [row_id]
    with make_ctx(write=True) as ctx:
        record_results(ctx, [DeliveryResult(row_id, False, "boom 5")], "host:1")
        assert next_retry_at(ctx) is None
    assert _rows(make_ctx) == [("26 08:00", "webhook", "failed", 5)]


def test_a_claim_left_by_a_dead_process_is_closed_not_resent(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.core.reminders.outbox import INTERRUPTED, notification_history

    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="09:00")
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 8, 0, 1)
    assert len(_claim(make_ctx, claimer="host:111").events) == 1  # then host:111 dies before recording
    clock.advance(timedelta(seconds=5))
    alive_check = _claim(make_ctx, claimer="host:222", alive=lambda claimer: claimer != "host:111")
    assert alive_check.interrupted == 1 and alive_check.events == [] and alive_check.retries == []
    with make_ctx() as ctx:
        [row] = notification_history(ctx)
    assert (row.status, row.error, row.next_attempt_at) == ("failed", INTERRUPTED, None)


def test_a_claim_past_its_lease_is_closed(make_ctx, clock: FixedClock, berlin) -> None:
    clock.instant = utc(2026, 11, 26, 6)
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="09:00")
    _claim(make_ctx)
    clock.instant = utc(2026, 11, 26, 8, 0, 1)
    _claim(make_ctx, claimer="elsewhere:1")
    clock.advance(timedelta(minutes=5))
    assert _claim(make_ctx).interrupted == 0  # still within its lease: maybe still sending
    clock.advance(timedelta(minutes=6))
    assert _claim(make_ctx).interrupted == 1


def test_dst_through_the_database(make_ctx, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "America/New_York")
    clock.instant = utc(2027, 3, 14, 6)  # 01:00 EST, an hour before clocks spring forward
    with make_ctx(write=True) as ctx:
        _add_water(ctx, remind="02:30")
    _claim(make_ctx)
    clock.instant = utc(2027, 3, 14, 7, 0, 1)  # 03:00:01 EDT
    [event] = _claim(make_ctx).events
    assert event.due_at == utc(2027, 3, 14, 7) and event.day == date(2027, 3, 14)


def test_custom_reminders_add_list_remove(make_ctx, clock: FixedClock, berlin) -> None:
    from paa.core.reminders.custom import add_reminder, reminders_overview, remove_reminder
    from paa.errors import NotFound

    with make_ctx(write=True) as ctx:
        once = add_reminder(ctx, "Call mom", at="sunday 18:00")
        weekly = add_reminder(ctx, "Weekly review", cron="0 17 * * fri")
        with pytest.raises(InvalidInput):
            add_reminder(ctx, "both", at="sunday 18:00", cron="0 17 * * FRI")
        with pytest.raises(InvalidInput):
            add_reminder(ctx, "never", cron="0 0 30 2 *")
    assert once.at == utc(2026, 11, 29, 17) and once.next == once.at
    assert weekly.next == utc(2026, 11, 27, 16)
    with make_ctx() as ctx:
        overview = reminders_overview(ctx)
    assert [r.text for r in overview.reminders] == ["Call mom", "Weekly review"]
    assert overview.checkin_next == utc(2026, 11, 26, 20)
    with make_ctx(write=True) as ctx:
        assert remove_reminder(ctx, str(once.id)).text == "Call mom"
        with pytest.raises(NotFound):
            remove_reminder(ctx, str(once.id))
