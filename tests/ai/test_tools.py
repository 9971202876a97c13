"""The tools call core, check their input, ask before destroying, and turn every failure into a result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from paa.ai.providers.base import ToolSpec
from paa.ai.tool_args import input_schema
from paa.ai.tools import Tool, ToolRunner, registry
from paa.db.models import DailyCheckin, Habit, HabitLog, Reminder, UserPreference


def _run(contexts, name: str, args: dict[str, Any], confirm=lambda q: True):
    return ToolRunner(contexts, confirm).run("call_1", name, args)


def test_every_tool_has_a_schema_the_api_accepts() -> None:
    for name, tool in registry().items():
        spec = tool.spec.to_api()
        assert spec["name"] == name and spec["description"]
        assert spec["input_schema"]["type"] == "object"
        assert set(spec["input_schema"].get("required", [])) <= set(spec["input_schema"]["properties"])


def test_each_tool_schema_is_generated_from_its_argument_model() -> None:
    for name, tool in registry().items():
        assert tool.arguments is not None, f"{name} declares no argument model"
        schema = tool.spec.input_schema
        assert schema == input_schema(tool.arguments)
        fields = tool.arguments.model_fields
        assert list(schema["properties"]) == list(fields)
        assert set(schema.get("required", [])) == {field for field, info in fields.items() if info.is_required()}
        assert not {"$defs", "$ref", "anyOf", "title"} & set(json.dumps(schema).replace('"', " ").split()), name


@pytest.mark.parametrize(
    ("name", "args", "field", "message"),
    [
        ("log_habit", {"habit": "water", "value": "lots"}, "value", "`value` must be a number (got 'lots')"),
        ("log_habit", {"habit": "water", "set_total": "perhaps"}, "set_total", "`set_total` must be true or false"),
        ("create_habit", {"unit": "cups"}, "name", "`name` is required"),
        ("create_habit", {"name": "Tea", "times": 2.5}, "times", "`times` must be a whole number (got '2.5')"),
        ("create_habit", {"name": "Tea", "times": 9}, "times", "`times` must be between 1 and `per` (7) (got 9)"),
        ("create_habit", {"name": "Tea", "unit": "cups"}, "target", "a measurable habit needs a `target`"),
        ("edit_habit", {"habit": "run", "remind": "25:00"}, "remind", "reminder time '25:00' must be a time"),
        ("edit_habit", {"habit": "run", "remind_days": "someday"}, "remind_days", "unknown day 'someday'"),
        ("record_checkin", {"mood": 7}, "mood", "`mood` must be less than or equal to 5"),
        ("record_checkin", {"mood": 3, "mode": "redo"}, "mode", "`mode` must be 'new', 'append' or 'replace'"),
        ("record_checkin", {"mood": 3, "answers": [{"prompt": "Day?"}]}, "answers", "`answers.0.answer` is required"),
        ("forget", {}, "memory_id", "`memory_id` is required"),
        ("add_reminder", {"text": "stretch", "time": "25:00"}, "time", "`time` '25:00' must be a time between"),
    ],
)
def test_bad_arguments_are_an_error_naming_the_field(
    habits, contexts, name: str, args: dict[str, Any], field: str, message: str
) -> None:
    result = _run(contexts, name, args)
    assert not result.ok
    assert result.data["error"].startswith(message)
    assert result.data["field"] == field


def test_create_edit_archive_and_unlog(habits, contexts, make_ctx) -> None:
    created = _run(contexts, "create_habit", {"name": "Stretch", "remind": "21:00", "days": "weekdays"})
    assert created.ok and created.summary == "Created Stretch (#3): weekdays, reminders at 21:00."
    edited = _run(contexts, "edit_habit", {"habit": "stretch", "name": "Evening stretch", "remind": ""})
    assert edited.ok and edited.data["habit"]["reminders"] == []
    assert _run(contexts, "log_habit", {"habit": "evening", "date": "yesterday", "note": "10 min"}).ok
    removed = _run(contexts, "unlog_habit", {"habit": "evening", "date": "yesterday"})
    assert removed.ok and removed.data["removed"]["status"] == "done"
    assert _run(contexts, "archive_habit", {"habit": "evening"}).summary.startswith("Archived Evening stretch")
    with make_ctx() as ctx:
        habit = ctx.session.exec(select(Habit).where(Habit.name == "Evening stretch")).one()
        assert habit.archived and habit.reminder_times is None
        assert ctx.session.exec(select(HabitLog)).all() == []


def test_measured_values_add_up_unless_set(habits, contexts) -> None:
    _run(contexts, "log_habit", {"habit": "water", "value": 3})
    assert _run(contexts, "log_habit", {"habit": "water", "value": "2"}).data["value"] == 5
    assert _run(contexts, "log_habit", {"habit": "water", "value": 4, "set_total": True}).data["value"] == 4


def test_the_model_is_told_when_its_note_was_shortened(habits, contexts) -> None:
    first = _run(contexts, "log_habit", {"habit": "water", "value": 3, "note": "a" * 1500})
    assert first.ok and first.data["note_shortened"] is False
    second = _run(contexts, "log_habit", {"habit": "water", "value": 2, "note": "b" * 1000})
    assert second.ok and second.data["note_shortened"] is True
    told = json.loads(second.content())["summary"]
    assert "at most 2000 characters" in told and "did not fit" in told
    skipped = _run(contexts, "skip_habit", {"habit": "run", "note": "c" * 10})
    assert skipped.data["note_shortened"] is False and "did not fit" not in skipped.data["summary"]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("log_habit", {"habit": "water"}, "is measured in glasses; give a value"),
        ("log_habit", {"habit": "water", "value": "lots"}, "`value` must be a number"),
        ("log_habit", {"habit": "run", "date": "tomorrow"}, "cannot read 'tomorrow' as a day"),
        ("log_habit", {}, "`habit` is required"),
        ("edit_habit", {"habit": "run"}, "nothing to change"),
        ("set_preference", {"key": "database_url", "value": "x"}, "cannot set 'database_url' here"),
        ("set_preference", {"key": "timezone", "value": "Mars/Olympus"}, "unknown time zone"),
        ("record_checkin", {"answers": ["fine"]}, "a check-in needs a mood from 1 to 5"),
        ("add_reminder", {"text": "stretch"}, "give `at` for a one-off reminder"),
        ("no_such_tool", {}, "unknown tool 'no_such_tool'"),
    ],
)
def test_bad_input_is_an_error_result(habits, contexts, name: str, args: dict[str, Any], message: str) -> None:
    result = _run(contexts, name, args)
    assert not result.ok
    assert message in result.data["error"]


def test_an_unexpected_exception_becomes_a_result_not_a_crash(contexts) -> None:
    def broken(ctx, args):
        raise ZeroDivisionError("oops")

    tools = {"broken": Tool(ToolSpec("broken", "d", {"type": "object", "properties": {}}), broken)}
    result = ToolRunner(contexts, tools=tools).run("c", "broken", {})
    assert not result.ok and result.data["error"] == "internal error: ZeroDivisionError: oops"


def test_preferences_name_and_tone(contexts, make_ctx) -> None:
    assert _run(contexts, "set_preference", {"key": "display_name", "value": "Sam"}).ok
    assert _run(contexts, "set_preference", {"key": "ai.tone", "value": "dry"}).data["key"] == "assistant_tone"
    assert _run(contexts, "set_preference", {"key": "assistant_tone", "value": "playful"}).ok
    assert not _run(contexts, "set_preference", {"key": "ai.tone", "value": "x" * 201}).ok
    assert _run(contexts, "set_preference", {"key": "checkin.time", "value": "20:30"}).data["value"] == "20:30"
    prefs = _run(contexts, "get_preferences", {}).data["preferences"]
    assert prefs["display_name"] == "Sam" and prefs["assistant_tone"] == "playful" and prefs["checkin_time"] == "20:30"
    with make_ctx() as ctx:
        keys = {row.key for row in ctx.session.exec(select(UserPreference)).all()}
    assert {"assistant_tone", "checkin_time"} <= keys


def test_reminders_once_and_repeating(contexts, make_ctx) -> None:
    once = _run(contexts, "add_reminder", {"text": "call mum", "at": "in 20 minutes"})
    assert once.ok and once.data["reminder"]["at"] == "2026-11-26T12:20:00+00:00"
    weekly = _run(contexts, "add_reminder", {"text": "stretch", "time": "9pm", "days": "mon,wed"})
    assert weekly.data["reminder"]["cron"] == "0 21 * * MON,WED"
    assert weekly.data["reminder"]["next"] == "2026-11-30T21:00:00+00:00"
    listed = _run(contexts, "list_reminders", {}).data
    assert [r["text"] for r in listed["reminders"]] == ["call mum", "stretch"]
    assert listed["checkin"]["time"] == "21:00"
    with make_ctx() as ctx:
        assert len(ctx.session.exec(select(Reminder)).all()) == 2


def test_a_checkin_through_the_assistant(contexts, make_ctx) -> None:
    result = _run(contexts, "record_checkin", {"mood": 4, "energy": 3, "answers": [{"answer": "A calm day"}]})
    assert result.ok and result.data["checkin"]["mood"] == 4
    assert result.data["checkin"]["answers"] == [{"prompt": "How was your day?", "answer": "A calm day"}]
    with make_ctx() as ctx:
        assert ctx.session.exec(select(DailyCheckin)).one().sentiment_source == "vader"
    found = _run(contexts, "search_memory", {"query": "calm day"}).data["memories"]
    assert [m["kind"] for m in found] == ["checkin"]  # searchable at once, as after `paa checkin`


def test_remember_search_and_forget_with_confirmation(contexts) -> None:
    kept = _run(contexts, "remember", {"content": "Allergic to peanuts"})
    memory_id = kept.data["memory_id"]
    found = _run(contexts, "search_memory", {"query": "peanuts"}).data["memories"]
    assert [m["memory_id"] for m in found] == [memory_id]
    asked: list[str] = []
    declined = _run(contexts, "forget", {"memory_id": memory_id}, confirm=lambda q: asked.append(q) or False)
    assert declined.declined and asked == [f"Forget memory #{memory_id}: 'Allergic to peanuts'?"]
    assert _run(contexts, "forget", {"memory_id": memory_id}).ok
    assert _run(contexts, "search_memory", {"query": "peanuts"}).data["memories"] == []
