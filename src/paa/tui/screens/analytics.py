"""Analytics: the `paa analytics` views, for a period ending on an as-of day, for all habits or one, with a heatmap."""

from __future__ import annotations

from datetime import date, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widgets import Input, Select, Static
from textual.worker import get_current_worker

from paa.errors import PaaError, error_text
from paa.tui.data import PERIODS, AnalyticsPage, load_analytics
from paa.tui.markup import literal
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets import charts
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

ALL = "all-habits"
NAME_WIDTH = 16
ALL_STEP_DAYS = 30  # all time has no length to step by: a month, the default period

AsOf = date | str | None  # the as-of day asked for: a day, or text for core to read; None follows today


class AnalyticsScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("p", "next_period", "Period", tooltip="next period: 7d, 30d, 90d, 365d, all"),
        Binding("h", "next_habit", "Habit", tooltip="next habit (or all habits)"),
        Binding("left_square_bracket", "step(-1)", "Earlier", tooltip="as of one period earlier"),
        Binding("right_square_bracket", "step(1)", "Later", tooltip="as of one period later (never past today)"),
        Binding("t", "today", "Today", tooltip="as of today again"),
        Binding(
            "d", "type_day", "As of", show=False, tooltip="type the as-of day (yesterday, -7, friday, 2026-10-31)"
        ),  # the key bar is full at 80 columns; the field is visible
        Binding("escape", "leave_day", "Leave the date", show=False, tooltip="leave the date field"),
    ]
    # The screen's own fields; the shared layout of the controls row is in paa.tcss.
    DEFAULT_CSS = """
    #as-of {
        width: 24;
        margin-left: 2;
    }
    #as-of-message {
        display: none;
        height: auto;
        margin: 0 1;
        color: $error;
    }
    """

    class Loaded(Message):
        def __init__(self, page: AnalyticsPage | None, asked: AsOf, error: str = "") -> None:
            super().__init__()
            self.page = page
            self.asked = asked
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.page: AnalyticsPage | None = None
        self.period = "30d"
        self.habit_id: int | None = None
        self.asked: AsOf = None

    def compose(self) -> ComposeResult:
        yield NavBar("analytics")
        with Horizontal(id="analytics-controls"):
            yield Select([(p, p) for p in PERIODS], value=self.period, allow_blank=False, id="period", compact=True)
            yield Select([("All habits", ALL)], value=ALL, allow_blank=False, id="habit", compact=True)
            yield Input(placeholder="as of today  (d)", id="as-of", compact=True)
        yield Static("", id="as-of-message")
        with VerticalScroll(id="analytics-body"):
            yield Static("Loading…", id="analytics-main")
            yield Static("", id="analytics-heat")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#analytics-body").focus()

    @work(thread=True, exclusive=True, group="analytics-load", exit_on_error=False)
    def load(self) -> None:
        period, habit_id, asked = self.period, self.habit_id, self.asked
        as_of = asked.isoformat() if isinstance(asked, date) else asked
        try:
            with self.paa.store.read() as ctx:
                page = load_analytics(ctx, period, habit_id, as_of)
        except PaaError as exc:
            self.post_message(self.Loaded(None, asked, f"{exc.message}; {exc.hint}" if exc.hint else exc.message))
            return
        except Exception as exc:
            self.post_message(self.Loaded(None, asked, error_text(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page, asked))

    def on_analytics_screen_loaded(self, message: Loaded) -> None:
        if message.asked != self.asked:
            return  # a newer as-of day was asked for since; its own answer is on the way
        if message.page is None:
            self.refused(message.error)
            return
        self.page = message.page
        self.asked = _asked_of(message.page)
        self.show_as_of(message.page, typing=self.query_one("#as-of", Input).has_focus)  # keep what is being typed
        habit_select = self.query_one("#habit", Select)
        options = [("All habits", ALL), *((h.name, str(h.id)) for h in message.page.habits)]
        with habit_select.prevent(Select.Changed):
            habit_select.set_options(options)
            habit_select.value = ALL if self.habit_id is None else str(self.habit_id)
        self.render_page()

    def refused(self, error: str) -> None:
        """Say why the view could not be read; keep the one shown, and its as-of day, if there is one."""
        if self.page is None:
            self.query_one("#analytics-main", Static).update(f"[$error]{literal(error)}[/]")
            return
        typed = isinstance(self.asked, str)
        self.asked = _asked_of(self.page)
        message = self.query_one("#as-of-message", Static)
        message.update(literal(error))
        message.display = True
        if typed:  # leave the mistake in the field, ready to be corrected
            self.query_one("#as-of", Input).focus()

    def show_as_of(self, page: AnalyticsPage, *, typing: bool = False) -> None:
        """Put the shown as-of day in the field (empty for today) and clear any refusal."""
        self.query_one("#as-of-message", Static).display = False
        field = self.query_one("#as-of", Input)
        if not typing:
            field.value = "" if page.as_of == page.today else page.as_of.isoformat()

    def on_resize(self, _event: Resize) -> None:
        self.render_page()

    # ---- controls -----------------------------------------------------------------------------------

    @on(Select.Changed, "#period")
    def _period(self, event: Select.Changed) -> None:
        if str(event.value) != self.period:
            self.period = str(event.value)
            self.reload()

    @on(Select.Changed, "#habit")
    def _habit(self, event: Select.Changed) -> None:
        chosen = None if event.value in (ALL, Select.NULL) else int(str(event.value))
        if chosen != self.habit_id:
            self.habit_id = chosen
            self.reload()

    def action_period(self, period: str) -> None:
        self.query_one("#period", Select).value = period

    def action_next_period(self) -> None:
        self.action_period(PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)])

    def action_next_habit(self) -> None:
        if self.page is None:
            return
        ids: list[int | None] = [None, *(h.id for h in self.page.habits)]
        chosen = ids[(ids.index(self.habit_id) + 1) % len(ids)] if self.habit_id in ids else None
        self.query_one("#habit", Select).value = ALL if chosen is None else str(chosen)

    def ask(self, asked: AsOf) -> None:
        """Show the views as of another day (core reads and checks it in the worker)."""
        self.asked = asked
        self.reload()

    def action_step(self, direction: int) -> None:
        """Move the as-of day back or forward by the period's length, never past today."""
        from paa.core.analytics.periods import parse_period

        page = self.page
        if page is None:
            return
        days = parse_period(self.period).days or ALL_STEP_DAYS
        base = self.asked if isinstance(self.asked, date) else page.as_of  # steps pile up while one is loading
        try:
            day = min(page.today, base + timedelta(days=direction * days))
        except OverflowError:  # before the year 1
            return
        if day != base:
            self.ask(None if day == page.today else day)

    def action_today(self) -> None:
        self.ask(None)  # even on today's view: reading it again clears a refusal

    def action_type_day(self) -> None:
        self.query_one("#as-of", Input).focus()

    def action_leave_day(self) -> None:
        if self.query_one("#as-of", Input).has_focus:
            self.query_one("#analytics-body").focus()
            if self.page is not None:  # what was typed is dropped, with its refusal
                self.show_as_of(self.page)

    @on(Input.Submitted, "#as-of")
    def _typed_day(self, event: Input.Submitted) -> None:
        self.query_one("#analytics-body").focus()
        self.ask(event.value.strip() or None)

    # ---- rendering ----------------------------------------------------------------------------------

    def render_page(self) -> None:
        page = self.page
        if page is None:
            return
        width = max(40, self.size.width - 4)
        main = self.query_one("#analytics-main", Static)
        if page.stats is not None:
            main.update("\n".join(_habit_lines(page, width)))
        else:
            main.update("\n".join(_overview_lines(page, width)))
        as_of = page.stats.as_of if page.stats is not None else page.overview.as_of if page.overview else None
        if as_of is not None:
            heat = charts.heatmap(page.heat, as_of, width)
            title = "[b]Calendar[/b], habits done each day  " if page.stats is None else "[b]Calendar[/b]  "
            self.query_one("#analytics-heat", Static).update(title + charts.heat_legend() + "\n" + "\n".join(heat))


