"""Memory: facts, messages and check-ins, found by words (SQLite FTS5) and by meaning (vectors), fused by rank.

Writing is cheap and never waits for a model: `remember`, `index_message` and `index_checkin` add a row in the
caller's transaction, and triggers put its words in the FTS5 index at once. Its vector comes later, from
`embed_pending` (run by `paa memory search` and `reindex`, by a `BackgroundIndexer` thread in a long-running
process, or by the daemon), outside any write transaction. Until then the row is found by its words only.
SQLite is the truth; the vector index (`paa.ai.vectors`) is an index of it, a set of vectors per user, and hits it
holds for rows that are gone are dropped (and deleted). The live parts (the vector index, the model, the indexer
thread) belong to a `MemoryService`, one per runtime, closed with it. See docs/memory.md.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, String, bindparam, event, func, text, type_coerce
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from paa.ai import embeddings
from paa.ai.vectors import (
    MIN_SIMILARITY,
    SharedVectorIndex,
    VectorIndex,
    VectorStore,
    load_embedder,
    loaded_embedder,
    remove_chromadb_files,
)
from paa.clock import Clock
from paa.core.context import Context
from paa.core.ids import get_row
from paa.core.runtime import Runtime
from paa.core.validate import strip_controls
from paa.db.engine import WRITE_OPTION, writer
from paa.db.models import DailyCheckin, Memory
from paa.errors import InvalidInput, NotFound

if TYPE_CHECKING:  # the chat tables are defined only where messages are read (a check-in never needs them)
    from sqlalchemy import Row

    from paa.config import Settings
    from paa.db.models import Message

KINDS = ("fact", "message", "checkin", "attachment")  # attachment: a page of a file (paa.ai.attachments)
CONTENT_MAX = 2000  # a remembered fact; messages and check-ins are kept whole
RRF_K = 60  # reciprocal rank fusion (the "rank" strategy): score = sum over the rankings of 1 / (RRF_K + rank)
FULL_SIMILARITY = 0.6  # as similar as MiniLM gets for a paraphrase: full marks for meaning
STRONG_SIMILARITY = 0.5  # a hit found by its words is said to match "by meaning" too from this similarity on
WORD_WEIGHT = 1.0  # the "blend" strategy's weights (measured with bench/recall.py)
MEANING_WEIGHT = 1.3
DAY_BONUS = 0.3  # a memory said on a day the query names
OTHER_SPEAKER = 0.6  # a query names a speaker: what others said counts this much
RELEVANCE_FLOOR = 5  # a hit less relevant than this (0-100) is not shown: "family" for "my sister ..." is 7
STRATEGIES = ("blend", "rank", "words", "meaning")
# Assistant replies that are not the person's memories: the offline rules' canned answers and tool confirmations.
CANNED_MODELS = frozenset({"offline"})
STATUS_CHARS_MAX = 160  # a model's text beside its tool calls up to this long is a status line, not a memory
SEARCH_EMBED_BUDGET = 256  # `paa memory search` embeds at most this many waiting rows before it searches
# What a search reads of its query, however long it is: 100 KB of words once ran 17 s and then failed with SQLite's
# "Expression tree is too large". Every search (memory, chat messages, the assistant's tool) builds its terms here.
QUERY_CHARS_MAX = 2000
QUERY_TERMS_MAX = 32
FTS_TERMS_MAX = 16  # of those, the words ranked by FTS5 (the most telling: stopwords go first)
_WORD = re.compile(r"\w+")
# English function words, and the words a question about the past is made of ("what did she tell you about...")
# that say nothing of its subject.
_STOPWORDS = frozenset(
    "a about above after again all also am an and any are as at be because been before being below between both "
    "but by can could d did didn do does doesn doing don down during each else ever few for from further get gets "
    "got had has have having he her here hers herself him himself his how i i'd i'll i'm i've if im in into is it "
    "it's its itself just ll m may me might more most much must my myself no nor not now of off on once only or "
    "other our ours ourselves out over own re s said same say says she should so some such t than that that's the "
    "their theirs them themselves then there these they this those through to too under until up upon us ve very "
    "was we were what whats when where which while who whom whose why will with would you your yours yourself "
    "yourselves tell told talk talked talking mention mentioned remember happen happened thing things ".split()
)


@dataclass(frozen=True)
class MemoryHit:
    """A memory that matches a query.

    `score` is the fused score (higher is better), `relevance` the same as a whole number 0-100 for people; the
    parts: `words` (the query's words found in its text), `word_score` (bm25 or ts_rank; None: not found by words),
    `similarity` (cosine; None: not found by meaning), `on_day` (said on a day the query names).
    """

    memory_id: int
    kind: str
    content: str
    score: float
    created_at: datetime
    source_id: int | None
    # Where it came from, filled by paa.ai.history.with_sources (for a message: its conversation, who said it, when).
    message_id: int | None = None
    conversation_id: int | None = None
    conversation_title: str | None = None
    speaker: str | None = None
    role: str | None = None
    time: datetime | None = None
    text: str | None = None
    relevance: int = 0
    words: tuple[str, ...] = ()
    word_score: float | None = None
    similarity: float | None = None
    on_day: bool = False
    said_by: str | None = None  # the person the query names, who said it (not in the JSON: `speaker` is)

    def why(self) -> str:
        """Why it matched, for people: the words it shares with the query, or "by meaning"."""
        reasons = []
        if self.said_by:
            reasons.append(f"said by {self.said_by}")
        if self.words:
            reasons.append("words: " + ", ".join(self.words))
        elif self.word_score is not None and not self.said_by:
            reasons.append("words nearby")  # in the turns around it
        if self.similarity is not None and (not self.words or self.similarity >= STRONG_SIMILARITY):
            reasons.append("by meaning")
        if self.on_day:
            reasons.append("said that day")
        return "; ".join(reasons) or "by meaning"

    def to_json(self) -> dict[str, Any]:
        return {
            "memory_id": self.memory_id,
            "kind": self.kind,
            "content": self.content,
            "score": round(self.score, 6),
            "relevance": self.relevance,
            "matched_words": list(self.words),
            "word_score": None if self.word_score is None else round(self.word_score, 6),
            "similarity": None if self.similarity is None else round(self.similarity, 6),
            "on_day": self.on_day,
            "created_at": self.created_at.isoformat(),
            "source_id": self.source_id,
            "message_id": self.message_id,
            "conversation_id": self.conversation_id,
            "conversation_title": self.conversation_title,
            "speaker": self.speaker,
            "role": self.role,
            "time": (self.time or self.created_at).isoformat(),
            "text": self.content if self.text is None else self.text,
        }


def memory_json(row: Memory) -> dict[str, Any]:
    """A stored memory for `--json` (schema in docs/memory.md)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "content": row.content,
        "source_id": row.source_id,
        "derived": row.derived,
        "created_at": row.created_at.isoformat(),
        "embedded": row.embedded_at is not None,
    }


# ---- writing ------------------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown memory kind {kind[:40]!r}", hint=f"use one of: {', '.join(KINDS)}")
    return kind


