"""Storage of one PATRIMOINE_HOME: the SQLite catalog and the Chroma collection of the embedding model."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pipelines import catalog
from pipelines.index import VectorIndex, open_index
from pipelines.settings import Settings


@dataclass
class Store:
    conn: sqlite3.Connection
    index: VectorIndex
    model: str

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls(
            conn=catalog.connect(settings.catalog_path),
            index=open_index(settings.chroma_dir, model=settings.embedding_model),
            model=settings.embedding_model,
        )

    def close(self) -> None:
        self.conn.close()
