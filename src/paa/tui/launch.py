"""Opening the TUI from the command line, without Typer: whether a person is at a terminal, and the launch."""

from __future__ import annotations

import os
import sys


def interactive() -> bool:
    """Whether a person is at a terminal (stdin and stdout both TTYs): then bare `paa` opens the TUI."""
    return sys.stdin is not None and sys.stdout is not None and sys.stdin.isatty() and sys.stdout.isatty()


def launch(*, exit_when_ready: bool = False) -> int:
    """Run the TUI until the person quits; the dashboard is being read (in a child process) while Textual loads."""
    from paa.tui.store import start_preload

    preload = start_preload(os.environ)
    from paa.tui.app import main

    return main(exit_when_ready=exit_when_ready, preload=preload)