def remember(ctx: Context, content: str, *, kind: str = "fact", source_id: int | None = None) -> Memory:
    """Keep something for later; it is searchable by its words at once and by its meaning once embedded."""
    _check_kind(kind)
    cleaned = " ".join(strip_controls(content).split())  # the model's words are kept, its escape sequences not
    if not cleaned:
        raise InvalidInput("nothing to remember", hint='say what to keep, e.g. paa memory add "I am vegetarian"')
    if len(cleaned) > CONTENT_MAX:
        raise InvalidInput(f"a memory holds at most {CONTENT_MAX} characters, this one has {len(cleaned)}")
    row = Memory(user_id=ctx.user_id, kind=kind, content=cleaned, source_id=source_id, created_at=ctx.now())
    ctx.session.add(row)
    ctx.session.flush()
    _notify_indexer(ctx)
    return row


def get_memory(ctx: Context, memory_id: int) -> Memory:
    row = get_row(ctx.session, Memory, memory_id)
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no memory with id {memory_id}", hint="paa memory list shows the ids")
    return row


def forget(ctx: Context, memory_id: int) -> Memory:
    """Delete a memory, its words from the FTS5 index and (once the transaction commits) its vector."""
    row = get_memory(ctx, memory_id)
    was_embedded = row.embedded_at is not None
    ctx.session.delete(row)
    ctx.session.flush()
    if was_embedded:
        _delete_vectors_after_commit(ctx.session, MemoryService.of(ctx), ctx.user_id, [memory_id])
    return row


def list_memories(ctx: Context, *, kind: str | None = None, limit: int = 50) -> list[Memory]:
    """The user's memories, newest first."""
    statement = select(Memory).where(Memory.user_id == ctx.user_id)
    if kind is not None:
        statement = statement.where(Memory.kind == _check_kind(kind))
    statement = statement.order_by(col(Memory.created_at).desc(), col(Memory.id).desc()).limit(max(limit, 0))
    return list(ctx.session.exec(statement).all())


def checkin_text(checkin: DailyCheckin) -> str:
    """The searchable text of a check-in: its day and its answers ("" when it has none)."""
    try:
        items = json.loads(checkin.answers or "[]")
    except ValueError:
        items = []
    texts = [" ".join(str(item.get("answer") or "").split()) for item in items if isinstance(item, dict)]
    texts = [part for part in texts if part]
    return f"Check-in {checkin.day.isoformat()}: {' / '.join(texts)}" if texts else ""


def index_message(ctx: Context, message: Message) -> None:
    """Make a message searchable (cheap: one row and its words, no model call).

    Said by the user, the assistant or another person (an imported conversation); tool messages and the assistant's
    canned replies (`is_canned`) are not memories. Its words are indexed with its neighbours' in the conversation
    and its speaker's name (paa.db.blind.FIELDS), and the turn before it gets this one as its next neighbour."""
    if message.user_id != ctx.user_id:
        return  # never mirror another user's row into this user's memory
    if message.id is None:
        ctx.session.flush()
    if message.role not in MESSAGE_ROLES or not message.content.strip() or is_canned(message):
        return
    row = _mirror(ctx, "message", message.id, message.content.strip(), message.created_at)
    if row is None:
        return
    earlier, before, after = _neighbours(ctx, message)
    _index_with_context(ctx, row, message, before, after)
    if before is not None:
        previous = _mirrored(ctx, "message", before.id)
        if previous is not None:
            _index_with_context(ctx, previous, before, earlier, message)


def index_messages(ctx: Context, messages: Sequence[Message]) -> int:
    """`index_message` for many new messages of one conversation at once (an import), in id order; return how many
    became memories.

    The same memories and index entries as one call each, without a query per message: their memories are flushed
    together and each is indexed with its neighbours among them; the conversation's turn before the first gets the
    first as its next neighbour. Messages of several conversations, or some already mirrored, go one by one."""
    mine = [message for message in messages if message.user_id == ctx.user_id]  # never another user's rows
    if mine and any(message.id is None for message in mine):
        ctx.session.flush()
    ids = [message.id or 0 for message in mine]
    kept = [
        message
        for message in mine
        if message.role in MESSAGE_ROLES and message.content.strip() and not is_canned(message)
    ]
    conversations = {message.conversation_id for message in mine}
    mirrored = ctx.session.exec(
        select(Memory.id).where(
            Memory.user_id == ctx.user_id, Memory.kind == "message", col(Memory.source_id).in_(ids), col(Memory.derived)
        )
    ).first()
    if len(conversations) > 1 or ids != sorted(ids) or mirrored is not None:
        for message in mine:
            index_message(ctx, message)
        return len(kept)
    if not kept:
        return 0
    rows = [
        Memory(
            user_id=ctx.user_id,
            kind="message",
            content=message.content.strip(),
            source_id=message.id,
            derived=True,
            created_at=message.created_at,
        )
        for message in kept
    ]
    ctx.session.add_all(rows)
    ctx.session.flush()
    first_earlier, first_before, _first_after = _neighbours(ctx, kept[0])
    for number, (row, message) in enumerate(zip(rows, kept, strict=True)):
        before = kept[number - 1] if number else first_before
        after = kept[number + 1] if number + 1 < len(kept) else None  # the newest ids of their conversation
        _index_with_context(ctx, row, message, before, after)
    if first_before is not None:
        previous = _mirrored(ctx, "message", first_before.id)
        if previous is not None:
            _index_with_context(ctx, previous, first_before, first_earlier, kept[0])
    _notify_indexer(ctx)
    return len(kept)


MESSAGE_ROLES = ("user", "assistant", "other")


def is_canned(message: Message) -> bool:
    """An assistant reply that is not something said: made by rules, not a model (the offline answers and their
    tool confirmations), or a model's short status line beside its tool calls ("Logging that now."). Not a memory."""
    if message.role != "assistant":
        return False
    if (message.model or "") in CANNED_MODELS:
        return True
    return bool(message.tool_calls) and len(message.content.strip()) <= STATUS_CHARS_MAX


def _neighbours(ctx: Context, message: Message) -> tuple[Message | None, Message | None, Message | None]:
    """The two turns before a message in its conversation (the earlier first) and the one after it (tool messages
    and the offline rules' replies skipped). Each query reads only the rows it needs: every row read is unsealed."""
    earlier, later = _neighbour_queries()
    params = {"user_id": ctx.user_id, "conversation_id": message.conversation_id, "message_id": message.id}
    before: list[Message | None] = [*ctx.session.exec(earlier, params=params), None, None]
    after = ctx.session.exec(later, params=params).first()
    return before[1], before[0], after


@cache
def _neighbour_queries() -> tuple[Any, Any]:
    # Built once (with parameters): a chat turn runs them for each message it indexes, and building them cost about
    # as much as running them.
    from paa.db.models import Message

    base = select(Message).where(
        col(Message.user_id) == bindparam("user_id"),
        col(Message.conversation_id) == bindparam("conversation_id"),
        col(Message.role).in_(MESSAGE_ROLES),
        ~((col(Message.role) == "assistant") & func.coalesce(col(Message.model), "").in_(CANNED_MODELS)),
    )
    earlier = base.where(col(Message.id) < bindparam("message_id")).order_by(col(Message.id).desc()).limit(2)
    return earlier, base.where(col(Message.id) > bindparam("message_id")).order_by(col(Message.id)).limit(1)


