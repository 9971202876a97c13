"""The Textual app: five screens as modes, a database watcher for live refresh, and the command palette.

`create_app` builds it for `paa tui`, for `python -m paa.tui`, for the tests and for the screenshot script alike.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import get_current_worker

from paa.clock import Clock
from paa.tui.messages import HabitsKnown
from paa.tui.store import Preload, Store
from paa.tui.watch import POLL_SECONDS, Watcher

FIRST_PAINT_WAIT = 5.0  # seconds the database layer waits to load for the first frame, at most

SCREENS: dict[str, str] = {
    "dashboard": "Home",
    "chat": "Chat",
    "habits": "Habits",
    "checkin": "Check-in",
    "analytics": "Analytics",
}


class DataChanged(Message):
    """The database changed: seen by the watcher, or written by this app."""


def _dashboard() -> Screen[Any]:
    from paa.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


def _chat() -> Screen[Any]:
    from paa.tui.screens.chat import ChatScreen

    return ChatScreen()


def _habits() -> Screen[Any]:
    from paa.tui.screens.habits import HabitsScreen

    return HabitsScreen()


def _checkin() -> Screen[Any]:
    from paa.tui.screens.checkin import CheckinScreen

    return CheckinScreen()


def _analytics() -> Screen[Any]:
    from paa.tui.screens.analytics import AnalyticsScreen

    return AnalyticsScreen()


class PaaApp(App[None]):
    """paa in the terminal: what a person keeps open all day."""

    CSS_PATH = "paa.tcss"
    TITLE = "paa"
    DEFAULT_MODE = "dashboard"
    MODES = {  # noqa: RUF012  (Textual reads this class attribute)
        "dashboard": _dashboard,
        "chat": _chat,
        "habits": _habits,
        "checkin": _checkin,
        "analytics": _analytics,
    }
    BINDINGS = [  # noqa: RUF012
        Binding("1", "go('dashboard')", "Home", show=False),
        Binding("2", "go('chat')", "Chat", show=False),
        Binding("3", "go('habits')", "Habits", show=False),
        Binding("4", "go('checkin')", "Check-in", show=False),
        Binding("5", "go('analytics')", "Analytics", show=False),
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        store: Store,
        *,
        preload: Preload | None = None,
        poll_seconds: float = POLL_SECONDS,
        animations: bool = True,
        exit_when_ready: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self.preload = preload
        self.preloaded: Any = None  # the dashboard read by the preload, used once
        self.poll_seconds = poll_seconds
        self.exit_when_ready = exit_when_ready
        self.generation = 0  # counts database changes seen; a screen reloads when its copy is older
        self.watcher: Watcher | None = None
        self.habits: list[tuple[int, str]] = []
        self.ready_at: float | None = None  # monotonic time of the dashboard's first complete paint
        self._stop = threading.Event()
        self._painted = threading.Event()
        self.cancel_tokens: set[Any] = set()  # replies streaming now; cancelled when the app quits
        self.chat: Any = None  # the chat screen, once opened
        if not animations:
            self.animation_level = "none"
        self.saved_theme = _theme_setting(store.environ)
        if self.saved_theme in self.available_themes:
            self.theme = self.saved_theme

    def on_mount(self) -> None:
        self.watch_database()

    def watch_theme(self, theme: str) -> None:
        """Keep the person's choice (the palette's theme commands) for the next start, in config.toml."""
        if theme != self.saved_theme and self.is_running:  # not a theme given before the app started
            self.saved_theme = theme
            self.save_theme(theme)

    @work(thread=True, exclusive=True, group="theme", exit_on_error=False)
    def save_theme(self, theme: str) -> None:
        from paa.config import resolve_paths
        from paa.core.configuration import set_install_setting

        try:
            set_install_setting(resolve_paths(self.store.environ), "tui_theme", theme)
        except Exception as exc:
            from paa.errors import error_text

            self.call_from_thread(self.notify, error_text(exc), title="Cannot keep the theme", severity="warning")

    # ---- start and stop ---------------------------------------------------------------------------

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Quit: stop the watcher and any reply first, so no worker thread holds the process open."""
        self.stop_workers()
        super().exit(*args, **kwargs)

    def stop_workers(self) -> None:
        self._stop.set()
        self._painted.set()  # no longer worth waiting for
        for cancel in list(self.cancel_tokens):
            cancel.cancel()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_database(self) -> None:
        """Open the database, then poll for changes made elsewhere; each one becomes a DataChanged message."""
        worker = get_current_worker()
        try:
            preload, watcher = self.preload, None
            if preload is not None:
                while not preload.wait(0.1):  # a migration may take a while; quitting must not wait for it
                    if self._stop.is_set():
                        return
                if preload.error is not None:
                    raise preload.error
                watcher = preload.watcher
                self.preloaded, preload.dashboard = preload.dashboard, None
                self.preload = None
                if not preload.watches:  # read by another process, before any watcher of ours began
                    self.post_message(DataChanged())  # draw what it read (or read now, when it could not)
                    self._painted.wait(FIRST_PAINT_WAIT)  # let the first frame out before loading the database layer
                    if self._stop.is_set():
                        return
            watcher = watcher or self.store.watcher()
        except Exception as exc:  # the database cannot be opened: say so where the data would be
            from paa.errors import error_text

            self.call_from_thread(self.notify, error_text(exc), title="Cannot open the database", severity="error")
            return
        self.watcher = watcher
        self.post_message(DataChanged())  # the database is open (and watched): screens read anything they missed
        try:
            while not worker.is_cancelled and not self._stop.wait(self.poll_seconds):
                if watcher.changed():
                    self.post_message(DataChanged())
        finally:
            self.watcher = None
            watcher.close()

    def take_preloaded(self) -> Any:
        """The dashboard read before the app started, once; None when it is not (or no longer) there."""
        preload = self.preload
        if preload is not None and preload.wait(0) and preload.error is None:
            data, preload.dashboard = preload.dashboard, None
            return data
        data, self.preloaded = self.preloaded, None
        return data

    def finish(self) -> None:
        """After the app has stopped: keep the insight of the open conversation (by rules, no model call)."""
        if self.chat is not None:
            self.chat.finish()

    def wrote(self) -> None:
        """Called by a worker after this app committed a change: take it in and reload (thread-safe)."""
        watcher = self.watcher
        if watcher is not None:
            watcher.changed()  # our own commit: reload now rather than at the next poll as well
        self.post_message(DataChanged())

    def on_data_changed(self, _message: DataChanged) -> None:
        from textual.screen import ModalScreen

        from paa.tui.screens.base import PaaScreen

        self.generation += 1
        for screen in reversed(self.screen_stack):  # the visible ones: the top screen and any under dialogs
            if isinstance(screen, PaaScreen):
                screen.data_changed()
            if not isinstance(screen, ModalScreen):
                break  # the rest are hidden; they reload when they are shown again

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Without animations (tests, screenshots) a text cursor does not blink, so every picture is the same."""
        from textual.widgets import Input

        if self.animation_level == "none" and isinstance(event.widget, Input):
            event.widget.cursor_blink = False

    def on_habits_known(self, message: HabitsKnown) -> None:
        self.habits = message.habits

    def dashboard_painted(self) -> None:
        """The dashboard has been drawn with real data for the first time (its frame is on the terminal)."""
        if self.ready_at is None:
            self.ready_at = time.monotonic()
            self._painted.set()
            if self.saved_theme not in self.available_themes:
                # Said once there is something to see, and for long enough to read: posted as the app mounted, it
                # could expire before a slow first paint (seen under load).
                self.notify(
                    f"No theme called {self.saved_theme!r} (tui.theme); showing {self.theme}.",
                    severity="warning",
                    timeout=15,
                )
            if self.exit_when_ready:
                self.exit()

    # ---- actions ----------------------------------------------------------------------------------

    def action_go(self, mode: str) -> None:
        if mode in SCREENS and mode != self.current_mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        from paa.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def run_on_screen(self, mode: str, action: str) -> None:
        """Switch to a screen and run one of its actions once it is there (for the command palette)."""
        if mode != self.current_mode:
            self.switch_mode(mode)
        self.call_after_refresh(lambda: self.screen.call_after_refresh(self.screen.run_action, action))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title in SCREENS.items():
            yield SystemCommand(f"Go to {title}", f"Open the {title.lower()} screen", _bind(self.action_go, mode))
        yield from _screen_commands(screen)
        yield SystemCommand("Help: keys and screens", "Show every key binding", self.action_help)
        yield SystemCommand(
            "Toggle light/dark theme", "Switch between the light and dark theme", self.action_toggle_dark
        )
        yield SystemCommand(
            "Habits: add a habit", "Open the form for a new habit", _bind(self.run_on_screen, "habits", "new")
        )
        yield SystemCommand(
            "Chat: new conversation", "Start a new conversation", _bind(self.run_on_screen, "chat", "new")
        )
        yield SystemCommand(
            "Chat: search conversations", "Find past conversations", _bind(self.run_on_screen, "chat", "search")
        )
        yield SystemCommand("Check in now", "Answer today's check-in", _bind(self.action_go, "checkin"))
        yield SystemCommand(
            "Check in for another day", "Show, fill in or change a past day's check-in",
            _bind(self.run_on_screen, "checkin", "choose_day"),
        )  # fmt: skip
        for period in ("7d", "30d", "90d", "365d", "all"):
            yield SystemCommand(
                f"Analytics: period {period}", f"Show analytics over {period}",
                _bind(self.run_on_screen, "analytics", f"period('{period}')"),
            )  # fmt: skip
        for habit_id, name in self.habits:
            yield SystemCommand(f"Log {name}", f"Mark {name} done today (or enter an amount)",
                                _bind(self.log_from_palette, habit_id, "done"))  # fmt: skip
            yield SystemCommand(f"Skip {name}", f"Skip {name} today", _bind(self.log_from_palette, habit_id, "skip"))
            yield SystemCommand(f"Undo today's {name}", f"Remove today's entry of {name}",
                                _bind(self.log_from_palette, habit_id, "undo"))  # fmt: skip
            yield SystemCommand(f"Open {name}", f"Show {name}'s calendar, history and figures",
                                _bind(self.open_habit, habit_id))  # fmt: skip
            yield SystemCommand(f"Edit {name}", f"Change {name}'s name, target, schedule or reminders",
                                _bind(self.edit_habit, habit_id))  # fmt: skip

    def log_from_palette(self, habit_id: int, what: str) -> None:
        from paa.tui.screens.dashboard import DashboardScreen

        def act() -> None:
            screen = self.screen
            if isinstance(screen, DashboardScreen):
                screen.act_on(habit_id, what)

        if self.current_mode != "dashboard":
            self.switch_mode("dashboard")
        self.call_after_refresh(act)

    def edit_habit(self, habit_id: int) -> None:
        from paa.tui.screens.habit_form import HabitFormScreen

        self.push_screen(HabitFormScreen(habit_id))

    def refresh_data(self) -> None:
        self.post_message(DataChanged())

    def open_habit(self, habit_id: int) -> None:
        from paa.tui.screens.habit_detail import HabitDetailScreen

        self.push_screen(HabitDetailScreen(habit_id))


def _screen_commands(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """Every key of the screen shown, as a palette entry too: "Check-in: the day before (key [)"."""
    from paa.tui.screens.help import SECTIONS

    titles = {path.partition(":")[2]: title for title, path, _ in SECTIONS}
    title = titles.get(type(screen).__name__)
    if title is None:
        return
    for binding in screen.BINDINGS:
        if isinstance(binding, Binding) and binding.description and binding.tooltip and binding.key != "escape":
            keys = " or ".join(screen.app.get_key_display(Binding(key, "")) for key in binding.key.split(","))
            run = _bind(screen.call_after_refresh, screen.run_action, binding.action)
            yield SystemCommand(f"{title}: {binding.tooltip}", f"{binding.description} (key {keys})", run)


def _theme_setting(environ: Mapping[str, str]) -> str:
    """The `tui.theme` setting, read without the settings model (which would delay the first paint)."""
    from paa.config_sources import DEFAULT_THEME, raw_setting

    value = raw_setting("tui.theme", "tui_theme", environ)
    return str(value).strip().lower() if value else DEFAULT_THEME


def _bind(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: function(*args)


def create_app(
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    *,
    preload: Preload | None = None,
    poll_seconds: float = POLL_SECONDS,
    animations: bool = True,
    exit_when_ready: bool = False,
) -> PaaApp:
    """Build the app on the database that `environ` (default: the process environment) points at.

    The database is opened and the dashboard read in a thread at once (or by `preload`, started earlier still).
    """
    if preload is None:
        preload = Preload(Store(os.environ if environ is None else environ, clock)).start()
    return PaaApp(
        preload.store, preload=preload, poll_seconds=poll_seconds, animations=animations,
        exit_when_ready=exit_when_ready,
    )  # fmt: skip


def main(exit_when_ready: bool = False, preload: Preload | None = None) -> int:
    """Run the TUI in this terminal until the person quits."""
    app = create_app(preload=preload, exit_when_ready=exit_when_ready)
    try:
        app.run()
    finally:
        app.stop_workers()
        app.finish()
        app.store.close()
    return int(app.return_code or 0)
