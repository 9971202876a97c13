"""The word index of sealed memories: FTS5 over keyed hashes of words, so the file holds no searchable plain words.

A memory's text is cut into terms exactly as FTS5's `porter unicode61 remove_diacritics 2` tokenizer cuts it (SQLite
itself does the cutting, in a private in-memory database), and each term is stored as the first 64 bits of its
HMAC-SHA256 under a key derived from the current data key. A query's words go through the same steps, so FTS5 still
matches words and stems and still ranks by bm25; what it cannot do any more is prefix or phrase search, and the
index still shows which memories share a word and how often (never the word). See docs/security.md.

On PostgreSQL the same hashed terms go into a `tsvector` column with a GIN index (migration 0008), matched with a
`tsquery` of the hashed query words and ranked by `ts_rank` (term frequency, normalised by the memory's length: as
close to FTS5's bm25 as PostgreSQL's own ranking comes). The cutting is SQLite's on both engines, so a word and
its stem match alike whichever engine stores them.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
from typing import Any

from paa.db.sealed import KeySet, keys_of

TOKENIZER = "porter unicode61 remove_diacritics 2"
CREATE_INDEX = "CREATE VIRTUAL TABLE memories_fts USING fts5(terms, tokenize='unicode61')"
# A memory deleted in any way (a user's cascade included) leaves the index with it; inserts and edits are indexed
# by paa (the hashes need the key), in the same transaction as the row.
CREATE_DELETE_TRIGGER = (
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "DELETE FROM memories_fts WHERE rowid = old.id; END"
)
# PostgreSQL's index (migration 0008): one row per memory, gone with it (the foreign key cascades).
PG_CREATE_INDEX = (
    "CREATE TABLE memories_fts (memory_id INTEGER PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE, "
    "terms TSVECTOR NOT NULL)",
    "CREATE INDEX ix_memories_fts_terms ON memories_fts USING GIN (terms)",
)
INDEXED_DIALECTS = ("sqlite", "postgresql")
_local = threading.local()  # one private tokenizer database per thread (sqlite3 connections stay in their thread)


def _tokenizer() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:")
        conn.execute(f"CREATE VIRTUAL TABLE cut USING fts5(t, tokenize='{TOKENIZER}')")
        conn.execute("CREATE VIRTUAL TABLE cut_terms USING fts5vocab(cut, 'instance')")
        _local.conn = conn
    return conn


def terms(text: str) -> list[str]:
    """The terms FTS5 would index for `text`, in order (lower case, stemmed, without diacritics)."""
    conn = _tokenizer()
    with conn:
        conn.execute("INSERT INTO cut(rowid, t) VALUES (1, ?)", (text,))
        found = [row[0] for row in conn.execute("SELECT term FROM cut_terms ORDER BY offset")]
        conn.execute("DELETE FROM cut")
    return found


def index_key(keyset: KeySet) -> bytes:
    """The hashing key of the word index, derived from the current data key (a rotation rebuilds the index)."""
    return hmac.new(keyset.key(keyset.current, "the word index"), b"paa blind word index v1", hashlib.sha256).digest()


def hashed(key: bytes, term: str) -> str:
    return "h" + hmac.new(key, term.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def hashed_text(keyset: KeySet, text: str) -> str:
    """What the index stores for a memory's text: its hashed terms, space-separated."""
    key = index_key(keyset)
    return " ".join(hashed(key, term) for term in terms(text))


def hashed_terms(keyset: KeySet, words: list[str]) -> list[str]:
    """The distinct hashed terms of query words (each cut and hashed like the stored text), in order."""
    key = index_key(keyset)
    return list(dict.fromkeys(hashed(key, term) for word in words for term in terms(word)))


def hashed_query(keyset: KeySet, words: list[str], speakers: list[str] | None = None) -> str | None:
    """An FTS5 expression matching any of `words`; `speakers` (names among the words) match only who said it."""
    names = set(hashed_terms(keyset, speakers or []))
    found = [f'speaker : "{term}"' if term in names else f'"{term}"' for term in hashed_terms(keyset, words)]
    return " OR ".join(found) or None


def pg_hashed_query(keyset: KeySet, words: list[str], speakers: list[str] | None = None) -> str | None:
    """A PostgreSQL tsquery (for `to_tsquery('simple', ...)`) matching any of `words` (`speakers` as weight B, the
    speaker field, only); hashes are plain [0-9a-z]."""
    names = set(hashed_terms(keyset, speakers or []))
    return " | ".join(f"{term}:B" if term in names else term for term in hashed_terms(keyset, words)) or None


# The index's fields (migration 0010): a memory's own words, the words of the turns around it in its conversation
# (a message only: "how is the puppy?" before "he's great, we named him Max"), and who said it. Ranked with these
# weights (bm25's per-column weights on SQLite; ts_rank's A, D and B weights on PostgreSQL): the memory's own words
# count fully, its neighbours' much less, the speaker's name between.
FIELDS = ("terms", "context", "speaker")
FIELD_WEIGHTS = (1.0, 0.25, 0.5)
CREATE_INDEX_FIELDS = "CREATE VIRTUAL TABLE memories_fts USING fts5(terms, context, speaker, tokenize='unicode61')"
# ts_rank's weights are given as {D, C, B, A}: context is D, speaker B, the memory's words A (C is unused).
PG_RANK_WEIGHTS = f"{{{FIELD_WEIGHTS[1]}, 0, {FIELD_WEIGHTS[2]}, {FIELD_WEIGHTS[0]}}}"


