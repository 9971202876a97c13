"""What the screens show and do, as plain values: read in one short transaction, written in another.

Everything here runs in worker threads, never on the event loop; screens receive the frozen results in messages.
It only calls core and ai; the figures and rules live there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paa.errors import PaaError

if TYPE_CHECKING:  # kept out of the import: `paa tui` draws the first dashboard before loading the database layer
    from paa.ai.store import ConversationView, MessageView
    from paa.core.analytics.habit_stats import HabitStats
    from paa.core.analytics.reports import HeatCell, Overview
    from paa.core.checkins.entries import Checkin, SaveResult
    from paa.core.context import Context
    from paa.core.habits.overview import HabitDetail
    from paa.db.models import Habit
    from paa.tui.store import Store

DASHBOARD_PERIOD_DAYS = 30
COMPLETION_DAYS = 14
RECENT_DAYS = 14
MOOD_DAYS = 30
UPCOMING_SHOWN = 6
INSIGHTS_SHOWN = 3
HEATMAP_DAYS = 365
PERIODS = ("7d", "30d", "90d", "365d", "all")


# ---- habits as rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HabitRow:
    """One habit as the dashboard and the habit list show it, as of the current habit day."""

    id: int
    name: str
    kind: str
    unit: str | None
    target: float | None
    at_most: bool
    schedule: str
    category: str | None
    archived: bool
    state: str  # a DayState: done | partial | over | within | skipped | due | not_due | missed
    value: float | None
    streak: int
    best: int
    strength: float | None = None
    recent: tuple[str, ...] = ()  # the states of the last RECENT_DAYS days, oldest first (dashboard only)

    @property
    def measurable(self) -> bool:
        return self.kind == "measurable"


def _rows(
    ctx: Context,
    habits: list[Habit],
    strengths: Mapping[int, float] | None = None,
    recent: Mapping[int, tuple[str, ...]] | None = None,
) -> list[HabitRow]:
    from paa.core.habits.manage import schedule_of
    from paa.core.habits.overview import statuses

    rows = []
    for status in statuses(ctx, habits):
        habit = status.habit
        assert habit.id is not None
        rows.append(
            HabitRow(
                id=habit.id,
                name=habit.name,
                kind=habit.kind,
                unit=habit.unit,
                target=habit.target,
                at_most=habit.target_type == "at_most",
                schedule=schedule_of(habit).describe(),
                category=habit.category,
                archived=habit.archived,
                state=status.state,
                value=status.entry.value if status.entry else None,
                streak=status.streaks.current.length if status.streaks.current else 0,
                best=status.streaks.best.length if status.streaks.best else 0,
                strength=(strengths or {}).get(habit.id),
                recent=(recent or {}).get(habit.id, ()),
            )
        )
    return rows


# ---- the dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingItem:
    local: datetime
    title: str
    kind: str  # habit | checkin | custom


@dataclass(frozen=True)
class DayRate:
    day: date
    done: int
    due: int

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due


@dataclass(frozen=True)
class CheckinSummary:
    """Today's check-in as the dashboard shows it: plain values, so a dashboard travels between processes."""

    mood: int | None
    energy: int | None
    feeling: str | None  # the sentiment's label, when the answers had words


@dataclass(frozen=True)
class Dashboard:
    """Everything the home screen shows, read in one transaction."""

    day: date
    now: datetime
    habits: list[HabitRow]
    checkin: CheckinSummary | None
    checkin_time: str
    moods: list[int | None]  # the last MOOD_DAYS days, oldest first
    mood_average: float | None
    sentiments: list[float | None]  # the 7-day mean sentiment of the check-in answers (-1 to 1), same days
    sentiment_average: float | None
    completion: list[DayRate]  # the last COMPLETION_DAYS days, oldest first; the last one is today so far
    upcoming: list[UpcomingItem]
    insights: list[str]
    who: str | None = None  # the acting user's name, shown in the top bar once accounts exist


