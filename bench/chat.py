"""Chat latency benchmark: from submitting a message to the request reaching the (fake) API, against `paa habit list`.

    python bench/chat.py [--runs 5] [--think 4] [--json]

The database holds 10,000 messages (200 conversations of 50) and 5,000 memories (embedded, when the memory
module's model is installed, as they are in steady use). Each run starts the real
`paa chat --continue` in a pseudo-terminal, waits for its prompt and a "think time" (a person reads the prompt and
types; paa imports the SDK and loads memory search meanwhile), types a message, and measures until the fake
Messages API on 127.0.0.1 receives the request. Runs alternate with `paa habit list`, whose whole wall time is the
floor; the target is a median ratio <= 1.2. A one-shot `paa chat "..."` (process start to request, which includes
importing the anthropic SDK) is measured too, for information. Everything happens in a temporary PAA_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.2
FIXED_NOW = "2026-11-26T12:00:00+00:00"
MESSAGES = 10_000
PER_CONVERSATION = 50
MEMORIES = 5_000
TOPICS = ("running", "sleep", "water", "work", "knee", "reading", "coffee", "stretching", "mood", "family")


def paa_executable() -> Path:
    path = Path(sys.executable).with_name("paa")
    if not path.exists():
        raise SystemExit(f"no paa executable next to {sys.executable}; install paa in this environment first")
    return path


def isolated_env(home: Path, base_url: str, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAA_", "ANTHROPIC_"))}
    env.update(
        PAA_HOME=str(home / "paa-home"), HOME=str(home), PAA_TIMEZONE="UTC", PAA_NOW=FIXED_NOW, NO_COLOR="1",
        PAA_KEYRING="off", ANTHROPIC_BASE_URL=base_url, ANTHROPIC_API_KEY=key, TERM="xterm", COLUMNS="100",
    )  # fmt: skip
    env["PAA_NO_SERVER"] = "1"  # measured as started from scratch: no warm server (started on first use otherwise)
    return env


def populate(env: dict[str, str]) -> None:
    """Habits, 10,000 messages in 200 conversations, and 5,000 memories, written in a few transactions."""
    from datetime import datetime, timedelta

    from paa.ai import recall
    from paa.core.habits.manage import HabitFields, add_habit
    from paa.core.runtime import Runtime
    from paa.db.models import Conversation, Message

    start = datetime.fromisoformat(FIXED_NOW) - timedelta(days=200)
    with Runtime.from_environ(env) as runtime, runtime.context(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Drink water", unit="glasses", target=8))
        add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri"))
        add_habit(ctx, HabitFields(name="Read", unit="pages", target=20))
        for number in range(MESSAGES // PER_CONVERSATION):
            when = start + timedelta(days=number)
            conversation = Conversation(user_id=ctx.user_id, title=f"Chat {number}", created_at=when, updated_at=when)
            ctx.session.add(conversation)
            ctx.session.flush()
            rows = []
            for index in range(PER_CONVERSATION):
                topic = TOPICS[(number + index) % len(TOPICS)]
                role = "user" if index % 2 == 0 else "assistant"
                text = f"Message {index} about {topic}: " + "some ordinary words of a conversation " * 4
                rows.append(
                    Message(
                        user_id=ctx.user_id, conversation_id=conversation.id, role=role, content=text,
                        input_tokens=900 if role == "assistant" else None, created_at=when + timedelta(minutes=index),
                    )
                )  # fmt: skip
            ctx.session.add_all(rows)
    for batch in range(MEMORIES // 1000):
        with Runtime.from_environ(env) as runtime, runtime.context(write=True) as ctx:
            for index in range(1000):
                number = batch * 1000 + index
                topic = TOPICS[number % len(TOPICS)]
                recall.remember(ctx, f"Fact {number}: the user mentioned {topic} and {TOPICS[(number * 7) % 10]}")
    try:  # steady state: every memory has its vector (when the embedding model is installed)
        from paa.ai import memory
    except ImportError:
        return
    with Runtime.from_environ(env) as runtime, runtime.context() as ctx:
        memory.embed_pending(ctx)


class Arrivals:
    """When requests reach the fake API (perf_counter in this process, where the terminal is written too)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.changed = threading.Condition()

    def note(self) -> None:
        with self.changed:
            self.times.append(time.perf_counter())
            self.changed.notify_all()

    def wait_past(self, count: int, timeout: float = 60) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.times) > count, timeout):
                raise SystemExit("the request never reached the fake API")
            return self.times[count]


