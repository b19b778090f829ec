"""Read side shared by the CLI and the API: search, documents, actors, counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from pipelines import catalog, export, facets
from pipelines.embedding import Embedder
from pipelines.errors import NotFound
from pipelines.schemas import (
    ActorDetail,
    ActorMentionPublic,
    ActorsResponse,
    DocumentDetail,
    FacetValue,
    HitGroup,
    InitiativeDetail,
    InitiativesResponse,
    PracticeCandidatesResponse,
    PracticesResponse,
    RoleSource,
    RunPublic,
    RunsResponse,
    SearchHit,
    SearchResponse,
    SimilarDocument,
    SimilarInitiative,
    SimilarInitiativesResponse,
    SimilarResponse,
    StatsResponse,
)
from pipelines.settings import DEFAULT_SEARCH_WEIGHTS
from pipelines.similar import Profile, rank
from pipelines.store import Store
from pipelines.text import fold, sentence_with

if TYPE_CHECKING:  # the analyzer loads spaCy: only its type is needed here
    from pipelines.analysis import Analyzer

# Fusion: each ranking's scores (BM25, cosine) are standardised over its first FUSION_DEPTH candidates (z-scores),
# then summed with the weights of the settings (by default the embedding model's, `MODEL_SEARCH_WEIGHTS`). The
# family was chosen with USE on 310 questions (own set, PIAF and three held-out sets) over reciprocal-rank fusion
# (k0 1..60 x lexical weight 1..8), min-max and z-score combinations: the only one whose hybrid was above both
# dense and lexical on every set; reciprocal-rank fusion lost to BM25 on two held-out sets (README, Search).
FUSION_DEPTH = 100
_FROM_PASSAGE = {"passage_id", "document_id", "page", "page_end", "text", "speaker", "start_s", "embedding_model",
                 "ocr_confidence"}
_FROM_DOCUMENT = {"title", "source_path", "doc_type", "date", "territory"}
Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "lexical")


@dataclass(frozen=True, kw_only=True)
class Ranking:
    """One ranking to fuse: ids with their scores, best first; its weight; the score of a candidate it did not
    match when there is one (BM25: 0), which fills its first `depth` places when it matched fewer."""

    scored: list[tuple[str, float]]
    weight: float
    unmatched: float | None = None


def standardised(ranking: Ranking, *, depth: int = FUSION_DEPTH) -> tuple[dict[str, float], float]:
    """Each id's score as a z-score over the ranking's first `depth` places (all 0 when the scores are equal),
    and the z-score of its last place there."""
    head = [score for _, score in ranking.scored[:depth]]
    if ranking.unmatched is not None:
        head += [ranking.unmatched] * (depth - len(head))
    if not head:
        return {}, 0.0
    mean = sum(head) / len(head)
    spread = (sum((score - mean) ** 2 for score in head) / len(head)) ** 0.5

    def z(score: float) -> float:
        return (score - mean) / spread if spread else 0.0

    return {item: z(score) for item, score in ranking.scored}, z(min(head))


def fuse(rankings: list[Ranking], *, depth: int = FUSION_DEPTH) -> list[tuple[str, float]]:
    """Weighted sum of standardised scores, best first. A candidate a ranking does not hold among its first
    `depth` counts as that ranking's last place there (no better than what it found), so that deeper candidates,
    kept for filters and facets, do not change the head's order; among those, the unclamped sum breaks ties. A
    single BM25 match stands out of the unmatched passages."""
    parts = [(*standardised(ranking, depth=depth), ranking.weight) for ranking in rankings]
    ids = dict.fromkeys(item for z, _, _ in parts for item in z)
    clamped = {item: sum(weight * max(z.get(item, floor), floor) for z, floor, weight in parts) for item in ids}
    raw = {item: sum(weight * z.get(item, floor) for z, floor, weight in parts) for item in ids}
    return sorted(clamped.items(), key=lambda pair: (-pair[1], -raw[pair[0]]))


def search(
    store: Store,
    embedder: Embedder | None,
    query: str,
    *,
    k: int = 10,
    weights: tuple[float, float] = DEFAULT_SEARCH_WEIGHTS,
    mode: Mode = "hybrid",
    filters: facets.SearchFilters | None = None,
    page: int = 1,
    per_page: int | None = None,
    group: bool = False,
) -> SearchResponse:
    """The best passages for the query, best first: meaning (Chroma) fused with words (FTS5 BM25).

    `weights` are those of the (dense, lexical) rankings in the fusion. `mode` "dense" or "lexical" keeps
    one ranking only (evaluation); the embedder is not used in "lexical" mode. Phrases between double
    quotes must occur in every hit of the lexical and hybrid modes. A pool of fused candidates
    (facets.POOL) is filtered by `filters`, counted into facets, then paged (`per_page` defaults to k);
    with `group`, pages hold documents, each with its hits.
    """
    query = query.strip()
    per_page = per_page or k
    filters = filters or facets.SearchFilters()
    if not query:
        return SearchResponse(query=query, hits=[], page=page, per_page=per_page)
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}")
    depth = max(FUSION_DEPTH, facets.POOL)  # the same pool for every page: totals and facets do not move
    dense: list[tuple[str, float]] = []
    lexical: list[tuple[str, float]] = []
    if mode in ("hybrid", "dense"):
        if embedder is None:
            raise ValueError(f"search mode {mode!r} needs an embedder")
        dense = [(hit.passage_id, hit.score) for hit in store.index.query(embedder.embed_queries([query])[0], k=depth)]
    if mode in ("hybrid", "lexical"):
        lexical = catalog.lexical_scores(store.conn, query, k=depth)
    ranked = fuse([Ranking(scored=dense, weight=weights[0]), Ranking(scored=lexical, weight=weights[1], unmatched=0.0)])
    if mode == "hybrid":  # standardised over the whole dense head, then those without the query's phrases dropped
        with_phrases = set(catalog.with_phrases(store.conn, [pid for pid, _ in dense], query))
        with_phrases.update(pid for pid, _ in lexical)
        ranked = [(pid, score) for pid, score in ranked if pid in with_phrases]
    ranked = ranked[: facets.POOL]  # the union of both rankings holds up to twice as many
    scores = {pid: round(score, 6) for pid, score in ranked}
    facts = catalog.passage_facts(store.conn, [pid for pid, _ in ranked])
    kept = facets.apply([pid for pid, _ in ranked], facts, filters)  # a vector whose catalog row is gone: never shown
    counts = {
        name: [FacetValue(value=value, count=n) for value, n in pairs]
        for name, pairs in facets.disjunctive_count([pid for pid, _ in ranked], facts, filters, kept=kept).items()
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
        facets=counts, word_matches=len(lexical) if mode != "dense" else None,
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
        hit = SearchHit(
            **passage.model_dump(include=_FROM_PASSAGE),
            **document.model_dump(include=_FROM_DOCUMENT),
            tags=passage.tags,
            actors=passage.actors,
            score=scores.get(pid, 0.0),
        )
        hit.citation = export.citation(hit)
        hits.append(hit)
    return hits


def document(store: Store, document_id: str) -> DocumentDetail:
    found = catalog.get_document(store.conn, document_id)
    if found is None:
        raise NotFound(f"no document with id {document_id!r}")
    return found


def actors(
    store: Store, *, kind: str | None = None, role: str | None = None, document: str | None = None,
    name: str | None = None, limit: int | None = None, offset: int = 0,
) -> ActorsResponse:
    """Actors most mentioned first, filtered by kind, role, document (id, path or file name) and `name`
    (held by the name or an alias, accents and case ignored), then paged by `limit` and `offset`."""
    found = catalog.list_actors(store.conn, kind=kind, role=role, document=document)
    if name and name.strip():
        found = [a for a in found if _held_by(name, [a.name, *a.aliases])]
    shown = found[offset : offset + limit if limit is not None else None]
    return ActorsResponse(actors=shown, total=len(found), limit=limit, offset=offset)


def _held_by(wanted: str, names: list[str]) -> bool:
    """Whether one of the names holds `wanted`, accents, case and spacing ignored."""
    folded = fold(" ".join(wanted.split()))
    return any(folded in fold(name) for name in names)


def actor(store: Store, actor_id: int, *, limit: int | None = None, offset: int = 0) -> ActorDetail:
    """An actor with where its role comes from and its mentions (paged by `limit` and `offset`), each with
    its passage, document, page or speaker and time, and the sentence that names it."""
    found = catalog.get_actor(store.conn, actor_id)
    if found is None:
        raise NotFound(f"no actor with id {actor_id}")
    summary, _ = found
    rows = catalog.actor_mention_rows(store.conn, actor_id)
    mentions = [_mention(row) for row in rows[offset : offset + limit if limit is not None else None]]
    return ActorDetail(**summary.model_dump(), role_source=_role_source(store, actor_id, summary, rows),
                       mentioned_in=mentions)


def _mention(row: dict) -> ActorMentionPublic:
    return ActorMentionPublic(**{k: row[k] for k in ActorMentionPublic.model_fields if k != "sentence"},
                              sentence=sentence_with(row["text"], row["surface"]))


def _role_source(store: Store, actor_id: int, summary, rows: list[dict]) -> RoleSource | None:
    """Curation when staff set the role; else the latest mention (as roles are chosen) that shows it."""
    if summary.role is None:
        return None
    row = catalog.actor_row(store.conn, actor_id)
    if row is not None and row["curated_role"]:
        return RoleSource(set_by="curation")
    shown = [r for r in rows if r["role"] == summary.role and r["evidence"] == summary.role_evidence]
    if not shown:
        return None
    latest = sorted(shown, key=lambda r: r["date"] or "")[-1]  # the last of the latest date, as latest_role keeps
    return RoleSource(set_by="document", mention=_mention(latest))


def practices(
    store: Store, *, definitions: dict[str, str] | None = None, document: str | None = None
) -> PracticesResponse:
    """Practices found, most cited first; `definitions` (name -> definition) come from the taxonomy, and
    the staff's practices bring their own; `document` (id, path or file name) keeps its practices only."""
    found = catalog.list_practices(store.conn, document=document)
    staff = {p["name"]: p["definition"] for p in catalog.staff_practices(store.conn)}
    for item in found:
        item.staff = item.name in staff
        item.definition = staff.get(item.name) or (definitions or {}).get(item.name)
    return PracticesResponse(practices=found)


