"""Actors (people, organisations, places) and their roles, with spaCy `fr_core_news_md`.

The only module that imports spacy. `predict(texts)` is pure: it returns mentions and writes nothing.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import spacy

from pipelines.errors import ModelUnavailable
from pipelines.lexicons import load_yaml, phrase_pattern
from pipelines.text import fold, one_line
from pipelines.types import ActorMention

_KINDS = {"PER": "person", "ORG": "organisation", "LOC": "place"}
_MONTHS_AND_DAYS = {
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
    "novembre", "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
}
_URLISH = re.compile(r"https?:|www\.|\.(fr|net|com|org|eu)\b|@|/")
_STRIP = " \t\n,.;:!?()[]«»\"'’“”-–—•"
_HONORIFIC = re.compile(r"^(m\.|mme|mlle|mr|monsieur|madame|mademoiselle|me|dr|pr)\s+", re.IGNORECASE)
# Words that make a "place" an organisation ("Communauté de communes du Val", "Coopérative ...").
_ORGANISATION_WORDS = re.compile(
    r"\b(communaute|commune de|mairie|conseil|coop[ée]rative|association|scop|scic|soci[ée]t[ée]|syndicat|"
    r"chambre|agence|direction|prefecture|federation|reseau|fabrique|entreprise|etat|region|departement)\b"
)
LEXICON_ID = "lexicon"  # entities found by the EntityRuler of models/organisations.yaml
_WINDOW = 12  # tokens around a person's name searched for a role cue


@functools.lru_cache(maxsize=2)
def load_nlp(name: str, organisations: Path | None = None):
    """The spaCy pipeline, with an EntityRuler of known organisations before the statistical NER."""
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelUnavailable(f"spaCy model {name!r} is not installed ({exc})") from exc
    if organisations is not None:
        lexicon = load_yaml(organisations)
        patterns = [{"label": "ORG", "pattern": acronym, "id": LEXICON_ID} for acronym in lexicon.get("acronyms", [])]
        patterns += [
            {"label": "ORG", "pattern": [{"LOWER": t.lower_} for t in nlp.make_doc(phrase)], "id": LEXICON_ID}
            for phrase in lexicon.get("phrases", [])
        ]
        ruler = nlp.add_pipe("entity_ruler", before="ner")
        ruler.add_patterns(patterns)
    return nlp


class RoleCues:
    """Cue phrases of each role, for people (near the name) and organisations (in the name)."""

    def __init__(self, lexicon: dict[str, dict[str, list[str]]]) -> None:
        self._person = {role: phrase_pattern(cues.get("person", [])) for role, cues in lexicon.items()}
        self._organisation = {role: phrase_pattern(cues.get("organisation", [])) for role, cues in lexicon.items()}

    @classmethod
    def from_file(cls, path: Path) -> RoleCues:
        return cls(load_yaml(path))

    def in_name(self, name: str) -> str | None:
        folded = fold(name)
        for role, pattern in self._organisation.items():
            if pattern is not None and pattern.search(folded):
                return role
        return None

    def nearest(self, before: str, after: str) -> str | None:
        """The role whose cue is closest to the name; `before` ends and `after` starts at the name."""
        best: tuple[int, str] | None = None
        for role, pattern in self._person.items():
            if pattern is None:
                continue
            for match in pattern.finditer(fold(after)):
                distance = match.start()
                if best is None or distance < best[0]:
                    best = (distance, role)
            for match in pattern.finditer(fold(before)):
                distance = len(before) - match.end() + 1  # ties go to the apposition after the name
                if best is None or distance < best[0]:
                    best = (distance, role)
        return best[1] if best else None


def clean_name(text: str) -> str | None:
    """The entity's text tidied, or None when it is not a plausible actor name."""
    name = one_line(text).strip(_STRIP)
    name = re.sub(r"(\w)- (\w)", r"\1-\2", name)  # "Jean- François" cut across lines
    name = _HONORIFIC.sub("", name)
    if len(name) < 2 or len(name.split()) > 8 or not name[0].isupper():
        return None
    if _URLISH.search(name.lower()) or fold(name) in _MONTHS_AND_DAYS:
        return None
    letters = [c for c in name if c.isalpha()]
    if not letters or sum(c.isdigit() for c in name) > len(letters):
        return None
    if name.isupper() and (" " in name or len(name) > 6):  # a heading in capitals, not an acronym
        return None
    return name


class ActorExtractor:
    def __init__(self, nlp, cues: RoleCues) -> None:
        self._nlp = nlp
        self._cues = cues

    def predict(self, texts: list[str]) -> list[list[ActorMention]]:
        return [self._mentions(doc) for doc in self._nlp.pipe(texts, batch_size=16)]

    def _mentions(self, doc) -> list[ActorMention]:
        mentions: dict[tuple[str, str], ActorMention] = {}
        for ent in doc.ents:
            kind = _KINDS.get(ent.label_)
            if ent.ent_id_ == LEXICON_ID:
                name = one_line(ent.text)
            else:
                name = clean_name(ent.text) if kind else None
                if name is None or (len(ent) == 1 and ent[0].pos_ not in ("PROPN", "X")):
                    continue  # a single common word in capitals ("Rapporteure", "Délibération")
            if kind == "place" and _ORGANISATION_WORDS.search(fold(name)):
                kind = "organisation"
            sentence = ent.sent
            role = None
            if kind == "organisation":
                role = self._cues.in_name(name)
            elif kind == "person":
                before = doc[max(sentence.start, ent.start - _WINDOW) : ent.start].text
                after = doc[ent.end : min(sentence.end, ent.end + _WINDOW)].text
                role = self._cues.nearest(before, after)
            key = (name, kind)
            if key not in mentions or (role and not mentions[key].role):
                mentions[key] = ActorMention(
                    name=name, kind=kind, role=role, evidence=one_line(sentence.text) if role else None
                )
        return list(mentions.values())