def load_dashboard(ctx: Context) -> Dashboard:
    from paa.core.analytics.periods import Period
    from paa.core.analytics.reports import overview
    from paa.core.checkins.entries import find_checkin
    from paa.core.habits.manage import list_habits
    from paa.core.reminders.upcoming import upcoming

    today = ctx.today()
    view = overview(ctx, today, Period(DASHBOARD_PERIOD_DAYS, f"{DASHBOARD_PERIOD_DAYS}d"))
    strengths = {stats.habit.id: stats.strength for stats in view.habits}
    recent = {stats.habit.id: tuple(point.state for point in stats.days[-RECENT_DAYS:]) for stats in view.habits}
    habits = _rows(ctx, list_habits(ctx), strengths, recent)
    moods_by_day = {day.day: day.mood for day in view.mood.days}
    feelings_by_day = {day.day: day.sentiment_trend for day in view.mood.days}
    mood_days = [today - timedelta(days=n) for n in range(MOOD_DAYS - 1, -1, -1)]
    moods = [moods_by_day.get(day) for day in mood_days]
    known = [m for m in moods if m is not None]
    rates = {d.day: DayRate(d.day, d.done, d.due) for d in view.completion.days}
    completion_days = [today - timedelta(days=n) for n in range(COMPLETION_DAYS - 1, -1, -1)]
    completion = [rates.get(day, DayRate(day, 0, 0)) for day in completion_days]
    coming = [UpcomingItem(item.local, item.title, item.occurrence.kind) for item in upcoming(ctx, ctx.now(), 1)]
    checkin = find_checkin(ctx, today)
    return Dashboard(
        who=ctx.user.username if ctx.acting is not None and ctx.acting.accounts_exist else None,
        day=today,
        now=ctx.now(),
        habits=habits,
        checkin=CheckinSummary(checkin.mood, checkin.energy, checkin.sentiment.label if checkin.sentiment else None)
        if checkin
        else None,
        checkin_time=ctx.prefs.checkin_time,
        moods=moods,
        mood_average=sum(known) / len(known) if known else None,
        sentiments=[feelings_by_day.get(day) for day in mood_days],
        sentiment_average=view.mood.sentiment_average,
        completion=completion,
        upcoming=coming[:UPCOMING_SHOWN],
        insights=[insight.text for insight in view.insights[:INSIGHTS_SHOWN]],
    )


# ---- logging from a screen -----------------------------------------------------------------------


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def log_done(ctx: Context, habit_id: int, value: float | None = None, *, replace: bool = False) -> str:
    """Mark a habit done today (adding `value` for a measurable one); returns what happened, in words."""
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    habit = resolve_habit(ctx, str(habit_id))
    result = log_habit(ctx, habit, ctx.today(), value=value, replace=replace)
    if result.outcome == "unchanged":
        return f"{habit.name} was already done today."
    if habit.kind == "measurable":
        bound = "at most " if habit.target_type == "at_most" else ""
        unit = f" {habit.unit}" if habit.unit else ""
        return f"Logged {habit.name}: {_number(result.log.value)} of {bound}{_number(habit.target)}{unit}."
    return f"Logged {habit.name}."


def skip_today(ctx: Context, habit_id: int) -> str:
    from paa.core.habits.logs import skip_habit
    from paa.core.habits.manage import resolve_habit

    habit = resolve_habit(ctx, str(habit_id))
    result = skip_habit(ctx, habit, ctx.today())
    if result.outcome == "unchanged":
        return f"{habit.name} was already skipped today."
    return f"Skipped {habit.name} today. Your streak is safe."


def undo_today(ctx: Context, habit_id: int) -> str:
    from paa.core.habits.logs import unlog_habit
    from paa.core.habits.manage import resolve_habit

    habit = resolve_habit(ctx, str(habit_id))
    removed = unlog_habit(ctx, habit, ctx.today())
    return f"Removed today's {removed.status} entry of {habit.name}."


# ---- the habit list, one habit, and the form ---------------------------------------------------------


def load_habit_rows(ctx: Context) -> list[HabitRow]:
    """Every habit, archived ones too (the screen filters), with today's state and streaks."""
    from paa.core.habits.manage import list_habits

    return _rows(ctx, list_habits(ctx, include_archived=True))


@dataclass(frozen=True)
class HistoryRow:
    day: date
    status: str
    value: float | None
    note: str | None
    state: str = ""  # the day's state (a DayState), in the words `paa habit history` uses


@dataclass(frozen=True)
class HabitPage:
    """One habit in depth: its definition, today's detail, a year of days for the heatmap, and its log."""

    habit: dict[str, Any]  # the stable JSON form (habit_json)
    detail: HabitDetail
    stats: HabitStats
    heat: list[HeatCell]
    history: list[HistoryRow]
    week_start: str