def _index_with_context(
    ctx: Context, row: Memory, message: Message, before: Message | None, after: Message | None
) -> None:
    from paa.db import blind
    from paa.db.sealed import keys_of

    connection = ctx.session.connection()
    if connection.dialect.name not in blind.INDEXED_DIALECTS:
        return
    context = " ".join(turn.content for turn in (before, after) if turn is not None)
    speaker = getattr(message, "speaker", None) or ""
    keyset = keys_of(connection.dialect, "memories.content")
    blind.write_entry(connection, keyset, row.id or 0, row.content, context, speaker)


def index_checkin(ctx: Context, checkin: DailyCheckin) -> None:
    """Make a check-in's answers searchable; called again after an edit, it replaces the old text."""
    if checkin.user_id != ctx.user_id:
        return  # never mirror another user's row into this user's memory
    if checkin.id is None:
        ctx.session.flush()
    _mirror(ctx, "checkin", checkin.id, checkin_text(checkin), checkin.created_at)


def index_checkin_of(ctx: Context, day: date) -> None:
    """Make the user's check-in of `day` searchable, in the transaction that saved or edited it."""
    row = ctx.session.exec(
        select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id, DailyCheckin.day == day)
    ).first()
    if row is not None:
        index_checkin(ctx, row)


def _mirrored(ctx: Context, kind: str, source_id: int | None) -> Memory | None:
    if source_id is None:
        return None  # (every source is flushed first: a derived memory always names its row)
    params = {"user_id": ctx.user_id, "kind": kind, "source_id": source_id}
    return ctx.session.exec(_mirrored_query(), params=params).first()


@cache
def _mirrored_query() -> Any:
    # Built once (with parameters): every message and check-in indexed runs it, some twice.
    return (
        select(Memory)
        .where(
            col(Memory.user_id) == bindparam("user_id"),
            col(Memory.kind) == bindparam("kind"),
            col(Memory.source_id) == bindparam("source_id"),
            col(Memory.derived),
        )
        .limit(1)
    )


def _mirror(ctx: Context, kind: str, source_id: int | None, content: str, created_at: datetime) -> Memory | None:
    """Keep one derived memory per source row, with the source's current text; return it (None: none is kept)."""
    existing = _mirrored(ctx, kind, source_id)
    if not content:
        if existing is not None:
            forget(ctx, existing.id or 0)
        return None
    if existing is None:
        existing = Memory(
            user_id=ctx.user_id, kind=kind, content=content, source_id=source_id, derived=True, created_at=created_at
        )
        ctx.session.add(existing)
    elif existing.content != content:
        existing.content = content
        existing.embedded_at = None  # its vector is upserted again under the same id
        ctx.session.add(existing)
    else:
        return existing
    ctx.session.flush()
    _notify_indexer(ctx)
    return existing


def sync_sources(ctx: Context) -> int:
    """Mirror every message and check-in that has no memory yet or whose text changed; return how many changed."""
    from paa.db.models import Message

    changed = 0
    messages = ctx.session.exec(
        select(Message).where(
            Message.user_id == ctx.user_id,
            col(Message.role).in_(MESSAGE_ROLES),
            ~((col(Message.role) == "assistant") & func.coalesce(col(Message.model), "").in_(CANNED_MODELS)),
            ~select(Memory.id)
            .where(Memory.user_id == ctx.user_id, Memory.kind == "message", Memory.source_id == Message.id)
            .exists(),
        )
    ).all()
    for message in messages:
        index_message(ctx, message)
        changed += bool(message.content.strip()) and not is_canned(message)
    mirrored = {
        row.source_id: row.content
        for row in ctx.session.exec(
            select(Memory).where(Memory.user_id == ctx.user_id, Memory.kind == "checkin", col(Memory.derived))
        ).all()
    }
    for checkin in ctx.session.exec(select(DailyCheckin).where(DailyCheckin.user_id == ctx.user_id)).all():
        wanted = checkin_text(checkin)
        if mirrored.get(checkin.id, "") != wanted:
            index_checkin(ctx, checkin)
            changed += 1
    return changed


# ---- searching ----------------------------------------------------------------------------------


