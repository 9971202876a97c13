"""The embedding helper: one process that keeps the embedding model loaded and embeds texts for short-lived ones.

Loading the model costs a new process 150-200 ms (numpy, ONNX Runtime, the tokenizer and a session), more than the
whole of a warm `paa memory search` should take, and none of it can be loaded ahead in a process that forks
(ONNX Runtime and the tokenizer start native threads). So the warm server forks this helper once, before it serves;
the helper loads the model (`paa.ai.vectors.load_embedder`, the very code a cold command runs) and answers its
workers. A worker asks through `HelperEmbedder`, which `load_embedder` hands out once `use_helper` named the
helper's socket (`vectors.use_embedder_source`): it sends the texts and gets back the vectors the helper's
embedder made, so a search's results are the same bytes either way. Should the helper fail or go, the worker loads
the model itself, as a cold command does.

The helper's socket is one end of a socket pair made by the warm server, so only the server and its children hold it:
each worker sends it one end of a socket pair of its own (SCM_RIGHTS), and the helper serves that connection in a
thread (it never forks, so its threads are safe). It ends when every holder of the pair has closed it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from paa.ai.vectors import Embedder, VectorIndex

FRAME = struct.Struct("!I")
FRAME_LIMIT = 256 * 1024 * 1024  # a batch of texts, or their vectors (a reindex sends 128 texts at a time)
REPLY_SECONDS = 120.0  # the first request may wait for the model to be built (ONNX, ~10 s) on a busy machine
HAND_SECONDS = 1.0  # passing the helper a connection: a helper that takes none meanwhile is taken for gone

_helper: socket.socket | None = None  # in a warm worker: the helper's socket (`use_helper`)


class HelperFailed(Exception):
    """The helper did not answer, or answered with an error: the caller loads the model itself."""


# ---- in a worker -------------------------------------------------------------------------------------------------


def use_helper(helper: socket.socket | None) -> None:
    """Have this process's `load_embedder` ask the helper at `helper` (None: load the model here)."""
    from paa.ai.vectors import use_embedder_source

    global _helper
    _helper = helper
    use_embedder_source(helper_embedder if helper is not None else None)


def helper_embedder(model_dir: Path, cache_dir: Path) -> Embedder | None:
    """An embedder that asks the helper, if this process has one and it can load these model files; else None."""
    helper = _helper
    if helper is None:
        return None
    try:
        return HelperEmbedder(helper, model_dir, cache_dir)
    except HelperFailed:
        return None


