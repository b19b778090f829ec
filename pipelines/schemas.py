"""Public shapes shared by the CLI's --json output and the HTTP API. Fields are added, never renamed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

ActorKind = Literal["person", "organisation", "place"]
Role = Literal["elu", "agent", "etat", "socio_economique"]


class TagPublic(BaseModel):
    id: str = Field(description="F1-F4 (fundamentals) or O1-O4 (charter objectives).")
    score: float = Field(description="Tagger score in [0, 1].")
    evidence: str | None = Field(default=None, description="The sentence of the passage that supports the tag.")
    corrected: bool = Field(default=False, description="The passage's tags were set by staff, not by the tagger.")


class TagCount(BaseModel):
    id: str = Field(description="F1-F4 or O1-O4.")
    passages: int = Field(description="How many passages carry the tag.")


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
        description="Relevance: weighted sum of the standardised dense (meaning) and lexical (words) scores "
        "(z-scores over each ranking's first 100 candidates; may be negative)."
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
    citation: str = Field(
        default="",
        description='How to cite the passage: "Titre, p. 12" (or "p. 12-13"), "Titre, Nom à 00:12:03" in a '
        "transcript, else the title; the same as the `citation` column of the CSV export.",
    )


class FacetValue(BaseModel):
    value: str
    count: int = Field(description="Passages of the filtered candidates that have this value.")


class HitGroup(BaseModel):
    document_id: str
    title: str
    source_path: str
    hits: list[SearchHit] = Field(description="The document's hits, best first.")


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]
    total: int = Field(default=0, description="Hits that pass the filters (documents when grouped), over all pages.")
    page: int = Field(default=1, description="Page number, from 1.")
    per_page: int = Field(default=10, description="Hits per page (documents per page when grouped).")
    facets: dict[str, list[FacetValue]] = Field(
        default_factory=dict,
        description="For each facet (doc_type, year, territory, tag, actor, role, practice, initiative, source), "
        "its values with the number of candidate passages that have them and pass the other facets' filters (the "
        "values of one facet are alternatives: a count says how many hits choosing that value too would add).",
    )
    word_matches: int | None = Field(
        default=None, description="Candidate passages holding the query's words (FTS5); 0 means the hits are only "
        "near in meaning. Null in dense mode.",
    )
    groups: list[HitGroup] | None = Field(
        default=None, description="With group=document: the page's documents, each with its hits; null otherwise."
    )


class IngestFailure(BaseModel):
    path: str
    error: str


class IngestWarning(BaseModel):
    path: str
    page: int | None = None
    reason: str


class IngestReport(BaseModel):
    run_id: str
    deployment: str | None = Field(
        default=None, description="The Prefect deployment that made the run (`patrimoine schedule`), null for a run "
        "of `patrimoine ingest`."
    )
    scheduled: bool = Field(
        default=False, description="True when the deployment's schedule started the run; false for a run started "
        "by hand, including a run of the deployment started from Prefect's UI."
    )
    documents_seen: int = 0
    documents_ingested: int = 0
    documents_unchanged: int = 0
    documents_failed: int = 0
    documents_removed: int = Field(
        default=0, description="Stored documents whose file an ingested folder no longer holds (deleted or moved out "
        "of it), removed from the index and the catalog; one a copy still holds is kept under the copy, not counted."
    )
    passages_indexed: int = 0
    passages_reused: int = Field(
        default=0, description="Passages of documents analysed again whose stored vectors were kept (same text, "
        "same embedding model) instead of being embedded again; they count in passages_indexed too."
    )
    passages_retagged: int = Field(
        default=0, description="Stored passages tagged again because the tagger changed since they were tagged."
    )
    failures: list[IngestFailure] = Field(default_factory=list)
    warnings: list[IngestWarning] = Field(
        default_factory=list, description="Pages left out of documents that were ingested, and why."
    )


class RunPublic(BaseModel):
    """One ingestion run (by hand or by the schedule) as the catalog recorded it."""

    run_id: str
    started_at: str = Field(description="UTC, ISO 8601.")
    finished_at: str | None = Field(description="UTC, ISO 8601; null while the run goes on.")
    status: str = Field(description="`running`, `completed` or `crashed` (the run itself stopped on an error, or "
                        "was killed: the next run of the home marks it so).")
    paths: list[str] = Field(description="The files and folders the run was given.")
    deployment: str | None = Field(description="The Prefect deployment that made the run (`patrimoine "
                                   "schedule`), null for a run of `patrimoine ingest`; known while the run goes on.")
    scheduled: bool = Field(description="True when the deployment's schedule started the run, false when it was "
                            "started by hand (`patrimoine ingest`, or the deployment run from Prefect's UI).")
    report: IngestReport | None = Field(description="What the run did, with each failed file and its reason; null "
                                        "while it runs.")


class RunsResponse(BaseModel):
    total: int = Field(description="Runs recorded in the catalog.")
    limit: int
    offset: int
    runs: list[RunPublic] = Field(description="The most recent first.")


class RetagReport(BaseModel):
    tagger_version: str
    passages_retagged: int = Field(description="Passages tagged again (all but those corrected by staff).")
    passages_changed: int = Field(description="Passages whose labels changed.")
    passages_corrected_kept: int = Field(
        description="Stored passages whose text carries a staff correction: their tags are kept as they are."
    )


class TagCorrection(BaseModel):
    labels: list[str] = Field(description="The passage's labels (F1-F4, O1-O4); an empty list means no label.")


class TagCorrectionResult(BaseModel):
    passage_id: str
    labels: list[str]
    previous: list[str]


class AnalyzeResult(BaseModel):
    id: str | int
    tags: list[TagPublic]
    actors: list[ActorPublic]
    practices: list[PracticePublic]


class ActorDocument(BaseModel):
    document_id: str
    source_path: str


class ActorSummary(ActorPublic):
    actor_id: int | None = Field(default=None, description="The actor's id in the catalog (its page: /acteurs/{actor_id}).")
    role_evidence: str | None = Field(default=None, description="The sentence that shows the role.")
    aliases: list[str]
    mentions: int
    documents: list[ActorDocument]
    tags: list[TagCount] = Field(default_factory=list, description="Tags of the passages that mention the actor.")
    first_seen: str | None = Field(default=None, description="Earliest date of the documents that mention it.")
    last_seen: str | None = Field(default=None, description="Latest date of the documents that mention it.")

    @computed_field(description="How many documents mention it.")
    @property
    def document_count(self) -> int:
        return len(self.documents)


class ActorsResponse(BaseModel):
    actors: list[ActorSummary]
    total: int = Field(default=0, description="Actors that pass the filters, over all pages.")
    limit: int | None = Field(default=None, description="At most this many actors are listed; null: all.")
    offset: int = Field(default=0, description="Actors that pass the filters skipped before the first listed.")


class ActorMentionPublic(BaseModel):
    """One mention of an actor: where it is and the sentence that names it."""

    passage_id: str
    document_id: str
    title: str = Field(description="Title of the document.")
    date: str | None = Field(default=None, description="Date of the document.")
    page: int | None = Field(default=None, description="Page of the passage; null outside paged documents.")
    page_end: int | None = None
    speaker: str | None = Field(default=None, description="Speaker of the turn, in transcripts.")
    start_s: float | None = Field(default=None, description="Start of the turn in seconds, in transcripts.")
    surface: str = Field(description="The name as the passage writes it.")
    role: Role | None = Field(default=None, description="The role this mention shows, if any.")
    sentence: str = Field(description="The sentence of the passage that names the actor (cut around the name).")


class RoleSource(BaseModel):
    """Where an actor's role comes from: staff curation, or the mention whose sentence shows it."""

    set_by: Literal["curation", "document"]
    mention: ActorMentionPublic | None = Field(default=None, description="With `document`: the mention.")


