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

# How each script below begins: a process as a warm worker is, whose embedding helper was forked first (the server
# does that), before anything else is loaded; `helper` is its pid.
FORK_HELPER = """
import os, socket
from paa.ai import embedding_helper
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
helper = os.fork()
if helper == 0:
    ours.close()
    os._exit(embedding_helper.serve(theirs, None))
theirs.close()
"""

# A process as a warm worker is: it forks the helper first (the server does), then asks `load_embedder`. It reports
# whether it ever imported the model's libraries itself, and the vectors it got.
CLIENT = FORK_HELPER + """
import json, signal, sys
from pathlib import Path
from paa.ai.vectors import load_embedder
model, cache, texts, kill = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4] == "kill"
embedding_helper.use_helper(ours)
embedder = load_embedder(model, cache)
if kill:
    os.kill(helper, signal.SIGKILL)
    os.waitpid(helper, 0)
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


# As CLIENT, but it searches a vector file: the helper reads the vectors and scores them, this process neither.
SEARCHER = FORK_HELPER + """
import json, sys
from pathlib import Path
from paa.ai.vectors import VectorIndex, load_embedder
model, cache, folder, query = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
os.chdir(sys.argv[5])  # as a warm worker does, to its client's folder: the helper stays where it was
embedding_helper.use_helper(ours)
index = VectorIndex(folder, load_embedder(model, cache), min_similarity=0.1)
if sys.argv[6] == "warmed":
    index.load(1)  # as a chat or the TUI warms up: it keeps the vectors, and scores them itself
found = [index.scored(1, query, 3) for _ in range(2)]
print(json.dumps({"found": found, "read_here": bool(index._loaded), "numpy": "numpy" in sys.modules}))
"""


def test_a_process_with_the_helper_has_its_vectors_scored_there(
    model_and_cache: tuple[Path, Path], tmp_path: Path
) -> None:
    """A warm worker's vector search runs in the helper, which keeps each user's vectors read (a new process reads
    them all first: ~0.1 s at 50,000): the same hits and similarities as a search in the process itself."""
    from paa.ai.vectors import VectorIndex

    model, cache = model_and_cache
    local = VectorIndex(tmp_path / "memory", load_embedder(model, cache), min_similarity=0.1)
    local.upsert(1, [(1, "fact", "I ran 5 km with Ann"), (2, "fact", "sourdough bread"), (3, "fact", "a jog")])
    local.upsert(2, [(9, "fact", "running every morning")])  # another user's: never among user 1's hits
    expected = local.scored(1, "running", 3)
    local.close()
    # The vector folder named relative to the searcher's working folder, as under a relative PAA_HOME.
    got = {}
    for way in ("one-shot", "warmed"):
        command = [sys.executable, "-c", SEARCHER, str(model), str(cache), "memory", "running", str(tmp_path), way]
        done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=300)
        assert done.returncode == 0, done.stderr
        got[way] = json.loads(done.stdout)
        assert [[list(hit) for hit in expected]] * 2 == got[way]["found"]
    assert {memory_id for memory_id, _ in expected} <= {1, 2, 3} and expected
    assert got["one-shot"]["read_here"] is False and got["one-shot"]["numpy"] is False  # neither here: the helper's
    assert got["warmed"]["read_here"] is True  # a process that read them keeps scoring them itself


# As SEARCHER, then the vector file is replaced (deleted and made again, as by a restore or by hand) between two
# searches: the helper must read the new file, as a new process would, not the old one it still has open.
REPLACED = FORK_HELPER + """
import json, shutil, sys
from pathlib import Path
from paa.ai.vectors import VectorIndex, load_embedder
model, cache, folder = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
embedding_helper.use_helper(ours)
embedder = load_embedder(model, cache)
before = VectorIndex(folder, embedder, min_similarity=0.1).scored(1, "running", 3)
shutil.rmtree(folder)
with open(sys.argv[4]) as made:
    rows = [tuple(row) for row in json.load(made)]
