"""A person at the chat's prompt, for tests of the REPL and `paa chat --voice` run in process."""

from __future__ import annotations

import builtins

import pytest


def person_typing(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> list[str]:
    """Make the chat think a person is at a terminal typing `lines` ("^C" is Ctrl-C); returns the prompts it showed.

    When the lines run out the person closes the input (EOF), as Ctrl-D does.
    """
    from paa.cli import chat

    shown: list[str] = []
    queue = list(lines)

    def fake_input(prompt: str = "") -> str:
        shown.append(prompt)
        if not queue:
            raise EOFError
        line = queue.pop(0)
        if line == "^C":
            raise KeyboardInterrupt
        return line

    monkeypatch.setattr(chat, "_stdin_is_terminal", lambda: True)
    monkeypatch.setattr(builtins, "input", fake_input)
    return shown
