"""FastAPI app: /health, /search, /documents/{id}, and the French search page at /."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from pipelines import export
from pipelines import query as queries
from pipelines.embedding import Embedder, load_embedder
from pipelines.errors import NotFound
from pipelines.schemas import DocumentDetail, SearchResponse
from pipelines.settings import Settings
from pipelines.store import Store

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
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
Q = Annotated[str, Query(description='A question or keywords, in French; "an exact phrase" in double quotes.')]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="patrimoine",
        description="Search the common heritage of the Fabrique des transitions.",
        version="0.1.0",
    )
    app.state.settings = settings

    @app.get("/health")
    def health(store: StoreDep) -> dict:
        return {"status": "ok", "embedding_model": settings.embedding_model, **queries.stats(store).model_dump()}

    @app.get("/search", response_model=SearchResponse)
    def search(
        store: StoreDep,
        embedder: EmbedderDep,
        q: Q,
        k: K = 10,
    ) -> SearchResponse:
        return queries.search(store, embedder, q, k=k, weights=settings.search_weights)

    @app.get(
        "/search.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "The hits as CSV, with their citations."}},
    )
    def search_csv(store: StoreDep, embedder: EmbedderDep, q: Q, k: K = 10) -> Response:
        """The hits of /search as a CSV file: rank, score, citation, title, source_file, page, page_end,
        speaker, start_s, date, territory, doc_type, tags, text."""
        response = queries.search(store, embedder, q, k=k, weights=settings.search_weights)
        return Response(
            content="\ufeff" + export.search_csv(response),  # the BOM lets spreadsheets read UTF-8 accents
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{export.csv_filename(q)}"'},
        )

    @app.get("/documents/{document_id}", response_model=DocumentDetail)
    def document(store: StoreDep, document_id: str) -> DocumentDetail:
        try:
            return queries.document(store, document_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request, store: StoreDep, embedder: EmbedderDep, q: str = "", k: K = 10) -> HTMLResponse:
        response = queries.search(store, embedder, q, k=k, weights=settings.search_weights) if q.strip() else None
        return TEMPLATES.TemplateResponse(
            request,
            "index.html",
            {
                "q": q,
                "k": k,
                "response": response,
                "stats": queries.stats(store),
                "tag_names": TAG_NAMES,
                "role_names": ROLE_NAMES,
            },
        )

    return app
