"""What the model is told: the day's context within budget, and a history the API accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from paa.ai.context import build_turn_context, estimate_tokens, split_for_budget, to_api_messages
from paa.db.models import Message
from tests.support.fake_anthropic import problems

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _row(number: int, role: str, content: str = "", **extra: Any) -> Message:
    return Message(id=number, user_id=1, conversation_id=1, role=role, content=content, created_at=NOW, **extra)


def test_profile_checkins_and_mood_trend(habits, make_ctx) -> None:
    from paa.core.checkins.entries import Answer, save_checkin

    with make_ctx(write=True) as ctx:
        ctx.user.display_name = "Sam"
        ctx.session.add(ctx.user)
        save_checkin(ctx, date(2026, 11, 17), [Answer("How was your day?", "fine")], mood=2)
        save_checkin(ctx, date(2026, 11, 25), [Answer("How was your day?", "Great run in the sun")], mood=5, energy=4)
    with make_ctx() as ctx:
        text = build_turn_context(ctx, "hello", tone="playful", budget_tokens=3000).text
    assert "- Name: Sam" in text and "- Preferred tone: playful" in text
    assert "- Mood average this week: 5.0/5 (the week before: 2.0/5)" in text
    assert "- 2026-11-25 (Wed): mood 5/5, energy 4/5, sentiment positive: 'Great run in the sun'" in text


def test_a_small_budget_trims_sections_and_says_so(make_ctx) -> None:
    from paa.core.habits.manage import HabitFields, add_habit

    with make_ctx(write=True) as ctx:
        for number in range(60):
            add_habit(ctx, HabitFields(name=f"Habit number {number:02d} with a long name"))
    with make_ctx() as ctx:
        small = build_turn_context(ctx, "hi", tone="warm", budget_tokens=400).text
        large = build_turn_context(ctx, "hi", tone="warm", budget_tokens=20_000).text
    assert "Habit number 59" in large and "more not shown" not in large
    assert "Habit number 00" in small and "Habit number 59" not in small
    assert "more not shown)" in small
    assert estimate_tokens(small) < 520


def test_history_keeps_tool_rounds_paired_and_marks_interruptions() -> None:
    rows = [
        _row(1, "user", "log water"),
        _row(2, "assistant", "", tool_calls='[{"id": "t1", "name": "log_habit", "input": {"habit": "water"}}]'),
        _row(3, "tool", '{"summary": "ok"}', tool_calls='{"tool_use_id": "t1", "name": "log_habit"}'),
        _row(4, "assistant", "Logged."),
        _row(5, "user", "tell me a story"),
        _row(6, "assistant", "Once upon", interrupted=True,
             tool_calls='[{"id": "t2", "name": "list_habits", "input": {}}]'),
        _row(7, "user", "never mind"),
        _row(8, "user", "how am I doing?"),
    ]  # fmt: skip
    messages = to_api_messages(rows)
    assert problems({"model": "m", "max_tokens": 10, "messages": messages}) is None
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user", "assistant", "user"]
    assert messages[2]["content"][0] == {"type": "tool_result", "tool_use_id": "t1", "content": '{"summary": "ok"}'}
    assert messages[5]["content"] == [{"type": "text", "text": "Once upon\n\n[reply interrupted]"}]
    assert [b["text"] for b in messages[6]["content"]] == ["never mind", "how am I doing?"]


def test_history_drops_a_tool_call_whose_result_was_never_stored() -> None:
    rows = [
        _row(1, "user", "delete run"),
        _row(2, "assistant", "Deleting.", tool_calls='[{"id": "t1", "name": "delete_habit", "input": {}}]'),
        _row(3, "user", "hello?"),
    ]
    messages = to_api_messages(rows)
    assert problems({"model": "m", "max_tokens": 10, "messages": messages}) is None
    assert messages[1]["content"] == [{"type": "text", "text": "Deleting."}]


def test_the_budget_split_cuts_where_a_turn_starts() -> None:
    rows = [_row(n, "user" if n % 2 else "assistant", "word " * 40) for n in range(1, 9)]
    older, recent = split_for_budget(rows, 120)
    assert recent[0].role == "user" and len(recent) == 2
    assert [r.id for r in older + recent] == list(range(1, 9))
    assert split_for_budget(rows, 100_000) == ([], rows)
    older, recent = split_for_budget(rows, 10)  # the newest turn is always kept
    assert [r.id for r in recent] == [7, 8]
