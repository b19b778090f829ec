"""Query parameters of search shared by GET /search, its exports and the web page: filters, page, grouping.

They are declared here for FastAPI (names and documentation) and read by `pipelines.facets.parse`, the
parser the CLI uses too; a value it refuses is a 422 naming the parameter.
"""

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from pipelines import facets
from pipelines.errors import InvalidSearch
from pipelines.facets import SearchFilters, SearchPaging

M = facets.M
_SEVERAL = " Repeat the parameter for several."


def _filter(name: str) -> Any:
    return Query(description=facets.describe(SearchFilters, name) + _SEVERAL)


def _date(name: str) -> Any:
    return Query(description=facets.describe(SearchFilters, name))


def _parsed(model: type[M], values: dict[str, Any]) -> M:
    try:
        return facets.parse(model, values)
    except InvalidSearch as exc:
        raise refused(exc, values) from None


def refused(exc: InvalidSearch, values: dict[str, Any]) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", name), "msg": message, "input": values.get(name)}
         for name, message in exc.problems]
    )


def search_query(
    q: Annotated[str, Query(description='A question or keywords, in French; "an exact phrase" in double quotes '
                            f"(at most {facets.MAX_QUERY_CHARS} characters).")],
) -> str:
    try:
        return facets.check_query(q)
    except InvalidSearch as exc:
        raise refused(exc, {"q": q}) from None


def search_filters(
    doc_type: Annotated[list[str], _filter("doc_type")] = [],  # noqa: B006
    date_from: Annotated[str | None, _date("date_from")] = None,
    date_to: Annotated[str | None, _date("date_to")] = None,
    territory: Annotated[list[str], _filter("territory")] = [],  # noqa: B006
    tag: Annotated[list[str], _filter("tag")] = [],  # noqa: B006
    actor: Annotated[list[str], _filter("actor")] = [],  # noqa: B006
    role: Annotated[list[str], _filter("role")] = [],  # noqa: B006
    practice: Annotated[list[str], _filter("practice")] = [],  # noqa: B006
    initiative: Annotated[list[str], _filter("initiative")] = [],  # noqa: B006
    source: Annotated[list[str], _filter("source")] = [],  # noqa: B006
) -> SearchFilters:
    return _parsed(SearchFilters, locals())


def search_paging(
    page: Annotated[int | None, Query(description=facets.describe(SearchPaging, "page"))] = None,
    per_page: Annotated[int | None, Query(description=facets.describe(SearchPaging, "per_page"))] = None,
    group: Annotated[str | None, Query(description=facets.describe(SearchPaging, "group"))] = None,
) -> SearchPaging:
    return _parsed(SearchPaging, locals())


def search_group(
    group: Annotated[str | None, Query(description=facets.describe(SearchPaging, "group"))] = None,
) -> bool:
    """Whether the exports hold documents (`group=document`, k documents) rather than passages."""
    return _parsed(SearchPaging, {"group": group}).group == "document"


QueryDep = Annotated[str, Depends(search_query)]
GroupDep = Annotated[bool, Depends(search_group)]
FiltersDep = Annotated[SearchFilters, Depends(search_filters)]
PagingDep = Annotated[SearchPaging, Depends(search_paging)]
