"""Similarity between documents (or a description and documents): meaning plus what they share.

Pure: profiles in, ranked results with their reasons out. The score is the likeness in meaning of the
documents' centroids (weight 0.6) plus the overlap (Jaccard) of their tags (0.2), practices (0.1) and actor
roles (0.05), and 0.05 when their territories are of the same kind (commune, intercommunality...). Meaning is
the cosine of the centroids once the candidates' mean is taken away, mapped to [0, 1]: an embedding model puts
the documents of one corpus in a narrow cone (with e5, the raw cosines of the sample corpus's acte with the
other documents of the corpus and the seeds lay between 0.94 and 0.97), and what they all share says nothing of
which ones are alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from pipelines.text import fold

WEIGHTS = {"meaning": 0.6, "tags": 0.2, "practices": 0.1, "roles": 0.05, "territory_kind": 0.05}
_KINDS = (
    ("intercommunalite", re.compile(r"communaute (de communes|d'agglomeration|urbaine)|agglomeration|metropole|pays ")),
    ("departement", re.compile(r"departement|conseil departemental")),
    ("region", re.compile(r"^region|conseil regional")),
)


_NATIONAL = re.compile(r"^(france|national|europe|outre-mer)\b")
# What precedes a territory's own name: "Communauté de communes du Val de Vérlane" is the Val de Vérlane.
_TERRITORY_PREFIX = re.compile(
    r"^(communaute (de communes|d'agglomeration|urbaine)|agglomeration|metropole|commune|ville|departement|"
    r"conseil (departemental|regional)|region|syndicat mixte|petr)\b( (de la|de l'|du|des|de|d'))? ?"
)


def territory_core(territory: str) -> str:
    """A territory's own name, compared folded: accents, case, hyphens and the body's prefix left out."""
    text = " ".join(fold(territory).replace("’", "'").replace("-", " ").split())
    return _TERRITORY_PREFIX.sub("", text).strip() or text


def same_territory(one: str | None, other: str | None) -> bool:
    """Whether two ways of writing territories name the same one ("Val de Vérlane", "Communauté de communes du
    Val de Vérlane", "VAL-DE-VÉRLANE"): their own names are equal once folded. Not "Loire" and "Haute-Loire", nor
    a commune and the "Pays" named after it."""
    return bool(one and other) and territory_core(one) == territory_core(other)


def territory_kind(territory: str | None) -> str | None:
    """commune, intercommunalite, departement or region; None when unknown or national ("France")."""
    if not territory:
        return None
    folded = fold(territory)
    if _NATIONAL.match(folded):
        return None
    for kind, pattern in _KINDS:
        if pattern.search(folded):
            return kind
    return "commune"


@dataclass(frozen=True)
class Profile:
    key: str  # a document id, or "text" for a description
    vector: np.ndarray
    tags: frozenset[str] = frozenset()
    practices: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    territory: str | None = None


@dataclass(frozen=True)
class Match:
    key: str
    score: float
    meaning: float  # likeness of the centroids in [0, 1]: their cosine, less the candidates' mean, from [-1, 1]
    shared: dict[str, list[str]] = field(default_factory=dict)  # reason kind -> shared values


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else vector * 0.0


def rank(target: Profile, candidates: list[Profile], *, k: int, other_territories: bool = False) -> list[Match]:
    """The k candidates most similar to the target, best first, each with what it shares with it."""
    kind = territory_kind(target.territory)
    centre = np.mean([c.vector for c in candidates], axis=0) if candidates else 0.0
    origin = _unit(target.vector - centre)
    matches = []
    for candidate in candidates:
        if candidate.key == target.key:
            continue
        if other_territories and same_territory(target.territory, candidate.territory):
            continue
        meaning = (1.0 + float(np.dot(origin, _unit(candidate.vector - centre)))) / 2.0
        same_kind = kind is not None and territory_kind(candidate.territory) == kind
        score = (
            WEIGHTS["meaning"] * meaning
            + WEIGHTS["tags"] * _jaccard(target.tags, candidate.tags)
            + WEIGHTS["practices"] * _jaccard(target.practices, candidate.practices)
            + WEIGHTS["roles"] * _jaccard(target.roles, candidate.roles)
            + WEIGHTS["territory_kind"] * same_kind
        )
        shared = {
            "tags": sorted(target.tags & candidate.tags),
            "practices": sorted(target.practices & candidate.practices),
            "roles": sorted(target.roles & candidate.roles),
            "territory_kind": [kind] if same_kind else [],
        }
        matches.append(Match(key=candidate.key, score=round(score, 4), meaning=round(meaning, 4), shared={k_: v for k_, v in shared.items() if v}))
    return sorted(matches, key=lambda m: (-m.score, m.key))[:k]