def search(
    ctx: Context,
    query: str,
    *,
    limit: int = 8,
    kinds: Sequence[str] | None = None,
    strategy: str = "blend",
    wait_for_model: bool = True,
    embed_first: int = 0,
) -> list[MemoryHit]:
    """The user's memories most relevant to `query`, best first, none below the relevance floor.

    With `wait_for_model` False (building a chat turn's context) meaning counts only once this process has loaded
    the model: until then words alone rank, rather than a one-shot `paa chat` waiting for the load. `embed_first`:
    embed up to this many memories that wait for a vector before the meaning counts (`paa memory search`, the API:
    what was just said is found by meaning too), as `embed_pending` does; outside a write transaction.

    `strategy` is for measuring (bench/recall.py): "blend" (the default) fuses the word and meaning scores, each
    calibrated, plus a bonus for a day the query names; "rank" is the older equal-weight reciprocal-rank fusion;
    "words" and "meaning" are one side alone. Only "blend" applies the relevance floor.
    """
    if strategy not in STRATEGIES:
        raise InvalidInput(f"unknown search strategy {strategy[:20]!r}", hint=f"use one of: {', '.join(STRATEGIES)}")
    query = search_text(query)
    if not query.strip() or limit <= 0:
        return []
    kinds = [_check_kind(kind) for kind in kinds] if kinds else None
    blend = strategy == "blend"
    days, rest = query_days(query, ctx.today()) if blend else ([], query)
    depth = max(limit * 4, 32)
    words = fts_words(rest)
    # A person the query names, who said some of the user's messages: their name counts as who said a memory, not
    # as a word in it ("what did Gina bake" is not "Hey Gina!"), and it is left out of the meaning.
    speakers = _named_speakers(ctx, rest) if blend else []
    listeners = _listeners(rest, speakers)
    if listeners:  # "what did Gina tell Marcus": Gina said it; Marcus's name is neither the speaker nor a word of it
        speakers = [name for name in speakers if name not in listeners]
        rest = _without(rest, listeners)
        query = _without(query, listeners)
        words = fts_words(rest)
    index = MemoryService.of(ctx).vector_index(load=wait_for_model) if strategy != "words" else None
    meant = _without(query, speakers) if speakers else query
    vector_depth = depth * (3 if kinds else 1)
    # The meaning's hits are asked for first: a warm worker's embedding helper embeds the query and scores on its
    # own core while this process embeds what waits and ranks by words (`VectorIndex.scoring`).
    scoring = index.scoring(ctx.user_id, meant, vector_depth) if index is not None else None
    embedded = embed_pending(ctx, limit=embed_first) if embed_first > 0 else 0
    word_hits = _word_scores(ctx, words, depth, kinds, speakers) if strategy != "meaning" else []
    vector_hits = scoring() if scoring is not None else []
    if embedded and index is not None:  # scored before the new vectors were stored: again, with them
        vector_hits = index.scored(ctx.user_id, meant, vector_depth)
    on_days = _said_on(ctx, days, kinds) if days else set()
    found = {i for i, _s in word_hits} | {i for i, _s in vector_hits}
    recent = relative_days(rest, ctx.today()) if blend else []
    if recent:
        on_days |= _said_on(ctx, recent, kinds) & found
    candidates = found | on_days
    if not candidates:
        return []
    rows = _rows(ctx, list(candidates))
    if index is not None:
        stale = [memory_id for memory_id, _similarity in vector_hits if memory_id not in rows]
        if stale:
            index.delete(ctx.user_id, stale)  # forgotten elsewhere before its vector could be deleted
    plain = [word for word in words if word not in speakers]
    from paa.db import blind

    plain_terms = {word: blind.terms(word) for word in plain}  # cut once, compared with each hit's text
    by_words = {i for i, _s in word_hits if i in rows}
    matched: dict[int, tuple[str, ...]] = {}

    def words_in(memory_id: int) -> tuple[str, ...]:
        """The query's words a hit found by words says (cut only for the hits shown: ~0.1 ms each)."""
        if memory_id not in by_words:
            return ()
        if memory_id not in matched:
            matched[memory_id] = _matched_words(rows[memory_id].content, plain_terms)
        return matched[memory_id]

    if strategy == "rank":
        fused = _reciprocal_rank([[i for i, _s in word_hits], [i for i, _s in vector_hits]])
    else:
        best = words_in(word_hits[0][0]) if word_hits else ()
        coverage = len(best) / len(plain) if plain else 1.0
        fused = _blend(word_hits, vector_hits, on_days, coverage, meaning=index is not None)
    said: set[int] = set()
    if speakers:
        said = _said_by(ctx, speakers, list(fused))
        fused = {i: score if i in said else score * OTHER_SPEAKER for i, score in fused.items()}
    named = " or ".join(name.title() for name in speakers)
    wanted = [row for row in rows.values() if kinds is None or row.kind in kinds]
    ordered = sorted(wanted, key=lambda row: (-fused.get(row.id, 0.0), -row.id))
    word_scores, similarities = dict(word_hits), dict(vector_hits)
    hits = []
    shown: set[str] = set()
    for row in ordered:
        memory_id = row.id
        relevance = min(100, round(100 * fused.get(memory_id, 0.0))) if strategy != "rank" else 0
        if strategy == "blend" and relevance < RELEVANCE_FLOOR:
            break
        said_text = " ".join(row.content.casefold().split())
        if strategy == "blend" and said_text in shown:  # the same words again ("Good morning!") tell nothing new
            continue
        shown.add(said_text)
        hit = MemoryHit(
            memory_id, row.kind, row.content, fused.get(memory_id, 0.0), row.created_at, row.source_id,
            relevance=relevance, words=words_in(memory_id), word_score=word_scores.get(memory_id),
            similarity=similarities.get(memory_id), on_day=memory_id in on_days,
            said_by=named if memory_id in said else None,
        )  # fmt: skip
        hits.append(hit)
        if len(hits) >= limit:
            break
    return hits


# Words after which a name is the one spoken to, not the speaker ("tell Marcus", "said to Marcus").
_TO_LISTENER = (
    r"\b(?:tell|told|telling|ask|asked|asking|answer|answered|(?:say|said|saying|talk|talked|write|wrote|"
    r"mention|mentioned|explain|explained)\s+to|text|texted|message|messaged)\s+"
)


def _listeners(query: str, speakers: list[str]) -> list[str]:
    """The named speakers the query names as the one spoken to ("what did Gina tell Marcus"), when another named
    speaker is left to have said it; else none."""
    if len(speakers) < 2:
        return []
    found = [name for name in speakers if re.search(_TO_LISTENER + re.escape(name) + r"\b", query, re.IGNORECASE)]
    return found if len(found) < len(speakers) else []


def _without(query: str, names: list[str]) -> str:
    """The query without the given names (and their possessive 's)."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")(?:'s)?\b", re.IGNORECASE)
    return " ".join(pattern.sub(" ", query).split())


def _reciprocal_rank(rankings: list[list[int]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, memory_id in enumerate(ranking, start=1):
            fused[memory_id] = fused.get(memory_id, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def _blend(
    word_hits: list[tuple[int, float]],
    vector_hits: list[tuple[int, float]],
    on_days: set[int],
    coverage: float,
    *,
    meaning: bool = True,
) -> dict[int, float]:
    """Each memory's relevance in 0..1: its word score and its similarity, each calibrated, weighed and summed.

    bm25 has no fixed scale, so a word score counts relative to the best one of this query, times the share of the
    query's words that best hit holds (`coverage`): a query the words match poorly leans on meaning. A cosine
    similarity has a scale, so it counts as it is (MIN_SIMILARITY is nothing, FULL_SIMILARITY everything): a query
    whose nearest meaning is far leans on words. A memory said on a day the query names gets DAY_BONUS. Without
    the model (`meaning` False) words alone make the whole of it."""
    fused: dict[int, float] = {}
    best_words = word_hits[0][1] if word_hits else 1.0
    for memory_id, score in word_hits:
        fused[memory_id] = WORD_WEIGHT * coverage * score / best_words
    for memory_id, similarity in vector_hits:
        fused[memory_id] = fused.get(memory_id, 0.0) + MEANING_WEIGHT * _calibrated(similarity)
    weights = WORD_WEIGHT + (MEANING_WEIGHT if meaning else 0.0)
    for memory_id in list(fused):
        fused[memory_id] /= weights
    for memory_id in on_days:
        fused[memory_id] = fused.get(memory_id, 0.0) + DAY_BONUS
    return {memory_id: min(score, 1.0) for memory_id, score in fused.items()}


def _calibrated(similarity: float) -> float:
    return max(0.0, min(1.0, (similarity - MIN_SIMILARITY) / (FULL_SIMILARITY - MIN_SIMILARITY)))


def _matched_words(content: str, words: dict[str, list[str]]) -> tuple[str, ...]:
    """The query's words (each with its terms) found in a memory's own text, compared as the index compares them
    (stems, no case)."""
    from paa.db import blind

    found = set(blind.terms(content))
    return tuple(word for word, terms in words.items() if any(term in found for term in terms))


_MONTH_NAMES = (
    "january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul", "august aug",
    "september sep sept", "october oct", "november nov", "december dec",
)  # fmt: skip
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATES = (  # (pattern, which groups are day, month, year)
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE), (2, 1, 3)),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), (3, 2, 1)),
)
YEARS_BACK = 3  # a day named without its year: that day in each of the last few years


def query_days(query: str, today: date) -> tuple[list[date], str]:
    """The days a query names ("on 8 May 2023", "May 8", "2023-05-08") and the query without them.

    A day without a year is that day in this year and the YEARS_BACK before it (not after today)."""
    days: list[date] = []
    rest = query
    for pattern, (day_at, month_at, year_at) in _DATES:
        for found in pattern.finditer(rest):
            month_text = found.group(month_at)
            month = _MONTHS.get(month_text.casefold().rstrip(".")) if not month_text.isdigit() else int(month_text)
            day, year = int(found.group(day_at)), found.group(year_at)
            years = [int(year)] if year else [today.year - back for back in range(YEARS_BACK + 1)]
            for each in years:
                with suppress(ValueError):
                    named = date(each, month or 0, day)
                    if year or named <= today:
                        days.append(named)
        rest = pattern.sub(" ", rest)
    return sorted(set(days)), rest


def relative_days(query: str, today: date) -> list[date]:
    """The days a query names relative to today ("yesterday", "today"). Said in passing as often as asked about
    ("should I run today?"), so they only favour memories found by words or meaning already."""
    found = [
        date.fromordinal(today.toordinal() - offset)
        for word, offset in (("yesterday", 1), ("today", 0))
        if re.search(rf"\b{word}\b", query, re.IGNORECASE)
    ]
    return sorted(found)


def _said_on(ctx: Context, days: list[date], kinds: Sequence[str] | None) -> set[int]:
    """The user's memories made on any of `days` (the user's days, in their time zone), at most a few hundred."""
    from datetime import time, timedelta

    zone = ctx.prefs.zone
    found: set[int] = set()
    for day in days[:8]:
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        statement = select(Memory.id).where(
            Memory.user_id == ctx.user_id,
            col(Memory.created_at) >= start,
            col(Memory.created_at) < start + timedelta(days=1),
        )
        if kinds:
            statement = statement.where(col(Memory.kind).in_(list(kinds)))
        found.update(memory_id for memory_id in ctx.session.exec(statement.limit(200)).all() if memory_id)
    return found


_NAME = re.compile(r"\b[A-Z][\w'-]+")


def _named_speakers(ctx: Context, query: str) -> list[str]:
    """The names in a query (capitalised words) that are the speaker of some of the user's messages."""
    names = [word.casefold() for word in dict.fromkeys(_NAME.findall(query))]
    names = [name.removesuffix("'s") for name in names if name not in _STOPWORDS and name not in _MONTHS][:4]
    if not names:
        return []
    return [name for name in names if _said_by(ctx, [name], None, limit=1)]


