"""Identity of actors across passages and documents. Pure: no I/O.

One actor per real actor: names that differ only by case, accents, spaces, hyphens (also cut across
lines), leading articles or civilities share one key; an acronym shares its long form's actor when a
passage states both ("Association de Promotion de la Fabrique des transitions (APFDT)").
"""

from __future__ import annotations

import re

from pipelines.lexicons import phrase_pattern
from pipelines.text import fold

ROLES = ("elu", "agent", "etat", "socio_economique")
KINDS = ("person", "organisation", "place")

# A council's minutes: people named "M. X" who speak or vote in them are its members.
_MINUTES = phrase_pattern(["conseil municipal", "conseil communautaire", "conseil syndical", "seance", "unanimite",
                          "votes pour", "vote :", "voix pour", "deliberation", "ordre du jour", "madame le maire",
                          "monsieur le maire", "madame la maire", "monsieur le president", "madame la presidente",
                          "abstentions :", "contre :"])
_LINE_BREAK_HYPHEN = re.compile(r"(\w)-\s+(\w)")
_CIVILITY = re.compile(
    r"^(m\.|mm\.|mme|mmes|mlle|mr|monsieur|messieurs|madame|mesdames|mademoiselle|maitre|me|dr|docteur|pr)\s+"
)
_ARTICLE = re.compile(r"^(l'|la |le |les |du |des |de la |de l'|d'|de |au |aux )")
_EDGES = " \t\n,.;:!?()[]«»\"'“”-–—•"


def normalise(name: str) -> str:
    """The comparison form of a name: case, accents, spaces, hyphens, leading articles and civilities folded."""
    text = fold(name).replace("’", "'")
    text = _LINE_BREAK_HYPHEN.sub(r"\1-\2", text)  # "Jean- François" cut across lines
    text = " ".join(text.split()).strip(_EDGES)
    for _ in range(3):  # "Mme la" / "M. le"
        stripped = _ARTICLE.sub("", _CIVILITY.sub("", text))
        if stripped == text:
            break
        text = stripped
    text = re.sub(r"[-‐‑–]", " ", text)
    return " ".join(text.split()).strip(_EDGES)


def actor_key(name: str, kind: str) -> str:
    """The identity of an actor: its kind and normalised name."""
    return f"{kind}:{normalise(name)}"


def is_acronym(text: str) -> bool:
    """"APFDT", "SE60", "MRAe": 2 to 10 letters or digits, mostly capitals, no space."""
    text = text.strip()
    if not 2 <= len(text) <= 10 or " " in text or not text[0].isupper():
        return False
    capitals = sum(c.isupper() for c in text)
    return capitals >= 2 and capitals >= len(text) - 2 and all(c.isalnum() or c in "&-'" for c in text)


def latest_role(seen: list[tuple[str | None, str | None, str | None]]) -> tuple[str | None, str | None]:
    """The role to show from (role, evidence, document date) of each mention: a role seen once is kept;
    when mentions disagree, the most recent document wins (undated documents count as oldest)."""
    best: tuple[str, str | None, str] | None = None
    for role, evidence, date in seen:
        if role and (best is None or (date or "") >= best[2]):
            best = (role, evidence, date or "")
    return (best[0], best[1]) if best else (None, None)


def is_minutes(text: str) -> bool:
    """The passage reads like the minutes of a council ("séance", "délibération", "ordre du jour")."""
    return _MINUTES.search(fold(text)) is not None
