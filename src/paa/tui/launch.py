"""Opening the TUI from the command line, without Typer: whether a person is at a terminal, and the launch."""

from __future__ import annotations

import os
import sys


def interactive() -> bool:
    """Whether a person is at a terminal (stdin and stdout both TTYs): then bare `paa` opens the TUI."""
    return sys.stdin is not None and sys.stdout is not None and sys.stdin.isatty() and sys.stdout.isatty()


def launch(*, exit_when_ready: bool = False, user: str | None = None) -> int:
    """Run the TUI until the person quits (as `user`, from `paa --user`, when given); the dashboard is read early.

    The environment is read here, once: the TUI's runtime and its preloading child get it as an explicit mapping.
    """
    from paa.tui.store import start_preload

    preload = start_preload(os.environ, user=user)
    from paa.tui.app import main

    return main(exit_when_ready=exit_when_ready, preload=preload)