def _said_by(ctx: Context, speakers: list[str], ids: list[int] | None, *, limit: int = 1000) -> set[int]:
    """Which memories (of `ids`, or any of the user's) were said by one of `speakers`, as the index has it."""
    bind = ctx.session.get_bind()
    if not speakers or bind.dialect.name not in ("sqlite", "postgresql") or ids == []:
        return set()
    from paa.db import blind
    from paa.db.sealed import keys_of

    keyset = keys_of(bind.dialect, "memory search")
    among = " AND m.id IN :ids" if ids is not None else ""
    if bind.dialect.name == "sqlite":
        expression = blind.hashed_query(keyset, speakers, speakers)
        # CROSS JOIN keeps the index as the outer loop: SQLite otherwise walked the user's memories and asked FTS5
        # about each one (half a second at 50,000 for a name nobody said).
        sql = (
            "SELECT m.id FROM memories_fts CROSS JOIN memories AS m ON m.id = memories_fts.rowid "
            f"WHERE memories_fts MATCH :q AND m.user_id = :user{among} LIMIT :limit"
        )
    else:
        expression = blind.pg_hashed_query(keyset, speakers, speakers)
        sql = (
            "SELECT m.id FROM memories_fts AS f JOIN memories AS m ON m.id = f.memory_id "
            f"WHERE f.terms @@ to_tsquery('simple', :q) AND m.user_id = :user{among} LIMIT :limit"
        )
    statement = text(sql)
    params: dict[str, Any] = {"q": expression, "user": ctx.user_id, "limit": limit}
    if ids is not None:
        statement = statement.bindparams(bindparam("ids", expanding=True))
        params["ids"] = ids
    return {row[0] for row in ctx.session.execute(statement, params)}


def _rows(ctx: Context, ids: list[int]) -> dict[int, Row[Any]]:
    """The columns a hit shows of each of `ids` that is one of the user's memories (a vector's memory may have been
    forgotten), read with the columns' own types (the text unsealed, the time in UTC). Written out rather than built:
    compiling the ORM's query of whole memories took ~3 ms in every new process, a built select of these columns ~2."""
    return {row.id: row for row in ctx.session.execute(_ROWS, {"user": ctx.user_id, "ids": ids})}


_ROWS = (
    text("SELECT id, kind, content, created_at, source_id FROM memories WHERE user_id = :user AND id IN :ids")
    .bindparams(bindparam("ids", expanding=True))
    .columns(*(Memory.__table__.c[name] for name in ("id", "kind", "content", "created_at", "source_id")))  # type: ignore[attr-defined]
)


def search_text(query: str) -> str:
    """The part of a query any search reads: its first QUERY_CHARS_MAX characters (cut at a space when one is near)."""
    if len(query) <= QUERY_CHARS_MAX:
        return query
    cut = query[:QUERY_CHARS_MAX]
    space = cut.rfind(" ", QUERY_CHARS_MAX - 100)
    return cut[:space] if space > 0 else cut


def query_words(query: str) -> list[str]:
    """The distinct words (split at spaces, compared without case) of a query's searched text, at most 32."""
    words = dict.fromkeys(word.casefold() for word in search_text(query).split())
    return list(words)[:QUERY_TERMS_MAX]


def fts_words(query: str) -> list[str]:
    """The words of a query that the word index is asked for: the most telling first (stopwords go), at most 16."""
    words = list(dict.fromkeys(word.casefold() for word in _WORD.findall(search_text(query))))
    content = [word for word in words if word not in _STOPWORDS]
    return (content or words)[:FTS_TERMS_MAX]


def fts_query(query: str) -> str | None:
    """An FTS5 expression for free text: each word quoted (no operator injection), any of them may match."""
    return " OR ".join(f'"{word}"' for word in fts_words(query)) or None


def _word_ranking(ctx: Context, query: str, depth: int, kinds: Sequence[str] | None) -> list[int]:
    """Memory ids whose words match, best first (see `_word_scores`)."""
    return [memory_id for memory_id, _score in _word_scores(ctx, fts_words(query), depth, kinds)]


