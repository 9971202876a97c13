"""Importing paa's own export into the acting user's account: checked first, idempotent, in one transaction.

Each record has a natural key, so importing the same document twice adds nothing: a habit is its name (whatever the
case), a log its habit and day, a check-in its day, a prompt its text, a conversation the instant it began, a
remembered fact its text, a reminder its text and when it fires, a preference its key. A record whose key is already
there is left as it is (a preference takes the document's value). The caller's write transaction holds it all, so a
failure part-way leaves nothing behind.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlmodel import select

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
from paa.errors import InvalidInput

KINDS = (
    "habits",
    "logs",
    "checkins",
    "checkin_prompts",
    "conversations",
    "messages",
    "memories",
    "reminders",
    "preferences",
)


@dataclass
class ImportSummary:
    """What an import added, and what it found already there, per kind of record."""

    added: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False
    bulk_tables: set[str] = field(default_factory=set)  # written by plain INSERTs, which the change feed does not see

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "added": {kind: self.added[kind] for kind in KINDS},
            "existing": {kind: self.existing[kind] for kind in KINDS},
        }


def read_document(text: str, source: str = "the file") -> schema.Export:
    """Parse and check an export document; a wrong value is one line naming its record (`habits[2].logs[5].day`)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{source} is not JSON: {exc}", field="file") from None
    if not isinstance(data, dict) or data.get("format") != schema.FORMAT:
        raise InvalidInput(
            f'{source} is not a paa export (no "format": "{schema.FORMAT}")',
            hint="paa import reads what paa export writes",
            field="file",
        )
    version = data.get("version")
    if not isinstance(version, int) or version > schema.VERSION:
        raise InvalidInput(
            f"{source} is an export of version {version!r}; this paa reads version {schema.VERSION}",
            hint="upgrade paa to import it",
            field="file",
        )
    try:
        document = schema.Export.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise InvalidInput(f"{source}, record {where or '(root)'}: {first['msg']}{more}", field="file") from None
    _check_values(document, source)
    return document


def _check_values(document: schema.Export, source: str) -> None:
    """What the schema's types cannot say: times of day, cron rules, settings' values."""
    from paa.config import SCOPES, Settings
    from paa.core.reminders.rules import CronSpec
    from paa.errors import PaaError
    from paa.timeofday import hhmm

    def refuse(where: str, message: str) -> InvalidInput:
        return InvalidInput(f"{source}, record {where}: {message}", field="file")

    for index, habit in enumerate(document.habits):
        for number, text in enumerate(habit.reminders.times):
            try:
                hhmm(text)
            except ValueError as exc:
                raise refuse(f"habits[{index}].reminders.times[{number}]", str(exc)) from None
        if habit.kind == "measurable" and habit.target is None:
            raise refuse(f"habits[{index}].target", "a measurable habit needs a target")
    for index, reminder in enumerate(document.reminders):
        where = f"reminders[{index}]"
        if reminder.kind == "once" and reminder.at is None:
            raise refuse(where, "a one-off reminder needs `at`")
        if reminder.kind == "cron":
            try:
                CronSpec.parse(reminder.cron or "")
            except PaaError as exc:
                raise refuse(f"{where}.cron", exc.message) from None
    for index, preference in enumerate(document.preferences):
        where = f"preferences[{index}]"
        if SCOPES.get(preference.key) != "user":
            raise refuse(f"{where}.key", f"{preference.key!r} is not a per-user setting")
        try:
            Settings.model_validate({preference.key: json.loads(preference.value)})
        except (ValueError, ValidationError) as exc:
            raise refuse(
                f"{where}.value", f"not a valid value of {preference.key}: {str(exc).splitlines()[0]}"
            ) from None


def _bits(days: list[schema.Weekday]) -> int:
    return sum(1 << SHORT_DAYS.index(day) for day in set(days))


