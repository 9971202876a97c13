"""What memory search reads besides a memory's own words: the turns around a message, who said it, the day named in
a question; and what is not a memory at all (the assistant's canned replies). Words only: no model needed. On both
engines (`db_engine`): FTS5's bm25 fields on SQLite, ts_rank's weights on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from paa.ai import memory
from paa.db.models import Conversation, Message
from tests.support.clock import FIXED_NOW


@pytest.fixture(autouse=True)
def _words_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search by words alone (as without the model), so these tests need no vectors."""
    monkeypatch.setattr(memory.MemoryService, "vector_index", lambda self, **_options: None)


def _chat(
    make_ctx, *turns: tuple[str, str, str | None], model: str | None = None, tool_calls: str | None = None
) -> list[int]:
    """Store (role, text, speaker) turns as one conversation, a minute apart, indexed as chat does; message ids."""
    with make_ctx(write=True) as ctx:
        chat = Conversation(user_id=ctx.user_id, title="t", created_at=FIXED_NOW, updated_at=FIXED_NOW)
        ctx.session.add(chat)
        ctx.session.flush()
        ids = []
        for number, (role, content, speaker) in enumerate(turns):
            row = Message(
                user_id=ctx.user_id, conversation_id=chat.id or 0, role=role, content=content, speaker=speaker,
                model=model if role == "assistant" else None, created_at=FIXED_NOW + timedelta(minutes=number),
                tool_calls=tool_calls if role == "assistant" else None,
            )  # fmt: skip
            ctx.session.add(row)
            ctx.session.flush()
            memory.index_message(ctx, row)
            ids.append(row.id or 0)
        return ids


def _search(make_ctx, query: str) -> list[memory.MemoryHit]:
    with make_ctx() as ctx:
        return memory.search(ctx, query)


def _source(make_ctx, hits: list[memory.MemoryHit]) -> list[int | None]:
    return [hit.source_id for hit in hits]


def test_a_reply_is_found_by_the_words_of_the_question_before_it_ranked_below_the_question(
    make_ctx, db_engine: str
) -> None:
    ask, answer, _echo = _chat(
        make_ctx,
        ("other", "How is the new puppy doing?", "Noor"),
        ("user", "He's great, we named him Biscuit!", "Priya"),
        ("other", "Send me pictures please.", "Noor"),
    )
    hits = _search(make_ctx, "puppy")
    # The question holds the word; the answer is next to it; the last turn is two away, so not found.
    assert _source(make_ctx, hits) == [ask, answer]
    assert hits[0].words == ("puppy",) and hits[1].words == () and hits[1].why() == "words nearby"
    assert hits[0].relevance > hits[1].relevance >= memory.RELEVANCE_FLOOR
    # A turn added later becomes its predecessor's neighbour too.
    (later,) = _chat(make_ctx, ("user", "Biscuit chewed my shoes", "Priya"))
    assert _source(make_ctx, _search(make_ctx, "chewed shoes")) == [later]  # another conversation: no neighbour


def test_a_named_speaker_is_who_said_it_not_a_word_of_the_text(make_ctx, db_engine: str) -> None:
    greeting, baking, _other = _chat(
        make_ctx,
        ("other", "Hey Gina! Long time no talk, how have you been?", "Marcus"),
        ("user", "Made my first sourdough loaf, the crust was amazing.", "Gina"),
        ("other", "I made sourdough once, it was a brick.", "Marcus"),
    )
    hits = _search(make_ctx, "What did Gina make with sourdough?")
    # Gina's own turn first; "Hey Gina!" (Marcus's, found only by its neighbour's "sourdough") is not lifted by the
    # name it holds: the name counts only as who said it.
    assert hits[0].source_id == baking and hits[0].why() == "said by Gina; words: sourdough"
    greeting_hits = [hit for hit in hits if hit.source_id == greeting]
    assert all(hit.words == () and hit.score < hits[0].score / 2 for hit in greeting_hits)
    with make_ctx() as ctx:
        assert memory._named_speakers(ctx, "What did Gina bake? Ask Marcus") == ["gina", "marcus"]
        assert memory._named_speakers(ctx, "What did Lisbon bake?") == []  # a capitalised word nobody said


