"""The pieces of a chat transcript: the person's message, the assistant's markdown, tool lines and notes."""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Markdown, Static

from paa.terminal_text import clean
from paa.tui.markup import literal


class UserMessage(Static):
    DEFAULT_CSS = """
    UserMessage {
        height: auto;
        margin: 1 4 0 0;
        padding: 0 1;
        background: $boost;
        border-left: outer $accent;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(clean(text), markup=False)  # no escape sequence reaches the screen


class AssistantMessage(Markdown):
    DEFAULT_CSS = """
    AssistantMessage {
        height: auto;
        margin: 1 0 0 0;
        padding: 0 1;
        border-left: outer $success;
    }
    AssistantMessage > MarkdownBlock:last-child {
        margin-bottom: 0;
    }
    """

    def __init__(self, markdown: str | None = None) -> None:
        super().__init__(None if markdown is None else clean(markdown))  # the model's text, without control characters


class ChatNote(Static):
    """A line that is not part of the reply: a tool call, a notice, token usage, an error, a slash command."""

    DEFAULT_CSS = """
    ChatNote {
        height: auto;
        padding: 0 1;
        color: $foreground-muted;
    }
    ChatNote.-error { color: $error; }
    ChatNote.-follow-up { color: $accent; margin-top: 1; }
    ChatNote.-command { color: $accent; margin-top: 1; }
    """


def tool_call_text(name: str, arguments: dict[str, Any]) -> str:
    """`log_habit(habit=water, value=2)`, cut to one line."""
    parts = ", ".join(f"{key}={value if isinstance(value, str | int | float) else json.dumps(value)}"
                      for key, value in arguments.items())  # fmt: skip
    text = f"{name}({parts})"
    return literal(text if len(text) <= 70 else text[:69] + "…")


def tool_result_text(ok: bool, declined: bool, summary: str) -> str:
    if declined:
        return f"[$warning]✗ not done:[/] {literal(summary)}"
    if not ok:
        return f"[$error]✗[/] {literal(summary)}"
    return f"[$success]✓[/] {literal(summary)}"
