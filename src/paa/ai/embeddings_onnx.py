"""all-MiniLM-L6-v2 in ONNX Runtime with integer matrix products: 2-3x the numpy embedder's work per CPU second.

paa writes the ONNX graph itself from the safetensors weights it already reads (no converter, no `onnx` package:
the few protobuf messages a graph needs are encoded here). Each linear layer's weights are quantised to 7-bit
integers per output column, its input to 8-bit integers per token as it runs, and the two multiplied by ONNX
Runtime's `MatMulInteger`; attention, layer norms and pooling stay in float32. The built model is cached in
`<data dir>/models/cache/`, so later processes only load it. Its vectors are close to the float model's (mean
cosine about 0.995, see tests/ai/test_memory_embeddings.py) but not the same, so they carry their own
`EMBEDDER_ID` and never share a collection with the numpy embedder's.
"""

from __future__ import annotations

import hashlib
import os
import platform
import struct
import threading
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paa.ai import embeddings

if TYPE_CHECKING:
    import numpy as np

EMBEDDER_ID = "all-MiniLM-L6-v2/onnx-int8-1"
GRAPH_VERSION = "2"  # bump when the graph built below changes: the cache file name carries it
BATCH = 8  # texts sorted by length share a run: little padding (measured: 8 beats 64 by a third)
_WEIGHT_LEVELS = 63  # 7-bit weights: AVX2 without VNNI adds pairs of u8*s8 products in int16, which 8 bits overflow


# ---- a minimal protobuf writer: just the ONNX messages a graph needs ---------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are written as their two's complement, ten bytes
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(data)) + data


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


_ONNX_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "int32": 6, "int64": 7}


def _tensor(name: str, array: Any) -> bytes:
    """A TensorProto holding `array` as raw little-endian bytes."""
    import numpy as np

    array = np.asarray(array, order="C")  # (ascontiguousarray would make a scalar one-dimensional)
    dims = b"".join(_int(1, size) for size in array.shape)
    return dims + _int(2, _ONNX_TYPES[array.dtype.name]) + _bytes(8, name) + _bytes(9, array.tobytes())


def _attribute(name: str, value: int | float | Sequence[int]) -> bytes:
    if isinstance(value, float):
        return _bytes(1, name) + _int(20, 1) + _float(2, value)
    if isinstance(value, int):
        return _bytes(1, name) + _int(20, 2) + _int(3, value)
    return _bytes(1, name) + _int(20, 7) + b"".join(_int(8, item) for item in value)