def practice_candidates(store: Store, *, min_documents: int = 2, limit: int | None = None) -> PracticeCandidatesResponse:
    """Terms of the passages that may be practices the taxonomy lacks, found in `min_documents` documents
    or more, most widespread first."""
    return PracticeCandidatesResponse(
        min_documents=min_documents,
        candidates=catalog.practice_candidates(store.conn, min_documents=min_documents, limit=limit),
    )


def stats(store: Store) -> StatsResponse:
    return StatsResponse(**catalog.counts(store.conn), vectors=store.index.count())


def runs(store: Store, *, limit: int = 20, offset: int = 0) -> RunsResponse:
    """The ingestion runs with their reports, the most recent first."""
    return RunsResponse(
        total=catalog.count_runs(store.conn), limit=limit, offset=offset,
        runs=[RunPublic(**run) for run in catalog.list_runs(store.conn, limit=limit, offset=offset)],
    )


def run(store: Store, run_id: str) -> RunPublic:
    found = catalog.get_run(store.conn, run_id)
    if found is None:
        raise NotFound(f"no ingestion run with id {run_id!r}")
    return RunPublic(**found)


def _profiles(store: Store) -> tuple[dict[str, dict], list[Profile]]:
    documents = catalog.document_profiles(store.conn)
    vectors = store.index.document_vectors()
    profiles = [
        Profile(
            key=document_id,
            vector=vectors[document_id],
            tags=frozenset(info["tags"]),
            practices=frozenset(info["practices"]),
            roles=frozenset(info["roles"]),
            territory=info["territory"],
        )
        for document_id, info in documents.items()
        if document_id in vectors
    ]
    return documents, profiles


