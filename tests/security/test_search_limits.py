"""A huge search query: every search reads at most 2,000 characters and 32 distinct words of it.

100 KB of words once made `paa chat search` run 17 s and fail with SQLite's "Expression tree is too large".
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from paa.ai import memory
from paa.ai.store import add_message, create_conversation, search_messages
from tests.support.runtime import runtime_for

HUGE = " ".join(f"word{number}" for number in range(15_000))  # about 100 KB


@pytest.fixture
def chatted(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        conversation = create_conversation(ctx, "knees")
        assert conversation.id is not None
        add_message(ctx, conversation.id, "user", "my knee hurts after running word1 word2")
        memory.remember(ctx, "knee pain after running word1")


@pytest.mark.parametrize("command", [("chat", "search"), ("memory", "search")])
def test_a_100_kb_query_is_answered_not_refused(cli, chatted, command: tuple[str, ...]) -> None:
    done = cli(*command, "--json", HUGE)
    assert done.code == 0, done.err[-500:]
    assert "Expression tree" not in done.err


def test_message_search_matches_at_most_32_words(make_ctx, chatted) -> None:
    """Only the first 32 distinct words are required: a message holding exactly those matches the 15,000-word query.

    (Messages are sealed at rest, so the words are compared in paa, never in SQL: no LIKE is built from them.)
    """
    first_words = " ".join(f"word{number}" for number in range(memory.QUERY_TERMS_MAX))
    with make_ctx(write=True) as ctx:
        conversation = create_conversation(ctx, "many words")
        assert conversation.id is not None
        add_message(ctx, conversation.id, "user", first_words)
    statements: list[str] = []
    with runtime_for() as runtime:
        event.listen(runtime.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        with runtime.context() as ctx:
            hits = search_messages(ctx, HUGE)
    assert [hit.message.content for hit in hits if hit.source == "text"] == [first_words]
    assert not any(re.search(r"\bLIKE\b", statement) for statement in statements)


def test_the_caps() -> None:
    assert len(memory.search_text(HUGE)) <= memory.QUERY_CHARS_MAX
    assert memory.search_text(HUGE).endswith(tuple("0123456789"))  # cut at a space: no half word
    assert memory.query_words(HUGE) == [f"word{number}" for number in range(memory.QUERY_TERMS_MAX)]
    assert memory.query_words("Knee knee KNEE pain") == ["knee", "pain"]  # distinct, without case
    expression = memory.fts_query(HUGE)
    assert expression is not None and expression.count(" OR ") + 1 <= memory.QUERY_TERMS_MAX
