"""PDF reading: the only module that imports pdfplumber.

Pages become paragraphs (from the vertical gaps between lines), each with its page number.
Lines that repeat at the top or bottom of most pages (running headers, footers, page numbers)
are dropped, and words cut at line ends are rejoined.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from statistics import median

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from pipelines.errors import UnreadableDocument
from pipelines.text import normalize
from pipelines.types import Block

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(/|sur)\s*\d+)?$", re.IGNORECASE)
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be running headers/footers
_JUNK_TITLES = re.compile(r"^(microsoft (word|powerpoint)|untitled|sans titre|document\d*$)", re.I)


def read_pdf(path: Path) -> tuple[str | None, list[Block], int]:
    """Return (metadata title, paragraphs with their page, page count)."""
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for broken files; pdfplumber wraps them
        if _caused_by(exc, PDFPasswordIncorrect):
            raise UnreadableDocument("the PDF is protected by a password") from exc
        raise UnreadableDocument(f"not a readable PDF ({_describe(exc)})") from exc
    try:
        with pdf:
            title = _metadata_title(pdf.metadata)
            pages = [_page_lines(page) for page in pdf.pages]
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"the PDF is damaged ({_describe(exc)})") from exc
    repeated = _running_lines(pages)
    blocks: list[Block] = []
    for number, lines in enumerate(pages, start=1):
        kept = [line for line in lines if _edge_key(line[0]) not in repeated and not _PAGE_NUMBER.match(line[0])]
        for paragraph in _paragraphs(kept):
            blocks.append(Block(text=paragraph, page=number))
    return title, blocks, len(pages)


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind) or any(isinstance(arg, kind) for arg in seen.args):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: BaseException) -> str:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    return f"{type(inner).__name__}: {inner}".rstrip(": ")


def _metadata_title(metadata: dict) -> str | None:
    raw = metadata.get("Title") if metadata else None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "ignore")
    title = normalize(str(raw)) if raw else ""
    if len(title) < 4 or _JUNK_TITLES.match(title) or title.lower().endswith((".doc", ".docx", ".pdf")):
        return None
    return title


def _page_lines(page) -> list[tuple[str, float, float]]:
    lines = []
    for line in page.extract_text_lines(return_chars=False):
        text = normalize(line["text"])
        if text:
            lines.append((text, float(line["top"]), float(line["bottom"])))
    page.close()
    return lines


def _edge_key(text: str) -> str:
    return _DIGITS.sub("#", text.casefold())


def _running_lines(pages: list[list[tuple[str, float, float]]]) -> set[str]:
    """Lines (digits ignored) found at a page edge on most pages of a document of 3+ pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_edge_key(text) for text, _, _ in edges})
    return {key for key, n in counts.items() if n >= max(3, 0.6 * len(pages))}


def _paragraphs(lines: list[tuple[str, float, float]]) -> list[str]:
    if not lines:
        return []
    heights = [bottom - top for _, top, bottom in lines]
    gaps = [lines[i][1] - lines[i - 1][2] for i in range(1, len(lines))]
    usual_gap = median(gaps) if gaps else 0.0
    break_gap = max(usual_gap * 1.8, usual_gap + 0.5 * median(heights))
    paragraphs: list[list[str]] = [[lines[0][0]]]
    for i in range(1, len(lines)):
        if gaps[i - 1] > break_gap:
            paragraphs.append([])
        paragraphs[-1].append(lines[i][0])
    return [join_lines(p) for p in paragraphs]


def join_lines(lines: list[str]) -> str:
    """Join the lines of a paragraph, rejoining words cut by a hyphen at a line end."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out.endswith("-") and line[:1].islower():
            out = out[:-1] + line  # "cons-" + "truction"
        elif out.endswith("-"):
            out = out + line  # "Jean-" + "François"
        else:
            out = out + " " + line
    return out
