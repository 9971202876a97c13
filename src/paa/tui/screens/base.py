"""What every screen shares: the nav bar, and reloading its data when the database changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

if TYPE_CHECKING:
    from paa.tui.app import PaaApp


class PaaScreen(Screen[Any]):
    """A screen showing data: `load()` starts a worker that reads it; `reload()` runs it when the data is stale."""

    loaded_generation = -1  # the app's change count when this screen last loaded

    @property
    def paa(self) -> PaaApp:
        return self.app  # type: ignore[return-value]

    def on_screen_resume(self) -> None:
        if self.paa.generation > 0 and self.loaded_generation != self.paa.generation:
            self.reload()

    def data_changed(self) -> None:
        """The database changed while this screen is visible (the app has counted the change already)."""
        if self.loaded_generation != self.paa.generation:
            self.reload()

    def reload(self) -> None:
        self.loaded_generation = self.paa.generation
        self.load()

    def load(self) -> object:
        """Start the worker that reads this screen's data (screens override this with a worker)."""
        return None
