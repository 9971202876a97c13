"""`python -m paa.tui.preload`: read the dashboard and write it, pickled, to stdout (see `store.ProcessPreload`).

Exits 1, writing nothing, when the database cannot be read: the app then reads it itself and reports why.
"""

from __future__ import annotations

import os
import pickle
import sys


def main() -> int:
    from paa.tui.data import load_dashboard
    from paa.tui.store import Store

    store = Store(os.environ)
    try:
        with store.read() as ctx:
            dashboard = load_dashboard(ctx)
    except Exception:
        store.close()
        return 1
    sys.stdout.buffer.write(pickle.dumps(dashboard, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.flush()
    os.close(sys.stdout.fileno())  # the app is waiting for the end of the data, not for this process to wind down
    store.close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # skip tearing down the database layer's modules: nothing is left to write