class HelperEmbedder:
    """The helper's embedder for these model files, as seen from a worker; the interface of `vectors.Embedder`."""

    def __init__(self, helper: socket.socket, model_dir: Path, cache_dir: Path) -> None:
        self._helper = helper
        self._conn = _connect(helper)
        self._lock = threading.Lock()  # one request at a time on the connection
        self._local: Embedder | None = None
        # Absolute: the helper's working folder is not this process's (a relative PAA_HOME means the client's).
        self.model_dir, self.cache_dir = Path(os.path.abspath(model_dir)), Path(os.path.abspath(cache_dir))
        described = self._ask(("describe", str(self.model_dir), str(self.cache_dir)))
        self.embedder_id: str = described["embedder_id"]
        self.backend: str = described["backend"]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 vector per text, in order, made by the helper (or here, if it has failed)."""
        if self._local is None:
            try:
                vectors: np.ndarray = self._ask(("embed", str(self.model_dir), str(self.cache_dir), list(texts)))
                return vectors
            except HelperFailed:
                self._local = self._load_here()
        return self._local.embed(texts)

    def score_later(
        self, folder: Path, min_similarity: float, user_id: int, query: str, depth: int
    ) -> Callable[[], list[tuple[int, float]] | None] | None:
        """`VectorIndex.scored` for the vector file in `folder`, asked of the helper now and read when the returned
        function is called (None from it: the helper failed, and the caller scores here). The helper keeps each
        user's vectors read (a new process reads them all: ~0.1 s at 50,000) and embeds the query meanwhile, on
        its own core, while the caller goes on (a search ranks by words). On a connection of its own, so that the
        caller may embed on this one before it reads the answer. None when the helper cannot be asked."""
        if self._local is not None:
            return None
        files = (str(self.model_dir), str(self.cache_dir), os.path.abspath(folder))
        try:
            conn = _connect(self._helper)
        except HelperFailed:
            return None
        try:
            _send(conn, ("score", *files, min_similarity, user_id, query, depth))
        except OSError:
            conn.close()
            return None

        def answer() -> list[tuple[int, float]] | None:
            with conn:
                try:
                    status, value = _receive(conn)
                except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                    return None
            return value if status == "ok" else None

        return answer

    def _load_here(self) -> Embedder:
        from paa.ai.vectors import _new_embedder

        local = _new_embedder(self.model_dir, self.cache_dir)
        if local.embedder_id != self.embedder_id:  # (its vectors would not be comparable with the helper's)
            raise RuntimeError("the embedding helper stopped, and this process cannot load the same model")
        return local

    def _ask(self, request: tuple[Any, ...]) -> Any:
        with self._lock:
            try:
                _send(self._conn, request)
                status, value = _receive(self._conn)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError) as error:
                raise HelperFailed(str(error)) from error
        if status != "ok":
            raise HelperFailed(str(value))
        return value


def _connect(helper: socket.socket) -> socket.socket:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        helper.settimeout(HAND_SECONDS)  # (the helper's queue full: it is hung, and the worker loads the model)
        socket.send_fds(helper, [b"c"], [theirs.fileno()])
    except OSError as error:
        ours.close()
        raise HelperFailed(str(error)) from error
    finally:
        theirs.close()
    ours.settimeout(REPLY_SECONDS)
    return ours


# ---- ahead of a cold search ----------------------------------------------------------------------------------------


def start_ahead() -> int | None:
    """Fork a helper of this process's own, now, and have its `load_embedder` ask it (a cold `paa memory search`).

    A search in a new process needs the model (~0.25 s: numpy, ONNX Runtime, the tokenizer, a session) only after
    ~0.4 s of paa's own imports and its word ranking; forked before those imports, the helper loads the model on
    another core meanwhile, and the search asks it as a warm worker asks the warm server's. Only where no thread runs
    yet (`paa.cli.main.run`, before anything is imported). The helper holds none of this process's files, ignores
    Ctrl-C (the terminal sends it to both; the command says "aborted") and ends with this process. Its pid, or None
    when no process could be forked (the search then loads the model itself)."""
    parent = os.getpid()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        return None
    if pid == 0:
        code = 1
        try:
            ours.close()
            code = _serve_ahead(theirs, parent)
        finally:
            os._exit(code)
    theirs.close()
    use_helper(ours)
    return pid


def _serve_ahead(helper: socket.socket, parent: int) -> int:
    from paa.processes import let_go_of_files

    let_go_of_files(keep=helper.fileno())
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with(parent)
    from paa.config_sources import resolve_paths

    return serve(helper, Path(os.path.abspath(resolve_paths(os.environ).data_dir)))


def _end_with(parent: int) -> None:
    """Have the kernel kill this process when `parent` ends (Linux): the model's load is of use to it alone."""
    with contextlib.suppress(Exception):  # (elsewhere the helper ends once it has loaded and finds its socket closed)
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    if os.getppid() != parent:  # it ended before that took hold
        os._exit(0)


# ---- in the helper -------------------------------------------------------------------------------------------------


def serve(helper: socket.socket, data_dir: Path | None) -> int:
    """The helper's life: load the model of `data_dir` (the data folder of the warm server, or of the command it
    serves alone) and read its vectors ahead if memories were embedded there, then serve each connection a worker
    sends until every holder of `helper` has closed it."""
    # Loaded ahead only where vectors were made (~130 MiB; otherwise on the first request, ~0.2 s once).
    if data_dir is not None and (data_dir / "memory").is_dir():
        with contextlib.suppress(Exception):  # no model, or one that fails: each request says so, in its worker
            _read_ahead(Path(os.path.abspath(data_dir)))
    while True:
        try:
            data, fds, _flags, _address = socket.recv_fds(helper, 16, 1)
        except OSError:
            return 0
        if not data:
            for fd in fds:
                os.close(fd)
            return 0
        for fd in fds:
            conn = socket.socket(fileno=fd)
            threading.Thread(target=_answer, args=(conn,), name="paa-embed", daemon=True).start()


