"""Pure search discovery steps: filter a ranked pool of passages by their metadata, count facets, page.

No I/O: the facts of each passage (document type, date, territory, source file, tags, actors, roles,
practices) come from the catalog (`catalog.passage_facts`) and are given as plain mappings.
Within one facet, values are alternatives (OR); across facets, all must hold (AND).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from pipelines.text import fold

POOL = 200  # fused candidates the filters and facets work on
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
    "source": "source",
}
_UNLIMITED = {"tag", "doc_type", "role", "year"}


class SearchFilters(BaseModel):
    """Filters of a search; empty lists and None mean no filter."""

    doc_type: list[str] = Field(default_factory=list, description="Document types (any of them).")
    date_from: str | None = Field(default=None, description="Document date on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
    date_to: str | None = Field(default=None, description="Document date on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
    territory: list[str] = Field(default_factory=list, description="Territories (any of them).")
    tag: list[str] = Field(default_factory=list, description="Tags F1-F4, O1-O4 (any of them).")
    actor: list[str] = Field(default_factory=list, description="Actor names (any of them, accents and case ignored).")
    role: list[str] = Field(default_factory=list, description="Roles of a mentioned actor: elu, agent, etat, socio_economique.")
    practice: list[str] = Field(default_factory=list, description="Practices (any of them).")
    source: list[str] = Field(default_factory=list, description="Source file names (any of them).")

    def active(self) -> bool:
        return any(bool(value) for value in self.model_dump().values())


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
        have = _values(facts, key)
        if name == "actor":  # names typed by people: accents and case ignored
            if not {fold(v) for v in have} & {fold(w) for w in wanted}:
                return False
        elif not set(have) & set(wanted):
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
