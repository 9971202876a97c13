"""The check-in screen on another day: step back, fill in a missed day, change a stored one, refuse a bad day.

The dataset has no check-in on Wednesday 25 November (yesterday) and one on Tuesday 24 November: mood 5, energy 3.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from paa.core.checkins.entries import Checkin
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.tui import drive, screen_text, shown, wait_for
from tests.support.tui_dataset import TODAY

YESTERDAY = TODAY - timedelta(days=1)
STORED = TODAY - timedelta(days=2)


def _stored(make_ctx, day: date) -> Checkin | None:
    from paa.core.checkins.entries import find_checkin

    with make_ctx() as ctx:
        return find_checkin(ctx, day)


def _count(make_ctx) -> int:
    from paa.core.checkins.entries import list_checkins

    with make_ctx() as ctx:
        return len(list_checkins(ctx).checkins)


def _answers(app) -> list[str]:
    from textual.widgets import Input

    return [answer.value for answer in app.screen.query("#checkin-prompts Input").results(Input)]


def _scale(app, name: str) -> int | None:
    from paa.tui.widgets.scale import ScalePicker

    return app.screen.query_one(f"#{name}", ScalePicker).value


def _day_error(app) -> str:
    from textual.widgets import Label

    label = app.screen.query_one("#error-day", Label)
    return str(label.render()) if label.has_class("-shown") else ""


async def _checkin(pilot) -> None:
    """Open the check-in screen and leave the first answer, so that keys are commands."""
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")
    await pilot.press("4")
    await wait_for(pilot, lambda: pilot.app.screen.query("#answer-1"), what="the prompts")
    await wait_for(pilot, lambda: shown(pilot.app, "Thursday 26 November 2026 (today)"), what="today's heading")
    await pilot.press("escape")


def test_a_missed_day_is_filled_in_and_read_by_the_assistant_without_a_question(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    answer = {"sentiment_score": -0.2, "sentiment_label": "negative", "summary": "A day you nearly forgot.",
              "follow_up": "How are you feeling now?"}  # fmt: skip
    fake_anthropic.push(reply(json.dumps(answer), model="claude-haiku-5-5"))
    assert _stored(make_ctx, YESTERDAY) is None
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        await _checkin(pilot)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: shown(app, "Check-in for Wednesday 25 November 2026 (yesterday)"), what="25 Nov")
        assert shown(app, "No check-in that day yet") and _answers(app) == ["", ""] and _scale(app, "mood") is None
        app.screen.query_one("#answer-0").focus()
        await pilot.press(*"Forgot to check in", "tab", "tab", "3", "ctrl+s")  # the mood picker
        await wait_for(pilot, lambda: shown(app, "Saved. Mood 3/5"), what="the reflection")
        await wait_for(pilot, lambda: shown(app, "Noted: A day you nearly forgot."), what="the assistant's summary")
        assert not shown(app, "How are you feeling now?")  # a question about now, not for a past day
        assert not app.screen.query_one("#follow-up-answer", Input).display
        head = app.screen.query_one("#checkin-head")  # scrolled above the assistant's note by now
        await wait_for(pilot, lambda: "✓ Checked in (mood 3/5, 1 answer)" in str(head.render()), what="the stored day")
        assert "Wed 25 Nov 2026" in screen_text(app)  # the nav bar's note

    drive(app, scenario)
    saved = _stored(make_ctx, YESTERDAY)
    assert saved is not None and (saved.mood, saved.energy) == (3, None)
    assert [(a.prompt, a.answer) for a in saved.answers] == [("How was your day?", "Forgot to check in")]
    assert saved.sentiment is not None and saved.sentiment.label == "negative"  # the model's reading
    assert len(fake_anthropic.message_requests) == 1
    from paa.ai.memory import search

    with make_ctx() as ctx:  # searchable at once, as after `paa checkin`
        hits = search(ctx, "forgot", kinds=["checkin"])
    assert any("Forgot to check in" in hit.content for hit in hits)


def test_a_stored_day_shows_its_answers_and_saving_replaces_them(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        await _checkin(pilot)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: shown(app, "Tuesday 24 November 2026 (2 days ago)"), what="24 Nov")
        await wait_for(pilot, lambda: _answers(app)[0], what="the stored answers")
        assert _answers(app) == ["Great day outside in the sun.", "Ran further than ever."]
        assert (_scale(app, "mood"), _scale(app, "energy")) == (5, 3)
        assert shown(app, "✓ Checked in (mood 5/5, energy 3/5, 2 answers)")
        first = app.screen.query_one("#answer-0", Input)
        first.focus()
        first.value = ""
        await pilot.press(*"Sunny, then a headache")
        app.screen.query_one("#answer-1", Input).value = ""  # a blank answer is left out
        app.screen.query_one("#mood").focus()
        await pilot.press("2", "tab", "backspace", "ctrl+s")  # energy cleared
        await wait_for(pilot, lambda: shown(app, "Saved. Mood 2/5"), what="the reflection")
        await wait_for(pilot, lambda: shown(app, "✓ Checked in (mood 2/5, 1 answer)"), what="the stored day")
        assert _answers(app) == ["Sunny, then a headache", ""]

    drive(app, scenario)
    saved = _stored(make_ctx, STORED)
    assert saved is not None and (saved.mood, saved.energy) == (2, None)
    assert [(a.prompt, a.answer) for a in saved.answers] == [("How was your day?", "Sunny, then a headache")]


def test_a_future_or_unreadable_day_is_refused_in_place_and_nothing_is_stored(seeded, make_app, make_ctx) -> None:
    before = _count(make_ctx)
    app = make_app()

    async def scenario(pilot) -> None:
        await _checkin(pilot)
        await pilot.press("right_square_bracket")  # greyed out on today: there is no day after
        await pilot.press("d", *"2026-11-27", "enter")
        await wait_for(pilot, lambda: _day_error(app).startswith("2026-11-27 is in the future"), what="the message")
        assert shown(app, "Thursday 26 November 2026 (today)") and app.focused.id == "checkin-day"
        await pilot.press("ctrl+s")  # the form is still today's, and empty: nothing to save
        await wait_for(pilot, lambda: shown(app, "no answers given"), what="the form's message")
        await pilot.press("escape", "d", *"someday", "enter")
        await wait_for(pilot, lambda: _day_error(app).startswith("cannot read 'someday' as a day; use "),
                       what="the message")  # fmt: skip
        await pilot.press("escape")  # drops what was typed, and the message
        assert _day_error(app) == "" and app.screen.query_one("#checkin-day").value == "2026-11-26"
        await pilot.press("d", *"-2", "enter")
        await wait_for(pilot, lambda: shown(app, "Tuesday 24 November 2026 (2 days ago)"), what="a day typed")
        assert _day_error(app) == "" and app.screen.query_one("#checkin-day").value == "2026-11-24"
        await pilot.press("t")
        await wait_for(pilot, lambda: shown(app, "Thursday 26 November 2026 (today)"), what="back to today")

    drive(app, scenario)
    assert _count(make_ctx) == before and _stored(make_ctx, TODAY + timedelta(days=1)) is None


def test_the_palette_steps_to_the_day_before(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await _checkin(pilot)
        await pilot.press("ctrl+p", *"day before")
        await wait_for(pilot, lambda: shown(app, "Check-in: the day before"), what="the command")
        await pilot.press("enter")
        await wait_for(pilot, lambda: shown(app, "Wednesday 25 November 2026 (yesterday)"), what="25 Nov")

    drive(app, scenario)


def test_the_palette_opens_another_days_check_in_from_any_screen(seeded, make_app) -> None:
    from textual.widgets import Input

    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        await pilot.press("ctrl+p", *"another day")
        await wait_for(pilot, lambda: shown(app, "Check in for another day"), what="the command")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "checkin" and app.focused is not None
                       and app.focused.id == "checkin-day", what="the day field, focused")  # fmt: skip
        assert isinstance(app.focused, Input)
        await pilot.press(*"-2", "enter")
        await wait_for(pilot, lambda: shown(app, "Tuesday 24 November 2026"), what="24 Nov")

    drive(app, scenario)


def test_leaving_a_day_with_unsaved_answers_asks_first(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        await _checkin(pilot)
        app.screen.query_one("#answer-0").focus()
        await pilot.press(*"Half written", "escape", "left_square_bracket")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert shown(app, "Leave Thursday 26 November without saving what you typed?")
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="back on the form")
        assert _answers(app)[0] == "Half written" and shown(app, "Thursday 26 November 2026 (today)")
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: shown(app, "Wednesday 25 November 2026 (yesterday)"), what="25 Nov")
        assert _answers(app) == ["", ""]
        await pilot.press("right_square_bracket")  # nothing typed: no question
        await wait_for(pilot, lambda: shown(app, "Thursday 26 November 2026 (today)"), what="today again")

    drive(app, scenario)
    assert _stored(make_ctx, TODAY) is None


def test_the_assistants_late_reading_of_another_day_is_not_shown_on_this_one(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        from paa.tui.screens.checkin import CheckinScreen

        await _checkin(pilot)
        screen = app.screen
        # The reading of yesterday's check-in arrives after the person went back to today.
        screen.post_message(CheckinScreen.Insight(YESTERDAY, "About yesterday.", "How are you now?"))
        screen.post_message(CheckinScreen.Insight(TODAY, "About today.", None))
        await wait_for(pilot, lambda: shown(app, "Noted: About today."), what="today's reading")
        assert not shown(app, "About yesterday.") and not shown(app, "How are you now?")
        assert not screen.query_one("#follow-up-answer", Input).display and screen.follow_up is None

    drive(app, scenario)
