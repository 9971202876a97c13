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


def hashed_query(keyset: KeySet, words: list[str]) -> str | None:
    """An FTS5 expression matching any of `words`."""
    return " OR ".join(f'"{term}"' for term in hashed_terms(keyset, words)) or None


def pg_hashed_query(keyset: KeySet, words: list[str]) -> str | None:
    """A PostgreSQL tsquery (for `to_tsquery('simple', ...)`) matching any of `words`; hashes are plain [0-9a-z]."""
    return " | ".join(hashed_terms(keyset, words)) or None


def write_entry(connection: Any, keyset: KeySet, memory_id: int, text: str) -> None:
    """Index (or index again) one memory, on a SQLite or a PostgreSQL connection."""
    terms_text = hashed_text(keyset, text)
    if connection.dialect.name == "postgresql":
        # 'simple' keeps each hash as it is (no stemming, no stop words): the words were cut before hashing.
        connection.exec_driver_sql(
            "INSERT INTO memories_fts (memory_id, terms) VALUES (%(id)s, to_tsvector('simple', %(terms)s)) "
            "ON CONFLICT (memory_id) DO UPDATE SET terms = excluded.terms",
            {"id": memory_id, "terms": terms_text},
        )
        return
    connection.exec_driver_sql("DELETE FROM memories_fts WHERE rowid = ?", (memory_id,))
    connection.exec_driver_sql("INSERT INTO memories_fts(rowid, terms) VALUES (?, ?)", (memory_id, terms_text))


def index_new_memory(_mapper: Any, connection: Any, target: Any) -> None:
    """Index a memory just inserted (a mapper event on Memory, in the transaction that adds it)."""
    if connection.dialect.name in INDEXED_DIALECTS:  # elsewhere memory search reads the sealed text itself
        write_entry(connection, keys_of(connection.dialect, "memories.content"), target.id, target.content)


def index_changed_memory(_mapper: Any, connection: Any, target: Any) -> None:
    """Index a memory again when its text changed (a mapper event on Memory)."""
    from sqlalchemy import inspect

    if connection.dialect.name in INDEXED_DIALECTS and inspect(target).attrs.content.history.has_changes():
        write_entry(connection, keys_of(connection.dialect, "memories.content"), target.id, target.content)


def rebuild(connection: Any, keyset: KeySet) -> int:
    """Index every memory again (after a migration or a key rotation); return how many were indexed."""
    from paa.db.sealed import unseal

    connection.exec_driver_sql("DELETE FROM memories_fts")
    rows = connection.exec_driver_sql("SELECT id, content FROM memories").all()
    for memory_id, content in rows:
        write_entry(connection, keyset, memory_id, unseal(keyset, content, "memories", "content"))
    return len(rows)
