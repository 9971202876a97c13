"""`paa memory`: add, list, search and forget through the real CLI, with the real embedder and vector file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paa.ai import embeddings, memory
from tests.support.clock import FIXED_NOW
from tests.support.fake_anthropic import FakeAnthropic, reply
from tests.support.processes import paa_executable

needs_vectors = pytest.mark.skipif(
    not embeddings.status(None).available, reason="the memory extra or the model is missing"
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@needs_vectors
def test_add_list_search_forget(cli) -> None:
    added = cli("memory", "add", "I'm training for a half marathon in March")
    assert (added.code, added.err) == (0, "")
    assert added.out.strip() == "Remembered #1: I'm training for a half marathon in March"
    assert cli("memory", "add", "My sister Anna lives in Lisbon").code == 0

    listed = cli("memory", "list", "--json")
    assert listed.code == 0
    assert json.loads(listed.out) == [
        {"id": 2, "kind": "fact", "content": "My sister Anna lives in Lisbon", "source_id": None, "derived": False,
         "created_at": FIXED_NOW.isoformat(), "embedded": False},
        {"id": 1, "kind": "fact", "content": "I'm training for a half marathon in March", "source_id": None,
         "derived": False, "created_at": FIXED_NOW.isoformat(), "embedded": False},
    ]  # fmt: skip
    human = cli("memory", "list")
    assert "#1 2026-11-26 fact I'm training for a half marathon in March" in human.out
    assert "words only for now" in human.out

    found = cli("memory", "search", "what race am I preparing for", "--json")  # embeds what waits, then searches
    assert found.code == 0, found.err
    hits = json.loads(found.out)
    assert hits[0]["memory_id"] == 1 and hits[0]["kind"] == "fact" and hits[0]["score"] > 0
    assert set(hits[0]) == {
        "memory_id", "kind", "content", "score", "relevance", "matched_words", "word_score", "similarity", "on_day",
        "created_at", "source_id", "message_id", "conversation_id", "conversation_title", "speaker", "role", "time",
        "text",
    }  # fmt: skip
    assert all(row["embedded"] for row in json.loads(cli("memory", "list", "--json").out))
    assert 0 < hits[0]["relevance"] <= 100 and hits[0]["matched_words"] == [] and hits[0]["similarity"] > 0
    assert "#2 2026-11-26 fact My sister Anna lives in Lisbon" in cli("memory", "search", "family").out
    # People see a relevance out of 100 and why it matched: the words it shares with the query, or its meaning.
    lisbon = cli("memory", "search", "who lives in Lisbon")
    assert "My sister Anna lives in Lisbon (relevance " in lisbon.out and "; words: lives, lisbon" in lisbon.out
    assert "(relevance " in (race := cli("memory", "search", "what race am I preparing for").out)
    assert "by meaning)" in race
    assert cli("memory", "search", "Lisbon", "--kind", "message", "--json").out.strip() == "[]"

    refused = cli("memory", "forget", "1")  # no terminal: asks for --yes instead of guessing
    assert refused.code == 11 and "--yes" in refused.err
    forgot = cli("memory", "forget", "1", "--yes")
    assert (forgot.code, forgot.out.strip()) == (0, "Forgot #1.")
    assert [row["id"] for row in json.loads(cli("memory", "list", "--json").out)] == [2]
    assert [hit["memory_id"] for hit in json.loads(cli("memory", "search", "half marathon", "--json").out)] == []


def test_errors_have_exit_codes_and_hints(cli) -> None:
    missing = cli("memory", "forget", "42", "--yes")
    assert missing.code == 4
    assert missing.err.splitlines() == ["paa: error: no memory with id 42", "hint: paa memory list shows the ids"]
    empty = cli("memory", "add", "   ")
    assert empty.code == 3 and "nothing to remember" in empty.err
    bad_kind = cli("memory", "list", "--kind", "secrets")
    assert bad_kind.code == 3 and "fact, message, checkin" in bad_kind.err
    assert cli("memory", "search", "anything").out.strip() == "No memory matches that."
    assert "Nothing remembered yet" in cli("memory", "list").out


@needs_vectors
def test_reindex_picks_up_checkins_and_computes_vectors(cli, make_ctx) -> None:
    from paa.core.checkins.entries import Answer, save_checkin

    with make_ctx(write=True) as ctx:
        save_checkin(
            ctx, ctx.today(), [Answer("How was your day?", "Went swimming at the lake")], mood=4
        )  # not indexed by core
    assert cli("memory", "list", "--json").out.strip() == "[]"
    done = cli("memory", "reindex")
    assert done.code == 0, done.err
    assert done.out.strip() == "Indexed 1 new or changed item(s); computed 1 vector(s) with all-MiniLM-L6-v2."
    [row] = json.loads(cli("memory", "list", "--json").out)
    assert (row["kind"], row["derived"], row["embedded"]) == ("checkin", True, True)
    assert row["content"] == "Check-in 2026-11-26: Went swimming at the lake"
    assert json.loads(cli("memory", "search", "a day by the water", "--json").out)[0]["memory_id"] == row["id"]
    again = cli("memory", "reindex", "--full")
    assert again.out.strip() == "Indexed 0 new or changed item(s); computed 1 vector(s) with all-MiniLM-L6-v2."


def _imports(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**__import__("os").environ, "PAA_NOW": FIXED_NOW.isoformat()}
    command = [sys.executable, "-X", "importtime", paa_executable(), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    found = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return done, found | {name.split(".")[0] for name in found}  # every module, and every top-level package


HEAVY = {"chromadb", "numpy", "onnxruntime", "tokenizers", "anthropic"}


@pytest.mark.e2e
def test_remembering_loads_no_model(make_ctx) -> None:
    """Writing a memory is cheap: no numpy, onnxruntime or tokenizer is imported, in a real subprocess."""
    with make_ctx():
        pass  # migrate first, as any earlier run would have
    done, imported = _imports("memory", "add", "I keep my spare key under the mat")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sqlalchemy" in imported  # the parse saw the real imports
    assert sorted(imported & HEAVY) == []
    if embeddings.status(None).available:
        done, imported = _imports("memory", "search", "where is the key")
        assert done.returncode == 0, done.stderr[-2000:]
        # The model loads in a helper forked before the command's imports (`embedding_helper.start_ahead`).
        assert not {"onnxruntime", "tokenizers"} & imported
        assert "chromadb" not in imported  # searching reads the vector file with numpy alone (about 1 s less)
        # Where each hit came from (its conversation and speaker, with the chat tables) is read for --json only.
        assert "paa.ai.history" not in imported and "paa.db.models.chat" not in imported
        done, imported = _imports("memory", "search", "where is the key", "--json")
        assert done.returncode == 0, done.stderr[-2000:]
        assert "paa.ai.history" in imported


def test_one_shots_leave_their_new_memories_to_the_next_search(cli, make_ctx, fake_anthropic: FakeAnthropic) -> None:
    """`paa memory add` and a one-shot `paa chat` never wait for the model to embed what they wrote: the rows wait
    for the next search, `reindex`, the daemon or a long-running process's indexer."""
    fake_anthropic.push(reply("Good luck with the race in Lisbon."))
    assert cli("memory", "add", "I'm training for a half marathon in March").code == 0
    assert cli("chat", "--no-stdin", "I signed up for the Lisbon half marathon").code == 0
    with make_ctx() as ctx:
        status = memory.memory_status(ctx)
    assert status.total >= 2 and status.pending == status.total
    if status.embedder.available:
        assert cli("memory", "search", "race").code == 0
        with make_ctx() as ctx:
            assert memory.memory_status(ctx).pending == 0
