"""One habit: its calendar heatmap over the year, figures (streaks, strength, completion) and its history."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from paa.errors import NotFound, error_text
from paa.tui.data import HabitPage, delete_habit, load_habit_page, set_archived
from paa.tui.markup import literal
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets import charts
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

STRENGTH_DAYS = 90


class HabitDetailScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "back", "Back", tooltip="back to where you came from"),
        Binding("e", "edit", "Edit", tooltip="edit the habit"),
        Binding("x", "archive", "Archive", tooltip="archive or restore it"),
        Binding("delete", "delete", "Delete", tooltip="delete it with its history (asks first)"),
    ]

    class Loaded(Message):
        def __init__(self, page: HabitPage | None, error: str = "") -> None:
            super().__init__()
            self.page = page
            self.error = error

    def __init__(self, habit_id: int) -> None:
        super().__init__()
        self.habit_id = habit_id
        self.page: HabitPage | None = None

    def compose(self) -> ComposeResult:
        yield NavBar(self.app.current_mode)
        with VerticalScroll(id="habit-page"):
            yield Static("Loading…", id="habit-head")
            yield Static("", id="habit-facts")
            yield Static("", id="habit-heat")
            yield Static("", id="habit-strength")
            yield Static("[b]History[/b]", id="habit-history-title")
            yield DataTable(id="habit-history", cursor_type="row", show_cursor=False)
        yield KeyBar()

    @work(thread=True, exclusive=True, group="habit-load", exit_on_error=False)
    def load(self) -> None:
        try:
            with self.paa.store.read() as ctx:
                page = load_habit_page(ctx, self.habit_id)
        except NotFound:
            self.post_message(self.Loaded(None, "This habit no longer exists."))
            return
        except Exception as exc:
            self.post_message(self.Loaded(None, error_text(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page))

    def on_habit_detail_screen_loaded(self, message: Loaded) -> None:
        if message.page is None:
            self.query_one("#habit-head", Static).update(f"[$error]{literal(message.error)}[/]")
            return
        self.page = message.page
        self.render_page()

    def on_resize(self, _event: Resize) -> None:
        self.render_page()

    def render_page(self) -> None:
        page = self.page
        if page is None:
            return
        habit, detail, stats = page.habit, page.detail, page.stats
        status = detail.status
        archived = " [$foreground-muted](archived)[/]" if habit["archived"] else ""
        head = [f"[b]{literal(habit['name'])}[/b] [$foreground-muted]#{habit['id']}[/]{archived}"]
        if habit["description"]:
            head.append(literal(habit["description"]))
        self.query_one("#habit-head", Static).update("\n".join(head))
        facts = [("Schedule", habit["schedule"]["text"])]
        if habit["kind"] == "measurable":
            bound = "at most" if habit["target_type"] == "at_most" else "at least"
            facts.append(("Target", f"{bound} {charts.number(habit['target'])} {literal(habit['unit'] or '')}"))
        if habit["reminders"]:
            facts.append(("Reminders", ", ".join(habit["reminders"])))
        if habit["category"]:
            facts.append(("Category", literal(habit["category"])))
        value = status.entry.value if status.entry else None
        today = charts.today_text(status.state, habit["kind"] == "measurable", value, habit["target"], habit["unit"])
        facts.append(("Today", f"{charts.state_mark(status.state)} {today}"))
        streaks = status.streaks
        current = f"{streaks.current.length}d" if streaks.current else "–"
        facts.append(("Streak", f"{current} (best {streaks.best.length}d)" if streaks.best else current))
        change = stats.strength_change * 100
        facts.append(("Strength", f"{stats.strength * 100:.0f}% ({change:+.0f} points over the year)"))
        rates = "  ".join(f"{key} {charts.percent(rate)}" for key, rate in detail.rates.items())
        facts.append(("Completion", rates))
        totals = f"{detail.total_done} done, {detail.total_skipped} skipped"
        if detail.total_value is not None:
            totals += f", {charts.number(detail.total_value)} {literal(habit['unit'] or '')} in all"
        facts.append(("Totals", totals))
        facts.append(("Last done", detail.last_done.isoformat() if detail.last_done else "never"))
        width = max(len(key) for key, _ in facts)
        self.query_one("#habit-facts", Static).update(
            "\n".join(f"[$foreground-muted]{key.ljust(width)}[/]  {text}" for key, text in facts)
        )
        heat = self.query_one("#habit-heat", Static)
        lines = charts.heatmap(page.heat, status.day, max(20, (heat.content_size.width or self.size.width) - 2),
                               page.week_start)  # fmt: skip
        marked = sorted(charts.MARKED_STATES & {cell.state for cell in page.heat})
        marks = [f"{charts.state_mark(state)} {charts.STATES[state][2]}" for state in marked]
        legend = "  ".join([charts.heat_legend(), *marks])
        heat.update("[b]Calendar[/b]  " + legend + "\n" + "\n".join(lines))
        points = stats.days[-min(STRENGTH_DAYS, max(10, self.size.width - 20)) :]
        spark = charts.spark([p.strength for p in points], 0.0, 1.0)
        self.query_one("#habit-strength", Static).update(f"[b]Strength[/b], last {len(points)} days\n{spark}")
        table = self.query_one("#habit-history", DataTable)
        table.clear(columns=True)
        table.add_columns("Day", "", "State", "Value", "Note")
        styles = charts.state_styles(self.app.get_css_variables())
        for row in page.history:
            glyph, _style, word = charts.STATES.get(row.state, ("", "", row.status))
            table.add_row(
                Text(row.day.isoformat()), Text(row.day.strftime("%a")),
                Text(f"{glyph} {word}".strip(), style=styles.get(row.state, "")),
                Text("" if row.value is None else charts.number(row.value), justify="right"), Text(row.note or ""),
            )  # fmt: skip
        if not page.history:
            table.add_row(Text("nothing logged yet"), Text(""), Text(""), Text(""), Text(""))

    # ---- actions ------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_edit(self) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        self.app.push_screen(HabitFormScreen(self.habit_id))

    def action_archive(self) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        if self.page is None:
            return
        if self.page.habit["archived"]:
            self.change("restore")
            return
        name = self.page.habit["name"]

        def answered(yes: bool | None) -> None:
            if yes:
                self.change("archive")

        question = f"Archive {name}? It leaves your lists and reminders; its history is kept, and x restores it."
        self.app.push_screen(ConfirmScreen(question, yes="Archive", no="Keep"), answered)

    def action_delete(self) -> None:
        from paa.tui.screens.modals import ConfirmScreen

        if self.page is None:
            return
        name = self.page.habit["name"]

        def answered(yes: bool | None) -> None:
            if yes:
                self.change("delete")

        question = f"Delete {name} and all its logs? This cannot be undone (archiving keeps the history)."
        self.app.push_screen(ConfirmScreen(question, yes="Delete", no="Keep"), answered)

    def change(self, what: str) -> None:
        habit_id = self.habit_id
        if what == "delete":
            self.change_data(lambda ctx: delete_habit(ctx, habit_id), then=lambda: self.dismiss(None))
        else:
            self.change_data(lambda ctx: set_archived(ctx, habit_id, what == "archive"))

    @on(DataTable.RowSelected)
    def _ignore(self) -> None:
        return None