def test_the_person_told_is_neither_who_said_it_nor_a_word_of_it(make_ctx, db_engine: str) -> None:
    _ask, told = _chat(
        make_ctx,
        ("other", "Hey Gina! Is the sourdough starter alive? Sourdough is hard.", "Marcus"),
        ("user", "The sourdough loaf came out fine.", "Gina"),
    )
    hits = _search(make_ctx, "What did Gina tell Marcus about sourdough?")
    assert hits[0].source_id == told and hits[0].why() == "said by Gina; words: sourdough"
    assert memory._listeners("what did gina tell marcus on 5 May?", ["gina", "marcus"]) == ["marcus"]
    assert memory._listeners("what did Gina say to Marcus", ["gina", "marcus"]) == ["marcus"]
    assert memory._listeners("what did Gina and Marcus plan", ["gina", "marcus"]) == []  # both said it
    assert memory._listeners("what did I tell Marcus", ["marcus"]) == []  # the only person named stays one


def test_the_same_words_said_again_are_shown_once(make_ctx, db_engine: str) -> None:
    """A greeting said every morning is one hit, not five: the other places in the top 5 go to something else."""
    greetings = [
        *_chat(make_ctx, ("assistant", "Good morning! What would you like to work on?", None)),
        *_chat(make_ctx, ("assistant", "Good  morning! what would you like to work on?", None)),
    ]
    (routine,) = _chat(make_ctx, ("user", "Every morning I stretch for ten minutes.", "Priya"))
    hits = _search(make_ctx, "morning")
    assert set(_source(make_ctx, hits)) == {greetings[-1], routine} and len(hits) == 2  # the newer greeting
    with make_ctx() as ctx:  # the other ways of ranking (for measuring) keep every row
        assert len(memory.search(ctx, "morning", strategy="words")) == 3


def test_a_day_named_in_a_question_favours_what_was_said_that_day(make_ctx, db_engine: str) -> None:
    with make_ctx(write=True) as ctx:
        for days_ago, fact in ((3, "Visited the harbour with Anna"), (40, "Visited the old bridge")):
            row = memory.remember(ctx, fact)
            row.created_at = FIXED_NOW - timedelta(days=days_ago)
    day = (FIXED_NOW - timedelta(days=40)).date()
    hits = _search(make_ctx, f"What did I visit on {day.day} {day.strftime('%B')} {day.year}?")
    assert hits[0].content == "Visited the old bridge" and hits[0].on_day
    assert "said that day" in hits[0].why()


@pytest.mark.sqlite_only  # no storage at all
def test_query_days_reads_the_usual_ways_of_naming_a_day() -> None:
    today = date(2026, 11, 26)
    assert memory.query_days("what did I do on 8 May 2023?", today) == ([date(2023, 5, 8)], "what did I do on  ?")
    assert memory.query_days("May 8th, 2023", today)[0] == [date(2023, 5, 8)]
    assert memory.query_days("on the 2023-05-08", today)[0] == [date(2023, 5, 8)]
    assert memory.query_days("what happened yesterday", today) == ([], "what happened yesterday")
    assert memory.relative_days("what happened yesterday", today) == [date(2026, 11, 25)]
    assert memory.relative_days("should I run today?", today) == [today]
    # Without a year: that day this year (not after today) and in the three years before.
    assert memory.query_days("on 3 Dec", today)[0] == [date(2023, 12, 3), date(2024, 12, 3), date(2025, 12, 3)]
    assert memory.query_days("may I ask about march", today)[0] == []  # month names alone are not days
    assert memory.query_days("31 February 2023", today)[0] == []


def test_canned_replies_are_not_memories_and_sync_does_not_bring_them_back(make_ctx, db_engine: str) -> None:
    question, canned = _chat(
        make_ctx, ("user", "What should I cook tonight?", None),
        ("assistant", "I can't answer that offline. I'm running offline...", None), model="offline",
    )  # fmt: skip
    _asked, answered = _chat(
        make_ctx, ("user", "What should I cook?", None), ("assistant", "Try a lentil curry.", None), model="claude-x"
    )
    calls = '[{"id": "t1", "name": "log_habit", "input": {}}]'
    _ran, status = _chat(make_ctx, ("user", "I ran 5 km", None), ("assistant", "Logging that now.", None),
                         model="claude-x", tool_calls=calls)  # fmt: skip
    _why, told = _chat(make_ctx, ("user", "Why do I rest?", None), ("assistant", "Rest days " * 20, None),
                       model="claude-x", tool_calls=calls)  # fmt: skip
    with make_ctx(write=True) as ctx:
        assert memory.sync_sources(ctx) == 0  # nothing left to mirror, and the canned ones are not counted
        sources = {row.source_id for row in memory.list_memories(ctx, kind="message")}
    assert canned not in sources and status not in sources
    assert {question, answered, told} <= sources  # a long text beside tool calls is something said
    assert _search(make_ctx, "offline") == [] and _search(make_ctx, "logging") == []


