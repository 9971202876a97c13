"""The chat screen's ctrl+r: record, stop, the transcript in the message box to edit, enter sends it; a missing
microphone is a line in the transcript."""

from __future__ import annotations

import sys

import pytest

from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.speech import KEY_WORDS, fake_sounddevice, needs_model, spoken_audio
from tests.support.tui import drive, screen_text, wait_for


async def _open_chat(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
    await pilot.press("2")
    await wait_for(pilot, lambda: "Claude (claude-" in screen_text(app), what="the provider")


def _prompt(app):
    from textual.widgets import Input

    return app.screen.query_one("#prompt", Input)


@needs_model
def test_ctrl_r_records_and_the_words_wait_in_the_box(
    seeded, make_app, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = spoken_audio()
    step = said.rate // 10 * 2
    chunks = [said.pcm[at : at + step] for at in range(0, len(said.pcm), step)]
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(chunks, rate=float(said.rate)))
    fake_anthropic.push(reply("I'll remind you."))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "recording… ctrl+r stops" in screen_text(app), what="recording")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: all(word in _prompt(app).value for word in KEY_WORDS), what="the words")
        assert fake_anthropic.requests == []  # in the box to edit, not sent
        await pilot.press(*" please", "enter")
        await wait_for(pilot, lambda: fake_anthropic.requests, what="the message sent")
        sent = fake_anthropic.requests[0].texts()[-1]
        assert sent.endswith(" please") and all(word in sent for word in KEY_WORDS), sent

    drive(app, scenario, size=(120, 40))


@needs_model
def test_without_a_microphone_the_transcript_says_so(
    seeded, make_app, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice(None))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "no microphone to record from" in screen_text(app), what="the error")
        assert "recording…" not in screen_text(app)
        assert _prompt(app).value == ""

    drive(app, scenario, size=(120, 40))
