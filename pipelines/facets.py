"""Pure search discovery steps: filter a ranked pool of passages by their metadata, count facets, page.

No I/O: the facts of each passage (document type, date, territory, source file, tags, actors, roles,
practices) come from the catalog (`catalog.passage_facts`) and are given as plain mappings.
Within one facet, values are alternatives (OR); across facets, all must hold (AND).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator

from pipelines.actors import ROLES, normalise
from pipelines.errors import InvalidSearch
from pipelines.text import fold
from pipelines.types import DOC_TYPES, TAGS

POOL = 200  # fused candidates the filters and facets work on
MAX_QUERY_CHARS = 1000  # a longer query is refused: no question is that long, and its search would take seconds
FACET_LIMIT = 20  # values shown per facet (most frequent first); tags, types, roles and years all shown
# facet name -> the key of the passage facts it reads (a list-valued fact is matched element by element)
FACETS = {
    "doc_type": "doc_type",
    "year": "year",
    "territory": "territory",
    "tag": "tags",
    "actor": "actors",
    "role": "roles",
    "practice": "practices",
    "initiative": "initiatives",
    "source": "source",
}
_UNLIMITED = {"tag", "doc_type", "role", "year"}
M = TypeVar("M", bound=BaseModel)
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


class SearchFilters(BaseModel):
    """Filters of a search; empty lists and None mean no filter.

    The API's query string and the CLI's options are both parsed by `parse` into this model: blank values
    are dropped, dates are checked.
    """

    doc_type: list[str] = Field(
        default_factory=list,
        description="Document types (any of them): acte, proces_verbal, rapport, presentation, transcription, autre.",
    )
    date_from: str | None = Field(default=None, description="Document date on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
    date_to: str | None = Field(default=None, description="Document date on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
    territory: list[str] = Field(default_factory=list, description="Territories (any of them).")
    tag: list[str] = Field(default_factory=list, description="Tags F1-F4, O1-O4 (any of them).")
    actor: list[str] = Field(default_factory=list, description="Actor names (any of them, accents and case ignored).")
    role: list[str] = Field(default_factory=list, description="Roles of a mentioned actor: elu, agent, etat, socio_economique.")
    practice: list[str] = Field(default_factory=list, description="Practices (any of them).")
    initiative: list[str] = Field(
        default_factory=list, description="Names of initiatives the passage mentions (any of them)."
    )
    source: list[str] = Field(default_factory=list, description="Source file names (any of them).")

    @field_validator("doc_type", "territory", "tag", "actor", "role", "practice", "initiative", "source", mode="before")
    @classmethod
    def _drop_blanks(cls, values: Any) -> Any:
        """An empty form field or option is no filter: blank values are dropped, the others stripped."""
        if values is None:
            return []
        if isinstance(values, str):
            values = [values]
        return [v.strip() for v in values if isinstance(v, str) and v.strip()] if isinstance(values, list) else values

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, str) and not _DATE.fullmatch(value):
            raise ValueError(f"{value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
        if isinstance(value, str):
            try:  # the calendar's: no month 13, no 30 February
                date.fromisoformat(_date_bound(value, upper=False))
            except ValueError:
                raise ValueError(f"{value!r} is not a date of the calendar") from None
        return value

    @field_validator("tag", "doc_type", "role", mode="after")
    @classmethod
    def _known(cls, values: list[str], info) -> list[str]:
        """Values of a closed list, case ignored: a typo is an error, not a search that finds nothing."""
        known = {"tag": TAGS, "doc_type": DOC_TYPES, "role": ROLES}[info.field_name]
        by_fold = {fold(value): value for value in known}
        unknown = [value for value in values if fold(value) not in by_fold]
        if unknown:
            raise ValueError(f"unknown value {unknown[0]!r}: one of {', '.join(known)}")
        return [by_fold[fold(value)] for value in values]

    @field_validator("date_to", mode="after")
    @classmethod
    def _after_date_from(cls, value: str | None, info) -> str | None:
        start = info.data.get("date_from")
        if value and start and _date_bound(start, upper=False) > _date_bound(value, upper=True):
            raise ValueError(f"{value!r} is before date_from {start!r}")
        return value

    def active(self) -> bool:
        return any(bool(value) for value in self.model_dump().values())


class SearchPaging(BaseModel):
    """Which page of the hits a search shows, and whether hits are grouped by document."""

    page: int = Field(default=1, ge=1, le=1000, description="Page number, from 1.")
    per_page: int | None = Field(
        default=None, ge=1, le=100, description="Hits per page (documents when grouped); defaults to k."
    )
    group: Literal["document"] | None = Field(
        default=None, description="`document` pages documents, each with its hits."
    )

    @field_validator("per_page", "group", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def parse(model: type[M], values: Mapping[str, Any]) -> M:
    """`model` (SearchFilters or SearchPaging) from raw parameters, as the API and the CLI receive them
    (None: not given; other names are ignored). Raises InvalidSearch naming each bad parameter."""
    given = {name: value for name, value in values.items() if name in model.model_fields and value is not None}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        problems = [(".".join(str(part) for part in error["loc"]), error["msg"].removeprefix("Value error, "))
                    for error in exc.errors()]
        raise InvalidSearch(problems) from None


def parse_search(values: Mapping[str, Any]) -> tuple[SearchFilters, SearchPaging]:
    """Filters and paging from raw parameters; InvalidSearch names every bad one of both."""
    problems: list[tuple[str, str]] = []
    parsed: list[Any] = []
    for model in (SearchFilters, SearchPaging):
        try:
            parsed.append(parse(model, values))
        except InvalidSearch as exc:
            problems += exc.problems
    if problems:
        raise InvalidSearch(problems)
    return parsed[0], parsed[1]


def check_query(text: str, *, name: str = "q") -> str:
    """The query, stripped; InvalidSearch (parameter `name`) when it is blank or longer than MAX_QUERY_CHARS."""
    text = text.strip()
    if not text:
        raise InvalidSearch([(name, "the query is empty: write a question or keywords")])
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidSearch([(name, f"the query has {len(text)} characters, more than {MAX_QUERY_CHARS}")])
    return text


def describe(model: type[BaseModel], name: str) -> str:
    """The description of a parameter, for the API's documentation and the CLI's help."""
    return model.model_fields[name].description or name


def _values(facts: Mapping[str, Any], key: str) -> list[str]:
    value = facts.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if v]


def _date_bound(value: str, *, upper: bool) -> str:
    """'2024' -> '2024-01-01' (or '2024-12-31' as an upper bound); '2024-03' likewise."""
    value = value.strip()
    if len(value) == 4:
        return f"{value}-12-31" if upper else f"{value}-01-01"
    if len(value) == 7:
        return f"{value}-31" if upper else f"{value}-01"
    return value[:10]


def matches(facts: Mapping[str, Any], filters: SearchFilters) -> bool:
    """Whether a passage's facts pass every filter."""
    for name, key in FACETS.items():
        wanted = getattr(filters, name, None)
        if not wanted:
            continue
        if name == "actor":  # any name the actor answers to (aliases, acronyms), as `actors --name` reads them
            if not set(_values(facts, "actor_names") or map(normalise, _values(facts, key))) & set(map(normalise, wanted)):
                return False
        elif not {fold(v) for v in _values(facts, key)} & {fold(w) for w in wanted}:  # typed: accents, case ignored
            return False
    date = facts.get("date")
    if filters.date_from and (not date or date < _date_bound(filters.date_from, upper=False)):
        return False
    if filters.date_to and (not date or date > _date_bound(filters.date_to, upper=True)):
        return False
    return True