def _span(start: object, end: object) -> str:
    return f"{start:%d %b %Y} – {end:%d %b %Y}"


def _asked_of(page: AnalyticsPage) -> AsOf:
    """The as-of day to ask for to see `page` again: None when it is today, so the view follows the clock."""
    return None if page.as_of == page.today else page.as_of


def _as_of_note(page: AnalyticsPage) -> str:
    """Nothing on today's view; otherwise which day the figures are as of, and how long ago that is."""
    if page.as_of == page.today:
        return ""
    ago = (page.today - page.as_of).days
    return f" [$accent]as of {page.as_of:%d %b %Y}, {ago} day{'' if ago == 1 else 's'} ago[/]"


def _overview_lines(page: AnalyticsPage, width: int) -> list[str]:
    view = page.overview
    assert view is not None
    lines = [f"[b]All habits[/b], {view.period.label} ({_span(view.start, view.as_of)}){_as_of_note(page)}", ""]
    if not view.habits:
        lines.append("No habits yet.")
    bar_width = 10 if width < 100 else 20
    header = f"{'Habit':<{NAME_WIDTH}}  {'Strength':<{bar_width + 5}} {'Change':>6}  {'Streak':>9}  {'Done':>7}"
    lines.append(f"[$foreground-muted]{header}[/]")
    for stats in view.habits:
        name = stats.habit.name if len(stats.habit.name) <= NAME_WIDTH else stats.habit.name[: NAME_WIDTH - 1] + "…"
        current = stats.streaks.current.length if stats.streaks.current else 0
        best = stats.streaks.best.length if stats.streaks.best else 0
        done = f"{stats.period_done}/{stats.period_due}"
        lines.append(
            f"{literal(name):<{NAME_WIDTH}}  {charts.bar(stats.strength, bar_width)} {stats.strength * 100:>3.0f}% "
            f"{stats.strength_change * 100:>+6.0f}  {current:>3}d/{best:>3}d  {done:>7}"
        )
    rates = [day.rate for day in view.completion.days]
    squeezed = charts.squeeze(rates, width - 2)
    lines += [
        "",
        f"[b]Daily completion[/b]  average {charts.percent(view.completion.average)}",
        charts.spark(squeezed, 0.0, 1.0),
    ]
    mood = view.mood
    moods = charts.squeeze([day.mood_trend for day in mood.days], width - 2)
    lines += [
        "",
        f"[b]Mood[/b]  average {_avg(mood.mood_average)}, last 7 days {_avg(mood.last_week_mood)}, "
        f"period before {_avg(mood.previous_mood)}; energy {_avg(mood.energy_average)}, "
        f"sentiment {_signed(mood.sentiment_average)}",
        charts.spark(moods, 1.0, 5.0) + "  [$foreground-muted](7-day mean, 1-5)[/]",
    ]
    related = [item for item in mood.correlations if item.difference is not None]
    if related:
        lines += ["", "[b]Habits and mood[/b]  [$foreground-muted](mean mood on days done vs other days)[/]"]
        for item in sorted(related, key=lambda item: -(item.difference or 0.0)):
            name = item.habit.name if len(item.habit.name) <= NAME_WIDTH else item.habit.name[: NAME_WIDTH - 1] + "…"
            caution = f"  [$foreground-muted]({literal(item.caution)})[/]" if item.caution else ""
            lines.append(
                f"{literal(name):<{NAME_WIDTH}}  {_avg(item.mood_done)} vs {_avg(item.mood_other)}  "
                f"({item.difference:+.1f}){caution}"
            )
    usage = view.engagement
    lines += [
        "",
        f"[b]Engagement[/b]  active {usage.active_days} of {len(usage.days)} days, "
        f"check-in streak {usage.checkin_streak}d (best {usage.checkin_best}d), {usage.logs} habit logs, "
        f"{usage.user_messages} chat messages",
    ]
    if view.insights:
        lines += ["", "[b]Insights[/b]"]
        lines += [f"• {literal(item.text)}" for item in view.insights]
    lines.append("")
    return lines


