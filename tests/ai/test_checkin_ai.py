"""Check-in AI and conversation insights, on the background model through the real SDK and the fake API."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from paa.ai.chat import ChatSession
from paa.ai.checkin_ai import after_checkin
from paa.ai.insights import record_insight
from paa.ai.providers.offline import OfflineProvider
from paa.ai.store import INSIGHT_EVENT, USAGE_EVENT
from paa.db.models import AnalyticsEvent, DailyCheckin, Memory
from tests.support.fake_anthropic import FakeAnthropic, error, reply

DAY = date(2026, 11, 26)
HAIKU = "claude-haiku-5-5"


def _checkin(make_ctx) -> None:
    from paa.core.checkins.entries import Answer, save_checkin

    with make_ctx(write=True) as ctx:
        save_checkin(ctx, DAY, [Answer("How was your day?", "Great, I suppose. Another deadline moved.")], mood=2)


def test_the_model_refines_the_sentiment_and_its_summary_becomes_a_memory(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    _checkin(make_ctx)
    answer = {
        "sentiment_score": -0.4, "sentiment_label": "negative",
        "summary": "Your day felt flat after another deadline moved. The 'great' was ironic.",
        "follow_up": "Is the moving deadline something you can talk to someone about?",
    }  # fmt: skip
    fake_anthropic.push(reply("Here you go:\n" + json.dumps(answer), model="claude-haiku-5-5"))
    insight = after_checkin(contexts, claude, DAY)
    assert insight is not None
    assert insight.follow_up == answer["follow_up"]
    sent = fake_anthropic.requests[0].body
    assert sent["model"] == "claude-haiku-5-5"
    assert "Another deadline moved" in sent["messages"][0]["content"]
    assert "Local analyser: +" in sent["messages"][0]["content"]  # VADER read "Great" as positive
    with make_ctx() as ctx:
        row = ctx.session.exec(select(DailyCheckin)).one()
        memory = ctx.session.exec(select(Memory).where(Memory.kind == "checkin", Memory.source_id == row.id)).all()
        usage = ctx.session.exec(select(AnalyticsEvent).where(AnalyticsEvent.kind == USAGE_EVENT)).one()
    assert (row.sentiment_score, row.sentiment_label, row.sentiment_source) == (-0.4, "negative", "claude-haiku-5-5")
    assert any("deadline moved" in m.content for m in memory)
    assert json.loads(usage.payload)["purpose"] == "checkin"


def test_without_a_model_or_when_it_fails_the_local_sentiment_stays(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    _checkin(make_ctx)
    assert after_checkin(contexts, OfflineProvider(), DAY) is None
    fake_anthropic.push(error(529, "overloaded_error", repeat=3))
    assert after_checkin(contexts, claude, DAY) is None
    with make_ctx() as ctx:
        assert ctx.session.exec(select(DailyCheckin)).one().sentiment_source == "vader"


def test_a_checkin_recorded_in_chat_is_refined_after_the_reply(
    contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    fake_anthropic.push(
        reply(tools=[("record_checkin", {"mood": 3, "answers": [{"answer": "Tired but OK"}]})]),
        reply("Saved your check-in."),
        reply(json.dumps({"sentiment_score": 0.1, "sentiment_label": "neutral", "summary": "A tired, okay day.",
                          "follow_up": None})),
    )  # fmt: skip
    events = list(ChatSession(contexts, claude).send("check in: tired but ok, mood 3"))
    assert events[-1].follow_up is None  # type: ignore[union-attr]
    assert len(fake_anthropic.requests) == 3
    with make_ctx() as ctx:
        assert ctx.session.exec(select(DailyCheckin)).one().sentiment_label == "neutral"


def test_conversation_insights_by_rules_then_by_model(
    habits, contexts, claude, fake_anthropic: FakeAnthropic, make_ctx
):
    session = ChatSession(contexts, OfflineProvider())
    list(session.send("I drank 2 glasses of water and ran 5 km"))
    list(session.send("I slept badly, work stress again"))
    conversation = session.conversation_id
    assert conversation is not None
    local = record_insight(contexts, conversation)
    assert local is not None and local.source == "local"
    assert local.intents[0] == "log_habit" and "chat" in local.intents
    assert local.topics == ["exercise", "hydration", "drink water", "run", "sleep", "work", "stress"]
    list(session.send("how am I doing with running?"))
    fake_anthropic.push(reply('{"topics": ["Running", "sleep", "work stress"], "intents": ["log_habit", "progress"]}'))
    by_model = record_insight(contexts, conversation, claude)
    assert by_model is not None and by_model.topics == ["running", "sleep", "work stress"]
    assert by_model.source == "claude-sonnet-5-5"  # the fake answers with its default model name
    assert "Person: I slept badly" in fake_anthropic.requests[0].body["messages"][0]["content"]
    with make_ctx() as ctx:
        stored = ctx.session.exec(select(AnalyticsEvent).where(AnalyticsEvent.kind == INSIGHT_EVENT)).all()
    assert len(stored) == 1  # one per conversation, updated
    assert json.loads(stored[0].payload)["intents"] == ["log_habit", "progress"]


def test_a_check_in_changed_while_the_model_reads_it_keeps_the_change_and_is_read_again(
    clock, fake_anthropic: FakeAnthropic, make_ctx
) -> None:
    from paa.ai import checkins
    from paa.ai.checkin_ai import read_unread_checkin
    from paa.core.checkins.entries import Answer
    from tests.support.runtime import runtime_for

    _checkin(make_ctx)
    reading = {"sentiment_score": -0.4, "sentiment_label": "negative", "summary": "A flat day.", "follow_up": None}

    def append_meanwhile(request: Any) -> Any:  # the browser app appends while the model is still reading
        with make_ctx(write=True) as ctx:
            checkins.save(ctx, DAY, [Answer("Anything else?", "Then dinner with friends, lovely.")], mode="append")
        fake_anthropic.responder = lambda _request: reply(json.dumps({**reading, "sentiment_score": 0.3}), model=HAIKU)
        return reply(json.dumps(reading), model=HAIKU)

    fake_anthropic.responder = append_meanwhile
    with runtime_for(clock=clock) as runtime:
        acting = runtime.acting()
        read_unread_checkin(runtime, acting, DAY)  # the stale reading is not written over the newer answers
        with make_ctx() as ctx:
            row = ctx.session.exec(select(DailyCheckin)).one()
            assert "dinner with friends" in (row.answers or "") and row.sentiment_source == "vader"
        read_unread_checkin(runtime, acting, DAY)  # the append's own reading (its job, or the server's call)
    assert len(fake_anthropic.requests) == 2
    assert "dinner with friends" in fake_anthropic.requests[1].body["messages"][0]["content"]
    with make_ctx() as ctx:
        row = ctx.session.exec(select(DailyCheckin)).one()
        summaries = ctx.session.exec(select(Memory).where(Memory.kind == "checkin", Memory.source_id == row.id)).all()
    assert (row.sentiment_score, row.sentiment_source) == (0.3, HAIKU)
    assert "dinner with friends" in (row.answers or "")
    assert [m.content for m in summaries if "A flat day" in m.content] == [f"Check-in {DAY.isoformat()}: A flat day."]
