"""FastAPI dependencies shared by the routers: settings, a store per request, the embedder."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request

from pipelines.embedding import Embedder, load_embedder
from pipelines.settings import Settings
from pipelines.store import Store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_store(settings: SettingsDep) -> Iterator[Store]:
    store = Store.open(settings)  # a connection per request: SQLite connections are not shared
    try:
        yield store
    finally:
        store.close()


def get_embedder(settings: SettingsDep) -> Embedder:
    return load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)


StoreDep = Annotated[Store, Depends(get_store)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
K = Annotated[int, Query(ge=1, le=100, description="How many passages to return.")]
