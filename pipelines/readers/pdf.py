"""PDF reading: the only module that imports pdfplumber.

Pages become paragraphs (from the vertical gaps between lines), each with its page number.
Lines that repeat at the top or bottom of most pages (running headers, footers, page numbers)
are dropped, and words cut at line ends are rejoined.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from statistics import median

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from pipelines.errors import UnreadableDocument
from pipelines.readers import ocr
from pipelines.text import normalize
from pipelines.types import Block, PageProblem

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(/|sur)\s*\d+)?$", re.IGNORECASE)
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be running headers/footers
_OCR_BELOW_CHARS = 200  # a page with less text than this and a large image is a scan
_OCR_IMAGE_SHARE = 0.3  # share of the page an image must cover for the page to count as scanned
_OCR_DPI = 250
# A page-sized image under text in fonts that are not embedded subsets ("ABCDEF+Font") is a scan that
# carries another tool's OCR layer, often garbage on handwriting: it is read again by Tesseract.
_SCAN_IMAGE_SHARE = 0.9
_OCR_LAYER_FONT_SHARE = 0.8
_SUBSET_FONT = re.compile(r"^[A-Z]{6}\+")
# Columns: a vertical strip no word crosses, at least this wide (points), between 20% and 80% of the
# width, with prose on both sides (tables keep their rows).
_GUTTER_MIN_WIDTH = 6
_COLUMN_MIN_LINES = 5
_COLUMN_MIN_MEAN_CHARS = 25
_MAX_COLUMNS = 4

Line = tuple[str, float, float]
_JUNK_TITLES = re.compile(r"^(microsoft (word|powerpoint)|untitled|sans titre|document\d*$)", re.I)


def read_pdf(
    path: Path, *, ocr_timeout_s: float, ocr_min_confidence: float
) -> tuple[str | None, list[Block], int, list[PageProblem]]:
    """Return (metadata title, paragraphs with their page, page count, pages left out and why).

    A page with no usable text layer (little text, a large image) is read by OCR; a page whose OCR
    confidence stays under `ocr_min_confidence` (handwriting, a photo) is left out and reported.
    """
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for broken files; pdfplumber wraps them
        if _caused_by(exc, PDFPasswordIncorrect):
            raise UnreadableDocument("the PDF is protected by a password") from exc
        raise UnreadableDocument(f"not a readable PDF ({_describe(exc)})") from exc
    try:
        with pdf:
            title = _metadata_title(pdf.metadata)
            pages, scanned, problems = [], {}, []
            for number, page in enumerate(pdf.pages, start=1):
                columns = _page_columns(page)
                if _is_scanned(page, [line for column in columns for line in column]):
                    columns = []
                    try:
                        result = ocr.read_image(_page_png(page), timeout_s=ocr_timeout_s)
                    except UnreadableDocument as exc:
                        problems.append(PageProblem(page=number, reason=str(exc)))
                    else:
                        if result.words and result.confidence >= ocr_min_confidence:
                            scanned[number] = result
                        else:
                            problems.append(
                                PageProblem(
                                    page=number,
                                    reason=f"scanned page not readable by OCR (confidence {result.confidence:.0f}%)",
                                )
                            )
                page.close()
                pages.append(columns)
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"the PDF is damaged ({_describe(exc)})") from exc
    repeated = _running_lines([[line for column in columns for line in column] for columns in pages])
    blocks: list[Block] = []
    for number, columns in enumerate(pages, start=1):
        if number in scanned:
            result = scanned[number]
            blocks.extend(Block(text=t, page=number, ocr_confidence=result.confidence) for t in result.paragraphs)
            continue
        for column in columns:  # a paragraph never runs from one column into the next
            kept = [line for line in column if _edge_key(line[0]) not in repeated and not _PAGE_NUMBER.match(line[0])]
            blocks.extend(Block(text=paragraph, page=number) for paragraph in _paragraphs(kept))
    return title, blocks, len(pages), problems


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
    if " " not in title and re.search(r"[_\d]", title):  # a scanner's or an export's file name
        return None
    return title


def _page_columns(page, depth: int = 0, lines: list[Line] | None = None) -> list[list[Line]]:
    """The page's lines, column by column in reading order (left to right); each region is read once."""
    gutter = _gutter(page) if depth < _MAX_COLUMNS - 1 else None
    if gutter is not None:
        left = page.crop((page.bbox[0], page.bbox[1], gutter, page.bbox[3]))
        right = page.crop((gutter, page.bbox[1], page.bbox[2], page.bbox[3]))
        left_lines, right_lines = _page_lines(left), _page_lines(right)
        if _is_prose(left_lines) and _is_prose(right_lines):
            return _page_columns(left, depth + 1, left_lines) + _page_columns(right, depth + 1, right_lines)
    return [lines if lines is not None else _page_lines(page)]


