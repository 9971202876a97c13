"""Running paa, or Python, in a child process the way the end-to-end tests do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.clock import FIXED_NOW


def paa_executable() -> str:
    """The installed `paa` script next to this interpreter (the test is skipped when there is none)."""
    candidate = Path(sys.executable).with_name("paa")
    if not candidate.exists():
        pytest.skip("the paa executable is not installed next to this Python")
    return str(candidate)


def exec_on_a_terminal(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """In a `pty.fork()` child: become `argv` as a shell starts a command typed at its prompt, with Ctrl-C, Ctrl-\\
    and hang-up at their defaults. A test runner started in the background (`cmd &` in a script, `nohup`) has them
    ignored, every process it starts inherits that, and Python keeps an ignored SIGINT ignored: Ctrl-C on the
    terminal would do nothing (seen as paa waiting at its prompt until the test's deadline)."""
    try:
        for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        os.execve(argv[0], list(argv), dict(env))
    finally:
        os._exit(127)


def child_env(extra: Mapping[str, str] | None = None, *, fixed_clock: bool = True) -> dict[str, str]:
    """The test's environment for a child process: its PAA_HOME, the fixed clock, and no bytecode written into src/."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if fixed_clock:
        env["PAA_NOW"] = FIXED_NOW.isoformat()
    return {**env, **(extra or {})}


def parse_importtime(stderr: str) -> set[str]:
    """The top-level packages named in `python -X importtime` output, e.g. `sqlalchemy` for `sqlalchemy.orm`."""
    found = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        name = line.rsplit("|", 1)[-1].strip()
        if name and name != "imported package":
            found.add(name.split(".")[0])
    return found


def run_with_importtime(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the installed `paa` script under `python -X importtime`; return the run and the packages it imported."""
    command = [sys.executable, "-X", "importtime", paa_executable(), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=120)
    return done, parse_importtime(done.stderr)