def load_habit_page(ctx: Context, habit_id: int) -> HabitPage:
    from paa.core.analytics.periods import Period
    from paa.core.analytics.reports import HeatCell, habit_report, state_level
    from paa.core.habits.logs import history
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.overview import detail, habit_json, logged_days

    habit = resolve_habit(ctx, str(habit_id))
    today = ctx.today()
    stats = habit_report(ctx, str(habit_id), today, Period(HEATMAP_DAYS, f"{HEATMAP_DAYS}d"))
    heat = [HeatCell(p.day, state_level(stats.habit, p.state, p.value), p.state, value=p.value) for p in stats.days]
    logs = [
        HistoryRow(day.log.day, day.log.status, day.log.value, day.log.note, day.state)
        for day in logged_days(ctx, habit, history(ctx, habit)[:200])
    ]
    return HabitPage(habit_json(habit), detail(ctx, habit), stats, heat, logs, ctx.prefs.week_start)


@dataclass(frozen=True)
class HabitForm:
    """What a person typed into the habit form, as text; `schedule` is daily, weekdays or x_per_y."""

    name: str = ""
    unit: str = ""
    target: str = ""
    at_most: bool = False
    schedule: str = "daily"
    days: str = ""
    times: str = ""
    per: str = ""
    remind: str = ""
    remind_days: str = ""
    category: str = ""
    color: str = ""
    description: str = ""


def form_of(habit: Mapping[str, Any]) -> HabitForm:
    """The form filled from a habit's JSON form, for editing."""
    schedule = habit["schedule"]
    return HabitForm(
        name=habit["name"],
        unit=habit["unit"] or "",
        target="" if habit["target"] is None else f"{habit['target']:g}",
        at_most=habit["target_type"] == "at_most",
        schedule=schedule["type"],
        days=",".join(schedule["weekdays"]) if schedule["type"] == "weekdays" else "",
        times=str(schedule["times"]) if schedule["type"] == "x_per_y" else "",
        per=str(schedule["period_days"]) if schedule["type"] == "x_per_y" else "",
        remind=",".join(habit["reminders"]),
        remind_days=",".join(habit["reminder_days"]),
        category=habit["category"] or "",
        color=habit["color"] or "",
        description=habit["description"] or "",
    )


def load_habit_form(ctx: Context, habit_id: int) -> HabitForm:
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.overview import habit_json

    return form_of(habit_json(resolve_habit(ctx, str(habit_id))))


def form_text(message: str) -> str:
    """Core's text in the form's words: a field it refers to (`times`) is named as the form names it (times)."""
    from paa.core.habits.form import FORM_FIELDS
    from paa.errors import name_fields

    return name_fields(message, {name: name.replace("_", " ") for name in FORM_FIELDS})


def check_form(form: HabitForm) -> tuple[Any, dict[str, str]]:
    """Check each field with core's own rules; return the HabitFields to save and the messages by field."""
    from dataclasses import asdict

    from paa.core.habits.form import read_habit_form

    fields, errors = read_habit_form(asdict(form))
    return fields, {name: form_text(error.message) for name, error in errors.items()}


@dataclass(frozen=True)
class FormOutcome:
    """Saving the form: the habit's id when saved, else the messages by field ("" for the form as a whole)."""

    habit_id: int | None
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


def save_habit_form(store: Store, habit_id: int | None, form: HabitForm) -> FormOutcome:
    """Check the form field by field, then add or change the habit in one short write transaction."""
    from paa.core.habits.manage import add_habit, edit_habit, resolve_habit

    fields, errors = check_form(form)
    if errors:
        return FormOutcome(None, errors)
    try:
        with store.write() as ctx:
            if habit_id is None:
                habit = add_habit(ctx, fields)
                verb = "Added"
            else:
                habit = edit_habit(ctx, resolve_habit(ctx, str(habit_id)), fields)
                verb = "Saved"
            assert habit.id is not None
            return FormOutcome(habit.id, message=f"{verb} {habit.name}.")
    except PaaError as exc:
        from paa.core.habits.form import FORM_FIELDS

        return FormOutcome(None, {exc.field if exc.field in FORM_FIELDS else "": form_text(exc.message)})


def set_archived(ctx: Context, habit_id: int, archived: bool) -> str:
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.manage import set_archived as archive

    habit = archive(ctx, resolve_habit(ctx, str(habit_id)), archived)
    return f"{'Archived' if archived else 'Restored'} {habit.name}."


def delete_habit(ctx: Context, habit_id: int) -> str:
    from paa.core.habits.manage import delete_habit as remove
    from paa.core.habits.manage import resolve_habit

    habit = resolve_habit(ctx, str(habit_id))
    name = habit.name
    logs = remove(ctx, habit)
    return f"Deleted {name} and its {logs} log{'s' if logs != 1 else ''}."


# ---- check-in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinPage:
    day: date
    prompts: list[str]  # the form's rows: the prompts the day's answers went to, then current ones not answered
    existing: Checkin | None
    today: date


