"""A one-shot `paa` ends with `os._exit` after doing by hand what an exit must do (paa.cli.main.finish): its
output, exit codes, atexit handlers, threads and database files are what a normal interpreter exit leaves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paa.core.habits.manage import HabitFields, add_habit
from tests.support.processes import child_env, paa_executable

pytestmark = pytest.mark.e2e

COLD = {"PAA_NO_SERVER": "1", "NO_COLOR": "1", "COLUMNS": "100"}


def _paa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([paa_executable(), *args], capture_output=True, text=True, env=child_env(COLD), timeout=120)


def test_every_line_of_a_long_list_reaches_a_pipe_and_the_database_is_left_whole(make_ctx, paa_home: Path) -> None:
    with make_ctx(write=True) as ctx:
        for number in range(300):
            add_habit(ctx, HabitFields(name=f"Habit {number:03d}"))
    logged = _paa("habit", "log", "Habit 007")
    assert (logged.returncode, logged.stderr) == (0, "")
    done = _paa("habit", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 301 and lines[-1].split()[:3] == ["300", "Habit", "299"]
    assert done.stdout.endswith("\n")
    # The command closed its database before the exit: SQLite checkpointed and removed its write-ahead log.
    assert not (paa_home / "paa.db-wal").exists()
    shown = _paa("habit", "show", "Habit 007", "--json")
    assert shown.returncode == 0 and '"total_done": 1' in shown.stdout


def test_a_failing_command_keeps_its_exit_code_and_its_error_line(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water"))
    done = _paa("habit", "log", "nothing-like-it")
    assert done.returncode == 4  # not found
    assert done.stderr.startswith("paa: error: no habit matches 'nothing-like-it'")
    usage = _paa("habit", "log")
    assert usage.returncode == 2 and usage.stdout == ""


FINISH = """
import atexit, sys, threading, time
from pathlib import Path
from paa.cli.main import finish

out = Path(sys.argv[1])
def later():
    time.sleep(0.3)
    out.with_suffix(".thread").write_text("thread done")
threading.Thread(target=later).start()  # not a daemon: an exit waits for it
atexit.register(lambda: out.write_text("atexit ran after " + out.with_suffix(".thread").read_text()))
sys.stdout.write("buffered, never flushed by hand")
finish(7)
"""


def test_finish_waits_for_threads_runs_atexit_and_flushes(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    done = subprocess.run(
        [sys.executable, "-c", FINISH, str(marker)], capture_output=True, text=True, env=child_env(), timeout=60
    )
    assert done.returncode == 7, done.stderr
    assert done.stdout == "buffered, never flushed by hand"
    assert marker.read_text() == "atexit ran after thread done"


COLLECTOR = """
import atexit, gc, sys
from paa.cli.main import run

atexit.register(lambda: sys.stderr.write(f"collector enabled: {gc.isenabled()}\\n"))
run(sys.argv[1:])
"""


@pytest.mark.parametrize(("args", "enabled"), [(("habit", "list"), False), (("config", "path"), True)])
def test_only_one_shot_everyday_commands_run_without_the_cycle_collector(args: tuple[str, ...], enabled: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR, *args], capture_output=True, text=True, env=child_env(COLD), timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f"collector enabled: {enabled}" in done.stderr


def test_a_profiler_running_paa_still_writes_its_results(tmp_path: Path) -> None:
    # cProfile (like coverage) writes after the script returns, which a fast exit would never let it do.
    results = tmp_path / "paa.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(results), paa_executable(), "habit", "list"]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(COLD), timeout=120)
    assert done.returncode == 0, done.stderr
    assert results.stat().st_size > 0


def test_a_reader_that_went_away_ends_the_command_quietly_and_well(make_ctx) -> None:
    """`paa habit list | head -1`: the reader leaves before paa has written all; paa stops, says nothing, exits 0.

    The pipe's reading end is closed before paa starts, so its first write fails (EPIPE) every time, where `head`
    would make that a race (seen as a silent exit 1 about half the time: Typer's own handling of EPIPE)."""
    import os

    with make_ctx(write=True) as ctx:
        for number in range(50):
            add_habit(ctx, HabitFields(name=f"Habit {number:03d}"))
    env = child_env(COLD)
    for _ in range(3):
        reading, writing = os.pipe()
        os.close(reading)
        try:
            done = subprocess.run([paa_executable(), "habit", "list"], stdout=writing, stderr=subprocess.PIPE,
                                  text=True, env=env, timeout=120)  # fmt: skip
        finally:
            os.close(writing)
        assert (done.returncode, done.stderr) == (0, "")


# Ctrl-C as it lands in the first of paa's own imports that a command makes, before `main` can report it.
INTERRUPTED = """
import sys
from paa.cli.main import run

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "paa.cli.output":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
run(sys.argv[1:])
"""


@pytest.mark.parametrize("args", [("habit", "list"), ("memory", "search", "water")])
def test_ctrl_c_during_start_up_ends_quietly_with_the_aborted_code(args: tuple[str, ...]) -> None:
    from paa.errors import ExitCode

    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED, *args], capture_output=True, text=True, env=child_env(COLD), timeout=120
    )
    assert done.returncode == ExitCode.ABORTED
    assert done.stderr == "" and done.stdout == ""  # no traceback