def _read_ahead(data_dir: Path) -> None:
    """Load the model of `data_dir`, and read each user's vectors of its vector file, under the names a search of
    that folder asks by (`HelperEmbedder`: absolute paths; `paa.ai.memory`: MIN_SIMILARITY). Reading 50,000
    vectors takes ~50 ms: before the first search rather than in it."""
    from paa.ai import embeddings
    from paa.ai.vectors import FILE_NAME, MIN_SIMILARITY

    found = embeddings.status(data_dir)
    if not found.available or found.model_dir is None:
        return
    model_dir, cache_dir = os.path.abspath(found.model_dir), str(data_dir / embeddings.CACHE_FOLDER)
    embedder = _loaded(model_dir, cache_dir)
    folder = data_dir / "memory"
    if (folder / FILE_NAME).is_file():  # (opening the index makes the file: not here)
        index = _index(folder, model_dir, cache_dir, embedder, MIN_SIMILARITY)
        for user_id in sorted(index.users_on_record()):
            index.load(user_id)


def _answer(conn: socket.socket) -> None:
    with conn:
        while True:
            try:
                request = _receive(conn)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                return
            try:
                embedder = _loaded(request[1], request[2])
                reply: tuple[str, Any]
                if request[0] == "describe":
                    reply = ("ok", {"embedder_id": embedder.embedder_id, "backend": _backend(embedder)})
                elif request[0] == "embed":
                    reply = ("ok", embedder.embed(request[3]))
                elif request[0] == "score":
                    _folder, min_similarity, user_id, query, depth = request[3:8]
                    index = _index(Path(_folder), request[1], request[2], embedder, min_similarity)
                    reply = ("ok", index.scored(user_id, query, depth))
                else:
                    reply = ("error", f"unknown request {request[0]!r}")
            except Exception as error:  # the worker loads the model itself, and says what a cold command says
                reply = ("error", f"{type(error).__name__}: {error}")
            try:
                _send(conn, reply)
            except OSError:
                return


def _loaded(model_dir: str, cache_dir: str) -> Embedder:
    """The embedder for these files, loaded again when the weights file has changed since (a model reinstalled)."""
    from paa.ai.vectors import forget_embedder, load_embedder

    model, cache = Path(model_dir), Path(cache_dir)
    mark = _mark(model)
    with _MARKS_LOCK:
        if _MARKS.get((model, cache), mark) != mark:
            forget_embedder(model, cache)
        _MARKS[(model, cache)] = mark
    return load_embedder(model, cache)


def _index(folder: Path, model_dir: str, cache_dir: str, embedder: Embedder, min_similarity: float) -> VectorIndex:
    """The vector file of `folder` as this process keeps it open (each user's vectors read once, and again only
    after a write), for this embedder. Opened again when the file is no longer the one opened (deleted and made
    again, restored from a backup): its connection would read the old file for ever, where a new process reads the
    new one. Files of folders since removed are closed."""
    from paa.ai.vectors import FILE_NAME, VectorIndex

    key = (folder, model_dir, cache_dir, min_similarity)
    with _MARKS_LOCK:
        for other in [other for other in _INDEXES if other != key and not other[0].is_dir()]:
            _INDEXES.pop(other)[0].close()
        found, opened = _INDEXES.get(key, (None, None))
        if found is not None and (found.embedder is not embedder or opened != _identity(folder / FILE_NAME)):
            found.close()  # (the model was loaded again, or the file is another one now)
            found = None
        if found is None:
            found = VectorIndex(folder, embedder, min_similarity=min_similarity)
            found.count(0)  # opens (or makes) the file now, so that its identity is the one read
            _INDEXES[key] = (found, _identity(folder / FILE_NAME))
        return found


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


_INDEXES: dict[tuple[Path, str, str, float], tuple[VectorIndex, tuple[int, int] | None]] = {}
_MARKS: dict[tuple[Path, Path], tuple[int, int, int]] = {}
_MARKS_LOCK = threading.Lock()


def _mark(model_dir: Path) -> tuple[int, int, int]:
    try:
        found = (model_dir / "model.safetensors").stat()
    except OSError:
        return (0, 0, 0)
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def _backend(embedder: Embedder) -> str:
    return str(getattr(embedder, "backend", "numpy"))


# ---- frames ----------------------------------------------------------------------------------------------------------


def _send(conn: socket.socket, value: object) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    conn.sendall(FRAME.pack(len(payload)) + payload)


def _receive(conn: socket.socket) -> Any:
    (size,) = FRAME.unpack(_exactly(conn, FRAME.size))
    if size > FRAME_LIMIT:
        raise ValueError("frame too large")
    # Only this user's warm server and its children hold either end of these sockets (socket pairs, never a name).
    return pickle.loads(_exactly(conn, size))


def _exactly(conn: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
