"""Benchmark: the vector store alone, the vector file (SQLite) against the shared tables (PostgreSQL) and a Chroma
server, one user.

Stores N random unit vectors for one user (no model: an embedder that looks up fixed random vectors made before
the clock starts, so only the store is measured), then times, wall and CPU milliseconds, what a search costs on
top of the model:

- reading the user's vectors in a new process with no snapshot (every row), and from the snapshot file;
- the check a warm process makes before each search (the user's generation: has another process written?);
- `scored` (one query's vector against every row, depth 32).

    python bench/vectors.py [--vectors 50000] [--pg postgresql+psycopg://user@host:port/postgres]
                            [--chroma http://127.0.0.1:8000]

With --pg, a throwaway database is created on that cluster (the role needs CREATEDB), migrated, filled and dropped.
With --chroma, the same vectors go to that Chroma server (a collection of a throwaway prefix, deleted after), which
has nothing to read ahead (its rows are the server's): store and `scored`, whose CPU column is this process's only
(the server's is not counted), and the recall of its approximate (HNSW) search: the share of the exact top 10 (by
cosine over every vector) that Chroma's top 10 holds, over 50 queries. Random vectors are the hard case for HNSW
(no neighbourhoods to follow); `PAA_MEMORY_CHROMA_URL=... python bench/recall.py` measures real memories.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BATCH = 1000
EMBEDDER_ID = "bench-random-1"


QUERIES = 50


class RandomEmbedder:
    """Text `v<i>` is the i-th of `count` fixed random unit vectors, `q<j>` the j-th of the queries' (any other text:
    the first)."""

    embedder_id = EMBEDDER_ID

    def __init__(self, count: int) -> None:
        import numpy as np

        from paa.ai import embeddings

        found = np.random.default_rng(count).standard_normal((count + 1 + QUERIES, embeddings.DIMENSIONS))
        self.table = (found / np.linalg.norm(found, axis=1, keepdims=True)).astype(np.float32)
        self.count = count

    def embed(self, texts: Any) -> Any:
        rows = [self._row(text) for text in texts]
        return self.table[rows]

    def _row(self, text: str) -> int:
        if text[:1] == "v" and text[1:].isdigit():
            return int(text[1:])
        if text[:1] == "q" and text[1:].isdigit():
            return self.count + 1 + int(text[1:])
        return 0


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def measure(make: Callable[[], Any], folder: Path, ids: list[int]) -> dict[str, tuple[float, float]]:
    index = make()
    began = time.perf_counter()
    for start in range(0, len(ids), BATCH):
        index.upsert(1, [(memory_id, "fact", f"v{memory_id}") for memory_id in ids[start : start + BATCH]])
    stored = (time.perf_counter() - began) * 1000 / (len(ids) / 1000)

    def cold() -> None:
        for snapshot in folder.glob("u*.snapshot"):
            snapshot.unlink()
        fresh = make()
        fresh.load(1)
        fresh.close()

    def from_snapshot() -> None:
        fresh = make()
        assert len(fresh.load(1).ids) == len(ids)
        fresh.close()

    found = {"store, per 1,000 vectors": (stored, float("nan"))}
    found["a new process reads every row"] = timed(cold, 5)
    found["a new process reads the snapshot"] = timed(from_snapshot, 5)
    index.load(1)
    found["a warm process checks the generation"] = timed(lambda: index.load(1), 200)
    found["scored (depth 32)"] = timed(lambda: index.scored(1, "query", 32), 100)
    index.close()
    return found


def on_sqlite(count: int) -> dict[str, tuple[float, float]]:
    from paa.ai.vectors import VectorIndex

    root = Path(tempfile.mkdtemp(prefix="paa-bench-vectors-"))
    try:
        folder = root / "memory"
        embedder = RandomEmbedder(count)
        return measure(lambda: VectorIndex(folder, embedder), folder, list(range(1, count + 1)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def on_postgresql(count: int, cluster: str) -> dict[str, tuple[float, float]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from paa.ai.vectors import SharedVectorIndex
    from paa.db.engine import create_db_engine
    from paa.db.migrate import ensure_current

    admin = create_engine(cluster, isolation_level="AUTOCOMMIT")
    name = f"paa_bench_vectors_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    root = Path(tempfile.mkdtemp(prefix="paa-bench-vectors-"))
    engine = create_db_engine(make_url(cluster).set(database=name).render_as_string(hide_password=False))
    try:
        ensure_current(engine, root / "backups")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, role, is_active, created_at) VALUES ('a', 'member', TRUE, now())")
            )
            conn.execute(
                text(
                    "INSERT INTO memories (user_id, kind, content, derived, created_at) "
                    "SELECT 1, 'fact', 'x', FALSE, now() FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
            ids = [row[0] for row in conn.execute(text("SELECT id FROM memories ORDER BY id"))]
        folder = root / "memory"
        embedder = RandomEmbedder(count)
        return measure(lambda: SharedVectorIndex(folder, embedder, engine), folder, ids)
    finally:
        engine.dispose()
        shutil.rmtree(root, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def exact_top(count: int, depth: int) -> list[set[int]]:
    """The true top `depth` ids of each query, by cosine over every vector (what paa's own stores return)."""
    import numpy as np

    embedder = RandomEmbedder(count)
    matrix = embedder.table[1 : count + 1]
    tops = []
    for query in range(QUERIES):
        similarities = matrix @ embedder.embed([f"q{query}"])[0]
        tops.append({int(i) + 1 for i in np.argsort(-similarities)[:depth]})
    return tops


def on_chroma(count: int, url: str) -> dict[str, tuple[float, float]]:
    from paa.ai.chroma import ChromaTarget, ChromaVectorIndex

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    embedder = RandomEmbedder(count)
    index = ChromaVectorIndex(ChromaTarget(url, prefix, None, 120.0), embedder)
    ids = list(range(1, count + 1))
    try:
        began = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            index.upsert(1, [(memory_id, "fact", f"v{memory_id}") for memory_id in ids[start : start + BATCH]])
        stored = (time.perf_counter() - began) * 1000 / (len(ids) / 1000)
        found = {"store, per 1,000 vectors": (stored, float("nan"))}
        found["scored (depth 32)"] = timed(lambda: index.scored(1, "q0", 32), 100)
        exact = exact_top(count, 10)
        held = [len({i for i, _s in index.scored(1, f"q{q}", 10)} & exact[q]) / 10 for q in range(QUERIES)]
        found[f"recall of the exact top 10 (x1000, {QUERIES} queries)"] = (statistics.mean(held) * 1000, float("nan"))
        return found
    finally:
        index._drop(1)  # the throwaway collection
        index.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=50_000, help="vectors of the measured user")
    parser.add_argument("--pg", help="a PostgreSQL cluster's URL (postgresql+psycopg://...) to measure as well")
    parser.add_argument("--chroma", help="a Chroma server's URL (http://host:port) to measure as well")
    options = parser.parse_args()
    runs = {"SQLite file": on_sqlite(options.vectors)}
    if options.pg:
        runs["PostgreSQL"] = on_postgresql(options.vectors, options.pg)
    if options.chroma:
        runs["Chroma server"] = on_chroma(options.vectors, options.chroma)
    import os

    print(f"{options.vectors:,} vectors of one user; median milliseconds, wall / CPU (load {os.getloadavg()[0]:.1f})")
    for engine, found in runs.items():
        print(f"  {engine}:")
        for what, (wall, cpu) in found.items():
            print(f"    {what:40} {wall:8.2f} / " + ("-" if cpu != cpu else f"{cpu:.2f}"))  # NaN: not measured
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
