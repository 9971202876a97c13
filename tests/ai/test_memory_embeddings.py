"""The local embedder: real all-MiniLM-L6-v2 weights, found offline, giving vectors that mean something."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from paa.ai import embeddings

AVAILABLE = embeddings.status(None).available
needs_model = pytest.mark.skipif(not AVAILABLE, reason="the memory extra or the local model is missing")


@pytest.fixture(scope="module")
def reference() -> embeddings.MiniLMEmbedder:
    """The numpy embedder: the reference every other way of running the model is held to."""
    found = embeddings.find_model(None)
    if found is None:
        pytest.skip("the local model is missing")
    return embeddings.load_embedder(found[1])  # cached: one load for the whole session


@pytest.fixture(scope="module")
def onnx_embedder(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The ONNX Runtime embedder, its model built from the same weights into a fresh cache folder."""
    found = embeddings.find_model(None)
    if found is None:
        pytest.skip("the local model is missing")
    pytest.importorskip("onnxruntime")
    from paa.ai.embeddings_onnx import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder(found[1], tmp_path_factory.mktemp("onnx-cache"))


@pytest.fixture(scope="module", params=["numpy", "onnx"])
def embedder(request: pytest.FixtureRequest) -> Any:
    """Each way of running the model, for the properties both must have."""
    return request.getfixturevalue("reference" if request.param == "numpy" else "onnx_embedder")


@needs_model
def test_vectors_are_unit_length_and_deterministic(embedder: embeddings.MiniLMEmbedder) -> None:
    import numpy as np

    vectors = embedder.embed(["I like tea", "", "ünïcödé and emoji 🏃"])
    assert vectors.shape == (3, embeddings.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors, embedder.embed(["I like tea", "", "ünïcödé and emoji 🏃"]))
    assert embedder.embed([]).shape == (0, embeddings.DIMENSIONS)
    assert embedder(["I like tea"]) == [pytest.approx(vectors[0].tolist(), abs=1e-6)]


@needs_model
def test_padding_does_not_change_a_vector(embedder: embeddings.MiniLMEmbedder) -> None:
    """A short text batched with a long one gets the same vector as alone: the attention mask works."""
    import numpy as np

    short = "Run 5 km"
    long_text = "A much longer sentence about the weather, my commute, the meeting and what I cooked for dinner. " * 3
    alone = embedder.embed([short])[0]
    batched = embedder.embed([long_text, short, long_text])[1]
    assert float(np.dot(alone, batched)) > 0.99999


@needs_model
def test_similar_meanings_are_near_and_unrelated_ones_far(embedder: embeddings.MiniLMEmbedder) -> None:
    import numpy as np

    anchor, paraphrase, unrelated = embedder.embed(
        ["I'm training for a half marathon in March", "preparing for a long running race in spring",
         "my favourite pizza has pineapple on it"]
    )  # fmt: skip
    near, far = float(np.dot(anchor, paraphrase)), float(np.dot(anchor, unrelated))
    assert near > 0.45 and far < 0.2 and near - far > 0.3


