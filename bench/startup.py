"""Start-up benchmark: everyday `paa` commands against the floor `python -c "import typer, sqlmodel"`.

    python bench/startup.py [--runs 15] [--json]

Each command runs `--runs` times, interleaved with the others so that a busy moment on the machine hits them all
alike; the table gives the median wall time and its ratio to the floor measured in the same run (target: every
ratio <= 1.3). "min ratio" compares the fastest runs, which a noisy machine disturbs least. Everything happens in
a temporary PAA_HOME with a few habits; the real home is never touched. It uses the Python running this script
and the `paa` script installed next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.3
FIXED_NOW = "2026-11-26T12:00:00+00:00"
SETUP = [
    ["habit", "add", "Water", "--unit", "glasses", "--target", "8", "--remind", "09:00"],
    ["habit", "add", "Run", "--days", "mon,wed,fri", "--category", "health"],
    ["habit", "add", "Meditate", "--times", "5", "--per", "7"],
    ["habit", "add", "Read", "--unit", "pages", "--target", "20"],
    ["habit", "add", "Stretch"],
    ["habit", "log", "run", "--date", "yesterday"],
    ["habit", "log", "read", "12", "--date", "-2"],
]


def paa_executable() -> Path:
    """The `paa` script installed next to this interpreter."""
    name = "paa.exe" if sys.platform == "win32" else "paa"
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment without any PAA_* setting, pointed at a temporary PAA_HOME."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1")
    return env


def timed_run(command: list[str], env: dict[str, str]) -> float:
    """Run a command once with output discarded; return its wall time in seconds (fail loudly if it fails)."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def measure(commands: dict[str, list[str]], env: dict[str, str], runs: int, warmup: int) -> dict[str, list[float]]:
    """Time every command `runs` times, round-robin, after `warmup` untimed rounds."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for round_number in range(warmup + runs):
        for label, command in commands.items():
            elapsed = timed_run(command, env)
            if round_number >= warmup:
                times[label].append(elapsed)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, paa = sys.executable, str(paa_executable())
    floor_label = 'python -c "import typer, sqlmodel"'
    commands = {
        "python -c pass": [python, "-c", "pass"],
        floor_label: [python, "-c", "import typer, sqlmodel"],
        "paa --help": [paa, "--help"],
        "paa habit log water 1": [paa, "habit", "log", "water", "1"],
        "paa habit list": [paa, "habit", "list"],
        "paa habit today": [paa, "habit", "today"],
    }
    with tempfile.TemporaryDirectory(prefix="paa-bench-") as temp:
        env = isolated_env(Path(temp))
        for setup in SETUP:
            timed_run([paa, *setup], env)
        times = measure(commands, env, args.runs, args.warmup)

    medians = {label: statistics.median(values) for label, values in times.items()}
    floor = medians[floor_label]
    rows = [
        {
            "command": label,
            "median_ms": round(medians[label] * 1000, 1),
            "min_ms": round(min(values) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "ratio": round(medians[label] / floor, 2),
            "min_ratio": round(min(values) / min(times[floor_label]), 2),
            "paa": label.startswith("paa "),
        }
        for label, values in times.items()
    ]
    python_version = sys.version.split()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "python": python_version, "target": TARGET_RATIO, "rows": rows}))
        return 0

    print(
        f"paa start-up: median of {args.runs} runs each (after {args.warmup} warm-up rounds), Python {python_version}"
    )
    print(f"floor: {floor_label} = {floor * 1000:.1f} ms; target: every paa ratio <= {TARGET_RATIO}\n")
    width = max(len(row["command"]) for row in rows)
    print(f"{'command':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}  {'ratio':>6}  {'min ratio':>9}")
    for row in rows:
        verdict = ("ok" if row["ratio"] <= TARGET_RATIO else "OVER") if row["paa"] else ""
        line = (
            f"{row['command']:<{width}}  {row['median_ms']:>6.1f} ms  {row['min_ms']:>6.1f} ms"
            f"  {row['max_ms']:>6.1f} ms  {row['ratio']:>6.2f}  {row['min_ratio']:>9.2f}  {verdict}"
        )
        print(line.rstrip())
    over = [row["command"] for row in rows if row["paa"] and row["ratio"] > TARGET_RATIO]
    print(f"\n{len(over)} of {sum(row['paa'] for row in rows)} paa commands above the target" + (":" if over else "."))
    for label in over:
        print(f"  {label}  (see why: python -X importtime {paa} {label.removeprefix('paa ')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
