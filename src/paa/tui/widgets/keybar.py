"""The bottom line of every screen: the keys that work here, each clickable, and the command palette's key.

A single widget that redraws one line when the bindings change (focus moves, a screen opens); Textual's Footer
builds a widget per key, which costs a good part of the first paint.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static

from paa.tui.markup import literal


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.show_keys()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.show_keys()

    def show_keys(self) -> None:
        seen: set[tuple[int, str]] = set()
        parts: list[str] = []
        palette = ""
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if key == self.app.COMMAND_PALETTE_BINDING and self.app.ENABLE_COMMAND_PALETTE:
                palette = self._key(key, self.app.get_key_display(binding), "palette", active.enabled)
                continue
            if not binding.show or (id(active.node), binding.action) in seen:
                continue
            seen.add((id(active.node), binding.action))
            parts.append(self._key(key, self.app.get_key_display(binding), binding.description, active.enabled))
        line = "  ".join(parts)
        self.update(f"{line}  {palette}" if palette else line)

    @staticmethod
    def _key(key: str, display: str, description: str, enabled: bool) -> str:
        style = "$accent" if enabled else "$foreground-muted"
        return f"[@click=app.simulate_key({key!r})][b {style}]{literal(display)}[/] {literal(description)}[/]"
