"""Named initiatives (projects, programmes) and who carries them, found by rules. Pure: texts in,
mentions out.

Three cues: a name in quotes next to a project word or a carrier ("« Plateformes en communs » par la
Coop des communs"); a project word followed by a capitalised name ("le programme Territoires
d'industrie", "le contrat Rance-Frémur"); a name that opens a line and is carried ("PACT2 ... porté par
Ouishare & Colab-Studio"). Carriers follow "porté par", "animé par", "piloté par", "coordonné par",
"mis en œuvre par", "conduit par".

Not initiatives: reported speech in quotes ("Ah, j'ai oublié, ici c'est 30"), titles of articles of statutes
(article 7 « PARTICIPATIONS COMMUNALES »), places and nicknames in quotes (le secteur du « Rocher »),
companies named after their legal form (la SCOP « Les Ateliers du Bocage »), people after a project word
(contrat Mme X), numbers (programme 2024), references (Délibération n° 2024-22), cut fragments ("(P106"),
and the common acronyms listed under `not_initiatives` in models/initiatives.yaml (COVID, GES, TER…).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from pipelines.lexicons import load_yaml, phrase_pattern
from pipelines.text import fold
from pipelines.types import InitiativeMention

_PROJECT_WORDS = (
    "projet|programme|dispositif|démarche|initiative|plateforme|parcours|réseau|plan|contrat|pacte|opération|"
    "chantier|label|appel à projets|atelier|expérimentation|dynamique"
)
_CARRIED = r"(?:porté|portée|portés|portées|animé|animée|animés|piloté|pilotée|pilotés|coordonné|coordonnée|" \
    r"mis en œuvre|mise en œuvre|conduit|conduite|lancé|lancée|initié|initiée)\s+par"
_QUOTED = re.compile(r"[«\"“]\s*([^«»\"“”\n]{3,80}?)\s*[»\"”]")
_NAME_WORD = r"[A-ZÀ-Ý0-9(][\w’'()-]*"
_LINK_WORD = r"(?:de|du|des|d’|d'|la|le|les|l’|l'|en|et|pour|à|au|aux|sur)"
_AFTER_WORD = re.compile(
    r"\b(?:" + _PROJECT_WORDS + r")\s+(" + _NAME_WORD + r"(?:\s+(?:" + _LINK_WORD + r"\s+)*" + _NAME_WORD + r")*)"
)
_CARRIER = re.compile(_CARRIED + r"\s+", re.IGNORECASE)
_BARE_PAR = re.compile(r"^\s*par\s+")
_TOKEN = re.compile(r"[\w’'()-]+|&|[^\w\s]")
_CARRIER_LINKS = {"de", "du", "des", "d’", "d'", "la", "le", "les", "l’", "l'"}
_MAX_LOWER = 2  # lower-case words a name may hold after a link word: "Coop des communs"
_NAMED = (
    r"appel|intitul|baptis|nomm|festival|edition|operation|campagne|podcast|magazine|journal|lettre|"
    r"manifeste|concours|forum|rencontres|journee|collectif|comite de pilotage|convention|partenariat|"
    r"politique|charte|marque"
)
_CAPS_TOKEN = re.compile(r"([A-Z][A-Z0-9]{2,})\s*$")
_LINE_NAME = re.compile(r"^\s*([A-ZÀ-Ý0-9(][^\n\"«“]{1,60}?)\s+(?:-|–|—|\")")
_GENERIC = {"projet", "programme", "plan", "contrat", "le", "la", "les", "un", "une", "ce", "cette"}
_ARTICLES = {"le", "la", "les"}
_NOT_A_NAME_START = {
    "m", "mme", "mr", "mlle", "monsieur", "madame", "deliberation", "article", "annexe", "arrete", "decision",
    "vu", "considerant", "chapitre", "titre", "page",
}
# Words of spoken French that no project name holds: a quote holding one is reported speech.
_SPEECH = re.compile(r"(?<!\w)(?:(?:c'est|je|tu|ah|oh|oui|non|bon|ben|voila|hein|ca)(?!\w)|j')")  # on folded text
# What a quoted name can be right after when it is not a project: a place, a nickname, an article of statutes.
_NOT_PROJECT_BEFORE = re.compile(
    r"(?:secteur|quartier|lieu-dit|lieudit|hameau|rue|salle|parcelle|zone|site|surnomm\w*|dit|dite|"
    r"article\s+\d+\w*|article suivant intitule|partie|rubrique|chapitre|onglet|mention|"
    r"l['’‘]appel\w*(?:\s+\w+ment)?)\s*(?:du|de la|des|de l['’]|de|d['’])?\s*$"
)
_LEGAL_FORMS = {"SCOP", "SCIC", "SAS", "SASU", "SARL", "EURL", "SA", "SEM", "SPL", "GIE", "GAEC", "EARL", "SCI"}
_WINDOW = 80
_CUE_BEFORE = 50  # a quoted name is a project when a project word comes at most this many characters before


def initiative_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(name)).split())


def _carriers(text: str) -> list[str]:
    """Names after "porté par", "animé par"… (or a bare "par" right after the name)."""
    starts = [m.end() for m in _CARRIER.finditer(text)]
    bare = _BARE_PAR.match(text)
    if not starts and bare:
        starts = [bare.end()]
    found = []
    for start in starts:
        found.extend(carrier_names(text[start:]))
    return found


def carrier_names(text: str) -> list[str]:
    """The capitalised names that open `text`, split on "&" and "et": "Ouishare & Colab-Studio. Puis" ->
    ["Ouishare", "Colab-Studio"]; "la Coop des communs PACT2" -> ["Coop des communs"]."""
    names: list[list[str]] = [[]]
    lower = -1  # lower-case words in a row after a link word; -1: none allowed
    for token in _TOKEN.findall(text)[:12]:
        lowered = token.lower()
        if token in ("&",) or lowered == "et":
            if names[-1]:
                names.append([])
            continue
        if not names[-1] and lowered in ("la", "le", "les", "l’", "l'"):
            continue
        if token[:1].isupper() or token[:1].isdigit():
            if names[-1] and token.isupper() and len(token) > 2 and not names[-1][-1].isupper():
                break  # "Coop des communs PACT2": the next name starts
            names[-1].append(token)
            lower = -1
        elif names[-1] and lowered in _CARRIER_LINKS:
            names[-1].append(token)
            lower = 0
        elif names[-1] and 0 <= lower < _MAX_LOWER and token[:1].isalpha():
            names[-1].append(token)
            lower += 1
        else:
            break
    cleaned = []
    for words in names:
        while words and words[-1].lower() in _CARRIER_LINKS:  # "Colab-Studio de" -> "Colab-Studio"
            words.pop()
        if words:
            cleaned.append(" ".join(words).replace("’ ", "’").replace("' ", "'"))
    return cleaned


def _plausible(name: str, *, quoted: bool = False) -> bool:
    """Whether `name` can name an initiative; a quoted title may open with an article ("Le Fil des
    transitions")."""
    words = name.split()
    first = re.sub(r"[^\w]", "", fold(words[0])) if words else ""
    return (
        2 < len(name) <= 80
        and (fold(words[0]) not in _GENERIC or (quoted and first in _ARTICLES and len(words) > 1))
        and first not in _NOT_A_NAME_START
        and any(c.isupper() or c.isdigit() for c in name[:3])
        and not name.endswith(("de", "du", "des", "la", "le", "et"))
        and sum(c.isalpha() for c in name) >= 2
        and name.count("(") == name.count(")")
        and not _SPEECH.search(fold(name))
        and "," not in name
    )


class InitiativeFinder:
    def __init__(self, *, acronyms: list[str] = (), names: list[str] = (), not_initiatives: list[str] = ()) -> None:
        self._acronyms = re.compile(r"\b(" + "|".join(map(re.escape, acronyms)) + r")\b") if acronyms else None
        self._names = phrase_pattern(list(names)) if names else None
        self._canonical = {fold(name): name for name in names}
        self._refused = {initiative_key(name) for name in not_initiatives}

    @classmethod
    def from_file(cls, path: Path) -> InitiativeFinder:
        data = load_yaml(path)
        return cls(
            acronyms=data.get("acronyms", []), names=data.get("names", []),
            not_initiatives=data.get("not_initiatives", []),
        )

    def predict(self, texts: list[str]) -> list[list[InitiativeMention]]:
        return [self._find(text) for text in texts]

    def _find(self, text: str) -> list[InitiativeMention]:
        found: dict[str, InitiativeMention] = {}

        def add(name: str, start: int, end: int, *, quoted: bool = False) -> None:
            name = " ".join(name.split()).strip(" -–—,.;:")
            if not _plausible(name, quoted=quoted) or initiative_key(name) in found or initiative_key(name) in self._refused:
                return
            carriers = _carriers(text[end : end + _WINDOW])
            dot = text.rfind(". ", 0, start)
            sentence_start = max(dot + 2 if dot >= 0 else 0, text.rfind("\n", 0, start) + 1)
            sentence_end = min((i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0), default=len(text))
            found[initiative_key(name)] = InitiativeMention(
                name=name, carriers=carriers, evidence=text[sentence_start : sentence_end + 1].strip()
            )

        for match in _QUOTED.finditer(text):
            before = text[max(0, match.start() - 40) : match.start()]
            if _NOT_PROJECT_BEFORE.search(fold(before)):
                continue
            around = fold(text[max(0, match.start() - _CUE_BEFORE) : match.start()])
            caps = _CAPS_TOKEN.search(before[-20:])
            if caps and caps.group(1) in _LEGAL_FORMS:  # la SCOP « Les Ateliers du Bocage »: a company
                continue
            if caps:  # PACT2 "parcours apprenants…" porté par…: the acronym is the name
                add(caps.group(1), match.start(), match.end())
            elif re.search(r"\b(" + fold(_PROJECT_WORDS) + r")\b|" + _NAMED, around) or _BARE_PAR.match(
                text[match.end() :]
            ):
                add(match.group(1), match.start(), match.end(), quoted=True)
        if self._acronyms is not None:
            for match in self._acronyms.finditer(text):
                add(match.group(1), match.start(), match.end())
        if self._names is not None:
            folded = fold(text)
            for match in self._names.finditer(folded):
                add(self._canonical.get(match.group(0).strip(), text[match.start() : match.end()]), match.start(), match.end())
        for match in _AFTER_WORD.finditer(text):
            add(match.group(1), match.start(1), match.end(1))
        for line_start in [0, *(m.end() for m in re.finditer(r"\n", text))]:
            line = text[line_start : text.find("\n", line_start) if "\n" in text[line_start:] else len(text)]
            head = _LINE_NAME.match(line)
            if head and re.search(_CARRIED, line, re.IGNORECASE):
                add(head.group(1), line_start + head.start(1), line_start + head.end(1))
        return list(found.values())


def with_territories(mentions: list[InitiativeMention], text: str, *, places: list[str]) -> list[InitiativeMention]:
    """Each initiative with the place named with it in the passage: of the `places` (actors of kind place
    found in `text`), the one of its sentence nearest to its name, else the passage's only place."""
    if not places or not mentions:
        return mentions
    folded = fold(text)
    at = {
        place: [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(fold(place)) + r"(?!\w)", folded)]
        for place in places
    }
    distinct = {fold(place): place for place in places if at[place]}
    result = []
    for mention in mentions:
        sentence = fold(mention.evidence)
        start = folded.find(sentence) if sentence else -1
        name_at = max(folded.find(fold(mention.name)), start)
        near = [
            (min(abs(position - name_at) for position in positions), place)
            for place, positions in at.items()
            if start >= 0 and any(start <= position < start + len(sentence) for position in positions)
        ]
        if near:
            territory = min(near)[1]
        else:
            territory = next(iter(distinct.values())) if len(distinct) == 1 else None
        result.append(replace(mention, territory=territory))
    return result
