"""Errors translated at the edge: JSON for the API, a French page for the web pages.

A web page's route (HTML, left out of the API's schema) that fails gets a page in French with the same status:
a missing document or actor, a parameter the page cannot read, the vector index down. The API keeps its JSON.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from pipelines.errors import AmbiguousName, IndexUnavailable, InvalidCuration, NotFound
from pipelines.types import DOC_TYPES, TAGS

# What a person may write in each parameter of the pages, in French.
_PARAMETERS = {
    "q": ("Recherche", "une question ou des mots, de 1 à 1000 caractères"),
    "date_from": ("Depuis", "une date du calendrier, AAAA, AAAA-MM ou AAAA-MM-JJ, au plus tard celle de « Jusqu'à »"),
    "date_to": ("Jusqu'à", "une date du calendrier, AAAA, AAAA-MM ou AAAA-MM-JJ, au plus tôt celle de « Depuis »"),
    "tag": ("Thème", "l'un de " + ", ".join(TAGS)),
    "doc_type": ("Type de document", "l'un de " + ", ".join(DOC_TYPES)),
    "role": ("Rôle", "l'un de elu, agent, etat, socio_economique"),
    "page": ("Page", "un nombre de 1 à 1000"),
    "per_page": ("Résultats par page", "un nombre de 1 à 100"),
    "group": ("Regroupement", "« document » ou rien"),
}


def is_page(request: Request) -> bool:
    """Whether the request went to a web page (HTML, out of the API's schema) rather than to the API."""
    route = request.scope.get("route")
    return route is not None and not getattr(route, "include_in_schema", True) and \
        getattr(route, "response_class", None) is HTMLResponse


def _page(request: Request, status: int, heading: str, message: str, problems: list | None = None) -> Response:
    from search_api.pages import TEMPLATES  # the pages' templates (pages imports this module's users)

    return TEMPLATES.TemplateResponse(
        request, "error.html", {"heading": heading, "message": message, "problems": problems or []},
        status_code=status,
    )


async def not_found(request: Request, exc: NotFound) -> Response:
    if is_page(request):
        return _page(request, 404, "Introuvable", "Ce document, cet acteur, cette initiative ou cette ingestion "
                     "n'existe pas dans le corpus, ou n'y est plus.")
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def unavailable(request: Request, exc: IndexUnavailable) -> Response:
    if is_page(request):
        return _page(request, 503, "Recherche indisponible", "L'index des passages ne répond pas pour l'instant "
                     "(serveur de vecteurs arrêté ou injoignable). Réessayez dans un moment ; si cela dure, "
                     "prévenez l'équipe qui gère patrimoine.")
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def unprocessable(request: Request, exc: InvalidCuration | AmbiguousName) -> Response:
    return JSONResponse(status_code=422, content={"detail": str(exc)})


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    if not is_page(request):
        return await request_validation_exception_handler(request, exc)
    errors = exc.errors()
    if any(error["loc"][:1] == ("path",) for error in errors):  # "/acteurs/abc": no such actor
        return await not_found(request, NotFound(str(request.url.path)))
    problems = []
    for error in errors:
        name = str(error["loc"][-1])
        label, hint = _PARAMETERS.get(name, (name, "valeur non comprise"))
        value = error.get("input")
        if isinstance(value, list):  # a repeated parameter (tag=F2&tag=F9): all its values
            value = ", ".join(str(v) for v in value)
        problems.append((label, value if isinstance(value, str) else None, hint))
    return _page(request, 422, "Recherche non comprise", "Corrigez ce qui suit et relancez la recherche :", problems)
