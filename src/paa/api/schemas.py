"""The shapes of docs/json.md's objects as OpenAPI schemas, for the routes that answer them.

They document answers; they do not build them (core's `to_json` does, for the CLI and the API alike), so a route
names one in `responses` and keeps `response_model=None`: no second serialisation on every request. The fuzzing
test (tests/api/test_fuzz_openapi.py) holds every real answer to them. Every documented field is required; fields
added later (json.md's stability rule) are allowed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DayState = Literal["done", "partial", "over", "within", "skipped", "due", "missed", "not_due"]


class Schedule(BaseModel):
    type: Literal["daily", "weekdays", "x_per_y"]
    weekdays: list[Weekday]
    times: int
    period_days: int
    text: str = Field(description="The schedule in words, for people, not for parsing.")


class Habit(BaseModel):
    """A habit's definition (json.md: Habit)."""

    id: int
    name: str
    description: str | None
    category: str | None
    color: str | None
    kind: Literal["boolean", "measurable"]
    unit: str | None
    target: float | None
    target_type: Literal["at_least", "at_most"] | None
    schedule: Schedule
    reminders: list[str] = Field(description="Reminder times (HH:MM), sorted.")
    reminder_days: list[Weekday]
    archived: bool
    created_at: datetime


class HabitToday(BaseModel):
    day: date
    state: DayState
    value: float | None


class Streak(BaseModel):
    current: int
    current_start: date | None
    best: int


class HabitStatus(Habit):
    """A habit as of today (json.md: HabitStatus)."""

    today: HabitToday
    streak: Streak


class RecentDay(BaseModel):
    day: date
    state: DayState


class Completion(BaseModel):
    last_7d: float | None = Field(alias="7d")
    last_30d: float | None = Field(alias="30d")
    last_90d: float | None = Field(alias="90d")
    all: float | None


class HabitStats(BaseModel):
    total_done: int
    total_skipped: int
    total_value: float | None
    last_done: date | None
    completion: Completion
    first_day: date


class HabitDetail(HabitStatus):
    """What `paa habit show` knows about a habit (json.md: HabitDetail)."""

    recent: list[RecentDay]
    stats: HabitStats


class HabitRef(BaseModel):
    id: int
    name: str


class Log(BaseModel):
    """What was recorded for a habit on one day (json.md: Log)."""

    day: date
    status: Literal["done", "skipped"]
    value: float | None
    note: str | None


class LoggedDay(Log):
    state: DayState


class HabitsToday(BaseModel):
    day: date
    habits: list[HabitStatus]


class HabitHistory(BaseModel):
    habit: HabitRef
    logs: list[LoggedDay]


class LogResult(BaseModel):
    """What logging or skipping did (json.md: `paa habit log --json`)."""

    habit: HabitRef
    outcome: Literal["created", "updated", "unchanged"]
    log: Log
    note_shortened: bool


class Unlogged(BaseModel):
    habit: HabitRef
    removed: Log = Field(description="What was removed (nothing recorded that day is a 404).")


class Answer(BaseModel):
    prompt: str
    answer: str


class Sentiment(BaseModel):
    score: float = Field(ge=-1, le=1)
    label: Literal["positive", "negative", "neutral"]
    source: str = Field(examples=["vader"])


class Checkin(BaseModel):
    """One day's check-in (json.md: Checkin)."""

    day: date
    mood: int | None = Field(ge=1, le=5)
    energy: int | None = Field(ge=1, le=5)
    answers: list[Answer]
    sentiment: Sentiment | None
    reflection: str | None
    created_at: datetime
    updated_at: datetime


class ReflectionWeek(BaseModel):
    from_: date = Field(alias="from")
    to: date
    checkins: int
    mood_average: float | None


class OpenHabit(BaseModel):
    id: int
    name: str
    state: Literal["due", "partial"]
    value: float | None
    target: float | None
    unit: str | None


class Reflection(BaseModel):
    day: date
    mood: int | None
    week: ReflectionWeek
    mood_vs_week: Literal["higher", "lower", "same"] | None
    open_habits: list[OpenHabit] | None
    text: str


class CheckinResult(BaseModel):
    """What saving or editing a check-in did (json.md: CheckinResult)."""

    outcome: Literal["created", "appended", "replaced", "edited"]
    checkin: Checkin
    reflection: Reflection