def import_document(
    ctx: Context,
    document: schema.Export,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Add the document's records the acting user does not have yet; with `dry_run`, only count them.

    `progress(done, total)` is told, in records, how far it is after each kind of record (a progress bar's feed)."""
    summary = ImportSummary(dry_run=dry_run)
    steps: list[tuple[Callable[[Context, schema.Export, ImportSummary], None], int]] = [
        (_habits, len(document.habits) + sum(len(habit.logs) for habit in document.habits)),
        (_checkins, len(document.checkins)),
        (_prompts, len(document.checkin_prompts)),
        (_conversations, len(document.conversations) + sum(len(chat.messages) for chat in document.conversations)),
        (_memories, len(document.memories)),
        (_reminders, len(document.reminders)),
        (_preferences, len(document.preferences)),
    ]
    total, done = sum(weight for _step, weight in steps), 0
    for step, weight in steps:
        step(ctx, document, summary)
        done += weight
        if progress is not None:
            progress(done, total)
    if not dry_run:
        ctx.session.flush()
        if summary.bulk_tables:
            from paa.core.changes import AREA_OF_TABLE, DATA_CHANGED, publish

            areas = sorted({AREA_OF_TABLE[table] for table in summary.bulk_tables})
            publish(ctx.session, ctx.user_id, DATA_CHANGED, {"areas": areas}, ctx.now())
    return summary


def _habits(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    habits = {row.name_key: row for row in session.exec(select(Habit).where(Habit.user_id == uid))}
    logged = {(row.habit_id, row.day) for row in session.exec(select(HabitLog).where(HabitLog.user_id == uid))}
    new_days: dict[str, set[Any]] = {}
    new_logs: list[dict[str, Any]] = []
    for item in document.habits:
        key = item.name.strip().casefold()
        row = habits.get(key)
        if row is None and key not in new_days:
            summary.added["habits"] += 1
            new_days[key] = set()
            if not summary.dry_run:
                row = Habit(
                    user_id=uid,
                    name=item.name.strip(),
                    name_key=key,
                    description=item.description,
                    category=item.category,
                    color=item.color,
                    kind=item.kind,
                    unit=item.unit,
                    target=item.target,
                    target_type=item.target_type,
                    schedule_type=item.schedule.type,
                    weekdays=_bits(item.schedule.weekdays),
                    times=item.schedule.times,
                    period_days=item.schedule.period_days,
                    reminder_times=",".join(item.reminders.times) or None,
                    reminder_days=_bits(item.reminders.weekdays),
                    archived=item.archived,
                    position=item.position,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                )
                session.add(row)
                session.flush()
                habits[key] = row
        else:
            summary.existing["habits"] += 1
        for log in item.logs:
            seen = (row.id, log.day) in logged if row is not None else log.day in new_days.get(key, set())
            if seen:
                summary.existing["logs"] += 1
                continue
            summary.added["logs"] += 1
            if row is None:  # a dry run of a habit not there yet
                new_days.setdefault(key, set()).add(log.day)
                continue
            assert row.id is not None
            logged.add((row.id, log.day))
            if not summary.dry_run:
                new_logs.append(
                    {
                        "user_id": uid,
                        "habit_id": row.id,
                        "day": log.day,
                        "status": log.status,
                        "value": log.value,
                        "note": log.note,
                        "created_at": log.created_at,
                        "updated_at": log.updated_at,
                    }
                )
    _insert(ctx, summary, HabitLog, new_logs)


def _insert(ctx: Context, summary: ImportSummary, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert many rows in one statement (the ORM's one object at a time takes seconds for years of logs)."""
    if rows:
        from sqlalchemy import insert

        ctx.session.connection().execute(insert(model.__table__), rows)  # executemany, without the ORM's bookkeeping
        summary.bulk_tables.add(model.__tablename__)


def _checkins(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    days = {row.day for row in session.exec(select(DailyCheckin).where(DailyCheckin.user_id == uid))}
    for item in document.checkins:
        if item.day in days:
            summary.existing["checkins"] += 1
            continue
        days.add(item.day)
        summary.added["checkins"] += 1
        if not summary.dry_run:
            answers = json.dumps([answer.model_dump() for answer in item.answers], ensure_ascii=False)
            session.add(
                DailyCheckin(
                    user_id=uid,
                    day=item.day,
                    mood=item.mood,
                    energy=item.energy,
                    answers=answers,
                    sentiment_score=item.sentiment.score,
                    sentiment_label=item.sentiment.label,
                    sentiment_source=item.sentiment.source,
                    reflection=item.reflection,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                )
            )


def _prompts(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    texts = {text.casefold() for text in session.exec(select(CheckinPrompt.text).where(CheckinPrompt.user_id == uid))}
    for item in document.checkin_prompts:
        if item.text.casefold() in texts:
            summary.existing["checkin_prompts"] += 1
            continue
        texts.add(item.text.casefold())
        summary.added["checkin_prompts"] += 1
        if not summary.dry_run:
            session.add(CheckinPrompt(user_id=uid, text=item.text, position=item.position, created_at=item.created_at))


def _conversations(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    started = set(session.exec(select(Conversation.created_at).where(Conversation.user_id == uid)))
    # Import keys are unique per user: one already here (the same file imported on both sides) is not given twice.
    keys = {key for key in session.exec(select(Conversation.import_key).where(Conversation.user_id == uid)) if key}
    message_keys = {key for key in session.exec(select(Message.import_key).where(Message.user_id == uid)) if key}
    new_messages: list[dict[str, Any]] = []
    for item in document.conversations:
        if item.created_at in started:
            summary.existing["conversations"] += 1
            summary.existing["messages"] += len(item.messages)
            continue
        started.add(item.created_at)
        summary.added["conversations"] += 1
        summary.added["messages"] += len(item.messages)
        if summary.dry_run:
            continue
        key = None if item.import_key in keys else item.import_key
        keys.add(key or "")
        row = Conversation(
            user_id=uid, title=item.title, summary=item.summary, created_at=item.created_at, updated_at=item.updated_at,
            imported_from=item.imported_from, import_key=key,
        )  # fmt: skip
        session.add(row)
        session.flush()
        assert row.id is not None
        for message in item.messages:
            calls = None if message.tool_calls is None else json.dumps(message.tool_calls, ensure_ascii=False)
            values: dict[str, Any] = {
                "user_id": uid,
                "conversation_id": row.id,
                "role": message.role,
                "content": message.content,
                "tool_calls": calls,
                "model": message.model,
                "input_tokens": message.input_tokens,
                "output_tokens": message.output_tokens,
                "interrupted": message.interrupted,
                "created_at": message.created_at,
                "speaker": message.speaker,
                "import_key": None if message.import_key in message_keys else message.import_key,
            }
            message_keys.add(message.import_key or "")
            if not message.attachments:
                new_messages.append(values)
                continue
            # A message with files needs its id: the ones before it go in first, so the order of ids stays the
            # order of the conversation.
            _insert(ctx, summary, Message, new_messages)
            new_messages = []
            stored = Message(**values)
            session.add(stored)
            session.flush()
            assert stored.id is not None
            _attach(ctx, stored.id, message.attachments)
    _insert(ctx, summary, Message, new_messages)


def _attach(ctx: Context, message_id: int, attachments: list[schema.Attachment]) -> None:
    """Store an imported message's files, checked as any attached file is (a changed file is refused)."""
    import base64
    import binascii

    from paa.core.attachments import classify, store

    for position, item in enumerate(attachments):
        try:
            data = base64.b64decode(item.data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(f"the file {item.name[:80]!r} of a message is not valid base64") from None
        store(ctx, classify(item.name, data), message_id=message_id, position=position, created_at=item.created_at)


def _memories(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    # Sealed text cannot be compared in SQL: the facts are read and compared here.
    facts = {row.content for row in session.exec(select(Memory).where(Memory.user_id == uid, Memory.kind == "fact"))}
    for item in document.memories:
        if item.content in facts:
            summary.existing["memories"] += 1
            continue
        facts.add(item.content)
        summary.added["memories"] += 1
        if not summary.dry_run:
            session.add(Memory(user_id=uid, kind="fact", content=item.content, created_at=item.created_at))


def _reminders(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    keys = {
        (row.text, row.kind, row.at, row.cron) for row in session.exec(select(Reminder).where(Reminder.user_id == uid))
    }
    for item in document.reminders:
        key = (item.text, item.kind, item.at, item.cron)
        if key in keys:
            summary.existing["reminders"] += 1
            continue
        keys.add(key)
        summary.added["reminders"] += 1
        if not summary.dry_run:
            session.add(
                Reminder(
                    user_id=uid,
                    text=item.text,
                    kind=item.kind,
                    at=item.at,
                    cron=item.cron,
                    active=item.active,
                    created_at=item.created_at,
                    updated_at=item.updated_at,
                )
            )


def _preferences(ctx: Context, document: schema.Export, summary: ImportSummary) -> None:
    session, uid = ctx.session, ctx.user_id
    stored = {row.key: row for row in session.exec(select(UserPreference).where(UserPreference.user_id == uid))}
    for item in document.preferences:
        row = stored.get(item.key)
        if row is not None and row.value == item.value:
            summary.existing["preferences"] += 1
            continue
        summary.added["preferences"] += 1
        if summary.dry_run:
            continue
        if row is None:
            row = UserPreference(user_id=uid, key=item.key, value=item.value, updated_at=ctx.now())
            stored[item.key] = row
        else:
            row.value, row.updated_at = item.value, ctx.now()
        session.add(row)