def _word_scores(
    ctx: Context, words: list[str], depth: int, kinds: Sequence[str] | None, speakers: list[str] | None = None
) -> list[tuple[int, float]]:
    """(memory id, score) of the memories whose words match, best first: over the index of hashed words, ranked by
    bm25 (SQLite's FTS5) or ts_rank (PostgreSQL's tsvector), the memory's own words weighing more than its
    neighbours' and its speaker's (paa.db.blind.FIELD_WEIGHTS); elsewhere a scan of the user's memories, opened
    one by one (their text is sealed, so the database cannot compare it), scored by the words they contain."""
    if not words:
        return []
    kind_filter = " AND m.kind IN :kinds" if kinds else ""
    bind = ctx.session.get_bind()
    if bind.dialect.name in ("sqlite", "postgresql"):
        from paa.db import blind
        from paa.db.sealed import keys_of

        keyset = keys_of(bind.dialect, "memory search")
        if bind.dialect.name == "sqlite":
            expression = blind.hashed_query(keyset, words, speakers)
            weights = ", ".join(str(weight) for weight in blind.FIELD_WEIGHTS)
            sql = (
                f"SELECT m.id, -bm25(memories_fts, {weights}) AS score FROM memories_fts "
                "CROSS JOIN memories AS m ON m.id = memories_fts.rowid "
                f"WHERE memories_fts MATCH :q AND m.user_id = :user{kind_filter} ORDER BY score DESC LIMIT :depth"
            )
        else:
            expression = blind.pg_hashed_query(keyset, words, speakers)
            # Normalisation 1 divides by 1 + log(length): a short memory naming the word beats a long one that
            # mentions it once, as bm25 has it; the newer memory first on a tie.
            sql = (
                f"SELECT m.id, ts_rank('{blind.PG_RANK_WEIGHTS}', f.terms, q, 1) AS score "
                "FROM memories_fts AS f JOIN memories AS m ON m.id = f.memory_id, to_tsquery('simple', :q) AS q "
                f"WHERE f.terms @@ q AND m.user_id = :user{kind_filter} ORDER BY score DESC, m.id DESC LIMIT :depth"
            )
        if expression is None:
            return []
        params: dict[str, Any] = {"q": expression, "user": ctx.user_id, "depth": depth}
        if kinds:
            params["kinds"] = list(kinds)
        statement = text(sql)
        if kinds:
            statement = statement.bindparams(bindparam("kinds", expanding=True))
        return [(row[0], float(row[1])) for row in ctx.session.execute(statement, params)]
    scan = select(Memory.id, Memory.content).where(Memory.user_id == ctx.user_id)
    if kinds:
        scan = scan.where(col(Memory.kind).in_(list(kinds)))
    found: list[tuple[int, float]] = []
    for memory_id, content in ctx.session.exec(scan.order_by(col(Memory.id).desc())):
        lowered = content.casefold()
        matched = sum(word in lowered for word in words)
        if memory_id is not None and matched:
            found.append((memory_id, float(matched)))
            if len(found) >= depth:
                break
    return sorted(found, key=lambda pair: -pair[1])


# ---- vectors ------------------------------------------------------------------------------------


def _delete_vectors_after_commit(session: Session, service: MemoryService, user_id: int, memory_ids: list[int]) -> None:
    """Delete vectors once the deletion of their rows is committed; a rollback leaves them (and the rows) alone."""
    pending: list[int] = session.info.setdefault("paa_forgotten_vectors", [])
    if not pending:

        def after_commit(committed: Session) -> None:
            ids = list(committed.info.pop("paa_forgotten_vectors", []))
            index = service.vector_index() if ids else None
            if index is not None:
                index.delete(user_id, ids)

        def after_rollback(rolled_back: Session) -> None:
            rolled_back.info.pop("paa_forgotten_vectors", None)

        event.listen(session, "after_commit", after_commit, once=True)
        event.listen(session, "after_soft_rollback", after_rollback, once=True)
    pending.extend(memory_ids)


# ---- embedding what is waiting ------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryStatus:
    """How many memories a user has, how many wait for a vector, and which embedder makes them."""

    total: int
    pending: int
    embedder: embeddings.EmbedderStatus

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "pending": self.pending, "embedder": self.embedder.to_json()}


def memory_status(ctx: Context) -> MemoryStatus:
    counts = ctx.session.execute(
        text("SELECT count(*), count(*) - count(embedded_at) FROM memories WHERE user_id = :user"),
        {"user": ctx.user_id},
    ).one()
    return MemoryStatus(int(counts[0]), int(counts[1]), embeddings.status(ctx.paths.data_dir))


def embed_pending(ctx: Context, *, limit: int | None = None, batch: int = 128) -> int:
    """Store vectors for the user's memories that have none yet; return how many were stored.

    Call it outside a write transaction (the model runs between two short transactions of its own); within one,
    the rows are marked through the caller's session instead.
    """
    index = MemoryService.of(ctx).vector_index()
    if index is None:
        return 0
    engine = _base_engine(ctx.session)
    own = None if _holds_write_lock(ctx.session) else engine
    return _embed_waiting(
        index, engine, ctx.clock, user_id=ctx.user_id, limit=limit, batch=batch, session=ctx.session, mark_engine=own
    )


def requeue_missing_vectors(ctx: Context) -> int:
    """Mark as waiting the user's memories marked embedded whose vector the store does not hold; return how many.

    A store can lose vectors without paa knowing: a Chroma server's data lost, or vectors made into another store for
    a while (`memory.chroma_url` set, then unset, then set again). `paa memory reindex` looks; long-running
    processes look once for every user as their indexer starts (`BackgroundIndexer`). Like `embed_pending`, call it
    outside a write transaction (the store is asked with none open); within one, the rows are marked through it."""
    index = MemoryService.of(ctx).vector_index()
    if index is None:
        return 0
    engine = _base_engine(ctx.session)
    return _requeue_missing(index, engine, ctx.user_id, ctx.session if _holds_write_lock(ctx.session) else None)


