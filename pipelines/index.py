"""The vector index: the only module that imports chromadb.

One collection per embedding model (vectors of different models never mix); the passage id is
the vector id, and each vector carries its document id and page as metadata.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
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
    def __init__(self, collection) -> None:
        self._collection = collection

    def upsert(self, *, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        if ids:
            self._collection.upsert(ids=ids, embeddings=vectors.tolist(), metadatas=metadatas)

    def query(self, vector: np.ndarray, *, k: int) -> list[VectorHit]:
        if self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector.tolist()], n_results=k, include=["distances"]
        )
        return [
            VectorHit(passage_id=pid, score=round(1.0 - float(distance), 6))
            for pid, distance in zip(result["ids"][0], result["distances"][0])
        ]

    def passage_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        found = self._collection.get(ids=ids, include=["embeddings"])
        return {pid: np.asarray(vector, dtype=np.float32) for pid, vector in zip(found["ids"], found["embeddings"])}

    def document_vectors(self) -> dict[str, np.ndarray]:
        """Each document's centroid: the normalised mean of its passages' vectors."""
        if self.count() == 0:
            return {}
        found = self._collection.get(include=["embeddings", "metadatas"])
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
        self._collection.delete(where={"document_id": document_id})

    def count(self) -> int:
        return self._collection.count()


_opening = threading.Lock()
_loaded: dict[Path, tuple[int, int]] = {}  # the on-disk state each folder's client was loaded at, in this process


def open_index(path: Path, *, model: str, url: str | None = None) -> VectorIndex:
    """Open (or create) the collection for `model`: in the folder `path`, or on the Chroma server at `url`.

    Chroma keeps one client per folder in a process, with its vector index in memory: vectors another process
    wrote since (a scheduled ingestion while the API serves) would stay invisible to queries. When the folder
    changed on disk since this process loaded it, its clients are dropped and the index is read again; handles
    already open keep working on the state they loaded. A server needs none of this: every process asks it."""
    if url is not None:
        return VectorIndex(_collection(_server(url), model))
    path.mkdir(parents=True, exist_ok=True)
    with _opening:
        state = _disk_state(path)
        if _loaded.get(path, state) != state:
            chromadb.api.client.SharedSystemClient.clear_system_cache()
        client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
        collection = _collection(client, model)
        _loaded[path] = _disk_state(path)
    return VectorIndex(collection)


def _collection(client, model: str):
    return client.get_or_create_collection(
        collection_name(model),
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
        metadata={"embedding_model": model},
    )


def _server(url: str):
    parts = urlsplit(url)
    https = parts.scheme == "https"
    try:
        return chromadb.HttpClient(
            host=parts.hostname, port=parts.port or (443 if https else 80), ssl=https,
            settings=chromadb.Settings(anonymized_telemetry=False),
        )
    except Exception as exc:  # chromadb says it in several ways (ValueError, httpx errors)
        raise IndexUnavailable(f"no Chroma server answers at {url}: {exc}") from None


def _disk_state(path: Path) -> tuple[int, int]:
    """When and how large Chroma's database was last written (every write of any process goes through it)."""
    try:
        stat = (path / "chroma.sqlite3").stat()
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)