def _habit_lines(page: AnalyticsPage, width: int) -> list[str]:
    stats = page.stats
    assert stats is not None
    ref = stats.habit
    lines = [
        f"[b]{literal(ref.name)}[/b] [$foreground-muted]#{ref.id} · {ref.schedule.describe()}[/], "
        f"{stats.period.label} ({_span(stats.start, stats.as_of)}){_as_of_note(page)}",
        "",
        f"Strength   {charts.bar(stats.strength, 20)} {stats.strength * 100:.0f}% "
        f"({stats.strength_change * 100:+.0f} points in the period)",
        "           " + charts.spark(charts.squeeze([p.strength for p in stats.days], width - 13), 0.0, 1.0),
    ]
    current, best = stats.streaks.current, stats.streaks.best
    streak = f"{current.length}d since {current.start:%d %b}" if current else "none running"
    if best:
        streak += f"; best {best.length}d ({best.start:%d %b} – {best.end:%d %b %Y})"
    lines.append(f"Streak     {streak}")
    rates = "  ".join(f"{key} {charts.percent(value)}" for key, value in stats.completion.items())
    lines.append(f"Completion {rates}")
    lines.append(
        f"Totals     {stats.done} done, {stats.skipped} skipped; in the period {stats.period_done} of "
        f"{stats.period_due} due days"
    )
    measure = stats.measure
    if measure is not None:
        unit = literal(ref.unit or "")
        lines.append(
            f"Amounts    {charts.number(measure.total)} {unit} in all, {charts.number(_round(measure.average_daily))}"
            f" a day; on target {measure.on_target} of {measure.due_days} days; highest "
            f"{charts.number(measure.highest)}, lowest {charts.number(measure.lowest)}"
        )
    lines += ["", "[b]By weekday[/b]"]
    for stat in stats.weekdays:
        name = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[stat.weekday]
        lines.append(f"{name}  {charts.bar(stat.rate, 20)} {charts.percent(stat.rate):>4}  ({stat.done}/{stat.due})")
    lines.append("")
    return lines


def _avg(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
