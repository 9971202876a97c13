"""The chat loop with the real SDK and the fake API: what paa sends, what it runs, and what it stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from paa.ai import errors
from paa.ai.chat import ChatSession, ReplyDone, ToolFinished, ToolStarted
from paa.ai.context import SYSTEM_PROMPT
from paa.ai.providers.base import CancelToken, TextDelta, Usage
from paa.ai.store import USAGE_EVENT
from paa.db.models import AnalyticsEvent, Habit, HabitLog, Message
from tests.support.fake_anthropic import FakeAnthropic, cut, error, reply


def _messages(make_ctx) -> list[Message]:
    with make_ctx() as ctx:
        return list(ctx.session.exec(select(Message).order_by(col(Message.id))).all())


def test_two_habits_in_one_message_are_logged_and_the_round_trip_is_stored(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    fake_anthropic.push(
        reply("Logging both.", tools=[("log_habit", {"habit": "water", "value": 2}), ("log_habit", {"habit": "run"})],
              usage=(900, 40), cache=(1500, 0)),
        reply("Done: 2 glasses of water and your run are logged.", usage=(1000, 20), cache=(0, 1500)),
    )  # fmt: skip
    session = ChatSession(contexts, claude)
    events = list(session.send("I drank 2 glasses of water and ran 5 km"))

    first, second = fake_anthropic.wait_for_requests(2)
    # what paa sent: the cached stable prompt, the context of the day, all tools, the message
    assert first.body["system"][0] == {"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}
    context = first.body["system"][1]["text"]
    assert "Thursday 2026-11-26" in context
    assert "- Drink water (#1): due, 0/8 glasses; every day" in context
    assert "- Run (#2): not due; Mon, Wed, Fri" in context
    assert {"log_habit", "habit_analytics", "delete_habit", "add_reminder", "remember"} <= set(first.tool_names)
    assert first.body["model"] == "claude-sonnet-5-5"
    assert first.texts() == ["I drank 2 glasses of water and ran 5 km"]
    # the second call carries both tool results, answered in order
    results = second.body["messages"][-1]["content"]
    assert [block["type"] for block in results] == ["tool_result", "tool_result"]
    assert "2 of 8 glasses" in results[0]["content"] and "is_error" not in results[0]
    assert "Run" in results[1]["content"]
    assert "Drink water (#1): partial, 2/8 glasses" in second.body["system"][1]["text"]  # context refreshed

    # what the interface saw
    assert [type(e).__name__ for e in events if isinstance(e, ToolStarted | ToolFinished)] == [
        "ToolStarted", "ToolFinished", "ToolStarted", "ToolFinished",
    ]  # fmt: skip
    done = events[-1]
    assert isinstance(done, ReplyDone) and not done.interrupted
    assert done.text == "Done: 2 glasses of water and your run are logged."
    assert done.usage == Usage(1900, 60, 1500, 1500)

    # what was stored
    with make_ctx() as ctx:
        logs = {h.name: log for log, h in ctx.session.exec(select(HabitLog, Habit).join(Habit)).all()}
        usage_events = ctx.session.exec(select(AnalyticsEvent).where(AnalyticsEvent.kind == USAGE_EVENT)).all()
    assert logs["Drink water"].value == 2 and logs["Run"].status == "done"
    stored = _messages(make_ctx)
    assert [m.role for m in stored] == ["user", "assistant", "tool", "tool", "assistant"]
    assert json.loads(stored[1].tool_calls or "null")[0]["name"] == "log_habit"
    assert (stored[1].input_tokens, stored[1].output_tokens) == (2400, 40)  # input incl. the cache write
    assert (stored[4].input_tokens, stored[4].output_tokens) == (2500, 20)
    assert stored[4].model == "claude-sonnet-5-5"
    assert json.loads(stored[2].tool_calls or "null")["name"] == "log_habit"
    assert len(usage_events) == 2


def test_history_is_sent_on_the_next_turn(habits, contexts, claude, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Hi! How can I help?"), reply("You said hello first."))
    session = ChatSession(contexts, claude)
    list(session.send("hello"))
    list(session.send("what did I say first?"))
    later = fake_anthropic.wait_for_requests(2)[1]
    assert [m["role"] for m in later.body["messages"]] == ["user", "assistant", "user"]
    assert later.texts("user") == ["hello", "what did I say first?"]
    assert later.texts("assistant") == ["Hi! How can I help?"]


def test_a_progress_question_is_answered_from_real_analytics(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from datetime import date

    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit

    with make_ctx(write=True) as ctx:
        run = resolve_habit(ctx, "run")
        for day in (date(2026, 11, 23), date(2026, 11, 25)):
            log_habit(ctx, run, day)
    fake_anthropic.push(reply(tools=[("habit_analytics", {"habit": "run", "period": "7d"})]), reply("Going well."))
    list(ChatSession(contexts, claude).send("how am I doing with running?"))
    result = json.loads(fake_anthropic.wait_for_requests(2)[1].body["messages"][-1]["content"][0]["content"])
    assert result["habit"]["name"] == "Run"
    assert result["totals"]["period_done"] == 2
    assert result["streak"]["current"] >= 1


@pytest.mark.parametrize("answer", [False, True])
def test_a_destructive_tool_asks_first(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx, answer: bool
) -> None:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    fake_anthropic.push(reply(tools=[("delete_habit", {"habit": "Run"})]), reply("OK."))
    events = list(ChatSession(contexts, claude, confirm=confirm).send("delete my Run habit"))
    assert asked == ["Delete the habit Run (#2) and its 0 logs for good?"]
    finished = next(e for e in events if isinstance(e, ToolFinished))
    with make_ctx() as ctx:
        names = [h.name for h in ctx.session.exec(select(Habit)).all()]
    sent = json.loads(fake_anthropic.wait_for_requests(2)[1].body["messages"][-1]["content"][0]["content"])
    if answer:
        assert "Run" not in names and finished.result.ok
        assert sent["logs_removed"] == 0
    else:
        assert "Run" in names and finished.result.declined
        assert sent["declined"] is True


def test_asked_later_a_round_waits_at_each_destructive_call_and_goes_on_when_answered(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai.chat import ConfirmationNeeded
    from paa.ai.tools import ASK_LATER
    from paa.errors import NotFound

    calls: list[tuple[str, dict[str, Any]]] = [
        ("delete_habit", {"habit": "Run"}), ("log_habit", {"habit": "water", "value": 2}),
        ("unlog_habit", {"habit": "water"}),
    ]  # fmt: skip
    fake_anthropic.push(reply("Let me see.", tools=calls))
    events = list(ChatSession(contexts, claude, confirm=ASK_LATER).send("delete Run, log 2 water, then undo it"))
    held = [e.confirmation for e in events if isinstance(e, ConfirmationNeeded)]
    question = "Delete the habit Run (#2) and its 0 logs for good?"
    assert [(c.tool, c.question) for c in held] == [("delete_habit", question)]
    assert not any(isinstance(e, ToolStarted) for e in events)  # nothing ran
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.confirmation == held[0] and done.text == "Let me see."

    # yes: the delete runs, then the log; the unlog waits in its turn
    events = list(ChatSession(contexts, claude, confirm=ASK_LATER).resume(held[0].id, True))
    assert [e.result.name for e in events if isinstance(e, ToolFinished)] == ["delete_habit", "log_habit"]
    second = events[-1]
    assert isinstance(second, ReplyDone) and second.confirmation is not None
    assert second.confirmation.tool == "unlog_habit"
    with pytest.raises(NotFound):  # the first answer counted once
        list(ChatSession(contexts, claude, confirm=ASK_LATER).resume(held[0].id, True))

    # no: the unlog is declined, and the model hears all three results in order
    fake_anthropic.push(reply("Deleted Run and logged 2 glasses; the log stays."))
    events = list(ChatSession(contexts, claude, confirm=ASK_LATER).resume(second.confirmation.id, False))
    finished = [e.result for e in events if isinstance(e, ToolFinished)]
    assert [(r.name, r.declined) for r in finished] == [("unlog_habit", True)]
    assert isinstance(events[-1], ReplyDone) and events[-1].text == "Deleted Run and logged 2 glasses; the log stays."
    requests = fake_anthropic.wait_for_requests(2)
    results = requests[1].body["messages"][-1]["content"]
    assert [block["tool_use_id"] for block in results] == [c["id"] for c in requests[1].body["messages"][-2]["content"]
                                                          if c["type"] == "tool_use"]  # fmt: skip
    with make_ctx() as ctx:
        assert [h.name for h in ctx.session.exec(select(Habit)).all()] == ["Drink water"]
        assert [log.value for log in ctx.session.exec(select(HabitLog)).all()] == [2]


def test_a_tool_error_goes_back_to_the_model_as_a_result(
    habits, contexts, claude, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply(tools=[("log_habit", {"habit": "swimming"})]), reply("You have no swimming habit."))
    events = list(ChatSession(contexts, claude).send("I swam"))
    block = fake_anthropic.wait_for_requests(2)[1].body["messages"][-1]["content"][0]
    assert block["is_error"] is True
    assert "no habit matches 'swimming'" in json.loads(block["content"])["error"]
    assert isinstance(events[-1], ReplyDone) and events[-1].text == "You have no swimming habit."


def test_ctrl_c_keeps_what_arrived_marked_interrupted(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    fake_anthropic.push(reply("one two three four five six", chunks=6), reply("Sure."))
    session = ChatSession(contexts, claude)
    cancel = CancelToken()
    events = []
    for event in session.send("count to six", cancel):
        events.append(event)
        if isinstance(event, TextDelta) and len([e for e in events if isinstance(e, TextDelta)]) == 2:
            cancel.cancel()
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.interrupted
    stored = _messages(make_ctx)[-1]
    assert stored.role == "assistant" and stored.interrupted and stored.content == done.text
    assert 0 < len(stored.content) < len("one two three four five six")
    list(session.send("go on"))
    later = fake_anthropic.wait_for_requests(2)[1]
    assert later.texts("assistant") == [stored.content + "\n\n[reply interrupted]"]


def test_a_keyboard_interrupt_inside_the_stream_is_an_interruption_too(habits, contexts, make_ctx) -> None:
    from tests.support.scripted import ScriptedProvider, Turn

    def interrupt(piece: int) -> None:
        if piece == 2:
            raise KeyboardInterrupt

    provider = ScriptedProvider(Turn("abcdefghi", pieces=3, before_piece=interrupt))
    events = list(ChatSession(contexts, provider).send("hi"))
    assert isinstance(events[-1], ReplyDone) and events[-1].interrupted and events[-1].text == "abcdef"
    assert _messages(make_ctx)[-1].interrupted


@pytest.mark.parametrize(
    ("scripted", "expected"),
    [
        (error(401, "authentication_error", "invalid x-api-key"), errors.BadApiKey),
        (error(429, "rate_limit_error", repeat=3), errors.RateLimited),
        (error(529, "overloaded_error", repeat=3), errors.Overloaded),
    ],
    ids=["401", "429", "529"],
)
def test_a_failure_is_one_error_and_the_message_is_kept(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx, scripted, expected
) -> None:
    fake_anthropic.push(scripted)
    with pytest.raises(expected):
        list(ChatSession(contexts, claude).send("are you there?"))
    stored = _messages(make_ctx)
    assert [(m.role, m.content) for m in stored] == [("user", "are you there?")]


def test_an_unanswered_message_is_sent_again_with_the_next_one(
    habits, contexts, claude, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(error(529, "overloaded_error", repeat=3), reply("Both received."))
    session = ChatSession(contexts, claude)
    with pytest.raises(errors.Overloaded):
        list(session.send("first question"))
    list(session.send("second question"))
    last = fake_anthropic.requests[-1]
    assert last.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "first question"},
                                     {"type": "text", "text": "second question"}]},
    ]  # fmt: skip


def test_a_cut_stream_keeps_the_partial_reply(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    fake_anthropic.push(cut("This answer will be cut off before it ends.", after_events=5))
    seen = []
    with pytest.raises(errors.StreamCut) as caught:
        for event in ChatSession(contexts, claude).send("tell me something"):
            seen.append(event)
    assert "--continue" in (caught.value.hint or "")
    stored = _messages(make_ctx)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].interrupted and stored[1].content == "".join(e.text for e in seen if isinstance(e, TextDelta))


def test_memories_relevant_to_the_message_are_in_the_context(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import recall

    with make_ctx(write=True) as ctx:
        recall.remember(ctx, "The user has knee pain after long runs")
        recall.remember(ctx, "The user's sister is called Ana")
    fake_anthropic.push(reply("Take it easy on the knee."))
    list(ChatSession(contexts, claude).send("my knee hurts, should I run today?"))
    context = fake_anthropic.wait_for_requests(1)[0].body["system"][1]["text"]
    assert "knee pain after long runs" in context
    assert "Ana" not in context


def test_a_long_conversation_is_summarised_not_dropped(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import settings
    from paa.ai.store import SUMMARY_EVENT

    session = ChatSession(contexts, claude)
    for number in range(3):
        fake_anthropic.push(reply(f"Answer number {number}, " + "with some words " * 6))
        list(session.send(f"Question number {number}: " + "tell me more " * 6))
    assert "Question number 0" in json.dumps(fake_anthropic.requests[-1].body["messages"])
    with make_ctx(write=True) as ctx:
        settings.store_setting(ctx, "ai_history_tokens", 60)
    # the next turn no longer fits: older turns are summarised on the background model first
    fake_anthropic.push(reply("The person asked questions 0 to 2 and got answers."), reply("Fine."))
    events = list(session.send("and now?"))
    requests = fake_anthropic.requests
    summary_call, answer_call = requests[-2], requests[-1]
    assert summary_call.body["model"] == "claude-haiku-5-5" and "stream" not in summary_call.body
    assert "Question number 0" in summary_call.body["messages"][0]["content"]
    assert "Question number 2" in summary_call.body["messages"][0]["content"]
    assert "The person asked questions 0 to 2" in answer_call.body["system"][1]["text"]
    assert "Question number 0" not in json.dumps(answer_call.body["messages"])
    assert answer_call.texts()[-1] == "and now?"
    assert any("summarising" in getattr(e, "text", "") for e in events)
    with make_ctx() as ctx:
        event = ctx.session.exec(select(AnalyticsEvent).where(AnalyticsEvent.kind == SUMMARY_EVENT)).one()
    assert json.loads(event.payload)["source"] == "model"
