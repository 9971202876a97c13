"""Analytics: the `paa analytics` views, for a period and for all habits or one, with a year's heatmap."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.markup import escape
from textual.message import Message
from textual.widgets import Select, Static
from textual.worker import get_current_worker

from paa.tui.data import PERIODS, AnalyticsPage, load_analytics
from paa.tui.screens.base import PaaScreen
from paa.tui.widgets import charts
from paa.tui.widgets.keybar import KeyBar
from paa.tui.widgets.nav import NavBar

ALL = "all-habits"
NAME_WIDTH = 16


class AnalyticsScreen(PaaScreen):
    BINDINGS = [  # noqa: RUF012
        Binding("p", "next_period", "Period"),
        Binding("h", "next_habit", "Habit"),
    ]

    class Loaded(Message):
        def __init__(self, page: AnalyticsPage | None, error: str = "") -> None:
            super().__init__()
            self.page = page
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.page: AnalyticsPage | None = None
        self.period = "30d"
        self.habit_id: int | None = None

    def compose(self) -> ComposeResult:
        yield NavBar("analytics")
        with Horizontal(id="analytics-controls"):
            yield Select([(p, p) for p in PERIODS], value=self.period, allow_blank=False, id="period", compact=True)
            yield Select([("All habits", ALL)], value=ALL, allow_blank=False, id="habit", compact=True)
        with VerticalScroll(id="analytics-body"):
            yield Static("Loading…", id="analytics-main")
            yield Static("", id="analytics-heat")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#analytics-body").focus()

    @work(thread=True, exclusive=True, group="analytics-load", exit_on_error=False)
    def load(self) -> None:
        period, habit_id = self.period, self.habit_id
        try:
            with self.paa.store.read() as ctx:
                page = load_analytics(ctx, period, habit_id)
        except Exception as exc:
            self.post_message(self.Loaded(None, str(exc)[:200]))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(page))

    def on_analytics_screen_loaded(self, message: Loaded) -> None:
        if message.page is None:
            self.query_one("#analytics-main", Static).update(f"[$error]{escape(message.error)}[/]")
            return
        self.page = message.page
        habit_select = self.query_one("#habit", Select)
        options = [("All habits", ALL), *((h.name, str(h.id)) for h in message.page.habits)]
        with habit_select.prevent(Select.Changed):
            habit_select.set_options(options)
            habit_select.value = ALL if self.habit_id is None else str(self.habit_id)
        self.render_page()

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


def _overview_lines(page: AnalyticsPage, width: int) -> list[str]:
    view = page.overview
    assert view is not None
    lines = [f"[b]All habits[/b], {view.period.label} ({_span(view.start, view.as_of)})", ""]
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
            f"{escape(name):<{NAME_WIDTH}}  {charts.bar(stats.strength, bar_width)} {stats.strength * 100:>3.0f}% "
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
            caution = f"  [$foreground-muted]({escape(item.caution)})[/]" if item.caution else ""
            lines.append(
                f"{escape(name):<{NAME_WIDTH}}  {_avg(item.mood_done)} vs {_avg(item.mood_other)}  "
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
        lines += [f"• {escape(item.text)}" for item in view.insights]
    lines.append("")
    return lines


def _habit_lines(page: AnalyticsPage, width: int) -> list[str]:
    stats = page.stats
    assert stats is not None
    ref = stats.habit
    lines = [
        f"[b]{escape(ref.name)}[/b] [$foreground-muted]#{ref.id} · {ref.schedule.describe()}[/], "
        f"{stats.period.label} ({_span(stats.start, stats.as_of)})",
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
        unit = escape(ref.unit or "")
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
