"""Turn a file into a SourceDocument. The file type comes from the content, not the extension."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterable
from pathlib import Path

from pipelines.errors import EmptyDocument, UnreadableDocument
from pipelines.metadata import extract_metadata
from pipelines.readers.captions import caption_format, read_captions
from pipelines.readers.office import office_format, read_docx, read_odt
from pipelines.readers.plain import decode, is_transcript, read_text, read_transcript
from pipelines.readers.web import is_html, read_html
from pipelines.types import Block, PageProblem, SourceDocument

# Suffixes picked up when a folder is given; a file named explicitly is always tried.
DOCUMENT_SUFFIXES = {
    ".pdf", ".txt", ".md", ".markdown", ".text", ".docx", ".odt", ".html", ".htm", ".vtt", ".srt",
}

_DOC_TYPES = (
    ("acte", re.compile(r"registre des d[ée]lib[ée]rations|^d[ée]lib[ée]ration|arr[êe]t[ée] (municipal|pr[ée]fectoral)", re.I | re.M)),
    ("proces_verbal", re.compile(r"proc[èe]s[- ]verbal|compte[- ]rendu|s[ée]ance du conseil", re.I)),
    ("rapport", re.compile(r"\brapport\b", re.I)),
    ("presentation", re.compile(r"\bpr[ée]sentation\b", re.I)),
)


# A title or opening line that is the meeting itself, when nothing above matched ("Conseil Municipal du 04 juillet
# 2022", "CR du conseil municipal"): not "Rapport … conseil municipal du …", "Ordre du jour du conseil …".
_MINUTES_TITLE = re.compile(
    r"\s*(CR du conseil|conseil (municipal|communautaire|syndical|d[ée]partemental|r[ée]gional) du \d)", re.I
)

# Where a title stops: the roll call or the agenda that follows the meeting's name on the same line ("CR du conseil
# municipal 24 février 2023 Présents : Jean-Pierre, Yves…"). A single word needs its colon ("Présents :",
# "Absente :", "Pouvoirs :"); "Étaient présents", "Secrétaire de séance" and the like need none.
_ATTENDANCE = r"(pr[ée]sent|absent|excus[ée])(e?s?|\(e\)s?|\(es\))"
_TITLE_PARAGRAPHS = 3  # a document whose first paragraphs are all roll call is named after its file
_ATTENDANCE_CUE = (
    r"(?:membres\s+|conseillers\s+)?" + _ATTENDANCE + r"\s*:|(?:[ée]tai(?:en)?t|sont|[ée]tant)\s+" + _ATTENDANCE
    + r"\b|secr[ée]taires?\s+de\s+s[ée]ance\b|nombre\s+de\s+(?:conseillers|membres|d[ée]l[ée]gu[ée]s)\b"
)
_ROLL_CALL = re.compile(r"\b(?:" + _ATTENDANCE_CUE + r"|(?:pouvoirs?|procurations?|ordre\s+du\s+jour)\s*:)", re.I)
# A roll call that a line opens with is no title ("Présents : Jean, Paul"); an agenda or proxies heading is
# ("ORDRE DU JOUR : Conseil municipal du 12 mars 2024").
_OPENS_ROLL_CALL = re.compile(r"\s*(?:" + _ATTENDANCE_CUE + r")", re.IGNORECASE)
# What a roll call is cut from: the meeting's name, or its date ("CR du conseil municipal 24 février 2023"), not
# any words ("Les absents : enquête sur l'absentéisme" is a title).
_MEETING = re.compile(
    r"\b(?:conseil|r[ée]union|s[ée]ance|assembl[ée]e|comit[ée]|commission|bureau|CR|PV|compte[- ]rendu"
    r"|proc[èe]s[- ]verbal)\b|\b(?:19|20)\d\d\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",
    re.IGNORECASE,
)
# ... or a list of people after the meeting's date: two names or more, each after its civility ("Conseil municipal
# du 13 janvier 2022 Madame Florence DEMOUY, Monsieur Gilles PAPIN"; not "réunion avec M. Dupont, Mme Leroy").
_CIVILITY = r"\b(?:M\.|MM\.|Mme|Mmes|Mlle|Madame|Monsieur|Mr)\s+[A-ZÀ-Ý]"
_NAME_LIST = re.compile(_CIVILITY + r"[^,;:]{0,40}[,;]\s*(?:et\s+)?" + _CIVILITY)
_ENDS_WITH_DATE = re.compile(r"(?:\b(?:19|20)\d\d|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4})[\s,:;.\-–—]*$")
# The end of a title's first sentence: after a word of two letters or more ("1. Approbation", "M. Dupont" go on).
_SENTENCE_END = re.compile(r"(?<=[^\W\d_]{2})\. ")


def discover(paths: Iterable[str | Path], *, unreadable: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files named, plus the document files found under folders (not through links to folders, not in hidden
    ones), sorted and without duplicates. A folder that cannot be listed is added to `unreadable` with the reason,
    instead of being skipped without a word."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            children: list[Path] = []

            def refused(error: OSError) -> None:
                if unreadable is not None:
                    unreadable.append((Path(error.filename), f"cannot list the folder: {error.strerror}"))

            for folder, folders, files in os.walk(path, onerror=refused):
                folders[:] = sorted(f for f in folders if not f.startswith("."))
                children += [Path(folder) / name for name in files if not name.startswith(".")]
            for child in sorted(children):
                if child.suffix.lower() in DOCUMENT_SUFFIXES and child.is_file():
                    found[child.resolve()] = None
        else:
            found[path.resolve() if path.exists() else path] = None
    return list(found)


def shown_path(path: str | Path) -> str:
    """A path as text to store and print: bytes of a file name that are not UTF-8 (a name written on another
    system) are shown as \\xe9 escapes, which the catalog and JSON can hold."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _megabytes(size: float) -> str:
    """200.4 MB, not 200 MB against a limit of 200; 0.012 MB for a small limit."""
    megabytes = size / 1e6
    return f"{megabytes:.1f}" if megabytes >= 1 else f"{megabytes:.2g}"


