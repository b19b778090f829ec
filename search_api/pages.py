"""The French web pages (server-rendered, usable without JavaScript) and the original files.

- `/` search with filters, facets and pages; `/document/{id}` a document's passages by page;
  `/acteurs/{id}` an actor's mentions; `/apercu` the corpus overview for staff; `/ingestions/{run_id}` one
  ingestion run's report (failed files and why);
- `/documents/{id}/file` the file a document was read from (only files recorded in the catalog).
"""

from __future__ import annotations

import mimetypes
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from pipelines import catalog, facets
from pipelines import query as queries
from pipelines.errors import InvalidSearch, NotFound
from pipelines.schemas import SimilarDocument
from pipelines.store import Store
from search_api import charts, highlight, reasons
from search_api.deps import EmbedderDep, SettingsDep, StoreDep
from search_api.params import FiltersDep, PagingDep, refused

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters["highlight"] = highlight.highlight
TEMPLATES.env.filters["snippet"] = highlight.snippet
TEMPLATES.env.filters["mark_names"] = highlight.mark_names
TEMPLATES.env.filters["french_date"] = highlight.french_date
TEMPLATES.env.filters["french_number"] = highlight.french_number
TEMPLATES.env.filters["french_datetime"] = highlight.french_datetime
TEMPLATES.env.filters["french_reason"] = reasons.in_french  # the pipeline's English reasons, in French
TEMPLATES.env.globals["GROUP_SHOWN"] = 3  # passages shown per document when hits are grouped
TEMPLATES.env.globals["where"] = highlight.where
FACET_NAMES = {
    "tag": "Thème (fondamentaux et objectifs)",
    "doc_type": "Type de document",
    "year": "Année",
    "territory": "Territoire",
    "role": "Rôle des acteurs",
    "actor": "Acteur",
    "practice": "Pratique",
    "initiative": "Initiative",
    "source": "Fichier source",
}
DOC_TYPE_NAMES = {
    "acte": "acte", "proces_verbal": "procès-verbal", "rapport": "rapport", "transcription": "transcription",
    "presentation": "présentation", "autre": "autre",
}
MEDIA_TYPES = {".vtt": "text/vtt", ".srt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
               ".txt": "text/plain", ".text": "text/plain"}
PER_PAGE = 10
SIMILAR = 5  # similar documents or initiatives shown on a page
TERRITORY_KINDS = {"commune": "commune", "intercommunalite": "intercommunalité", "departement": "département",
                   "region": "région"}
RUN_STATUS = {"completed": "terminée", "running": "en cours", "crashed": "interrompue par une erreur"}

router = APIRouter()


def _labels() -> dict:
    from search_api.app import ROLE_NAMES, TAG_NAMES  # defined beside the app; imported late (app imports us)

    return {"tag_names": TAG_NAMES, "role_names": ROLE_NAMES, "facet_names": FACET_NAMES,
            "doc_type_names": DOC_TYPE_NAMES, "territory_kinds": TERRITORY_KINDS, "run_status": RUN_STATUS}


def file_url(document_id: str, source_path: str, page: int | None = None) -> str:
    """Link to the original file; PDFs open at the page."""
    url = f"/documents/{document_id}/file"
    return f"{url}#page={page}" if page and source_path.lower().endswith(".pdf") else url


TEMPLATES.env.globals["file_url"] = file_url