replacement = VectorIndex(folder, load_embedder(model, cache), min_similarity=0.1)
replacement.upsert(1, rows)
replacement.close()
after = VectorIndex(folder, embedder, min_similarity=0.1).scored(1, "running", 3)
print(json.dumps({"before": before, "after": after}))
"""


def test_the_helper_reads_a_vector_file_made_again_since(model_and_cache: tuple[Path, Path], tmp_path: Path) -> None:
    from paa.ai.vectors import VectorIndex

    model, cache = model_and_cache
    folder = tmp_path / "memory"
    first = VectorIndex(folder, load_embedder(model, cache), min_similarity=0.1)
    first.upsert(1, [(1, "fact", "I ran 5 km with Ann"), (2, "fact", "sourdough bread")])
    first.close()
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([[7, "fact", "running in the rain"], [8, "fact", "a quiet evening"]]))
    command = [sys.executable, "-c", REPLACED, str(model), str(cache), str(folder), str(rows)]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert {memory_id for memory_id, _ in got["before"]} <= {1, 2} and got["before"]
    fresh = VectorIndex(folder, load_embedder(model, cache), min_similarity=0.1)  # as a new process reads it
    expected = fresh.scored(1, "running", 3)
    fresh.close()
    assert {memory_id for memory_id, _ in expected} <= {7, 8} and expected
    assert [list(hit) for hit in expected] == got["after"]


# A command line run as the `paa` executable runs it (`run`: a cold `paa memory search` forks its helper ahead) or
# in the process alone (`main`: the model loaded here); either way it reports the model's libraries it imported.
COMMAND = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write(
    "LOADED " + json.dumps(sorted({"numpy", "onnxruntime", "tokenizers"} & set(sys.modules))) + "\\n"))
from paa.cli import main
if sys.argv[1] == "run":
    main.run(sys.argv[2:])
sys.exit(main.main(sys.argv[2:]))
"""