def content_id(data: bytes) -> str:
    """A document is identified by the hash of its content."""
    return hashlib.sha256(data).hexdigest()[:16]


def read_document(
    path: Path,
    *,
    max_bytes: int,
    page_timeout_s: float = 60.0,
    ocr_timeout_s: float = 60.0,
    ocr_min_confidence: float = 55.0,
) -> SourceDocument:
    """Read one file, or raise UnreadableDocument with a reason a staff member understands."""
    if shown_path(path) != str(path):
        raise UnreadableDocument("the file name is not valid UTF-8: rename the file (e.g. with convmv)")
    if not path.exists():
        raise UnreadableDocument("a symbolic link that leads nowhere, or to itself" if path.is_symlink() else "no such file")
    if not path.is_file():
        raise UnreadableDocument("not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise EmptyDocument("the file is empty (0 bytes)")
    if size > max_bytes:
        raise UnreadableDocument(f"the file is {_megabytes(size)} MB, over the limit of {_megabytes(max_bytes)} MB")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise UnreadableDocument("permission denied: the file cannot be read by this user") from None
    document_id = content_id(data)
    pages: int | None = None
    problems: list[PageProblem] = []
    if data[:1024].lstrip().startswith(b"%PDF"):
        from pipelines.readers.pdf import read_pdf  # pdfplumber only when a PDF comes

        title, blocks, pages, problems = read_pdf(
            path, page_timeout_s=page_timeout_s, ocr_timeout_s=ocr_timeout_s, ocr_min_confidence=ocr_min_confidence
        )
    elif office := office_format(data):
        title, blocks = read_docx(data) if office == "docx" else read_odt(data)
    else:
        text = decode(data)
        if captions := caption_format(text):
            title, blocks = None, read_captions(text, captions)
        elif is_html(text):
            title, blocks = read_html(text)
        elif is_transcript(text):
            title, blocks = None, read_transcript(text)
        else:
            title, blocks = read_text(text)
    if not any(block.text.strip() for block in blocks):
        detail = "; ".join(f"page {p.page}: {p.reason}" for p in problems[:3])
        raise EmptyDocument("no text could be read from the document" + (f" ({detail})" if detail else ""))
    title = title_before_roll_call(title or "") or _first_line(blocks) or title_from_file_name(path)
    head = title + "\n" + "\n".join(block.text for block in blocks[:40])[:4000]
    metadata = extract_metadata(head)
    return SourceDocument(
        path=path,
        document_id=document_id,
        title=title,
        doc_type=guess_doc_type(title, blocks),
        blocks=blocks,
        pages=pages,
        problems=problems,
        date=metadata.date,
        territory=metadata.territory,
        language=metadata.language,
    )


def title_from_file_name(path: Path) -> str:
    """The last resort when a document states no title: its file name, made readable."""
    words = re.sub(r"[_\s-]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def title_before_roll_call(line: str) -> str:
    """A title without the roll call or agenda that follows the meeting's name or date on its line; empty when
    the line opens with a roll call."""
    if _OPENS_ROLL_CALL.match(line):
        return ""
    cuts = []
    if (roll_call := _ROLL_CALL.search(line)) and _MEETING.search(line[: roll_call.start()]):
        cuts.append(roll_call.start())
    if (names := _NAME_LIST.search(line)) and _ENDS_WITH_DATE.search(line[: names.start()]):
        cuts.append(names.start())
    return line[: min(cuts, default=len(line))].strip(" \t-–—:;,/(").strip()


def _first_line(blocks: list[Block]) -> str | None:
    """The first sentence of the first paragraph that is not a roll call, within the first few paragraphs."""
    paragraphs = (b for b in blocks if b.speaker is None and b.start_s is None and b.text.strip())
    for block in itertools.islice(paragraphs, _TITLE_PARAGRAPHS):
        line = title_before_roll_call(_SENTENCE_END.split(block.text.strip(), maxsplit=1)[0])
        if line:
            return line[:150]
    return None


def guess_doc_type(title: str, blocks: list[Block]) -> str:
    if any(block.speaker or block.start_s is not None for block in blocks):
        return "transcription"
    head = title + "\n" + "\n".join(block.text for block in blocks[:5])
    for doc_type, pattern in _DOC_TYPES:
        if pattern.search(head):
            return doc_type
    if any(_MINUTES_TITLE.match(line) for line in [title, *(block.text for block in blocks[:3])]):
        return "proces_verbal"  # a line that opens the document, under the commune's name
    return "autre"
