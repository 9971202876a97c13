"""`python -m paa.tui`: open the TUI without going through the Typer command line."""

from __future__ import annotations

from paa.tui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
