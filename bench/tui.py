"""TUI start-up benchmark: from launching `paa tui` to the dashboard's first complete paint, on a year of data.

    python bench/tui.py [--runs 9] [--days 365] [--json] [--warm]

It builds a database with a year of the TUI's fixed dataset (tests/support/tui_dataset.py: seven habits, daily logs,
check-ins, a conversation) in a temporary PAA_HOME, then runs the installed `paa tui --exit-when-ready` on a
pseudo-terminal of 80x24, `--runs` times, interleaved with the floor `python -c "import textual, sqlmodel"`. The
time of a run is from the spawn to the moment the terminal receives the frame that shows the habits (the app then
quits by itself); the ratio is its median over the floor's median (target <= 1.5). CPU time (user + system of the
child) is printed too: it moves far less when other programs compete for the processor. Bytecode is cached (in a
private folder, after a warm-up round) for both sides, as it is for an installed paa. POSIX only.

`--warm` also runs both through a warm server started for the run (`paa warm start`, in a private runtime folder,
stopped at the end): the TUI's first paint against a warm `paa habit list` in the same rounds (issue 20's goal:
<= 1.2). The server's count of connections is checked at the end, so no cold run hides in a warm figure.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
WARM_GOAL = 1.2  # the warm TUI's first paint against a warm `paa habit list`
FIXED_NOW = "2026-11-26T12:00:00+00:00"
PAINTED = b"Drink water"  # only the frame with the habits holds a habit's name
TIMEOUT = 120.0


@dataclass
class Sample:
    wall: float  # seconds to the first complete paint (or to the exit, for the floor)
    cpu: float | None


def paa_executable() -> Path:
    path = Path(sys.executable).with_name("paa")
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    """No PAA_* settings, a temporary PAA_HOME, and bytecode cached in a private folder as an install would have."""
    skip = ("PAA_", "ANTHROPIC_", "PYTHONDONTWRITEBYTECODE")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skip)}
    env.update(
        PYTHONPYCACHEPREFIX=str(home / "pycache"),
        PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, PAA_KEYRING="off",
        TERM="xterm-256color", COLUMNS="80", LINES="24",
    )  # fmt: skip
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def build(home: Path, days: int) -> dict[str, int]:
    """The dataset in `home`/paa-home, built in a child process so this one stays free of paa's modules."""
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from tests.support.tui_dataset import build; "
        "print(json.dumps(dict(build(Path(sys.argv[2]), days=int(sys.argv[3])))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(home / "paa-home"), str(days)],
        capture_output=True, text=True, env=isolated_env(home), check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"building the dataset failed:\n{done.stderr}")
    return json.loads(done.stdout)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_floor(python: str, env: dict[str, str]) -> Sample:
    before = _children_cpu()
    start = time.perf_counter()
    subprocess.run([python, "-c", "import textual, sqlmodel"], env=env, check=True)
    return Sample(time.perf_counter() - start, _children_cpu() - before)