class CheckinHistory(BaseModel):
    from_: date | None = Field(alias="from")
    to: date | None
    count: int
    mood_average: float | None
    checkins: list[Checkin]


class Prompt(BaseModel):
    position: int
    text: str


class UserProfile(BaseModel):
    """Your account (json.md: User, as `paa auth whoami --json` shows it)."""

    id: int
    username: str
    email: str | None
    display_name: str | None
    role: Literal["admin", "member"]
    is_active: bool
    created_at: datetime
    last_login: datetime | None
    has_password: bool
    identities: list[str] = Field(description="OAuth providers linked to the account.")


class Setting(BaseModel):
    """One setting with its value and where the value came from (json.md: Setting, as `paa config show --json`)."""

    key: str
    value: Any
    source: Literal["env", "file", "stored", "default", "detected"]
    scope: Literal["install", "user"]
    description: str


class ApiToken(BaseModel):
    """An API token, never the token itself (json.md: ApiToken)."""

    id: int
    name: str | None
    scopes: list[Literal["read", "write"]]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class LoginSession(BaseModel):
    """One of your logins: a terminal session, or an API or browser login (json.md: Session)."""

    id: int
    username: str
    kind: Literal["session", "refresh"] = Field(description="session: a terminal's; refresh: an API or browser login.")
    label: str | None = Field(description="What logged in: cli on <host>, api, browser.")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool
    current: bool


class NewApiToken(ApiToken):
    token: str = Field(description="The token, shown this once: send it as `Authorization: Bearer <token>`.")


class Memory(BaseModel):
    """Something paa remembers (json.md: Memory)."""

    id: int
    kind: str = Field(description="fact, message, checkin or attachment.")
    content: str
    source_id: int | None
    derived: bool
    created_at: datetime
    embedded: bool


class Reminder(BaseModel):
    """A custom reminder (reminders.md: Reminder)."""

    id: int
    text: str
    kind: Literal["once", "cron"]
    at: datetime | None
    cron: str | None
    next: datetime | None
    last_status: str | None
    created_at: datetime


class ReminderAction(BaseModel):
    """What a snooze or a done did (reminders.md: ReminderAction)."""

    kind: Literal["custom", "habit"]
    ref_id: int
    title: str
    action: Literal["snoozed-notification", "snoozed-next", "done", "removed", "logged"]
    until: datetime | None


class HabitReminder(BaseModel):
    habit_id: int
    name: str
    times: list[str] = Field(description="Reminder times, HH:MM, sorted.")
    days: list[Weekday] = Field(description="The days reminders fire; empty: the days the habit is due.")
    next: datetime | None


class CheckinReminder(BaseModel):
    time: str = Field(description="Your check-in time, HH:MM.")
    next: datetime | None


class Notification(BaseModel):
    """One delivery of one reminder on one channel (reminders.md: Notification)."""

    id: int
    type: str
    kind: Literal["habit", "checkin", "custom"]
    ref_id: int | None
    channel: str
    title: str
    body: str
    due_at: datetime
    status: str
    attempts: int
    error: str | None
    sent_at: datetime | None
    next_attempt_at: datetime | None


class Reminders(BaseModel):
    """Everything that reminds you (reminders.md: `paa remind list --json`)."""

    reminders: list[Reminder]
    habits: list[HabitReminder]
    checkin: CheckinReminder
    history: list[Notification] | None


class Upcoming(BaseModel):
    """A reminder due in the window asked for (reminders.md: Upcoming)."""

    due_at: datetime
    local: str = Field(description="The same instant in your time zone, ISO 8601 with its offset.")
    type: Literal["habit:reminder", "checkin:prompt", "chat:notification"]
    kind: Literal["habit", "checkin", "custom"]
    ref_id: int
    title: str
    day: date | None


class AnalyticsPeriod(BaseModel):
    label: str = Field(description="The period in days (30d) or all.")
    start: date
    end: date
    days: int


class AnalyticsHabitInfo(BaseModel):
    """A habit as the analytics name it (analytics.md: AnalyticsHabitInfo)."""

    id: int
    name: str
    kind: Literal["boolean", "measurable"]
    unit: str | None
    target: float | None
    target_type: Literal["at_least", "at_most"] | None
    category: str | None
    archived: bool
    schedule: Schedule


class AnalyticsStreak(BaseModel):
    current: int
    current_start: date | None
    best: int
    best_start: date | None
    best_end: date | None


