"""DOCX (python-docx) and ODT (odfpy) documents: headings, paragraphs and table rows, in order."""

from __future__ import annotations

import io
import zipfile

from pipelines.errors import UnreadableDocument, UnsupportedFileType
from pipelines.text import normalize
from pipelines.types import Block

_ODT_MIME = b"application/vnd.oasis.opendocument.text"


def office_format(data: bytes) -> str | None:
    """'docx', 'odt', or None, from the content of a ZIP archive."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names and archive.read("mimetype").strip() == _ODT_MIME:
                return "odt"
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(f"a damaged ZIP archive ({exc})") from exc
    raise UnsupportedFileType("a ZIP archive that is neither a DOCX nor an ODT document")


def read_docx(data: bytes) -> tuple[str | None, list[Block]]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for broken files
        raise UnreadableDocument(f"not a readable DOCX document ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = normalize(item.text)
            style = (item.style.name if item.style is not None else "").lower()
            if text:
                blocks.append(Block(text=text, heading=style.startswith(("heading", "titre", "title"))))
        elif isinstance(item, Table):
            for row in item.rows:
                cells = list(dict.fromkeys(normalize(cell.text) for cell in row.cells))
                if any(cells):
                    blocks.append(Block(text=" | ".join(c for c in cells if c)))
    title = normalize(document.core_properties.title or "") or None
    return title, blocks


def read_odt(data: bytes) -> tuple[str | None, list[Block]]:
    from odf import dc, teletype
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(data))
    except Exception as exc:
        raise UnreadableDocument(f"not a readable ODT document ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    for element in _walk(document.text):
        if element.qname[1] in ("h", "p"):
            value = normalize(teletype.extractText(element))
            if value:
                blocks.append(Block(text=value, heading=element.qname[1] == "h"))
    titles = document.meta.getElementsByType(dc.Title)
    title = normalize(teletype.extractText(titles[0])) if titles else None
    return title or None, blocks


def _walk(node):
    """Paragraphs and headings in document order (a paragraph inside a list or a table included)."""
    for child in node.childNodes:
        if getattr(child, "qname", None) and child.qname[1] in ("h", "p"):
            yield child
        elif getattr(child, "childNodes", None):
            yield from _walk(child)
