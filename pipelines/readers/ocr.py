"""OCR of page images with Tesseract's French model: the only module that runs tesseract.

The tesseract binary comes from Debian (`tesseract-ocr`, `tesseract-ocr-fra`); `make install` installs
it when it is missing and the user is root.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from pipelines.errors import UnreadableDocument

_MIN_WORD_CONFIDENCE = 30.0  # words Tesseract is less sure of are dropped as noise


@dataclass(frozen=True)
class OcrPage:
    paragraphs: list[str]
    confidence: float  # mean word confidence, 0-100
    words: int


@functools.lru_cache(maxsize=1)
def available() -> str | None:
    """None when Tesseract with French can run, else the reason it cannot."""
    if shutil.which("tesseract") is None:
        return "OCR unavailable: install tesseract-ocr and tesseract-ocr-fra"
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout
    if "fra" not in langs.split():
        return "OCR unavailable: install tesseract-ocr-fra (Tesseract's French model)"
    return None


def read_image(png: bytes, *, timeout_s: float) -> OcrPage:
    """Run Tesseract on one PNG image; paragraphs of words kept with their mean confidence."""
    missing = available()
    if missing:
        raise UnreadableDocument(missing)
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "fra", "--psm", "3", "tsv"],
            input=png,
            capture_output=True,
            timeout=timeout_s,
            check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        raise UnreadableDocument(f"OCR took longer than {timeout_s:.0f} s on a page") from exc
    except subprocess.CalledProcessError as exc:
        raise UnreadableDocument(f"OCR failed: {exc.stderr.decode(errors='ignore').strip()[:200]}") from exc
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"))


def parse_tsv(tsv: str) -> OcrPage:
    paragraphs: dict[tuple[str, str], list[str]] = {}
    confidences: list[float] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        if row.get("level") != "5" or not word:
            continue
        confidence = float(row["conf"])
        confidences.append(confidence)
        if confidence >= _MIN_WORD_CONFIDENCE:
            paragraphs.setdefault((row["block_num"], row["par_num"]), []).append(word)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrPage(
        paragraphs=[" ".join(words) for words in paragraphs.values()],
        confidence=round(mean, 1),
        words=len(confidences),
    )
