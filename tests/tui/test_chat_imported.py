"""An imported conversation on the TUI's chat screen: another person's messages are shown, named."""

from __future__ import annotations

from pathlib import Path

from tests.support.histories import jsonl_lines, write_jsonl
from tests.support.tui import drive, wait_for
from tests.tui.test_chat import _open_chat, _option


def _said_by_people(app) -> list[str]:
    from paa.tui.widgets.chat import UserMessage

    return [str(widget.render()) for widget in app.screen.query(UserMessage)]


def test_an_imported_conversation_shows_who_said_what(
    seeded, make_app, make_ctx, fake_anthropic, tmp_path: Path
) -> None:
    from paa.ai.history import import_history
    from paa.core.dataio.conversations import read_history

    with make_ctx(write=True) as ctx:
        import_history(ctx, read_history(write_jsonl(tmp_path / "h.jsonl", jsonl_lines()), ctx.prefs.zone))
    app = make_app()

    async def scenario(pilot) -> None:
        from textual.widgets import OptionList

        await _open_chat(pilot)
        listing = app.screen.query_one("#chat-list", OptionList)
        await pilot.press("ctrl+f", *"Figueira", "enter")
        await wait_for(pilot, lambda: "Figueira" in _option(listing, 0), what="the hit")
        await pilot.press("enter")  # open it
        await wait_for(pilot, lambda: len(_said_by_people(app)) == 2, what="the imported messages")
        assert _said_by_people(app) == [
            "Should we take the tram to Belém?",
            "Ben: Yes, tram 15 from Praça da Figueira.",
        ]

    drive(app, scenario)
