"""Plain data passed between the pipeline's steps (no I/O, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The labels of the tagger (models/taxonomy.yaml) and the document types the readers give.
TAGS = ("F1", "F2", "F3", "F4", "O1", "O2", "O3", "O4")
DOC_TYPES = ("acte", "proces_verbal", "rapport", "presentation", "transcription", "autre")


@dataclass(frozen=True)
class Block:
    """A run of text as the reader found it: a paragraph of a page, or one speaker turn."""

    text: str
    page: int | None = None
    speaker: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    heading: bool = False
    ocr_confidence: float | None = None  # mean Tesseract confidence (0-100) when the text comes from OCR


@dataclass(frozen=True)
class PageProblem:
    """A page that was left out, and why."""

    page: int
    reason: str


@dataclass
class SourceDocument:
    """A file read into blocks, with what the reader learnt of it."""

    path: Path
    document_id: str
    title: str
    doc_type: str
    blocks: list[Block]
    pages: int | None = None
    problems: list[PageProblem] = field(default_factory=list)
    date: str | None = None  # of the act or meeting, ISO 8601
    territory: str | None = None
    language: str = "und"


@dataclass
class Passage:
    """A searchable unit of a document, about 300 to 1,200 characters."""

    passage_id: str
    document_id: str
    ordinal: int
    text: str
    page: int | None = None
    page_end: int | None = None
    speaker: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class ActorMention:
    name: str
    kind: str  # person | organisation | place
    role: str | None = None  # elu | agent | etat | socio_economique
    evidence: str | None = None
    same_as: str | None = None  # for an acronym, the long form the passage gives with it
    # for a person named by a first name or a surname alone, the full name of the one person of the document who has it
    full_name: str | None = None


@dataclass(frozen=True)
class TagScore:
    id: str
    score: float
    evidence: str | None = None


@dataclass(frozen=True)
class InitiativeMention:
    """A named project or programme, with who carries it, as one passage states it."""

    name: str
    carriers: list[str] = field(default_factory=list)
    evidence: str = ""
    territory: str | None = None  # the place named with it in the passage, when there is one


@dataclass(frozen=True)
class NounPhrase:
    """A candidate practice: a term of the passage ("ateliers de cartographie") and its lemma key."""

    key: str  # folded lemmas, articles dropped: "atelier de cartographie"
    text: str  # as written


@dataclass
class Analysis:
    """What the pipeline understood of one passage."""

    tags: list[TagScore] = field(default_factory=list)
    actors: list[ActorMention] = field(default_factory=list)
    practices: list[str] = field(default_factory=list)
    initiatives: list[InitiativeMention] = field(default_factory=list)
    candidates: list[NounPhrase] = field(default_factory=list)  # terms that may be practices not yet listed
