"""`python -m paa.tui`: open the TUI without the command line (no Typer), e.g. to time it against `paa tui`."""

from __future__ import annotations

import os
import sys


def run() -> int:
    from paa.tui.store import start_preload

    preload = start_preload(os.environ)  # reads while Textual loads
    from paa.tui.app import main

    return main(exit_when_ready="--exit-when-ready" in sys.argv[1:], preload=preload)


if __name__ == "__main__":
    raise SystemExit(run())
