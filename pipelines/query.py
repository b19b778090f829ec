"""Read side shared by the CLI and the API: search, documents, actors, counts."""

from __future__ import annotations

from pipelines import catalog, facets
from pipelines.embedding import Embedder
from pipelines.errors import NotFound
from pipelines.schemas import (
    ActorsResponse,
    DocumentDetail,
    FacetValue,
    HitGroup,
    SearchHit,
    SearchResponse,
    StatsResponse,
)
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
    filters: facets.SearchFilters | None = None,
    page: int = 1,
    per_page: int | None = None,
    group: bool = False,
) -> SearchResponse:
    """The best passages for the query, best first: meaning (Chroma) fused with words (FTS5 BM25).

    `weights` are those of the (dense, lexical) rankings in the fusion. A pool of fused candidates
    (facets.POOL) is filtered by `filters`, counted into facets, then paged (`per_page` defaults to k);
    with `group`, pages hold documents, each with its hits.
    """
    query = query.strip()
    per_page = per_page or k
    filters = filters or facets.SearchFilters()
    if not query:
        return SearchResponse(query=query, hits=[], page=page, per_page=per_page)
    head_depth = max(3 * k, 30)
    depth = max(head_depth, facets.POOL, 3 * page * per_page)
    dense = [hit.passage_id for hit in store.index.query(embedder.embed_queries([query])[0], k=depth)]
    lexical = catalog.lexical_search(store.conn, query, k=depth)
    # The head keeps the ranking of the usual depth; deeper candidates follow, for filters and facets.
    ranked = fuse([(dense[:head_depth], weights[0]), (lexical[:head_depth], weights[1])])
    seen = {pid for pid, _ in ranked}
    ranked += [(pid, score) for pid, score in fuse([(dense, weights[0]), (lexical, weights[1])]) if pid not in seen]
    scores = {pid: round(score, 6) for pid, score in ranked}
    facts = catalog.passage_facts(store.conn, [pid for pid, _ in ranked])
    kept = facets.apply([pid for pid, _ in ranked], facts, filters)  # a vector whose catalog row is gone: never shown
    counts = {
        name: [FacetValue(value=value, count=n) for value, n in pairs]
        for name, pairs in facets.count(kept, facts).items()
    }
    if group:
        groups = facets.group_by_document(kept, {pid: facts[pid]["document_id"] for pid in kept})
        shown = facets.page_of(groups, page, per_page)
        ids = [pid for _, pids in shown for pid in pids]
        total = len(groups)
    else:
        ids = facets.page_of(kept, page, per_page)
        total = len(kept)
    hits = {hit.passage_id: hit for hit in _hits(store, ids, scores)}
    response = SearchResponse(
        query=query, hits=[hits[pid] for pid in ids if pid in hits], total=total, page=page, per_page=per_page,
        facets=counts,
    )
    if group:
        response.groups = [
            HitGroup(
                document_id=document_id,
                title=hits[pids[0]].title,
                source_path=hits[pids[0]].source_path,
                hits=[hits[pid] for pid in pids if pid in hits],
            )
            for document_id, pids in shown
            if pids[0] in hits
        ]
    return response


def _hits(store: Store, ids: list[str], scores: dict[str, float]) -> list[SearchHit]:
    passages = catalog.get_passages(store.conn, ids)
    documents = catalog.get_documents(store.conn, sorted({p.document_id for p in passages.values()}))
    hits: list[SearchHit] = []
    for pid in ids:
        passage = passages.get(pid)
        document = documents.get(passage.document_id) if passage else None
        if passage is None or document is None:
            continue
        hits.append(
            SearchHit(
                **passage.model_dump(include=_FROM_PASSAGE),
                **document.model_dump(include=_FROM_DOCUMENT),
                tags=passage.tags,
                actors=passage.actors,
                score=scores.get(pid, 0.0),
            )
        )
    return hits


def document(store: Store, document_id: str) -> DocumentDetail:
    found = catalog.get_document(store.conn, document_id)
    if found is None:
        raise NotFound(f"no document with id {document_id!r}")
    return found


def actors(store: Store) -> ActorsResponse:
    return ActorsResponse(actors=catalog.list_actors(store.conn))


def stats(store: Store) -> StatsResponse:
    return StatsResponse(**catalog.counts(store.conn), vectors=store.index.count())