def read_until(fd: int, needle: bytes, seen: bytearray, start: int = 0, timeout: float = 60) -> int:
    """Read the terminal until `needle` shows up at or after `start`; return where it ends."""
    deadline = time.monotonic() + timeout
    while (found := seen.find(needle, start)) < 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SystemExit(f"timed out waiting for {needle!r}: {bytes(seen[-400:])!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise SystemExit(f"paa chat exited early: {bytes(seen[-400:])!r}")
            seen.extend(chunk)
    return found + len(needle)


def drain(fd: int, seen: bytearray, timeout: float = 60) -> None:
    """Read what the child writes until it closes the terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        seen.extend(chunk)


def repl_run(paa: str, env: dict[str, str], arrivals: Arrivals, think: float) -> float:
    """One `paa chat --continue` in a pty: prompt, think, type, time until the request arrives."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        os.execve(paa, [paa, "chat", "--continue"], env)
    seen = bytearray()
    try:
        read_until(fd, "› ".encode(), seen)
        deadline = time.monotonic() + think
        while time.monotonic() < deadline:  # keep draining the terminal while the person "types"
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                seen.extend(os.read(fd, 65536))
        count = len(arrivals.times)
        sent = time.perf_counter()
        os.write(fd, b"how did my week go with running?\r")
        arrived = arrivals.wait_past(count)
        replied = read_until(fd, b"OK, noted.", seen)
        read_until(fd, "› ".encode(), seen, replied)  # back at the prompt: Ctrl-D now reaches readline
        os.write(fd, b"\x04")  # Ctrl-D: leave; keep reading so the child never blocks on a full terminal
        drain(fd, seen)
        os.waitpid(pid, 0)
        return arrived - sent
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def one_shot_run(paa: str, env: dict[str, str], arrivals: Arrivals) -> float:
    count = len(arrivals.times)
    started = time.perf_counter()
    process = subprocess.Popen(
        [paa, "chat", "--continue", "how did my week go with running?"], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    arrived = arrivals.wait_past(count)
    _, err = process.communicate(timeout=120)
    if process.returncode != 0:
        raise SystemExit(f"paa chat failed: {err.strip()}")
    return arrived - started


def habit_list_run(paa: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([paa, "habit", "list"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise SystemExit(f"paa habit list failed: {done.stderr!r}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--think", type=float, default=4.0, help="seconds between the prompt and typing (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    from tests.support.fake_anthropic import FakeAnthropic, reply

    paa = str(paa_executable())
    fake = FakeAnthropic().start()
    arrivals = Arrivals()
    fake.responder = lambda request: (arrivals.note(), reply("OK, noted."))[1]
    try:
        with tempfile.TemporaryDirectory(prefix="paa-bench-chat-") as temp:
            env = isolated_env(Path(temp), fake.url, fake.api_key)
            populate(env)
            habit_list_run(paa, env)  # warm the disk cache, once
            floor, repl, one_shot = [], [], []
            for _ in range(args.runs):
                floor.append(habit_list_run(paa, env))
                repl.append(repl_run(paa, env, arrivals, args.think))
                floor.append(habit_list_run(paa, env))
                one_shot.append(one_shot_run(paa, env, arrivals))
            insight_calls = len(fake.message_requests) - len(repl) - len(one_shot)
    finally:
        fake.stop()
    floor_ms = statistics.median(floor) * 1000
    rows = [
        ("paa habit list (floor)", floor, None),
        ("paa chat: REPL message -> request", repl, TARGET_RATIO),
        ('paa chat "...": process start -> request', one_shot, None),
    ]
    result = {
        "runs": args.runs, "think_seconds": args.think, "messages": MESSAGES, "memories": MEMORIES,
        "target": TARGET_RATIO, "python": sys.version.split()[0],
        "rows": [
            {"what": label, "median_ms": round(statistics.median(values) * 1000, 1),
             "min_ms": round(min(values) * 1000, 1), "ratio": round(statistics.median(values) * 1000 / floor_ms, 2)}
            for label, values, _ in rows
        ],
        "background_calls": insight_calls,
    }  # fmt: skip
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"paa chat latency: {args.runs} runs, {MESSAGES} messages, {MEMORIES} memories, think time {args.think} s")
    print(f"floor: paa habit list = {floor_ms:.1f} ms (median); target: REPL ratio <= {TARGET_RATIO}\n")
    for row, (_label, _values, target) in zip(result["rows"], rows, strict=True):
        verdict = "" if target is None else ("ok" if row["ratio"] <= target else "OVER")
        print(f"{row['what']:<44} {row['median_ms']:>9.1f} ms  min {row['min_ms']:>9.1f} ms  "
              f"ratio {row['ratio']:>5.2f}  {verdict}".rstrip())  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
