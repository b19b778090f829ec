"""Storage of one PATRIMOINE_HOME: the SQLite catalog and the Chroma collection of the embedding model."""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipelines import catalog
from pipelines.index import VectorIndex, open_index
from pipelines.settings import Settings


class Store:
    """The catalog's connection, and the vector index opened at its first use: commands and pages that read the
    catalog only work while a Chroma server (PATRIMOINE_CHROMA_URL) is down."""

    def __init__(self, conn: sqlite3.Connection, *, model: str, open_vectors: Callable[[], VectorIndex]) -> None:
        self.conn = conn
        self.model = model
        self._open_vectors = open_vectors
        self._index: VectorIndex | None = None

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls(
            catalog.connect(settings.catalog_path),
            model=settings.embedding_model,
            open_vectors=lambda: open_index(
                settings.chroma_dir, model=settings.embedding_model, url=settings.chroma_url,
                timeout_s=settings.chroma_timeout_s,
            ),
        )

    @property
    def index(self) -> VectorIndex:
        """Raises IndexUnavailable when the Chroma server does not answer."""
        if self._index is None:
            self._index = self._open_vectors()
        return self._index

    def close(self) -> None:
        self.conn.close()


@contextmanager
def _writer_lock(settings: Settings, *, wait: bool, waiting: Callable[[], None] = lambda: None) -> Iterator[bool]:
    """The home's writer lock (an exclusive `flock` on `PATRIMOINE_HOME/writer.lock`) for the block. Yields True
    once held; with `wait` False and another process holding it, yields False at once (nothing is held)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / "writer.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def one_writer(settings: Settings, *, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the home's writer lock for the block: an ingestion or a re-tagging started while another one writes to
    the same home (a scheduled run and one started by hand) calls `waiting`, then waits for it to end instead of
    writing beside it."""
    with _writer_lock(settings, wait=True, waiting=waiting):
        yield


def crash_unfinished_runs(settings: Settings) -> int:
    """Mark crashed the runs left `running` when no process writes to the home (its writer lock is free, and held
    while marking): a stopped schedule whose run was killed with it. Returns how many; 0 while another writes."""
    if not settings.catalog_path.exists():
        return 0
    with _writer_lock(settings, wait=False) as held:
        if not held:
            return 0  # an ingestion is writing: its run is alive
        conn = catalog.connect(settings.catalog_path)
        try:
            with conn:
                return catalog.crash_running(conn)
        finally:
            conn.close()