def _value_info(name: str, elem_type: int, dims: Sequence[int | str]) -> bytes:
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    tensor_type = _int(1, elem_type) + _bytes(2, shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


class _Graph:
    """Nodes and initialisers of one ONNX graph, named as they are added."""

    def __init__(self) -> None:
        self.nodes: list[bytes] = []
        self.initializers: list[bytes] = []
        self._count = 0
        self._shared: set[str] = set()

    def constant(self, name: str, array: Any) -> str:
        self.initializers.append(_tensor(name, array))
        return name

    def shared(self, name: str, value: float | int) -> str:
        """A scalar constant, stored once however often it is used (a float32, or a uint8 for an int)."""
        if name not in self._shared:
            import numpy as np

            self._shared.add(
                self.constant(name, np.array(value, dtype=np.uint8 if isinstance(value, int) else np.float32))
            )
        return name

    def node(self, op: str, inputs: Sequence[str], *, domain: str = "", **attributes: Any) -> str:
        self._count += 1
        output = f"{op.lower()}_{self._count}"
        body = b"".join(_bytes(1, name) for name in inputs) + _bytes(2, output) + _bytes(3, output) + _bytes(4, op)
        body += b"".join(_bytes(5, _attribute(key, value)) for key, value in attributes.items())
        if domain:
            body += _bytes(7, domain)
        self.nodes.append(body)
        return output

    def model(self, inputs: list[bytes], outputs: list[bytes]) -> bytes:
        graph = b"".join(_bytes(1, node) for node in self.nodes) + _bytes(2, "minilm")
        graph += b"".join(_bytes(5, tensor) for tensor in self.initializers)
        graph += b"".join(_bytes(11, value) for value in inputs) + b"".join(_bytes(12, value) for value in outputs)
        opsets = _bytes(8, _bytes(1, "") + _int(2, 17)) + _bytes(8, _bytes(1, "com.microsoft") + _int(2, 1))
        return _int(1, 8) + _bytes(2, "paa") + _bytes(3, GRAPH_VERSION) + opsets + _bytes(7, graph)


# ---- the network --------------------------------------------------------------------------------------------------


def _quantised_linear(graph: _Graph, x: str, weight: Any, bias: Any, name: str) -> str:
    """x @ weight.T + bias in integers: weight (torch's Linear stores it out x in) as 7-bit per output column, x as
    8-bit per row (each token its own scale, so a token with large values, or a padded neighbour in the batch,
    costs the others no precision; one scale per batch measured a cosine of 0.93 for "Thanks!")."""
    import numpy as np

    matrix = np.asarray(weight, dtype=np.float32).T  # in x out
    scale = np.maximum(np.abs(matrix).max(axis=0), 1e-12) / _WEIGHT_LEVELS
    quantised = np.clip(np.rint(matrix / scale), -_WEIGHT_LEVELS, _WEIGHT_LEVELS).astype(np.int8)
    row_max = graph.node("ReduceMax", [graph.node("Abs", [x])], axes=[-1], keepdims=1)
    row_scale = graph.node(
        "Max", [graph.node("Div", [row_max, graph.shared("levels", 127.0)]), graph.shared("tiny", 1e-12)]
    )
    # Stored as uint8 around 128, which ONNX Runtime multiplies with int8 weights on its fast path.
    shifted = graph.node(
        "Add", [graph.node("Round", [graph.node("Div", [x, row_scale])]), graph.shared("centre", 128.0)]
    )
    product = graph.node(
        "MatMulInteger",
        [graph.node("Cast", [shifted], to=2), graph.constant(f"{name}.q", quantised), graph.shared("zero_point", 128)],
    )
    scaled = graph.node("Mul", [graph.node("Cast", [product], to=1), row_scale])
    scaled = graph.node("Mul", [scaled, graph.constant(f"{name}.scale", scale.astype(np.float32))])
    return graph.node("Add", [scaled, graph.constant(f"{name}.bias", np.asarray(bias, dtype=np.float32))])


def build_model(model_dir: Path) -> tuple[bytes, str]:
    """The serialised ONNX model and its output's name. Inputs: `embedded` (float32, batch x length x 384: each
    token's word, position and segment vectors summed, looked up by the caller in the mapped weights, which keeps the
    47 MB word table out of the model, so a process loads it in a third of the time) and `mask` (float32, batch x
    length); the output is the last hidden state, pooled by the caller."""
    import numpy as np

    weights = embeddings._read_safetensors(model_dir / "model.safetensors")
    graph = _Graph()
    size, heads = embeddings.DIMENSIONS, embeddings._HEADS
    head = size // heads

    def norm(x: str, prefix: str) -> str:
        gamma = graph.constant(f"{prefix}.gamma", weights[f"{prefix}.weight"])
        beta = graph.constant(f"{prefix}.beta", weights[f"{prefix}.bias"])
        return graph.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=embeddings._EPS)

    x = "embedded"
    x = norm(x, "embeddings.LayerNorm")
    # (1 - mask) * -1e9 added to every head's scores: padding gets no attention.
    one = graph.constant("one", np.array(1.0, dtype=np.float32))
    big = graph.constant("minus_big", np.array(-1e9, dtype=np.float32))
    bias = graph.node("Mul", [graph.node("Sub", [one, "mask"]), big])
    bias = graph.node("Unsqueeze", [bias, graph.constant("axes_1_2", np.array([1, 2], dtype=np.int64))])
    split_shape = graph.constant("split_shape", np.array([0, 0, 3, heads, head], dtype=np.int64))
    merge_shape = graph.constant("merge_shape", np.array([0, 0, size], dtype=np.int64))
    scale = graph.constant("scale", np.array(1.0 / np.sqrt(head), dtype=np.float32))
    part = [graph.constant(f"part_{i}", np.array(i, dtype=np.int64)) for i in range(3)]
    root_two = graph.constant("root_two", np.array(np.sqrt(2.0), dtype=np.float32))
    half = graph.constant("half", np.array(0.5, dtype=np.float32))
    for index in range(embeddings._LAYERS):
        prefix = f"encoder.layer.{index}."

        def w(name: str, prefix: str = prefix) -> Any:
            return weights[prefix + name]

        qkv_weight = np.concatenate([w(f"attention.self.{p}.weight") for p in ("query", "key", "value")])
        qkv_bias = np.concatenate([w(f"attention.self.{p}.bias") for p in ("query", "key", "value")])
        qkv = graph.node("Reshape", [_quantised_linear(graph, x, qkv_weight, qkv_bias, f"l{index}.qkv"), split_shape])
        query = graph.node("Transpose", [graph.node("Gather", [qkv, part[0]], axis=2)], perm=[0, 2, 1, 3])
        key = graph.node("Transpose", [graph.node("Gather", [qkv, part[1]], axis=2)], perm=[0, 2, 3, 1])
        value = graph.node("Transpose", [graph.node("Gather", [qkv, part[2]], axis=2)], perm=[0, 2, 1, 3])
        scores = graph.node("Add", [graph.node("Mul", [graph.node("MatMul", [query, key]), scale]), bias])
        context = graph.node("MatMul", [graph.node("Softmax", [scores], axis=-1), value])
        context = graph.node("Reshape", [graph.node("Transpose", [context], perm=[0, 2, 1, 3]), merge_shape])
        attended = _quantised_linear(
            graph, context, w("attention.output.dense.weight"), w("attention.output.dense.bias"), f"l{index}.out"
        )
        x = norm(graph.node("Add", [x, attended]), prefix + "attention.output.LayerNorm")
        up = _quantised_linear(graph, x, w("intermediate.dense.weight"), w("intermediate.dense.bias"), f"l{index}.up")
        # GELU in its exact (erf) form, as the model was trained; ONNX Runtime fuses it into one kernel.
        gelu = graph.node("Mul", [graph.node("Mul", [up, half]), graph.node("Add", [
            graph.node("Erf", [graph.node("Div", [up, root_two])]), one])])  # fmt: skip
        down = _quantised_linear(graph, gelu, w("output.dense.weight"), w("output.dense.bias"), f"l{index}.down")
        x = norm(graph.node("Add", [x, down]), prefix + "output.LayerNorm")
    hidden = graph.node("Identity", [x])
    inputs = [
        _value_info("embedded", 1, ["batch", "length", size]),
        _value_info("mask", 1, ["batch", "length"]),
    ]
    model = graph.model(inputs, [_value_info(hidden, 1, ["batch", "length", size])])
    return model, hidden


