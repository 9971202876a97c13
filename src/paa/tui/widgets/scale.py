"""A 1-to-5 picker (mood, energy): arrows or digits on the keyboard, or a click on a choice."""

from __future__ import annotations

from textual.binding import Binding
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

MOOD_WORDS = {1: "awful", 2: "low", 3: "okay", 4: "good", 5: "great"}
ENERGY_WORDS = {1: "drained", 2: "tired", 3: "steady", 4: "lively", 5: "full"}


class ScalePicker(Widget, can_focus=True):
    """Choose one of 1-5; `optional` pickers can be cleared with backspace."""

    DEFAULT_CSS = """
    ScalePicker { height: 1; width: auto; }
    ScalePicker:focus { text-style: underline; }
    ScalePicker.-invalid { background: $error 20%; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding("left,h", "step(-1)", "Less", show=False),
        Binding("right,l", "step(1)", "More", show=False),
        Binding("1", "choose(1)", show=False),
        Binding("2", "choose(2)", show=False),
        Binding("3", "choose(3)", show=False),
        Binding("4", "choose(4)", show=False),
        Binding("5", "choose(5)", show=False),
        Binding("backspace,delete", "clear", "Clear", show=False),
    ]

    value: reactive[int | None] = reactive(None)

    class Changed(Message):
        def __init__(self, picker: ScalePicker, value: int | None) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> ScalePicker:
            return self.picker

    def __init__(self, words: dict[int, str], *, optional: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.words = words
        self.optional = optional

    def _segments(self) -> list[tuple[int, str]]:
        return [(number, f" {number} {word} ") for number, word in self.words.items()]

    def render(self) -> str:
        parts = []
        for number, text in self._segments():
            if number == self.value:
                parts.append(f"[reverse][b]({text.strip()})[/b][/reverse]")
            else:
                parts.append(f"[$foreground-muted]{text}[/]")
        return "".join(parts)

    def watch_value(self, value: int | None) -> None:
        self.post_message(self.Changed(self, value))

    def action_step(self, delta: int) -> None:
        self.value = 3 if self.value is None else max(1, min(5, self.value + delta))

    def action_choose(self, number: int) -> None:
        self.value = number

    def action_clear(self) -> None:
        if self.optional:
            self.value = None

    def on_click(self, event: Click) -> None:
        offset = 0
        for number, text in self._segments():
            if offset <= event.x < offset + len(text):
                self.value = number
                break
            offset += len(text)