class ActorDetail(ActorSummary):
    role_source: RoleSource | None = Field(default=None, description="Where the role and its evidence come from.")
    mentioned_in: list[ActorMentionPublic] = Field(
        description="Its mentions, oldest document first (undated last), paged by `limit` and `offset`."
    )


class ActorMerge(BaseModel):
    into: int = Field(description="Id of the actor that takes this actor's mentions and names (same kind).")


class ActorRename(BaseModel):
    name: str = Field(min_length=1, description="The name to show.")


class ActorRoleChange(BaseModel):
    role: str = Field(description="elu, agent, etat or socio_economique.")


class ActorCurationResult(BaseModel):
    action: Literal["merge", "rename", "ignore", "set-role"]
    actor_id: int | None = Field(description="The actor as it is now (for a merge, the one merged into).")
    name: str = Field(description="Its name now.")
    kind: ActorKind
    message: str = Field(description="What changed, as `patrimoine actors` prints it.")


class StatsResponse(BaseModel):
    documents: int
    passages: int
    vectors: int
    actors: int
    runs: int
    initiatives: int = 0


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
    tags: list[TagCount] = Field(default_factory=list, description="Tags of the document's passages, with counts.")
    passages: list[PassagePublic]


class SimilarDocument(BaseModel):
    document_id: str
    title: str
    source_path: str
    doc_type: str
    date: str | None = None
    territory: str | None = None
    score: float = Field(description="0.6 x meaning + 0.2 x shared tags + 0.1 x shared practices + 0.05 x shared "
                         "actor roles + 0.05 when the territories are of the same kind (Jaccard overlaps).")
    meaning: float = Field(description="Likeness in meaning, 0 to 1: the cosine of the documents' mean passage vectors, less the "
                           "mean of all candidates (what a whole corpus shares), mapped from [-1, 1].")
    shared: dict[str, list[str]] = Field(
        description="Why, beyond meaning: shared `tags`, `practices`, `roles` and `territory_kind` "
        "(commune, intercommunalite, departement, region)."
    )


class SimilarResponse(BaseModel):
    of: str = Field(description="The document id, or `text` for a pasted description.")
    results: list[SimilarDocument]


class SimilarText(BaseModel):
    text: str = Field(min_length=20, description="A description of an initiative, in French.")
    territory: str | None = Field(default=None, description="Its territory: results from it are left out.")