def _url(items: list[tuple[str, str]]) -> str:
    return "/?" + urlencode(items) if items else "/"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    store: StoreDep,
    embedder: EmbedderDep,
    settings: SettingsDep,
    filters: FiltersDep,
    paging: PagingDep,
    q: str = "",
) -> HTMLResponse:
    page, group = paging.page, paging.group
    per_page = paging.per_page or PER_PAGE
    if q.strip():
        try:
            q = facets.check_query(q)
        except InvalidSearch as exc:
            raise refused(exc, {"q": q}) from None
    response = (
        queries.search(store, embedder, q, k=per_page, weights=settings.search_weights, filters=filters, page=page,
                       per_page=per_page, group=group == "document")
        if q.strip() else None
    )
    params = [(k, v) for k, v in request.query_params.multi_items() if v and k != "page"]

    def toggle(name: str, value: str) -> str:
        """This page's URL with a facet value added or removed (and back to page 1)."""
        if name == "year":
            dates = [("date_from", value), ("date_to", value)]
            rest = [(k, v) for k, v in params if k not in ("date_from", "date_to")]
            return _url(rest if all(p in params for p in dates) else rest + dates)
        pair = (name, value)
        return _url([p for p in params if p != pair] if pair in params else params + [pair])

    def at_page(number: int) -> str:
        return _url(params + ([("page", str(number))] if number > 1 else []))

    def selected(name: str, value: str) -> bool:
        if name == "year":
            return filters.date_from == value and filters.date_to == value
        return value in getattr(filters, name, [])

    last_page = -(-response.total // per_page) if response else 1
    if response and response.total and page > last_page:  # a page past the end (fewer hits since): the last one
        return RedirectResponse(at_page(last_page), status_code=303)
    # the exports hold what the pages up to this one show, with the same filters: hits, or documents when grouped
    export_query = urlencode(
        [(k, v) for k, v in params if k not in ("group", "per_page")] + ([("group", "document")] if group else [])
        + [("k", str(min(100, page * per_page)))]
    )
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            "q": q, "response": response, "stats": queries.stats(store), "filters": filters,
            "toggle": toggle, "at_page": at_page, "selected": selected, "last_page": max(last_page, 1),
            "group": group, "per_page": per_page, "page": page,
            "active": [(k, v) for k, v in params if k in FACET_NAMES or k in ("date_from", "date_to")],
            "without": lambda pair: _url([p for p in params if p != pair]),
            "csv_url": "/search.csv?" + export_query,
            "json_url": "/search.json?" + export_query,
            **_labels(),
        },
    )


@router.get("/document/{document_id}", response_class=HTMLResponse, include_in_schema=False)
def document_page(
    request: Request, store: StoreDep, document_id: str, q: str = "", autres_territoires: bool = False
) -> HTMLResponse:
    document = queries.document(store, document_id)  # NotFound: 404 (search_api.app)
    similar = _similar_documents(store, document_id, other_territories=autres_territoires)
    by_page: dict[int | None, list] = defaultdict(list)
    for passage in document.passages:
        by_page[passage.page].append(passage)
    actors: dict[tuple[str, str], dict] = {}
    for passage in document.passages:
        for actor in passage.actors:
            entry = actors.setdefault((actor.name, actor.kind), {"actor": actor, "passages": 0})
            entry["passages"] += 1
    ids = catalog.actor_ids(store.conn, sorted({name for name, _ in actors}))
    return TEMPLATES.TemplateResponse(
        request,
        "document.html",
        {
            "document": document, "q": q, "by_page": list(by_page.items()),
            "actors": sorted(actors.values(), key=lambda e: (-e["passages"], e["actor"].name)),
            "actor_ids": ids, "similar": similar, "other_territories": autres_territoires, **_labels(),
        },
    )


def _similar_documents(store: Store, document_id: str, *, other_territories: bool) -> list[SimilarDocument]:
    """The documents like this one, for its page; none when it has no passage vector to compare."""
    try:
        return queries.similar_documents(store, document_id, k=SIMILAR, other_territories=other_territories).results
    except NotFound:
        return []


@router.get("/acteurs/{actor_id}", response_class=HTMLResponse, include_in_schema=False)
def actor_page(request: Request, store: StoreDep, actor_id: int) -> HTMLResponse:
    found = catalog.get_actor(store.conn, actor_id)
    if found is None:
        raise NotFound(f"no actor with id {actor_id}")  # a French page (search_api.errors)
    actor, passage_ids = found
    passages = catalog.get_passages(store.conn, passage_ids)
    documents = catalog.get_documents(store.conn, sorted({p.document_id for p in passages.values()}))
    by_document: dict[str, list] = defaultdict(list)
    for pid in passage_ids:
        if pid in passages:
            by_document[passages[pid].document_id].append(passages[pid])
    return TEMPLATES.TemplateResponse(
        request,
        "actor.html",
        {"actor": actor, "documents": documents, "by_document": list(by_document.items()), **_labels()},
    )


