"""Memory's word index on both engines: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL, one contract.

Stems match, the memory that says the word more (for its length) ranks first, an edit re-indexes, a forget
leaves nothing behind, and the index holds hashes, never a plain word.
"""

from __future__ import annotations

from sqlalchemy import text

from paa.ai import memory
from paa.db.models import Memory


def _remember(make_ctx, *texts: str) -> list[int]:
    with make_ctx(write=True) as ctx:
        return [memory.remember(ctx, content, kind="fact").id or 0 for content in texts]


def _words(make_ctx, query: str) -> list[int]:
    with make_ctx() as ctx:
        return memory._word_ranking(ctx, query, 10, None)


def test_stems_match_and_the_denser_mention_ranks_first(make_ctx, db_engine: str) -> None:
    once, dense, other = _remember(
        make_ctx,
        "On Sunday I walked to the market, bought bread and cheese, met a neighbour and then went running briefly",
        "Running again: I run every morning and love runs",
        "My sister Anna lives in Lisbon",
    )

    assert _words(make_ctx, "run") == [dense, once]
    assert _words(make_ctx, "runs") == [dense, once]
    assert _words(make_ctx, "Lisbon") == [other]
    assert _words(make_ctx, "LISBON anna") == [other]
    assert _words(make_ctx, "Paris") == []


def test_an_edit_reindexes_and_a_forget_leaves_nothing(make_ctx, db_engine: str) -> None:
    [kept, dropped] = _remember(make_ctx, "I like green tea", "I like black coffee")
    with make_ctx(write=True) as ctx:
        row = ctx.session.get(Memory, kept)
        assert row is not None
        row.content = "I like jasmine tea"
        ctx.session.add(row)
        memory.forget(ctx, dropped)

    assert _words(make_ctx, "green") == []
    assert _words(make_ctx, "jasmine") == [kept]
    assert _words(make_ctx, "coffee") == []
    with make_ctx() as ctx:
        assert ctx.session.execute(text("SELECT count(*) FROM memories_fts")).scalar() == 1


def test_the_index_holds_hashes_never_a_plain_word(make_ctx, db_engine: str) -> None:
    _remember(make_ctx, "My secret password hint is periwinkle")
    column = "terms" if db_engine == "sqlite" else "terms::text"
    with make_ctx() as ctx:
        stored = " ".join(ctx.session.execute(text(f"SELECT {column} FROM memories_fts")).scalars())
    assert "periwinkle" not in stored and "secret" not in stored
    assert stored.count("h") >= 4  # one hashed term per word kept
