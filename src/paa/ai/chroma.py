"""Memory vectors on a Chroma server (`memory.chroma_url`): for a team whose API pods, daemons and workers should
share one vector store that scales apart from the database.

Each user's vectors are one Chroma collection of their own, `<memory.chroma_prefix>-u<user id>`, made with cosine
distance and marked with the user and the embedder that made them; every read also filters on the user's mark, and
a hit whose mark is not the asking user's is dropped, so no query can reach another user's vectors even through a
mislabelled collection. Only vectors and ids go to Chroma: the memories' text stays in paa's database (sealed there
when the data key is on); Chroma returns memory ids, which search then reads from the database for the asking user.

paa speaks Chroma's HTTP API (`/api/v2`) with httpx (imported only here, ~0.1 s): Chroma's own client waits without a
time limit on a server that stops answering and imports in ~0.7 s (gRPC and OpenTelemetry), where a request here
gives up after `memory.chroma_timeout_seconds` with a one-line `StorageError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from paa.errors import StorageError

if TYPE_CHECKING:
    import httpx

    from paa.ai.vectors import Embedder
    from paa.config import Settings
    from paa.core.doctor import Check

TENANT = "default_tenant"
DATABASE = "default_database"
_BASE = f"/api/v2/tenants/{TENANT}/databases/{DATABASE}"
PAGE = 10_000  # ids per `get` and collections per listing
BATCH = 1_000  # vectors per upsert, well under Chroma's default largest batch
_USER = "paa_user"  # metadata of a collection and of each vector: whose it is
_EMBEDDER = "paa_embedder"  # metadata of a collection: which embedder made its vectors
_HINT = "check memory.chroma_url (docs/scaling.md#vector-memory-on-chroma); unset, vectors stay in paa's own store"


@dataclass(frozen=True)
class ChromaTarget:
    """Where the vectors go: the server's origin, the collections' name prefix, an optional bearer token."""

    url: str
    prefix: str
    token: str | None
    timeout: float

    @property
    def origin(self) -> str:
        """scheme://host:port only: what errors and `paa doctor` show (never a token or a password in the URL)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def target_of(settings: Settings) -> ChromaTarget | None:
    """The Chroma server memory vectors go to, or None when `memory.chroma_url` is not set (paa's own store)."""
    if not settings.memory_chroma_url:
        return None
    return ChromaTarget(
        settings.memory_chroma_url,
        settings.memory_chroma_prefix,
        settings.memory_chroma_token,
        settings.memory_chroma_timeout_seconds,
    )


_RAISE = object()  # `ChromaHttp.call`'s default for a 404: an error like any other
_GONE = object()  # what `_on_collection` asks for on a 404: the collection went meanwhile


class ChromaHttp:
    """Requests to one Chroma server, each with the time limit, one-line errors naming the server and never the
    token. Thread-safe (httpx's client is, and it is made under a lock)."""

    def __init__(self, target: ChromaTarget, transport: httpx.BaseTransport | None = None) -> None:
        self.target = target
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _made(self) -> httpx.Client:
        with self._lock:
            if self._closed:
                raise StorageError("the Chroma connection is closed")
            if self._client is None:
                import httpx

                headers = {"Authorization": f"Bearer {self.target.token}"} if self.target.token else {}
                self._client = httpx.Client(
                    base_url=self.target.url,
                    headers=headers,
                    timeout=httpx.Timeout(self.target.timeout),
                    transport=self._transport,
                    trust_env=False,  # a proxy from the environment is not asked for a server on the team's network
                )
            return self._client

    def call(self, method: str, path: str, *, json: Any = None, params: Any = None, missing: Any = _RAISE) -> Any:
        """One request; its JSON answer. A 404 returns `missing` when given (a collection not there); anything
        else that is not a success is a `StorageError`."""
        import httpx

        try:
            response = self._made().request(method, path, json=json, params=params)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise StorageError(f"the Chroma server at {self.target.origin} did not answer ({reason[:200]})",
                               hint=_HINT) from None  # fmt: skip
        if response.status_code == 404 and missing is not _RAISE:
            return missing
        if response.status_code >= 400:
            raise StorageError(
                f"the Chroma server at {self.target.origin} refused {method} {path.rsplit('/', 1)[-1]}: "
                f"HTTP {response.status_code} {_reason(response)}".rstrip(),
                hint=_HINT,
            )
        return response.json() if response.content else None

    def heartbeat(self) -> None:
        """Raise `StorageError` unless the server answers."""
        self.call("GET", "/api/v2/heartbeat")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()


