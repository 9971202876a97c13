"""Habits: the list with a filter (name or category) and active/archived/all; add, edit, archive, delete, open."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from paa.errors import error_text
from paa.tui.data import HabitRow, delete_habit, load_habit_rows, set_archived
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets import charts
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

SHOW = (("Active", "active"), ("Archived", "archived"), ("All", "all"))
COLUMNS = ("#", "Habit", "Today", "Streak", "Schedule", "Category")


def matches(row: HabitRow, text: str, show: str) -> bool:
    """Whether a row passes the filter: its name or category contains `text`, and it is in the chosen group."""
    if (show == "active" and row.archived) or (show == "archived" and not row.archived):
        return False
    needle = text.strip().casefold()
    return not needle or needle in row.name.casefold() or needle in (row.category or "").casefold()


class HabitsScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("slash", "filter", "Filter", tooltip="filter the list by name"),
        Binding("a", "cycle_show", "Active/all", tooltip="show active, archived or all habits"),
        Binding("n", "new", "New", tooltip="add a habit"),
        Binding("e", "edit", "Edit", tooltip="edit the chosen habit"),
        Binding("x", "archive", "Archive", tooltip="archive it, or restore an archived one"),
        Binding("delete", "delete", "Delete", tooltip="delete it with its history (asks first)"),
        Binding("enter", "open", "Open", show=False, tooltip="open it: calendar, history, figures"),
        Binding("escape", "leave_filter", "Back to list", show=False, tooltip="leave the filter"),
    ]

    class Loaded(Message):
        def __init__(self, rows: list[HabitRow]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[HabitRow] | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("habits")
        with Horizontal(id="habits-controls"):
            yield Input(placeholder="Filter by name or category  (/)", id="habit-filter", compact=True)
            yield Select(SHOW, value="active", allow_blank=False, id="habit-show", compact=True)
        yield DataTable(id="habits-table", cursor_type="row")
        yield Static("Loading habits…", id="habits-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#habits-table", DataTable).focus()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.render_rows())

    @work(thread=True, exclusive=True, group="habits-load", exit_on_error=False)
    def load(self) -> None:
        try:
            with self.paa.store.read() as ctx:
                rows = load_habit_rows(ctx)
        except Exception as exc:
            self.app.call_from_thread(self.notify, error_text(exc), title="Cannot read habits", severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(rows))

    def on_habits_screen_loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        self.render_rows()

    @on(Input.Changed, "#habit-filter")
    @on(Select.Changed, "#habit-show")
    def render_rows(self) -> None:
        if self.rows is None:
            return
        table = self.query_one("#habits-table", DataTable)
        selected = self.selected_id()
        text = self.query_one("#habit-filter", Input).value
        show = str(self.query_one("#habit-show", Select).value)
        shown = [row for row in self.rows if matches(row, text, show)]
        styles = charts.state_styles(self.app.get_css_variables())
        cells = {str(row.id): self._cells(row, styles) for row in shown}
        table.clear(columns=True)
        # Each column as wide as its widest cell, measured here: DataTable measures auto-width columns only when its
        # message queue runs dry, and on a busy machine the list was seen drawn with every column at its label's width.
        for index, label in enumerate(COLUMNS):
            width = max([len(label), *(cell[index].cell_len for cell in cells.values())])
            table.add_column(label, width=width, key=label)
        for key, row_cells in cells.items():
            table.add_row(*row_cells, key=key)
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        total = len(self.rows)
        status = f"{len(shown)} of {total} habits" if total else "No habits yet: press n to add one."
        self.query_one("#habits-status", Static).update(status)

    @staticmethod
    def _cells(row: HabitRow, styles: dict[str, str]) -> tuple[Text, ...]:
        glyph, _style, word = charts.STATES.get(row.state, ("?", "", row.state))
        today = charts.today_text(row.state, row.measurable, row.value, row.target, row.unit)
        name = Text(row.name) + (Text(" (archived)", style="italic") if row.archived else Text(""))
        return (
            Text(str(row.id), justify="right"),
            name,
            Text(f"{glyph} {today or word}", style=styles.get(row.state, "")),
            Text(f"{row.streak}d" if row.streak else "–", justify="right"),
            Text(row.schedule),
            Text(row.category or ""),
        )

    # ---- actions ------------------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        table = self.query_one("#habits-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def selected_row(self) -> HabitRow | None:
        habit_id = self.selected_id()
        return next((row for row in self.rows or [] if row.id == habit_id), None)

    def action_filter(self) -> None:
        self.query_one("#habit-filter", Input).focus()

    def action_leave_filter(self) -> None:
        self.query_one("#habits-table", DataTable).focus()

    @on(Input.Submitted, "#habit-filter")
    def _filter_done(self) -> None:
        self.action_leave_filter()

    def action_cycle_show(self) -> None:
        select = self.query_one("#habit-show", Select)
        values = [value for _label, value in SHOW]
        select.value = values[(values.index(str(select.value)) + 1) % len(values)]

    def action_new(self) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        self.app.push_screen(HabitFormScreen(None))

    def action_edit(self) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        habit_id = self.selected_id()
        if habit_id is not None:
            self.app.push_screen(HabitFormScreen(habit_id))

    @on(DataTable.RowSelected, "#habits-table")
    def action_open(self) -> None:
        habit_id = self.selected_id()
        if habit_id is not None:
            self.paa.open_habit(habit_id)

    def action_archive(self) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        row = self.selected_row()
        if row is None:
            return
        if row.archived:
            self.change(row.id, "restore")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(row.id, "archive")

        question = f"Archive {row.name}? It leaves your lists and reminders; its history is kept, and x restores it."
        self.app.push_screen(ConfirmScreen(question, yes="Archive", no="Keep"), answered)

    def action_delete(self) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        row = self.selected_row()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(row.id, "delete")

        question = f"Delete {row.name} and all its logs? This cannot be undone (archiving keeps the history)."
        self.app.push_screen(ConfirmScreen(question, yes="Delete", no="Keep"), answered)

    def change(self, habit_id: int, what: str) -> None:
        if what == "delete":
            self.change_data(lambda ctx: delete_habit(ctx, habit_id))
        else:
            self.change_data(lambda ctx: set_archived(ctx, habit_id, what == "archive"))
