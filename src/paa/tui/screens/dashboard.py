"""Home: today's habits (log, skip, undo with one key), check-in status, mood and completion, reminders, insights."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from paa.core.habits.status import KEPT
from paa.errors import error_text
from paa.tui.data import RECENT_DAYS, Dashboard, HabitRow, load_dashboard, log_done, skip_today, undo_today
from paa.tui.markup import literal
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets import charts
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

NAME_WIDTH = 24
KIND_LABELS = {"habit": "", "checkin": "", "custom": "reminder"}


class DashboardScreen(PaaScreen):
    """What a person keeps open all day."""

    BINDINGS = [  # noqa: RUF012
        Binding(
            "space", "act('done')", "Done", tooltip="mark the habit done today; a measured one asks for the amount"
        ),
        Binding("v", "act('amount')", "Amount", tooltip="enter an amount (added to today's total)"),
        Binding("s", "act('skip')", "Skip", tooltip="skip it today (a skip never breaks a streak)"),
        Binding("u", "act('undo')", "Undo", tooltip="undo: remove today's entry"),
        Binding("enter", "open_habit", "Open", show=False, tooltip="open the habit: calendar, history, figures"),
        Binding("i", "app.go('checkin')", "Check in", tooltip="go to the check-in"),
        Binding("n", "new_habit", "New habit", show=False, tooltip="add a habit"),
        Binding("r", "reload", "Refresh", show=False, tooltip="read everything again"),
    ]

    class Loaded(Message):
        def __init__(self, data: Dashboard) -> None:
            super().__init__()
            self.data = data

    class Failed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.data: Dashboard | None = None
        self.painted = False

    def compose(self) -> ComposeResult:
        yield NavBar("dashboard")
        with Horizontal(id="dash-body"):
            with Vertical(id="dash-left"):
                yield Static("Loading today's habits…", id="today-title")
                table: DataTable[Text] = DataTable(id="today-table", cursor_type="row", zebra_stripes=False)
                yield table
                yield Static("", id="today-empty")
            with VerticalScroll(id="dash-right"):
                yield Static("", id="checkin-panel", classes="panel")
                yield Static("", id="mood-panel", classes="panel")
                yield Static("", id="week-panel", classes="panel")
                yield Static("", id="upcoming-panel", classes="panel")
                yield Static("", id="insights-panel", classes="panel")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#today-table", DataTable).focus()
        self.set_interval(60, self._minute)  # time passes: a new day, reminders that are no longer "coming up"
        early = self.paa.take_preloaded()  # read before Textual started: draw it now, no worker round trip
        if early is not None:
            # It is what the app's first change signal (generation 1) would load. A change made after it was read
            # still comes as generation 2: the watcher's baseline was taken before the read (a preload thread), or
            # the app reads once more when its watcher begins (a preload process; see PaaApp.watch_database).
            self.loaded_generation = 1
            self.post_message(self.Loaded(early))
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.render_data())

    # ---- loading ----------------------------------------------------------------------------------

    def _minute(self) -> None:
        if self.is_current and self.data is not None:
            self.reload()

    @work(thread=True, exclusive=True, group="dashboard-load", exit_on_error=False)
    def load(self) -> None:
        try:
            data = self.paa.take_preloaded()
            if data is None:
                with self.paa.store.read() as ctx:
                    data = load_dashboard(ctx)
        except Exception as exc:
            self.post_message(self.Failed(error_text(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(data))

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        from paa.tui.messages import HabitsKnown

        self.data = message.data
        self.render_data()
        self.app.post_message(HabitsKnown([(row.id, row.name) for row in message.data.habits]))
        if not self.painted:
            self.painted = True
            self.screen_layout_refresh_signal.subscribe(self, self._first_paint)
            self.refresh(layout=True)

    def _first_paint(self, _screen: object) -> None:
        """Runs after each layout refresh (whose frame has just been written) until the data is on it."""
        table = self.query_one("#today-table", DataTable)
        if self.data is not None and (table.region.height > 1 or not self.data.habits):
            self.screen_layout_refresh_signal.unsubscribe(self)
            self.paa.dashboard_painted()

    def on_dashboard_screen_failed(self, message: Failed) -> None:
        self.query_one("#today-title", Static).update(f"[$error]Cannot read the database:[/] {literal(message.text)}")

    # ---- rendering --------------------------------------------------------------------------------

    def render_data(self) -> None:
        data = self.data
        if data is None:
            return
        day = data.day.strftime("%a %d %b %Y")
        self.query_one(NavBar).set_note(f"{literal(data.who)} · {day}" if data.who else day)  # whoami, with accounts
        self._render_habits(data)
        self._render_checkin(data)
        self._render_mood(data)
        self._render_week(data)
        self._render_upcoming(data)
        self._render_insights(data)

    def _render_habits(self, data: Dashboard) -> None:
        due = [row for row in data.habits if row.state not in ("not_due", "skipped")]
        done = [row for row in due if row.state in KEPT]
        title = f"[b]Today[/b], {data.day.strftime('%A %d %B')}: {len(done)} of {len(due)} done"
        self.query_one("#today-title", Static).update(title)
        table = self.query_one("#today-table", DataTable)
        selected = self.selected_id()
        styles = charts.state_styles(self.app.get_css_variables())
        table.clear(columns=True)
        space = table.size.width or self.size.width - 36
        wide = space >= 32 + 12 + RECENT_DAYS + 2
        table.add_column("", key="mark", width=1)
        table.add_column("Habit", key="name")
        table.add_column("Today", key="today")
        table.add_column("Streak", key="streak")
        table.add_column("Str.", key="strength")
        if wide:
            table.add_column("Last 14 days", key="recent")
        name_width = max(10, min(NAME_WIDTH, space - 32 - (RECENT_DAYS + 2 if wide else 0)))
        for row in data.habits:
            cells = _cells(row, styles, name_width)
            if wide:
                cells = (*cells, _recent(row.recent, styles))
            table.add_row(*cells, key=str(row.id))
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))
        empty = self.query_one("#today-empty", Static)
        empty.display = not data.habits
        if not data.habits:
            empty.update("No habits yet. Press [b]n[/b] to add one, or `paa habit add` in a shell.")

    def _render_checkin(self, data: Dashboard) -> None:
        lines = ["[b]Check-in[/b]"]
        checkin = data.checkin
        if checkin is None:
            lines.append(f"Not yet today (due at {data.checkin_time}).")
            lines.append("[@click=app.go('checkin')][$accent]Press i to check in[/][/]")
        else:
            parts = [f"mood {checkin.mood}/5" if checkin.mood else "no mood"]
            if checkin.energy:
                parts.append(f"energy {checkin.energy}/5")
            if checkin.feeling:
                parts.append(checkin.feeling)
            lines.append("[$success]✓[/] Done: " + ", ".join(parts))
        self.query_one("#checkin-panel", Static).update("\n".join(lines))

    def _render_mood(self, data: Dashboard) -> None:
        average = f"avg {data.mood_average:.1f}" if data.mood_average is not None else "no check-ins yet"
        panel = self.query_one("#mood-panel", Static)
        days = max(7, min(len(data.moods), panel.content_size.width or 28))
        feeling = "–" if data.sentiment_average is None else f"{data.sentiment_average:+.2f}"
        lines = [
            f"[b]Mood[/b], {days} days  [$foreground-muted]{average}[/]",
            charts.spark(data.moods[-days:], 1, 5),
            f"[b]Sentiment[/b], 7-day mean  [$foreground-muted]{feeling}[/]",
            charts.spark(data.sentiments[-days:], -1, 1),
        ]
        panel.update("\n".join(lines))

    def _render_week(self, data: Dashboard) -> None:
        days = data.completion
        bars = " ".join(charts.column(day.rate) for day in days)
        letters = " ".join(day.day.strftime("%a")[0] for day in days)
        finished = days[:-1]
        this_week, last_week = finished[-7:], finished[-14:-7]
        lines = [
            "[b]Completion[/b], 2 weeks",
            bars,
            f"[$foreground-muted]{letters}[/]",
            f"last 7 days {charts.percent(_rate(this_week))}, week before {charts.percent(_rate(last_week))}",
        ]
        self.query_one("#week-panel", Static).update("\n".join(lines))

    def _render_upcoming(self, data: Dashboard) -> None:
        lines = ["[b]Coming up[/b]"]
        if not data.upcoming:
            lines.append("[$foreground-muted]No reminders in the next 24 hours.[/]")
        for item in data.upcoming:
            day = (
                "" if item.local.date() == data.now.astimezone(item.local.tzinfo).date() else item.local.strftime("%a ")
            )
            kind = KIND_LABELS.get(item.kind, "")
            tail = f" [$foreground-muted]({kind})[/]" if kind else ""
            lines.append(f"{day}{item.local:%H:%M}  {literal(item.title)}{tail}")
        self.query_one("#upcoming-panel", Static).update("\n".join(lines))

    def _render_insights(self, data: Dashboard) -> None:
        lines = ["[b]Insights[/b]"]
        if not data.insights:
            lines.append("[$foreground-muted]Keep logging: insights appear after a few days.[/]")
        lines.extend(f"• {literal(text)}" for text in data.insights)
        self.query_one("#insights-panel", Static).update("\n".join(lines))

    # ---- acting on a habit --------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        table = self.query_one("#today-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def row_of(self, habit_id: int) -> HabitRow | None:
        if self.data is None:
            return None
        return next((row for row in self.data.habits if row.id == habit_id), None)

    def action_act(self, what: str) -> None:
        habit_id = self.selected_id()
        if habit_id is None:
            self.notify("No habit selected.", severity="warning")
            return
        self.act_on(habit_id, what)

    def act_on(self, habit_id: int, what: str) -> None:
        """Log, skip, undo or enter an amount for a habit: a measurable one asks for the amount first."""
        from paa.tui.screens.modals import AmountScreen

        row = self.row_of(habit_id)
        if row is not None and row.measurable and what in ("done", "amount"):
            unit = row.unit
            title = f"{row.name}: how much? (today {charts.number(row.value or 0)}/{charts.number(row.target)})"

            def logged(value: float | None) -> None:
                if value is not None:
                    self.write(habit_id, "done", value)

            self.app.push_screen(AmountScreen(title, unit), logged)
            return
        if what == "amount":
            self.notify(f"{row.name if row else 'This habit'} is a yes/no habit: press space to mark it done.")
            return
        self.write(habit_id, what)

    def write(self, habit_id: int, what: str, value: float | None = None) -> None:
        if what == "done":
            self.change_data(lambda ctx: log_done(ctx, habit_id, value))
        elif what == "skip":
            self.change_data(lambda ctx: skip_today(ctx, habit_id))
        else:
            self.change_data(lambda ctx: undo_today(ctx, habit_id))

    @on(DataTable.RowSelected, "#today-table")
    def _row_selected(self) -> None:
        self.action_open_habit()

    def action_open_habit(self) -> None:
        habit_id = self.selected_id()
        if habit_id is not None:
            self.paa.open_habit(habit_id)

    def action_new_habit(self) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        self.app.push_screen(HabitFormScreen(None))

    def action_reload(self) -> None:
        self.reload()


def _cells(row: HabitRow, styles: dict[str, str], width: int) -> tuple[Text, ...]:
    glyph, _style, _word = charts.STATES.get(row.state, ("?", "", row.state))
    colour = styles.get(row.state, "")
    name = row.name if len(row.name) <= width else row.name[: width - 1] + "…"
    today = charts.today_text(row.state, row.measurable, row.value, row.target, None)
    if row.measurable and row.unit:
        today = f"{today} {row.unit[:7]}"
    strength = "" if row.strength is None else f"{row.strength * 100:.0f}%"
    streak = f"{row.streak}d" if row.streak else "–"
    return (
        Text(glyph, style=colour),
        Text(name),
        Text(today, style=colour if row.state != "due" else ""),
        Text(streak, justify="right"),
        Text(strength, justify="right"),
    )


def _recent(states: tuple[str, ...], styles: dict[str, str]) -> Text:
    text = Text()
    for state in states:
        glyph = charts.STATES.get(state, ("?", "", ""))[0]
        text.append(glyph, style=styles.get(state, ""))
    return text


def _rate(days: list) -> float | None:  # type: ignore[type-arg]
    due = sum(day.due for day in days)
    return None if due == 0 else sum(day.done for day in days) / due
