"""Query parameters of search shared by GET /search and the web page: filters, page, grouping."""

from typing import Annotated

from fastapi import Depends, Query

from pipelines.facets import SearchFilters


def search_filters(
    doc_type: Annotated[list[str], Query(description="Document type; repeat for any of several.")] = [],  # noqa: B006
    date_from: Annotated[str | None, Query(description="Document date on or after: YYYY, YYYY-MM or YYYY-MM-DD.",
                                           pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")] = None,
    date_to: Annotated[str | None, Query(description="Document date on or before: YYYY, YYYY-MM or YYYY-MM-DD.",
                                         pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")] = None,
    territory: Annotated[list[str], Query(description="Territory of the document.")] = [],  # noqa: B006
    tag: Annotated[list[str], Query(description="Tag of the passage: F1-F4, O1-O4.")] = [],  # noqa: B006
    actor: Annotated[list[str], Query(description="Name of an actor the passage mentions.")] = [],  # noqa: B006
    role: Annotated[list[str], Query(description="Role of an actor the passage mentions: elu, agent, etat, "
                                                 "socio_economique.")] = [],  # noqa: B006
    practice: Annotated[list[str], Query(description="Practice named in the passage.")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="File name of the document.")] = [],  # noqa: B006
) -> SearchFilters:
    def clean(values: list[str]) -> list[str]:
        return [v for v in values if v.strip()]

    return SearchFilters(
        doc_type=clean(doc_type), date_from=date_from or None, date_to=date_to or None, territory=clean(territory),
        tag=clean(tag), actor=clean(actor), role=clean(role), practice=clean(practice), source=clean(source),
    )


FiltersDep = Annotated[SearchFilters, Depends(search_filters)]
Page = Annotated[int, Query(ge=1, le=1000, description="Page number, from 1.")]
PerPage = Annotated[int | None, Query(ge=1, le=100, description="Hits per page; defaults to k.")]
Group = Annotated[str | None, Query(pattern="^(document)?$", description="`document` groups hits by document.")]
