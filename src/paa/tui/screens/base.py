"""What every screen shares: the nav bar, reloading its data when the database changes, and writing to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen

if TYPE_CHECKING:
    from paa.core.context import Context
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

    @work(thread=True, group="data-write", exit_on_error=False)
    def change_data(self, change: Callable[[Context], str], then: Callable[[], object] | None = None) -> None:
        """Run `change` in one write transaction off the event loop, then show what it says, and call `then`.

        A refusal (a PaaError) is a warning and anything else an error, each one line: never a traceback.
        """
        from paa.errors import PaaError, error_text

        try:
            with self.paa.store.write() as ctx:
                said = change(ctx)
        except PaaError as exc:
            self.app.call_from_thread(self.notify, error_text(exc), severity="warning")
            return
        except Exception as exc:  # the database busy elsewhere, say: nothing was changed
            self.app.call_from_thread(self.notify, error_text(exc), title="Not saved", severity="error")
            return
        self.paa.wrote()
        self.app.call_from_thread(self.notify, said)
        if then is not None:
            self.app.call_from_thread(then)