def _command(way: str, *args: str, home: Path) -> tuple[str, list[str]]:
    env = child_env({"PAA_HOME": str(home), "PAA_NO_SERVER": "1", "NO_COLOR": "1"})
    done = subprocess.run([sys.executable, "-c", COMMAND, way, *args], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    assert len(loaded) == 1, done.stderr  # (the helper wrote nothing to the command's stderr)
    return done.stdout, json.loads(loaded[0].removeprefix("LOADED "))


def test_a_cold_search_gets_the_model_from_a_helper_forked_ahead(tmp_path: Path) -> None:
    """`paa memory search` in a new process forks a helper before its imports, which loads the model (and reads the
    vectors) meanwhile: the search asks it, loading none of the model's libraries itself, and shows the same."""
    home = tmp_path / "home"
    for args in (["memory", "add", "I ran 5 km with Ann in the park"], ["memory", "add", "My sister bakes bread"],
                 ["memory", "reindex"]):  # fmt: skip
        _command("main", *args, home=home)
    search = ["memory", "search", "jogging", "--json"]
    ahead, loaded_ahead = _command("run", *search, home=home)
    alone, loaded_alone = _command("main", *search, home=home)
    assert loaded_ahead == [] and "tokenizers" in loaded_alone
    assert ahead == alone and json.loads(ahead)[0]["text"] == "I ran 5 km with Ann in the park"
    help_text, loaded = _command("run", "memory", "search", "--help", home=home)  # (help needs no helper)
    assert "Usage" in help_text and loaded == []


# A command that forked its helper, and a process of its own that keeps the helper's socket open (so that only the
# command's end could end the helper): the helper is to end with the command all the same.
ENDS = """
import os, sys, time
from paa.ai import embedding_helper
helper = embedding_helper.start_ahead()
holder = os.fork()
if holder == 0:
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    time.sleep(120)
    os._exit(0)
print(helper, holder, flush=True)
os._exit(0)
"""


def test_the_helper_forked_ahead_ends_with_its_command(tmp_path: Path) -> None:
    import os
    import signal
    import time

    from paa.cli.warm_client import process_state

    env = child_env({"PAA_HOME": str(tmp_path), "PAA_NO_SERVER": "1"})
    done = subprocess.run([sys.executable, "-c", ENDS], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    helper, holder = (int(pid) for pid in done.stdout.split())
    try:
        deadline = time.monotonic() + 30  # (a bound on the wait, not a measure: it ends at once)
        while process_state(helper) not in ("", "Z") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process_state(helper) in ("", "Z")  # gone (or gone and not yet reaped by whoever adopted it)
        assert process_state(holder) not in ("", "Z")  # what still held its socket did not end it
    finally:
        os.kill(holder, signal.SIGKILL)


def test_the_helper_reads_the_vectors_ahead_under_the_names_a_search_asks_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read ahead by the folder, model and similarity floor a search names, as `HelperEmbedder.score_later`
    names them (absolute paths, memory's MIN_SIMILARITY), even under a relative PAA_HOME: else the first search
    would read them again."""
    import os

    from paa.ai import embedding_helper, memory
    from paa.ai.vectors import VectorIndex

    home = tmp_path / "home"
    found = embeddings.status(home)
    assert found.model_dir is not None
    cache = home / embeddings.CACHE_FOLDER
    made = VectorIndex(home / "memory", load_embedder(found.model_dir, cache), min_similarity=memory.MIN_SIMILARITY)
    made.upsert(1, [(1, "fact", "I ran 5 km with Ann"), (2, "fact", "sourdough bread")])
    made.upsert(2, [(9, "fact", "running every morning")])
    made.close()
    monkeypatch.setattr(embedding_helper, "_INDEXES", {})
    monkeypatch.chdir(tmp_path)
    embedding_helper._read_ahead(Path(os.path.abspath("home")))
    asked = (Path(os.path.abspath(Path("home") / "memory")), os.path.abspath(found.model_dir),
             os.path.abspath(Path("home") / embeddings.CACHE_FOLDER), memory.MIN_SIMILARITY)  # fmt: skip
    try:
        assert list(embedding_helper._INDEXES) == [asked]
        assert set(embedding_helper._INDEXES[asked][0]._loaded) == {1, 2}
    finally:
        for index, _identity in embedding_helper._INDEXES.values():
            index.close()


# As a warm worker's `paa memory search` runs it: the helper forked first; one memory has its vector, one said just
# now waits for it. The search asks the helper for the meaning's hits before it embeds what waits.
FRESH = FORK_HELPER + """
import json, sys
embedding_helper.use_helper(ours)
from paa.ai import memory
from paa.core.runtime import Runtime
with Runtime.from_environ(os.environ) as runtime:
    with runtime.context(write=True) as ctx:
        memory.remember(ctx, "I ran 5 km with Ann in the park")
    with runtime.context() as ctx:
        memory.embed_pending(ctx)
    with runtime.context(write=True) as ctx:
        memory.remember(ctx, "My cat Miso sleeps on the sofa all day")
    with runtime.context() as ctx:
        hits = memory.search(ctx, sys.argv[1], embed_first=memory.SEARCH_EMBED_BUDGET)
        waiting = memory._any_waiting(memory._base_engine(ctx.session), ctx.user_id, None)
print(json.dumps({"hits": [[hit.content, hit.similarity] for hit in hits], "waiting": waiting,
                  "kind": type(memory.MemoryService.of(ctx).vector_index().embedder).__name__}))
"""


def test_a_search_begun_in_the_helper_counts_what_it_embeds_first(tmp_path: Path) -> None:
    """The helper scores while the worker embeds what waits (on another connection to it: no deadlock) and ranks by
    words; a memory embedded meanwhile was not in that scoring, so the meaning is asked again: what was said just
    now is found by meaning, as by a search that embedded first and then scored."""
    env = child_env({"PAA_HOME": str(tmp_path / "home")})
    done = subprocess.run([sys.executable, "-c", FRESH, "a pet at home"], capture_output=True, text=True, env=env,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["kind"] == "HelperEmbedder" and got["waiting"] is False
    found = dict(map(tuple, got["hits"]))
    assert found.get("My cat Miso sleeps on the sofa all day") is not None  # by meaning: no word of the query in it
