"""The chat screen's attachments: `/attach PATH` and the ctrl+o file picker put files under the message box as chips
(pressed: dropped), a refused file is one line there, and the next message takes them to the fake API as blocks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support import files as samples
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.tui import drive, paste, screen_text, wait_for


async def _open_chat(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.ready_at, what="the dashboard")
    await pilot.press("2")
    await wait_for(pilot, lambda: "Claude (claude-" in screen_text(app), what="the provider")


async def _type(pilot, text: str) -> None:
    await paste(pilot, "#prompt", text, submit=True)


def _chips(app) -> list[str]:

    return [str(button.label) for button in app.screen.query("#chat-attached Button")] if _chat(app) else []


def _chat(app) -> bool:
    from paa.tui.screens.chat import ChatScreen

    return isinstance(app.screen, ChatScreen)


def _error_line(app) -> str:
    from textual.widgets import Static

    line = app.screen.query_one("#chat-attach-error", Static)
    return str(line.render()) if line.display else ""


def test_attach_typed_sends_the_file_fenced_and_the_history_lists_it(
    seeded, make_app, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    notes = tmp_path / "my notes.txt"
    notes.write_text("Notice period: three months.\n")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    fake_anthropic.push(reply("Three months."))
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _type(pilot, f"/attach {tmp_path / 'blob.bin'}")
        await wait_for(pilot, lambda: "cannot attach blob.bin" in _error_line(app), what="the refusal")
        assert "images (JPEG, PNG, GIF, WebP), PDFs" in _error_line(app) and _chips(app) == []
        await _type(pilot, f'/attach "{notes}"')
        await wait_for(pilot, lambda: _chips(app), what="the chip")
        assert _chips(app) == ["my notes.txt (text, 29 B) ✕"] and _error_line(app) == ""  # the refusal is gone
        assert fake_anthropic.requests == []  # waiting for a message, not sent
        await _type(pilot, "/attach")
        await wait_for(pilot, lambda: "Attached for your next message: my notes.txt" in screen_text(app), what="list")
        await _type(pilot, "what is the notice period?")
        await wait_for(pilot, lambda: "Three months." in screen_text(app), what="the reply")
        assert "+ attached my notes.txt (text, 29 B)" in screen_text(app)
        assert _chips(app) == []  # sent with that message, not the next one

        await wait_for(pilot, lambda: not app.screen.streaming, what="the turn's end")
        await pilot.press("ctrl+n")  # leave it, then open it again from the store: its history lists the file
        await wait_for(pilot, lambda: "+ attached" not in screen_text(app), what="a new conversation")
        app.screen.open_conversation(2)
        await wait_for(pilot, lambda: "+ attached my notes.txt (text, 29 B)" in screen_text(app), what="history")

    drive(app, scenario, size=(120, 40))
    request = fake_anthropic.message_requests[0]  # the chat's turn (leaving the conversation may ask for its title)
    blocks = request.body["messages"][0]["content"]
    assert blocks[0] == {
        "type": "text",
        "text": "Attached file my notes.txt:\n```\nNotice period: three months.\n```",
    }
    assert request.texts()[-1] == "what is the notice period?"


def test_ctrl_o_picks_from_the_home_folder_and_a_chip_pressed_drops_the_file(
    seeded, make_app, fake_anthropic: FakeAnthropic
) -> None:
    home = Path(os.environ["HOME"])  # the test's own home (tests/conftest.py), never the real one
    home.mkdir(parents=True, exist_ok=True)
    (home / ".hidden").write_text("not listed")
    (home / "chart.png").write_bytes(samples.png(8, 8))
    size = len(samples.png(8, 8))
    fake_anthropic.push(reply("A small chart."))
    app = make_app()

    async def pick(pilot) -> None:
        from paa.tui.screens.attach import AttachScreen

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachScreen), what="the picker")
        await wait_for(pilot, lambda: "chart.png" in screen_text(app), what="the home folder's files")
        assert ".hidden" not in screen_text(app)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: _chips(app), what="the chip")

    async def scenario(pilot) -> None:
        from paa.tui.screens.attach import AttachScreen

        await _open_chat(pilot)
        await pick(pilot)
        assert _chips(app) == [f"chart.png (image, {size} B) ✕"], _chips(app)
        await pilot.click("#attached-0")
        await wait_for(pilot, lambda: not _chips(app), what="the chip dropped")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachScreen), what="the picker")
        await pilot.press("escape")  # closed: nothing picked
        await wait_for(pilot, lambda: _chat(app), what="the chat again")
        assert _chips(app) == []
        await pick(pilot)
        await _type(pilot, "/attach clear")
        await wait_for(pilot, lambda: not _chips(app), what="the files dropped")
        await pick(pilot)
        await _type(pilot, "")  # the file alone is a message
        await wait_for(pilot, lambda: "A small chart." in screen_text(app), what="the reply")
        assert f"+ attached chart.png (image, {size} B)" in screen_text(app)

    drive(app, scenario, size=(120, 40))
    (request,) = fake_anthropic.message_requests
    blocks = request.body["messages"][0]["content"]
    assert [block["type"] for block in blocks] == ["image"]  # no words: the image alone
    assert blocks[0]["source"]["media_type"] == "image/png"


def test_file_names_with_brackets_are_shown_as_they_are(
    seeded, make_app, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    """A name is text, never markup: `[red]` vanished from a chip, `[@click=...]` made one an action."""
    styled = tmp_path / "x[red]y.txt"
    styled.write_text("a note\n")
    action = tmp_path / "[@click=app.quit]plan.txt"
    action.write_text("another\n")
    (tmp_path / "[b]blob.bin").write_bytes(bytes(range(256)) * 4)
    app = make_app()

    async def scenario(pilot) -> None:
        await _open_chat(pilot)
        await _type(pilot, f'/attach "{styled}" "{action}"')
        await wait_for(pilot, lambda: len(_chips(app)) == 2, what="the chips")
        assert _chips(app) == ["x[red]y.txt (text, 7 B) ✕", "[@click=app.quit]plan.txt (text, 8 B) ✕"]
        await _type(pilot, f'/attach "{tmp_path / "[b]blob.bin"}"')
        await wait_for(pilot, lambda: "cannot attach [b]blob.bin" in _error_line(app), what="the refusal")

    drive(app, scenario, size=(120, 40))
