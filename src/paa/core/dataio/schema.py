"""The export document, version 1: one person's data as paa stores it, without database ids.

These models are the schema: `paa export` fills them, `paa import` reads a document through them (so a wrong value is
an error naming its record), and docs/export-schema.json is generated from them (`export_json_schema`). Within a
version, fields are only added, never renamed or removed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

FORMAT: Literal["paa-export"] = "paa-export"
VERSION: Literal[1] = 1
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Record(BaseModel):
    # Unknown fields are refused: a document from a newer paa says so by its version, and a typo is an error.
    model_config = ConfigDict(extra="forbid")


class Log(Record):
    """One day of a habit: done (with an amount for a measurable habit) or skipped, and a note."""

    day: date
    status: Literal["done", "skipped"]
    value: float | None = None
    note: str | None = Field(default=None, max_length=2000)
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Schedule(Record):
    """When a habit is due: every day, on some weekdays, or `times` in every `period_days` days."""

    type: Literal["daily", "weekdays", "x_per_y"] = "daily"
    weekdays: list[Weekday] = Field(default_factory=list)
    times: int = Field(default=1, ge=1, le=1000)
    period_days: int = Field(default=1, ge=1, le=1000)


class HabitReminders(Record):
    """A habit's reminder times (local, HH:MM) and the weekdays they apply on (empty: the days it is due)."""

    times: list[str] = Field(default_factory=list)
    weekdays: list[Weekday] = Field(default_factory=list)


class Habit(Record):
    """A habit, with its schedule, reminders and every log. Its name is its key: unique, whatever the case."""

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    category: str | None = Field(default=None, max_length=50)
    color: str | None = Field(default=None, max_length=20)
    kind: Literal["boolean", "measurable"] = "boolean"
    unit: str | None = Field(default=None, max_length=30)
    target: float | None = None
    target_type: Literal["at_least", "at_most"] = "at_least"
    schedule: Schedule = Field(default_factory=Schedule)
    reminders: HabitReminders = Field(default_factory=HabitReminders)
    archived: bool = False
    position: int = 0
    created_at: AwareDatetime
    updated_at: AwareDatetime
    logs: list[Log] = Field(default_factory=list)


class Answer(Record):
    prompt: str
    answer: str


class Sentiment(Record):
    score: float | None = None
    label: str | None = Field(default=None, max_length=16)
    source: str | None = Field(default=None, max_length=32)


class Checkin(Record):
    """One day's check-in. Its day is its key."""

    day: date
    mood: int | None = Field(default=None, ge=1, le=5)
    energy: int | None = Field(default=None, ge=1, le=5)
    answers: list[Answer] = Field(default_factory=list)
    sentiment: Sentiment = Field(default_factory=Sentiment)
    reflection: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Prompt(Record):
    """A check-in question. Its text is its key."""

    text: str = Field(min_length=1, max_length=200)
    position: int = 0
    created_at: AwareDatetime


class Attachment(Record):
    """A file sent with a message, whole: its bytes in base64 (checked again as it is imported)."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["image", "pdf", "text"]
    media_type: str = Field(max_length=100)
    data: str = Field(description="The file's bytes, base64-encoded.")
    created_at: AwareDatetime


class Message(Record):
    role: Literal["user", "assistant", "tool", "other"]  # other: another person, in an imported conversation
    content: str
    speaker: str | None = Field(default=None, max_length=100)  # who said it, when known (imported conversations)
    tool_calls: Any = None  # the tool calls of an assistant turn, as the model made them
    model: str | None = Field(default=None, max_length=100)
    input_tokens: int | None = None
    output_tokens: int | None = None
    interrupted: bool = False
    created_at: AwareDatetime
    attachments: list[Attachment] = Field(default_factory=list)
    import_key: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")  # see Conversation.import_key


class Conversation(Record):
    """A chat with its messages. The instant it was started is its key."""

    title: str | None = None
    summary: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    messages: list[Message] = Field(default_factory=list)
    # Brought in by `paa memory import`: from where, and the key that keeps a second import of its file from
    # adding it again (a hash of the source's ids, never of the text).
    imported_from: str | None = Field(default=None, pattern=r"^[a-z]{1,16}$")  # chatgpt, claude, llm or jsonl
    import_key: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class Memory(Record):
    """A fact the assistant remembers. Its text is its key. (Copies of messages and check-ins that memory search
    keeps are not exported: they are made again from those.)"""

    content: str = Field(min_length=1)
    created_at: AwareDatetime


class Reminder(Record):
    """A reminder someone added: once at an instant, or on a cron rule read in their time zone."""

    text: str = Field(min_length=1, max_length=200)
    kind: Literal["once", "cron"]
    at: AwareDatetime | None = None
    cron: str | None = Field(default=None, max_length=100)
    active: bool = True
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Preference(Record):
    """One per-user setting as stored (see configuration.md): its key is the setting's field name."""

    key: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=4096)


class Profile(Record):
    """Who the data belonged to when exported; not imported (data is imported into the acting account)."""

    username: str
    display_name: str | None = None
    created_at: AwareDatetime


class Export(Record):
    """Everything one person owns in paa, raw."""

    format: Literal["paa-export"] = FORMAT
    version: Literal[1] = VERSION
    paa_version: str
    exported_at: AwareDatetime
    user: Profile
    preferences: list[Preference] = Field(default_factory=list)
    habits: list[Habit] = Field(default_factory=list)
    checkin_prompts: list[Prompt] = Field(default_factory=list)
    checkins: list[Checkin] = Field(default_factory=list)
    conversations: list[Conversation] = Field(default_factory=list)
    memories: list[Memory] = Field(default_factory=list)
    reminders: list[Reminder] = Field(default_factory=list)


def export_json_schema() -> dict[str, Any]:
    """The JSON Schema of the export document (docs/export-schema.json)."""
    schema = Export.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "paa export, version 1",
        **schema,
    }
