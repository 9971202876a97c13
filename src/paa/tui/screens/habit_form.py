"""The habit form: add or edit a habit; core checks every field and each message shows under its field."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from paa.tui.data import FormOutcome, HabitForm, load_habit_form, save_habit_form
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

SCHEDULES = (("Every day", "daily"), ("On chosen weekdays", "weekdays"), ("X times in Y days", "x_per_y"))
# field, label, placeholder
TEXT_FIELDS = (
    ("name", "Name", "e.g. Drink water"),
    ("unit", "Unit", "for a measured habit: glasses, km, pages"),
    ("target", "Target", "daily amount, e.g. 8"),
    ("days", "Days", "mon,wed,fri  or  weekdays, weekends"),
    ("times", "Times", "how many times…"),
    ("per", "In days", "…in how many days, e.g. 7"),
    ("remind", "Reminders", "HH:MM, e.g. 09:00,18:00 (empty: none)"),
    ("remind_days", "Remind on", "mon,wed,fri  or  weekends (empty: the days it is due)"),
    ("category", "Category", "e.g. health"),
    ("color", "Colour", "a name (green) or #rrggbb"),
    ("description", "Description", "optional"),
)
FIELD_ORDER = ("", "name", "unit", "target", "at_most", "schedule", "days", "times", "per", "remind",
               "remind_days", "category", "color", "description")  # fmt: skip


class HabitFormScreen(PaaScreen):
    """Add a habit (`habit_id` None) or edit one."""

    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+s", "save", "Save", tooltip="save (a mistake is shown under its field)"),
        Binding("escape", "cancel", "Cancel", tooltip="close the form without saving"),
    ]

    class Filled(Message):
        def __init__(self, form: HabitForm) -> None:
            super().__init__()
            self.form = form

    class Saved(Message):
        def __init__(self, outcome: FormOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, habit_id: int | None) -> None:
        super().__init__()
        self.habit_id = habit_id
        self.saving = False

    def compose(self) -> ComposeResult:
        yield NavBar(self.app.current_mode)
        title = "New habit" if self.habit_id is None else "Edit habit"
        yield Static(f"[b]{title}[/b]  [$foreground-muted]ctrl+s saves, esc cancels[/]", id="form-title")
        with VerticalScroll(id="habit-form"):
            yield Label("", id="error-", classes="field-error")
            for name, label, placeholder in TEXT_FIELDS[:3]:
                yield from _row(name, label, Input(placeholder=placeholder, id=f"field-{name}", compact=True))
            yield from _row("at_most", "Limit", Checkbox("at most: the target is a ceiling", id="field-at_most",
                                                         compact=True))  # fmt: skip
            yield from _row("schedule", "Schedule", Select(SCHEDULES, value="daily", allow_blank=False,
                                                           id="field-schedule", compact=True))  # fmt: skip
            for name, label, placeholder in TEXT_FIELDS[3:]:
                yield from _row(name, label, Input(placeholder=placeholder, id=f"field-{name}", compact=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()
        self._show_schedule_fields("daily")
        if self.habit_id is not None:
            self.fill()

    @work(thread=True, exclusive=True, group="form-load", exit_on_error=False)
    def fill(self) -> None:
        assert self.habit_id is not None
        with self.paa.store.read() as ctx:
            form = load_habit_form(ctx, self.habit_id)
        self.post_message(self.Filled(form))

    def on_habit_form_screen_filled(self, message: Filled) -> None:
        form = message.form
        for name, _label, _placeholder in TEXT_FIELDS:
            self.query_one(f"#field-{name}", Input).value = getattr(form, name)
        self.query_one("#field-at_most", Checkbox).value = form.at_most
        self.query_one("#field-schedule", Select).value = form.schedule
        self._show_schedule_fields(form.schedule)

    @on(Select.Changed, "#field-schedule")
    def _schedule_changed(self, event: Select.Changed) -> None:
        self._show_schedule_fields(str(event.value))

    def _show_schedule_fields(self, schedule: str) -> None:
        self.query_one("#row-days").display = schedule == "weekdays"
        self.query_one("#row-times").display = schedule == "x_per_y"
        self.query_one("#row-per").display = schedule == "x_per_y"

    def form(self) -> HabitForm:
        values = {name: self.query_one(f"#field-{name}", Input).value for name, _label, _placeholder in TEXT_FIELDS}
        return HabitForm(
            **values,
            at_most=self.query_one("#field-at_most", Checkbox).value,
            schedule=str(self.query_one("#field-schedule", Select).value),
        )

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if not self.saving:
            self.saving = True
            self.save(self.form())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def save(self, form: HabitForm) -> None:
        try:
            outcome = save_habit_form(self.paa.store, self.habit_id, form)
        except Exception as exc:
            from paa.errors import error_text

            outcome = FormOutcome(None, {"": error_text(exc)})
        if outcome.habit_id is not None:
            self.paa.wrote()
        self.post_message(self.Saved(outcome))

    def on_habit_form_screen_saved(self, message: Saved) -> None:
        self.saving = False
        outcome = message.outcome
        for error in self.query(".field-error").results(Label):
            error.update("")
            error.remove_class("-shown")
        for widget in self.query(".-invalid"):
            widget.remove_class("-invalid")
        if outcome.habit_id is not None:
            self.notify(outcome.message)
            self.dismiss(outcome.habit_id)
            return
        first: Widget | None = None
        for name in sorted(outcome.errors, key=lambda key: FIELD_ORDER.index(key) if key in FIELD_ORDER else 99):
            label = self.query_one(f"#error-{name}", Label)
            label.update(outcome.errors[name])
            label.add_class("-shown")
            if name:
                field = self.query_one(f"#field-{name}")
                field.add_class("-invalid")
                first = first or field
        if first is not None:
            first.focus()
            first.scroll_visible()


def _row(name: str, label: str, field: Widget) -> ComposeResult:
    with Horizontal(classes="form-row", id=f"row-{name}"):
        yield Label(label, classes="form-label")
        yield field
    yield Label("", id=f"error-{name}", classes="field-error form-error")
