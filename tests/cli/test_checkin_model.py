"""`paa checkin` with an API key: the model reads the saved check-in, through the real SDK and the fake API."""

from __future__ import annotations

import json

from sqlmodel import select

from paa.db.models import DailyCheckin, Memory
from tests.support.fake_anthropic import FakeAnthropic, reply


def test_checkin_is_refined_summarised_and_followed_up(cli, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    answer = {
        "sentiment_score": -0.3, "sentiment_label": "negative",
        "summary": "A tiring day at work; the run helped a little.",
        "follow_up": "What would make tomorrow lighter?",
    }  # fmt: skip
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    result = cli("checkin", "--mood", "2", "--answer", "Long meetings, then a short run", "--answer", "The run")
    assert result.code == 0, result.err
    assert "Noted: A tiring day at work" in result.out
    assert "What would make tomorrow lighter?" in result.out
    assert "Long meetings" in fake_anthropic.requests[0].body["messages"][0]["content"]
    with make_ctx() as ctx:
        row = ctx.session.exec(select(DailyCheckin)).one()
        memories = ctx.session.exec(select(Memory).where(Memory.kind == "checkin")).all()
    assert (row.sentiment_label, row.sentiment_source) == ("negative", "claude-haiku-5-5")
    assert any("tiring day" in memory.content for memory in memories)


def test_a_backfilled_day_is_read_but_gets_no_question(cli, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    answer = {"sentiment_score": 0.5, "sentiment_label": "positive", "summary": "A calm day.",
              "follow_up": "How are you now?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    result = cli("checkin", "--date", "yesterday", "--mood", "4", "--answer", "Calm")
    assert result.code == 0, result.err
    assert "Noted: A calm day." in result.out
    assert "How are you now?" not in result.out  # the question asks about now: today's check-in only
    with make_ctx() as ctx:
        assert ctx.session.exec(select(DailyCheckin)).one().sentiment_source == "claude-haiku-5-5"


def test_a_failing_model_keeps_the_saved_checkin(cli, fake_anthropic: FakeAnthropic, make_ctx) -> None:
    fake_anthropic.push(reply("not json at all"))
    result = cli("checkin", "--mood", "4", "--answer", "Good day", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["checkin"]["mood"] == 4
    with make_ctx() as ctx:
        assert ctx.session.exec(select(DailyCheckin)).one().sentiment_source == "vader"


def test_the_follow_up_question_is_answered_with_chat_continue(
    cli, fake_anthropic: FakeAnthropic, make_ctx, monkeypatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # a pipe with nothing in it
    answer = {"sentiment_score": -0.3, "sentiment_label": "negative", "summary": "A tiring day.",
              "follow_up": "What would make tomorrow lighter?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    result = cli("checkin", "--mood", "2", "--answer", "Long meetings")
    assert result.code == 0, result.err
    assert "paa chat --continue" in result.out
    shown = json.loads(cli("chat", "show", "1", "--json").out)
    assert [(m["role"], m["model"]) for m in shown["messages"]] == [("user", None), ("assistant", "claude-haiku-5-5")]
    assert "Long meetings" in shown["messages"][0]["content"] and "Mood: 2/5" in shown["messages"][0]["content"]
    assert shown["messages"][1]["content"] == "What would make tomorrow lighter?"

    fake_anthropic.push(reply("An earlier night sounds right."))
    answered = cli("chat", "--continue", "An earlier night")
    assert answered.code == 0, answered.err
    assert "An earlier night sounds right." in answered.out
    sent = fake_anthropic.message_requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]  # the question is in the model's history
    assert sent[1]["content"][0]["text"] == "What would make tomorrow lighter?"
    assert sent[2]["content"][0]["text"] == "An earlier night"


def test_no_question_keeps_no_conversation(cli, fake_anthropic: FakeAnthropic) -> None:
    answer = {"sentiment_score": 0.5, "sentiment_label": "positive", "summary": "A calm day.", "follow_up": None}
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    result = cli("checkin", "--mood", "4", "--answer", "Calm")
    assert result.code == 0, result.err
    assert "paa chat --continue" not in result.out
    assert json.loads(cli("chat", "history", "--json").out) == []