_MARKED = text("SELECT id FROM memories WHERE user_id = :user AND embedded_at IS NOT NULL")
_UNMARK = text("UPDATE memories SET embedded_at = NULL WHERE user_id = :user AND id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _requeue_missing(index: VectorStore, engine: Engine, user_id: int, session: Session | None = None) -> int:
    if not index.is_current(user_id):
        return 0  # none yet, or another embedder's: the next embedding starts the user's set again anyway
    # The store is read first: a memory embedded by another process meanwhile is at worst embedded once more.
    stored = index.memory_ids(user_id)
    if session is not None:
        marked = session.execute(_MARKED, {"user": user_id}).all()
    else:
        with engine.connect() as conn:
            marked = conn.execute(_MARKED, {"user": user_id}).all()
    missing = [int(row[0]) for row in marked if int(row[0]) not in stored]
    for start in range(0, len(missing), 500):
        params = {"user": user_id, "ids": missing[start : start + 500]}
        if session is not None:
            session.execute(_UNMARK, params)
        else:
            with writer(engine).begin() as conn:
                conn.execute(_UNMARK, params)
    return len(missing)


def requeue_missing_everywhere(index: VectorStore, engine: Engine) -> int:
    """`requeue_missing_vectors` for every user with embedded memories (a long-running process's indexer, at start)."""
    query = text("SELECT DISTINCT user_id FROM memories WHERE embedded_at IS NOT NULL")
    with engine.connect() as conn:
        owners = [int(row[0]) for row in conn.execute(query)]
    return sum(_requeue_missing(index, engine, owner) for owner in owners)


def reset_vectors(ctx: Context) -> int:
    """Forget every vector of the user and mark all their memories as waiting; return how many wait now."""
    index = MemoryService.of(ctx).vector_index()
    if index is not None:
        index.reset(ctx.user_id)
    result = ctx.session.execute(
        text("UPDATE memories SET embedded_at = NULL WHERE user_id = :user"), {"user": ctx.user_id}
    )
    return int(getattr(result, "rowcount", 0) or 0)


def warm_up(ctx: Context) -> bool:
    """Load the model and the user's vectors now, so the first search is quick; False when unavailable."""
    index = MemoryService.of(ctx).vector_index()
    if index is None:
        return False
    index.embedder.embed(["warm up"])
    index.load(ctx.user_id)
    return True


def _base_engine(session: Session) -> Engine:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.execution_options(**{WRITE_OPTION: False})


def _holds_write_lock(session: Session) -> bool:
    bind = session.get_bind()
    return bool(bind.get_execution_options().get(WRITE_OPTION)) and session.in_transaction()


def _embed_waiting(
    index: VectorStore,
    engine: Engine,
    clock: Clock,
    *,
    user_id: int | None,
    limit: int | None,
    batch: int,
    session: Session | None = None,
    mark_engine: Engine | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Read waiting rows, embed them with no transaction open, store the vectors, then mark the rows."""
    _requeue_stale(index, engine, user_id=user_id, session=session, mark_engine=mark_engine)
    # Read on a connection of its own, unless inside the caller's write transaction: the caller's session may hold a
    # snapshot from before rows were marked waiting on another connection (`paa memory reindex` does that first).
    if not _any_waiting(engine, user_id, session if mark_engine is None else None):
        return 0  # the usual case of a search: one plain query, not the row query below (compiled per process)
    done = 0
    after_id = 0
    while limit is None or done < limit:
        if stop is not None and stop.is_set():
            break
        size = batch if limit is None else min(batch, limit - done)
        # The text opened for the model, and as stored (sealed) for the check that it did not change meanwhile.
        stored = type_coerce(Memory.content, String).label("stored")
        statement = select_columns(
            col(Memory.id), col(Memory.user_id), col(Memory.kind), col(Memory.content), stored
        ).where(col(Memory.embedded_at).is_(None), col(Memory.id) > after_id)
        if user_id is not None:
            statement = statement.where(col(Memory.user_id) == user_id)
        statement = statement.order_by(col(Memory.id)).limit(size)
        if mark_engine is None and session is not None:  # inside the caller's write transaction: see its rows
            rows = list(session.execute(statement).all())
        else:
            with engine.connect() as conn:
                rows = list(conn.execute(statement).all())
        if not rows:
            break
        after_id = rows[-1][0]
        by_user: dict[int, list[tuple[int, str, str]]] = {}
        for memory_id, owner, kind, content, _stored in rows:
            by_user.setdefault(owner, []).append((memory_id, kind, content))
        # Inside the caller's write transaction, on PostgreSQL the vectors are stored in it: its new memories are
        # not visible to another connection yet.
        inside = session.connection() if mark_engine is None and session is not None else None
        for owner, items in by_user.items():
            if inside is not None:
                index.upsert(owner, items, connection=inside)
            else:
                index.upsert(owner, items)
        ids, stored_texts = [row[0] for row in rows], [row[4] for row in rows]
        _mark_embedded(ids, stored_texts, clock.now(), mark_engine, session, vectors_in_database=index.in_database)
        done += len(rows)
    return done


_WAITING = "SELECT 1 FROM memories WHERE embedded_at IS NULL"


def _any_waiting(engine: Engine, user_id: int | None, session: Session | None) -> bool:
    """Whether any memory (of `user_id`, if given) waits for its vector; read through `session` when given."""
    query, params = (_WAITING + " AND user_id = :user LIMIT 1", {"user": user_id}) if user_id is not None else (
        _WAITING + " LIMIT 1", {})  # fmt: skip
    if session is not None:
        return session.execute(text(query), params).first() is not None
    with engine.connect() as conn:
        return conn.execute(text(query), params).first() is not None


def _requeue_stale(
    index: VectorStore, engine: Engine, *, user_id: int | None, session: Session | None, mark_engine: Engine | None
) -> None:
    """Mark as waiting the memories of users whose vectors another embedder made (or that are not in the index at
    all, as after the move from chromadb): they are embedded again, never compared with the new ones."""
    query = "SELECT DISTINCT user_id FROM memories WHERE embedded_at IS NOT NULL"
    params: dict[str, Any] = {}
    if user_id is not None:
        if index.is_current(user_id):
            return
        query += " AND user_id = :user"
        params["user"] = user_id
    if mark_engine is None and session is not None:
        owners = [row[0] for row in session.execute(text(query), params)]
    else:
        with engine.connect() as conn:
            owners = [row[0] for row in conn.execute(text(query), params)]
    for owner in owners:
        if index.is_current(owner):
            continue
        # The rows first: a stop in between leaves them waiting, and `upsert` then drops the other embedder's set.
        requeue = text("UPDATE memories SET embedded_at = NULL WHERE user_id = :user")
        if mark_engine is not None:
            with writer(mark_engine).begin() as conn:
                conn.execute(requeue, {"user": owner})
        elif session is not None:
            session.execute(requeue, {"user": owner})
        index.reset(owner)


def _mark_embedded(
    ids: list[int],
    contents: list[str],
    now: datetime,
    engine: Engine | None,
    session: Session | None,
    *,
    vectors_in_database: bool,
) -> None:
    # Only rows whose text is still what was embedded (compared as stored, sealed): an edit in between leaves the row
    # waiting for another go. With the vectors in the database (PostgreSQL), only rows whose vector is there: another
    # process taking the user's set over (`_requeue_stale`) may have emptied it since, and a row marked with no vector
    # would never get one.
    query = "UPDATE memories SET embedded_at = :now WHERE id = :id AND content = :content"
    if vectors_in_database:
        query += " AND EXISTS (SELECT 1 FROM memory_vectors AS v WHERE v.memory_id = memories.id)"
    statement = text(query)
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # how the UTCDateTime column stores instants
    params = [{"now": stamp, "id": i, "content": c} for i, c in zip(ids, contents, strict=True)]
    if engine is not None:
        with writer(engine).begin() as conn:
            conn.execute(statement, params)
    elif session is not None:
        session.execute(statement, params)


def drop_orphan_vectors(index: VectorStore, engine: Engine) -> int:
    """Delete the vectors, sets and snapshot files of users and memories the database no longer has; return how
    many vectors went. For every user of the database: run by a process's background indexer, which acts for none."""
    # Who the store holds is read before the database: a user who registers and gets vectors after this read is
    # not among them, so is never taken for a deleted one (read the other way round, she would be).
    on_record = index.users_on_record()
    with engine.connect() as conn:
        users = [int(row[0]) for row in conn.execute(text("SELECT id FROM users"))]
        newest = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM memories")).scalar_one())

    def memories_of(user_id: int) -> set[int]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM memories WHERE user_id = :user"), {"user": user_id})
            return {int(row[0]) for row in rows}

    return index.drop_orphans(users, memories_of, newest, on_record=on_record)


class BackgroundIndexer:
    """A thread that embeds waiting memories of every user of a database, for long-running processes.

    `index_message` and the other writers wake it through their runtime's `MemoryService`; it also looks every
    `interval` seconds, so rows committed by other processes are picked up too.
    """

    def __init__(self, index: VectorStore, engine: Engine, clock: Clock, *, interval: float = 30.0) -> None:
        self.index = index
        self.engine = engine.execution_options(**{WRITE_OPTION: False})
        self.clock = clock
        self.interval = interval
        self.embedded = 0
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paa-memory-indexer", daemon=True)

    def start(self) -> BackgroundIndexer:
        self._thread.start()
        return self

    def notify(self) -> None:
        """Something was written: look soon (after the writer's commit, a moment later)."""
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a pass finds nothing waiting; True if it did within `timeout` seconds."""
        return self._idle.wait(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:  # once a process: what was deleted outside paa (a user deleted with SQL) leaves the vector store too
            drop_orphan_vectors(self.index, self.engine)
        except Exception as exc:  # the vectors stay until the next process; searches skip what has no row
            self.error = exc
        try:  # and what the store lost (a Chroma server's data, a switch of stores) is embedded again
            requeue_missing_everywhere(self.index, self.engine)
        except Exception as exc:  # looked for again by the next process, or `paa memory reindex`
            self.error = exc
        while not self._stop.is_set():
            self._wake.clear()
            try:
                found = _embed_waiting(
                    self.index, self.engine, self.clock, user_id=None, limit=None, batch=64,
                    mark_engine=self.engine, stop=self._stop,
                )  # fmt: skip
                self.embedded += found
                if found == 0:
                    self._idle.set()
            except Exception as exc:  # keep the process alive; the rows stay waiting and are found by words
                self.error = exc
                self._idle.set()
            if not self._wake.is_set():
                self._wake.wait(self.interval)


class MemoryService:
    """Memory search's live parts for one runtime: the vector index (its file and the model) and the indexer.

    Made on first use (`MemoryService.of(ctx)`), kept in the runtime's services and closed with it, so two runtimes
    in one process share nothing but the loaded model (`embeddings.load_embedder`).
    """

    def __init__(
        self, data_dir: Path, engine: Callable[[], Engine] | None = None, settings: Settings | None = None
    ) -> None:
        self.data_dir = data_dir
        self._engine = engine  # the main database's: on PostgreSQL the vectors live there (`SharedVectorIndex`)
        self._settings = settings  # memory.chroma_url: a Chroma server that holds the vectors instead
        self._index: VectorStore | None = None
        self._indexer: BackgroundIndexer | None = None
        self._lock = threading.Lock()
        self.closed = False

    @classmethod
    def of(cls, owner: Context | Runtime) -> MemoryService:
        """The memory service of a context's runtime (or of a runtime)."""
        data_dir = owner.paths.data_dir
        settings = owner.loaded.settings
        if isinstance(owner, Runtime):
            runtime = owner
            return owner.services.get(cls, lambda: cls(data_dir, lambda: runtime.engine, settings))
        session = owner.session

        def make() -> MemoryService:  # the engine looked up once, when the service is made
            engine = _base_engine(session)
            return cls(data_dir, lambda: engine, settings)

        return owner.services.get(cls, make)

    def vector_index(self, *, load: bool = True) -> VectorStore | None:
        """The vector index of the data folder, or None when numpy, tokenizers or the local model is missing; with
        `load` False also None while this process has not loaded the model (a search that must not wait for it)."""
        if not load and self._index is None and not self._model_loaded():
            return None
        with self._lock:
            if self.closed:  # a thread that outlived its runtime (a late warm-up) opens nothing more
                return None
            if self._index is None:
                with suppress(OSError):  # a folder paa may not change: the old files only take room
                    remove_chromadb_files(self.data_dir / "memory")
                embedder_status = embeddings.status(self.data_dir)
                if not embedder_status.available or embedder_status.model_dir is None:
                    return None
                cache = self.data_dir / embeddings.CACHE_FOLDER
                model = load_embedder(embedder_status.model_dir, cache)
                engine = self._engine() if self._engine is not None else None
                folder = self.data_dir / "memory"
                # (paa.ai.chroma is imported only here: a check-in's memory index never needs it)
                if self._settings is not None and self._settings.memory_chroma_url:  # shared by all who name it
                    from paa.ai.chroma import ChromaVectorIndex, target_of

                    target = target_of(self._settings)
                    assert target is not None
                    self._index = ChromaVectorIndex(target, model, min_similarity=MIN_SIMILARITY)
                elif engine is not None and engine.dialect.name == "postgresql":  # shared by every process on it
                    self._index = SharedVectorIndex(folder, model, engine, min_similarity=MIN_SIMILARITY)
                else:  # SQLite: a file beside the database, written outside its write lock
                    self._index = VectorIndex(folder, model, min_similarity=MIN_SIMILARITY)
            return self._index

    def _model_loaded(self) -> bool:
        found = embeddings.status(self.data_dir)
        if not found.available or found.model_dir is None:
            return False
        return loaded_embedder(found.model_dir, self.data_dir / embeddings.CACHE_FOLDER) is not None

    def start_indexer(self, engine: Engine, clock: Clock, *, interval: float = 30.0) -> BackgroundIndexer | None:
        """Start (or return the running) background indexer; None without the model."""
        running = self._indexer
        if running is not None and running.is_alive():
            return running
        index = self.vector_index()
        if index is None:
            return None
        with self._lock:
            if self.closed:  # nobody would stop it
                return None
            if self._indexer is None or not self._indexer.is_alive():
                self._indexer = BackgroundIndexer(index, engine, clock, interval=interval).start()
            return self._indexer

    def notify_after_commit(self, session: Session) -> None:
        """Wake the running indexer once this session's transaction commits, so it can see the new row."""
        indexer = self._indexer
        if indexer is not None and indexer.is_alive():
            event.listen(session, "after_commit", lambda _s: indexer.notify(), once=True)

    def close(self) -> None:
        """Stop the indexer and close the vector index's file; the service opens nothing after this."""
        with self._lock:
            self.closed = True
            indexer, self._indexer = self._indexer, None
            index, self._index = self._index, None
        if indexer is not None:
            indexer.stop()
        if index is not None:
            index.close()


def start_indexer(ctx: Context, *, interval: float = 30.0) -> BackgroundIndexer | None:
    """Start (or return the running) background indexer of this context's runtime; None without the model.

    Every later context of the same runtime wakes it when it writes a memory.
    """
    return MemoryService.of(ctx).start_indexer(_base_engine(ctx.session), ctx.clock, interval=interval)


def _notify_indexer(ctx: Context) -> None:
    """A memory was written: with a job queue, a worker embeds it (paa.ai.queue); else wake this process's indexer."""
    from paa.ai import queue

    if not queue.enqueue_after_commit(ctx, queue.EMBED_MEMORIES, user_id=ctx.user_id):
        MemoryService.of(ctx).notify_after_commit(ctx.session)
