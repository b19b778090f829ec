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
                lines = _page_lines(page)
                if _is_scanned(page, lines):
                    lines = []
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
                pages.append(lines)
    except UnreadableDocument:
        raise
    except Exception as exc:
        raise UnreadableDocument(f"the PDF is damaged ({_describe(exc)})") from exc
    repeated = _running_lines(pages)
    blocks: list[Block] = []
    for number, lines in enumerate(pages, start=1):
        if number in scanned:
            result = scanned[number]
            blocks.extend(Block(text=t, page=number, ocr_confidence=result.confidence) for t in result.paragraphs)
            continue
        kept = [line for line in lines if _edge_key(line[0]) not in repeated and not _PAGE_NUMBER.match(line[0])]
        for paragraph in _paragraphs(kept):
            blocks.append(Block(text=paragraph, page=number))
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


def _page_lines(page) -> list[tuple[str, float, float]]:
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
