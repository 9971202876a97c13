"""Start-up benchmark: everyday `paa` commands against the floor `python -c "import typer, sqlmodel"`.

    python bench/startup.py [--runs 15] [--json]

Each command runs `--runs` times, interleaved with the others so that a busy moment on the machine hits them all
alike; the table gives the median wall time and its ratio to the floor measured in the same run (target: every
ratio <= 1.3). The CPU columns (user + system time of the child, POSIX only) move much less when other programs
compete for the processor, so on a busy machine trust "cpu ratio" over the wall-time one. Everything happens in
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
from dataclasses import dataclass
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


@dataclass
class Sample:
    """One run of a command: wall time, and the CPU time (user + system) the child used, in seconds."""

    wall: float
    cpu: float | None


def _children_cpu() -> float | None:
    try:
        import resource
    except ImportError:  # Windows: no rusage, so no CPU column
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str], env: dict[str, str]) -> Sample:
    """Run a command once with output discarded and time it (fail loudly if it fails)."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    cpu_after = _children_cpu()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Sample(wall, cpu)


def measure(commands: dict[str, list[str]], env: dict[str, str], runs: int, warmup: int) -> dict[str, list[Sample]]:
    """Time every command `runs` times, round-robin, after `warmup` untimed rounds."""
    samples: dict[str, list[Sample]] = {label: [] for label in commands}
    for round_number in range(warmup + runs):
        for label, command in commands.items():
            sample = timed_run(command, env)
            if round_number >= warmup:
                samples[label].append(sample)
    return samples


def summarise(samples: dict[str, list[Sample]], floor_label: str) -> list[dict[str, object]]:
    """One row per command: wall median/min, CPU median, and both medians as ratios to the floor's."""

    def cpu_median(values: list[Sample]) -> float | None:
        cpus = [sample.cpu for sample in values if sample.cpu is not None]
        return statistics.median(cpus) if cpus else None

    floor_wall = statistics.median(sample.wall for sample in samples[floor_label])
    floor_cpu = cpu_median(samples[floor_label])
    rows: list[dict[str, object]] = []
    for label, values in samples.items():
        wall = statistics.median(sample.wall for sample in values)
        cpu = cpu_median(values)
        rows.append(
            {
                "command": label,
                "paa": label.startswith("paa "),
                "median_ms": round(wall * 1000, 1),
                "min_ms": round(min(sample.wall for sample in values) * 1000, 1),
                "cpu_ms": None if cpu is None else round(cpu * 1000, 1),
                "ratio": round(wall / floor_wall, 2),
                "cpu_ratio": None if cpu is None or not floor_cpu else round(cpu / floor_cpu, 2),
            }
        )
    return rows


def _ms(value: object) -> str:
    return "-" if value is None else f"{value:.1f} ms"


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
        samples = measure(commands, env, args.runs, args.warmup)

    rows = summarise(samples, floor_label)
    python_version = sys.version.split()[0]
    if args.json:
        print(json.dumps({"runs": args.runs, "python": python_version, "target": TARGET_RATIO, "rows": rows}))
        return 0

    floor_ms = next(row["median_ms"] for row in rows if row["command"] == floor_label)
    print(
        f"paa start-up: {args.runs} runs of each command (after {args.warmup} warm-up rounds), Python {python_version}"
    )
    print(f"floor: {floor_label} = {floor_ms} ms (median); target: every paa ratio <= {TARGET_RATIO}\n")
    width = max(len(str(row["command"])) for row in rows)
    header = f"{'command':<{width}}  {'median':>10}  {'min':>10}  {'cpu':>10}  {'ratio':>5}  {'cpu ratio':>9}"
    print(header)
    for row in rows:
        verdict = ("ok" if float(row["ratio"]) <= TARGET_RATIO else "OVER") if row["paa"] else ""
        cpu_ratio = "-" if row["cpu_ratio"] is None else f"{row['cpu_ratio']:.2f}"
        line = (
            f"{row['command']:<{width}}  {_ms(row['median_ms']):>10}  {_ms(row['min_ms']):>10}"
            f"  {_ms(row['cpu_ms']):>10}  {row['ratio']:>5.2f}  {cpu_ratio:>9}  {verdict}"
        )
        print(line.rstrip())
    over = [row["command"] for row in rows if row["paa"] and row["ratio"] > TARGET_RATIO]
    print(f"\n{len(over)} of {sum(row['paa'] for row in rows)} paa commands above the target" + (":" if over else "."))
    for label in over:
        print(f"  {label}  (see why: python -X importtime {paa} {label.removeprefix('paa ')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
