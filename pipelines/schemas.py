"""Public shapes shared by the CLI's --json output and the HTTP API. Fields are added, never renamed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ActorKind = Literal["person", "organisation", "place"]
Role = Literal["elu", "agent", "etat", "socio_economique"]


class TagPublic(BaseModel):
    id: str = Field(description="F1-F4 (fundamentals) or O1-O4 (charter objectives).")
    score: float = Field(description="Tagger score in [0, 1].")
    evidence: str | None = Field(default=None, description="The sentence of the passage that supports the tag.")


class ActorPublic(BaseModel):
    name: str
    kind: ActorKind
    role: Role | None = None


class PracticePublic(BaseModel):
    name: str


class SearchHit(BaseModel):
    passage_id: str
    document_id: str
    title: str
    source_path: str
    page: int | None = Field(description="Page of the passage (its first page); null outside paged documents.")
    page_end: int | None = Field(default=None, description="Last page when the passage spans pages.")
    text: str
    score: float = Field(
        description="Relevance: weighted reciprocal-rank fusion of the dense (meaning) and lexical (words) ranks."
    )
    tags: list[TagPublic]
    actors: list[ActorPublic]
    speaker: str | None = None
    start_s: float | None = None
    doc_type: str | None = None
    date: str | None = None
    territory: str | None = None
    embedding_model: str | None = None
    ocr_confidence: float | None = Field(
        default=None, description="Tesseract's mean confidence (0-100) when the passage was read by OCR."
    )


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]


class IngestFailure(BaseModel):
    path: str
    error: str


class IngestWarning(BaseModel):
    path: str
    page: int | None = None
    reason: str


class IngestReport(BaseModel):
    run_id: str
    documents_seen: int = 0
    documents_ingested: int = 0
    documents_unchanged: int = 0
    documents_failed: int = 0
    passages_indexed: int = 0
    failures: list[IngestFailure] = Field(default_factory=list)
    warnings: list[IngestWarning] = Field(
        default_factory=list, description="Pages left out of documents that were ingested, and why."
    )


class AnalyzeResult(BaseModel):
    id: str | int
    tags: list[TagPublic]
    actors: list[ActorPublic]
    practices: list[PracticePublic]


class ActorDocument(BaseModel):
    document_id: str
    source_path: str


class ActorSummary(ActorPublic):
    role_evidence: str | None = Field(default=None, description="The sentence that shows the role.")
    aliases: list[str]
    mentions: int
    documents: list[ActorDocument]
    first_seen: str | None = Field(default=None, description="Earliest date of the documents that mention it.")
    last_seen: str | None = Field(default=None, description="Latest date of the documents that mention it.")


class ActorsResponse(BaseModel):
    actors: list[ActorSummary]


class StatsResponse(BaseModel):
    documents: int
    passages: int
    vectors: int
    actors: int
    runs: int


class PassagePublic(BaseModel):
    passage_id: str
    document_id: str
    ordinal: int
    text: str
    page: int | None = None
    page_end: int | None = None
    speaker: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    embedding_model: str
    ocr_confidence: float | None = None
    tags: list[TagPublic] = Field(default_factory=list)
    actors: list[ActorPublic] = Field(default_factory=list)


class DocumentPublic(BaseModel):
    document_id: str
    title: str
    source_path: str
    doc_type: str
    pages: int | None = None
    embedding_model: str
    ingested_at: str
    date: str | None = Field(default=None, description="Date of the act or meeting (ISO 8601), read from the text.")
    territory: str | None = Field(default=None, description="Commune, intercommunality or region it comes from.")
    language: str | None = None


class DocumentDetail(DocumentPublic):
    passages: list[PassagePublic]
