"""Memory vectors on a real Chroma server (`memory.chroma_url`): remembered, found by meaning, forgotten, rebuilt, swept
of orphans, shared by two runtimes with data folders of their own, and failing in one line when the server is gone.
Each test has collections of its own (a prefix) on the session's server (tests/support/chroma_server.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from paa.ai import embeddings, memory
from paa.ai.chroma import ChromaTarget, ChromaVectorIndex
from paa.clock import FixedClock
from paa.core.context import Context
from paa.db.models import User
from paa.errors import ExitCode, StorageError
from tests.support.chroma_server import BASE, ask, stored
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for
from tests.support.silent_server import silent_port

pytestmark = pytest.mark.skipif(
    not embeddings.status(None).available, reason="the memory extra or the local model is missing"
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _remember(make_ctx, *texts: str) -> list[int]:
    with make_ctx(write=True) as ctx:
        return [memory.remember(ctx, content).id or 0 for content in texts]


def _index(ctx: Context) -> ChromaVectorIndex:
    index = memory.MemoryService.of(ctx).vector_index()
    assert isinstance(index, ChromaVectorIndex)
    return index


def test_memories_live_on_the_chroma_server_and_are_found_by_meaning(
    make_ctx,
    on_chroma: str,
    chroma_url: str,
) -> None:
    passport, tea, race = _remember(
        make_ctx, "My passport is in the blue folder in the desk", "I like green tea in the morning",
        "I'm training for a half marathon in March",
    )  # fmt: skip
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 3
        found = memory.search(ctx, "where are my travel documents", strategy="meaning", limit=3)
        assert found and found[0].memory_id == passport
        assert memory.search(ctx, "what race am I preparing for", strategy="meaning")[0].memory_id == race
        assert memory.search(ctx, "a hot drink")[0].memory_id == tea  # the default blend of words and meaning
        user = ctx.user_id
        data_dir = ctx.paths.data_dir
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 0
    there = stored(chroma_url, f"{on_chroma}-u{user}")
    assert there["ids"] == {str(passport), str(tea), str(race)}
    assert there["metadata"]["paa_user"] == user and there["metadata"]["paa_embedder"]
    assert all(mark == {"paa_user": user} for mark in there["marks"])  # ids and vectors only: no text goes there
    assert not (data_dir / "memory" / "vectors.sqlite3").exists()  # nothing in paa's own store


def test_a_forgotten_memory_leaves_chroma_and_a_full_reindex_builds_the_collection_again(
    make_ctx,
    on_chroma: str,
    chroma_url: str,
) -> None:
    keep, drop = _remember(make_ctx, "I am allergic to peanuts", "My bike is a blue Brompton")
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 2
        name = _index(ctx).name_of(ctx.user_id)
    with make_ctx(write=True) as ctx:
        memory.forget(ctx, drop)
    assert stored(chroma_url, name)["ids"] == {str(keep)}
    with make_ctx(write=True) as ctx:
        assert memory.reset_vectors(ctx) == 1
    assert stored(chroma_url, name)["ids"] == set()  # emptied, made again as this embedder's
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 1
        assert [hit.memory_id for hit in memory.search(ctx, "which foods can't I eat", strategy="meaning")] == [keep]
    assert stored(chroma_url, name)["ids"] == {str(keep)}


def test_a_collection_another_embedder_made_is_replaced_never_mixed_in(
    make_ctx,
    on_chroma: str,
    chroma_url: str,
) -> None:
    [fact] = _remember(make_ctx, "I'm training for a half marathon in March")
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 1
        name = _index(ctx).name_of(ctx.user_id)
        user = ctx.user_id
    found = ask(chroma_url, "GET", f"{BASE}/collections/{name}")
    ask(chroma_url, "PUT", f"{BASE}/collections/{found['id']}",
            json={"new_metadata": {"paa_user": user, "paa_embedder": "some-other-model"}})  # fmt: skip
    with make_ctx() as ctx:  # a new process: it finds the set made by another embedder, and embeds it all again
        assert memory.search(ctx, "what race am I preparing for", strategy="meaning") == []
        assert memory.embed_pending(ctx) == 1
        assert [hit.memory_id for hit in memory.search(ctx, "what race", strategy="meaning")] == [fact]
    there = stored(chroma_url, name)
    assert there["metadata"]["paa_embedder"] != "some-other-model" and there["ids"] == {str(fact)}


def test_the_orphan_sweep_drops_what_the_database_no_longer_has(
    make_ctx,
    on_chroma: str,
    chroma_url: str,
) -> None:
    """Deletions made outside paa (SQL, another machine): a memory's vector and a deleted user's collection go."""
    # The newest memory stays: a vector of an id above the newest the sweep saw may be a write not committed yet.
    dropped, kept = _remember(make_ctx, "I play the cello", "I live in Porto")
    with make_ctx(write=True) as ctx:
        bob = User(username="bob", created_at=FIXED_NOW)
        ctx.session.add(bob)
        ctx.session.flush()
        ctx.user = bob
        memory.remember(ctx, "Bob's bike is red")
        bob_id = bob.id or 0
    with make_ctx() as ctx:
        assert memory.embed_pending(ctx) == 2
        ctx.user = ctx.session.get(User, bob_id)
        assert memory.embed_pending(ctx) == 1
        index = _index(ctx)
        alice_collection, bob_collection = index.name_of(1), index.name_of(bob_id)
    with make_ctx(write=True) as ctx:  # with SQL, as a script would: no paa code deletes the vectors
        ctx.session.execute(text("DELETE FROM memories WHERE id = :id"), {"id": dropped})
        ctx.session.execute(text("DELETE FROM memories WHERE user_id = :user"), {"user": bob_id})
        ctx.session.execute(text("DELETE FROM users WHERE id = :user"), {"user": bob_id})
    with make_ctx() as ctx:
        index = _index(ctx)
        assert index.users_on_record() == {1, bob_id}
        engine = ctx.session.get_bind()
        assert memory.drop_orphan_vectors(index, engine) == 2  # type: ignore[arg-type]
        assert index.users_on_record() == {1}
    assert stored(chroma_url, alice_collection)["ids"] == {str(kept)}
    with pytest.raises(httpx.HTTPStatusError):
        stored(chroma_url, bob_collection)


def test_two_runtimes_with_their_own_data_folders_share_the_vectors_on_chroma(
    make_ctx,
    on_chroma: str,
    clock: FixedClock,
    tmp_path: Path,
    db_engine: str,
) -> None:
    """Two pods (or a pod and the daemon): what one embeds into Chroma, the other finds by meaning without embedding
    it again. On SQLite the second runtime is pointed at the same database file; on a deployment it is PostgreSQL."""
    from paa.core import encryption

    [race] = _remember(make_ctx, "I'm training for a half marathon in March")
    with make_ctx() as ctx:
        key_file = encryption.key_file(ctx.paths)
        database = ctx.paths.data_dir / "paa.db"
        assert memory.embed_pending(ctx) == 1
    other_home = tmp_path / "other-pod"
    other_home.mkdir(mode=0o700)
    shutil.copy2(key_file, other_home / key_file.name)  # pods share the data key (a Secret in deploy/)
    environ = {**os.environ, "PAA_HOME": str(other_home), "PAA_DB_URL": f"sqlite:///{database}"}
    with runtime_for(environ, clock=clock) as other, other.context() as ctx:
        assert memory.embed_pending(ctx) == 0  # already on Chroma: nothing embedded again for this folder
        assert [hit.memory_id for hit in memory.search(ctx, "what race am I preparing for")] == [race]
        assert not (other_home / "memory" / "vectors.sqlite3").exists()


def test_a_server_that_never_answers_fails_within_the_time_limit_in_one_line(make_ctx) -> None:
    with silent_port() as port:
        target = ChromaTarget(f"http://127.0.0.1:{port}", "paa", "s3cret-token", 0.5)
        with make_ctx() as ctx:
            embedder = memory.MemoryService.of(ctx).vector_index()
            assert embedder is not None
            index = ChromaVectorIndex(target, embedder.embedder)
        with pytest.raises(StorageError) as raised:
            index.scored(1, "anything", 10)
        index.close()
    message = f"{raised.value.message} {raised.value.hint}"
    assert f"the Chroma server at http://127.0.0.1:{port} did not answer" in message
    assert "Timeout" in message and "s3cret-token" not in message and "\n" not in message


def test_paa_memory_search_with_chroma_down_says_so_in_one_line(run_paa, tmp_path: Path) -> None:
    """The real executable, with the server gone: a clear error and the storage exit code, no traceback, no token;
    `paa doctor` names the server as not answering."""
    with silent_port() as port:
        env = {"PAA_MEMORY_CHROMA_URL": f"http://127.0.0.1:{port}", "PAA_MEMORY_CHROMA_TIMEOUT_SECONDS": "0.5",
               "PAA_MEMORY_CHROMA_TOKEN": "s3cret-token"}  # fmt: skip
        added = run_paa("memory", "add", "I keep my passport in the blue folder", env=env)
        assert added.returncode == 0, added.stderr  # the one-shot never waits for the model or the vector store
        searched = run_paa("memory", "search", "where is my passport", env=env)
        doctor = run_paa("doctor", env=env)
    assert searched.returncode == ExitCode.STORAGE, searched.stdout + searched.stderr
    assert "the Chroma server at http://127.0.0.1" in searched.stderr and "did not answer" in searched.stderr
    assert "Traceback" not in searched.stderr and "s3cret-token" not in searched.stdout + searched.stderr
    assert doctor.returncode != 0 and "chroma" in doctor.stdout and "did not answer" in doctor.stdout
    assert "s3cret-token" not in doctor.stdout + doctor.stderr


def test_paa_doctor_and_a_search_with_chroma_up(run_paa, chroma_url: str, chroma_prefix: str) -> None:
    env = {"PAA_MEMORY_CHROMA_URL": chroma_url, "PAA_MEMORY_CHROMA_PREFIX": chroma_prefix}
    assert run_paa("memory", "add", "My sister Anna lives in Lisbon", env=env).returncode == 0
    assert run_paa("memory", "reindex", env=env).returncode == 0
    found = run_paa("memory", "search", "where does my family live", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert "Anna lives in Lisbon" in found.stdout
    doctor = run_paa("doctor", env=env)
    assert f"memory vectors on the Chroma server at {chroma_url}" in doctor.stdout
    assert stored(chroma_url, f"{chroma_prefix}-u1")["ids"]


def test_a_collection_lost_while_a_process_runs_is_embedded_again_by_that_process(
    make_ctx, on_chroma: str, chroma_url: str, clock: FixedClock
) -> None:
    """The server's data lost (or the collection deleted by hand) under a long-running process, which had found the
    user's set complete: its search goes by words meanwhile, and its next indexing pass embeds everything again
    rather than filling an empty collection with new memories only."""
    passport, tea = _remember(make_ctx, "My passport is in the blue folder in the desk", "I like green tea")
    with runtime_for(clock=clock) as runtime:  # one process: its memory service (and index) lives across contexts
        with runtime.context() as ctx:
            assert memory.embed_pending(ctx) == 2
            assert memory.search(ctx, "travel documents", strategy="meaning")[0].memory_id == passport
            name = _index(ctx).name_of(ctx.user_id)
        ask(chroma_url, "DELETE", f"{BASE}/collections/{name}")
        with runtime.context() as ctx:
            assert memory.search(ctx, "travel documents", strategy="meaning") == []
            assert [hit.memory_id for hit in memory.search(ctx, "green tea")] == [tea]  # words still answer
        with runtime.context() as ctx:
            assert memory.embed_pending(ctx) == 2  # all of them, not none
        with runtime.context() as ctx:
            assert memory.search(ctx, "travel documents", strategy="meaning")[0].memory_id == passport
    assert stored(chroma_url, name)["ids"] == {str(passport), str(tea)}


def test_switching_stores_back_and_forth_leaves_no_memory_without_a_vector(
    run_paa, chroma_url: str, chroma_prefix: str
) -> None:
    """Vectors on Chroma, then in paa's own store for a while, then on Chroma again: the memory embedded meanwhile is
    missing from the Chroma collection, and `paa memory reindex` finds it and embeds it there."""
    on = {"PAA_MEMORY_CHROMA_URL": chroma_url, "PAA_MEMORY_CHROMA_PREFIX": chroma_prefix}
    assert run_paa("memory", "add", "My sister Anna lives in Lisbon", env=on).returncode == 0
    assert run_paa("memory", "reindex", env=on).returncode == 0
    assert run_paa("memory", "add", "I keep my passport in the blue folder").returncode == 0  # Chroma not set
    assert run_paa("memory", "reindex").returncode == 0
    assert len(stored(chroma_url, f"{chroma_prefix}-u1")["ids"]) == 1
    again = run_paa("memory", "reindex", env=on)
    assert again.returncode == 0, again.stderr
    assert "computed 1 vector(s)" in again.stdout and "1 of them missing from the vector store" in again.stdout
    assert len(stored(chroma_url, f"{chroma_prefix}-u1")["ids"]) == 2
    found = run_paa("memory", "search", "travel documents", "--json", env=on)
    assert "passport" in found.stdout
