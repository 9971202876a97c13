"""When real `paa` processes load the embedding model: one-shots (`paa chat "..."`, `paa memory add`) never do, and
`paa serve` does in the background, on its own, so a chat turn (which never waits for the model) finds memories by
meaning once it is in."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from paa.ai import embeddings
from tests.e2e.test_serve import register, serving
from tests.support.fake_anthropic import FakeAnthropic, Recorded, Reply, reply
from tests.support.processes import run_with_importtime
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = pytest.mark.e2e

# What loading the model imports (ONNX Runtime's embedder or numpy's; both tokenize with `tokenizers`).
MODEL = {"numpy", "onnxruntime", "tokenizers", "chromadb"}
needs_vectors = pytest.mark.skipif(
    not embeddings.status(None).available, reason="the memory extra or the local model is missing"
)


def test_a_one_shot_chat_and_memory_add_never_load_the_embedding_model(make_ctx, fake_anthropic: FakeAnthropic) -> None:
    with make_ctx():
        pass  # migrate first, as any earlier run would have
    added, imported = run_with_importtime("memory", "add", "I am allergic to peanuts")
    assert added.returncode == 0, added.stderr[-2000:]
    assert "sqlalchemy" in imported and sorted(imported & MODEL) == []
    if embeddings.status(None).available:  # a vector made, so a chat that loaded the model would have one to use
        embedded, imported = run_with_importtime("memory", "reindex")
        assert embedded.returncode == 0 and "tokenizers" in imported  # the check below can see the model load
    fake_anthropic.push(reply("Then skip the satay."))
    chat, imported = run_with_importtime("chat", "--no-stdin", "Is satay with peanut sauce fine for me?")
    assert chat.returncode == 0, chat.stderr[-2000:]
    assert "Then skip the satay." in chat.stdout
    assert "anthropic" in imported and sorted(imported & MODEL) == []
    [request] = _turns_asking(fake_anthropic, "satay")  # (not a background call the process may make too)
    assert "allergic to peanuts" in str(request.body.get("system"))  # memory was searched, by its words


def _turns_asking(fake: FakeAnthropic, words: str) -> list[Recorded]:
    """The chat turns sent to the fake whose messages hold `words`."""
    return [request for request in fake.message_requests if words in json.dumps(request.body.get("messages"))]


def _process_tree(pid: int) -> list[int]:
    """`pid` and every process under it (a server may run its app in a child)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                waiting.extend(int(child) for child in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return found


def _maps_name(pid: int, part: str) -> bool:
    """True when one of the process tree's mapped files has `part` in its path (a loaded extension module)."""
    for member in _process_tree(pid):
        try:
            if part in Path(f"/proc/{member}/maps").read_text():
                return True
        except OSError:
            continue
    return False


@needs_vectors
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads which libraries the server mapped from /proc")
def test_paa_serve_loads_the_model_in_the_background_and_a_chat_turn_then_finds_by_meaning(
    paa_home: Path, fake_anthropic: FakeAnthropic
) -> None:
    def answer(request: Recorded) -> Reply:
        return reply("Noted.")

    fake_anthropic.responder = answer
    with serving() as server:
        # No request has asked for memory yet: the model's libraries are loaded by the server on its own.
        wait_until(lambda: _maps_name(server.process.pid, "tokenizers"), what="the model loaded by paa serve")
        token = register(server)
        with httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=GIVE_UP_SECONDS
        ) as client:
            assert client.post("/memory", json={"text": "I am allergic to peanuts"}).status_code == 201
            [hit] = client.get("/memory/search", params={"q": "which foods must I avoid"}).json()
            # by meaning: none of the question's words is in the memory
            assert hit["content"] == "I am allergic to peanuts" and hit["matched_words"] == []
            assert hit["similarity"] is not None and hit["relevance"] > 0
            said = client.post("/chat/message", json={"message": "Which foods must I avoid?"})
            assert said.status_code == 200, said.text
    [request] = _turns_asking(fake_anthropic, "Which foods must I avoid?")
    assert "allergic to peanuts" in str(request.body.get("system"))  # the turn's context, found by meaning
