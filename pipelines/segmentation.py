"""Blocks → passages of about `min_chars` to `max_chars`, following paragraphs, headings and turns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.text import split_sentences
from pipelines.types import Block, Passage, SourceDocument


# An agenda item opens a section: "Délibération n° 2021-45", "Point 3", "Objet :", "2/ Délibération ...".
_AGENDA = re.compile(
    r"^(d[ée]lib[ée]ration\s+n\s*[°o]|point\s+(n\s*[°o]\s*)?\d+|objet\s*:|\d{1,2}\s*[/)]\s+\w)",
    re.IGNORECASE,
)


def opens_section(block: Block) -> bool:
    return block.heading or bool(_AGENDA.match(block.text))


@dataclass
class _Draft:
    parts: list[str] = field(default_factory=list)
    first: Block | None = None
    last: Block | None = None
    ocr: list[float] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.parts) + max(0, len(self.parts) - 1)

    def add(self, text: str, block: Block) -> None:
        self.parts.append(text)
        self.first = self.first or block
        self.last = block
        if block.ocr_confidence is not None:
            self.ocr.append(block.ocr_confidence)


def segment(document: SourceDocument, *, min_chars: int, max_chars: int) -> list[Passage]:
    drafts: list[_Draft] = []
    current = _Draft()

    def flush() -> None:
        nonlocal current
        if current.parts:
            drafts.append(current)
        current = _Draft()

    for block in document.blocks:
        # Every speaker turn, heading and agenda item starts a new passage.
        if block.speaker is not None or opens_section(block):
            flush()
        for piece in _pieces(block.text, max_chars):
            if current.parts and current.size + 1 + len(piece) > max_chars:
                flush()
            current.add(piece, block)
        if block.heading:
            continue
        if current.size >= max_chars * 0.8:
            flush()
    flush()
    drafts = _merge_short(drafts, min_chars=min_chars, max_chars=max_chars)
    return [_to_passage(document.document_id, i, d) for i, d in enumerate(drafts)]


def _pieces(text: str, max_chars: int) -> list[str]:
    """A paragraph as is, or cut at sentence ends (and at spaces for a runaway sentence)."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    buffer = ""
    for sentence in split_sentences(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if buffer and len(buffer) + 1 + len(sentence) > max_chars:
            pieces.append(buffer)
            buffer = sentence
        else:
            buffer = f"{buffer} {sentence}".strip()
    if buffer:
        pieces.append(buffer)
    return pieces


def _merge_short(drafts: list[_Draft], *, min_chars: int, max_chars: int) -> list[_Draft]:
    """Merge a passage under `min_chars` into the previous one of the same speaker when it fits,
    never across a heading or an agenda item (a short section stays a passage of its own)."""
    merged: list[_Draft] = []
    for draft in drafts:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and (draft.size < min_chars or previous.size < min_chars)
            and previous.size + 1 + draft.size <= max_chars
            and previous.first.speaker == draft.first.speaker
            and not opens_section(draft.first)
        ):
            previous.parts.extend(draft.parts)
            previous.last = draft.last
            previous.ocr.extend(draft.ocr)
        else:
            merged.append(draft)
    return merged


def _to_passage(document_id: str, ordinal: int, draft: _Draft) -> Passage:
    first, last = draft.first, draft.last
    return Passage(
        passage_id=f"{document_id}-{ordinal:04d}",
        document_id=document_id,
        ordinal=ordinal,
        text="\n".join(draft.parts),
        page=first.page,
        page_end=last.page if last.page != first.page else None,
        speaker=first.speaker,
        start_s=first.start_s,
        end_s=last.end_s,
        ocr_confidence=min(draft.ocr) if draft.ocr else None,
    )
