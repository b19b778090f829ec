"""Search hits as citations and CSV rows, and export file names, for the CLI and the API. Pure: no I/O."""

from __future__ import annotations

import csv
import io
import re
from pathlib import PurePath

from pipelines.schemas import SearchHit, SearchResponse
from pipelines.text import fold

CSV_COLUMNS = [
    "rank", "score", "citation", "title", "source_file", "page", "page_end", "speaker", "start_s",
    "date", "territory", "doc_type", "tags", "text",
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


def search_csv(response: SearchResponse) -> str:
    """The hits as CSV (a header line, then one line per hit, best first; empty cells for nulls)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(rank, hit) for rank, hit in enumerate(response.hits, start=1))
    return out.getvalue()


def filename(query: str, *, extension: str) -> str:
    """patrimoine-recherche-<the query in ascii words>.<extension>, for a downloaded export."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(query)).strip("-")[:50].rstrip("-")
    return f"patrimoine-recherche-{slug or 'vide'}.{extension}"
