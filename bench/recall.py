"""Benchmark: memory search's recall on generated multi-session conversations with labelled evidence.

The conversations (tests/support/recall_dataset.py, fixed seed) are dated sessions between two named friends, or
between the user and the assistant; each question (a paraphrase, one naming a person, a "when did", one naming a
day, other forms of the words) has its evidence turns. Each conversation belongs to a user of its own in one real
SQLite database, written through paa's own `index_message` (as chat and import store messages) and embedded with
the real local model; each question searches its own conversation through `paa.ai.memory.search`. It prints, per
method, how often an evidence turn is in the top 5 and the top 10, by kind of question, and the time per search.

    python bench/recall.py [--conversations 16] [--seed 18] [--home DIR]
    python bench/recall.py --conversations 450 --one-user --questions 600 --methods blend,rank
      (~50,000 memories of one user: recall and p95 at that size)

With --home the filled data folder is kept and reused by the next run with the same seed and size (the vectors
take a minute or two on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.recall_dataset import Conversation, generate, store

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def load(home: Path, conversations: list[Conversation], *, one_user: bool = False) -> list[dict[int, int]]:
    """Write each conversation as a user's chat through `index_message` (with `one_user`, all of them as one
    user's), embed everything; return, per conversation, its turns' memory ids (turn index -> memory id)."""
    os.environ["PAA_HOME"] = str(home)
    from sqlmodel import select

    from paa.ai import memory
    from paa.clock import FixedClock
    from paa.core.runtime import Runtime
    from paa.db.models import User

    turn_ids: list[dict[int, int]] = []
    with Runtime.from_environ(os.environ, clock=FixedClock(NOW)) as runtime:
        for number, conversation in enumerate(conversations):
            with runtime.context(write=True) as base:
                if one_user:  # a large memory, written as an import writes it (otherwise message by message, as chat)
                    turn_ids.append(store(base, conversation, at_once=True))
                    continue
                user = User(username=f"reader{number}", display_name=conversation.people[0], created_at=NOW)
                base.session.add(user)
                base.session.flush()
                turn_ids.append(store(replace(base, user=user), conversation))
        with runtime.context() as base:
            for user in base.session.exec(select(User)).all():
                memory.embed_pending(replace(base, user=user), batch=256)
    return turn_ids


def methods(memory_module: object) -> dict[str, Callable[..., list[int]]]:
    """The rankings compared, by name: each takes (ctx, query, depth) and returns memory ids, best first."""
    from paa.ai import memory

    def words(ctx, query, depth):  # type: ignore[no-untyped-def]
        return memory._word_ranking(ctx, query, depth, None)

    def vectors(ctx, query, depth):  # type: ignore[no-untyped-def]
        index = memory.MemoryService.of(ctx).vector_index()
        return index.ranking(ctx.user_id, query, depth) if index is not None else []

    found: dict[str, Callable[..., list[int]]] = {"words": words, "vectors": vectors}
    strategies = getattr(memory, "STRATEGIES", ())
    for strategy in strategies:
        found[strategy] = lambda ctx, query, depth, s=strategy: [  # type: ignore[misc]
            hit.memory_id
            for hit in memory.search(ctx, query, limit=depth, strategy=s)  # type: ignore[call-arg]
        ]
    if not strategies:
        found["search"] = lambda ctx, query, depth: [hit.memory_id for hit in memory.search(ctx, query, limit=depth)]
    return found


def evaluate(
    home: Path,
    conversations: list[Conversation],
    turn_ids: list[dict[int, int]],
    *,
    one_user: bool = False,
    only: tuple[str, ...] = (),
    questions: int = 0,
) -> dict[str, dict]:
    """Per method: hits in the top 5 and 10 overall and by category, and milliseconds per search."""
    os.environ["PAA_HOME"] = str(home)
    from sqlmodel import select

    from paa.ai import memory
    from paa.clock import FixedClock
    from paa.core.runtime import Runtime
    from paa.db.models import User

    results: dict[str, dict] = {}
    with Runtime.from_environ(os.environ, clock=FixedClock(NOW)) as runtime, runtime.context() as base:
        memory.warm_up(base)
        users = {u.username: u for u in base.session.exec(select(User)).all()}
        for name, rank in methods(memory).items():
            if only and name not in only:
                continue
            top5: dict[str, list[bool]] = defaultdict(list)
            top10: dict[str, list[bool]] = defaultdict(list)
            times: list[float] = []
            total = sum(len(conversation.questions) for conversation in conversations)
            stride = max(1, total // questions) if questions else 1  # every stride-th question, in order
            asked = 0
            for number, conversation in enumerate(conversations):
                ctx = base if one_user else replace(base, user=users[f"reader{number}"])
                for question in conversation.questions:
                    asked += 1
                    if asked % stride:
                        continue
                    wanted = {turn_ids[number][i] for i in question.evidence if i in turn_ids[number]}
                    began = time.perf_counter()
                    ranked = rank(ctx, question.text, 10)[:10]
                    times.append((time.perf_counter() - began) * 1000)
                    for category in ("all", question.category):
                        top5[category].append(bool(wanted & set(ranked[:5])))
                        top10[category].append(bool(wanted & set(ranked)))
            results[name] = {
                "top5": {k: sum(v) / len(v) for k, v in top5.items()},
                "top10": {k: sum(v) / len(v) for k, v in top10.items()},
                "count": {k: len(v) for k, v in top5.items()},
                "ms_p50": statistics.median(times),
                "ms_p95": sorted(times)[int(0.95 * (len(times) - 1))],
            }
    return results


def report(results: dict[str, dict]) -> None:
    categories = ["all", "paraphrase", "person", "when", "date", "wordform"]
    counts = next(iter(results.values()))["count"]
    print(f"{'method':<12}" + "".join(f"{c + ' (' + str(counts.get(c, 0)) + ')':>20}" for c in categories)
          + f"{'p50 ms':>9}{'p95 ms':>9}")  # fmt: skip
    for name, found in results.items():
        cells = "".join(f"{found['top5'].get(c, 0):>11.3f} / {found['top10'].get(c, 0):.3f}" for c in categories)
        print(f"{name:<12}{cells}{found['ms_p50']:>9.1f}{found['ms_p95']:>9.1f}")
    print("(each cell: evidence in the top 5 / in the top 10)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--home", type=Path, help="keep (and reuse) the filled data folder here")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument(
        "--one-user",
        action="store_true",
        help="every conversation is one user's (a large memory: each question searches all of it)",
    )
    parser.add_argument("--questions", type=int, default=0, help="ask about this many of the questions (0: all)")
    parser.add_argument("--methods", default="", help="only these methods, comma-separated (e.g. blend,rank)")
    options = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("PAA_KEYRING", "off")
    os.environ["PAA_TIMEZONE"] = "UTC"
    conversations = generate(options.seed, options.conversations)
    root = Path(tempfile.mkdtemp(prefix="paa-bench-recall-"))
    try:
        home = options.home or root / "home"
        marker = home / f".recall-{options.seed}-{options.conversations}{'-one' if options.one_user else ''}.json"
        if marker.exists():
            turn_ids = [{int(k): v for k, v in ids.items()} for ids in json.loads(marker.read_text())]
        else:
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            began = time.perf_counter()
            turn_ids = load(home, conversations, one_user=options.one_user)
            marker.write_text(json.dumps(turn_ids))
            turns = sum(len(c.turns) for c in conversations)
            print(f"wrote and embedded {turns:,} turns in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        only = tuple(name for name in options.methods.split(",") if name)
        results = evaluate(
            home, conversations, turn_ids, one_user=options.one_user, only=only, questions=options.questions
        )
        if options.json:
            print(json.dumps(results, indent=2))
        else:
            questions = sum(len(c.questions) for c in conversations)
            print(f"{options.conversations} conversations, {questions:,} questions (seed {options.seed})")
            report(results)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
