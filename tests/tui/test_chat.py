"""The chat screen on the real engine (paa.ai.chat) and the real `anthropic` SDK, against the fake API on 127.0.0.1."""

from __future__ import annotations

import threading

from sqlmodel import col, select

from paa.db.models import Habit, HabitLog, Message
from tests.support.fake_anthropic import FakeAnthropic, error, reply
from tests.support.tui import drive, paste, screen_text, shown, wait_for
from tests.support.tui_dataset import TODAY
from tests.support.waiting import GIVE_UP_SECONDS


async def _open_chat(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
    await pilot.press("2")
    await wait_for(pilot, lambda: "Claude (claude-" in screen_text(app), what="the provider")


async def _say(pilot, text: str) -> None:
    await paste(pilot, "#prompt", text, submit=True)


def _option(listing, index: int) -> str:
    """The text of an option of the conversation list."""
    from textual.content import Content

    prompt = listing.get_option_at_index(index).prompt
    return prompt.plain if isinstance(prompt, Content) else Content.from_markup(str(prompt)).plain


def _transcript(app) -> str:
    from paa.tui.widgets.chat import AssistantMessage

    return "\n".join(widget.source for widget in app.screen.query(AssistantMessage))


def test_a_message_gets_a_streamed_markdown_reply_that_is_stored(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    text = "**Well done.** You ran 3 times this week:\n\n- Monday\n- Wednesday\n- Friday"
    fake_anthropic.push(reply(text, chunks=8, usage=(900, 40)))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "how is my running going?")
        await wait_for(pilot, lambda: "880" not in _transcript(app) and "Friday" in _transcript(app), what="reply")
        assert _transcript(app) == text  # every delta, in order, into one markdown document
        await wait_for(pilot, lambda: shown(app, "claude-sonnet-5-5 · 900 in / 40 out tokens"), what="the usage")
        screen = screen_text(app)
        assert "Well done. You ran 3 times this week:" in screen  # rendered as markdown: no asterisks
        assert "• Monday" in screen or "Monday" in screen
        assert "how is my running going?" in screen
        await wait_for(pilot, lambda: "#2" in screen_text(app), what="the new conversation in the sidebar")

    drive(app, scenario)
    [request] = fake_anthropic.message_requests
    assert request.texts()[-1] == "how is my running going?"
    assert "Thursday 2026-11-26" in request.system_text  # the engine's context of the day
    with make_ctx() as ctx:
        stored = ctx.session.exec(select(Message).where(Message.conversation_id == 2).order_by(col(Message.id))).all()
    assert [(m.role, m.content) for m in stored] == [("user", "how is my running going?"), ("assistant", text)]


def test_the_ui_stays_live_while_the_model_is_thinking(seeded, make_app, fake_anthropic: FakeAnthropic) -> None:
    gate = threading.Event()

    def slow(_request):
        gate.wait(GIVE_UP_SECONDS)  # the worker waits on the API; the event loop must not
        return reply("Here I am.")

    fake_anthropic.responder = slow
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input

        await _open_chat(pilot)
        await _say(pilot, "hello?")
        await wait_for(pilot, lambda: shown(app, "replying… (esc esc stops)"), what="the busy status")
        await pilot.press(*"typing on")
        assert app.screen.query_one("#prompt", Input).value == "typing on"
        await pilot.press("escape", "1")  # leave the message box, then the dashboard, while the reply is pending
        await wait_for(pilot, lambda: "Today, Thursday" in screen_text(app), what="the dashboard")
        await pilot.press("2")
        gate.set()
        await wait_for(pilot, lambda: _transcript(app) == "Here I am.", what="the reply")
        assert app.screen.query_one("#prompt", Input).value == "typing on"

    try:
        drive(app, scenario)
    finally:
        gate.set()


def test_a_destructive_tool_asks_in_a_dialog_and_no_means_no(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(
        reply("Deleting Coffee.", tools=[("delete_habit", {"habit": "coffee"})]),
        reply("All right, I kept Coffee."),
    )
    app = make_app()

    async def scenario(pilot) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        await _open_chat(pilot)
        await _say(pilot, "delete my coffee habit")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        # The dialog is the screen before it is painted: under load the first look found it empty.
        await wait_for(pilot, lambda: "Coffee" in screen_text(app), what="the dialog naming the habit")
        await pilot.press("n")
        await wait_for(pilot, lambda: "All right, I kept Coffee." in _transcript(app), what="the second round")
        assert shown(app, "not done")

    drive(app, scenario)
    with make_ctx() as ctx:
        assert ctx.session.exec(select(Habit).where(Habit.name == "Coffee")).first() is not None


def test_a_habit_logged_by_the_assistant_shows_on_the_dashboard(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(
        reply("Logging it.", tools=[("log_habit", {"habit": "stretch"})]),
        reply("Done: Stretch is logged."),
    )
    app = make_app()

    async def scenario(pilot) -> None:
        from tests.support.tui import dashboard_row

        await _open_chat(pilot)
        await _say(pilot, "I stretched")
        await wait_for(pilot, lambda: "Done: Stretch is logged." in _transcript(app), what="the reply")
        await pilot.press("escape", "1")
        await wait_for(pilot, lambda: dashboard_row(app, "Stretch")[0] == "●", what="Stretch done on the dashboard")

    drive(app, scenario)
    with make_ctx() as ctx:
        habit = ctx.session.exec(select(Habit).where(Habit.name == "Stretch")).one()
        assert ctx.session.exec(select(HabitLog).where(HabitLog.habit_id == habit.id, HabitLog.day == TODAY)).first()


def test_an_api_failure_is_one_line_in_the_transcript(seeded, make_app, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(error(529, "overloaded_error", repeat=5))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "hi")
        await wait_for(pilot, lambda: "overloaded" in screen_text(app).lower(), what="the error")
        assert "Traceback" not in screen_text(app)
        assert not app.screen.streaming  # ready for the next message

    drive(app, scenario)


def test_the_sidebar_lists_searches_and_continues_conversations(
    seeded, make_app, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply("Try 7 km on Saturday."))
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import Input, OptionList

        await _open_chat(pilot)
        listing = app.screen.query_one("#chat-list", OptionList)
        await wait_for(pilot, lambda: listing.option_count == 1, what="the stored conversation")
        await pilot.press("ctrl+f", *"7 km", "enter")
        await wait_for(pilot, lambda: "“On Friday you said the 5 km felt easy" in _option(listing, 0), what="the hit")
        await pilot.press("enter")  # open it
        await wait_for(pilot, lambda: "On Friday you said" in _transcript(app), what="the old messages")
        assert "conversation #1" in screen_text(app)
        await _say(pilot, "and next week?")
        await wait_for(pilot, lambda: "Try 7 km on Saturday." in _transcript(app), what="the reply")
        [request] = fake_anthropic.message_requests
        assert request.texts()[:2] == ["How did my week go?", "Remind me what I said about running"]
        assert request.texts()[-1] == "and next week?"
        app.screen.query_one("#chat-search", Input).value = "no such words"
        await wait_for(pilot, lambda: _option(listing, 0) == "No matches", what="no matches")

    drive(app, scenario)


def test_a_past_conversation_opens_with_its_stored_topics_and_intents(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    from paa.ai.store import INSIGHT_EVENT, record_event

    with make_ctx(write=True) as ctx:
        payload = {"conversation_id": 1, "topics": ["running", "sleep"], "intents": ["review progress"],
                   "source": "local", "messages": 4}  # fmt: skip
        record_event(ctx, INSIGHT_EVENT, payload)
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import OptionList

        await _open_chat(pilot)
        listing = app.screen.query_one("#chat-list", OptionList)
        await wait_for(pilot, lambda: listing.option_count == 1, what="the stored conversation")
        listing.focus()
        await pilot.press("enter")  # open it
        await wait_for(pilot, lambda: "On Friday you said" in _transcript(app), what="the old messages")
        assert "Topics: running, sleep · intents: review progress" in _notes(app)

    drive(app, scenario)


# ---- slash commands: answered in the transcript, never sent --------------------------------------------------


def _notes(app) -> str:
    """The plain text of the transcript's notes (commands, their answers, usage lines, errors)."""
    from paa.tui.widgets.chat import ChatNote

    return "\n".join(str(note.visual) for note in app.screen.query(ChatNote))


def _stored_messages(make_ctx) -> list[str]:
    with make_ctx() as ctx:
        return [m.content for m in ctx.session.exec(select(Message).order_by(col(Message.id))).all()]


def test_usage_shows_the_tokens_the_api_reported(seeded, make_app, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Fine, thanks.", usage=(900, 40), cache=(100, 300)))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "how are you?")
        await wait_for(pilot, lambda: "900 in" not in _notes(app) and "1300 in / 40 out" in _notes(app), what="reply")
        await _say(pilot, "/usage")
        await wait_for(pilot, lambda: "This session:" in _notes(app), what="the usage")
        notes = _notes(app)
        assert "/usage\n" in notes  # the command, echoed above its answer
        assert (
            "This conversation: 1 model call, 900 input tokens (300 read from cache, 100 written to it), "
            "40 output tokens.\nThis session: 900 input (+300 cached, +100 cache writes) and 40 output tokens."
        ) in notes
        assert _transcript(app) == "Fine, thanks."  # no second reply: nothing was sent

    drive(app, scenario)
    assert len(fake_anthropic.message_requests) == 1


def test_new_starts_afresh_like_ctrl_n(seeded, make_app, fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.push(reply("Fine."), reply('{"topics": ["chat"], "intents": ["chat"]}'))  # the reply, the insight
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "hi")
        await wait_for(pilot, lambda: _transcript(app) == "Fine.", what="the reply")
        await wait_for(pilot, lambda: "conversation #2" in screen_text(app), what="the open conversation")
        await _say(pilot, "/new")
        await wait_for(pilot, lambda: _transcript(app) == "" and "· new conversation" in screen_text(app),
                       what="a new conversation")  # fmt: skip
        await _say(pilot, "/usage")
        await wait_for(pilot, lambda: "This session:" in _notes(app), what="the usage")
        assert "This conversation" not in _notes(app)  # none open yet; the session's figures stay

    drive(app, scenario)


def test_model_switches_and_the_next_request_carries_it(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    from paa.ai import settings

    fake_anthropic.push(reply("Hello from Haiku."))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "/model")
        await wait_for(pilot, lambda: "Model: claude-sonnet-5-5" in _notes(app), what="the current model")
        await _say(pilot, "/model claude-haiku-5-5")
        await wait_for(pilot, lambda: "Model set to claude-haiku-5-5 (kept for later sessions)." in _notes(app),
                       what="the switch")  # fmt: skip
        await wait_for(pilot, lambda: "Claude (claude-haiku-5-5)" in screen_text(app), what="the status line")
        assert fake_anthropic.message_requests == []
        await _say(pilot, "hi")
        await wait_for(pilot, lambda: _transcript(app) == "Hello from Haiku.", what="the reply")

    drive(app, scenario)
    [request] = fake_anthropic.message_requests
    assert request.body["model"] == "claude-haiku-5-5"
    with make_ctx() as ctx:
        assert settings.setting(ctx, "ai_model") == "claude-haiku-5-5"  # kept for later sessions, as the CLI does


def test_a_bad_model_name_or_unknown_command_is_answered_in_place(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    from paa.ai import settings

    app = make_app()
    before = _stored_messages(make_ctx)

    async def scenario(pilot) -> None:
        from paa.tui.widgets.chat import ChatNote

        await _open_chat(pilot)
        await _say(pilot, "/model two words")
        await wait_for(pilot, lambda: "'two words' is not a model name" in _notes(app), what="the refusal")
        [error] = [note for note in app.screen.query(ChatNote) if "not a model name" in str(note.visual)]
        assert error.has_class("-error") and "e.g. claude-sonnet-5-5" in str(error.visual)  # the hint too
        await _say(pilot, "/bogus stuff")
        await wait_for(pilot, lambda: "Unknown command /bogus; /help lists them" in _notes(app), what="unknown")
        await _say(pilot, "/help")
        await wait_for(pilot, lambda: "/model [NAME]" in _notes(app), what="the help")
        notes = _notes(app)
        assert "/usage             tokens used by this conversation and this session" in notes
        assert "/exit" not in notes and "/checkin" not in notes  # only what the TUI does
        assert not app.screen.streaming
        assert app.screen.query_one("#prompt").value == ""

    drive(app, scenario)
    assert fake_anthropic.message_requests == []
    assert _stored_messages(make_ctx) == before
    with make_ctx() as ctx:
        assert settings.setting(ctx, "ai_model") == "claude-sonnet-5-5"


def test_a_doubled_slash_sends_a_message_that_starts_with_a_slash(
    seeded, make_app, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.push(reply("Check its permissions."))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "//etc/hosts is broken")
        await wait_for(pilot, lambda: shown(app, "Check its permissions."), what="the reply")
        assert "Unknown command" not in _notes(app)

    drive(app, scenario)
    assert fake_anthropic.message_requests[0].texts()[-1] == "/etc/hosts is broken"


def test_quitting_after_a_chat_keeps_the_conversation_insight(
    seeded, make_app, make_ctx, fake_anthropic: FakeAnthropic
) -> None:
    from paa.ai.store import INSIGHT_EVENT, conversation_events

    fake_anthropic.push(reply("Sleep matters."))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _say(pilot, "I slept badly and skipped my run")
        await wait_for(pilot, lambda: _transcript(app) == "Sleep matters.", what="the reply")
        await wait_for(pilot, lambda: "conversation #2" in screen_text(app), what="the open conversation")
        await pilot.press("escape", "q")  # leave the message box, then quit

    drive(app, scenario)
    assert app.return_code in (None, 0)
    # What `main` does once the app has stopped (the app is no longer active): this raised NoActiveAppError.
    app.stop_workers()
    app.finish()
    with make_ctx() as ctx:
        [(_event, payload)] = conversation_events(ctx, INSIGHT_EVENT, 2)
    assert payload["source"] == "local"
    assert "sleep" in payload["topics"]
    assert payload["messages"] == 2
