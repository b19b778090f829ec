"""Admin endpoints for staff: tag corrections, actor curation and practice promotion (the same as the
CLI's, through pipelines/curation.py). Behind `Authorization: Bearer $PATRIMOINE_ADMIN_TOKEN`; they answer
404 while no token is set. Domain errors become statuses in search_api.app (unknown actor 404, a curation
that cannot be applied 422)."""

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

from pipelines import catalog, curation
from pipelines.schemas import (
    ActorCurationResult,
    ActorMerge,
    ActorRename,
    ActorRoleChange,
    CandidateRejection,
    CandidateRejectionResult,
    PracticePromotion,
    PracticePromotionResult,
    TagCorrection,
    TagCorrectionResult,
)
from pipelines.tagging import Taxonomy
from search_api.deps import SettingsDep, StoreDep


def require_admin(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    if settings.admin_token is None:
        raise HTTPException(status_code=404, detail="admin endpoints are off: set PATRIMOINE_ADMIN_TOKEN")
    expected = f"Bearer {settings.admin_token.get_secret_value()}"
    if authorization is None or not secrets.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="a valid admin token is required", headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.put("/passages/{passage_id}/tags", response_model=TagCorrectionResult)
def set_tags(passage_id: str, correction: TagCorrection, store: StoreDep, settings: SettingsDep) -> TagCorrectionResult:
    """Set a passage's labels by hand; kept across re-ingestion and re-tagging, used by the next training."""
    known = [label.id for label in Taxonomy.from_file(Path(settings.models_dir) / "taxonomy.yaml").labels]
    labels = sorted({label.upper() for label in correction.labels})
    unknown = sorted(set(labels) - set(known))
    if unknown:
        raise HTTPException(status_code=422, detail=f"unknown labels: {', '.join(unknown)} (use {', '.join(known)})")
    try:
        previous, _ = catalog.correct_tags(store.conn, passage_id, labels)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=f"no passage {passage_id}") from exc
    return TagCorrectionResult(passage_id=passage_id, labels=labels, previous=previous)


@router.post("/actors/{actor_id}/merge", response_model=ActorCurationResult)
def merge_actor(actor_id: int, body: ActorMerge, store: StoreDep) -> ActorCurationResult:
    """Merge this actor into actor `into` (same kind), which keeps its name and takes this one's mentions
    and names; like `patrimoine actors merge`, kept across re-ingestion."""
    actor = curation.actor_by_id(store, actor_id)
    return curation.curate_actor(store, "merge", actor, into=curation.actor_by_id(store, body.into))


@router.post("/actors/{actor_id}/rename", response_model=ActorCurationResult)
def rename_actor(actor_id: int, body: ActorRename, store: StoreDep) -> ActorCurationResult:
    """Show the actor under a new name; like `patrimoine actors rename`, kept across re-ingestion."""
    return curation.curate_actor(store, "rename", curation.actor_by_id(store, actor_id), value=body.name)


@router.post("/actors/{actor_id}/ignore", response_model=ActorCurationResult)
def ignore_actor(actor_id: int, store: StoreDep) -> ActorCurationResult:
    """Hide a false actor from listings, search hits and documents; like `patrimoine actors ignore`, kept
    across re-ingestion (its names are never extracted again)."""
    return curation.curate_actor(store, "ignore", curation.actor_by_id(store, actor_id))


@router.put("/actors/{actor_id}/role", response_model=ActorCurationResult)
def set_actor_role(actor_id: int, body: ActorRoleChange, store: StoreDep) -> ActorCurationResult:
    """Set the actor's role by hand (elu, agent, etat, socio_economique; 422 otherwise); it wins over the
    role read in the documents; like `patrimoine actors set-role`, kept across re-ingestion."""
    return curation.curate_actor(store, "set-role", curation.actor_by_id(store, actor_id), value=body.role)


@router.post("/practices", response_model=PracticePromotionResult)
def promote_practice(body: PracticePromotion, store: StoreDep, settings: SettingsDep) -> PracticePromotionResult:
    """Add a practice to the staff's taxonomy (or update it) and find it in the stored passages; like
    `patrimoine practices promote`. 422 for a practice of models/practices.yaml."""
    return curation.promote_practice(
        store, settings, name=body.name, definition=body.definition, synonyms=body.synonyms
    )


@router.post("/practices/candidates/reject", response_model=CandidateRejectionResult)
def reject_candidate(body: CandidateRejection, store: StoreDep, restore: bool = False) -> CandidateRejectionResult:
    """Stop listing a candidate practice (`?restore=true`: list it again); like `patrimoine practices reject`,
    kept across re-ingestion. 404 when no stored passage holds a candidate written so."""
    return curation.reject_candidate(store, name=body.name, restore=restore)
