"""FastAPI app: /health, /search, /documents/{id}, admin endpoints, and the French search page at /."""

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from pipelines import export
from pipelines import query as queries
from pipelines.analysis import load_analyzer
from pipelines.errors import AmbiguousName, IndexUnavailable, InvalidCuration, NotFound
from pipelines.lexicons import practice_definitions
from pipelines.schemas import (
    ActorDetail,
    ActorKind,
    ActorsResponse,
    DocumentDetail,
    InitiativeDetail,
    InitiativesResponse,
    PracticeCandidatesResponse,
    PracticesResponse,
    Role,
    RunPublic,
    RunsResponse,
    SearchResponse,
    SimilarInitiativesResponse,
    SimilarResponse,
    SimilarText,
)
from pipelines.settings import Settings
from search_api import admin, errors, pages
from search_api.deps import K, EmbedderDep, StoreDep
from search_api.params import FiltersDep, GroupDep, PagingDep, QueryDep

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


Document = Annotated[str | None, Query(description="Only those of this document: its id, source path or file name.")]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="patrimoine",
        description="Search the common heritage of the Fabrique des transitions.",
        version="0.1.0",
    )
    app.state.settings = settings
    # domain errors become statuses in one place: JSON for the API, a French page for the web pages
    app.add_exception_handler(NotFound, errors.not_found)  # a missing document, initiative…: 404
    app.add_exception_handler(InvalidCuration, errors.unprocessable)  # a curation that cannot be applied: 422
    app.add_exception_handler(AmbiguousName, errors.unprocessable)
    app.add_exception_handler(IndexUnavailable, errors.unavailable)  # PATRIMOINE_CHROMA_URL down: 503
    app.add_exception_handler(RequestValidationError, errors.invalid_request)
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
        q: QueryDep,
        filters: FiltersDep,
        paging: PagingDep,
        k: K = 10,
    ) -> SearchResponse:
        """Hits best first, each with its citation; filters, facets, pages and groups (see the README)."""
        return queries.search(
            store, embedder, q, k=k, weights=settings.search_weights, filters=filters, page=paging.page,
            per_page=paging.per_page, group=paging.group == "document",
        )

    @app.get(
        "/search.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}, "description": "The hits as CSV, with their citations."}},
    )
    def search_csv(
        store: StoreDep, embedder: EmbedderDep, q: QueryDep, filters: FiltersDep, group: GroupDep, k: K = 10,
    ) -> Response:
        """The hits of /search (same filters) as a CSV file: rank, score, citation, title, source_file, page,
        page_end, speaker, start_s, date, territory, doc_type, tags, text. With group=document, the k best
        documents, one row each: rank, best_score, best_citation, title, source_file, date, territory, doc_type,
        passages, pages, tags."""
        response = queries.search(
            store, embedder, q, k=k, weights=settings.search_weights, filters=filters, group=group
        )
        return Response(
            content="\ufeff" + export.search_csv(response),  # the BOM lets spreadsheets read UTF-8 accents
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{export.filename(q, extension="csv")}"'},
        )

    @app.get(
        "/search.json",
        response_model=SearchResponse,  # documents the body; the Response below is sent as it is
        responses={200: {"description": "The hits as a JSON file, with their citations."}},
    )
    def search_json(
        store: StoreDep, embedder: EmbedderDep, q: QueryDep, filters: FiltersDep, group: GroupDep, k: K = 10,
    ) -> Response:
        """The hits of /search (same filters) as a JSON file to download: the JSON of GET /search, each hit
        with its `citation` (the same as in the CSV); with group=document, the k best documents with their hits."""
        response = queries.search(
            store, embedder, q, k=k, weights=settings.search_weights, filters=filters, group=group
        )
        return Response(
            content=response.model_dump_json(indent=2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{export.filename(q, extension="json")}"'},
        )

    @app.get("/documents/{document_id}", response_model=DocumentDetail)
    def document(store: StoreDep, document_id: str) -> DocumentDetail:
        return queries.document(store, document_id)

    @app.get("/documents/{document_id}/similar", response_model=SimilarResponse)
    def similar(
        store: StoreDep,
        document_id: str,
        k: Annotated[int, Query(ge=1, le=50, description="How many documents to return.")] = 5,
        other_territories: Annotated[bool, Query(description="Leave out documents of the same territory.")] = False,
    ) -> SimilarResponse:
        """Documents like this one, ranked by meaning and by what they share (tags, practices, roles, territory)."""
        return queries.similar_documents(store, document_id, k=k, other_territories=other_territories)

    @app.get("/runs", response_model=RunsResponse)
    def runs(
        store: StoreDep,
        limit: Annotated[int, Query(ge=1, le=1000, description="How many runs to return.")] = 20,
        offset: Annotated[int, Query(ge=0, description="How many runs to skip first.")] = 0,
    ) -> RunsResponse:
        """Ingestion runs, by hand or by the schedule, the most recent first, each with its report (failed files
        and why, pages left out, counts)."""
        return queries.runs(store, limit=limit, offset=offset)

    @app.get("/runs/{run_id}", response_model=RunPublic)
    def run(store: StoreDep, run_id: str) -> RunPublic:
        """One ingestion run and its report."""
        return queries.run(store, run_id)

    @app.get("/actors", response_model=ActorsResponse)
    def actors(
        store: StoreDep,
        kind: Annotated[ActorKind | None, Query(description="person, organisation or place.")] = None,
        role: Annotated[Role | None, Query(description="elu, agent, etat or socio_economique.")] = None,
        document: Document = None,
        q: Annotated[str | None, Query(description="Held by the name or an alias (accents and case ignored).")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="How many actors to return.")] = 50,
        offset: Annotated[int, Query(ge=0, description="How many actors to skip first.")] = 0,
    ) -> ActorsResponse:
        """Actors (one per real actor across documents), most mentioned first, with `total` for paging."""
        return queries.actors(store, kind=kind, role=role, document=document, name=q, limit=limit, offset=offset)

    @app.get("/actors/{actor_id}", response_model=ActorDetail)
    def actor(
        store: StoreDep,
        actor_id: int,
        limit: Annotated[int, Query(ge=1, le=1000, description="How many mentions to return.")] = 100,
        offset: Annotated[int, Query(ge=0, description="How many mentions to skip first.")] = 0,
    ) -> ActorDetail:
        """An actor, where its role comes from, and its mentions with their passages, pages and sentences."""
        return queries.actor(store, actor_id, limit=limit, offset=offset)

    @app.get("/practices", response_model=PracticesResponse)
    def practices(store: StoreDep, document: Document = None) -> PracticesResponse:
        """Practices (methods and tools) found in the documents, most cited first, with their definition."""
        return queries.practices(
            store, definitions=practice_definitions(Path(settings.models_dir) / "practices.yaml"), document=document
        )

    @app.get("/practices/candidates", response_model=PracticeCandidatesResponse)
    def practice_candidates(
        store: StoreDep,
        min_documents: Annotated[int, Query(ge=1, description="Only terms found in this many documents or more.")] = 2,
        limit: Annotated[int, Query(ge=1, le=1000, description="How many candidates to return.")] = 100,
    ) -> PracticeCandidatesResponse:
        """Frequent terms of the passages that no practice covers, most widespread first, with an example."""
        return queries.practice_candidates(store, min_documents=min_documents, limit=limit)

    @app.get("/initiatives", response_model=InitiativesResponse)
    def initiatives(
        store: StoreDep,
        document: Document = None,
        territory: Annotated[str | None, Query(description="Held by its territory (accents and case ignored).")] = None,
    ) -> InitiativesResponse:
        """Named projects and programmes found in the documents, most mentioned first."""
        return queries.initiatives(store, document=document, territory=territory)

    @app.get("/initiatives/{initiative_id}", response_model=InitiativeDetail)
    def initiative(store: StoreDep, initiative_id: int) -> InitiativeDetail:
        return queries.initiative(store, initiative_id)

    @app.get("/initiatives/{initiative_id}/similar", response_model=SimilarInitiativesResponse)
    def similar_initiatives(
        store: StoreDep,
        initiative_id: int,
        k: Annotated[int, Query(ge=1, le=50, description="How many initiatives to return.")] = 5,
        other_territories: Annotated[bool, Query(description="Leave out initiatives of the same territory.")] = False,
    ) -> SimilarInitiativesResponse:
        """Initiatives like this one, by the meaning of their passages and the tags and practices they share."""
        return queries.similar_initiatives(store, initiative_id, k=k, other_territories=other_territories)

    @app.post("/similar", response_model=SimilarResponse)
    def similar_to_text(
        store: StoreDep, embedder: EmbedderDep, body: SimilarText,
        k: Annotated[int, Query(ge=1, le=50, description="How many documents to return.")] = 5,
    ) -> SimilarResponse:
        """Documents like a pasted description of an initiative (from other territories when one is given)."""
        analyzer = load_analyzer(settings)
        return queries.similar_to_text(store, embedder, analyzer, body.text, territory=body.territory, k=k)

    return app
