"""The vector side of memory: each user's vectors in a SQLite file of their own kind, searched exactly with numpy.

`<data dir>/memory/vectors.sqlite3` holds one row per memory (`vectors`: user, memory id, the vector as 384 int8
values and a float32 scale, a cosine within 0.005 of the float one) and one per user (`sets`: which embedder made
that user's vectors, and a generation bumped by every write). A search loads the user's vectors once into a float32
matrix (cached in the process until the generation moves, so writes by another process are seen; its own writes
update it in place) and ranks them all by cosine with one matrix-vector product: exact, no approximate index, with
nothing heavier than numpy to import (chromadb's import took about 1 s of every one-shot search). A process that
read a user's vectors from the rows leaves them as one snapshot file, which the next process reads instead while
the generation has not moved. SQLite's own locking serialises writers across processes.

On PostgreSQL the same sets and vectors live in the main database instead (`SharedVectorIndex`, tables
`memory_vector_sets` and `memory_vectors`, migration 0013), so every process on it (API pods, daemons, a CLI on
another machine) shares one set per user; the search, the cache and the snapshots are the same.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from paa.ai import embeddings

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy import Engine

FILE_NAME = "vectors.sqlite3"
MIN_SIMILARITY = 0.2  # a vector hit less similar than this (cosine) is not a match, only the nearest of strangers
SCHEMA_VERSION = 3  # PRAGMA user_version: a file of another version is an old cache, emptied and made again
_SCHEMA = (
    "CREATE TABLE sets (user_id INTEGER PRIMARY KEY, embedder TEXT NOT NULL, generation INTEGER NOT NULL)",
    "CREATE TABLE vectors (user_id INTEGER NOT NULL, memory_id INTEGER NOT NULL, scale REAL NOT NULL, "
    "vector BLOB NOT NULL, PRIMARY KEY (user_id, memory_id)) WITHOUT ROWID",
)
# A random mark of this file, so a snapshot taken from a file since deleted (its generations count from 1 again)
# is never taken for one of the new file's. Version 2 was the same file without it.
_META = "CREATE TABLE meta (epoch TEXT NOT NULL)"
_SNAPSHOT = struct.Struct("<8s16sqq64s")  # magic, the file's epoch, generation, count, embedder id
_MAGIC = b"paavec01"


_EMBEDDERS: dict[tuple[Path, Path], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()  # two threads asking at once (a warm-up and a search) share one load
_SOURCE: Callable[[Path, Path], Embedder | None] | None = None  # see `use_embedder_source`


def load_embedder(model_dir: Path, cache_dir: Path) -> Embedder:
    """The embedder for these model files, loaded once per process: ONNX Runtime's when onnxruntime is installed (the
    model it builds is kept in `cache_dir`), else numpy's, which is also the fallback when the ONNX one cannot be
    built or loaded."""
    with _EMBEDDERS_LOCK:
        found = _EMBEDDERS.get((model_dir, cache_dir))
        if found is None:
            # A warm worker asks the warm server's embedding helper, which has the model loaded already.
            source = _SOURCE
            found = (source(model_dir, cache_dir) if source else None) or _new_embedder(model_dir, cache_dir)
            _EMBEDDERS[(model_dir, cache_dir)] = found
        return found


def use_embedder_source(source: Callable[[Path, Path], Embedder | None] | None) -> None:
    """Have `load_embedder` ask `source` first for an embedder of given model files (a warm server's embedding
    helper, `paa.ai.embedding_helper`), loading the model here only when it gives None; None: always here."""
    global _SOURCE
    _SOURCE = source


def loaded_embedder(model_dir: Path, cache_dir: Path) -> Embedder | None:
    """The embedder for these model files if this process has loaded it already, else None, without waiting for a
    load under way (a dict read is atomic; taking the lock would wait for it)."""
    return _EMBEDDERS.get((model_dir, cache_dir))


def forget_embedders() -> None:
    """Let go of the loaded embedders (tests that load another kind)."""
    with _EMBEDDERS_LOCK:
        _EMBEDDERS.clear()


def forget_embedder(model_dir: Path, cache_dir: Path) -> None:
    """Let go of the embedder of these model files: the next `load_embedder` loads them again."""
    with _EMBEDDERS_LOCK:
        _EMBEDDERS.pop((model_dir, cache_dir), None)


def _new_embedder(model_dir: Path, cache_dir: Path) -> Embedder:
    if embeddings.backend() == "onnx int8":
        from paa.ai.embeddings_onnx import OnnxMiniLMEmbedder

        try:
            found = OnnxMiniLMEmbedder(model_dir, cache_dir)
        except Exception as error:  # an onnxruntime too old for the graph, a cache folder not writable: numpy works
            embeddings.record_onnx_failure(cache_dir, error)  # so `paa doctor` says numpy runs, and why
        else:
            embeddings.record_onnx_failure(cache_dir, None)
            return found
    return embeddings.load_embedder(model_dir)


class Embedder(Protocol):
    """What the index needs of an embedder (`embeddings.MiniLMEmbedder`, `embeddings_onnx.OnnxMiniLMEmbedder`)."""

    embedder_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class VectorStore(Protocol):
    """What memory asks of wherever vectors are kept: `VectorIndex` (a file beside a SQLite database),
    `SharedVectorIndex` (the PostgreSQL database itself) or `paa.ai.chroma.ChromaVectorIndex` (a Chroma server)."""

    embedder: Embedder
    min_similarity: float
    cascades: bool  # the store deletes a vector with its memory or user by itself
    in_database: bool  # vectors are stored in the main database, inside the caller's transaction when given one

    def is_current(self, user_id: int) -> bool: ...
    def count(self, user_id: int) -> int: ...
    def memory_ids(self, user_id: int) -> set[int]: ...
    def load(self, user_id: int) -> object: ...
    def scored(self, user_id: int, query: str, depth: int) -> list[tuple[int, float]]: ...
    def scoring(self, user_id: int, query: str, depth: int) -> Callable[[], list[tuple[int, float]]]: ...
    def ranking(self, user_id: int, query: str, depth: int) -> list[int]: ...
    def upsert(self, user_id: int, rows: Sequence[tuple[int, str, str]], *, connection: Any = None) -> None: ...
    def delete(self, user_id: int, memory_ids: Iterable[int]) -> None: ...
    def reset(self, user_id: int) -> None: ...
    def users_on_record(self) -> set[int]: ...
    def drop_orphans(
        self,
        user_ids: Iterable[int],
        memory_ids: Callable[[int], set[int]],
        newest: int,
        *,
        on_record: Iterable[int] | None = None,
    ) -> int: ...
    def close(self) -> None: ...


@dataclass
class _Loaded:
    generation: int
    ids: Any  # int64 memory ids, in the matrix's row order
    matrix: Any  # float32, one unit vector per row


@dataclass(frozen=True)
class _Set:
    """A user's set of vectors: the embedder that made them, and its generation (bumped by every write)."""

    embedder: str
    generation: int


