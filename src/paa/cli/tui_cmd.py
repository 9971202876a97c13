"""`paa tui`: the terminal dashboard, chat, habits, check-in and analytics in one live app."""

from __future__ import annotations

import typer


def tui(
    exit_when_ready: bool = typer.Option(
        False, "--exit-when-ready", hidden=True, help="Quit once the dashboard has painted (for benchmarks)."
    ),
) -> None:
    """Open the terminal dashboard: today's habits, check-in, analytics and chat, kept live."""
    from paa.tui import launch

    raise typer.Exit(launch.launch(exit_when_ready=exit_when_ready))