class ChromaVectorIndex:
    """Every user's vectors on one Chroma server; the same methods as `paa.ai.vectors.VectorIndex`, which memory
    search, the indexer and the orphan sweep call. Thread-safe."""

    cascades = False  # a memory or user deleted in the database leaves its vector here until `drop_orphans`
    in_database = False  # vectors are stored outside the caller's transaction

    def __init__(
        self,
        target: ChromaTarget,
        embedder: Embedder,
        *,
        min_similarity: float = 0.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.target = target
        self.embedder = embedder
        self.min_similarity = min_similarity
        self._http = ChromaHttp(target, transport)
        self._call = self._http.call
        self._ids: dict[int, str] = {}  # user -> their collection's id, as this process last found it
        self._checked: set[int] = set()  # users whose collection was found made by this embedder

    def name_of(self, user_id: int) -> str:
        return f"{self.target.prefix}-u{int(user_id)}"

    # ---- collections --------------------------------------------------------------------------------------------

    def _find(self, user_id: int) -> dict[str, Any] | None:
        found = self._call("GET", f"{_BASE}/collections/{self.name_of(user_id)}", missing=None)
        if found is None or not _owned_by(found, user_id):
            return None
        return dict(found)

    def _create(self, user_id: int) -> str:
        body = {
            "name": self.name_of(user_id),
            "metadata": {_USER: int(user_id), _EMBEDDER: self.embedder.embedder_id},
            "configuration": {"hnsw": {"space": "cosine"}},
            "get_or_create": True,
        }
        made = self._call("POST", f"{_BASE}/collections", json=body)
        if not _owned_by(made, user_id):  # a collection of that name made by hand for someone else: never used
            raise StorageError(f"the Chroma collection {self.name_of(user_id)} is not marked as this user's",
                               hint="delete it on the Chroma server, or set another memory.chroma_prefix")  # fmt: skip
        return str(made["id"])

    def _collection(self, user_id: int) -> str:
        """The id of the user's collection of this embedder's vectors, made when there is none; a collection made by
        another embedder is dropped first (its vectors are never compared with this one's)."""
        cached = self._ids.get(user_id)
        if cached is not None:
            return cached
        found = self._find(user_id)
        if found is not None and (found.get("metadata") or {}).get(_EMBEDDER) != self.embedder.embedder_id:
            self._drop(user_id)
            found = None
        identifier = str(found["id"]) if found is not None else self._create(user_id)
        self._ids[user_id] = identifier
        return identifier

    def _drop(self, user_id: int) -> None:
        self._call("DELETE", f"{_BASE}/collections/{self.name_of(user_id)}", missing=None)
        self._ids.pop(user_id, None)
        self._checked.discard(user_id)

    def _on_collection(self, user_id: int, action: str, body: Any) -> Any:
        """POST `action` to the user's collection; `_GONE` when it is no longer there.

        A collection deleted since this process found it was either made again by another process's reset (found
        again by name, and used) or lost (deleted by hand, the server's data gone). Nothing is made in place of a
        lost one here, and this process forgets the user's set was current: the next indexing pass finds it missing,
        marks all the user's memories as waiting and embeds them again (`memory._requeue_stale`), where a collection
        made empty here would pass for a complete one."""
        identifier = self._collection(user_id)
        for attempt in (1, 2):
            result = self._call("POST", f"{_BASE}/collections/{identifier}/{action}", json=body, missing=_GONE)
            if result is not _GONE or attempt == 2:
                return result
            self._ids.pop(user_id, None)
            self._checked.discard(user_id)
            found = self._find(user_id)
            if found is None or (found.get("metadata") or {}).get(_EMBEDDER) != self.embedder.embedder_id:
                return _GONE
            identifier = self._ids[user_id] = str(found["id"])
        return _GONE

    # ---- reading ------------------------------------------------------------------------------------------------

    def is_current(self, user_id: int) -> bool:
        """True when the user's vectors were made by this index's embedder (False: none yet, or another's)."""
        if user_id in self._checked:
            return True
        found = self._find(user_id)
        current = found is not None and (found.get("metadata") or {}).get(_EMBEDDER) == self.embedder.embedder_id
        if current and found is not None:
            self._ids[user_id] = str(found["id"])
            self._checked.add(user_id)
        return current

    def count(self, user_id: int) -> int:
        found = self._find(user_id)
        if found is None:
            return 0
        return int(self._call("GET", f"{_BASE}/collections/{found['id']}/count", missing=0))

    def memory_ids(self, user_id: int) -> set[int]:
        """The ids of the user's memories that have a vector."""
        found = self._find(user_id)
        if found is None:
            return set()
        ids: set[int] = set()
        offset = 0
        while True:
            body = {"where": {_USER: int(user_id)}, "include": [], "limit": PAGE, "offset": offset}
            page = self._call("POST", f"{_BASE}/collections/{found['id']}/get", json=body, missing=None)
            chunk = list((page or {}).get("ids") or [])
            ids.update(int(i) for i in chunk)
            if len(chunk) < PAGE:
                return ids
            offset += PAGE

    def load(self, user_id: int) -> None:
        """Nothing to load ahead here (Chroma holds the index); the warm-up only finds the user's collection."""
        self._find(user_id)

    def scored(self, user_id: int, query: str, depth: int) -> list[tuple[int, float]]:
        """(memory id, cosine similarity) of the memories nearest in meaning to `query`, best first, similar enough
        to count (at least `min_similarity`). Chroma's HNSW index is approximate, as it is meant to be at scale."""
        if depth <= 0 or not self.is_current(user_id):
            return []
        vector = [float(x) for x in self.embedder.embed([query])[0]]
        body = {
            "query_embeddings": [vector],
            "n_results": int(depth),
            "where": {_USER: int(user_id)},
            "include": ["distances", "metadatas"],
        }
        answer = self._on_collection(user_id, "query", body)
        if answer is _GONE:  # lost since this process found it: words alone until it is embedded again
            return []
        ids = (answer.get("ids") or [[]])[0]
        distances = (answer.get("distances") or [[]])[0]
        marks = (answer.get("metadatas") or [[None] * len(ids)])[0]
        hits = []
        for memory_id, distance, mark in zip(ids, distances, marks, strict=False):
            if distance is None or not isinstance(mark, Mapping) or mark.get(_USER) != user_id:
                continue  # only the asking user's own vectors, whatever the collection held
            similarity = 1.0 - float(distance)
            if similarity >= self.min_similarity:
                hits.append((int(memory_id), similarity))
        hits.sort(key=lambda hit: -hit[1])
        return hits

    def scoring(self, user_id: int, query: str, depth: int) -> Callable[[], list[tuple[int, float]]]:
        """`scored`, when the returned function is called (the server is asked then)."""
        return lambda: self.scored(user_id, query, depth)

    def ranking(self, user_id: int, query: str, depth: int) -> list[int]:
        return [memory_id for memory_id, _similarity in self.scored(user_id, query, depth)]

    # ---- writing ------------------------------------------------------------------------------------------------

    def upsert(self, user_id: int, rows: Sequence[tuple[int, str, str]], *, connection: Any = None) -> None:
        """Store vectors for (id, kind, content) rows; an id already there is replaced. `connection` is ignored:
        Chroma is not in the database's transaction (a vector of a memory rolled back is dropped by the orphan
        sweep, and search skips an id with no row meanwhile)."""
        if not rows:
            return
        vectors = self.embedder.embed([content for _id, _kind, content in rows])
        for start in range(0, len(rows), BATCH):
            part = rows[start : start + BATCH]
            body = {
                "ids": [str(int(memory_id)) for memory_id, _kind, _content in part],
                "embeddings": [[float(x) for x in vector] for vector in vectors[start : start + BATCH]],
                "metadatas": [{_USER: int(user_id)} for _row in part],
            }
            if self._on_collection(user_id, "upsert", body) is _GONE:
                raise StorageError(f"the Chroma collection {self.name_of(user_id)} went missing while in use",
                                   hint="the user's memories are embedded again by the next indexing pass")  # fmt: skip

    def delete(self, user_id: int, memory_ids: Iterable[int]) -> None:
        ids = [str(int(memory_id)) for memory_id in memory_ids]
        found = self._find(user_id) if ids else None
        if found is None:
            return
        for start in range(0, len(ids), BATCH):
            body = {"ids": ids[start : start + BATCH], "where": {_USER: int(user_id)}}
            self._call("POST", f"{_BASE}/collections/{found['id']}/delete", json=body, missing=None)

    def reset(self, user_id: int) -> None:
        """Drop the user's vectors; the collection starts again, empty, as this embedder's."""
        self._drop(user_id)
        self._ids[user_id] = self._create(user_id)
        self._checked.add(user_id)

    # ---- the orphan sweep ---------------------------------------------------------------------------------------

    def users_on_record(self) -> set[int]:
        """The users with a collection under this prefix."""
        users: set[int] = set()
        offset = 0
        head = f"{self.target.prefix}-u"
        while True:
            page = self._call("GET", f"{_BASE}/collections", params={"limit": PAGE, "offset": offset}) or []
            for found in page:
                name = str(found.get("name", ""))
                owner = (found.get("metadata") or {}).get(_USER)
                if name.startswith(head) and name[len(head) :].isdigit() and owner == int(name[len(head) :]):
                    users.add(int(owner))
            if len(page) < PAGE:
                return users
            offset += PAGE

    def drop_orphans(
        self,
        user_ids: Iterable[int],
        memory_ids: Callable[[int], set[int]],
        newest: int,
        *,
        on_record: Iterable[int] | None = None,
    ) -> int:
        """Delete the collections of users the database no longer has and the vectors of memories it no longer has
        (see `VectorIndex.drop_orphans`: ids above `newest`, and users not `on_record`, are kept); return how many
        vectors went."""
        known = set(user_ids)
        stored = self.users_on_record()
        candidates = stored if on_record is None else stored & set(on_record)
        dropped = 0
        for user in sorted(candidates - known):
            dropped += self.count(user)
            self._drop(user)
        for user in sorted(stored & known):
            extra = {i for i in self.memory_ids(user) - memory_ids(user) if i <= newest}
            if extra:
                self.delete(user, extra)
                dropped += len(extra)
        return dropped

    def close(self) -> None:
        self._http.close()


def _owned_by(collection: Any, user_id: int) -> bool:
    return isinstance(collection, Mapping) and (collection.get("metadata") or {}).get(_USER) == int(user_id)


def _reason(response: httpx.Response) -> str:
    """The server's own words on a refusal, one short line."""
    try:
        found = response.json()
    except ValueError:
        found = None
    text = str(found.get("message") or found.get("error") or "") if isinstance(found, Mapping) else response.text
    return " ".join(text.split())[:200]


def doctor_check(settings: Settings) -> Check:
    """`paa doctor`'s line on where memory vectors live when a Chroma server is set: whether it answers."""
    from paa.core.doctor import Check

    target = target_of(settings)
    if target is None:
        return Check("chroma", "info", "not used: memory vectors are in paa's own store")
    http = ChromaHttp(target)
    try:
        http.heartbeat()
    except StorageError as exc:
        return Check("chroma", "error", exc.message, "start the Chroma server or correct memory.chroma_url")
    finally:
        http.close()
    return Check("chroma", "ok", f"memory vectors on the Chroma server at {target.origin} "
                 f"(collections {target.prefix}-u<user id>)")  # fmt: skip
