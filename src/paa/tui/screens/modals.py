"""Small dialogs: a yes/no confirmation, and an amount for a measurable habit."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from paa.errors import InvalidInput


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismissed with True only for an explicit yes."""

    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class AmountScreen(ModalScreen[float | None]):
    """Ask for an amount of a measurable habit; the message for a bad number shows under the field."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(self, title: str, unit: str | None, replace: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.unit = unit
        self.replace = replace

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-question", markup=False)
            hint = "sets today's total" if self.replace else "adds to today's total"
            yield Input(placeholder=f"amount{' in ' + self.unit if self.unit else ''} ({hint})", id="amount")
            yield Label("", id="amount-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Log (enter)", id="ok", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        from paa.core.validate import amount, parse_number

        text = self.query_one("#amount", Input).value
        try:
            value = amount(parse_number(text, "amount"), "amount")
        except InvalidInput as exc:
            error = self.query_one("#amount-error", Label)
            error.update(exc.message)
            error.add_class("-shown")
            self.query_one("#amount", Input).add_class("-invalid")
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
