"""Exporting everything the acting user owns, raw: as one JSON document (schema.Export) or as CSV files in a zip.

Only rows whose `user_id` is the acting user's are read. Sealed columns come out as the plain text they hold (the
session opens them), so an export is readable without the data key: keep it as private as the data itself.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from paa.core.context import Context
from paa.core.dataio import schema
from paa.core.habits.schedule import SHORT_DAYS
from paa.db.models import (
    CheckinPrompt,
    Conversation,
    DailyCheckin,
    Habit,
    HabitLog,
    Memory,
    Message,
    Reminder,
    UserPreference,
)

# The tables of the CSV form, in the zip's order, and their columns. Nested values (a check-in's answers, a
# message's tool calls) are JSON text in one cell; a habit's logs and a conversation's messages are tables of their
# own that name their habit (by name) and their conversation (by its number in conversations.csv).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "habits.csv": (
        "name",
        "description",
        "category",
        "color",
        "kind",
        "unit",
        "target",
        "target_type",
        "schedule_type",
        "weekdays",
        "times",
        "period_days",
        "reminder_times",
        "reminder_weekdays",
        "archived",
        "position",
        "created_at",
        "updated_at",
    ),
    "habit_logs.csv": ("habit", "day", "status", "value", "note", "created_at", "updated_at"),
    "checkins.csv": (
        "day",
        "mood",
        "energy",
        "answers",
        "sentiment_score",
        "sentiment_label",
        "sentiment_source",
        "reflection",
        "created_at",
        "updated_at",
    ),
    "checkin_prompts.csv": ("text", "position", "created_at"),
    "conversations.csv": ("number", "title", "summary", "created_at", "updated_at"),
    "messages.csv": (
        "conversation",
        "role",
        "content",
        "tool_calls",
        "model",
        "input_tokens",
        "output_tokens",
        "interrupted",
        "created_at",
        "speaker",
    ),
    "memories.csv": ("content", "created_at"),
    "reminders.csv": ("text", "kind", "at", "cron", "active", "created_at", "updated_at"),
    "preferences.csv": ("key", "value"),
}


def _days(bits: int) -> list[schema.Weekday]:
    return [SHORT_DAYS[index] for index in range(7) if bits & (1 << index)]  # type: ignore[misc]


def _json_value(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # written by some other program: kept as the text it is


def export_user(ctx: Context, *, paa_version: str) -> schema.Export:
    """Everything the acting user owns, as the version-1 export document; records in a stable order."""
    uid = ctx.user_id
    session = ctx.session
    # Years of logs and thousands of messages: read as plain rows, and built without validating again what the
    # database gives (loading them as ORM objects and checking each took most of the time).
    logs: dict[int, list[schema.Log]] = defaultdict(list)
    table = HabitLog.__table__  # type: ignore[attr-defined]
    columns = (table.c.day, table.c.status, table.c.value, table.c.note, table.c.created_at, table.c.updated_at)
    rows = session.execute(sa_select(table.c.habit_id, *columns).where(table.c.user_id == uid).order_by(table.c.day))
    for habit_id, day, status, value, note, created_at, updated_at in rows:
        logs[habit_id].append(
            schema.Log.model_construct(
                day=day, status=status, value=value, note=note, created_at=created_at, updated_at=updated_at
            )
        )
    habits = [
        schema.Habit(
            name=habit.name,
            description=habit.description,
            category=habit.category,
            color=habit.color,
            kind=habit.kind,  # type: ignore[arg-type]
            unit=habit.unit,
            target=habit.target,
            target_type=habit.target_type,  # type: ignore[arg-type]
            schedule=schema.Schedule(
                type=habit.schedule_type,  # type: ignore[arg-type]
                weekdays=_days(habit.weekdays),  # type: ignore[arg-type]
                times=habit.times,
                period_days=habit.period_days,
            ),
            reminders=schema.HabitReminders(
                times=[part for part in (habit.reminder_times or "").split(",") if part],
                weekdays=_days(habit.reminder_days),
            ),
            archived=habit.archived,
            position=habit.position,
            created_at=habit.created_at,
            updated_at=habit.updated_at,
            logs=logs.get(habit.id or 0, []),
        )
        for habit in session.exec(
            select(Habit).where(Habit.user_id == uid).order_by(col(Habit.created_at), col(Habit.id))
        )
    ]
    checkins = [
        schema.Checkin(
            day=row.day,
            mood=row.mood,
            energy=row.energy,
            answers=[
                schema.Answer(prompt=str(item.get("prompt", "")), answer=str(item.get("answer", "")))
                for item in (_json_value(row.answers) or [])
                if isinstance(item, dict)
            ],
            sentiment=schema.Sentiment(
                score=row.sentiment_score, label=row.sentiment_label, source=row.sentiment_source
            ),
            reflection=row.reflection,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in session.exec(select(DailyCheckin).where(DailyCheckin.user_id == uid).order_by(col(DailyCheckin.day)))
    ]
    prompts = [
        schema.Prompt(text=row.text, position=row.position, created_at=row.created_at)
        for row in session.exec(
            select(CheckinPrompt)
            .where(CheckinPrompt.user_id == uid)
            .order_by(col(CheckinPrompt.position), col(CheckinPrompt.id))
        )
    ]
    messages: dict[int, list[schema.Message]] = defaultdict(list)
    files = _attachments(ctx)
    table = Message.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa_select(
            table.c.conversation_id, table.c.role, table.c.content, table.c.tool_calls, table.c.model,
            table.c.input_tokens, table.c.output_tokens, table.c.interrupted, table.c.created_at, table.c.id,
            table.c.speaker, table.c.import_key,
        )
        .where(table.c.user_id == uid)
        .order_by(table.c.created_at, table.c.id)
    )  # fmt: skip
    for (
        conversation_id, role, content, tool_calls, model, tokens_in, tokens_out, interrupted, created_at, mid,
        speaker, import_key,
    ) in rows:  # fmt: skip
        messages[conversation_id].append(
            schema.Message.model_construct(
                role=role,
                content=content,
                tool_calls=_json_value(tool_calls),
                model=model,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                interrupted=bool(interrupted),
                created_at=created_at,
                attachments=files.get(mid, []),
                speaker=speaker,
                import_key=import_key,
            )
        )
    conversations = [
        schema.Conversation(
            title=row.title,
            summary=row.summary,
            created_at=row.created_at,
            updated_at=row.updated_at,
            messages=messages.get(row.id or 0, []),
            imported_from=row.imported_from,
            import_key=row.import_key,
        )
        for row in session.exec(
            select(Conversation)
            .where(Conversation.user_id == uid)
            .order_by(col(Conversation.created_at), col(Conversation.id))
        )
    ]
    memories = [
        schema.Memory(content=row.content, created_at=row.created_at)
        for row in session.exec(
            select(Memory)
            .where(Memory.user_id == uid, col(Memory.derived).is_(False), Memory.kind == "fact")
            .order_by(col(Memory.created_at), col(Memory.id))
        )
    ]
    reminders = [
        schema.Reminder(
            text=row.text,
            kind=row.kind,  # type: ignore[arg-type]
            at=row.at,
            cron=row.cron,
            active=row.active,  # type: ignore[arg-type]
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in session.exec(
            select(Reminder).where(Reminder.user_id == uid).order_by(col(Reminder.created_at), col(Reminder.id))
        )
    ]
    preferences = [
        schema.Preference(key=row.key, value=row.value)
        for row in session.exec(
            select(UserPreference).where(UserPreference.user_id == uid).order_by(col(UserPreference.key))
        )
    ]
    user = ctx.user
    return schema.Export(
        paa_version=paa_version,
        exported_at=ctx.now(),
        user=schema.Profile(username=user.username, display_name=user.display_name, created_at=user.created_at),
        preferences=preferences,
        habits=habits,
        checkin_prompts=prompts,
        checkins=checkins,
        conversations=conversations,
        memories=memories,
        reminders=reminders,
    )


def _attachments(ctx: Context) -> dict[int, list[schema.Attachment]]:
    """The files sent with the user's messages, by message id, with their bytes (decrypted) in base64."""
    import base64

    from paa.core.attachments import read_bytes
    from paa.db.models import Attachment

    found: dict[int, list[schema.Attachment]] = defaultdict(list)
    for row in ctx.session.exec(
        select(Attachment)
        .where(Attachment.user_id == ctx.user_id, col(Attachment.message_id).is_not(None))
        .order_by(col(Attachment.message_id), col(Attachment.position), col(Attachment.id))
    ):
        assert row.message_id is not None
        found[row.message_id].append(
            schema.Attachment.model_construct(
                name=row.name, kind=row.kind, media_type=row.media_type, created_at=row.created_at,
                data=base64.b64encode(read_bytes(ctx, row)).decode("ascii"),
            )
        )  # fmt: skip
    return found