@router.get("/initiatives-du-corpus", response_class=HTMLResponse, include_in_schema=False)
def initiatives_page(request: Request, store: StoreDep) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, "initiatives.html", {"initiatives": queries.initiatives(store).initiatives, **_labels()}
    )


@router.get("/initiative/{initiative_id}", response_class=HTMLResponse, include_in_schema=False)
def initiative_page(request: Request, store: StoreDep, initiative_id: int, autres_territoires: bool = False) -> HTMLResponse:
    initiative = queries.initiative(store, initiative_id)  # NotFound: 404 (search_api.app)
    similar = queries.similar_initiatives(store, initiative_id, k=SIMILAR, other_territories=autres_territoires)
    documents = catalog.get_documents(store.conn, initiative.documents)
    return TEMPLATES.TemplateResponse(
        request,
        "initiative.html",
        {"initiative": initiative, "similar": similar.results, "documents": documents,
         "other_territories": autres_territoires, **_labels()},
    )


@router.get("/apercu", response_class=HTMLResponse, include_in_schema=False)
def overview_page(request: Request, store: StoreDep) -> HTMLResponse:
    figures = catalog.overview(store.conn)
    labels = _labels()
    years = sorted({y for y, _, _ in figures["tags_per_year"]}, key=lambda y: (not y, y))  # undated last
    tags = sorted({t for _, t, _ in figures["tags_per_year"]})
    svgs = {
        "per_year": charts.bars("Documents par année", [(y or "sans date", n) for y, n in figures["documents_per_year"]]),
        "per_type": charts.bars(
            "Documents par type", [(DOC_TYPE_NAMES.get(t, t), n) for t, n in figures["documents_per_type"]]
        ),
        "tags_per_year": charts.grouped(
            "Passages étiquetés par année et par thème", [y or "sans date" for y in years], tags,
            {(y or "sans date", t): n for y, t, n in figures["tags_per_year"]},
        ),
        "actors": charts.bars("Acteurs les plus cités (passages)", [(a.name, a.mentions) for a in figures["actors"]]),
        "practices": charts.bars("Pratiques les plus citées (passages)", figures["practices"]),
    }
    return TEMPLATES.TemplateResponse(
        request,
        "overview.html",
        {"figures": figures, "svgs": svgs, "years": years, "tags": tags, "stats": queries.stats(store), **labels},
    )


@router.get("/ingestions/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(request: Request, store: StoreDep, run_id: str) -> HTMLResponse:
    """One ingestion run for staff: what it was given, its counts, each failed file with its reason."""
    run = queries.run(store, run_id)  # NotFound: 404 (search_api.app)
    return TEMPLATES.TemplateResponse(request, "run.html", {"run": run, "report": run.report, **_labels()})


@router.head("/documents/{document_id}/file", include_in_schema=False)  # link checkers ask HEAD first
@router.get("/documents/{document_id}/file", response_class=FileResponse, tags=["documents"])
def document_file(store: StoreDep, document_id: str) -> FileResponse:
    """The file the document was read from, with its media type; 404 for an unknown document or a file gone."""
    source = catalog.document_source(store.conn, document_id)
    if source is None:
        raise HTTPException(status_code=404, detail=f"no document with id {document_id!r}")
    path = Path(source)
    if not path.is_file():
        raise HTTPException(status_code=404, detail=f"the file of document {document_id!r} is no longer there")
    suffix = path.suffix.lower()
    media = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return FileResponse(
        path, media_type=media, filename=path.name, content_disposition_type="inline",
        # a document's own HTML or scripts never run on this site
        headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"},
    )
