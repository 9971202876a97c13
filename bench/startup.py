"""Start-up benchmark: everyday `paa` commands, cold and through the warm path, against floors measured in the same run.

    python bench/startup.py [--runs 15] [--json] [--jrnl PATH | --install-jrnl] [--no-warm] [--chat] [--memory]

Each command runs `--runs` times, interleaved with the others so that a busy moment on the machine hits them all
alike; the table gives the median wall time and its ratio to the floor `python -c "import typer, sqlmodel"` measured
in the same run (cold target: every ratio <= 1.0), and, when jrnl is there, to jrnl writing an entry (the warm path's
goal in issue 20: <= 0.5). `cold` rows run with PAA_NO_SERVER=1; `warm` rows go through a warm server started for the
run (`paa warm start`, in a private temporary folder, stopped at the end); its count of connections is checked around
every warm run, and a run that did not go through it is done again (after restarting a server that quit because paa's
source changed), so no cold run hides in a warm row. The CPU columns (user + system time of the
child, POSIX only) move much less when other programs compete for the processor, so on a busy machine trust "cpu
ratio" over the wall-time one for cold rows; a warm row's CPU is the client's alone (the worker is the server's
child), so it has none. Everything happens in a temporary PAA_HOME with a few habits; the real home is never touched.
It uses the Python running this script and the `paa` script installed next to it. `--install-jrnl` installs jrnl from
PyPI into a scratch virtual environment in the temporary folder (needs the network, ~1 min); `--jrnl PATH` uses one
you have. `--chat` also times a one-shot `paa chat "..."` that calls Claude's API, answered by the test suite's fake
Messages API on 127.0.0.1 (tests/support/fake_anthropic.py, in this process), cold and warm; its warm row is judged
against `paa habit list (warm)` (issue 20's goal: <= 1.2). `--memory` also times `paa memory search` over
MEMORY_MESSAGES imported messages, embedded first (the local model must be installed), cold and warm; its warm row is
judged the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TARGET_RATIO = 1.0
JRNL_GOAL = 0.5  # the warm path's goal against jrnl writing an entry
CHAT_GOAL = 1.2  # a warm one-shot chat against a warm `habit list`
CHAT = ["chat", "I drank a glass of water"]
SEARCH = ["memory", "search", "when did I run with Ann"]
MEMORY_MESSAGES = 500
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
    # Bytecode as an installed paa has it: compiled once (during the set-up and warm-up rounds) into a cache of the
    # run's own, never into the checkout. With PYTHONDONTWRITEBYTECODE every run would compile paa again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
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
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wall = time.perf_counter() - start
    cpu_after = _children_cpu()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Sample(wall, cpu)


Command = tuple[list[str], dict[str, str]]  # the command line and its environment


class Warm:
    """The warm server of the run: started, asked how many connections it has served, restarted when it has quit
    (it quits when paa's source changes, e.g. someone editing the checkout mid-run)."""

    def __init__(self, paa: str, env: dict[str, str]) -> None:
        self.paa, self.env, self.restarts = paa, env, 0

    def start(self) -> None:
        subprocess.run([self.paa, "warm", "start", "--idle", "600"], env=self.env, check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([self.paa, "warm", "stop"], env=self.env, capture_output=True)

    def info(self) -> dict[str, str] | None:
        import socket

        from paa.cli import warm_client

        path = warm_client.socket_path(self.env)
        if path is None:
            return None
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(30)
            try:
                conn.connect(path)
                warm_client.send_request(conn, b"ping", [])
                if conn.recv(1) != warm_client.INFO:
                    return None
                (size,) = warm_client.HEADER.unpack(warm_client._read_exact(conn, warm_client.HEADER.size))
                text = warm_client._read_exact(conn, size).decode()
            except OSError:
                return None
        return dict(line.split(": ", 1) for line in text.splitlines())

    def served(self) -> int | None:
        info = self.info()
        return None if info is None else int(info["served"])

    def timed(self, command: list[str]) -> Sample:
        """Time one warm run, again if it did not go through the server (restarting a server that quit)."""
        for _ in range(5):
            before = self.served()
            if before is None:
                self.restarts += 1
                self.start()
                before = self.served()
            sample = timed_run(command, self.env)
            if before is not None and self.served() == before + 2:  # the ping that counted, then the run
                return sample
        raise SystemExit(f"{' '.join(command)} kept running cold: is the warm path broken?")


def measure(commands: dict[str, Command], runs: int, warmup: int, warm: Warm | None) -> dict[str, list[Sample]]:
    """Time every command `runs` times, round-robin, after `warmup` untimed rounds."""
    samples: dict[str, list[Sample]] = {label: [] for label in commands}
    for round_number in range(warmup + runs):
        for label, (command, env) in commands.items():
            served = warm is not None and label.endswith(" (warm)")
            sample = warm.timed(command) if warm is not None and served else timed_run(command, env)
            if round_number >= warmup:
                samples[label].append(sample)
    return samples


def summarise(
    samples: dict[str, list[Sample]], floor_label: str, jrnl_label: str | None = None
) -> list[dict[str, object]]:
    """One row per command: wall median/min, CPU median, both medians as ratios to the floor's, and the wall median
    as a ratio to jrnl's when it was measured."""

    def cpu_median(values: list[Sample]) -> float | None:
        cpus = [sample.cpu for sample in values if sample.cpu is not None]
        return statistics.median(cpus) if cpus else None

    floor_wall = statistics.median(sample.wall for sample in samples[floor_label])
    floor_cpu = cpu_median(samples[floor_label])
    jrnl_wall = statistics.median(sample.wall for sample in samples[jrnl_label]) if jrnl_label else None
    rows: list[dict[str, object]] = []
    for label, values in samples.items():
        wall = statistics.median(sample.wall for sample in values)
        cpu = None if label.endswith(" (warm)") else cpu_median(values)
        rows.append(
            {
                "command": label,
                "paa": label.startswith("paa "),
                "median_ms": round(wall * 1000, 1),
                "min_ms": round(min(sample.wall for sample in values) * 1000, 1),
                "cpu_ms": None if cpu is None else round(cpu * 1000, 1),
                "ratio": round(wall / floor_wall, 2),
                "cpu_ratio": None if cpu is None or not floor_cpu else round(cpu / floor_cpu, 2),
                "jrnl_ratio": None if jrnl_wall is None else round(wall / jrnl_wall, 2),
            }
        )
    return rows


def _ms(value: object) -> str:
    return "-" if value is None else f"{value:.1f} ms"


JRNL_CONFIG = """colors: {{body: none, date: none, tags: none, title: none}}
default_hour: 9
default_minute: 0
editor: ''
encrypt: false
highlight: false
indent_character: '|'
journals:
  default:
    journal: {journal}
linewrap: 79
tagsymbols: '#@'
template: false
timeformat: '%F %r'
version: v4.6
"""


def jrnl_command(temp: Path, given: str | None, install: bool) -> Command | None:
    """jrnl writing an entry, configured in `temp` (its config and journal), or None when there is no jrnl."""
    executable = given
    if executable is None and install:
        venv = temp / "jrnl-venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = str(venv / "bin" / "pip")
        # A current pip, as paa's README installs: its launcher scripts skip the `re` import of older ones (~4 ms).
        subprocess.run([pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([pip, "install", "--quiet", "jrnl"], check=True)
        executable = str(venv / "bin" / "jrnl")
    if executable is None:
        return None
    config = temp / "jrnl-config" / "jrnl"
    config.mkdir(parents=True)
    (config / "jrnl.yaml").write_text(JRNL_CONFIG.format(journal=temp / "journal.txt"))
    env = {**os.environ, "XDG_CONFIG_HOME": str(config.parent), "HOME": str(temp)}
    command = [executable, "Drank water: 1 glass."]
    timed_run(command, env)  # the first run creates the journal and may rewrite its config
    return command, env


HOT = {
    "habit log water 1": ["habit", "log", "water", "1"],
    "habit list": ["habit", "list"],
    "habit today": ["habit", "today"],
    "checkin --mood 4": ["checkin", "--mood", "4", "--answer", "Fine", "--replace"],
    "remind upcoming": ["remind", "upcoming"],
}


JUDGED_BY_LIST = ("paa chat", "paa memory search")  # their goal is a ratio to `paa habit list`, not the floor


def fill_memory(paa: str, temp: Path, env: dict[str, str]) -> None:
    """Import MEMORY_MESSAGES messages of made-up conversations (paa's JSON Lines) and embed them all."""
    people, doings = ["Ann", "Ben", "Maya"], ["ran 5 km", "baked bread", "read a novel", "went to the dentist"]
    lines = []
    for number in range(MEMORY_MESSAGES):
        day = 1 + number % 28
        text = f"On day {day} I {doings[number % len(doings)]} with {people[number % len(people)]} (note {number})."
        lines.append(json.dumps({"conversation_id": number // 10, "role": "user", "text": text,
                                 "time": f"2026-10-{day:02d}T09:{number % 60:02d}:00Z"}))  # fmt: skip
    history = temp / "history.jsonl"
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in (["memory", "import", str(history)], ["memory", "reindex"]):
        done = subprocess.run([paa, *command], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"paa {' '.join(command)} failed: {done.stderr.strip()}")
    if f"computed {MEMORY_MESSAGES} vector(s)" not in done.stdout:  # (the model is missing: words alone would rank)
        raise SystemExit(f"memory was not embedded with the local model (install it first): {done.stdout.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--jrnl", metavar="PATH", help="a jrnl executable to measure beside paa")
    parser.add_argument("--install-jrnl", action="store_true", help="install jrnl into a scratch venv first")
    parser.add_argument("--no-warm", action="store_true", help="measure the cold path only")
    parser.add_argument("--chat", action="store_true", help="also a one-shot chat against a fake API on 127.0.0.1")
    parser.add_argument("--memory", action="store_true", help=f"also memory search over {MEMORY_MESSAGES} messages")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, paa = sys.executable, str(paa_executable())
    floor_label = 'python -c "import typer, sqlmodel"'
    jrnl_label = "jrnl (write an entry)"
    with tempfile.TemporaryDirectory(prefix="paa-bench-") as temp:
        cold_env = {**isolated_env(Path(temp)), "PAA_NO_SERVER": "1"}
        runtime = Path(tempfile.mkdtemp(prefix="paa-bench-run-", dir="/tmp"))  # short: a socket's path is limited
        runtime.chmod(0o700)
        warm_env = {key: value for key, value in cold_env.items() if key != "PAA_NO_SERVER"}
        warm_env["XDG_RUNTIME_DIR"] = str(runtime)
        for setup in SETUP:
            timed_run([paa, *setup], cold_env)
        commands: dict[str, Command] = {
            "python -c pass": ([python, "-c", "pass"], cold_env),
            'python -c "import sqlite3"': ([python, "-c", "import sqlite3"], cold_env),
            floor_label: ([python, "-c", "import typer, sqlmodel"], cold_env),
        }
        jrnl = jrnl_command(Path(temp), args.jrnl, args.install_jrnl)
        if jrnl is not None:
            commands[jrnl_label] = jrnl
        commands["paa --version"] = ([paa, "--version"], cold_env)
        commands["paa --help"] = ([paa, "--help"], cold_env)
        for name, words in HOT.items():
            commands[f"paa {name}"] = ([paa, *words], cold_env)
            if not args.no_warm:
                commands[f"paa {name} (warm)"] = ([paa, *words], warm_env)
        if args.memory:
            fill_memory(paa, Path(temp), cold_env)
            commands["paa memory search"] = ([paa, *SEARCH], cold_env)
            if not args.no_warm:
                commands["paa memory search (warm)"] = ([paa, *SEARCH], warm_env)
        fake = None
        if args.chat:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.support.fake_anthropic import FakeAnthropic, reply

            fake = FakeAnthropic().start()
            fake.responder = lambda _request: reply("Noted: a glass of water.")
            api = {"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": fake.api_key, "PAA_KEYRING": "off"}
            commands["paa chat (one-shot, fake API)"] = ([paa, *CHAT], {**cold_env, **api})
            if not args.no_warm:
                commands["paa chat (one-shot, fake API) (warm)"] = ([paa, *CHAT], {**warm_env, **api})
        rss = None
        warm = None if args.no_warm else Warm(paa, warm_env)
        try:
            if warm is not None:
                warm.start()
            samples = measure(commands, args.runs, args.warmup, warm)
            if warm is not None:
                info = warm.info()
                rss = int(info["rss_kib"]) if info else None
        finally:
            if warm is not None:
                warm.stop()
            if fake is not None:
                fake.stop()
            shutil.rmtree(runtime, ignore_errors=True)

    rows = summarise(samples, floor_label, jrnl_label if jrnl is not None else None)
    python_version = sys.version.split()[0]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if args.json:
        print(json.dumps({
            "runs": args.runs, "python": python_version, "target": TARGET_RATIO, "jrnl_goal": JRNL_GOAL,
            "load": load, "warm_server_rss_kib": rss, "warm_restarts": warm.restarts if warm else None, "rows": rows,
        }))  # fmt: skip
        return 0

    floor_ms = next(row["median_ms"] for row in rows if row["command"] == floor_label)
    print(
        f"paa start-up: {args.runs} runs of each command (after {args.warmup} warm-up rounds), Python {python_version}"
        + (f", load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "")
    )
    print(f"floor: {floor_label} = {floor_ms} ms (median); cold target: every paa ratio <= {TARGET_RATIO}")
    if jrnl is None:
        print("jrnl: not measured (pass --jrnl PATH or --install-jrnl)")
    else:
        print(f"jrnl: the warm path's goal is <= {JRNL_GOAL} of {jrnl_label}")
    if rss is not None and warm is not None:
        print(f"warm server: {rss // 1024} MiB resident after the run; restarted {warm.restarts} time(s) (code edits)")
    print()
    width = max(len(str(row["command"])) for row in rows)
    header = f"{'command':<{width}}  {'median':>10}  {'min':>10}  {'cpu':>10}  {'ratio':>5}  {'cpu ratio':>9}"
    header += f"  {'/jrnl':>5}"
    print(header)
    for row in rows:
        verdict = ""
        if str(row["command"]).startswith(JUDGED_BY_LIST):
            pass  # judged against habit list below
        elif row["paa"] and str(row["command"]).endswith("(warm)") and row["jrnl_ratio"] is not None:
            verdict = "ok" if float(str(row["jrnl_ratio"])) <= JRNL_GOAL else "OVER"
        elif row["paa"]:
            verdict = "ok" if float(str(row["ratio"])) <= TARGET_RATIO else "OVER"
        cpu_ratio = "-" if row["cpu_ratio"] is None else f"{row['cpu_ratio']:.2f}"
        jrnl_ratio = "-" if row["jrnl_ratio"] is None else f"{row['jrnl_ratio']:.2f}"
        line = (
            f"{row['command']:<{width}}  {_ms(row['median_ms']):>10}  {_ms(row['min_ms']):>10}"
            f"  {_ms(row['cpu_ms']):>10}  {row['ratio']:>5.2f}  {cpu_ratio:>9}  {jrnl_ratio:>5}  {verdict}"
        )
        print(line.rstrip())
    by_name = {str(row["command"]): float(str(row["median_ms"])) for row in rows}
    list_warm = by_name.get("paa habit list (warm)")
    for label, name in (("one-shot chat", "paa chat (one-shot, fake API) (warm)"), ("memory search", "paa memory "
                        "search (warm)")):  # fmt: skip
        measured = by_name.get(name)
        if measured is not None and list_warm:
            ratio = measured / list_warm
            print(f"\nwarm {label} / warm habit list: {ratio:.2f} (goal <= {CHAT_GOAL}: "
                  + ("ok)" if ratio <= CHAT_GOAL else "OVER)"))  # fmt: skip
    cold_over = [row["command"] for row in rows if row["paa"] and "(warm)" not in str(row["command"])
                 and not str(row["command"]).startswith(JUDGED_BY_LIST)
                 and float(str(row["ratio"])) > TARGET_RATIO]  # fmt: skip
    print(f"\n{len(cold_over)} cold paa commands above the target" + (":" if cold_over else "."))
    for over in cold_over:
        print(f"  {over}  (see why: python -X importtime {paa} {str(over).removeprefix('paa ')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
