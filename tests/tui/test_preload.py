"""`paa tui` reads its first dashboard in a child process: the same figures, no missed change, errors as usual."""

from __future__ import annotations

from pathlib import Path

import pytest

from paa.tui.store import ProcessPreload, Store
from tests.support.processes import child_env
from tests.support.tui import dashboard_row, drive, screen_text, wait_for
from tests.support.waiting import GIVE_UP_SECONDS


def _child_env(**changes: str) -> dict[str, str]:
    return child_env(changes)


@pytest.mark.e2e
def test_the_child_reads_the_same_dashboard_as_this_process(seeded, make_ctx) -> None:
    from paa.tui.data import load_dashboard

    preload = ProcessPreload(Store(_child_env())).start()
    assert preload.wait(GIVE_UP_SECONDS)
    with make_ctx() as ctx:
        expected = load_dashboard(ctx)
    assert preload.error is None and preload.watcher is None
    assert preload.dashboard == expected
    assert [row.name for row in preload.dashboard.habits][:2] == ["Drink water", "Run"]


@pytest.mark.e2e
def test_a_change_after_the_childs_read_still_reaches_the_dashboard(seeded, make_app, make_ctx, clock) -> None:
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit
    from tests.support.tui_dataset import TODAY

    preload = ProcessPreload(Store(_child_env(), clock)).start()
    assert preload.wait(GIVE_UP_SECONDS) and preload.dashboard is not None
    stale = {row.name: row.state for row in preload.dashboard.habits}
    assert stale["Stretch"] == "due"
    with make_ctx(write=True) as ctx:  # before the app (and its watcher) even exists
        log_habit(ctx, resolve_habit(ctx, "Stretch"), TODAY)
    app = make_app(preload=preload)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: app.ready_at, what="the first paint")
        await wait_for(
            pilot, lambda: dashboard_row(app, "Stretch")[0] == "●", what="the catch-up read after the watcher began"
        )

    drive(app, scenario)


@pytest.mark.e2e
def test_when_the_child_cannot_read_the_app_reports_why(tmp_path: Path, make_app) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("paa's home must be a folder\n")
    env = _child_env(PAA_HOME=str(not_a_folder))
    preload = ProcessPreload(Store(env)).start()
    assert preload.wait(GIVE_UP_SECONDS)
    assert preload.dashboard is None and preload.error is None  # no traceback from the child on this terminal
    app = make_app(preload=preload)

    async def scenario(pilot) -> None:
        await wait_for(pilot, lambda: "Cannot read the database" in screen_text(app), what="the reason on screen")

    drive(app, scenario)
    assert app.ready_at is None


@pytest.mark.e2e
def test_a_paa_in_the_current_folder_is_not_what_the_child_runs(seeded, tmp_path: Path, monkeypatch) -> None:
    stray = tmp_path / "elsewhere" / "paa"
    stray.mkdir(parents=True)
    (stray / "__init__.py").write_text("raise SystemExit('the wrong paa')\n")
    monkeypatch.chdir(stray.parent)
    preload = ProcessPreload(Store(_child_env())).start()
    assert preload.wait(GIVE_UP_SECONDS)
    assert preload.dashboard is not None


def test_quitting_does_not_wait_for_a_slow_first_read(seeded, make_app) -> None:
    import threading

    from paa.tui.store import Preload

    release = threading.Event()

    class Slow(Preload):  # a first read that takes long: a migration of a large database, say
        def _run(self) -> None:
            release.wait()
            self._done.set()

    give_up = threading.Timer(GIVE_UP_SECONDS, release.set)  # so a regression fails the test instead of hanging it
    give_up.start()
    preload = Slow(Store(_child_env())).start()
    app = make_app(preload=preload)

    async def scenario(pilot) -> None:
        await pilot.pause(0.3)
        await pilot.press("q")

    try:
        drive(app, scenario)
        assert not preload.wait(0), "the app waited for the first read to finish before it quit"
    finally:
        give_up.cancel()
        release.set()


@pytest.mark.e2e
def test_a_new_process_reads_in_a_child_and_a_warm_worker_in_a_forked_one(tmp_path: Path) -> None:
    """A cold `paa tui` loads Textual while a child loads the database layer; in a process that has both loaded (a
    warm server's worker) a new interpreter would only load them again, so a child is forked there, which starts
    reading at once; with another thread running (no fork is safe then) a thread reads the dashboard."""
    import subprocess
    import sys

    code = (
        "import os, sys, threading\n"
        "from paa.tui.store import start_preload\n"
        "if sys.argv[1] != 'cold':\n"
        "    import sqlalchemy.orm, textual.app, paa.tui.data\n"
        "if sys.argv[1] == 'threads':\n"
        "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "preload = start_preload({**os.environ, 'PAA_HOME': sys.argv[2]})\n"
        "preload.wait(60)\n"
        "print(type(preload).__name__)\n"
    )
    kinds = []
    for state in ("cold", "loaded", "threads"):
        done = subprocess.run([sys.executable, "-c", code, state, str(tmp_path / state)], capture_output=True,
                              text=True, env=child_env(), timeout=GIVE_UP_SECONDS)  # fmt: skip
        assert done.returncode == 0, done.stderr
        kinds.append(done.stdout.strip())
    assert kinds == ["ProcessPreload", "ForkedPreload", "Preload"]


# As a warm server's worker starts the TUI: Textual and the database layer loaded, one thread. It reports what the
# forked child read, and whether this process opened the database itself meanwhile.
FORKED = """
import os, pickle, sys
import sqlalchemy.orm, textual.app, paa.tui.data
from paa.tui.store import start_preload
preload = start_preload(dict(os.environ))
assert preload.wait(60)
opened = preload.store._runtime is not None
sys.stdout.buffer.write(pickle.dumps((type(preload).__name__, preload.dashboard, preload.error, opened)))
"""


def _forked(env: dict[str, str]) -> tuple[str, object, object, bool, str]:
    import pickle
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, env=env, timeout=GIVE_UP_SECONDS)
    assert done.returncode == 0, done.stderr.decode()
    return (*pickle.loads(done.stdout), done.stderr.decode())


@pytest.mark.e2e
def test_a_forked_child_reads_the_same_dashboard_as_this_process(seeded, make_ctx) -> None:
    from paa.tui.data import load_dashboard

    kind, dashboard, error, opened, stderr = _forked(_child_env())
    with make_ctx() as ctx:
        expected = load_dashboard(ctx)
    assert kind == "ForkedPreload" and error is None and stderr == ""
    assert dashboard == expected and not opened  # read by the child alone
    assert [row.name for row in expected.habits][:2] == ["Drink water", "Run"]


@pytest.mark.e2e
def test_when_a_forked_child_cannot_read_the_app_is_left_to_read(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("paa's home must be a folder\n")
    kind, dashboard, error, _opened, stderr = _forked(_child_env(PAA_HOME=str(not_a_folder)))
    assert kind == "ForkedPreload" and dashboard is None and error is None
    assert stderr == ""  # no traceback from the child on the terminal: the app says why, as it reads itself