def load_checkin(ctx: Context, day: str = "today") -> CheckinPage:
    """The check-in form for `day`, a day as `paa checkin --date` reads it; InvalidInput if unreadable or future."""
    from paa.core.checkins.entries import find_checkin, prompts_for
    from paa.core.dates import parse_day

    today = ctx.today()
    chosen = parse_day(day, today)
    existing = find_checkin(ctx, chosen)
    return CheckinPage(chosen, prompts_for(ctx, existing), existing, today)


def save_checkin(
    ctx: Context, day: date, prompts: list[str], texts: list[str | None], mood: int | None, energy: int | None
) -> SaveResult:
    """Save the form as the day's check-in: a new one, or the stored one replaced (blank answers left out)."""
    from paa.ai import checkins
    from paa.core.checkins.entries import pair_answers

    # The form showed the stored answers, mood and energy, so what it holds now is the whole check-in.
    return checkins.save_whole(ctx, day, pair_answers(prompts, texts), mood=mood, energy=energy)


# ---- analytics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HabitChoice:
    id: int
    name: str


@dataclass(frozen=True)
class AnalyticsPage:
    """The analytics views for one period ending on `as_of`: every habit (`overview`), or one habit (`stats`)."""

    period: str
    habits: list[HabitChoice]
    overview: Overview | None
    stats: HabitStats | None
    heat: list[HeatCell]
    as_of: date
    today: date


def load_analytics(ctx: Context, period: str, habit_id: int | None, as_of: str | None = None) -> AnalyticsPage:
    """Read the views; `as_of` is a day as `paa analytics --as-of` takes it (None: today), checked by core."""
    from paa.core.analytics.periods import Period, parse_period
    from paa.core.analytics.reports import HeatCell, as_of_day, habit_report, overall_heatmap, overview, state_level
    from paa.core.habits.manage import list_habits

    today = ctx.today()
    day = as_of_day(ctx, as_of)
    chosen = parse_period(period)
    habits = [HabitChoice(h.id or 0, h.name) for h in list_habits(ctx, include_archived=True)]
    heat_period = Period(HEATMAP_DAYS, f"{HEATMAP_DAYS}d")
    if habit_id is not None and any(h.id == habit_id for h in habits):
        stats = habit_report(ctx, str(habit_id), day, chosen)
        year = habit_report(ctx, str(habit_id), day, heat_period)
        heat = [HeatCell(p.day, state_level(year.habit, p.state, p.value), p.state, value=p.value) for p in year.days]
        return AnalyticsPage(chosen.label, habits, None, stats, heat, day, today)
    return AnalyticsPage(
        chosen.label, habits, overview(ctx, day, chosen), None, overall_heatmap(ctx, day, heat_period).cells, day, today
    )


# ---- chat ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationItem:
    id: int
    title: str
    when: datetime
    messages: int
    snippet: str | None = None  # the matching message, when found by a search


def load_conversations(ctx: Context, query: str = "", limit: int = 50) -> list[ConversationItem]:
    """The latest conversations, or those with a message matching `query` (newest match first)."""
    from paa.ai.store import get_conversation, list_conversations, search_messages

    if not query.strip():
        return [
            ConversationItem(c.id, c.title or "(untitled)", c.updated_at, c.messages)
            for c in list_conversations(ctx, limit)
        ]
    found: dict[int, ConversationItem] = {}
    for hit in search_messages(ctx, query, limit=limit):
        message = hit.message
        if message.conversation_id in found:
            continue
        conversation = get_conversation(ctx, message.conversation_id)
        found[message.conversation_id] = ConversationItem(
            message.conversation_id, hit.conversation_title or "(untitled)", conversation.updated_at, 0,
            " ".join(message.content.split())[:80],
        )  # fmt: skip
    return list(found.values())


def load_conversation(ctx: Context, conversation_id: int) -> tuple[ConversationView, list[MessageView]]:
    from paa.ai.store import conversation_detail

    return conversation_detail(ctx, conversation_id)


def insight_line(ctx: Context, conversation_id: int) -> str | None:
    """A conversation's stored insight as one short line (its topics and intents), or None before one was kept."""
    from paa.ai.insights import stored_insight

    insight = stored_insight(ctx, conversation_id)
    if insight is None or not (insight.topics or insight.intents):
        return None
    return f"Topics: {', '.join(insight.topics) or 'none'} · intents: {', '.join(insight.intents) or 'none'}"


def latest_conversation(ctx: Context) -> int | None:
    from paa.ai.store import latest_conversation_id

    return latest_conversation_id(ctx)
