"""PDF reading: the only module that imports pdfplumber.

Pages become paragraphs (from the vertical gaps between lines), each with its page number.
Lines that repeat at the top or bottom of most pages (running headers, footers, page numbers)
are dropped, and words cut at line ends are rejoined. Ruled tables become one readable line per
row ("Header : value ; Header : value", or "value | value" when the first row is data, not column names),
placed where the table stands on the page.
"""

from __future__ import annotations

import io
import multiprocessing
import re
from collections import Counter
from pathlib import Path
from statistics import median
from typing import NamedTuple

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from pipelines.errors import UnreadableDocument
from pipelines.readers import ocr
from pipelines.text import fold, normalize
from pipelines.types import Block, PageProblem

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(/|sur)\s*\d+)?$", re.IGNORECASE)
_EDGE_LINES = 2  # lines at the top and bottom of a page that may be running headers/footers
_OCR_BELOW_CHARS = 200  # a page with less text than this and a large image is a scan
_OCR_IMAGE_SHARE = 0.3  # share of the page an image must cover for the page to count as scanned
_OCR_DPI = 250
_WORKER_START_S = 30.0  # allowance for starting the worker process and opening the file
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

# Tables: a ruled grid of at least 2 rows, 2 columns and 3 filled cells; its first row is read as
# the header when the table has 3+ rows and that row is filled with labels that name columns (see _names_columns).
_TABLE_MIN_CELLS = 3
# A cell that is a value, never a column's name: a number (a year alone may name a column), an amount or a
# percentage, a date or an hour, at the start of the cell ("90 €", "+ 6 500 €", "3€ par m²", "23/01/2024",
# "24 avril à 11h00"; not "Au 01/01/2024 en €" nor "Inférieures à 20 000 €"), or a word that stands for none.
_NUMBER = r"[+\-–−]?\s*\d[\d\s.,]*"
_DAY_MONTH = r"(1er|\d{1,2})\s+(janv|fevr|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec)(ier|il|let|embre|obre)?\b"
_VALUE_CELL = re.compile(
    r"(" + _NUMBER + r"|" + _NUMBER + r"([km]?€|%|euros?\b|eur\b|h\b|h\d).*"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b.*|" + _DAY_MONTH + r".*|neant|sans objet|n\.?c\.?|n/a|[-–—])",
    re.IGNORECASE,
)
# Words that are a value in a data row ("Associations de Pierrefonds | GRATUIT"), but name the columns of a
# choice when they stand side by side ("Question | Oui | Non", "Tarif | Gratuit | Payant").
_VALUE_WORD = re.compile(r"(gratuit|payant)(e|s|es)?\b.*|oui|non|x", re.IGNORECASE)
_YEAR = re.compile(r"(19|20)\d\d")
_SENTENCE_CELL = re.compile(r"[a-zà-ÿ]{3}[.!?](\s+[A-ZÀ-Ý]|$)")  # the end of a sentence (not "H.T."): prose, no label
_LABEL_MAX_WORDS = 20
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")  # symbol-font glyphs (check boxes) with no meaning as text
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")  # a glyph its font maps to no character: bullets, mostly


class Line(NamedTuple):
    text: str
    top: float
    bottom: float
    row: bool = False  # a table row: a paragraph of its own

_JUNK_TITLES = re.compile(r"^(microsoft (word|powerpoint)|untitled|sans titre|document\d*$)", re.I)


def read_pdf(
    path: Path, *, page_timeout_s: float, ocr_timeout_s: float, ocr_min_confidence: float
) -> tuple[str | None, list[Block], int, list[PageProblem]]:
    """Return (metadata title, paragraphs with their page, page count, pages left out and why).

    Pages are read one at a time in a worker process that holds the PDF; this process only receives
    each page's lines. A page that takes longer than `page_timeout_s` (OCR adds `ocr_timeout_s`) is
    left out and reported: the worker is stopped and a new one goes on from the next page. A page with
    no usable text layer is read by OCR; one whose OCR confidence stays under `ocr_min_confidence`
    (handwriting, a photo) is left out and reported.
    """
    pages: dict[int, list[list[Line]] | ocr.OcrPage] = {}
    problems: list[PageProblem] = []
    first = 1
    while True:
        finished, title, count, stopped_on = _read_pages(
            path, first, pages, problems,
            page_timeout_s=page_timeout_s, ocr_timeout_s=ocr_timeout_s, ocr_min_confidence=ocr_min_confidence,
        )
        if finished or stopped_on >= count:
            break
        first = stopped_on + 1
    repeated = _running_lines([
        [line for column in content for line in column] for content in pages.values() if isinstance(content, list)
    ])
    blocks: list[Block] = []
    for number in sorted(pages):
        content = pages[number]
        if isinstance(content, ocr.OcrPage):
            blocks.extend(Block(text=t, page=number, ocr_confidence=content.confidence) for t in content.paragraphs)
            continue
        for column in content:  # a paragraph never runs from one column into the next
            kept = [line for line in column if _edge_key(line.text) not in repeated and not _PAGE_NUMBER.match(line.text)]
            blocks.extend(Block(text=paragraph, page=number) for paragraph in _paragraphs(kept))
    return title, blocks, count, problems


