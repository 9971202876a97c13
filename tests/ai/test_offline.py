"""Offline: requests recognised by rules run the same tools a model would; the rest is declined plainly."""

from __future__ import annotations

import pytest
from sqlmodel import select

from paa.ai.chat import ChatSession, ReplyDone, ToolFinished
from paa.ai.intents import match_habit, parse, stem
from paa.ai.providers.offline import OfflineProvider
from paa.db.models import Habit, HabitLog, Reminder

HABITS = ("Drink water", "Run", "Meditate", "Read", "Coffee")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I drank 2 glasses of water and ran 5 km",
         [("log_habit", {"habit": "Drink water", "value": 2.0}), ("log_habit", {"habit": "Run", "value": 5.0})]),
        ("meditated yesterday", [("log_habit", {"habit": "Meditate", "date": "yesterday"})]),
        ("skipping my run today, rest day", [("skip_habit", {"habit": "Run"})]),
        ("I had two coffees", [("log_habit", {"habit": "Coffee", "value": 2.0})]),
        ("how am I doing with running?", [("habit_analytics", {"habit": "Run", "period": "30d"})]),
        ("how did my week go?", [("overall_analytics", {"period": "7d"})]),
        ("how was this month", [("overall_analytics", {"period": "30d"})]),
        ("what are my habits", [("list_habits", {})]),
        ("remind me to stretch at 21:00 on weekdays",
         [("add_reminder", {"text": "stretch", "time": "21:00", "days": "weekdays"})]),
        ("remind me to call mum tomorrow at 9:00", [("add_reminder", {"text": "call mum", "at": "tomorrow at 9:00"})]),
        ("remember that my knee hurts after long runs",
         [("remember", {"content": "my knee hurts after long runs"})]),
        ("delete my Run habit", [("delete_habit", {"habit": "Run"})]),
        ("check in: mood 4, a calm day", [("record_checkin", {"mood": 4, "answers": ["check in: mood 4, a calm day"],
                                                             "mode": "append"})]),
        ("call me Sam", [("set_preference", {"key": "display_name", "value": "Sam"})]),
    ],
)  # fmt: skip
def test_requests_become_tool_calls(text: str, expected: list[tuple[str, dict[str, object]]]) -> None:
    assert [(i.tool, i.args) for i in parse(text, HABITS)] == expected


@pytest.mark.parametrize("text", ["what is the meaning of life?", "write me a poem", "hello"])
def test_anything_else_is_not_guessed(text: str) -> None:
    assert [i for i in parse(text, HABITS) if i.tool] == []


def test_stems_match_the_words_people_use() -> None:
    assert stem("running") == stem("run") == stem("ran") == stem("runs")
    assert stem("meditated") == stem("meditate") == stem("meditation")
    assert match_habit("went for a jog", ["Run", "Jogging"]) == "Jogging"
    assert match_habit("drank some water", ["Drink water", "Drink less coffee"]) == "Drink water"
    assert match_habit("did it", ["Run", "Read"]) is None


def test_offline_chat_logs_two_habits_and_says_so(habits, contexts, make_ctx) -> None:
    events = list(ChatSession(contexts, OfflineProvider()).send("I drank 2 glasses of water and ran 5 km"))
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert done.text == "Logged Drink water for 2026-11-26: 2 of 8 glasses.\nLogged Run as done for 2026-11-26."
    with make_ctx() as ctx:
        assert len(ctx.session.exec(select(HabitLog)).all()) == 2


def test_offline_reminder_and_confirmed_delete(habits, contexts, make_ctx) -> None:
    asked: list[str] = []
    session = ChatSession(contexts, OfflineProvider(), confirm=lambda q: asked.append(q) or True)
    list(session.send("remind me to stretch at 21:00 on weekdays"))
    events = list(session.send("delete my Run habit"))
    with make_ctx() as ctx:
        reminder = ctx.session.exec(select(Reminder)).one()
        names = [h.name for h in ctx.session.exec(select(Habit)).all()]
    assert (reminder.text, reminder.kind, reminder.cron) == ("stretch", "cron", "0 21 * * MON,TUE,WED,THU,FRI")
    assert asked == ["Delete the habit Run (#2) and its 0 logs for good?"]
    assert names == ["Drink water"]
    assert events[-1].text == "Deleted Run and 0 logs."  # type: ignore[union-attr]


def test_offline_says_plainly_what_it_cannot_do(contexts) -> None:
    done = list(ChatSession(contexts, OfflineProvider()).send("write me a poem about autumn"))[-1]
    assert isinstance(done, ReplyDone)
    assert done.text.startswith("I can't answer that offline.")
    assert "paa auth key set anthropic" in done.text


def test_offline_reports_a_tool_error_in_words(habits, contexts) -> None:
    events = list(ChatSession(contexts, OfflineProvider(), confirm=lambda q: True).send("delete my Yoga habit"))
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [e.result.ok for e in finished] == [False]
    assert events[-1].text == "I couldn't delete habit: no habit matches 'Yoga' (see `paa habit list --all`)."  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "opening"),
    [("hi", "Hello!"), ("Hello!", "Hello!"), ("good morning", "Hello!"), ("thanks", "You're welcome."),
     ("Thank you.", "You're welcome.")],
)  # fmt: skip
def test_greetings_and_thanks_get_a_greeting_that_says_what_works_offline(contexts, text: str, opening: str) -> None:
    done = list(ChatSession(contexts, OfflineProvider()).send(text))[-1]
    assert isinstance(done, ReplyDone)
    assert done.text.startswith(opening)
    assert "can't answer" not in done.text
    assert "offline" in done.text and "/checkin" in done.text


@pytest.mark.parametrize("text", ["exit", "quit", "bye"])
def test_a_farewell_is_not_refused(contexts, text: str) -> None:
    done = list(ChatSession(contexts, OfflineProvider()).send(text))[-1]
    assert done.text == "Bye for now."  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["how was my week?", "how am I doing with running?"])
def test_a_question_answered_by_numbers_says_it_is_offline(habits, contexts, text: str) -> None:
    done = list(ChatSession(contexts, OfflineProvider()).send(text))[-1]
    assert isinstance(done, ReplyDone)
    first, note = done.text.splitlines()
    assert first.startswith(("Overview of", "Run over"))
    assert note.startswith("(Offline, so just the numbers") and "paa auth key set anthropic" in note


def test_an_action_reply_needs_no_offline_note(habits, contexts) -> None:
    done = list(ChatSession(contexts, OfflineProvider()).send("I drank 3 glasses of water"))[-1]
    assert done.text == "Logged Drink water for 2026-11-26: 3 of 8 glasses."  # type: ignore[union-attr]


def test_usage_counts_offline_replies_apart_from_model_calls(habits, contexts) -> None:
    from paa.ai import slash

    session = ChatSession(contexts, OfflineProvider())
    for text in ("I drank 3 glasses of water", "hi", "how was my week?"):
        list(session.send(text))
    conversation = session.usage()["conversation"]
    assert (conversation["calls"], conversation["offline_replies"]) == (0, 5)  # two tool rounds and three answers
    assert slash.usage_lines(session.usage())[0] == (
        "This conversation: 5 replies by the offline rules (no model, no tokens)."
    )
