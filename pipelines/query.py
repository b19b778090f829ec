"""Read side shared by the CLI and the API: search, documents, actors, counts."""

from __future__ import annotations

from pipelines import catalog
from pipelines.embedding import Embedder
from pipelines.errors import NotFound
from pipelines.index import VectorHit
from pipelines.schemas import ActorsResponse, DocumentDetail, SearchHit, SearchResponse, StatsResponse
from pipelines.store import Store

RRF_K0 = 60  # the usual constant of reciprocal-rank fusion
_FROM_PASSAGE = {"passage_id", "document_id", "page", "page_end", "text", "speaker", "start_s", "embedding_model",
                 "ocr_confidence"}
_FROM_DOCUMENT = {"title", "source_path", "doc_type", "date", "territory"}


def fuse(rankings: list[tuple[list[str], float]], *, k0: int = RRF_K0) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: each ranking adds weight / (k0 + rank) to an id's score."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k0 + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def search(
    store: Store,
    embedder: Embedder,
    query: str,
    *,
    k: int = 10,
    weights: tuple[float, float] = (1.0, 1.0),
) -> SearchResponse:
    """The k best passages for the query, best first: meaning (Chroma) fused with words (FTS5 BM25).

    `weights` are those of the (dense, lexical) rankings in the fusion.
    """
    query = query.strip()
    if not query:
        return SearchResponse(query=query, hits=[])
    depth = max(3 * k, 30)
    dense = [hit.passage_id for hit in store.index.query(embedder.embed_queries([query])[0], k=depth)]
    lexical = catalog.lexical_search(store.conn, query, k=depth)
    found = [
        VectorHit(passage_id=pid, score=round(score, 6))
        for pid, score in fuse([(dense, weights[0]), (lexical, weights[1])])
    ]
    passages = catalog.get_passages(store.conn, [hit.passage_id for hit in found])
    documents = catalog.get_documents(store.conn, sorted({p.document_id for p in passages.values()}))
    hits: list[SearchHit] = []
    for hit in found:
        passage = passages.get(hit.passage_id)
        document = documents.get(passage.document_id) if passage else None
        if passage is None or document is None:  # a vector whose catalog row is gone: never shown
            continue
        hits.append(
            SearchHit(
                **passage.model_dump(include=_FROM_PASSAGE),
                **document.model_dump(include=_FROM_DOCUMENT),
                tags=passage.tags,
                actors=passage.actors,
                score=hit.score,
            )
        )
        if len(hits) == k:
            break
    return SearchResponse(query=query, hits=hits)


def document(store: Store, document_id: str) -> DocumentDetail:
    found = catalog.get_document(store.conn, document_id)
    if found is None:
        raise NotFound(f"no document with id {document_id!r}")
    return found


def actors(
    store: Store, *, kind: str | None = None, role: str | None = None, document: str | None = None
) -> ActorsResponse:
    return ActorsResponse(actors=catalog.list_actors(store.conn, kind=kind, role=role, document=document))


def stats(store: Store) -> StatsResponse:
    return StatsResponse(**catalog.counts(store.conn), vectors=store.index.count())