def _similar(documents: dict[str, dict], target: Profile, profiles: list[Profile], *, k: int,
             other_territories: bool) -> SimilarResponse:
    results = [
        SimilarDocument(
            **{name: documents[m.key][name] for name in ("document_id", "title", "source_path", "doc_type", "date",
                                                         "territory")},
            score=m.score,
            meaning=m.meaning,
            shared=m.shared,
        )
        for m in rank(target, profiles, k=k, other_territories=other_territories)
    ]
    return SimilarResponse(of=target.key, results=results)


def similar_documents(store: Store, document_id: str, *, k: int = 5, other_territories: bool = False) -> SimilarResponse:
    """Documents like this one, by meaning and by what they share."""
    documents, profiles = _profiles(store)
    target = next((p for p in profiles if p.key == document_id), None)
    if target is None:
        raise NotFound(f"no document with id {document_id!r}")
    return _similar(documents, target, profiles, k=k, other_territories=other_territories)


def similar_to_text(
    store: Store, embedder: Embedder, analyzer: Analyzer, text: str, *, territory: str | None = None, k: int = 5
) -> SimilarResponse:
    """Documents like a pasted description, by its meaning and by its tags, practices and actor roles."""
    [analysis] = analyzer.predict([text])
    vector = embedder.embed_passages([text])[0]
    documents, profiles = _profiles(store)
    target = Profile(
        key="text",
        vector=vector,
        tags=frozenset(t.id for t in analysis.tags),
        practices=frozenset(analysis.practices),
        roles=frozenset(a.role for a in analysis.actors if a.role),
        territory=territory,
    )
    return _similar(documents, target, profiles, k=k, other_territories=territory is not None)


