"""The help screen: every key, screen by screen; each screen's keys are read from its bindings, so they stay current."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = "[b]paa[/b]: habits, check-ins, analytics and chat, with the keyboard alone or with the mouse."
EVERYWHERE: tuple[tuple[str, str], ...] = (
    ("1-5", "Home, Chat, Habits, Check-in, Analytics (or click the tabs at the top)"),
    ("ctrl+p", 'command palette: every action, "Log <habit>", themes (your choice is kept)'),
    ("? / f1", "this help"),
    ("q", "quit"),
    ("tab", "next field; in a text field keys type, so press esc or tab to leave it first"),
)
OUTRO = """\
The screens refresh by themselves when anything changes the database: another terminal, the reminder daemon,
or the assistant. Press [$accent]esc[/] to close this help."""

# Title, the screen's class ("module:Class" under paa.tui.screens), and what the keys do not say.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("Home", "dashboard:DashboardScreen", ""),
    ("Chat", "chat:ChatScreen",
     "[$accent]enter[/] sends; a line starting with [$accent]/[/] is a command ([$accent]/help[/] lists them). "
     "A destructive request (delete, forget) asks first in a dialog: [$accent]y[/] yes, [$accent]n[/] no."),
    ("Habits", "habits:HabitsScreen", ""),
    ("A habit", "habit_detail:HabitDetailScreen", ""),
    ("The habit form", "habit_form:HabitFormScreen", ""),
    ("Check-in", "checkin:CheckinScreen",
     "Answer the prompts and pick a mood ([$accent]←/→[/] or [$accent]1[/]-[$accent]5[/] on the picker)."),
    ("Analytics", "analytics:AnalyticsScreen", ""),
)  # fmt: skip


@dataclass(frozen=True)
class Section:
    title: str
    keys: list[tuple[str, str]]  # (keys as shown, what they do), both plain text
    notes: str = ""  # markup


def screen_bindings(path: str) -> list[Binding]:
    module, _, name = path.partition(":")
    screen = getattr(importlib.import_module(f"paa.tui.screens.{module}"), name)
    return [binding for binding in screen.BINDINGS if isinstance(binding, Binding) and binding.description]


def keys_of(bindings: Iterable[Binding], display: Callable[[str], str]) -> list[tuple[str, str]]:
    """Each binding's keys as the key bar shows them, and what it does (its tooltip, else its description)."""
    return [
        (" / ".join(binding.key_display or display(key) for key in binding.key.split(",")),
         binding.tooltip or binding.description)
        for binding in bindings
    ]  # fmt: skip


def sections(display: Callable[[str], str]) -> list[Section]:
    found = [Section("Everywhere", list(EVERYWHERE))]
    found += [Section(title, keys_of(screen_bindings(path), display), notes) for title, path, notes in SECTIONS]
    return found


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]  # noqa: RUF012
    DEFAULT_CSS = """
    HelpScreen .help-title { margin-top: 1; text-style: bold; }
    HelpScreen .help-keys { grid-size: 2; grid-columns: 13 1fr; grid-rows: auto; height: auto; }
    HelpScreen .help-key { color: $accent; padding-left: 2; }
    HelpScreen .help-notes { padding-left: 2; }
    HelpScreen .help-outro { margin-top: 1; }
    """

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        def display(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        with VerticalScroll(id="help", classes="dialog"):
            yield Static(INTRO)
            for section in sections(display):
                yield Static(section.title, classes="help-title")
                with Grid(classes="help-keys"):
                    for keys, does in section.keys:
                        yield Static(Content(keys), classes="help-key")
                        yield Static(Content(does))
                if section.notes:
                    yield Static(section.notes, classes="help-notes")
            yield Static(OUTRO, classes="help-outro")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
