"""Identity of actors across passages and documents. Pure: no I/O.

One actor per real actor: names that differ only by case, accents, spaces, hyphens (also cut across
lines), leading articles or civilities share one key; an acronym shares its long form's actor when a
passage states both ("Association de Promotion de la Fabrique des transitions (APFDT)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from pipelines.lexicons import phrase_pattern
from pipelines.text import fold
from pipelines.types import ActorMention

ROLES = ("elu", "agent", "etat", "socio_economique")
KINDS = ("person", "organisation", "place")

# A council's minutes: people named "M. X" who speak or vote in them are its members.
_MINUTES = phrase_pattern(["conseil municipal", "conseil communautaire", "conseil syndical", "seance", "unanimite",
                          "votes pour", "vote :", "voix pour", "deliberation", "ordre du jour", "madame le maire",
                          "monsieur le maire", "madame la maire", "monsieur le president", "madame la presidente",
                          "abstentions :", "contre :"])
_LINE_BREAK_HYPHEN = re.compile(r"(\w)-\s+(\w)")
_CIVILITIES = r"(m\.|mm\.|mme|mmes|mlle|mr|monsieur|messieurs|madame|mesdames|mademoiselle|maitre|me|dr|docteur|pr)"
_CIVILITY = re.compile(r"^" + _CIVILITIES + r"\s+")
_ARTICLE = re.compile(r"^(l'|la |le |les |du |des |de la |de l'|d'|de |au |aux )")
_EDGES = " \t\n,.;:!?()[]«»\"'“”-–—•"


def _bare(name: str) -> str:
    """A name folded (case, accents, spaces, lines), without its leading civilities and articles ("M. le")."""
    text = fold(name).replace("’", "'")
    text = _LINE_BREAK_HYPHEN.sub(r"\1-\2", text)  # "Jean- François" cut across lines
    text = " ".join(text.split()).strip(_EDGES)
    for _ in range(3):  # "Mme la" / "M. le"
        stripped = _ARTICLE.sub("", _CIVILITY.sub("", text))
        if stripped == text:
            break
        text = stripped
    return text


def normalise(name: str) -> str:
    """The comparison form of a name: case, accents, spaces, hyphens, leading articles and civilities folded."""
    return " ".join(re.sub(r"[-‐‑–]", " ", _bare(name)).split()).strip(_EDGES)


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


def name_words(name: str) -> tuple[str, ...]:
    """The words of a person's name, folded, civilities and articles left out and compound names kept whole:
    "M. Jean-François DUPONT" -> ("jean-francois", "dupont"), "M. le Maire" -> ("maire",)."""
    words = (re.sub(r"[‐‑–]", "-", word).strip(_EDGES) for word in _bare(name).split())
    return tuple(word for word in words if word)


def _is_surname(name: str, text: str) -> bool:
    """A short name is a surname when written after a civility (in the name or the passage: "M. Martin", "Mme
    DELORME") or in capitals; any other is a first name."""
    letters = [c for c in name if c.isalpha()]
    after_civility = r"(?<!\w)" + _CIVILITIES + r"\s+" + re.escape(fold(name).strip()) + r"\b"
    return (bool(_CIVILITY.match(fold(name))) or (len(letters) > 1 and all(c.isupper() for c in letters))
            or re.search(after_civility, fold(text)) is not None)


def _part_of(short: tuple[str, ...], full: tuple[str, ...], *, surname: bool) -> bool:
    """"delorme" of "camille delorme" (its last words) when `surname`, else "camille" (its first words)."""
    if not 0 < len(short) < len(full):
        return False
    return full[-len(short) :] == short if surname else full[: len(short)] == short


_PARTICLES = {"de", "du", "des", "d'", "le", "la", "van", "von", "da", "di"}
_SPEAKER_ROLES = {"elu", "elue", "maire", "president", "presidente", "conseiller", "conseillere", "intervenant",
                  "intervenante", "participant", "participante", "public", "moderateur", "moderatrice", "animateur",
                  "animatrice", "speaker", "inconnu", "inconnue", "secretaire", "journaliste", "invite", "invitee"}


def speaker_name(label: str) -> str | None:
    """A transcript's speaker label that is a person's full name ("Camille Delorme", "Jean-Noël Schilling"), not
    a role or a number ("Élu principal", "Conseiller d'opposition 1", "Speaker 6")."""
    words = label.strip().split()
    if len(words) < 2 or any(c.isdigit() for c in label) or any(fold(w) in _SPEAKER_ROLES for w in words):
        return None
    if not all(w[:1].isupper() or fold(w) in _PARTICLES for w in words) or not words[0][:1].isupper():
        return None
    return label.strip()


def with_full_names(
    passages: list[list[ActorMention]], texts: list[str], *, speakers: Iterable[str] = ()
) -> list[list[ActorMention]]:
    """The actor mentions of one document's passages (`texts`: the passages' texts), where a person named by a
    first name or a surname alone ("Camille", "M. Delorme") carries the full name of the one person of the document
    named in full with it ("Camille Delorme") as `full_name`. A name after a civility or in capitals is a surname
    ("M. Martin" is not "Martin Lefèvre"), any other a first name. When several people of the document have it,
    it stays as it is (which of them is meant is a guess). A passage that then names one person twice keeps one
    mention (with a role when one has it). `speakers`: the speaker labels of a transcript's passages, whose full
    names are looked at when the text names nobody in full with the name ("Merci Hélène" in a transcript where
    only a label says "Hélène Marchadier"; the text's spelling comes first, a label may spell it otherwise)."""
    people: dict[tuple[str, ...], str] = {}  # the words of each full name -> its first written form
    speaking = {name_words(name): name for name in filter(None, map(speaker_name, speakers))}
    for mentions in passages:
        for mention in mentions:
            words = name_words(mention.name) if mention.kind == "person" else ()
            if len(words) >= 2:
                people.setdefault(words, mention.name)
    result = []
    for mentions, text in zip(passages, texts, strict=True):
        kept: list[ActorMention] = []
        people_at: dict[str, int] = {}  # the key of each person meant -> its mention in `kept`
        for mention in mentions:
            if mention.kind != "person":
                kept.append(mention)
                continue
            short, surname = name_words(mention.name), _is_surname(mention.name, text)
            meant = {full for words, full in people.items() if _part_of(short, words, surname=surname)} or {
                full for words, full in speaking.items() if _part_of(short, words, surname=surname)}
            if len(meant) == 1:
                mention = replace(mention, full_name=meant.pop())
            key = actor_key(mention.full_name or mention.name, "person")
            if key not in people_at:
                people_at[key] = len(kept)
                kept.append(mention)
            elif mention.role and not kept[people_at[key]].role:
                kept[people_at[key]] = replace(kept[people_at[key]], role=mention.role, evidence=mention.evidence)
        result.append(kept)
    return result