def _read_pages(
    path: Path,
    first: int,
    pages: dict,
    problems: list[PageProblem],
    *,
    page_timeout_s: float,
    ocr_timeout_s: float,
    ocr_min_confidence: float,
) -> tuple[bool, str | None, int, int]:
    """Run a worker from page `first`, filling `pages` and `problems`. Return (whether it finished,
    title, page count, the page it was stopped on)."""
    context = multiprocessing.get_context("forkserver")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_worker, args=(sender, str(path), first, ocr_timeout_s, ocr_min_confidence), daemon=True
    )
    worker.start()
    sender.close()
    title, count, current, limit = None, 0, first, page_timeout_s + _WORKER_START_S
    try:
        while True:
            if not receiver.poll(limit):
                if not count:
                    raise UnreadableDocument(f"opening the PDF took longer than {limit:g} s")
                problems.append(PageProblem(page=current, reason=f"reading the page took longer than {page_timeout_s:g} s"))
                return False, title, count, current
            try:
                message = receiver.recv()
            except EOFError:  # the worker died (out of memory, a crash in the parser)
                if not count:
                    raise UnreadableDocument("the PDF reader stopped while opening the file") from None
                problems.append(PageProblem(page=current, reason="the PDF reader stopped on this page"))
                return False, title, count, current
            kind = message[0]
            if kind == "error":
                raise UnreadableDocument(message[1])
            if kind == "open":
                title, count = message[1], message[2]
            elif kind == "begin":
                current, limit = message[1], page_timeout_s
            elif kind == "ocr":
                limit = page_timeout_s + ocr_timeout_s
            elif kind == "page":
                _, number, content, problem = message
                pages[number] = content
                if problem is not None:
                    problems.append(problem)
            elif kind == "done":
                return True, title, count, count
    finally:
        receiver.close()
        if worker.is_alive():
            worker.kill()
        worker.join()


def _worker(conn, path: str, first: int, ocr_timeout_s: float, ocr_min_confidence: float) -> None:
    """Read pages from `first` on and send each page's content (a worker process's target)."""
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for broken files; pdfplumber wraps them
        if _caused_by(exc, PDFPasswordIncorrect):
            conn.send(("error", "the PDF is protected by a password"))
        else:
            conn.send(("error", f"not a readable PDF ({_describe(exc)})"))
        return
    try:
        with pdf:
            conn.send(("open", _metadata_title(pdf.metadata), len(pdf.pages)))
            for number in range(first, len(pdf.pages) + 1):
                conn.send(("begin", number))
                page = pdf.pages[number - 1]
                try:
                    content, problem = _read_page(page, number, conn, ocr_timeout_s, ocr_min_confidence)
                except Exception as exc:  # one damaged page does not lose the others
                    content, problem = [], PageProblem(page=number, reason=f"the page is damaged ({_describe(exc)})")
                finally:
                    page.close()
                conn.send(("page", number, content, problem))
    except Exception as exc:
        conn.send(("error", f"the PDF is damaged ({_describe(exc)})"))
        return
    conn.send(("done",))


def _read_page(page, number: int, conn, ocr_timeout_s: float, ocr_min_confidence: float):
    """(columns of lines or an OCR result, problem or None) for one page."""
    columns = _page_columns(page)
    if not _is_scanned(page, [line for column in columns for line in column]):
        return columns, None
    conn.send(("ocr", number))
    try:
        result = ocr.read_image(_page_png(page), timeout_s=ocr_timeout_s)
    except UnreadableDocument as exc:
        return [], PageProblem(page=number, reason=str(exc))
    if result.words and result.confidence >= ocr_min_confidence:
        return result, None
    reason = f"scanned page not readable by OCR (confidence {result.confidence:.0f}%)"
    return [], PageProblem(page=number, reason=reason)


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
    return (
        len(lines) >= _COLUMN_MIN_LINES
        and sum(len(line.text) for line in lines) / len(lines) >= _COLUMN_MIN_MEAN_CHARS
    )


def _page_lines(page) -> list[Line]:
    """Text lines top to bottom; a table's lines are replaced by one line per row."""
    tables = _tables(page)
    lines = [row for _, rows in tables for row in rows]
    for line in page.extract_text_lines(return_chars=False):
        text = normalize(_UNMAPPED_GLYPH.sub("•", line["text"]))
        if text and not any(_inside(line, box) for box, _ in tables):
            lines.append(Line(text, float(line["top"]), float(line["bottom"])))
    return sorted(lines, key=lambda line: line.top)