def write_entry(
    connection: Any,
    keyset: KeySet,
    memory_id: int,
    text: str,
    context: str = "",
    speaker: str = "",
    *,
    fields: int = len(FIELDS),
) -> None:
    """Index (or index again) one memory, on a SQLite or a PostgreSQL connection.

    `fields` is 1 for an index made before migration 0010 (its text only), which a migration may still write."""
    terms_text = hashed_text(keyset, text)
    context_text = hashed_text(keyset, context) if context else ""
    speaker_text = hashed_text(keyset, speaker) if speaker else ""
    if connection.dialect.name == "postgresql":
        # 'simple' keeps each hash as it is (no stemming, no stop words): the words were cut before hashing.
        connection.exec_driver_sql(
            "INSERT INTO memories_fts (memory_id, terms) VALUES (%(id)s, "
            "setweight(to_tsvector('simple', %(terms)s), 'A') || setweight(to_tsvector('simple', %(context)s), 'D')"
            " || setweight(to_tsvector('simple', %(speaker)s), 'B')) "
            "ON CONFLICT (memory_id) DO UPDATE SET terms = excluded.terms",
            {"id": memory_id, "terms": terms_text, "context": context_text, "speaker": speaker_text},
        )
        return
    connection.exec_driver_sql("DELETE FROM memories_fts WHERE rowid = ?", (memory_id,))
    if fields == 1:
        connection.exec_driver_sql("INSERT INTO memories_fts(rowid, terms) VALUES (?, ?)", (memory_id, terms_text))
        return
    connection.exec_driver_sql(
        "INSERT INTO memories_fts(rowid, terms, context, speaker) VALUES (?, ?, ?, ?)",
        (memory_id, terms_text, context_text, speaker_text),
    )


def index_new_memory(_mapper: Any, connection: Any, target: Any) -> None:
    """Index a memory just inserted (a mapper event on Memory, in the transaction that adds it)."""
    if connection.dialect.name in INDEXED_DIALECTS:  # elsewhere memory search reads the sealed text itself
        write_entry(connection, keys_of(connection.dialect, "memories.content"), target.id, target.content)


def index_changed_memory(_mapper: Any, connection: Any, target: Any) -> None:
    """Index a memory again when its text changed (a mapper event on Memory)."""
    from sqlalchemy import inspect

    if connection.dialect.name in INDEXED_DIALECTS and inspect(target).attrs.content.history.has_changes():
        write_entry(connection, keys_of(connection.dialect, "memories.content"), target.id, target.content)


def _columns(connection: Any, table: str) -> set[str]:
    if connection.dialect.name == "sqlite":
        return {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})").all()}
    rows = connection.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %(table)s", {"table": table}
    ).all()
    return {row[0] for row in rows}


def message_neighbours(connection: Any, keyset: KeySet) -> dict[int, tuple[str, str]]:
    """For each message that is a memory's source: (the text of the turns before and after it, its speaker).

    Read in one pass over every conversation's messages (a migration's or a key rotation's rebuild)."""
    from paa.db.sealed import unseal

    has_speaker = "speaker" in _columns(connection, "messages")
    speaker = "speaker" if has_speaker else "NULL"
    rows = connection.exec_driver_sql(
        f"SELECT id, conversation_id, content, {speaker} FROM messages "
        "WHERE role IN ('user', 'assistant', 'other') ORDER BY conversation_id, id"
    ).all()
    found: dict[int, tuple[str, str]] = {}
    for number, (message_id, conversation_id, _content, who) in enumerate(rows):
        around = [
            unseal(keyset, rows[other][2], "messages", "content")
            for other in (number - 1, number + 1)
            if 0 <= other < len(rows) and rows[other][1] == conversation_id
        ]
        name = unseal(keyset, who, "messages", "speaker") if who else ""
        found[message_id] = (" ".join(around), name)
    return found


def rebuild(connection: Any, keyset: KeySet) -> int:
    """Index every memory again (after a migration or a key rotation); return how many were indexed."""
    from paa.db.sealed import unseal

    fields = len(FIELDS)
    if connection.dialect.name == "sqlite":
        fields = len(_columns(connection, "memories_fts")) or 1
    connection.exec_driver_sql("DELETE FROM memories_fts")
    rows = connection.exec_driver_sql("SELECT id, content, kind, source_id FROM memories").all()
    neighbours = message_neighbours(connection, keyset) if any(row[2] == "message" for row in rows) else {}
    for memory_id, content, kind, source_id in rows:
        context, speaker = neighbours.get(source_id, ("", "")) if kind == "message" else ("", "")
        text = unseal(keyset, content, "memories", "content")
        write_entry(connection, keyset, memory_id, text, context, speaker, fields=fields)
    return len(rows)
