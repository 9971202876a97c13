"""The bar at the top of every screen: the five screens (click one, or press its number) and the day."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

TABS = (
    ("dashboard", "Home"),
    ("chat", "Chat"),
    ("habits", "Habits"),
    ("checkin", "Check-in"),
    ("analytics", "Analytics"),
)


def tabs_markup(current: str) -> str:
    parts = ["[b]paa[/b] "]
    for number, (mode, title) in enumerate(TABS, start=1):
        if mode == current:
            parts.append(f"[reverse][b] {number} {title} [/b][/reverse]")
        else:
            parts.append(f"[@click=app.go('{mode}')] [$accent]{number}[/] {title} [/]")
    return "".join(parts)


class NavBar(Horizontal):
    """Tabs on the left, a short status (the day) on the right."""

    DEFAULT_CSS = """
    NavBar { height: 1; background: $panel; }
    NavBar > #nav-tabs { width: 1fr; padding: 0 1; }
    NavBar > #nav-note { width: auto; padding: 0 1; color: $foreground-muted; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield Static(tabs_markup(self.current), id="nav-tabs")
        yield Static("", id="nav-note")

    def set_note(self, text: str) -> None:
        self.query_one("#nav-note", Static).update(text)
