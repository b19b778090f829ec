"""Search hits as citations and CSV rows (one per hit, or one per document when hits are grouped), and export file
names, for the CLI and the API. Pure: no I/O."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import PurePath

from pipelines.schemas import HitGroup, SearchHit, SearchResponse
from pipelines.text import fold

CSV_COLUMNS = [
    "rank", "score", "citation", "title", "source_file", "page", "page_end", "speaker", "start_s",
    "date", "territory", "doc_type", "tags", "text",
]
# Grouped by document: one row per document, as the search page shows it, ranked by its best passage.
DOCUMENT_CSV_COLUMNS = [
    "rank", "best_score", "best_citation", "title", "source_file", "date", "territory", "doc_type", "passages",
    "pages", "tags",
]


def clock(seconds: float | None) -> str:
    """00:12:03 for 723 seconds; empty for None."""
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def citation(hit: SearchHit) -> str:
    """"Titre, p. 12" (or "p. 12-13"), "Titre, Nom à 00:12:03" in a transcript, else the title."""
    if hit.page is not None:
        pages = f"{hit.page}-{hit.page_end}" if hit.page_end and hit.page_end != hit.page else f"{hit.page}"
        return f"{hit.title}, p. {pages}"
    where = " ".join(
        part for part in (hit.speaker, f"à {clock(hit.start_s)}" if hit.start_s is not None else None) if part
    )
    return f"{hit.title}, {where}" if where else hit.title


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value):
    """A text cell a spreadsheet would read as a formula ("- Pour les …", "=SOMME(…)") starts with an apostrophe,
    which spreadsheets show as text and do not display (OWASP's advice against CSV injection)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def csv_row(rank: int, hit: SearchHit) -> list:
    return [rank, hit.score] + [_as_text(value) for value in (
        citation(hit), hit.title, PurePath(hit.source_path).name, hit.page, hit.page_end,
        hit.speaker, hit.start_s, hit.date, hit.territory, hit.doc_type, " ".join(t.id for t in hit.tags), hit.text,
    )]


def document_row(rank: int, group: HitGroup) -> list:
    """A document of grouped hits: its best passage's score and citation, its metadata, how many of its passages
    match, their pages (in page order) and their tags (the most frequent among them first)."""
    best = group.hits[0]
    tags = Counter(tag.id for hit in group.hits for tag in hit.tags)
    return [rank, best.score] + [_as_text(value) for value in (
        citation(best), group.title, PurePath(group.source_path).name, best.date, best.territory, best.doc_type,
        len(group.hits), page_list(group.hits), " ".join(sorted(tags, key=lambda t: (-tags[t], t))),
    )]


def page_list(hits: list[SearchHit]) -> str:
    """"3, 12-13, 20": the pages of the hits, each once, in page order; empty outside paged documents."""
    spans = sorted({(hit.page, hit.page_end or hit.page) for hit in hits if hit.page is not None})
    return ", ".join(f"{first}-{last}" if last != first else f"{first}" for first, last in spans)


def search_csv(response: SearchResponse) -> str:
    """The hits as CSV (a header line, then one line per hit, best first; empty cells for nulls); grouped by
    document, one line per document instead, in the order of the groups."""
    out = io.StringIO()
    writer = csv.writer(out)
    if response.groups is not None:
        writer.writerow(DOCUMENT_CSV_COLUMNS)
        writer.writerows(document_row(rank, group) for rank, group in enumerate(response.groups, start=1))
    else:
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(rank, hit) for rank, hit in enumerate(response.hits, start=1))
    return out.getvalue()


def filename(query: str, *, extension: str) -> str:
    """patrimoine-recherche-<the query in ascii words>.<extension>, for a downloaded export."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(query)).strip("-")[:50].rstrip("-")
    return f"patrimoine-recherche-{slug or 'vide'}.{extension}"