def document_json(document: schema.Export) -> dict[str, Any]:
    """The export as JSON-ready data (dates and instants as ISO 8601 text)."""
    return document.model_dump(mode="json")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def csv_tables(document: schema.Export) -> dict[str, list[list[str]]]:
    """The export as CSV tables (CSV_COLUMNS), each a list of rows of text, header first."""
    data = document_json(document)
    rows: dict[str, list[list[Any]]] = {name: [] for name in CSV_COLUMNS}
    for habit in data["habits"]:
        schedule, reminders = habit["schedule"], habit["reminders"]
        rows["habits.csv"].append(
            [
                habit["name"],
                habit["description"],
                habit["category"],
                habit["color"],
                habit["kind"],
                habit["unit"],
                habit["target"],
                habit["target_type"],
                schedule["type"],
                ",".join(schedule["weekdays"]),
                schedule["times"],
                schedule["period_days"],
                ",".join(reminders["times"]),
                ",".join(reminders["weekdays"]),
                habit["archived"],
                habit["position"],
                habit["created_at"],
                habit["updated_at"],
            ]
        )
        for log in habit["logs"]:
            rows["habit_logs.csv"].append([habit["name"], *(log[key] for key in CSV_COLUMNS["habit_logs.csv"][1:])])
    for checkin in data["checkins"]:
        sentiment = checkin["sentiment"]
        rows["checkins.csv"].append(
            [
                checkin["day"],
                checkin["mood"],
                checkin["energy"],
                checkin["answers"],
                sentiment["score"],
                sentiment["label"],
                sentiment["source"],
                checkin["reflection"],
                checkin["created_at"],
                checkin["updated_at"],
            ]
        )
    for prompt in data["checkin_prompts"]:
        rows["checkin_prompts.csv"].append([prompt[key] for key in CSV_COLUMNS["checkin_prompts.csv"]])
    for number, conversation in enumerate(data["conversations"], start=1):
        rows["conversations.csv"].append([number, *(conversation[k] for k in CSV_COLUMNS["conversations.csv"][1:])])
        for message in conversation["messages"]:
            tool_calls = message["tool_calls"]
            rows["messages.csv"].append(
                [
                    number,
                    message["role"],
                    message["content"],
                    None if tool_calls is None else json.dumps(tool_calls, ensure_ascii=False),
                    message["model"],
                    message["input_tokens"],
                    message["output_tokens"],
                    message["interrupted"],
                    message["created_at"],
                    message["speaker"],
                ]
            )
    for memory in data["memories"]:
        rows["memories.csv"].append([memory["content"], memory["created_at"]])
    for reminder in data["reminders"]:
        rows["reminders.csv"].append([reminder[key] for key in CSV_COLUMNS["reminders.csv"]])
    for preference in data["preferences"]:
        rows["preferences.csv"].append([preference["key"], preference["value"]])
    return {name: [list(CSV_COLUMNS[name]), *([_cell(v) for v in row] for row in body)] for name, body in rows.items()}


def csv_zip(document: schema.Export) -> bytes:
    """The CSV form: a zip of one CSV file per table (UTF-8, a header row) and export.json, the document's header."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        header = {key: value for key, value in document_json(document).items() if not isinstance(value, list)}
        archive.writestr("export.json", json.dumps(header, indent=2, ensure_ascii=False) + "\n")
        for name, table in csv_tables(document).items():
            archive.writestr(name, _csv_text(table))
    return buffer.getvalue()


def _csv_text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def summary(document: schema.Export) -> dict[str, int]:
    """How many records of each kind a document holds."""
    return {
        "habits": len(document.habits),
        "logs": sum(len(habit.logs) for habit in document.habits),
        "checkins": len(document.checkins),
        "checkin_prompts": len(document.checkin_prompts),
        "conversations": len(document.conversations),
        "messages": sum(len(conversation.messages) for conversation in document.conversations),
        "memories": len(document.memories),
        "reminders": len(document.reminders),
        "preferences": len(document.preferences),
    }