@needs_model
def test_matches_the_reference_bert_computation(reference: embeddings.MiniLMEmbedder) -> None:
    """The tanh GELU shortcut agrees with the exact erf GELU, computed here independently."""
    import math

    import numpy as np

    text = "Slept badly, long meeting, then a calm walk"
    ids = reference._tokenizer.encode(text).ids
    weights = embeddings._read_safetensors(reference.model_dir / "model.safetensors")
    erf = np.vectorize(math.erf)

    def norm(x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * weights[prefix + ".weight"] + weights[prefix + ".bias"]

    def dense(x, prefix):
        return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]

    x = weights["embeddings.word_embeddings.weight"][ids] + weights["embeddings.position_embeddings.weight"][: len(ids)]
    x = norm(x + weights["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm").astype(np.float64)
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        q, k, v = (dense(x, p + f"attention.self.{n}").reshape(len(ids), 12, 32) for n in ("query", "key", "value"))
        scores = np.einsum("thd,shd->hts", q, k) / math.sqrt(32)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = np.einsum("hts,shd->thd", scores, v).reshape(len(ids), 384)
        x = norm(x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        hidden = dense(x, p + "intermediate.dense")
        hidden = 0.5 * hidden * (1 + erf(hidden / math.sqrt(2)))
        x = norm(x + dense(hidden, p + "output.dense"), p + "output.LayerNorm")
    expected = x.mean(0) / np.linalg.norm(x.mean(0))
    assert float(np.dot(expected, reference.embed([text])[0])) > 0.9999


# Everyday messages, short replies among them: a short text's vector moves most under integer weights.
MESSAGES = (
    "I'm training for a half marathon in March", "My sister Anna lives in Lisbon with her two kids",
    "I am allergic to peanuts", "Can you remind me to call mom tomorrow at 5pm?",
    "I slept badly last night, maybe five hours, and felt anxious all morning.",
    "What did I say about the budget last week?", "Thanks!", "ok", "yes please", "no, not today",
    "Haha that's funny :)", "Good morning! How are you?",
    "I skipped the gym again because I was tired; my coach said that is fine.",
    "How do I fit piano practice into a week with night shifts?",
    "You suggested a walk after lunch last week; it worked and I felt calm.",
    "Check-in 2026-11-26: felt proud / met Tom at the park / grateful for green tea",
    "Where did we go for dinner on my birthday?",
    "I need to finish the quarterly report before Friday or my manager will be upset.",
    "Let's plan December: rent, food, presents and the train to Berlin.",
    "Had a long talk with dad about moving house next spring.", "My knee hurts after running downhill, should I rest?",
    "Drank 8 glasses of water today 💧", "Remind me what vitamins I take in the morning",
    "The dentist appointment moved to Thursday at 9:30.", "I feel like I'm not making progress with Spanish lessons.",
    "Meditation: 10 minutes, mind wandered a lot but it was fine.",
    "What's the name of the book about habits you recommended?", "Lena and I argued about the holidays again.",
    "Weekly review: 4 runs, 3 meditation sessions, 2 late nights.", "I can't answer that offline.",
)  # fmt: skip


@needs_model
def test_onnx_vectors_stay_close_to_the_numpy_reference(reference: embeddings.MiniLMEmbedder, onnx_embedder) -> None:
    """Measured: mean cosine 0.993; sentences of six words or more 0.994 and above; one-word replies down to 0.965."""
    import numpy as np

    fast, exact = onnx_embedder.embed(MESSAGES), reference.embed(MESSAGES)
    cosines = (fast * exact).sum(axis=1)
    assert float(cosines.mean()) >= 0.99
    assert all(c >= 0.99 for c, text in zip(cosines, MESSAGES, strict=True) if len(text.split()) >= 6)
    assert float(cosines.min()) >= 0.95
    # Distances between messages, which are what search ranks by, move by little.
    assert float(np.abs(fast @ fast.T - exact @ exact.T).max()) < 0.05


@needs_model
def test_onnx_has_its_own_embedder_id_and_its_model_is_built_once(onnx_embedder, tmp_path: Path) -> None:
    from paa.ai import embeddings_onnx

    assert onnx_embedder.embedder_id != embeddings.EMBEDDER_ID  # its vectors are never mixed with numpy's
    built, _output = embeddings_onnx.cached_model(onnx_embedder.model_dir, tmp_path)
    stamp = built.stat().st_mtime_ns
    again, _output = embeddings_onnx.cached_model(onnx_embedder.model_dir, tmp_path)
    assert again == built and again.stat().st_mtime_ns == stamp  # the next process only loads it
    assert sorted(p.name for p in tmp_path.iterdir()) == [built.name, built.name + ".output"]


@needs_model
def test_the_faster_embedder_is_chosen_and_numpy_is_the_fallback(tmp_path: Path, monkeypatch) -> None:
    from paa.ai import embeddings_onnx, vectors

    found = embeddings.find_model(None)
    assert found is not None
    if importlib.util.find_spec("onnxruntime") is not None:
        vectors.forget_embedders()
        assert vectors.load_embedder(found[1], tmp_path).embedder_id == embeddings_onnx.EMBEDDER_ID

    def broken(*_args: object) -> None:
        raise RuntimeError("this onnxruntime cannot run the graph")

    monkeypatch.setattr(embeddings_onnx, "OnnxMiniLMEmbedder", broken)
    vectors.forget_embedders()
    try:
        assert vectors.load_embedder(found[1], tmp_path).embedder_id == embeddings.EMBEDDER_ID
    finally:
        vectors.forget_embedders()


def test_protobuf_varints_as_the_spec_writes_them() -> None:
    from paa.ai import embeddings_onnx

    assert embeddings_onnx._varint(1) == b"\x01"
    assert embeddings_onnx._varint(300) == b"\xac\x02"
    assert embeddings_onnx._varint(-1) == b"\xff" * 9 + b"\x01"  # int64 -1: ten bytes


def test_model_files_in_the_data_folder_come_first(tmp_path: Path) -> None:
    folder = tmp_path / "models" / embeddings.MODEL_NAME
    folder.mkdir(parents=True)
    (folder / "tokenizer.json").write_text("{}")
    assert embeddings.find_model(tmp_path) != ("data folder", folder)  # both files are needed
    (folder / "model.safetensors").write_bytes(b"")
    assert embeddings.find_model(tmp_path) == ("data folder", folder)


def test_status_without_a_model_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without_model(name: str, *args: Any):
        return None if name == embeddings.MODEL_PACKAGE else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_model)
    status = embeddings.status(tmp_path)
    assert not status.available
    if importlib.util.find_spec("tokenizers") is not None:
        assert status.detail == "no local all-MiniLM-L6-v2 model found: memory search uses words only"
    assert status.to_json()["model_dir"] is None


def test_doctor_names_the_same_embedder(cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = paa_home  # PAA_HOME holds the data folder
    check, status = embeddings.doctor_check(data_dir), embeddings.status(data_dir)
    assert (check.status == "ok") == status.available
    assert check.detail.startswith(status.detail)
    if status.available:
        assert check.detail == f"{status.detail}; {embeddings.VECTORS_AT}"
        shared = embeddings.doctor_check(data_dir, shared=True)  # on PostgreSQL
        assert shared.detail == f"{status.detail}; {embeddings.SHARED_VECTORS_AT}"
    shown = {line["name"]: line for line in json.loads(cli("doctor", "--json").out)}
    assert shown["embeddings"] == check.to_json()  # `paa doctor` shows this very line
    folder = data_dir / "models" / embeddings.MODEL_NAME
    folder.mkdir(parents=True)
    for name in embeddings.MODEL_FILES:
        (folder / name).write_bytes(b"")
    if importlib.util.find_spec("tokenizers") is not None:
        assert "from the data folder" in embeddings.doctor_check(data_dir).detail
        assert embeddings.status(data_dir).model_dir == folder


def test_doctor_says_what_to_install_when_there_is_no_embedder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without(*names: str):
        return lambda name, *args: None if name in names else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without(embeddings.MODEL_PACKAGE))
    if real_find_spec("numpy") is not None and real_find_spec("tokenizers") is not None:
        no_model = embeddings.doctor_check(tmp_path)
        assert (no_model.status, no_model.detail) == ("warn", embeddings.status(tmp_path).detail)
        assert no_model.advice is not None and str(tmp_path / "models" / embeddings.MODEL_NAME) in no_model.advice
    monkeypatch.setattr(importlib.util, "find_spec", without("numpy", embeddings.MODEL_PACKAGE))
    no_library = embeddings.doctor_check(tmp_path)
    assert no_library.status == "warn" and no_library.detail.startswith("numpy")
    assert no_library.advice == "pip install 'paa[memory]' for search by meaning"
    assert embeddings.status(tmp_path).missing[0] == "numpy"


@needs_model
def test_doctor_says_numpy_runs_when_the_onnx_model_failed(
    cli, paa_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback to numpy leaves a note in the cache folder, so the doctor line tells the truth without loading."""
    from paa.ai import embeddings_onnx, vectors

    class Broken:
        def __init__(self, model_dir: Path, cache_dir: Path) -> None:
            raise RuntimeError("this onnxruntime is too old\nfor the graph")

    class Working:
        backend = "onnx int8"

        def __init__(self, model_dir: Path, cache_dir: Path) -> None:
            self.model_dir = model_dir

    found = embeddings.find_model(paa_home)
    assert found is not None
    cache = paa_home / embeddings.CACHE_FOLDER
    monkeypatch.setattr(embeddings, "backend", lambda: "onnx int8")  # as when onnxruntime is installed
    monkeypatch.setattr(embeddings_onnx, "OnnxMiniLMEmbedder", Broken)
    vectors.forget_embedders()
    try:
        assert vectors.load_embedder(found[1], cache).embedder_id == embeddings.EMBEDDER_ID  # numpy's
        check = embeddings.doctor_check(paa_home)
        reason = "RuntimeError: this onnxruntime is too old for the graph"
        assert check.status == "warn"
        assert f"(local, numpy (ONNX model failed: {reason}))" in check.detail
        assert check.advice is not None and str(cache) in check.advice
        shown = {line["name"]: line for line in json.loads(cli("doctor", "--json").out)}
        assert shown["embeddings"] == check.to_json()
        text = cli("doctor").out
        assert "ONNX model failed" in text and "tries ONNX again" in " ".join(text.split())

        monkeypatch.setattr(embeddings_onnx, "OnnxMiniLMEmbedder", Working)  # fixed: the next start loads it
        vectors.forget_embedders()
        assert isinstance(vectors.load_embedder(found[1], cache), Working)
        assert not (cache / embeddings.ONNX_FAILED_FILE).exists()
        healed = embeddings.doctor_check(paa_home)
        assert healed.status == "ok" and "(local, onnx int8)" in healed.detail
    finally:
        vectors.forget_embedders()


def test_safetensors_reader(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    import numpy as np

    data = np.arange(6, dtype=np.float32).tobytes() + np.array([7, 8], dtype=np.int64).tobytes()
    header = json.dumps({
        "__metadata__": {"format": "pt"},
        "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "ids": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
    }).encode()  # fmt: skip
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)
    tensors = embeddings._read_safetensors(path)
    assert tensors["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert tensors["ids"].tolist() == [7, 8]