class VectorIndex:
    """One data folder's vectors, for every user; thread-safe (one connection, used under a lock).

    The reading, caching, searching and snapshots are the same for `SharedVectorIndex` (the vectors in the main
    PostgreSQL database); the storage is in the methods it overrides: `_set_of`, `_epoch_of`, `_read`, `_store`,
    `_remove`, `_clear`, `count`, `memory_ids` and `close`.
    """

    cascades = False  # the store deletes a vector with its memory or user by itself (`SharedVectorIndex`)
    in_database = False  # vectors are stored in the main database (`SharedVectorIndex`)

    def __init__(self, folder: Path, embedder: Embedder, *, min_similarity: float = 0.0) -> None:
        self.folder = folder
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.path = folder / FILE_NAME
        self._conn: sqlite3.Connection | None = None
        self._loaded: dict[int, _Loaded] = {}
        self._checked: set[int] = set()  # users whose set was found made by this embedder (see `is_current`)
        self._lock = threading.RLock()
        self._closed = False
        self._epoch = b""

    # ---- the file ------------------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._closed:  # a thread that outlived its runtime: the file stays closed
                raise RuntimeError("the vector index is closed")
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():  # private from the start: vectors hint at what memories mean
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # an index: a crash loses at most vectors made again later
            # A forgotten memory's vector is overwritten with zeros in the file, not left in a free page.
            conn.execute("PRAGMA secure_delete=ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                if version != 2:
                    # Vectors are an index of the database: rows marked embedded with no vector here are made again.
                    conn.execute("DROP TABLE IF EXISTS vectors")
                    conn.execute("DROP TABLE IF EXISTS sets")
                    for statement in _SCHEMA:
                        conn.execute(statement)
                conn.execute("DROP TABLE IF EXISTS meta")
                conn.execute(_META)
                conn.execute("INSERT INTO meta (epoch) VALUES (?)", (secrets.token_hex(8),))
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            self._epoch = bytes.fromhex(conn.execute("SELECT epoch FROM meta").fetchone()[0])
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._loaded.clear()

    def _set_of(self, user_id: int) -> _Set | None:
        return _file_set(self._connection(), user_id)

    def _epoch_of(self, user_id: int) -> bytes:
        """What marks this store in a snapshot, so a snapshot of a store since deleted (its generations count from 1
        again) is never taken for one of the new store's."""
        self._connection()
        return self._epoch

    def _read(self, user_id: int) -> tuple[int, Any, Any, bytes] | None:
        """The generation, ids, scales and int8 values of the user's vectors, from one state of the store; None
        when the set is gone or another embedder's."""
        import numpy as np

        conn = self._connection()
        with closing(conn.cursor()) as cursor:
            cursor.execute("BEGIN")  # ids and vectors from one state of the file
            try:
                found = _file_set(conn, user_id)
                rows = cursor.execute(
                    "SELECT memory_id, scale, vector FROM vectors WHERE user_id = ?", (user_id,)
                ).fetchall()
            finally:
                cursor.execute("COMMIT")
        if found is None or found.embedder != self.embedder.embedder_id:
            return None
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        scales = np.fromiter((row[1] for row in rows), dtype=np.float32, count=len(rows))
        return found.generation, ids, scales, b"".join(row[2] for row in rows)

    def _store(self, user_id: int, values: list[tuple[int, float, bytes]], connection: Any = None) -> _Set | None:
        """Store (memory id, scale, int8 bytes) rows in one transaction (a set of another embedder dropped first)
        and bump the generation; return the set as it was before. `connection`: the caller's, in a transaction of
        the main database (used where the vectors live there: `SharedVectorIndex`)."""
        with _Transaction(self._connection()) as conn:
            found = _file_set(conn, user_id)
            if found is None or found.embedder != self.embedder.embedder_id:
                conn.execute("DELETE FROM vectors WHERE user_id = ?", (user_id,))
            insert = "INSERT OR REPLACE INTO vectors (user_id, memory_id, scale, vector) VALUES (?, ?, ?, ?)"
            conn.executemany(insert, [(user_id, memory_id, scale, data) for memory_id, scale, data in values])
            self._bump(conn, user_id)
        return found

    def _remove(self, user_id: int, memory_ids: list[int]) -> _Set | None:
        with _Transaction(self._connection()) as conn:
            conn.executemany(
                "DELETE FROM vectors WHERE user_id = ? AND memory_id = ?", [(user_id, i) for i in memory_ids]
            )
            found = _file_set(conn, user_id)
            if found is not None:
                self._bump(conn, user_id, keep_embedder=True)
        self._erase_log()
        return found

    def _clear(self, user_id: int) -> None:
        with _Transaction(self._connection()) as conn:
            conn.execute("DELETE FROM vectors WHERE user_id = ?", (user_id,))
            self._bump(conn, user_id)
        self._erase_log()

    def _drop_users(self, user_ids: list[int]) -> None:
        """Delete every vector and the set of these users (gone from the database)."""
        with _Transaction(self._connection()) as conn:
            conn.executemany("DELETE FROM vectors WHERE user_id = ?", [(i,) for i in user_ids])
            conn.executemany("DELETE FROM sets WHERE user_id = ?", [(i,) for i in user_ids])
        self._erase_log()

    def _stored_users(self) -> list[int]:
        """The users that have a set in this store."""
        return [int(row[0]) for row in self._connection().execute("SELECT user_id FROM sets")]

    def _erase_log(self) -> None:
        """Empty the write-ahead log after a deletion: it still holds the deleted vectors' pages as they were
        (`secure_delete` only clears the file's own). Another process reading at that moment keeps the log; it is
        emptied at a later deletion or checkpoint."""
        with suppress(sqlite3.Error):
            self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _bump(self, conn: sqlite3.Connection, user_id: int, *, keep_embedder: bool = False) -> None:
        embedder = "embedder" if keep_embedder else "excluded.embedder"
        conn.execute(
            "INSERT INTO sets (user_id, embedder, generation) VALUES (?, ?, 1) ON CONFLICT (user_id) DO UPDATE SET "
            f"embedder = {embedder}, generation = sets.generation + 1",
            (user_id, self.embedder.embedder_id),
        )

    # ---- reading -------------------------------------------------------------------------------------------------

    def is_current(self, user_id: int) -> bool:
        """True when the user's vectors were made by this index's embedder (False: none yet, or another's)."""
        if user_id in self._checked:
            return True
        with self._lock:
            found = self._set_of(user_id)
        current = found is not None and found.embedder == self.embedder.embedder_id
        if current:
            self._checked.add(user_id)
        return current

    def count(self, user_id: int) -> int:
        with self._lock:
            row = self._connection().execute("SELECT count(*) FROM vectors WHERE user_id = ?", (user_id,)).fetchone()
        return int(row[0])

    def memory_ids(self, user_id: int) -> set[int]:
        """The ids of the memories that have a vector."""
        with self._lock:
            rows = self._connection().execute("SELECT memory_id FROM vectors WHERE user_id = ?", (user_id,))
            return {int(row[0]) for row in rows}

    def load(self, user_id: int) -> _Loaded | None:
        """The user's vectors as a matrix, read again only when another write happened; None when there are none
        made by this embedder."""
        with self._lock:
            found = self._set_of(user_id)
            if found is None or found.embedder != self.embedder.embedder_id:
                self._loaded.pop(user_id, None)
                return None
            cached = self._loaded.get(user_id)
            if cached is not None and cached.generation == found.generation:
                return cached
            snapshot = self._read_snapshot(user_id, found.generation)
            if snapshot is not None:
                generation, (ids, scales, values) = found.generation, snapshot
            else:
                read = self._read(user_id)
                if read is None:  # dropped or made by another embedder since `found`
                    self._loaded.pop(user_id, None)
                    return None
                generation, ids, scales, values = read
                self._write_snapshot(user_id, generation, ids, scales, values)
            loaded = _Loaded(generation, ids, unpack(values, scales))
            self._loaded[user_id] = loaded
            return loaded

    # ---- snapshots: what a new process reads instead of every row ---------------------------------------------

    def _snapshot_path(self, user_id: int) -> Path:
        return self.folder / f"u{user_id}.snapshot"

    def _read_snapshot(self, user_id: int, generation: int) -> tuple[Any, Any, Any] | None:
        """The user's ids, scales and int8 values as of `generation`, from the snapshot a process wrote after reading
        them (one file read, against 50,000 rows from the store); None when there is none for this generation."""
        import numpy as np

        try:
            with self._snapshot_path(user_id).open("rb") as handle:
                head = handle.read(_SNAPSHOT.size)
                if len(head) != _SNAPSHOT.size:
                    return None
                magic, epoch, taken, count, embedder = _SNAPSHOT.unpack(head)
                wanted = (
                    _MAGIC,
                    self._epoch_of(user_id).ljust(16, b"\0"),
                    generation,
                    self.embedder.embedder_id.encode(),
                )
                if (magic, epoch, taken, embedder.rstrip(b"\0")) != wanted:
                    return None
                body = handle.read()
        except OSError:
            return None
        if len(body) != count * (12 + embeddings.DIMENSIONS):
            return None
        ids = np.frombuffer(body, dtype="<i8", count=count)
        scales = np.frombuffer(body, dtype="<f4", count=count, offset=count * 8)
        return ids, scales, memoryview(body)[count * 12 :]

    def _write_snapshot(self, user_id: int, generation: int, ids: Any, scales: Any, values: bytes) -> None:
        """Keep what was just read for the next process (written aside and renamed; a failure costs only speed)."""
        path = self._snapshot_path(user_id)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        head = _SNAPSHOT.pack(
            _MAGIC,
            self._epoch_of(user_id).ljust(16, b"\0"),
            generation,
            len(ids),
            self.embedder.embedder_id.encode()[:64],
        )
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(head)
                handle.write(ids.astype("<i8").tobytes())
                handle.write(scales.astype("<f4").tobytes())
                handle.write(values)
            os.replace(temporary, path)
        except OSError:
            with suppress(OSError):
                temporary.unlink()
            return
        # A deletion committed while these vectors were read unlinks the snapshot before this one is in place: look
        # once more, after it is, so a snapshot with deleted vectors in it never stays (`_drop_snapshot`).
        found = self._set_of(user_id)
        if found is None or found.generation != generation:
            self._drop_snapshot(user_id)

    def _drop_snapshot(self, user_id: int) -> None:
        with suppress(OSError):
            self._snapshot_path(user_id).unlink(missing_ok=True)

    def users_on_record(self) -> set[int]:
        """The users this store holds anything of: a set of vectors (where the store is not the database's) or a
        snapshot file. `drop_orphans` drops only users read here before the database was read."""
        with self._lock:
            stored = set() if self.cascades else set(self._stored_users())
            owners = {_snapshot_user(path.name) for path in self.folder.glob("u*.snapshot")}
        return stored | {owner for owner in owners if owner is not None}

    def drop_orphans(
        self,
        user_ids: Iterable[int],
        memory_ids: Callable[[int], set[int]],
        newest: int,
        *,
        on_record: Iterable[int] | None = None,
    ) -> int:
        """Delete what the database no longer has: the vectors, set and snapshot of users not in `user_ids`, the
        vectors of memories not in `memory_ids(user)`, and snapshots of an older generation (deletions made outside
        paa, such as a user deleted with SQL, or by a process on another machine); return how many vectors went.

        A vector of a memory id above `newest` (the highest the caller saw) is kept: on SQLite a writer stores the
        vectors of its new memories before it commits them, so they are not seen yet. Likewise only users in
        `on_record` (`users_on_record()` read before the caller read `user_ids`; default: everyone) are dropped: a
        user who registered after the caller read the users, and got vectors before this looks, is not a deleted
        one."""
        known = set(user_ids)
        candidates = None if on_record is None else set(on_record)
        dropped = 0
        with self._lock:
            # Where the vectors live in the database, its foreign keys delete them with their memory or user: only
            # this machine's snapshot files can be left over.
            stored = [] if self.cascades else self._stored_users()
            gone = [user for user in stored if user not in known and (candidates is None or user in candidates)]
            for user in gone:
                dropped += self.count(user)
            if gone:
                self._drop_users(gone)
            for user in gone:
                self._drop_snapshot(user)
                self._loaded.pop(user, None)
                self._checked.discard(user)
            for user in stored:
                if user in known:
                    extra = {i for i in self.memory_ids(user) - memory_ids(user) if i <= newest}
                    if extra:
                        self.delete(user, extra)
                        dropped += len(extra)
            for path in self.folder.glob("u*.snapshot"):
                owner = _snapshot_user(path.name)
                if owner is None:
                    continue
                if owner not in known and candidates is not None and owner not in candidates:
                    continue  # a user newer than what the caller read: nothing is known of her yet
                found = self._set_of(owner) if owner in known else None
                if found is None or self._snapshot_generation(path) != found.generation:
                    self._drop_snapshot(owner)
        return dropped

    def _snapshot_generation(self, path: Path) -> int | None:
        try:
            with path.open("rb") as handle:
                head = handle.read(_SNAPSHOT.size)
        except OSError:
            return None
        if len(head) != _SNAPSHOT.size:
            return None
        return int(_SNAPSHOT.unpack(head)[2])

    def scored(self, user_id: int, query: str, depth: int) -> list[tuple[int, float]]:
        """(memory id, cosine similarity) of the memories nearest in meaning to `query`, best first, similar enough
        to count (at least `min_similarity`)."""
        return self.scoring(user_id, query, depth)()

    def scoring(self, user_id: int, query: str, depth: int) -> Callable[[], list[tuple[int, float]]]:
        """`scored`, begun now where another process does it, its answer given by the returned function: a warm
        worker's one-shot search, whose embedding helper holds the vectors read already, embeds the query and
        scores while the worker ranks by words. A process that read the vectors itself (a chat or the TUI warms up)
        keeps them here, where its own writes update them, and scores when the function is called."""
        here = self.in_database or user_id in self._loaded
        begin = None if here else getattr(self.embedder, "score_later", None)
        answer = begin(self.folder, self.min_similarity, user_id, query, depth) if begin is not None else None

        def scored() -> list[tuple[int, float]]:
            found = answer() if answer is not None else None
            return found if found is not None else self._scored_here(user_id, query, depth)

        return scored

    def _scored_here(self, user_id: int, query: str, depth: int) -> list[tuple[int, float]]:
        import numpy as np

        loaded = self.load(user_id)
        if loaded is None or len(loaded.ids) == 0 or depth <= 0:
            return []
        vector = self.embedder.embed([query])[0]
        similarities = loaded.matrix @ vector
        depth = min(depth, len(similarities))
        top = np.argpartition(-similarities, depth - 1)[:depth]
        top = top[np.argsort(-similarities[top], kind="stable")]
        return [(int(loaded.ids[i]), float(similarities[i])) for i in top if similarities[i] >= self.min_similarity]

    def ranking(self, user_id: int, query: str, depth: int) -> list[int]:
        """Memory ids nearest in meaning to `query`, best first, similar enough to count."""
        return [memory_id for memory_id, _similarity in self.scored(user_id, query, depth)]

    # ---- writing -------------------------------------------------------------------------------------------------

    def upsert(self, user_id: int, rows: Sequence[tuple[int, str, str]], *, connection: Any = None) -> None:
        """Store vectors for (id, kind, content) rows; an id already there is replaced. A user's vectors made by
        another embedder are dropped first: the two are never compared.

        `connection`: the caller's connection to the main database, inside its write transaction. On PostgreSQL the
        vectors are then stored in that transaction (they see its uncommitted memories, and commit or roll back
        with them); the vector file ignores it."""
        if not rows:
            return

        import numpy as np

        scales, values8 = pack(self.embedder.embed([content for _id, _kind, content in rows]))
        values = [
            (memory_id, float(scales[i]), values8[i].tobytes()) for i, (memory_id, _kind, _content) in enumerate(rows)
        ]
        with self._lock:
            found = self._store(user_id, values, connection)
            ids = np.array([memory_id for memory_id, _kind, _content in rows], dtype=np.int64)
            self._follow(user_id, found, ids, unpack(values8.tobytes(), scales))

    def delete(self, user_id: int, memory_ids: Iterable[int]) -> None:
        ids = [int(memory_id) for memory_id in memory_ids]
        if not ids:
            return
        import numpy as np

        with self._lock:
            found = self._remove(user_id, ids)
            self._drop_snapshot(user_id)  # it holds the deleted vectors; the next process to read writes another
            self._follow(user_id, found, np.array(ids, dtype=np.int64), None)

    def reset(self, user_id: int) -> None:
        """Drop the user's vectors; the set starts again, empty, as this embedder's."""
        with self._lock:
            self._clear(user_id)
            self._drop_snapshot(user_id)
            self._loaded.pop(user_id, None)

    def _follow(self, user_id: int, before: _Set | None, ids: Any, matrix: Any | None) -> None:
        """Apply this process's own write to its cached matrix (rows of `ids` replaced by `matrix`'s, or removed when
        it is None) instead of reading every vector again: a chat whose indexer stores each new message would
        otherwise read all 50,000 before the next search. Only when no other write came between the two."""
        import numpy as np

        cached = self._loaded.get(user_id)
        if cached is None:
            return
        if before is None or before.embedder != self.embedder.embedder_id or cached.generation != before.generation:
            self._loaded.pop(user_id, None)  # the next search reads them all
            return
        keep = ~np.isin(cached.ids, ids)
        if matrix is None:
            self._loaded[user_id] = _Loaded(before.generation + 1, cached.ids[keep], cached.matrix[keep])
        else:
            self._loaded[user_id] = _Loaded(
                before.generation + 1,
                np.concatenate([cached.ids[keep], ids]),
                np.concatenate([cached.matrix[keep], matrix]),
            )


# A vector as `SharedVectorIndex._read` gets it from PostgreSQL: int8send's id, float4send's scale (both big-endian),
# then the 384 int8 values.
_RECORD = [("id", ">i8"), ("scale", ">f4"), ("vector", "i1", (embeddings.DIMENSIONS,))]


class SharedVectorIndex(VectorIndex):
    """The vectors of every user in the main PostgreSQL database (`memory_vectors`, `memory_vector_sets`, made by
    migration 0013), so every process on that database (API pods, daemons, the CLI) finds what any of them embedded.

    Searching is the same as the file's: the user's vectors read once into a matrix, cached in the process until
    their set's generation moves, and snapshot files in `folder` for the next process of this machine. Every
    statement names its user (`user_id = :user`) and a vector can only be stored for a memory of that same user.
    Writers of one user queue on their set's row (`FOR UPDATE`); different users write at once.
    """

    cascades = True  # memory_vectors and memory_vector_sets reference memories and users ON DELETE CASCADE
    in_database = True

    def __init__(self, folder: Path, embedder: Embedder, engine: Engine, *, min_similarity: float = 0.0) -> None:
        super().__init__(folder, embedder, min_similarity=min_similarity)
        self.engine = engine
        self._epochs: dict[int, bytes] = {}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._loaded.clear()

    def _connection(self) -> sqlite3.Connection:  # pragma: no cover - a guard: this index has no vector file
        raise RuntimeError("the shared vector index keeps no vector file")

    def _begin(self) -> Any:
        if self._closed:  # a thread that outlived its runtime opens nothing
            raise RuntimeError("the vector index is closed")
        return self.engine.begin()

    def _connect(self) -> Any:
        if self._closed:
            raise RuntimeError("the vector index is closed")
        return self.engine.connect()

    def _set_of(self, user_id: int) -> _Set | None:
        from sqlalchemy import text

        with self._connect() as conn:
            row = conn.execute(
                text("SELECT embedder, generation, epoch FROM memory_vector_sets WHERE user_id = :user"),
                {"user": user_id},
            ).first()
        if row is None:
            return None
        self._epochs[user_id] = bytes.fromhex(row[2])
        return _Set(str(row[0]), int(row[1]))

    def _epoch_of(self, user_id: int) -> bytes:
        # Each user's set has its own random epoch, made with the row: a database made again, or another database
        # seen through the same data folder, never matches a snapshot of this one.
        found = self._epochs.get(user_id)
        if found is None:
            self._set_of(user_id)
            found = self._epochs.get(user_id, b"")
        return found

    def count(self, user_id: int) -> int:
        from sqlalchemy import text

        with self._lock, self._connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM memory_vectors WHERE user_id = :user"), {"user": user_id}
            ).scalar_one()
        return int(found)

    def memory_ids(self, user_id: int) -> set[int]:
        from sqlalchemy import text

        with self._lock, self._connect() as conn:
            rows = conn.execute(text("SELECT memory_id FROM memory_vectors WHERE user_id = :user"), {"user": user_id})
            return {int(row[0]) for row in rows}

    def _read(self, user_id: int) -> tuple[int, Any, Any, bytes] | None:
        import numpy as np

        # One statement, so the generation and the vectors are of one state; each row one record (id, scale,
        # vector: `_RECORD`) in one byte string, fetched in binary (hex text doubled the bytes and the time: 50,000
        # vectors took 0.3 s more). Each record carries its id, so no order is asked for.
        query = (
            "SELECT s.generation, s.epoch, int8send(v.memory_id::bigint) || float4send(v.scale) || v.vector "
            "FROM memory_vector_sets AS s LEFT JOIN memory_vectors AS v ON v.user_id = s.user_id "
            "WHERE s.user_id = %(user)s AND s.embedder = %(embedder)s"
        )
        with self._connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            with dbapi.cursor(binary=True) as cursor:
                cursor.execute(query, {"user": user_id, "embedder": self.embedder.embedder_id})
                rows = cursor.fetchall()
        if not rows:
            return None
        generation, epoch = int(rows[0][0]), str(rows[0][1])
        self._epochs[user_id] = bytes.fromhex(epoch)
        records = b"".join(row[2] for row in rows if row[2] is not None)
        found = np.frombuffer(records, dtype=_RECORD)
        return (
            generation,
            found["id"].astype(np.int64),
            found["scale"].astype(np.float32),
            np.ascontiguousarray(found["vector"]).tobytes(),
        )

    def _lock_set(self, conn: Any, user_id: int) -> _Set:
        """The user's set, made (empty, generation 0) when there is none, locked until the transaction ends."""
        from sqlalchemy import text

        conn.execute(
            text(
                "INSERT INTO memory_vector_sets (user_id, embedder, generation, epoch) "
                "VALUES (:user, :embedder, 0, :epoch) ON CONFLICT (user_id) DO NOTHING"
            ),
            {"user": user_id, "embedder": self.embedder.embedder_id, "epoch": secrets.token_hex(8)},
        )
        row = conn.execute(
            text("SELECT embedder, generation FROM memory_vector_sets WHERE user_id = :user FOR UPDATE"),
            {"user": user_id},
        ).one()
        return _Set(str(row[0]), int(row[1]))

    def _bump_set(self, conn: Any, user_id: int, *, keep_embedder: bool = False) -> None:
        from sqlalchemy import text

        embedder = "embedder" if keep_embedder else ":embedder"
        conn.execute(
            text(
                f"UPDATE memory_vector_sets SET embedder = {embedder}, generation = generation + 1 "
                "WHERE user_id = :user"
            ),
            {"user": user_id, "embedder": self.embedder.embedder_id},
        )

    def _store(self, user_id: int, values: list[tuple[int, float, bytes]], connection: Any = None) -> _Set | None:
        from sqlalchemy import text
        from sqlalchemy.exc import IntegrityError

        # Only for a memory of this very user (a vector can never be filed under another user's memory), and only
        # while it exists: one forgotten since it was read is skipped.
        insert = text(
            "INSERT INTO memory_vectors (user_id, memory_id, scale, vector) "
            "SELECT :user, m.id, :scale, :vector FROM memories AS m WHERE m.id = :memory AND m.user_id = :user "
            "ON CONFLICT (user_id, memory_id) DO UPDATE SET scale = EXCLUDED.scale, vector = EXCLUDED.vector"
        )
        params = [{"user": user_id, "memory": i, "scale": scale, "vector": data} for i, scale, data in values]
        for attempt in (1, 2):
            try:
                # In the caller's transaction, a savepoint: a failure here must not abort the caller's work.
                with connection.begin_nested() if connection is not None else self._begin() as transaction:
                    conn = connection if connection is not None else transaction
                    found = self._lock_set(conn, user_id)
                    if found.embedder != self.embedder.embedder_id:
                        conn.execute(text("DELETE FROM memory_vectors WHERE user_id = :user"), {"user": user_id})
                    conn.execute(insert, params)
                    self._bump_set(conn, user_id)
                # Stored in the caller's transaction, which may still roll back: the cached matrix is not updated
                # in place (None: read them again), or it could pass for a generation another process makes later.
                return found if connection is None else None
            except IntegrityError:  # a memory deleted while its vector was being stored: once more, without it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _remove(self, user_id: int, memory_ids: list[int]) -> _Set | None:
        from sqlalchemy import bindparam, text

        with self._begin() as conn:
            row = conn.execute(
                text("SELECT embedder, generation FROM memory_vector_sets WHERE user_id = :user FOR UPDATE"),
                {"user": user_id},
            ).first()
            conn.execute(
                text("DELETE FROM memory_vectors WHERE user_id = :user AND memory_id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"user": user_id, "ids": memory_ids},
            )
            if row is None:  # no set: making one here would say the user's vectors are all made (`is_current`)
                return None
            self._bump_set(conn, user_id, keep_embedder=True)
        return _Set(str(row[0]), int(row[1]))

    def _clear(self, user_id: int) -> None:
        from sqlalchemy import text

        with self._begin() as conn:
            self._lock_set(conn, user_id)
            conn.execute(text("DELETE FROM memory_vectors WHERE user_id = :user"), {"user": user_id})
            self._bump_set(conn, user_id)

    def _erase_log(self) -> None:  # PostgreSQL's own files are the database's business
        return None


# What chromadb left in `<data dir>/memory` while paa used it (until December 2026): its SQLite file, and a folder
# per collection named by a UUID holding only its HNSW index files; paa's own lock file of that time.
_CHROMA_FILES = ("chroma.sqlite3-wal", "chroma.sqlite3-shm", "chroma.sqlite3-journal", ".write.lock")
_CHROMA_INDEX_FILES = frozenset(
    {"data_level0.bin", "header.bin", "length.bin", "link_lists.bin", "index_metadata.pickle"}
)


def remove_chromadb_files(folder: Path) -> bool:
    """Delete the vectors an older paa kept with chromadb in `folder`, once (they are never read: their memories are
    embedded again); True when there were some. Only chromadb's own files go: a folder is removed only when its
    name is a UUID and it holds nothing but HNSW index files. `chroma.sqlite3` goes last, so an interrupted clean-up
    is finished by the next process."""
    import shutil
    import uuid

    marker = folder / "chroma.sqlite3"
    if not marker.is_file():
        return False
    for child in folder.iterdir():
        if not child.is_dir() or child.is_symlink():
            continue
        try:
            uuid.UUID(child.name)
        except ValueError:
            continue
        if {entry.name for entry in child.iterdir()} <= _CHROMA_INDEX_FILES:
            shutil.rmtree(child)
    for name in _CHROMA_FILES:
        (folder / name).unlink(missing_ok=True)
    marker.unlink()
    return True


def _snapshot_user(name: str) -> int | None:
    """The user id of a snapshot file's name (`u<id>.snapshot`), or None for another file."""
    digits = name.removeprefix("u").removesuffix(".snapshot")
    return int(digits) if digits.isdigit() and name == f"u{digits}.snapshot" else None


def _file_set(conn: sqlite3.Connection, user_id: int) -> _Set | None:
    row = conn.execute("SELECT embedder, generation FROM sets WHERE user_id = ?", (user_id,)).fetchone()
    return _Set(str(row[0]), int(row[1])) if row else None


def pack(vectors: Any) -> tuple[Any, Any]:
    """Vectors as (scales, int8 values): each vector's largest value becomes 127, its scale the float32 step."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    scales = (np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0).astype(np.float32)
    return scales, np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)


def unpack(data: bytes, scales: Any) -> Any:
    """`pack`'s int8 rows, concatenated, back as a float32 matrix (one vector a row); one pass and one allocation."""
    import numpy as np

    matrix = np.frombuffer(data, dtype=np.int8).reshape(len(scales), embeddings.DIMENSIONS).astype(np.float32)
    matrix *= scales[:, None]
    return matrix


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an error): one writer at a time, across processes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