def timed_paint(command: list[str], env: dict[str, str]) -> Sample:
    """Run the TUI on a pseudo-terminal; time the arrival of the painted dashboard; wait for it to quit."""
    import fcntl
    import pty
    import struct
    import termios

    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    before = _children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, close_fds=True)
    os.close(child_fd)
    output = b""
    painted: float | None = None
    try:
        while time.perf_counter() - start < TIMEOUT:
            ready, _, _ = select.select([main_fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(main_fd, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                if painted is None and PAINTED in output:
                    painted = time.perf_counter() - start
            elif process.poll() is not None:
                break
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main_fd)
    if code != 0 or painted is None:
        tail = output[-2000:].decode("utf-8", "replace")
        raise SystemExit(f"{' '.join(command)} failed (exit {code}, painted: {painted is not None}):\n{tail}")
    return Sample(painted, _children_cpu() - before)


def timed_run(command: list[str], env: dict[str, str]) -> Sample:
    before = _children_cpu()
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return Sample(time.perf_counter() - start, _children_cpu() - before)


def warm_served(paa: str, env: dict[str, str]) -> int:
    """How many connections the warm server of `env` has served (its own status request not counted)."""
    shown = subprocess.run([paa, "warm", "status"], env={**env, "PAA_NO_SERVER": "1"}, capture_output=True, text=True)
    words = shown.stdout.split()
    return int(words[words.index("connection(s)") - 1]) if "connection(s)" in words else -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each (default 9)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--days", type=int, default=365, help="days of data (default 365)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--warm", action="store_true", help="also through a warm server (goal: <= 1.2 of habit list)")
    args = parser.parse_args(argv)
    if sys.platform == "win32":
        raise SystemExit("bench/tui.py needs a POSIX pseudo-terminal")

    python, paa = sys.executable, str(paa_executable())
    with tempfile.TemporaryDirectory(prefix="paa-bench-tui-") as temp:
        home = Path(temp)
        counts = build(home, args.days)
        env = isolated_env(home)
        warm_env = {key: value for key, value in env.items() if key != "PAA_NO_SERVER"}
        runtime = Path(tempfile.mkdtemp(prefix="paa-bench-tui-run-", dir="/tmp"))  # short: a socket path's limit
        runtime.chmod(0o700)
        warm_env["XDG_RUNTIME_DIR"] = str(runtime)
        floor: list[Sample] = []
        tui: list[Sample] = []
        direct: list[Sample] = []
        warm_tui: list[Sample] = []
        warm_list: list[Sample] = []
        try:
            if args.warm:
                subprocess.run([paa, "warm", "start"], env=warm_env, check=True, stdout=subprocess.DEVNULL)
                served_before = warm_served(paa, warm_env)
            for round_number in range(args.warmup + args.runs):
                samples = [
                    timed_floor(python, env),
                    timed_paint([paa, "tui", "--exit-when-ready"], env),
                    timed_paint([python, "-m", "paa.tui", "--exit-when-ready"], env),
                ]
                if args.warm:
                    samples.append(timed_paint([paa, "tui", "--exit-when-ready"], warm_env))
                    samples.append(timed_run([paa, "habit", "list"], warm_env))
                if round_number >= args.warmup:
                    floor.append(samples[0])
                    tui.append(samples[1])
                    direct.append(samples[2])
                    if args.warm:
                        warm_tui.append(samples[3])
                        warm_list.append(samples[4])
            if args.warm and warm_served(paa, warm_env) - served_before != 2 * (args.warmup + args.runs) + 1:
                raise SystemExit("some warm runs did not go through the warm server (did paa's code change?)")
        finally:
            if args.warm:
                subprocess.run([paa, "warm", "stop"], env=warm_env, check=False, stdout=subprocess.DEVNULL)
            shutil.rmtree(runtime, ignore_errors=True)

    def median(samples: list[Sample], cpu: bool = False) -> float:
        return statistics.median((s.cpu or 0.0) if cpu else s.wall for s in samples)

    result = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "data": counts,
        "floor_ms": round(median(floor) * 1000, 1),
        "floor_cpu_ms": round(median(floor, cpu=True) * 1000, 1),
        "paint_ms": round(median(tui) * 1000, 1),
        "paint_min_ms": round(min(s.wall for s in tui) * 1000, 1),
        "paint_cpu_ms": round(median(tui, cpu=True) * 1000, 1),  # includes quitting after the paint
        "ratio": round(median(tui) / median(floor), 2),
        "direct_ms": round(median(direct) * 1000, 1),  # python -m paa.tui: the same app without the command line
        "direct_ratio": round(median(direct) / median(floor), 2),
        "target": TARGET_RATIO,
    }
    if args.warm:
        result.update(
            warm_paint_ms=round(median(warm_tui) * 1000, 1),
            warm_list_ms=round(median(warm_list) * 1000, 1),
            warm_ratio=round(median(warm_tui) / median(warm_list), 2),
            warm_goal=WARM_GOAL,
        )
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"paa tui: launch to the dashboard's first complete paint, {args.runs} runs, Python {result['python']}")
    data = ", ".join(f"{value} {key}" for key, value in counts.items())
    print(f"data: {args.days} days ({data})")
    floor_line = f"{result['floor_ms']} ms (median), cpu {result['floor_cpu_ms']} ms"
    print(f'floor: python -c "import textual, sqlmodel" = {floor_line}')
    print(f"paa tui --exit-when-ready: first paint {result['paint_ms']} ms (median), {result['paint_min_ms']} ms (min)")
    print(f"  cpu of the whole run (paint and quit) {result['paint_cpu_ms']} ms")
    print(f"python -m paa.tui (no command line): first paint {result['direct_ms']} ms, ratio {result['direct_ratio']}")
    verdict = "ok" if result["ratio"] <= TARGET_RATIO else "OVER"
    print(f"ratio {result['ratio']:.2f} (target <= {TARGET_RATIO}): {verdict}")
    if args.warm:
        verdict = "ok" if result["warm_ratio"] <= WARM_GOAL else "OVER"
        print(f"warm: first paint {result['warm_paint_ms']} ms, paa habit list {result['warm_list_ms']} ms; ratio "
              f"{result['warm_ratio']:.2f} (goal <= {WARM_GOAL}): {verdict}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
