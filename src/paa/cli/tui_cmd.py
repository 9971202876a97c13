"""`paa tui`: the terminal dashboard, chat, habits, check-in and analytics in one live app."""

from __future__ import annotations

import sys

import typer


def tui(
    exit_when_ready: bool = typer.Option(
        False, "--exit-when-ready", hidden=True, help="Quit once the dashboard has painted (for benchmarks)."
    ),
) -> None:
    """Open the terminal dashboard: today's habits, check-in, analytics and chat, kept live."""
    raise typer.Exit(launch(exit_when_ready=exit_when_ready))


def interactive() -> bool:
    """Whether a person is at a terminal (stdin and stdout both TTYs): then bare `paa` opens the TUI."""
    return sys.stdin is not None and sys.stdout is not None and sys.stdin.isatty() and sys.stdout.isatty()


def launch(*, exit_when_ready: bool = False) -> int:
    """Run the TUI until the person quits; Textual is imported only here, once the database is being read."""
    import os

    from paa.tui.store import start_preload

    preload = start_preload(os.environ)  # reads while Textual loads
    from paa.tui.app import main

    return main(exit_when_ready=exit_when_ready, preload=preload)
