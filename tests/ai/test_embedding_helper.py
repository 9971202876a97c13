"""The embedding helper (paa.ai.embedding_helper): a process that keeps the model loaded and embeds for others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paa.ai import embeddings
from paa.ai.vectors import load_embedder
from tests.support.processes import child_env

pytestmark = [
    pytest.mark.e2e,  # (each test runs a process of its own: the helper must be forked before threads exist)
    pytest.mark.skipif(not embeddings.status(None).available, reason="the local model is missing"),
]

TEXTS = ["I ran 5 km with Ann", "sourdough needs a warm kitchen", "é ß 日本語 and emoji 🙂", ""]

# A process as a warm worker is: it forks the helper first (the server does), then asks `load_embedder`. It reports
# whether it ever imported the model's libraries itself, and the vectors it got.
CLIENT = """
import json, os, signal, socket, sys
from pathlib import Path
from paa.ai import embedding_helper
from paa.ai.vectors import load_embedder
model, cache, texts, kill = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "kill"
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    ours.close()
    os._exit(embedding_helper.serve(theirs, None))
theirs.close()
embedding_helper.use_helper(ours)
embedder = load_embedder(model, cache)
if kill:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
vectors = embedder.embed(texts)
print(json.dumps({
    "kind": type(embedder).__name__, "embedder_id": embedder.embedder_id, "vectors": vectors.tobytes().hex(),
    "shape": list(vectors.shape), "dtype": str(vectors.dtype),
    "loaded_here": sorted({"onnxruntime", "tokenizers"} & set(sys.modules)),
}))
"""


def _client(model: Path, cache: Path, *, kill: bool) -> dict:
    command = [sys.executable, "-c", CLIENT, str(model), str(cache), json.dumps(TEXTS), "kill" if kill else "keep"]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def model_and_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    found = embeddings.find_model(None)
    assert found is not None
    return found[1], tmp_path_factory.mktemp("helper-cache")


def test_a_process_gets_the_helpers_vectors_without_loading_the_model(model_and_cache: tuple[Path, Path]) -> None:
    model, cache = model_and_cache
    got = _client(model, cache, kill=False)
    local = load_embedder(model, cache)  # this process's own, as a cold command has it
    expected = local.embed(TEXTS)
    assert got["kind"] == "HelperEmbedder" and got["loaded_here"] == []
    assert got["embedder_id"] == local.embedder_id
    assert (got["shape"], got["dtype"]) == (list(expected.shape), "float32")
    assert got["vectors"] == expected.tobytes().hex()  # the same bytes: a search ranks the same, warm or cold


def test_with_the_helper_gone_a_process_loads_the_model_and_gets_the_same(model_and_cache: tuple[Path, Path]) -> None:
    model, cache = model_and_cache
    got = _client(model, cache, kill=True)
    expected = load_embedder(model, cache).embed(TEXTS)
    assert got["kind"] == "HelperEmbedder" and "tokenizers" in got["loaded_here"]  # it had to load it itself
    assert got["vectors"] == expected.tobytes().hex()


def test_without_a_helper_the_model_loads_in_the_process(model_and_cache: tuple[Path, Path]) -> None:
    from paa.ai import embedding_helper

    model, cache = model_and_cache
    assert embedding_helper._helper is None  # (only a warm server sets one)
    assert embedding_helper.helper_embedder(model, cache) is None