class InitiativeSummary(BaseModel):
    initiative_id: int
    name: str
    carriers: list[str] = Field(description="Who carries it, as the documents say (\"porté par\", \"animé par\"…).")
    territories: list[str] = Field(description="Territories of the documents that mention it.")
    mentions: int = Field(description="Passages that mention it.")
    documents: list[str] = Field(description="Ids of the documents that mention it.")
    practices: list[str] = Field(description="Practices found in those passages.")
    tags: list[TagCount] = Field(description="Tags of those passages, with counts.")
    passage_ids: list[str]
    territory: str | None = Field(
        default=None,
        description="The place named with it in its passages (the most frequent), else the territory of its "
        "documents (the most frequent); null when neither is known.",
    )


class InitiativesResponse(BaseModel):
    initiatives: list[InitiativeSummary]


class InitiativeDetail(InitiativeSummary):
    passages: list[PassagePublic]


class SimilarInitiative(BaseModel):
    initiative_id: int
    name: str
    territories: list[str]
    score: float
    meaning: float
    shared: dict[str, list[str]]


class SimilarInitiativesResponse(BaseModel):
    of: int
    results: list[SimilarInitiative]


class EvalKindResult(BaseModel):
    questions: int
    ndcg_at_10: float
    recall_at_10: float


class EvalModeResult(BaseModel):
    mode: Literal["hybrid", "dense", "lexical"]
    questions: int
    ndcg_at_10: float = Field(description="Mean nDCG@10 over documents (hits deduplicated by document, binary relevance).")
    recall_at_10: float = Field(description="Mean share of the relevant documents among the first 10 documents.")
    page_hit_at_10: float | None = Field(
        default=None, description="Share of questions with pages whose first 10 passages hold a relevant page."
    )
    questions_with_pages: int = 0
    answer_hit_at_10: float | None = Field(
        default=None, description="Share of questions with an answer whose first 10 passages contain it."
    )
    questions_with_answer: int = 0
    seconds: float = Field(description="Wall-clock time of the mode's queries.")
    by_kind: dict[str, EvalKindResult] = Field(
        default_factory=dict, description="nDCG@10 and recall@10 of each kind of question (fact, theme, keywords...)."
    )


class EvalSetResult(BaseModel):
    name: str
    queries: str = Field(description="Where the questions come from.")
    home: str = Field(description="The PATRIMOINE_HOME searched.")
    questions: int = Field(description="Questions evaluated.")
    questions_skipped: int = Field(description="Questions left out because a relevant document is not in the catalog.")
    missing_documents: list[str] = Field(description="Gold documents not found in the catalog.")
    modes: list[EvalModeResult]


class SearchEvalReport(BaseModel):
    k: int
    sets: list[EvalSetResult]


class PracticeSummary(BaseModel):
    name: str
    definition: str | None = Field(default=None, description="From models/practices.yaml.")
    passages: int = Field(description="Passages where the practice is found.")
    documents: list[str] = Field(description="Ids of the documents where it is found.")
    tags: list[TagCount] = Field(description="Tags of those passages, with counts.")
    staff: bool = Field(default=False, description="Promoted by staff (kept in the catalog), not in models/practices.yaml.")


class PracticesResponse(BaseModel):
    practices: list[PracticeSummary]


class CandidateExample(BaseModel):
    passage_id: str
    document_id: str
    title: str
    page: int | None = None
    sentence: str = Field(description="The sentence of the passage that holds the term.")


class PracticeCandidate(BaseModel):
    """A term of the passages that may be a practice the taxonomy does not list yet."""

    name: str = Field(description="The term as most often written.")
    key: str = Field(description="Its folded lemmas: the forms counted as one.")
    documents: list[str] = Field(description="Ids of the documents where it is found.")
    passages: int = Field(description="Passages where it is found.")
    example: CandidateExample


class PracticeCandidatesResponse(BaseModel):
    min_documents: int = Field(description="Candidates are found in at least this many documents.")
    candidates: list[PracticeCandidate]


class PracticePromotion(BaseModel):
    name: str = Field(min_length=2, description="The practice's name, in French (e.g. a candidate's name).")
    definition: str | None = Field(default=None, description="One French sentence.")
    synonyms: list[str] = Field(default_factory=list, description="Other wordings, matched like the name.")


class CandidateRejection(BaseModel):
    name: str = Field(min_length=2, description="The candidate's name as listed (accents and case ignored).")


class CandidateRejectionResult(BaseModel):
    name: str
    keys: list[str] = Field(description="The candidate term keys rejected (or restored).")
    passages: int = Field(description="Passages where those terms were found.")
    rejected: bool = Field(description="True: no longer listed as a candidate; false: listed again.")
    message: str = Field(description="What changed, as `patrimoine practices reject` prints it.")


class PracticePromotionResult(BaseModel):
    name: str
    definition: str | None = None
    synonyms: list[str]
    passages: int = Field(description="Stored passages where it is now found.")
    documents: list[str] = Field(description="Ids of their documents.")
    message: str = Field(description="What changed, as `patrimoine practices promote` prints it.")
