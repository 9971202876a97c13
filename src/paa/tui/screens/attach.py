"""The chat's file picker (ctrl+o): a folder tree from the home folder; enter on a file picks it, esc closes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Static

TITLE = "Attach a file to your next message (images, PDFs, text) · enter picks · esc closes"


def start_folder(environ: Mapping[str, str]) -> Path:
    """The home folder of the environment paa runs in (not the test runner's, not a guess from the OS)."""
    for name in ("HOME", "USERPROFILE"):
        folder = environ.get(name)
        if folder and Path(folder).is_dir():
            return Path(folder)
    return Path.cwd()


class PlainTree(DirectoryTree):
    """The tree without hidden files and folders: dotfiles are rarely what a person attaches, and crowd the list."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")]


class AttachScreen(ModalScreen[Path | None]):
    """Pick one file; dismissed with its path, or None."""

    BINDINGS = [Binding("escape", "close", "Close")]  # noqa: RUF012

    def __init__(self, folder: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="attach-dialog"):
            yield Static(TITLE, classes="dialog-question", markup=False)
            yield PlainTree(self.folder, id="attach-tree")

    def on_mount(self) -> None:
        self.query_one("#attach-tree", PlainTree).focus()

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(event.path)

    def action_close(self) -> None:
        self.dismiss(None)
