"""The tools the assistant can call. Each calls core; a destructive one first asks the person through `confirm`.

A tool never raises into the chat loop: a PaaError (unknown habit, bad value, ...) or any other failure becomes a
tool result marked as an error, which goes back to the model like any result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from paa.ai.providers.base import ToolSpec
from paa.ai.store import Contexts
from paa.ai.tool_args import (
    PREFERENCE_KEYS,
    AddReminderArgs,
    ArchiveHabitArgs,
    Arguments,
    CreateHabitArgs,
    EditHabitArgs,
    ForgetArgs,
    HabitAnalyticsArgs,
    HabitArgs,
    HabitDayArgs,
    ListHabitsArgs,
    LogHabitArgs,
    NoArguments,
    OverallAnalyticsArgs,
    RecordCheckinArgs,
    RememberArgs,
    SearchMemoryArgs,
    SetPreferenceArgs,
    SkipHabitArgs,
    input_schema,
    read_arguments,
)
from paa.core.context import Context
from paa.core.words import amount, plural
from paa.errors import InvalidInput, PaaError, error_text

if TYPE_CHECKING:
    from paa.core.habits.logs import LogResult

Confirm = Callable[[str], bool]
RESULT_MAX_CHARS = 12_000


def deny(_question: str) -> bool:
    """The confirmation of an interface that cannot ask: nothing destructive happens."""
    return False


class AskLater:
    """The confirmation of an interface that asks in a separate request (the HTTP API): a destructive call is not
    run; the turn stops with a pending `Confirmation`, and `ChatSession.resume` runs or declines it when the
    answer comes."""


ASK_LATER = AskLater()


@dataclass(frozen=True)
class ToolResult:
    """What one tool call did: its JSON for the model and one line for people."""

    call_id: str
    name: str
    ok: bool
    data: dict[str, Any]
    summary: str
    declined: bool = False

    def content(self) -> str:
        text = json.dumps(self.data, ensure_ascii=False, default=str)
        if len(text) > RESULT_MAX_CHARS:
            text = text[:RESULT_MAX_CHARS] + " …(cut: the result was too long)"
        return text


@dataclass(frozen=True)
class Tool:
    """A tool: what the model sees, and what runs. With `arguments`, `run` gets the input read through that model."""

    spec: ToolSpec
    run: Callable[[Context, Any], dict[str, Any]]
    writes: bool = False
    question: Callable[[Context, Any], str] | None = None  # set for destructive tools
    arguments: type[Arguments] | None = None

    def read(self, raw: dict[str, Any]) -> Any:
        """The arguments `run` takes: typed when the tool declares a model, else the input as it came."""
        return raw if self.arguments is None else read_arguments(self.arguments, raw)

    @property
    def destructive(self) -> bool:
        return self.question is not None


# ---- argument helpers ------------------------------------------------------------------------------


def _day(ctx: Context, text: str | None) -> date:
    from paa.core.dates import parse_day

    return parse_day(text or "today", ctx.today())


def _habit(ctx: Context, ref: str) -> Any:
    from paa.core.habits.manage import resolve_habit

    return resolve_habit(ctx, ref)


def _amount(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    return f"{value:g}{' ' + unit if unit else ''}"


# ---- habits ------------------------------------------------------------------------------------------


def list_habits(ctx: Context, args: ListHabitsArgs) -> dict[str, Any]:
    from paa.core.habits.manage import list_habits as core_list
    from paa.core.habits.manage import schedule_of
    from paa.core.habits.overview import statuses

    found = statuses(ctx, core_list(ctx, include_archived=args.include_archived), best=False)  # current streaks only
    habits: list[dict[str, Any]] = [
        {
            "id": s.habit.id,
            "name": s.habit.name,
            "schedule": schedule_of(s.habit).describe(),
            "today": s.state,
            "value": s.entry.value if s.entry else None,
            "target": s.habit.target,
            "unit": s.habit.unit,
            "streak": s.current_streak.length if s.current_streak else 0,
            "archived": s.habit.archived,
            "category": s.habit.category,
        }
        for s in found
    ]
    names = ", ".join(f"{h['name']} ({h['today'].replace('_', ' ')})" for h in habits) or "none yet"
    return {"day": ctx.today().isoformat(), "habits": habits, "summary": f"{len(habits)} habits: {names}"}


def _log_json(habit: Any, log: Any, outcome: str) -> dict[str, Any]:
    return {
        "habit": habit.name,
        "habit_id": habit.id,
        "day": log.day.isoformat(),
        "status": log.status,
        "value": log.value,
        "target": habit.target,
        "unit": habit.unit,
        "outcome": outcome,
    }


def log_habit(ctx: Context, args: LogHabitArgs) -> dict[str, Any]:
    from paa.core.habits.logs import log_habit as core_log

    habit = _habit(ctx, args.habit)
    day = _day(ctx, args.date)
    value = args.value
    if habit.kind == "boolean":
        value = None  # "ran 5 km" on a yes/no habit: the distance is not its measure
    result = core_log(ctx, habit, day, value=value, note=args.note, replace=args.set_total)
    data = _log_json(habit, result.log, result.outcome)
    if habit.kind == "measurable":
        target = amount(habit.target, habit.unit) if habit.target is not None else ""
        progress = f"{_amount(result.log.value, None)} of {target}"
        data["summary"] = f"Logged {habit.name} for {day.isoformat()}: {progress}."
    elif result.outcome == "unchanged":
        data["summary"] = f"{habit.name} was already done on {day.isoformat()}."
    else:
        data["summary"] = f"Logged {habit.name} as done for {day.isoformat()}."
    return _with_note_notice(data, result)


def skip_habit(ctx: Context, args: SkipHabitArgs) -> dict[str, Any]:
    from paa.core.habits.logs import skip_habit as core_skip

    habit = _habit(ctx, args.habit)
    day = _day(ctx, args.date)
    result = core_skip(ctx, habit, day, note=args.note)
    data = _log_json(habit, result.log, result.outcome)
    data["summary"] = f"Skipped {habit.name} for {day.isoformat()} (the streak is kept)."
    return _with_note_notice(data, result)


def _with_note_notice(data: dict[str, Any], result: LogResult) -> dict[str, Any]:
    """Tell the model when the note it passed was shortened, so it can say so rather than claim it was kept."""
    data["note_shortened"] = result.note_shortened
    notice = result.note_notice()
    if notice:
        data["summary"] += f" {notice}"
    return data


def _unlog_question(ctx: Context, args: HabitDayArgs) -> str:
    habit, day = _habit(ctx, args.habit), _day(ctx, args.date)
    return f"Remove what is logged for {habit.name} on {day.isoformat()}?"


def unlog_habit(ctx: Context, args: HabitDayArgs) -> dict[str, Any]:
    from paa.core.habits.logs import unlog_habit as core_unlog

    habit, day = _habit(ctx, args.habit), _day(ctx, args.date)
    removed = core_unlog(ctx, habit, day)
    return {
        "habit": habit.name,
        "day": day.isoformat(),
        "removed": {"status": removed.status, "value": removed.value},
        "summary": f"Removed the {removed.status} log of {habit.name} on {day.isoformat()}.",
    }


def _habit_summary(habit: Any) -> str:
    from paa.core.habits.overview import definition_text

    return f"{habit.name} (#{habit.id}): {definition_text(habit)}"


def create_habit(ctx: Context, args: CreateHabitArgs) -> dict[str, Any]:
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import add_habit
    from paa.core.habits.overview import habit_json

    habit = add_habit(ctx, parse_habit_form(args.habit_fields()))
    return {"habit": habit_json(habit), "summary": f"Created {_habit_summary(habit)}."}


def edit_habit(ctx: Context, args: EditHabitArgs) -> dict[str, Any]:
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import edit_habit as core_edit
    from paa.core.habits.overview import habit_json

    habit = _habit(ctx, args.habit)
    changes = args.habit_fields()
    if not changes:
        fields = ", ".join(name for name in EditHabitArgs.model_fields if name != "habit")
        raise InvalidInput("nothing to change", hint=f"give one of {fields}")
    habit = core_edit(ctx, habit, parse_habit_form(changes))
    return {"habit": habit_json(habit), "summary": f"Updated {_habit_summary(habit)}."}


def archive_habit(ctx: Context, args: ArchiveHabitArgs) -> dict[str, Any]:
    from paa.core.habits.manage import set_archived

    habit = _habit(ctx, args.habit)
    archived = args.archived
    set_archived(ctx, habit, archived)
    verb = "Archived" if archived else "Restored"
    return {"habit": habit.name, "archived": archived, "summary": f"{verb} {habit.name}; its history is kept."}


def _delete_question(ctx: Context, args: HabitArgs) -> str:
    from sqlmodel import func, select

    from paa.db.models import HabitLog

    habit = _habit(ctx, args.habit)
    logs = ctx.session.exec(select(func.count()).where(HabitLog.habit_id == habit.id)).one()
    return f"Delete the habit {habit.name} (#{habit.id}) and its {logs} log{'s' if logs != 1 else ''} for good?"


def delete_habit(ctx: Context, args: HabitArgs) -> dict[str, Any]:
    from paa.core.habits.manage import delete_habit as core_delete

    habit = _habit(ctx, args.habit)
    name = habit.name
    removed = core_delete(ctx, habit)
    return {"habit": name, "logs_removed": removed, "summary": f"Deleted {name} and {removed} logs."}


# ---- analytics ----------------------------------------------------------------------------------------


def habit_analytics(ctx: Context, args: HabitAnalyticsArgs) -> dict[str, Any]:
    from paa.core.analytics.periods import parse_period
    from paa.core.analytics.reports import habit_report

    period = parse_period(args.period or "30d")
    stats = habit_report(ctx, args.habit, ctx.today(), period)
    data = stats.to_json(history=False)
    rate = stats.completion.get("period")
    done = f"{stats.period_done} of {stats.period_due} due days done"
    if rate is not None:
        done += f" ({rate * 100:.0f}% completion)"
    current = stats.streaks.current.length if stats.streaks.current else 0
    data["summary"] = (
        f"{stats.habit.name} over {period.label}: {done}, streak {plural(current, 'day')}, "
        f"strength {stats.strength * 100:.0f}%."
    )
    return data


def overall_analytics(ctx: Context, args: OverallAnalyticsArgs) -> dict[str, Any]:
    from paa.core.analytics.periods import parse_period
    from paa.core.analytics.reports import overview

    period = parse_period(args.period or "7d")
    found = overview(ctx, ctx.today(), period)
    data = found.to_json()
    insights = [item["text"] for item in data.get("insights", [])[:3]]
    data["summary"] = f"Overview of {period.label}: " + (" ".join(insights) or "not much recorded yet.")
    return data


# ---- check-ins -----------------------------------------------------------------------------------------


def record_checkin(ctx: Context, args: RecordCheckinArgs) -> dict[str, Any]:
    from paa.ai import checkins
    from paa.core.checkins.entries import Answer, clean_answer, list_prompts

    mood, energy = args.mood, args.energy
    prompts = [p.text for p in list_prompts(ctx)]
    answers = []
    for index, item in enumerate(args.answers):
        text = item.answer
        prompt = item.prompt or (prompts[index] if index < len(prompts) else "Notes")
        if text.strip():
            answers.append(Answer(prompt, clean_answer(text, prompt)))
    if not answers:
        answers = [Answer("Notes", "(check-in through the assistant)")]
    mode = args.mode
    day = _day(ctx, args.date)
    saved = checkins.save(ctx, day, answers, mood=mood, energy=energy, mode=mode)  # type: ignore[arg-type]
    data = saved.to_json()
    data["summary"] = f"Check-in saved for {day.isoformat()}. {saved.reflection.text}"
    return data


# ---- memory ----------------------------------------------------------------------------------------------


def search_memory(ctx: Context, args: SearchMemoryArgs) -> dict[str, Any]:
    from paa.ai import recall

    query = args.query
    limit = max(1, min(args.limit or 5, 20))
    hits = recall.search(ctx, query, limit=limit)
    return {
        "query": query,
        "memories": [hit.to_json() for hit in hits],
        "summary": f"{len(hits)} memor{'y' if len(hits) == 1 else 'ies'} found for {query[:40]!r}.",
    }


def remember(ctx: Context, args: RememberArgs) -> dict[str, Any]:
    from paa.ai import recall

    content = args.content
    row = recall.remember(ctx, content, kind="fact")
    return {"memory_id": row.id, "content": row.content, "summary": f"I'll remember: {row.content[:80]}"}


def _forget_question(ctx: Context, args: ForgetArgs) -> str:
    from paa.ai import recall

    row = recall.get_memory(ctx, args.memory_id)
    return f"Forget memory #{row.id}: {row.content[:80]!r}?"


def forget(ctx: Context, args: ForgetArgs) -> dict[str, Any]:
    from paa.ai import recall

    memory_id = args.memory_id
    row = recall.forget(ctx, memory_id)
    return {"memory_id": memory_id, "summary": f"Forgot memory #{memory_id}: {row.content[:60]}"}


# ---- reminders ------------------------------------------------------------------------------------------


def add_reminder(ctx: Context, args: AddReminderArgs) -> dict[str, Any]:
    from paa.ai import reminders

    return reminders.add(ctx, args.model_dump())


def list_reminders(ctx: Context, args: NoArguments) -> dict[str, Any]:
    from paa.ai import reminders

    return reminders.listing(ctx, {})


# ---- preferences -----------------------------------------------------------------------------------------


def get_preferences(ctx: Context, args: NoArguments) -> dict[str, Any]:
    from paa.ai import settings

    values = {
        "display_name": ctx.user.display_name,
        "assistant_tone": settings.setting(ctx, "assistant_tone"),
        "timezone": ctx.prefs.timezone,
        "day_start_hour": ctx.prefs.day_start_hour,
        "week_start": ctx.prefs.week_start,
        "checkin_time": ctx.prefs.checkin_time,
    }
    return {"preferences": values, "summary": ", ".join(f"{k}={v}" for k, v in values.items())}


def _preference_key(typed: str) -> str:
    """The field a key names (`ai.tone`, `assistant_tone`, `checkin.time`, ...), if the assistant may set it."""
    from paa.config import field_for_key
    from paa.errors import ConfigError

    if typed.lower().replace("-", "_") == "display_name":
        return "display_name"
    try:
        field = field_for_key(typed)
    except ConfigError:
        field = ""
    if field not in PREFERENCE_KEYS:
        raise InvalidInput(f"cannot set {typed[:40]!r} here", hint=f"settable: {', '.join(PREFERENCE_KEYS)}")
    return field


def set_preference(ctx: Context, args: SetPreferenceArgs) -> dict[str, Any]:
    from paa.core import validate
    from paa.core.configuration import set_user_setting

    typed = args.key.strip()
    key = _preference_key(typed)
    raw = args.value
    if key == "display_name":
        name = validate.optional_text(None if raw is None else str(raw), "display name", 100)
        ctx.user.display_name = name
        ctx.session.add(ctx.user)
        ctx.session.flush()
        value: Any = name
    else:  # checked by the settings model, as `paa config set` checks it
        value = set_user_setting(ctx, key, raw)
    return {"key": key, "value": value, "summary": f"Set {key} to {value}."}


# ---- the registry -----------------------------------------------------------------------------------------


def _tool(name: str, description: str, arguments: type[Arguments], run: Any, **options: Any) -> Tool:
    return Tool(ToolSpec(name, description, input_schema(arguments)), run, arguments=arguments, **options)


def registry() -> dict[str, Tool]:
    """Every tool by name, in the order the model sees them."""
    tools = [
        _tool("list_habits", "List the user's habits with today's state, streak and schedule.", ListHabitsArgs,
              list_habits),
        _tool("log_habit", "Mark a habit done for a day. For a measurable habit give `value` in its unit; it adds "
              "to the day's total unless `set_total` is true. Call once per habit mentioned.", LogHabitArgs,
              log_habit, writes=True),
        _tool("skip_habit", "Mark a habit deliberately skipped for a day (keeps the streak).", SkipHabitArgs,
              skip_habit, writes=True),
        _tool("unlog_habit", "Remove what is logged for a habit on a day (asks the user first).", HabitDayArgs,
              unlog_habit, writes=True, question=_unlog_question),
        _tool("create_habit", "Create a habit. Daily unless `days` or `times`+`per` are given.", CreateHabitArgs,
              create_habit, writes=True),
        _tool("edit_habit", "Change a habit: rename it (`name`), its schedule, target, unit or reminders.",
              EditHabitArgs, edit_habit, writes=True),
        _tool("archive_habit", "Archive a habit (hidden, history kept) or restore it with archived=false.",
              ArchiveHabitArgs, archive_habit, writes=True),
        _tool("delete_habit", "Delete a habit and all its logs for good (asks the user first). Prefer archive.",
              HabitArgs, delete_habit, writes=True, question=_delete_question),
        _tool("habit_analytics", "Figures for one habit: completion, streaks, strength, weekdays, measure.",
              HabitAnalyticsArgs, habit_analytics),
        _tool("overall_analytics", "Figures across all habits and check-ins: completion, mood, engagement, "
              "insights.", OverallAnalyticsArgs, overall_analytics),
        _tool("record_checkin", "Record the daily check-in: mood 1-5 (required for a new one), optional energy "
              "1-5 and the user's answers in their own words.", RecordCheckinArgs, record_checkin, writes=True),
        _tool("search_memory", "Search what the user told you before: facts, past messages, check-ins.",
              SearchMemoryArgs, search_memory),
        _tool("remember", "Remember a lasting fact about the user for later conversations.", RememberArgs,
              remember, writes=True),
        _tool("forget", "Forget a memory by id (asks the user first); search_memory shows ids.", ForgetArgs,
              forget, writes=True, question=_forget_question),
        _tool("add_reminder", "Create a reminder: `text`, and either `at` (a one-off: 'tomorrow 9:00', "
              "'in 20 minutes', '2027-03-14 18:00') or `time` HH:MM with optional `days` (mon,wed / weekdays).",
              AddReminderArgs, add_reminder, writes=True),
        _tool("list_reminders", "List the user's reminders (custom ones and habit reminder times).", NoArguments,
              list_reminders),
        _tool("get_preferences", "The user's preferences: name, assistant tone, time zone, day start, check-in "
              "time.", NoArguments, get_preferences),
        _tool("set_preference", f"Set one preference: key is one of {', '.join(PREFERENCE_KEYS)}.",
              SetPreferenceArgs, set_preference, writes=True),
    ]  # fmt: skip
    return {tool.spec.name: tool for tool in tools}


@dataclass
class ToolRunner:
    """Runs tool calls against core in short transactions, asking `confirm` before a destructive one."""

    contexts: Contexts
    confirm: Confirm = deny
    tools: dict[str, Tool] = field(default_factory=registry)

    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self.tools.values()]

    def destructive(self, name: str) -> bool:
        tool = self.tools.get(name)
        return tool is not None and tool.destructive

    def question(self, name: str, args: Any) -> str | None:
        """What the person must confirm before this call runs; None when it needs no confirmation, or when its
        arguments or its question fail (`run` then reports that failure as the call's result)."""
        tool = self.tools.get(name)
        if tool is None or tool.question is None or not isinstance(args, dict):
            return None
        try:
            arguments = tool.read(args)
            with self.contexts() as ctx:
                return tool.question(ctx, arguments)
        except Exception:  # the same failure comes back from `run`, as the model's tool result
            return None

    def run(self, call_id: str, name: str, args: dict[str, Any], *, approved: bool | None = None) -> ToolResult:
        """Run one call; a destructive one asks `confirm`, unless `approved` already holds the person's answer
        (given in a later request, see ChatSession.resume)."""
        tool = self.tools.get(name)
        if tool is None:
            return self._error(call_id, name, f"unknown tool {name!r}", None)
        if not isinstance(args, dict):
            return self._error(call_id, name, "the tool input must be an object", None)
        try:
            arguments = tool.read(args)
            if tool.question is not None:
                with self.contexts() as ctx:
                    question = tool.question(ctx, arguments)
                if not (self.confirm(question) if approved is None else approved):
                    data = {"declined": True, "question": question, "summary": "The user said no; nothing changed."}
                    return ToolResult(call_id, name, False, data, "declined: nothing changed", declined=True)
            with self.contexts(write=tool.writes) as ctx:
                data = tool.run(ctx, arguments)
        except PaaError as exc:
            return self._error(call_id, name, exc.message, exc.hint, exc.field)
        except Exception as exc:  # a tool must not crash the conversation; the model hears what went wrong
            return self._error(call_id, name, f"internal error: {type(exc).__name__}: {error_text(exc)}", None)
        summary = str(data.get("summary") or f"{name} done")
        return ToolResult(call_id, name, True, data, summary)

    @staticmethod
    def _error(call_id: str, name: str, message: str, hint: str | None, field: str | None = None) -> ToolResult:
        data = {"error": message, **({"hint": hint} if hint else {}), **({"field": field} if field else {})}
        return ToolResult(call_id, name, False, data, f"error: {message}")