class AnalyticsCompletion(BaseModel):
    """Share of due days done (0-1; null when nothing was due)."""

    last_7d: float | None = Field(alias="7d")
    last_30d: float | None = Field(alias="30d")
    last_90d: float | None = Field(alias="90d")
    last_365d: float | None = Field(alias="365d")
    all: float | None
    period: float | None


class AnalyticsHabitSummary(AnalyticsHabitInfo):
    strength: float = Field(description="Habit strength (0-1) at the end of the as-of day.")
    strength_change: float = Field(description="Change in strength over the period (-1 to 1).")
    streak: AnalyticsStreak
    completion: AnalyticsCompletion
    period_done: int
    period_due: int


class AnalyticsCompletionDay(BaseModel):
    day: date
    done: int
    due: int
    rate: float | None


class AnalyticsDailyCompletion(BaseModel):
    average: float | None
    today: AnalyticsCompletionDay | None
    days: list[AnalyticsCompletionDay]


class AnalyticsMoodFigure(BaseModel):
    average: float | None
    n: int


class AnalyticsMoodFigures(AnalyticsMoodFigure):
    last_7d: float | None
    previous_period: float | None


class AnalyticsMoodHeadline(BaseModel):
    checkins: int = Field(description="Check-ins in the period with a mood, energy or sentiment.")
    mood: AnalyticsMoodFigures
    energy: AnalyticsMoodFigure
    sentiment: AnalyticsMoodFigure


class AnalyticsMoodDay(BaseModel):
    day: date
    mood: int | None
    energy: int | None
    sentiment: float | None
    mood_7d: float | None
    sentiment_7d: float | None


class AnalyticsHabitMood(BaseModel):
    habit: HabitRef
    n: int
    n_done: int
    n_other: int
    mood_done: float | None
    mood_other: float | None
    difference: float | None
    r: float | None = Field(description="Pearson's r between done (1/0) and mood; null when either does not vary.")
    caution: str | None


class AnalyticsMood(AnalyticsMoodHeadline):
    """Mood, energy and sentiment day by day, and mood beside each habit (analytics.md: `paa analytics mood
    --json`)."""

    start: date
    end: date
    days: list[AnalyticsMoodDay]
    habits: list[AnalyticsHabitMood]


class AnalyticsMeasure(BaseModel):
    total: float
    days_logged: int
    days: int
    average_logged: float | None
    average_daily: float | None
    on_target: int
    due_days: int
    on_target_rate: float | None
    highest: float | None
    lowest: float | None


class AnalyticsWeekday(BaseModel):
    day: Weekday
    done: int
    due: int
    rate: float | None


class AnalyticsDay(BaseModel):
    day: date
    state: DayState
    value: float | None
    strength: float


class AnalyticsTotals(BaseModel):
    done: int
    skipped: int
    period_done: int
    period_due: int
    period_skipped: int


class AnalyticsInsight(BaseModel):
    kind: str
    text: str
    numbers: Any = Field(description="The numbers the text rests on; the keys depend on `kind`.")


class AnalyticsInsights(BaseModel):
    """Plain-language observations (analytics.md: `paa analytics insights --json`)."""

    as_of: date
    period: AnalyticsPeriod
    insights: list[AnalyticsInsight]


class AnalyticsEngagementDay(BaseModel):
    day: date
    logs: int
    checkin: bool
    messages: int


class AnalyticsTopicCount(BaseModel):
    name: str
    conversations: int


class AnalyticsConversationTopics(BaseModel):
    conversations: int
    topics: list[AnalyticsTopicCount]
    intents: list[AnalyticsTopicCount]


class AnalyticsEngagementHeadline(BaseModel):
    """How much paa was used over the period (analytics.md: AnalyticsEngagementHeadline)."""

    start: date
    end: date
    days: int
    active_days: int
    active_rate: float | None
    checkins: int
    checkin_streak: int
    checkin_best: int
    habit_logs: int
    user_messages: int
    all_messages: int
    chat_days: int
    messages_per_day: float | None


class AnalyticsEngagement(AnalyticsEngagementHeadline):
    """How much paa was used, day by day (analytics.md: `paa analytics engagement --json`)."""

    series: list[AnalyticsEngagementDay]
    conversations: AnalyticsConversationTopics


