"""The TUI's way to the database, and the early read that lets the first paint come sooner.

Nothing heavy is imported here at module level, so `paa tui` can start reading the database (in a child process)
before it imports Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paa.ai.providers.base import Provider
    from paa.ai.store import Contexts
    from paa.clock import Clock
    from paa.core.context import Context
    from paa.core.runtime import Runtime
    from paa.tui.watch import Watcher


class Store:
    """The app's runtime (opened on first use: one engine for the whole app), and short transactions on it."""

    def __init__(self, environ: Mapping[str, str], clock: Clock | None = None, *, user: str | None = None) -> None:
        self.environ = dict(environ)
        self.clock = clock
        self.user = user  # from `paa --user`; over PAA_USER
        self._runtime: Runtime | None = None
        self._provider: Provider | None = None
        self._lock = threading.Lock()

    @property
    def runtime(self) -> Runtime:
        """The app's runtime; the first call reads the settings, the next ones reuse it."""
        with self._lock:
            if self._runtime is None:
                from paa.core.runtime import Runtime

                self._runtime = Runtime.from_environ(self.environ, user=self.user, clock=self.clock)
            return self._runtime

    @property
    def contexts(self) -> Contexts:
        """The context factory of the app's runtime; its first use opens (and if needed migrates) the database."""
        return self.runtime.context

    def read(self) -> AbstractContextManager[Context]:
        return self.runtime.context()

    def write(self) -> AbstractContextManager[Context]:
        return self.runtime.context(write=True)

    def child_environ(self) -> dict[str, str]:
        """The environment of a child process that must act as this app does (the preload)."""
        return self.environ if self.user is None else {**self.environ, "PAA_USER": self.user}

    def database_file(self) -> Path | None:
        """The SQLite file, or None when paa is configured for another database."""
        from paa.core.storage import database_url

        runtime = self.runtime
        url = database_url(runtime.paths, runtime.loaded)
        return runtime.paths.database_file if url.startswith("sqlite") else None

    def watcher(self) -> Watcher:
        from paa.tui.watch import DataVersionWatcher, PeriodicWatcher

        path = self.database_file()
        return DataVersionWatcher(path) if path is not None else PeriodicWatcher()

    def provider(self) -> Provider:
        """Claude when an API key is set, else the offline rules: chosen once per app, as `paa chat` does."""
        with self._lock:
            if self._provider is not None:
                return self._provider
        from paa.ai import settings
        from paa.ai.providers.select import choose

        with self.read() as ctx:
            ai = settings.load(ctx)
        provider = choose(self.runtime.paths, ai, self.runtime.environ)
        with self._lock:
            self._provider = self._provider or provider
            return self._provider

    def close(self) -> None:
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()


class Preload:
    """Open the database, start watching it and read the dashboard, in a thread started before Textual loads.

    The watcher's baseline is taken before the dashboard is read, so no change made in between is missed.
    """

    watches = True  # whether `watcher` is set once the preload is done

    def __init__(self, store: Store) -> None:
        self.store = store
        self.watcher: Watcher | None = None
        self.dashboard: Any = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paa-tui-preload", daemon=True)

    def start(self) -> Preload:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.watcher = self.store.watcher()
            from paa.tui.data import load_dashboard

            with self.store.read() as ctx:
                self.dashboard = load_dashboard(ctx)
        except BaseException as exc:  # reported by the app, where a person can see it
            self.error = exc
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class ProcessPreload(Preload):
    """Read the dashboard in a child process (`python -P -m paa.tui.preload`), for `paa tui` on a terminal.

    Loading the database layer costs about as much as loading Textual; in a thread the two would take turns on one
    core, in a child process they run side by side. The app opens its own database connection and watcher after
    the first paint, then reads once more, so a change made between the child's read and that watcher still shows.
    When the child fails for any reason the dashboard is simply read in this process instead, where the error (a
    database that cannot be opened, say) is reported as usual. If the app quits first, the child finishes what it
    started (a migration, say) on its own: it is never killed halfway.
    """

    watches = False

    def _run(self) -> None:
        import pickle
        import subprocess
        import sys

        try:
            child = subprocess.Popen(
                # -P: not the current folder first on the path, so a stray `paa` there is never what runs.
                [sys.executable, "-P", "-m", "paa.tui.preload"], env=self.store.child_environ(),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            assert child.stdout is not None
            with child.stdout:
                payload = child.stdout.read()  # the child closes its end as soon as it has written
            if child.wait() == 0 and payload:
                self.dashboard = pickle.loads(payload)  # our own child's output: paa.tui.data's plain dataclasses
        except Exception:
            pass  # read in this process instead; see the class docstring
        finally:
            self._done.set()


class ForkedPreload(Preload):
    """Read the dashboard in a child forked from this process, where Textual and the database layer are loaded
    already (a warm server's worker): the child starts reading at once, on the other core, beside Textual's start.
    In a thread the two took turns (one interpreter lock): a year's dashboard took ~145 ms there, and the first
    paint waited for it. As with `ProcessPreload`, the app opens its own connection and watcher after the first
    paint and reads once more; when the child fails, the app reads the dashboard itself. Only from a process that
    runs no other thread (`start_preload` checks)."""

    watches = False

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._child: tuple[int, int] | None = None  # its pid and the end of the pipe it writes the dashboard to

    def start(self) -> Preload:
        import os

        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            self._done.set()  # nothing read: the app reads it
            return self
        if pid == 0:
            code = 1
            try:
                os.close(reading)
                code = self._read_into(writing)
            finally:
                os._exit(code)  # (nothing of the parent's to tear down or flush here)
        os.close(writing)
        self._child = (pid, reading)
        self._thread.start()
        return self

    def _read_into(self, pipe: int) -> int:
        """In the child: read the dashboard and write it, pickled, to `pipe`; 0 once written."""
        import pickle

        from paa.processes import let_go_of_files
        from paa.tui.data import load_dashboard

        let_go_of_files(keep=pipe)  # (the terminal is the app's; the warm client waits for no file of ours)
        with self.store.read() as ctx:
            dashboard = load_dashboard(ctx)
        with open(pipe, "wb") as out:
            out.write(pickle.dumps(dashboard, protocol=pickle.HIGHEST_PROTOCOL))
        return 0

    def _run(self) -> None:
        import os
        import pickle

        assert self._child is not None
        pid, reading = self._child
        try:
            with open(reading, "rb") as pipe:
                payload = pipe.read()
            _pid, status = os.waitpid(pid, 0)
            if status == 0 and payload:
                self.dashboard = pickle.loads(payload)  # our own child's: paa.tui.data's plain dataclasses
        except Exception:
            pass  # read in this process instead
        finally:
            self._done.set()


def start_preload(environ: Mapping[str, str], *, user: str | None = None) -> Preload:
    """Start reading the dashboard for `paa tui`: in a child process, so it runs beside Textual's loading. Where
    Textual and the database layer are loaded already (a warm server's worker) a new interpreter would load the
    database layer again, the slower of the two: there the child is forked, or, with other threads running (no fork
    is safe then), the dashboard is read in a thread."""
    import sys

    from paa.processes import threads_running

    store = Store(environ, user=user)
    loaded = "textual.app" in sys.modules and "paa.tui.data" in sys.modules and "sqlalchemy.orm" in sys.modules
    if not loaded:
        return ProcessPreload(store).start()
    return (ForkedPreload if threads_running() == 1 else Preload)(store).start()