def apply(ranked: Sequence[str], facts: Mapping[str, Mapping[str, Any]], filters: SearchFilters) -> list[str]:
    """The ranked ids whose facts pass the filters, in rank order (ids without facts are dropped)."""
    return [pid for pid in ranked if pid in facts and matches(facts[pid], filters)]


def disjunctive_count(
    ranked: Sequence[str], facts: Mapping[str, Mapping[str, Any]], filters: SearchFilters,
    kept: Sequence[str] | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Facet counts where each facet is counted over the passages that pass the filters of the other facets (the
    dates included), not its own: its values are alternatives, so a count is what choosing that value adds
    (with tag=F2 chosen, F3's count is the passages with F3 that pass the rest, not those with F2 and F3)."""
    counts = count(apply(ranked, facts, filters) if kept is None else kept, facts)  # `kept`: that, filtered already
    for name in FACETS:
        own = ("date_from", "date_to") if name == "year" else (name,)
        if not any(getattr(filters, field) for field in own):
            continue
        others = filters.model_copy(update={field: ([] if field not in ("date_from", "date_to") else None)
                                            for field in own})
        counts[name] = count(apply(ranked, facts, others), facts)[name]
    return counts


def count(ids: Iterable[str], facts: Mapping[str, Mapping[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Facet counts over these passages: for each facet, (value, passages) most frequent first."""
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for pid in ids:
        for name, key in FACETS.items():
            for value in set(_values(facts[pid], key)):
                counters[name][value] += 1
    result = {}
    for name, counter in counters.items():
        if name == "year":
            pairs = sorted(counter.items())
        elif name == "tag":
            pairs = sorted(counter.items())
        else:
            pairs = sorted(counter.items(), key=lambda pair: (-pair[1], fold(pair[0])))
        result[name] = pairs if name in _UNLIMITED else pairs[:FACET_LIMIT]
    return result


def page_of(items: Sequence[Any], page: int, per_page: int) -> list[Any]:
    """Items of page `page` (1-based)."""
    start = (max(page, 1) - 1) * per_page
    return list(items[start : start + per_page])


def group_by_document(ids: Sequence[str], document_of: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(document id, its passage ids in rank order), documents ordered by their best passage."""
    groups: dict[str, list[str]] = {}
    for pid in ids:
        groups.setdefault(document_of[pid], []).append(pid)
    return list(groups.items())


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))
