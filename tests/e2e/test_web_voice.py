"""The browser app's microphone in a real headless Chromium against a real `paa serve`: Chromium's fake microphone
plays speech espeak-ng made; the page records it, the server transcribes it on its own machine, the words land in
the message box for editing, and only Send sends them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import register, serving
from tests.e2e.test_web import CHROMIUM, LAUNCH_ARGS, STEP_MS, opened_page, sign_in
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.speech import KEY_WORDS, needs_model, spoken_audio
from tests.support.waiting import GIVE_UP_SECONDS

pytestmark = [pytest.mark.e2e, needs_model]


@pytest.fixture
def speech(tmp_path: Path) -> tuple[Path, float]:
    """The test sentence with 1.5 s of quiet before it and 1 s after, at 48 kHz (the fake microphone's own rate), as a
    WAV file for Chromium's fake microphone. The microphone starts playing when the page opens it, and the page starts
    taking samples a moment later: on a loaded machine that moment ate the sentence's start (heard "might we were
    warning"), so the sentence waits in quiet."""
    from paa.ai import voice

    said = spoken_audio()
    before, after = bytes(2 * (said.rate * 3 // 2)), bytes(2 * said.rate)  # 1.5 s and 1 s of 16-bit mono
    padded = voice.resample(voice.Audio(before + said.pcm + after, said.rate), 48_000)
    path = tmp_path / "said.wav"
    path.write_bytes(padded.to_wav())
    return path, padded.seconds


@pytest.fixture
def chromium_hearing(speech: tuple[Path, float]) -> Iterator[Any]:
    """Chromium whose microphone (allowed without asking) plays `speech` once."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    playwright_api.expect.set_options(timeout=STEP_MS)
    microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech[0]}%noloop",
    ]
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS + microphone)
        try:
            yield browser
        finally:
            browser.close()


def test_speak_then_edit_then_send(
    paa_home: Path, fake_anthropic: FakeAnthropic, chromium_hearing: Any, speech: tuple[Path, float]
) -> None:
    from playwright.sync_api import expect

    fake_anthropic.push(reply("I'll remind you."))
    with serving() as server, opened_page(chromium_hearing, width=1280, height=800) as page:
        register(server)
        sign_in(page, server)
        page.get_by_role("link", name="Chat").click()
        speak = page.get_by_role("button", name="Speak")
        speak.click()
        stop = page.get_by_role("button", name="Stop")
        expect(stop).to_have_attribute("aria-pressed", "true")
        expect(page.locator("main p.status")).to_contain_text("Recording")
        page.wait_for_timeout(speech[1] * 1000)  # the fake microphone plays the sentence in real time
        stop.click()
        message = page.get_by_label("Message")
        for word in KEY_WORDS:
            expect(message).to_have_value(re.compile(rf"\b{word}\b"), timeout=GIVE_UP_SECONDS * 1000)
        expect(speak).to_be_enabled()
        assert fake_anthropic.message_requests == []  # heard, shown, not sent: the person edits first
        message.fill(message.input_value() + " please")
        page.get_by_role("button", name="Send").click()
        log = page.get_by_role("list", name="Conversation")
        expect(log).to_contain_text("I'll remind you.", timeout=GIVE_UP_SECONDS * 1000)
        sent = fake_anthropic.message_requests[0].texts()
        assert sent[0].endswith(" please") and all(word in sent[0] for word in KEY_WORDS), sent