def _tables(page) -> list[tuple[tuple[float, float, float, float], list[Line]]]:
    """Ruled tables of the page: (bounding box, one line per row)."""
    if not page.edges:  # no ruling: nothing for the lines strategy to find
        return []
    found = []
    for table in page.find_tables():
        cells = [[_cell(cell) for cell in row] for row in table.extract()]
        if len(cells) < 2 or max(len(row) for row in cells) < 2:
            continue
        if sum(1 for row in cells for cell in row if cell) < _TABLE_MIN_CELLS:
            continue
        rows = [
            Line(text, float(row.bbox[1]), float(row.bbox[3]), row=True)
            for row, text in zip(table.rows, table_rows(cells), strict=True)
            if text
        ]
        found.append((tuple(float(v) for v in table.bbox), rows))
    return found


def _cell(raw: str | None) -> str:
    if not raw:
        return ""
    raw = _UNMAPPED_GLYPH.sub("•", _PRIVATE_USE.sub("", raw))
    lines = [line for line in (normalize(part) for part in raw.split("\n")) if line]
    return join_lines(lines).replace("/ ", "/")  # "Approuvée/" + "Rejetée"


def table_rows(cells: list[list[str]]) -> list[str]:
    """One readable text per row (empty for the header row): "Header : value ; Header : value", or
    "value | value" when the table has no header. A row with one filled cell is a caption."""
    header = _header_index(cells)
    texts = []
    for index, row in enumerate(cells):
        filled = [cell for cell in row if cell]
        if len(filled) == 1 and len(row) > 1:
            texts.append(filled[0])
        elif index == header:
            texts.append("")
        elif header is not None and index > header and len(cells[header]) == len(row):
            texts.append(" ; ".join(f"{name} : {cell}" for name, cell in zip(cells[header], row, strict=True) if cell))
        else:
            texts.append(" | ".join(filled))
    return texts


def _header_index(cells: list[list[str]]) -> int | None:
    """The header row: the first row of several filled cells (captions above it are left aside), when the
    table has 3+ rows and that row fills every cell with labels that name columns."""
    if len(cells) < 3:
        return None
    for index, row in enumerate(cells):
        filled = [cell for cell in row if cell]
        if len(filled) > 1:
            named = len(filled) == len(row) > 1 and _names_columns(row, cells[index + 1 :])
            return index if named else None
    return None


def _names_columns(row: list[str], below: list[list[str]]) -> bool:
    """Whether a filled row is a header rather than the first row of data: none of its cells is a value (an
    amount, a number, a date: "Pétrifontains | 90 €" is data), a sentence, or the value of its column in a
    later row ("Associations de Pierrefonds | GRATUIT", found again below, is data; the whole row repeated,
    as a header is on each part of a table, is no reason). Years alone may name columns ("Exercice | 2023"). A
    single value word is data ("… | GRATUIT"), two or more are the columns of a choice ("Question | Oui | Non")."""
    if sum(bool(_VALUE_WORD.fullmatch(fold(cell).strip())) for cell in row) == 1:
        return False
    for cell in row:
        folded = fold(cell).strip()
        if _VALUE_CELL.fullmatch(folded) and not _YEAR.fullmatch(folded):
            return False
        if _SENTENCE_CELL.search(cell) or len(cell.split()) > _LABEL_MAX_WORDS:
            return False
    return not any(
        other != row and len(other) == len(row) and any(a and a == b for a, b in zip(row, other, strict=True))
        for other in below
    )


def _inside(line: dict, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    middle = (float(line["top"]) + float(line["bottom"])) / 2
    overlap = min(float(line["x1"]), x1) - max(float(line["x0"]), x0)
    return top <= middle <= bottom and overlap > 0.5 * (float(line["x1"]) - float(line["x0"]))


def _is_scanned(page, lines: list[Line]) -> bool:
    """No usable text layer: little text over a large image, or a scan with another tool's OCR layer."""
    area = float(page.width * page.height) or 1.0
    largest = max(
        ((float(i["x1"]) - float(i["x0"])) * (float(i["bottom"]) - float(i["top"])) / area for i in page.images),
        default=0.0,
    )
    if sum(len(line.text) for line in lines) < _OCR_BELOW_CHARS:
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


def _running_lines(pages: list[list[Line]]) -> set[str]:
    """Lines (digits ignored) found at a page edge on most pages of a document of 3+ pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_edge_key(line.text) for line in edges if not line.row})
    return {key for key, n in counts.items() if n >= max(3, 0.6 * len(pages))}


def _paragraphs(lines: list[Line]) -> list[str]:
    """Lines grouped at the larger vertical gaps; a table row is a paragraph of its own."""
    text_lines = [line for line in lines if not line.row]
    gaps = [b.top - a.bottom for a, b in zip(text_lines, text_lines[1:])]
    usual_gap = median(gaps) if gaps else 0.0
    height = median(line.bottom - line.top for line in text_lines) if text_lines else 0.0
    break_gap = max(usual_gap * 1.8, usual_gap + 0.5 * height)
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for line in lines:
        if previous is None or line.row or previous.row or line.top - previous.bottom > break_gap:
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        previous = line
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