def cached_model(model_dir: Path, cache_dir: Path) -> tuple[Path, str]:
    """The built model's file (built now if missing) and its output's name; the name depends on the weights."""
    source = model_dir / "model.safetensors"
    stat = source.stat()
    digest = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    path = cache_dir / f"{embeddings.MODEL_NAME}-int8-g{GRAPH_VERSION}-{digest}.onnx"
    output = cache_dir / (path.name + ".output")
    if path.is_file() and output.is_file():
        return path, output.read_text().strip()
    model, hidden = build_model(model_dir)
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Each file whole or not at all (written aside, then renamed): another process may be reading the cache, or
    # building it at the same moment. The output's name first, so a model file found always has it.
    for target, content in ((output, hidden.encode()), (path, model)):
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(content)
        os.replace(temporary, target)
    for old in cache_dir.glob(f"{embeddings.MODEL_NAME}-int8-*"):  # earlier graphs, or other weights' models
        if old.name not in (path.name, output.name):
            with suppress(OSError):
                old.unlink()
    return path, hidden


def _session(onnxruntime: Any, path: Path) -> Any:
    """An inference session on the built model. ONNX Runtime's graph optimisations (fusing the GELU, folding
    constants) take a third of a session's start, so the optimised graph is kept beside the model, for this
    onnxruntime and processor type, and later sessions load it without optimising again."""
    optimized = path.with_name(f"{path.stem}.ort-{onnxruntime.__version__}-{platform.machine()}.onnx")

    def options(level: Any, save: Path | None = None) -> Any:
        made = onnxruntime.SessionOptions()
        made.intra_op_num_threads = max(1, min(os.cpu_count() or 1, 4))
        made.inter_op_num_threads = 1
        # Threads that spin between calls cost a busy machine more than they save (as numpy's BLAS pool did).
        made.add_session_config_entry("session.intra_op.allow_spinning", "0")
        made.log_severity_level = 3
        made.graph_optimization_level = level
        if save is not None:
            made.optimized_model_filepath = str(save)
        return made

    providers = ["CPUExecutionProvider"]
    if optimized.is_file():
        try:
            level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
            return onnxruntime.InferenceSession(str(optimized), options(level), providers=providers)
        except Exception:  # damaged, or written by another build: optimise again
            with suppress(OSError):
                optimized.unlink()
    temporary = optimized.with_name(f".{optimized.name}.{os.getpid()}.{threading.get_ident()}")
    level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options(level, temporary), providers=providers)
    with suppress(OSError):
        os.replace(temporary, optimized)
    return session


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 with int8 weights in ONNX Runtime; the same interface as `embeddings.MiniLMEmbedder`."""

    name = embeddings.MODEL_NAME
    dimensions = embeddings.DIMENSIONS
    embedder_id = EMBEDDER_ID
    backend = "onnx int8"

    def __init__(self, model_dir: Path, cache_dir: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(embeddings.MAX_TOKENS)
        path, self._output = cached_model(model_dir, cache_dir)
        weights = embeddings._read_safetensors(model_dir / "model.safetensors")  # mapped: only used rows are read
        self._word = weights["embeddings.word_embeddings.weight"]
        # Every text is one segment, so the token type's row folds into the positions' table.
        self._positions = (
            weights["embeddings.position_embeddings.weight"] + weights["embeddings.token_type_embeddings.weight"][0]
        )
        self._session = _session(onnxruntime, path)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 vector per text, in order."""
        return embeddings.embed_in_batches(self._tokenizer, texts, self._forward, BATCH)

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def _forward(self, token_ids: list[list[int]]) -> np.ndarray:
        ids, mask = embeddings.padded(token_ids)
        feeds = {"embedded": self._word[ids] + self._positions[: ids.shape[1]], "mask": mask}
        with self._lock:  # one run at a time: the session's threads are the cores
            (hidden,) = self._session.run([self._output], feeds)
        return embeddings.mean_pooled(hidden, mask)
