"""The vector index on its own: a real SQLite file, two indexes on it as two processes would have, a small embedder
that gives each word its own direction (so which vectors are near is known without the model)."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from paa.ai import embeddings  # noqa: E402
from paa.ai.vectors import FILE_NAME, VectorIndex  # noqa: E402

WORDS = ("tea", "coffee", "run", "piano", "budget")


class WordEmbedder:
    """A unit vector per text: one axis per known word it holds (texts with no known word get the last axis)."""

    def __init__(self, embedder_id: str = "words-1") -> None:
        self.embedder_id = embedder_id
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> Any:
        self.calls += 1
        out = np.zeros((len(texts), embeddings.DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for axis, word in enumerate(WORDS):
                if word in text:
                    out[row, axis] = 1.0
            if not out[row].any():
                out[row, -1] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def index(tmp_path: Path) -> Any:
    made = VectorIndex(tmp_path / "memory", WordEmbedder(), min_similarity=0.2)
    yield made
    made.close()


def test_nearest_first_with_their_similarity_and_strangers_left_out(index: VectorIndex) -> None:
    index.upsert(1, [(10, "fact", "tea"), (11, "fact", "tea and coffee"), (12, "fact", "piano"), (13, "fact", "run")])
    found = index.scored(1, "tea", 10)
    assert [memory_id for memory_id, _ in found] == [10, 11]  # piano and run are not similar enough to count
    assert found[0][1] == pytest.approx(1.0, abs=1e-3) and found[1][1] == pytest.approx(2**-0.5, abs=1e-3)
    assert index.ranking(1, "tea", 1) == [10]
    assert index.scored(2, "tea", 10) == []  # another user has no vectors: never another's


def test_upsert_replaces_delete_and_reset_remove(index: VectorIndex) -> None:
    index.upsert(1, [(10, "fact", "tea"), (11, "fact", "coffee")])
    index.upsert(1, [(10, "fact", "piano")])
    assert index.ranking(1, "tea", 10) == [] and index.ranking(1, "piano", 10) == [10]
    index.delete(1, [10])
    assert index.memory_ids(1) == {11} and index.count(1) == 1
    index.reset(1)
    assert index.memory_ids(1) == set() and index.is_current(1)


def test_another_process_sees_writes_and_another_embedders_vectors_are_ignored(tmp_path: Path) -> None:
    first = VectorIndex(tmp_path / "memory", WordEmbedder())
    second = VectorIndex(tmp_path / "memory", WordEmbedder())
    first.upsert(1, [(10, "fact", "tea")])
    assert second.ranking(1, "tea", 5) == [10]
    first.upsert(1, [(11, "fact", "tea and piano")])
    assert second.ranking(1, "tea", 5) == [10, 11]  # its cached matrix is read again after the other's write
    other = VectorIndex(tmp_path / "memory", WordEmbedder("another-model"))
    assert not other.is_current(1) and other.ranking(1, "tea", 5) == []
    other.upsert(1, [(12, "fact", "coffee")])  # that user's set is made again, by the new embedder alone
    assert other.memory_ids(1) == {12}
    assert first.ranking(1, "tea", 5) == []  # the first embedder's vectors are gone, the new ones not its kind
    for made in (first, second, other):
        made.close()


def test_its_own_writes_update_the_cached_vectors_as_a_fresh_read_would(tmp_path: Path) -> None:
    writer = VectorIndex(tmp_path / "memory", WordEmbedder(), min_similarity=0.2)
    writer.upsert(1, [(10, "fact", "tea"), (11, "fact", "coffee"), (12, "fact", "run")])
    cached = writer.load(1)
    writer.upsert(1, [(11, "fact", "piano"), (13, "fact", "budget")])
    writer.delete(1, [12])
    followed = writer.load(1)
    assert followed is not cached  # not read again: brought up to date in place
    fresh = VectorIndex(tmp_path / "memory", WordEmbedder()).load(1)
    assert followed is not None and fresh is not None and followed.generation == fresh.generation
    order = np.argsort(followed.ids)
    assert followed.ids[order].tolist() == sorted(fresh.ids.tolist()) == [10, 11, 13]
    assert np.array_equal(followed.matrix[order], fresh.matrix[np.argsort(fresh.ids)])
    other = VectorIndex(tmp_path / "memory", WordEmbedder())
    other.upsert(1, [(14, "fact", "tea")])  # a write by another process in between: read everything again
    writer.upsert(1, [(15, "fact", "coffee")])
    assert sorted(writer.ranking(1, "tea", 10)) == [10, 14]


def test_the_file_is_private_and_a_closed_index_opens_nothing(index: VectorIndex) -> None:
    index.upsert(1, [(10, "fact", "tea")])
    path = index.folder / FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(index.folder.stat().st_mode) == 0o700
    with sqlite3.connect(path) as conn:  # nothing but ids and numbers: no text of a memory is kept here
        assert conn.execute("SELECT user_id, memory_id, length(vector) FROM vectors").fetchall() == [(1, 10, 384)]
    index.close()
    with pytest.raises(RuntimeError):
        index.ranking(1, "tea", 5)


def test_vectors_are_kept_in_eight_bits_with_a_scale_each() -> None:
    from paa.ai.vectors import pack, unpack

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((50, embeddings.DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[0] = 0.0  # a zero vector stays zero (no division by its scale)
    scales, values = pack(vectors)
    back = unpack(values.tobytes(), scales)
    assert back.dtype == np.float32 and back.shape == vectors.shape
    assert not back[0].any()
    assert float(np.abs(back[1:] @ vectors[1:].T - vectors[1:] @ vectors[1:].T).max()) < 0.005


def test_a_file_of_another_layout_is_emptied_and_its_users_embedded_again(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    folder.mkdir()
    with sqlite3.connect(folder / FILE_NAME) as conn:  # as an earlier version of paa left it
        conn.execute("CREATE TABLE sets (user_id INTEGER PRIMARY KEY, embedder TEXT, generation INTEGER)")
        conn.execute("INSERT INTO sets VALUES (1, 'words-1', 3)")
    index = VectorIndex(folder, WordEmbedder())
    assert not index.is_current(1)  # so memory's next embed_pending marks the user's memories as waiting
    index.upsert(1, [(10, "fact", "tea")])
    assert index.ranking(1, "tea", 5) == [10]
    index.close()


def test_a_new_process_reads_the_snapshot_while_nothing_was_written_since(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    first = VectorIndex(folder, WordEmbedder(), min_similarity=0.2)
    first.upsert(1, [(10, "fact", "tea"), (11, "fact", "coffee")])
    assert first.ranking(1, "tea", 5) == [10]  # read from the rows, and kept as a snapshot
    snapshot = folder / "u1.snapshot"
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    with sqlite3.connect(folder / FILE_NAME) as conn:  # rows changed behind the generation's back...
        conn.execute("DELETE FROM vectors WHERE memory_id = 10")
    second = VectorIndex(folder, WordEmbedder(), min_similarity=0.2)
    assert second.ranking(1, "tea", 5) == [10]  # ...so this answer can only have come from the snapshot
    first.upsert(1, [(12, "fact", "tea and piano")])  # a real write moves the generation: the rows are read
    third = VectorIndex(folder, WordEmbedder(), min_similarity=0.2)
    assert third.ranking(1, "tea", 5) == [12]
    for made in (first, second, third):
        made.close()
    (folder / FILE_NAME).unlink()  # a new file counts its generations from 1 again: old snapshots are not its own
    for leftover in folder.glob(FILE_NAME + "-*"):
        leftover.unlink()
    fresh = VectorIndex(folder, WordEmbedder(), min_similarity=0.2)
    fresh.upsert(1, [(20, "fact", "budget")])
    fresh.upsert(1, [(21, "fact", "budget")])  # generation 2, as the old file's snapshot
    assert fresh.ranking(1, "tea", 5) == [] and sorted(fresh.ranking(1, "budget", 5)) == [20, 21]
    fresh.close()


def test_a_search_embeds_only_the_query(index: VectorIndex) -> None:
    index.upsert(1, [(memory_id, "message", WORDS[memory_id % 5]) for memory_id in range(1, 201)])
    embedder = index.embedder
    assert isinstance(embedder, WordEmbedder)
    before = embedder.calls
    assert len(index.ranking(1, "budget", 100)) == 40
    assert embedder.calls == before + 1


def _chromadb_leftovers(folder: Path) -> Path:
    """The files an older paa left in `<data dir>/memory` while it kept vectors with chromadb."""
    folder.mkdir(parents=True)
    (folder / "chroma.sqlite3").write_bytes(b"SQLite format 3\0")
    (folder / "chroma.sqlite3-wal").write_bytes(b"")
    (folder / ".write.lock").write_bytes(b"")
    collection = folder / "0b6f3d4e-8d1c-4a43-9f57-2a3a4f1e9c11"
    collection.mkdir()
    for name in ("data_level0.bin", "header.bin", "length.bin", "link_lists.bin"):
        (collection / name).write_bytes(b"\0" * 8)
    return collection


def test_chromadb_leftovers_are_removed_once_and_nothing_else(tmp_path: Path) -> None:
    from paa.ai.vectors import remove_chromadb_files

    folder = tmp_path / "memory"
    collection = _chromadb_leftovers(folder)
    (folder / FILE_NAME).write_bytes(b"")  # paa's own vector file and snapshot stay
    (folder / "u1.snapshot").write_bytes(b"")
    mine = folder / "9d2b1a3c-0000-4000-8000-000000000000"  # a UUID-named folder holding something else stays
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    (folder / "photos").mkdir()

    assert remove_chromadb_files(folder) is True
    assert sorted(path.name for path in folder.iterdir()) == sorted([FILE_NAME, "u1.snapshot", mine.name, "photos"])
    assert not collection.exists() and (mine / "notes.txt").read_text() == "mine"
    assert remove_chromadb_files(folder) is False  # once: nothing left to find
    assert remove_chromadb_files(tmp_path / "nowhere") is False


def test_opening_memory_removes_what_chromadb_left(make_ctx, paa_home: Path) -> None:
    from paa.ai import memory

    with make_ctx() as ctx:
        folder = ctx.paths.data_dir / "memory"
    collection = _chromadb_leftovers(folder)
    with make_ctx() as ctx:
        memory.MemoryService.of(ctx).vector_index()  # with or without the model
    assert not (folder / "chroma.sqlite3").exists() and not collection.exists()
