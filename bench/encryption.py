"""Benchmark: what encryption at rest costs, as ratios measured in one run (sealed / plain), never absolute times.

Two data folders are filled alike (habits with a year of logs, check-ins, messages and memories of one user): one
with paa as it is (sealed columns, the word index over keyed hashes), one with sealing turned into the identity and
the hash into the word itself (the same code path without the cryptography: the floor). Rounds alternate between
the two, so drift on a shared machine hits both. Vectors are left out (memory search by words only): encryption
does not change them. With `sqlcipher3` installed (not a paa dependency), it also times the same kind of work on a
raw SQLite file against an SQLCipher one: whole-database encryption, the road not taken (docs/security.md).

    python bench/encryption.py [--items 2000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WORDS = (
    "run walk water sleep knee pain tired happy work friend coffee read book morning evening gym stretch anxious "
    "calm proud stressed sister manager garden budget dentist interview lisbon piano yoga vitamins"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


@contextmanager
def plain_mode(on: bool) -> Iterator[None]:
    """Within the block (when `on`), sealing is the identity and the word index stores words as they are."""
    from paa.db import blind, sealed

    if not on:
        yield
        return
    saved = (sealed.Sealed.process_bind_param, sealed.Sealed.process_result_value, blind.hashed, blind.index_key)
    sealed.Sealed.process_bind_param = lambda self, value, dialect: value  # type: ignore[method-assign,assignment]
    sealed.Sealed.process_result_value = lambda self, value, dialect: value  # type: ignore[method-assign,assignment]
    blind.hashed = lambda key, term: term  # type: ignore[assignment]
    blind.index_key = lambda keyset: b""  # type: ignore[assignment]
    try:
        yield
    finally:
        sealed.Sealed.process_bind_param, sealed.Sealed.process_result_value = saved[0], saved[1]  # type: ignore[method-assign]
        blind.hashed, blind.index_key = saved[2], saved[3]  # type: ignore[assignment]


def fill(home: Path, items: int, plain: bool) -> None:
    from paa.ai import memory
    from paa.ai.store import add_message, create_conversation
    from paa.clock import FixedClock
    from paa.core.habits.form import HabitFields
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import add_habit
    from paa.core.runtime import Runtime

    rng = random.Random(20261206)
    environ = {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_KEYRING": "off"}
    runtime = Runtime.from_environ(environ, clock=FixedClock(NOW))
    with plain_mode(plain), runtime, runtime.context(write=True) as ctx:
        habits = [add_habit(ctx, HabitFields(name=f"Habit {n}")) for n in range(5)]
        for habit in habits:
            for back in range(1, 366):
                note = _text(rng, 6) if rng.random() < 0.3 else None
                log_habit(ctx, habit, NOW.date() - timedelta(days=back), note=note)
        conversation = create_conversation(ctx, "bench")
        assert conversation.id is not None
        for _ in range(items):
            message = add_message(ctx, conversation.id, "user", _text(rng, 20))
            memory.index_message(ctx, message)
        for _ in range(items // 4):
            memory.remember(ctx, _text(rng, 10))


def _median(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(homes: dict[bool, Path], rounds: int) -> dict[str, float]:
    from sqlalchemy import text

    from paa.ai import memory
    from paa.ai.store import search_messages
    from paa.clock import FixedClock
    from paa.core.analytics.periods import parse_period
    from paa.core.analytics.reports import overview
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit
    from paa.core.runtime import Runtime

    memory.MemoryService.vector_index = lambda self: None  # type: ignore[method-assign]  # words only
    rng = random.Random(7)
    runtimes = {
        plain: Runtime.from_environ(
            {"PAA_HOME": str(home), "PAA_TIMEZONE": "UTC", "PAA_KEYRING": "off"}, clock=FixedClock(NOW)
        )
        for plain, home in homes.items()
    }
    day = {plain: date(2027, 1, 1) for plain in homes}
    results: dict[str, dict[bool, list[float]]] = {}

    def timed(name: str, plain: bool, action: Callable[[], Any], repeat: int = 5) -> None:
        with plain_mode(plain):
            results.setdefault(name, {True: [], False: []})[plain].append(_median(action, repeat))

    for _round in range(rounds):
        for plain in (True, False):
            runtime = runtimes[plain]

            def log_with_note(plain: bool = plain, runtime: Runtime = runtime) -> None:
                with runtime.context(write=True) as ctx:
                    day[plain] += timedelta(days=1)
                    log_habit(ctx, resolve_habit(ctx, "Habit 0"), day[plain], note="felt strong today")

            def search(runtime: Runtime = runtime) -> None:
                with runtime.context() as ctx:
                    memory.search(ctx, f"{rng.choice(WORDS)} {rng.choice(WORDS)}")

            def chat_search(runtime: Runtime = runtime) -> None:
                with runtime.context() as ctx:
                    search_messages(ctx, f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)}", limit=20)

            def analytics(runtime: Runtime = runtime) -> None:
                with runtime.context() as ctx:
                    overview(ctx, NOW.date(), parse_period("90d"), with_insights=False)

            def old_like(runtime: Runtime = runtime) -> None:  # what chat search ran before sealing: SQL LIKE
                with runtime.engine.connect() as conn:
                    conn.execute(
                        text(
                            "SELECT id FROM messages WHERE lower(content) LIKE :a AND lower(content) LIKE :b "
                            "AND lower(content) LIKE :c ORDER BY id DESC LIMIT 20"
                        ),
                        {"a": f"%{rng.choice(WORDS)}%", "b": f"%{rng.choice(WORDS)}%", "c": f"%{rng.choice(WORDS)}%"},
                    ).all()

            timed("habit log with a note (one write transaction)", plain, log_with_note)
            timed("memory search by words", plain, search)
            timed("analytics overview, 90 days", plain, analytics, 2)
            timed("chat search (3 words, 20 hits)", plain, chat_search, 2 if not plain else 1)
            if plain:
                timed("chat search (3 words, 20 hits)/old SQL LIKE", True, old_like, 2)
    for runtime in runtimes.values():
        runtime.close()
    ratios: dict[str, float] = {}
    for name, by_mode in results.items():
        if name.endswith("/old SQL LIKE"):
            continue
        sealed, plain_times = statistics.median(by_mode[False]), statistics.median(by_mode[True])
        ratios[name] = sealed / plain_times
        like = results.get(f"{name}/old SQL LIKE")
        if like:
            ratios[f"{name}, against the SQL LIKE it replaced"] = sealed / statistics.median(like[True])
    return ratios


def sqlcipher_ratios(folder: Path) -> dict[str, float] | None:
    """The same kind of work on SQLCipher (raw key, and a passphrase with its key derivation) over plain SQLite."""
    try:
        import sqlcipher3  # type: ignore[import-not-found]
    except ImportError:
        return None
    rng = random.Random(3)
    raw_key = "PRAGMA key = \"x'" + os.urandom(32).hex() + "'\""
    passphrase = "PRAGMA key = 'correct horse battery staple'"
    setups: dict[str, tuple[Any, str | None]] = {
        "sqlite": (sqlite3, None),
        "raw key": (sqlcipher3, raw_key),
        "passphrase": (sqlcipher3, passphrase),
    }

    def connect(name: str) -> Any:
        module, key = setups[name]
        conn = module.connect(str(folder / f"{name}.db"), isolation_level=None)
        if key:
            conn.execute(key)
        return conn

    for name in setups:
        conn = connect(name)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE logs (id INTEGER PRIMARY KEY, habit INT, day INT, value REAL, note TEXT)")
        conn.execute("CREATE TABLE memories (id INTEGER PRIMARY KEY, content TEXT)")
        conn.execute("CREATE VIRTUAL TABLE fts USING fts5(content, content='memories', content_rowid='id')")
        conn.execute("BEGIN")
        for n in range(20_000):
            conn.execute("INSERT INTO logs VALUES (NULL, ?, ?, ?, ?)", (n % 10, n // 10, rng.random(), _text(rng, 6)))
        for _ in range(5_000):
            conn.execute("INSERT INTO memories VALUES (NULL, ?)", (_text(rng, 20),))
        conn.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
        conn.close()

    def log(name: str) -> None:  # a command: open, write one row, commit, close
        conn = connect(name)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO logs VALUES (NULL, 1, 99999, 1.0, 'x')")
        conn.execute("COMMIT")
        conn.close()

    found: dict[str, dict[str, float]] = {}
    for name in setups:
        conn = connect(name)
        found[name] = {
            "open, write one log, commit": _median(lambda name=name: log(name), 15),  # type: ignore[misc]
            "group-by over 20,000 logs": _median(
                lambda conn=conn: conn.execute(
                    "SELECT habit, count(*), avg(value) FROM logs GROUP BY habit"
                ).fetchall(),
                15,
            ),
            "FTS5 search": _median(
                lambda conn=conn: conn.execute(
                    "SELECT rowid FROM fts WHERE fts MATCH 'knee OR coffee' LIMIT 32"
                ).fetchall(),
                15,
            ),
        }
        conn.close()
    ratios = {}
    for work, floor in found["sqlite"].items():
        for name in ("raw key", "passphrase"):
            ratios[f"SQLCipher ({name}): {work}"] = found[name][work] / floor
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000, help="messages (and a quarter as many facts)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paa-bench-enc-") as folder:
        homes = {True: Path(folder) / "plain", False: Path(folder) / "sealed"}
        for plain, home in homes.items():
            fill(home, args.items, plain)
        print(f"field-level AES-256-GCM, {args.items} messages, {args.items // 4} facts, 5 habits x 365 logs")
        print("ratio = sealed / plain, medians of the same run (1.00 = no cost)")
        for name, ratio in measure(homes, args.rounds).items():
            print(f"  {name:60s} x{ratio:.2f}")
        cipher = sqlcipher_ratios(Path(folder))
        if cipher is None:
            print("sqlcipher3 not installed: whole-database encryption not measured")
        else:
            print("whole-database encryption, ratio = SQLCipher / SQLite")
            for name, ratio in cipher.items():
                print(f"  {name:60s} x{ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
