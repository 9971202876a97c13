"""A worker process for the concurrency and crash tests: writes through paa's core, one transaction per step.

Run as a script with the environment (PAA_HOME, PAA_NOW, ...) of the test that starts it:

    python storage_worker.py log water,water2 75     # 75 transactions, each logging 1 to both habits
    python storage_worker.py log water 0             # log until killed
    python storage_worker.py add Reading             # add one habit (used on a brand-new database)

It prints `ready` once imports are done and then waits for a line on stdin, so the test can start every
worker at the same instant. Each transaction prints `writing N` before its commit and `saved N` after it.
"""

from __future__ import annotations

import itertools
import os
import sys

from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit, resolve_habit
from paa.core.runtime import Runtime


def wait_for_start() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def log_loop(habit_names: list[str], count: int) -> None:
    """Log 1 to each habit in one transaction per step; count 0 means until the process is killed.

    Prints `writing N` once step N's rows are written but not yet committed, and `saved N` after the commit.
    """
    steps = itertools.count(1) if count == 0 else range(1, count + 1)
    for step in steps:
        with Runtime.from_environ(os.environ) as runtime, runtime.context(write=True) as ctx:
            for name in habit_names:
                log_habit(ctx, resolve_habit(ctx, name), ctx.today(), value=1)
            print(f"writing {step}", flush=True)
        # The context has committed: only now is this step reported as saved.
        print(f"saved {step}", flush=True)


def add_one(name: str) -> None:
    with Runtime.from_environ(os.environ) as runtime, runtime.context(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name=name, unit="pages", target=10))
    print(habit.id, flush=True)


def main(argv: list[str]) -> int:
    command, *args = argv
    wait_for_start()
    if command == "log":
        log_loop(args[0].split(","), int(args[1]))
    elif command == "add":
        add_one(args[0])
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
