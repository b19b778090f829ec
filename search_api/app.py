"""FastAPI app: /health, /search, /documents/{id}, admin endpoints, and the French search page at /."""

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from fastapi.staticfiles import StaticFiles

from pipelines import query as queries
from pipelines.errors import NotFound
from pipelines.schemas import DocumentDetail, SearchResponse
from pipelines.settings import Settings
from search_api import admin, pages
from search_api.deps import K, EmbedderDep, StoreDep
from search_api.params import FiltersDep, Group, Page, PerPage

TAG_NAMES = {
    "F1": "Engagement des acteurs",
    "F2": "Coopération, conflits au travail",
    "F3": "Formation à l'approche systémique",
    "F4": "Évaluation des effets",
    "O1": "Communauté apprenante, patrimoine commun",
    "O2": "Patrimoine au service des transitions",
    "O3": "Changements de modèles",
    "O4": "Ingénierie du changement systémique",
}
ROLE_NAMES = {"elu": "élu", "agent": "agent", "etat": "État", "socio_economique": "socio-économique"}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="patrimoine",
        description="Search the common heritage of the Fabrique des transitions.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/health")
    def health(store: StoreDep) -> dict:
        return {"status": "ok", "embedding_model": settings.embedding_model, **queries.stats(store).model_dump()}

    @app.get("/search", response_model=SearchResponse)
    def search(
        store: StoreDep,
        embedder: EmbedderDep,
        q: Annotated[str, Query(description="A question or keywords, in French.")],
        filters: FiltersDep,
        k: K = 10,
        page: Page = 1,
        per_page: PerPage = None,
        group: Group = None,
    ) -> SearchResponse:
        return queries.search(
            store, embedder, q, k=k, weights=settings.search_weights, filters=filters, page=page, per_page=per_page,
            group=group == "document",
        )

    @app.get("/documents/{document_id}", response_model=DocumentDetail)
    def document(store: StoreDep, document_id: str) -> DocumentDetail:
        try:
            return queries.document(store, document_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    return app
