"""`python -m paa.tui`: open the TUI without the command line, e.g. to time it against `paa tui`."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from paa.tui.launch import launch

    raise SystemExit(launch(exit_when_ready="--exit-when-ready" in sys.argv[1:]))