def _gutter(page) -> float | None:
    """The x of the widest strip between 20% and 80% of the width that no word crosses."""
    x0, _, x1, _ = page.bbox
    width = int(x1 - x0)
    if width <= 0:
        return None
    covered = [False] * (width + 1)
    words = page.extract_words()
    if len(words) < 2 * _COLUMN_MIN_LINES:
        return None
    for word in words:
        for x in range(max(0, int(word["x0"] - x0)), min(width, int(word["x1"] - x0)) + 1):
            covered[x] = True
    best, start = None, None
    for x in range(width + 1):
        if not covered[x] and start is None:
            start = x
        if (covered[x] or x == width) and start is not None:
            if x - start >= _GUTTER_MIN_WIDTH and 0.2 * width < start and x < 0.8 * width:
                if best is None or x - start > best[1] - best[0]:
                    best = (start, x)
            start = None
    return x0 + (best[0] + best[1]) / 2 if best else None


def _is_prose(lines: list[Line]) -> bool:
    return len(lines) >= _COLUMN_MIN_LINES and sum(len(t) for t, _, _ in lines) / len(lines) >= _COLUMN_MIN_MEAN_CHARS


def _page_lines(page) -> list[Line]:
    lines = []
    for line in page.extract_text_lines(return_chars=False):
        text = normalize(line["text"])
        if text:
            lines.append((text, float(line["top"]), float(line["bottom"])))
    return lines


def _is_scanned(page, lines: list[tuple[str, float, float]]) -> bool:
    """No usable text layer: little text over a large image, or a scan with another tool's OCR layer."""
    area = float(page.width * page.height) or 1.0
    largest = max(
        ((float(i["x1"]) - float(i["x0"])) * (float(i["bottom"]) - float(i["top"])) / area for i in page.images),
        default=0.0,
    )
    if sum(len(text) for text, _, _ in lines) < _OCR_BELOW_CHARS:
        return largest >= _OCR_IMAGE_SHARE
    if largest < _SCAN_IMAGE_SHARE or not page.chars:
        return False
    plain = sum(1 for char in page.chars if not _SUBSET_FONT.match(char.get("fontname", "")))
    return plain >= _OCR_LAYER_FONT_SHARE * len(page.chars)


def _page_png(page) -> bytes:
    buffer = io.BytesIO()
    page.to_image(resolution=_OCR_DPI).original.convert("L").save(buffer, format="PNG")
    return buffer.getvalue()


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


# After a line-end hyphen, these words keep it: "seraient-ils", "celle-ci", "elle-même".
_HYPHENATED_WORDS = re.compile(r"^(t-)?(il|ils|elle|elles|on|je|tu|nous|vous|ce|ci|là|même|mêmes|le|la|les|y|en)\b")


def join_lines(lines: list[str]) -> str:
    """Join the lines of a paragraph, rejoining words cut by a hyphen at a line end."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out.endswith("-") and line[:1].islower() and not _HYPHENATED_WORDS.match(line):
            out = out[:-1] + line  # "cons-" + "truction"
        elif out.endswith("-"):
            out = out + line  # "Jean-" + "François"
        else:
            out = out + " " + line
    return out