class AnalyticsSummary(BaseModel):
    """Every habit's headline figures and the day-level headlines (analytics.md: `paa analytics summary --json`)."""

    as_of: date
    period: AnalyticsPeriod
    habits: list[AnalyticsHabitSummary]
    completion: AnalyticsDailyCompletion
    mood: AnalyticsMoodHeadline
    engagement: AnalyticsEngagementHeadline
    insights: list[AnalyticsInsight]


class AnalyticsHabitReport(BaseModel):
    """One habit in depth (analytics.md: AnalyticsHabitReport)."""

    habit: AnalyticsHabitInfo
    as_of: date
    period: AnalyticsPeriod
    first_day: date
    streak: AnalyticsStreak
    completion: AnalyticsCompletion
    strength: float
    strength_change: float
    totals: AnalyticsTotals
    measure: AnalyticsMeasure | None = Field(description="Amounts over the period; null for a yes/no habit.")
    weekdays: list[AnalyticsWeekday]
    history: list[AnalyticsDay]


class ChatAttachment(BaseModel):
    """A file sent with a message (chat.md: Attachment)."""

    id: int
    message_id: int | None
    name: str
    kind: str = Field(description="image, pdf or text")
    media_type: str
    size: int = Field(description="Bytes.")
    pages: int | None
    created_at: datetime


class ConversationFields(BaseModel):
    id: int
    title: str | None
    summary: str | None
    created_at: datetime
    updated_at: datetime
    input_tokens: int
    output_tokens: int


class Conversation(ConversationFields):
    """A conversation, its messages counted (chat.md: Conversation)."""

    messages: int


class ChatMessage(BaseModel):
    """One stored message (chat.md: ChatMessage)."""

    id: int
    conversation_id: int
    role: Literal["user", "assistant", "tool", "other"]
    content: str
    tool_calls: Any = Field(
        description="assistant: an array of {id, name, input} or null; tool: {tool_use_id, name, is_error, declined}."
    )
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    interrupted: bool
    created_at: datetime
    attachments: list[ChatAttachment]
    speaker: str | None


class ConversationInsight(BaseModel):
    conversation_id: int
    topics: list[str]
    intents: list[str]
    source: str = Field(description="local when read by rules, else the model that read it.")
    messages: int


class ConversationDetail(ConversationFields):
    """One conversation with its messages (chat.md: ConversationDetail)."""

    messages: list[ChatMessage]
    insight: ConversationInsight | None


class ChatHit(ChatMessage):
    """A message that matches a search (chat.md: ChatHit)."""

    conversation_title: str | None
    match: Literal["text", "memory"]


class ContextHistory(BaseModel):
    messages: int = Field(description="Recent messages that would go with the message as they are.")
    to_summarise: int = Field(description="Older messages that would be summarised first.")
    summary: str | None


class ChatContext(BaseModel):
    """What the model would be told now (`GET /chat/context`)."""

    model: str
    conversation_id: int | None
    system: str = Field(description="The system prompt.")
    context: str = Field(description="The context built for this message: today, habits, memories.")
    context_tokens: int = Field(description="An estimate of the context's tokens.")
    tools: list[str] = Field(description="The tools' names, in the order the model sees them.")
    history: ContextHistory
    memory_ids: list[int] = Field(description="The memories the context quotes.")


class MemoryHit(BaseModel):
    """A memory that matches a search (json.md: MemoryHit)."""

    memory_id: int
    kind: str = Field(description="fact, message, checkin or attachment.")
    content: str
    score: float = Field(description="0 to 1, higher is better: word and meaning scores blended (memory.md).")
    relevance: int = Field(description="score out of 100, as people see it; hits under 5 are not returned.")
    matched_words: list[str] = Field(description="The query's words found in its own text (by stem).")
    word_score: float | None = Field(description="Raw bm25 or ts_rank; null: not found by words.")
    similarity: float | None = Field(description="Cosine similarity to the query; null: not found by meaning.")
    on_day: bool = Field(description="It was said on a day the query names.")
    created_at: datetime
    source_id: int | None
    message_id: int | None
    conversation_id: int | None
    conversation_title: str | None
    speaker: str | None
    role: str | None
    time: datetime
    text: str


def documented(model: Any, status: int = 200) -> dict[str, Any]:
    """A route decorator's arguments documenting its `status` answer as `model`, without checking answers with it."""
    return {"response_model": None, "responses": {status: {"model": model, "description": "Successful Response"}}}