def test_relevance_floor_hides_weak_hits_and_the_rank_strategy_is_kept_for_measuring(make_ctx, db_engine: str) -> None:
    with make_ctx(write=True) as ctx:
        for fact in ("Bought green tea", "Tea with Anna on Sunday at the lake near the old mill by the station"):
            memory.remember(ctx, fact)
    with make_ctx() as ctx:
        hits = memory.search(ctx, "green tea")
        ranked = memory.search(ctx, "green tea", strategy="rank")
        with pytest.raises(memory.InvalidInput, match="strategy"):
            memory.search(ctx, "tea", strategy="best")
    assert hits[0].content == "Bought green tea" and hits[0].relevance == 100 and hits[0].words == ("green", "tea")
    assert all(hit.relevance >= memory.RELEVANCE_FLOOR for hit in hits)
    assert ranked[0].content == "Bought green tea" and ranked[0].relevance == 0


@pytest.mark.sqlite_only  # reads the SQLite file's FTS5 table (tests/db/test_migrations_engines.py runs 0011 on both)
def test_migration_0011_indexes_neighbours_and_speakers_and_forgets_canned_replies(tmp_path: Path) -> None:
    from paa.config import resolve_paths
    from paa.core.encryption import attach
    from paa.db.engine import create_db_engine, sqlite_url
    from paa.db.migrate import ensure_current, upgrade

    paths = resolve_paths({"PAA_HOME": str(tmp_path / "home")})
    paths.data_dir.mkdir(parents=True)
    engine = create_db_engine(sqlite_url(paths.database_file))
    stamp = datetime(2026, 11, 20, 8).isoformat(" ")
    try:
        upgrade(engine, "0010_attachments")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, role, is_active, created_at) VALUES (1, 'ann', 'member', 1, :t)"
                ),
                {"t": stamp},
            )
            conn.execute(
                text("INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES (1, 1, :t, :t)"),
                {"t": stamp},
            )
            for number, (role, content, model) in enumerate(
                (("user", "How is the puppy?", None), ("assistant", "He is great, named him Biscuit", "claude-x"),
                 ("assistant", "I can't answer that offline.", "offline"), ("assistant", "Logging it.", "claude-x")),
                start=1,
            ):  # fmt: skip
                conn.execute(
                    text("INSERT INTO messages (id, user_id, conversation_id, role, content, model, speaker,"
                         " tool_calls, interrupted, created_at)"
                         " VALUES (:id, 1, 1, :role, :content, :model, :speaker, :calls, 0, :t)"),
                    {"id": number, "role": role, "content": content, "model": model, "t": stamp,
                     "speaker": "Ann" if role == "user" else None, "calls": "[]" if number == 4 else None},
                )  # fmt: skip
                conn.execute(
                    text("INSERT INTO memories (user_id, kind, content, source_id, derived, created_at)"
                         " VALUES (1, 'message', :content, :id, 1, :t)"),
                    {"content": content, "id": number, "t": stamp},
                )  # fmt: skip
        attach(engine, paths, None)
        ensure_current(engine, paths.backup_dir)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT source_id FROM memories ORDER BY source_id")).scalars().all()
            columns = [row[1] for row in conn.execute(text("PRAGMA table_info(memories_fts)"))]
            filled = conn.execute(text("SELECT count(*) FROM memories_fts WHERE context != ''")).scalar_one()
            spoken = conn.execute(text("SELECT count(*) FROM memories_fts WHERE speaker != ''")).scalar_one()
        assert kept == [1, 2]  # the canned reply and the status line are forgotten
        assert columns == ["terms", "context", "speaker"] and filled == 2 and spoken == 1
    finally:
        engine.dispose()
