"""The vector index: the only module that imports chromadb.

One collection per embedding model (vectors of different models never mix); the passage id is
the vector id, and each vector carries its document id and page as metadata.
"""

from __future__ import annotations

import gc
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import chromadb.errors
import httpx
import numpy as np

from pipelines.errors import IndexUnavailable


def collection_name(model: str) -> str:
    """A valid Chroma name (3-63 chars, [a-z0-9._-]) that differs for every model name."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(model).name.lower()).strip("-")[:40] or "model"
    digest = hashlib.sha1(model.encode()).hexdigest()[:8]
    return f"passages-{slug}-{digest}"


@dataclass(frozen=True)
class VectorHit:
    passage_id: str
    score: float  # cosine similarity


class VectorIndex:
    """One model's collection. `where` (a folder or a server's URL) names it in errors; `reopen` gives the
    collection again, read afresh (a read that raced another process's write is tried once more)."""

    def __init__(self, collection, *, where: str = "", reopen: Callable[[], object] | None = None) -> None:
        self._collection = collection
        self._where = where
        self._reopen = reopen

    def _call(self, method: str, *args, **kwargs):
        """The collection's `method`; a server that stopped answering becomes IndexUnavailable."""
        try:
            return getattr(self._collection, method)(*args, **kwargs)
        except httpx.TransportError as exc:
            raise _unanswered(self._where, exc) from None

    def _get(self, **kwargs):
        try:
            return self._call("get", **kwargs)
        except chromadb.errors.InternalError:  # the vectors changed under the read (another process writes)
            if self._reopen is None:
                raise
            self._collection = self._reopen()
            return self._call("get", **kwargs)

    def upsert(self, *, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        if ids:
            self._call("upsert", ids=ids, embeddings=vectors.tolist(), metadatas=metadatas)

    def query(self, vector: np.ndarray, *, k: int) -> list[VectorHit]:
        if self.count() == 0:
            return []
        result = self._call("query", query_embeddings=[vector.tolist()], n_results=k, include=["distances"])
        return [
            VectorHit(passage_id=pid, score=round(1.0 - float(distance), 6))
            for pid, distance in zip(result["ids"][0], result["distances"][0])
        ]

    def passage_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        found = self._get(ids=ids, include=["embeddings"])
        return {pid: np.asarray(vector, dtype=np.float32) for pid, vector in zip(found["ids"], found["embeddings"])}

    def document_vectors(self) -> dict[str, np.ndarray]:
        """Each document's centroid: the normalised mean of its passages' vectors."""
        if self.count() == 0:
            return {}
        found = self._get(include=["embeddings", "metadatas"])
        grouped: dict[str, list] = {}
        for vector, metadata in zip(found["embeddings"], found["metadatas"], strict=True):
            grouped.setdefault(metadata["document_id"], []).append(vector)
        centroids = {}
        for document_id, vectors in grouped.items():
            mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
            norm = float(np.linalg.norm(mean))
            centroids[document_id] = mean / norm if norm else mean
        return centroids

    def delete_document(self, document_id: str) -> None:
        self._call("delete", where={"document_id": document_id})

    def count(self) -> int:
        return self._call("count")


_opening = threading.Lock()
_loaded: dict[Path, tuple[int, int, bytes]] = {}  # the on-disk state each folder was loaded at, in this process
_servers: dict[str, object] = {}  # one HTTP client per Chroma server, for the life of the process


def open_index(path: Path, *, model: str, url: str | None = None, timeout_s: float = 30.0) -> VectorIndex:
    """Open (or create) the collection for `model`: in the folder `path`, or on the Chroma server at `url`, whose
    every request gives up after `timeout_s` seconds (a server that hangs is named like one that refuses).

    Chroma keeps one client per folder in a process, with its vector index in memory: vectors another process
    wrote since (a scheduled ingestion while the API serves) would stay invisible to queries. When the folder
    changed on disk since this process loaded it, its clients are dropped and the index is read again; handles
    already open keep working on the state they loaded. A server needs none of this: every process asks it."""
    if url is None:
        def reopen():
            return _on_disk(path, model)
    else:
        def reopen():
            try:
                return _collection(_server(url, timeout_s=timeout_s), model)
            except httpx.TransportError as exc:
                raise _unanswered(url, exc) from None
    return VectorIndex(reopen(), where=url or str(path), reopen=reopen)


def _on_disk(path: Path, model: str):
    path.mkdir(parents=True, exist_ok=True)
    with _opening:  # nobody drops the clients while another thread opens its collection
        state = _disk_state(path)
        if _loaded.get(path, state) != state:
            chromadb.api.client.SharedSystemClient.clear_system_cache()
            gc.collect()  # the dropped clients hold threads, files and their copy of the index: free them now
        _loaded[path] = state  # read before opening: a write during the open is seen at the next one
        client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
        return _collection(client, model)


def _collection(client, model: str):
    return client.get_or_create_collection(
        collection_name(model),
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": model},
    )


def _server(url: str, *, timeout_s: float):
    """One client per server. chromadb's waits for ever on a server that accepts connections and never answers
    (`httpx.Client(timeout=None)`, and no setting for it): the server is asked for its heartbeat with the timeout
    first, and the client's own connection is given the timeout once built."""
    with _opening:
        if url not in _servers:
            parts = urlsplit(url)
            https = parts.scheme == "https"
            try:
                httpx.get(f"{url}/api/v2/heartbeat", timeout=timeout_s).raise_for_status()
                _servers[url] = chromadb.HttpClient(
                    host=parts.hostname, port=parts.port or (443 if https else 80), ssl=https,
                    settings=chromadb.Settings(anonymized_telemetry=False),
                )
            except Exception as exc:  # chromadb says it in several ways (ValueError, httpx errors)
                raise _unanswered(url, exc) from None
        _servers[url]._server._session.timeout = httpx.Timeout(timeout_s)
        return _servers[url]


def _unanswered(url: str, exc: Exception) -> IndexUnavailable:
    return IndexUnavailable(f"no Chroma server answers at {url}: {exc}")


def _disk_state(path: Path) -> tuple[int, int, bytes]:
    """When and how large Chroma's database was last written, and SQLite's change counter (bytes 24-27 of the
    file, raised by every write of any process, unlike its mtime on coarse clocks)."""
    database = path / "chroma.sqlite3"
    try:
        stat = database.stat()
        with database.open("rb") as handle:
            handle.seek(24)
            counter = handle.read(4)
    except FileNotFoundError:
        return (0, 0, b"")
    return (stat.st_mtime_ns, stat.st_size, counter)
