"""Plain text, Markdown and speaker-labelled transcripts ("00:12:03 Prénom Nom" then the turn)."""

from __future__ import annotations

import html
import re

from pipelines.errors import UnreadableDocument
from pipelines.text import normalize
from pipelines.types import Block

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# "00:12:03 Prénom Nom" alone on its line, the turn on the next lines.
_TURN = re.compile(r"^\[?(\d{1,2}):(\d{2}):(\d{2})\]?\s+(\S.{0,80}?)\s*:?\s*$")
# "[00:12:03] Nom : texte" on one line.
_TIMED_LINE = re.compile(r"^\[(\d{1,2}):(\d{2}):(\d{2})\]\s+([^:\n]{2,60}?)\s*:\s+(\S.*)$")
# "NOM Prénom : texte": a surname in capitals, a first name, a colon.
_NAMED_LINE = re.compile(
    r"^([A-ZÀ-ÖØ-Þ]{2,}(?:[-' ][A-ZÀ-ÖØ-Þ]{2,})*\s+[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?)\s*:\s+(\S.*)$"
)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE)
# Markdown markup that is not text: images, link targets, emphasis, hard breaks, table rulers.
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_TABLE_RULER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE)
_HARD_BREAK = re.compile(r"\\$", re.MULTILINE)


def decode(data: bytes) -> str:
    """Decode bytes in the first of the common French encodings that fits."""
    if b"\x00" in data[:4096]:
        raise UnreadableDocument("binary content that is not a supported document type")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("text in an unknown encoding")  # pragma: no cover - latin-1 decodes anything


def is_transcript(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if sum(1 for line in lines if _TURN.match(line) or _TIMED_LINE.match(line)) >= 2:
        return True
    named = [m.group(1) for m in map(_NAMED_LINE.match, lines) if m]
    return len(named) >= 3 and len(set(named)) >= 2


def read_transcript(text: str) -> list[Block]:
    """One block per speaker turn, with its start and (the next turn's start as) end time when known."""
    turns: list[tuple[float | None, str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        timed, heading, named = _TIMED_LINE.match(line), _TURN.match(line), _NAMED_LINE.match(line)
        if timed:
            h, m, s, speaker, body = timed.groups()
            turns.append((int(h) * 3600 + int(m) * 60 + int(s), speaker.strip(), [body]))
        elif heading:
            h, m, s, speaker = heading.groups()
            turns.append((int(h) * 3600 + int(m) * 60 + int(s), speaker.strip(), []))
        elif named:
            turns.append((None, named.group(1).strip(), [named.group(2)]))
        elif line and turns:
            turns[-1][2].append(line)
    blocks = []
    for i, (start, speaker, lines) in enumerate(turns):
        body = normalize(" ".join(lines))
        if not body:
            continue
        end = turns[i + 1][0] if i + 1 < len(turns) else None
        start_s = float(start) if start is not None else None
        blocks.append(Block(text=body, speaker=speaker, start_s=start_s, end_s=end if start is not None else None))
    return blocks


def read_text(text: str) -> tuple[str | None, list[Block]]:
    """Paragraphs split on blank lines; Markdown headings become heading blocks."""
    title = None
    front = _FRONT_MATTER.match(text)
    if front:
        found = _FRONT_TITLE.search(front.group(0))
        title = found.group(1) if found else None
        text = text[front.end():]
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        chunk = normalize(_plain(chunk))
        if not chunk:
            continue
        heading = _HEADING.match(chunk)
        if heading and "\n" not in chunk:
            blocks.append(Block(text=heading.group(1), heading=True))
            title = title or heading.group(1)
        else:
            lines = [line for line in chunk.splitlines() if line.strip()]
            if all(" | " in line for line in lines):  # a table: one block per row
                blocks.extend(Block(text=line) for line in lines)
            elif lines:
                blocks.append(Block(text=" ".join(lines)))
    return title, blocks


def _plain(markdown: str) -> str:
    """The text of a Markdown chunk: markup and HTML entities removed, table rows as "a | b"."""
    text = html.unescape(_IMAGE.sub("", markdown))
    text = _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", text))
    text = _HARD_BREAK.sub("", _TABLE_RULER.sub("", text))
    lines = [line.strip().strip("|").strip() if line.lstrip().startswith("|") else line for line in text.splitlines()]
    return "\n".join(lines)
