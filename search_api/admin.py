"""Admin endpoints for staff: tag corrections. Behind `Authorization: Bearer $PATRIMOINE_ADMIN_TOKEN`;
they answer 404 while no token is set."""

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

from pipelines import catalog
from pipelines.schemas import TagCorrection, TagCorrectionResult
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
        previous = catalog.correct_tags(store.conn, passage_id, labels)
    except KeyError as exc:
        raise HTTPException(status_code=404, detail=f"no passage {passage_id}") from exc
    return TagCorrectionResult(passage_id=passage_id, labels=labels, previous=previous)