def initiatives(store: Store, *, document: str | None = None, territory: str | None = None) -> InitiativesResponse:
    """Initiatives most mentioned first; `document` (id, path or file name) keeps those it mentions,
    `territory` those whose territory (or one of their documents') holds it, accents and case ignored."""
    found = catalog.list_initiatives(store.conn)
    if document is not None:
        ids = set(catalog.document_ids(store.conn, document))
        found = [i for i in found if ids & set(i.documents)]
    if territory and territory.strip():
        found = [i for i in found if _held_by(territory, [i.territory or "", *i.territories])]
    return InitiativesResponse(initiatives=found)


def initiative(store: Store, initiative_id: int) -> InitiativeDetail:
    found = catalog.list_initiatives(store.conn, initiative_id=initiative_id)
    if not found:
        raise NotFound(f"no initiative with id {initiative_id}")
    passages = catalog.get_passages(store.conn, found[0].passage_ids)
    return InitiativeDetail(**found[0].model_dump(), passages=[passages[p] for p in found[0].passage_ids])


def similar_initiatives(store: Store, initiative_id: int, *, k: int = 5, other_territories: bool = False
                        ) -> SimilarInitiativesResponse:
    """Initiatives like this one: by the meaning of their passages and by their tags and practices."""
    summaries = {s.initiative_id: s for s in catalog.list_initiatives(store.conn)}
    if initiative_id not in summaries:
        raise NotFound(f"no initiative with id {initiative_id}")
    vectors = store.index.passage_vectors(sorted({p for s in summaries.values() for p in s.passage_ids}))
    profiles = []
    for summary in summaries.values():
        found = [vectors[p] for p in summary.passage_ids if p in vectors]
        if not found:
            continue
        mean = np.mean(found, axis=0)
        profiles.append(Profile(
            key=str(summary.initiative_id), vector=mean / (np.linalg.norm(mean) or 1.0),
            tags=frozenset(t.id for t in summary.tags), practices=frozenset(summary.practices),
            territory=summary.territory or (summary.territories[0] if summary.territories else None),
        ))
    target = next((p for p in profiles if p.key == str(initiative_id)), None)
    if target is None:
        return SimilarInitiativesResponse(of=initiative_id, results=[])
    results = [
        SimilarInitiative(initiative_id=int(m.key), name=summaries[int(m.key)].name,
                          territories=summaries[int(m.key)].territories, score=m.score, meaning=m.meaning, shared=m.shared)
        for m in rank(target, profiles, k=k, other_territories=other_territories)
    ]
    return SimilarInitiativesResponse(of=initiative_id, results=results)
