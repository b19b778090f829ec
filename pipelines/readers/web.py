"""Web pages: the main content only (no menus, footers or scripts), extracted by trafilatura."""

from __future__ import annotations

import re

from pipelines.errors import EmptyDocument
from pipelines.readers.plain import read_text
from pipelines.types import Block

_HTML = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)


def is_html(text: str) -> bool:
    return bool(_HTML.search(text[:2000]))


def read_html(text: str) -> tuple[str | None, list[Block]]:
    import trafilatura

    markdown = trafilatura.extract(
        text, output_format="markdown", include_tables=True, include_comments=False, favor_precision=True
    )
    if not markdown:
        raise EmptyDocument("no main text found in the web page")
    metadata = trafilatura.extract_metadata(text)
    heading_title, blocks = read_text(markdown)
    title = (metadata.title if metadata is not None else None) or heading_title
    return title, blocks
