"""The check-in screen (prompts, mood picker, reflection, follow-up), analytics, the palette and the help screen."""

from __future__ import annotations

from sqlmodel import select

from paa.db.models import DailyCheckin
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.tui import drive, screen_text, shown, wait_for
from tests.support.tui_dataset import TODAY


async def _checkin(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.ready_at, what="the dashboard")
    await pilot.press("i")  # the dashboard's "check in" key
    await wait_for(pilot, lambda: pilot.app.screen.query("#answer-0"), what="the prompts")


def _saved(make_ctx) -> DailyCheckin | None:
    with make_ctx() as ctx:
        return ctx.session.exec(select(DailyCheckin).where(DailyCheckin.day == TODAY)).first()


def test_a_check_in_needs_a_mood_then_saves_and_reflects(seeded, make_app, make_ctx) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.widgets.scale import ScalePicker

        await _checkin(pilot)
        assert "How was your day?" in screen_text(app) and "Any wins today?" in screen_text(app)
        await pilot.press("enter", *"Quiet but good", "enter", *"Fixed the bike", "ctrl+s")  # enter: the 1st answer
        await wait_for(pilot, lambda: "a check-in needs a mood from 1 to 5" in screen_text(app), what="the message")
        mood = app.screen.query_one("#mood", ScalePicker)
        assert app.focused is mood and _saved(make_ctx) is None
        await pilot.press("right", "right")  # 3, then 4
        assert mood.value == 4
        await pilot.click("#energy", offset=(12, 0))  # the mouse: " 2 tired "
        assert app.screen.query_one("#energy", ScalePicker).value == 2
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: shown(app, "Saved. Mood 4/5"), what="the reflection")
        assert shown(app, "Still open today:")
        await pilot.press("1")
        await wait_for(pilot, lambda: "Done: mood 4/5, energy 2/5" in screen_text(app), what="the dashboard panel")

    drive(app, scenario)
    saved = _saved(make_ctx)
    assert saved is not None and (saved.mood, saved.energy) == (4, 2)
    assert "Fixed the bike" in saved.answers and "Quiet but good" in saved.answers


def test_with_a_model_the_follow_up_question_can_be_answered(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(
        reply(
            '{"sentiment_score": -0.4, "sentiment_label": "negative", "summary": "A hard day at work.", '
            '"follow_up": "What would make tomorrow lighter?"}'
        )
    )
    app = make_app()

    async def scenario(pilot) -> None:
        await _checkin(pilot)
        await pilot.press("enter", *"Exhausting meetings", "enter", "enter", "2", "ctrl+s")
        await wait_for(pilot, lambda: shown(app, "What would make tomorrow lighter?"), what="the follow-up")
        assert shown(app, "Noted: A hard day at work.")
        await pilot.press("2")  # the question does not take the cursor: keys are still commands
        await wait_for(pilot, lambda: app.current_mode == "chat", what="the chat")
        await pilot.press("escape", "4")  # esc leaves the chat's message box
        await wait_for(pilot, lambda: app.current_mode == "checkin", what="the check-in again")
        await pilot.press("enter", *"An earlier night", "enter")  # enter goes to the question's answer
        await wait_for(pilot, lambda: shown(app, "Added to today's check-in."), what="the answer saved")

    drive(app, scenario)
    saved = _saved(make_ctx)
    assert saved is not None and "What would make tomorrow lighter?" in saved.answers
    assert "An earlier night" in saved.answers
    from paa.ai.memory import search

    with make_ctx() as ctx:  # the added answer is searchable at once
        hits = search(ctx, "earlier night", kinds=["checkin"])
    assert any("An earlier night" in hit.content for hit in hits)


def test_analytics_switches_period_and_habit(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        await pilot.press("5")
        await wait_for(pilot, lambda: "All habits, 30d (28 Oct 2026 – 26 Nov 2026)" in screen_text(app), what="30d")
        assert "Daily completion" in screen_text(app)
        await pilot.press("p")
        await wait_for(pilot, lambda: "All habits, 90d" in screen_text(app), what="the next period")
        await pilot.press("h")
        await wait_for(pilot, lambda: "Drink water #1 · every day, 90d" in screen_text(app), what="one habit")
        assert "By weekday" in screen_text(app) and "Amounts" in screen_text(app)

    drive(app, scenario, size=(120, 40))


def test_the_palette_logs_a_habit_by_name(seeded, make_app) -> None:
    app = make_app()

    async def scenario(pilot) -> None:
        from tests.support.tui import dashboard_row

        await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
        await pilot.press("3")  # from another screen
        await pilot.press("ctrl+p", *"Log Stretch")
        await wait_for(pilot, lambda: shown(app, "Mark Stretch done today"), what="the command")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "dashboard" and dashboard_row(app, "Stretch")[0] == "●",
                       what="Stretch logged")  # fmt: skip

    drive(app, scenario)


def test_the_check_in_opens_with_keys_as_commands_and_enter_starts_typing(seeded, make_app) -> None:
    from textual.widgets import Input

    app = make_app()

    async def scenario(pilot) -> None:
        await _checkin(pilot)
        assert not isinstance(app.focused, Input)  # no field has the cursor
        assert shown(app, "Type")  # the key bar says what enter does
        await pilot.press("2")  # as on every screen: the chat, not a "2" in the first answer
        await wait_for(pilot, lambda: app.current_mode == "chat", what="the chat")
        await pilot.press("escape", "4")
        await wait_for(pilot, lambda: app.current_mode == "checkin", what="the check-in again")
        assert app.screen.query_one("#answer-0", Input).value == ""
        await pilot.press("enter", *"Calm")
        assert app.focused is app.screen.query_one("#answer-0", Input)
        assert app.focused.value == "Calm"
        await pilot.press("escape", "2")  # esc leaves the field, and keys are commands again
        await wait_for(pilot, lambda: app.current_mode == "chat", what="the chat")

    drive(app, scenario)
