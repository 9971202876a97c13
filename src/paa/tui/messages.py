"""Messages that screens post to the app."""

from __future__ import annotations

from textual.message import Message


class HabitsKnown(Message):
    """The names of the active habits, for the command palette."""

    def __init__(self, habits: list[tuple[int, str]]) -> None:
        super().__init__()
        self.habits = habits
