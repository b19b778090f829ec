"""Actors (people, organisations, places) and their roles, with spaCy `fr_core_news_md`.

The only module that imports spacy. `predict(texts)` is pure: it returns mentions and writes nothing.

The pipeline is spaCy's own, with registered components around its statistical NER. That NER can be
spaCy's fine-tuned on the gold actors of the dev and train splits (`train_ner`, `patrimoine train ner`,
models/ner/): `load_nlp(..., ner=directory)` loads it in place of spaCy's.

- an EntityRuler before `ner`: the public bodies and networks of `models/organisations.yaml` (matched
  without accents, across line breaks, also glued by PDF extraction), and people introduced by a civility
  ("M. GOUPIL", "Madame Sylvie VALENTE LE HIR");
- `patrimoine_names` after `ner`: person names cut across lines or ending in capitals rejoined
  ("Jean- François Caron", "Sylvie Valente Le-\\nHir"), titles and stray tokens trimmed from names, entities
  cut at a line break that ends a heading or a list item, a leading article and a title dropped;
- `patrimoine_bodies` and `patrimoine_places`: organisations and places completed with general French
  administrative knowledge and the geography of `models/places.yaml` (the rules are in
  pipelines/extraction_rules.py: names run over their complements, names after what they are, companies of
  table rows, enumerations of communes, postal codes, regions and departments…);
- `patrimoine_actor_filter`: headings in capitals, month and day names, URL fragments, codes, single common
  nouns, deliberative assemblies, generic categories, plans' and venues' names dropped; places and people
  whose name says they are a body relabelled organisations; one kind per name in a passage;
- `patrimoine_attendance`: the attendance lists of minutes ("Présents :", "Absents excusés", "Pouvoirs",
  "Secrétaire de séance", recorded votes; "Assistaient également" for people who are not members) as the
  span group `doc.spans["attendance"]`;
- `patrimoine_roles`: each actor's role and the sentence that shows it: a person of an attendance list is a
  member (`elu`) unless their own item says otherwise ("M. X, DGS"); else from the dependency parse
  (appositions and titles attached to the name), the nearest cue of `models/roles.yaml`, or speaking in the
  minutes of a council; an organisation's from its name, the words before it, a copula or the list it is in.
"""

from __future__ import annotations

import functools
import json
import random
import re
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Span
from spacy.training import Example
from spacy.util import filter_spans

from pipelines import extraction_rules as rules
from pipelines.actors import is_acronym, is_minutes, normalise
from pipelines.errors import ModelUnavailable
from pipelines.extraction_rules import Found
from pipelines.lexicons import load_yaml, phrase_pattern
from pipelines.role_classifier import EVIDENCE_PREFIX, MentionContext, RoleClassifier, context_of
from pipelines.text import cut_around, fold, one_line
from pipelines.types import ActorMention, NounPhrase

_KINDS = {"PER": "person", "ORG": "organisation", "LOC": "place"}
_MONTHS_AND_DAYS = {
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
    "novembre", "decembre", "janv", "fevr", "avr", "juil", "sept", "oct", "nov", "dec", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
}
_URLISH = re.compile(r"https?:|www\.|\.(fr|net|com|org|eu)\b|@|/")
_STRIP = " \t\n,.;:!?()[]«»\"'’“”-–—•"
_HONORIFIC = re.compile(
    r"^(m\.|mm\.|mme|mmes|mlle|mr|monsieur|messieurs|madame|mesdames|mademoiselle|me|ma[iî]tre|dr|pr)(\s+|(?<=\.)(?=[A-Z]))",
    re.IGNORECASE,
)
_CIVILITIES = ["m.", "mm.", "mme", "mmes", "mlle", "mr", "mr.", "monsieur", "messieurs", "madame", "mesdames", "mademoiselle"]
# Words that make a "place" or a "person" an organisation ("Communauté de communes du Val", "Dinan Agglomération").
_ORGANISATION_WORDS = re.compile(
    r"\b(communaute|commune de|mairie|conseil|coop[ée]rative|association|scop|scic|soci[ée]t[ée]|syndicat|"
    r"chambre|agence|direction|prefecture|federation|reseau|fabrique|entreprise|etat|region|departement|"
    r"agglomeration|metropole|entente|initiative|office|service|services|ministere|institut|universite|"
    r"groupement|etablissement|centre|fondation|banque|mutuelle|sarl|sas|gaec|cfa|ecole|college|lycee)\b"
)
# Never actors (annotation rules): a body's deliberative assemblies, generic categories and plurals.
_NOT_ACTORS = re.compile(
    r"^(conseil municipal|conseil communautaire|conseil syndical|conseil d'administration|assemblee generale|"
    r"assemblee des allies|bureau|commission|comite|epcis?|communaute de communes|communes|territoires?|"
    r"conseils |services de l'etat|representants? de l'etat|habitants|elus|budget|compte|section|pcaet|"
    r"sraddet|sage|scot|plu|plui|ordre du jour|vote|deliberation|rapporteure?|objet|creation|lancement|"
    r"(premiere |deuxieme |seconde |troisieme )?assemblee|mise en place|signature|reunion|seance|"
    r"(present|absent|excuse|represente|suppleant)e?s?|assistai(en)?t|pouvoirs?|procurations?|titulaires?)\b"
)
# Function titles that head a span spaCy took for a name ("Secrétaire général de la préfecture").
_TITLE_WORDS = {
    "maire", "maires", "adjoint", "adjointe", "president", "presidente", "vice-president", "vice-presidente",
    "directeur", "directrice", "secretaire", "responsable", "charge", "chargee", "conseiller", "conseillere",
    "depute", "deputee", "senateur", "senatrice", "prefet", "prefete", "sous-prefet", "sous-prefete",
    "rapporteur", "rapporteure", "technicien", "technicienne", "gerant", "gerante", "chef", "cheffe",
    "animateur", "animatrice", "coordinateur", "coordinatrice", "delegue", "deleguee", "dgs", "ministre",
}
_CONNECTORS = {"de", "du", "des", "la", "le", "l'", "d'", "et", "en", "sur", "sous", "les", "l’", "d’", "&", "-"}
_PARTICLES = {"le", "la", "de", "du", "des", "van", "von", "di", "da", "del", "ben"}
_OF = {"LOWER": {"IN": ["de", "du", "des", "d'", "d’"]}}
_ARTICLE = {"LOWER": {"IN": ["la", "l'", "l’", "le", "les"]}}
_PROPER = {"TEXT": {"REGEX": r"^[A-ZÀ-Þ][a-zà-ÿ][\w’'-]*$"}, "OP": "+"}  # "Vérlane", "Cuise-la-Motte"
_LINK = {"LOWER": {"IN": ["de", "du", "des", "d'", "d’", "sur", "en", "lès", "les", "-", "la", "l'", "l’"]}, "OP": "+"}
# What follows a body's head word: "de la Haute-Saône", "des Lisières de l'Oise", "du Val de Vérlane".
_CAPITALS = {"TEXT": {"REGEX": r"^[A-ZÀ-Þ][A-ZÀ-Þ’'-]*[A-ZÀ-Þ]$"}}  # "PIERREFONDS", "CUISE-LA-MOTTE": one word
_NAME_TAILS = [
    [_OF, _PROPER],
    [_OF, _ARTICLE, _PROPER],
    [_OF, _PROPER, _LINK, _PROPER],
    [_OF, _ARTICLE, _PROPER, _LINK, _PROPER],
]
_CAPITALS_TAIL = [_OF, _CAPITALS]  # "la commune de PIERREFONDS" as minutes write it (not a heading in capitals)
LEXICON_ID = "lexicon"  # entities found by the EntityRuler of models/organisations.yaml
CIVILITY_ID = "civility"  # people found by the civility rule of the EntityRuler
BODY_ID = "body"  # organisations found by the rules of `patrimoine_bodies`
PLACE_ID = "place"  # places found by the rules of `patrimoine_places`
PERSON_ID = "first_name"  # people named by a first name alone, found by `patrimoine_places` (it has the list)
_TRUSTED = {LEXICON_ID, BODY_ID, PLACE_ID, PERSON_ID}  # names taken as found, not cleaned as spaCy's guesses
_WINDOW = 12  # tokens around a person's name searched for a role cue

for _name in ("role", "role_evidence"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


@functools.lru_cache(maxsize=2)
def load_nlp(name: str, organisations: Path | None = None, roles: Path | None = None, places: Path | None = None,
             *, ner: Path | None = None):
    """The spaCy pipeline with the rules of this module (see the module's docstring); `organisations`,
    `roles` and `places` are the lexicons of models/ (each optional); `ner` a directory written by
    `save_ner` whose NER replaces spaCy's."""
    nlp = _spacy_model(name)
    if ner is not None:
        _load_ner(nlp, name, ner)
    patterns = [
        {"label": "PER", "id": CIVILITY_ID, "pattern": [
            {"LOWER": {"IN": _CIVILITIES}},
            {"LOWER": {"IN": ["le", "la", "de", "du"]}, "IS_UPPER": True, "OP": "?"},
            {"IS_UPPER": True, "IS_ALPHA": True, "LENGTH": {">=": 2}, "LOWER": {"NOT_IN": sorted(_TITLE_WORDS)}},
            {"IS_TITLE": True, "LOWER": {"NOT_IN": sorted(_TITLE_WORDS | _PARTICLES)}, "OP": "?"},
        ]},
        {"label": "PER", "id": CIVILITY_ID, "pattern": [
            {"LOWER": {"IN": _CIVILITIES}},
            {"IS_TITLE": True, "LOWER": {"NOT_IN": sorted(_TITLE_WORDS | _PARTICLES)}},
            {"IS_UPPER": True, "IS_ALPHA": True, "LENGTH": {">=": 2}, "OP": "+"},
        ]},
        # the civility glued to the surname in one token: "M.GOSSOT demande"
        {"label": "PER", "id": CIVILITY_ID, "pattern": [{"TEXT": {"REGEX": r"^(M|MM|Mme|Mmes|Mr)\.[A-ZÀ-Þ][A-ZÀ-Þ'’-]+$"}}]},
    ]
    not_actors: list[str] = []
    categories: list[str] = []
    if organisations is not None:
        lexicon = load_yaml(organisations)
        patterns += [
            {"label": "ORG", "pattern": form, "id": LEXICON_ID}
            for acronym in lexicon.get("acronyms", []) for form in _acronym_forms(acronym)
        ]
        patterns += [
            {"label": "ORG", "pattern": _words_across_lines(nlp, phrase, proper=True), "id": LEXICON_ID}
            for phrase in lexicon.get("phrases", [])
        ]
        patterns += [
            {"label": "ORG", "pattern": glued, "id": LEXICON_ID}
            for phrase in lexicon.get("phrases", []) if (glued := _glued(nlp, phrase))
        ]
        for head in lexicon.get("heads", []):
            words = _words_across_lines(nlp, head)
            patterns += [{"label": "ORG", "id": LEXICON_ID, "pattern": [*words, *tail]} for tail in _NAME_TAILS]
            lower_head = [{**words[0], "TEXT": {"REGEX": r"^.[^A-ZÀ-Þ]"}}, *words[1:]]
            patterns.append({"label": "ORG", "id": LEXICON_ID, "pattern": [*lower_head, *_CAPITALS_TAIL]})
        not_actors = [fold(word) for word in lexicon.get("not_actors", [])]
        categories = [fold(word) for word in lexicon.get("categories", [])]
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    nlp.add_pipe("patrimoine_names", after="ner")
    nlp.add_pipe("patrimoine_bodies", after="patrimoine_names", config={"not_actors": not_actors})
    nlp.add_pipe("patrimoine_places", after="patrimoine_bodies",
                 config={"places": str(places) if places else None, "not_actors": not_actors})
    nlp.add_pipe(
        "patrimoine_actor_filter", after="patrimoine_places", config={"not_actors": not_actors, "categories": categories}
    )
    nlp.add_pipe("patrimoine_attendance", after="patrimoine_actor_filter")
    nlp.add_pipe("patrimoine_roles", after="patrimoine_attendance", config={"roles": str(roles) if roles else None})
    return nlp


def _acronym_forms(acronym: str) -> list[str]:
    """An acronym as written, and capitalised when it has four letters or more ("Urssaf", "Ademe"): shorter
    ones capitalised are words ("Ars", "Onf")."""
    if len(acronym) >= 4 and acronym.isupper() and acronym.isalpha():
        return [acronym, acronym.capitalize()]
    return [acronym]


def _spacy_model(name: str):
    try:
        return spacy.load(name)
    except OSError as exc:
        raise ModelUnavailable(f"spaCy model {name!r} is not installed ({exc})") from exc


def _words_across_lines(nlp, phrase: str, *, proper: bool = False) -> list[dict]:
    """A token pattern of the phrase, case- and accent-insensitive ("Etablissement public"), that also
    matches it cut by a line break; `proper`: a one-word name written with a capital keeps it."""
    pattern: list[dict] = []
    words = list(nlp.make_doc(phrase))
    if proper and len(words) == 1 and phrase[0].isupper():  # "État" is a body, "l'état des lieux" is not
        return [{"TEXT": {"IN": sorted({phrase, phrase.upper(), fold(phrase).capitalize(), fold(phrase).upper()})}}]
    for token in words:
        if pattern:
            pattern.append({"IS_SPACE": True, "OP": "?"})
        forms = sorted({token.lower_, fold(token.lower_), token.lower_.replace("'", "’")})
        pattern.append({"LOWER": forms[0]} if len(forms) == 1 else {"LOWER": {"IN": forms}})
    return pattern


def _glued(nlp, phrase: str) -> list[dict] | None:
    """The phrase with its words glued together, as PDF extraction sometimes writes it ("Chambred’agriculture")."""
    glued = "".join(phrase.split())
    if glued == phrase or len(nlp.make_doc(glued)) == len(nlp.make_doc(phrase)):
        return None
    return [{"LOWER": {"IN": sorted({t.lower_, t.lower_.replace("'", "’")})}} for t in nlp.make_doc(glued)]


class RoleCues:
    """Cue phrases of each role, for people (near the name) and organisations (in the name)."""

    def __init__(self, lexicon: dict[str, dict[str, list[str]]]) -> None:
        self._person = {role: phrase_pattern(cues.get("person", [])) for role, cues in lexicon.items()}
        self._organisation = {  # also glued by PDF extraction: "Chambred’agriculture"
            role: phrase_pattern([*cues.get("organisation", []), *("".join(c.split()) for c in cues.get("organisation", []))])
            for role, cues in lexicon.items()
        }

    @classmethod
    def from_file(cls, path: Path) -> RoleCues:
        return cls(load_yaml(path))

    def in_name(self, name: str, *, roles: tuple[str, ...] | None = None) -> str | None:
        """The role of the longest organisation cue in a name or the words before it (among `roles`; on a tie,
        the first role of the lexicon): "services de l'État" is the State's, not a local authority's services."""
        folded = fold(name)
        best: tuple[int, str] | None = None
        for role, pattern in self._organisation.items():
            if pattern is None or (roles is not None and role not in roles):
                continue
            longest = max((len(m.group(0)) for m in pattern.finditer(folded)), default=0)
            if longest and (best is None or longest > best[0]):
                best = (longest, role)
        return best[1] if best else None

    def in_title(self, text: str) -> str | None:
        """The role of the first person cue in a short title ("maire de Saint-Vallier")."""
        folded = fold(text)
        best: tuple[int, str] | None = None
        for role, pattern in self._person.items():
            match = pattern.search(folded) if pattern is not None else None
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), role)
        return best[1] if best else None

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


def clean_name(text: str, *, capitals: bool = False) -> str | None:
    """The entity's text tidied, or None when it is not a plausible actor name; `capitals`: a long word in
    capitals is a name (a surname after a civility, "M. THUILLIER"), not a heading."""
    name = one_line(text).strip(_STRIP)
    name = re.sub(r"(\w)- (\w)", r"\1-\2", name)  # "Jean- François" cut across lines
    for _ in range(2):
        name = _HONORIFIC.sub("", name).strip(_STRIP)
    if len(name) < 2 or len(name.split()) > 12 or not name[0].isupper():
        return None
    if _URLISH.search(name.lower()) or fold(name) in _MONTHS_AND_DAYS:
        return None
    letters = [c for c in name if c.isalpha()]
    if not letters or sum(c.isdigit() for c in name) > len(letters):
        return None
    alphabetic = [w for w in name.split() if any(c.isalpha() for c in w)]
    if name.isupper() and (len(alphabetic) > 1 or len(name) > 6) and not capitals:  # a heading in capitals, not an
        return None  # acronym, with or without its department's number ("CDG 60")
    return name


# --- spaCy components ----------------------------------------------------------------------------


def _is_upper_word(token) -> bool:
    return token.is_alpha and token.is_upper and len(token) >= 2


@Language.component("patrimoine_names")
def rejoin_and_trim_names(doc):
    """Person names rejoined across lines and capitals; titles and stray tokens trimmed; entities cut at line ends."""
    spans = []
    for ent in doc.ents:
        start, end, label = ent.start, ent.end, ent.label_
        if fold(ent[0].text) in _TITLE_WORDS and ent.id_ != LEXICON_ID:
            # A title and the body it serves: "Président de la CCLO" is the CCLO, "Secrétaire général de la" nothing.
            body = _after_title(doc, ent)
            if body is not None:
                spans.append(body)
            continue
        if label == "PER":
            # Extend over a surname in capitals, a particle, or the rest of a name cut after a hyphen.
            while end < len(doc):
                token, last = doc[end], doc[end - 1]
                if last.is_space and end - 2 >= start and doc[end - 2].text.endswith("-") and token.is_title:
                    end += 1  # "Jean-" "\n" then "François"
                    continue
                if token.text == "-" and end + 2 < len(doc) and doc[end + 1].is_space and doc[end + 2].is_title:
                    end += 3  # "Jean" "-" "\n" "François"
                    continue
                if token.is_space:
                    after = doc[end + 1] if end + 1 < len(doc) else None
                    if last.text.endswith("-") and after is not None and (after.is_title or after.is_upper):
                        end += 2  # "Le-" "\n" "Hir"
                        continue
                    break
                if "\n" in last.text_with_ws and not last.text.endswith("-"):
                    break
                nxt = doc[end + 1] if end + 1 < len(doc) else None
                if last.text.endswith("-") and (token.is_title or token.is_upper):
                    end += 1
                elif _is_upper_word(token) and fold(token.text) not in _TITLE_WORDS:
                    end += 1
                elif token.lower_ in _PARTICLES and (token.is_title or token.is_upper) and nxt is not None and (
                    _is_upper_word(nxt) or nxt.text.startswith("-")
                ) and not token.whitespace_ == "":
                    end += 1
                elif token.lower_ in _PARTICLES and token.is_title and nxt is not None and nxt.text == "-" and (
                    not token.whitespace_ and end + 2 < len(doc) and not nxt.whitespace_ and doc[end + 2].is_title
                ):
                    end += 3  # "Sylvie Valente" + "Le-Hir"
                elif token.text == "-" and nxt is not None and (nxt.is_title or nxt.is_upper) and not (
                    last.whitespace_ and token.whitespace_
                ):  # "Le -Hir", not a dash between items ("Mme Inès Le Bihan - Abstention : 0")
                    end += 1
                elif token.ent_type_ in ("MISC", "PER") and token.is_title and token.pos_ == "PROPN":
                    end += 1
                else:
                    break
            # Trim titles and what follows them ("Maxime Gabriel Responsable Eau"), and numbers ("2h").
            for i in range(start + 1, end):
                if fold(doc[i].text).strip(".,") in _TITLE_WORDS or any(c.isdigit() for c in doc[i].text):
                    end = i
                    break
            while end - start > 1 and (len(doc[start].text) == 1 and doc[start].is_alpha):
                start += 1  # a stray initial of a scan ("V Michel VILBOIS")
        elif ent.id_ != LEXICON_ID:
            while end - start > 1 and doc[start].lower_ in ("la", "le", "les", "l'", "l’") and doc[start].is_lower:
                start += 1  # "la France"
            # A guess run into a table's next cell or a number: "Fonctionnement | 87", "Office de Tourisme 2025-2027".
            for i in range(start + 1, end):
                if doc[i].text == "|" or any(c.isdigit() for c in doc[i].text):
                    # a department's number after an acronym belongs to the name: "CDG 60"
                    end = i + 1 if doc[i].text.isdigit() and len(doc[i]) <= 3 and _is_upper_word(doc[i - 1]) else i
                    break
            while end - start > 1 and doc[end - 1].lower_ in _CONNECTORS:
                end -= 1
        # Cut at a line break that ends a heading or a list item, not inside "de la\nMer" or "Le-\nHir".
        for i in range(start, end - 1):
            if not doc[i].is_space and ("\n" in doc[i].text_with_ws or doc[i + 1].is_space):
                if doc[i].lower_ not in _CONNECTORS and not doc[i].text.endswith("-"):
                    end = i + 1
                    break
        while end > start and (doc[end - 1].is_space or doc[end - 1].is_punct):
            end -= 1
        parts = _listed_people(doc, start, end) if label == "PER" else [(start, end)]
        spans.extend(Span(doc, s, e, label=label, span_id=ent.id_) for s, e in parts if e > s)
    doc.ents = filter_spans(_merge_cut_names(doc, spans))
    return doc


def _listed_people(doc, start: int, end: int) -> list[tuple[int, int]]:
    """A run of names written "First name SURNAME", one after the other, is as many people: "Vincent LAUNAY
    Benjamin TASSIN" (columns of an organisation chart), not "Guillain DE FRANCE" nor a list written "SURNAME
    First name" ("DUPONT Jean MARTIN Pierre"), whose pairs cannot be told apart: it is left whole."""
    parts, begin = [], start
    for i in range(start + 1, end):
        if doc[i].is_title and doc[i].text[0].isalpha() and _is_upper_word(doc[i - 1]) and doc[i - 1].whitespace_:
            parts.append((begin, i))
            begin = i
    parts.append((begin, end))
    if len(parts) == 1 or _surname_first_around(doc, start, end) or not all(_first_then_surname(doc, s, e) for s, e in parts):
        return [(start, end)]
    return parts


def _surname_first_around(doc, start: int, end: int) -> bool:
    """The run of names doc[start:end] belongs to reads "SURNAME First name": it ends, on its line, with a first
    name ("DUPONT Jean MARTIN Pierre DURAND Paul", where spaCy found "Jean MARTIN Pierre DURAND"), not with a
    surname ("ATTICHY Bernard FAVROLE Corinne BETRIX Catherine RIGAULT", where it found the first three). A
    surname before it says nothing (there, a commune in capitals)."""
    last = doc[end - 1]
    while end < len(doc) and last.whitespace_ and (
        (doc[end].is_title and doc[end].is_alpha) or _is_upper_word(doc[end])
    ):
        last = doc[end]
        end += 1
    return last.is_title


def _first_then_surname(doc, start: int, end: int) -> bool:
    """Capitalised first names, then a surname in capitals: "Jean-Claude CORMONT", "Guillain DE FRANCE"."""
    words = [t for t in doc[start:end] if t.text != "-"]
    first = 0
    while first < len(words) and words[first].is_title and words[first].text[0].isalpha():
        first += 1
    return 0 < first < len(words) and all(_is_upper_word(t) for t in words[first:])


def _after_title(doc, ent) -> Span | None:
    """The body named after a title in one entity: "Président de la CCLO" -> "CCLO" (an organisation),
    "Maire de Cuise-la-Motte" -> "Cuise-la-Motte" (a place); None when only the title is there."""
    i = ent.start + 1
    while i < ent.end and not (doc[i].lower_ in rules.OF):
        i += 1
    while i < ent.end and doc[i].lower_ in rules.OF | rules.ARTICLES:
        i += 1
    if i >= ent.end or not doc[i].text[:1].isupper() or fold(doc[i].text) in _TITLE_WORDS:
        return None
    label = "ORG" if doc[i].is_upper or fold(doc[i].text) in rules.BODY_HEADS else "LOC"
    return Span(doc, i, ent.end, label=label)


def _merge_cut_names(doc, spans: list[Span]) -> list[Span]:
    """A body's name that spaCy cut in two after a link word or a hyphen is one entity
    ("Direction départementale des territoires et de la" + "Mer des Côtes d'Armor", "Entente Oise" + "-Aisne")."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and merged[-1].label_ in ("ORG", "LOC") and span.label_ in ("ORG", "LOC", "MISC"):
            last = merged[-1]
            gap = doc[last.end : span.start]
            ends_with_link = last[-1].lower_ in _CONNECTORS or last[-1].text.endswith("-")
            hyphen_only = len(gap) == 1 and gap[0].text == "-" and not last[-1].whitespace_
            touching = not len(gap) and not last[-1].whitespace_  # "Auvergne" + "-Rhône-Alpes"
            if (not len(gap) and ends_with_link) or hyphen_only or touching or (len(gap) == 1 and gap[0].is_space and ends_with_link):
                merged[-1] = Span(doc, last.start, span.end, label=last.label_ if last.label_ == "ORG" else span.label_,
                                  span_id=last.id_)
                continue
        merged.append(span)
    return merged


def _apply(doc, ents: list[Span], found: list[Found], *, span_id: str, over: tuple[str, ...] = ("LOC", "MISC", "PER"),
           shrink: bool = False, extend: bool = False) -> list[Span]:
    """The entities with each found span in place of the entities it overlaps, when all of these have a
    label of `over` and none was found by a rule or the lexicon; `shrink` lets a span replace a longer entity
    that contains it ("Société 24ème" -> "24ème"), `extend` one found by the lexicon that it contains."""
    for f in sorted(set(found), key=lambda f: (f.start, f.start - f.end)):
        overlapping = [e for e in ents if e.start < f.end and f.start < e.end]
        if any(e.start == f.start and e.end == f.end and e.label_ == f.label for e in overlapping):
            ents = [  # confirmed by the rule: kept as found by it
                Span(doc, e.start, e.end, label=e.label_, span_id=e.id_ or span_id)
                if (e.start, e.end) == (f.start, f.end) else e for e in ents
            ]
            continue
        if any(e.label_ not in over or (e.id_ in _TRUSTED | {CIVILITY_ID} and not (
            extend and f.start <= e.start and e.end <= f.end and e.label_ != "PER"
        )) for e in overlapping):
            continue
        if not shrink and any(e.start <= f.start and f.end <= e.end and len(e) > f.end - f.start for e in overlapping):
            continue
        gone = {(e.start, e.end) for e in overlapping}
        ents = [e for e in ents if (e.start, e.end) not in gone] + [Span(doc, f.start, f.end, label=f.label, span_id=span_id)]
    return sorted(ents, key=lambda e: e.start)


@Language.factory("patrimoine_bodies", default_config={"not_actors": []})
def make_body_rules(nlp, name: str, not_actors: list[str]):
    """Organisations completed with general French administrative knowledge (see pipelines/extraction_rules.py).
    `not_actors`: folded words of models/organisations.yaml that are never actors."""
    words = frozenset(not_actors)
    common = CommonWords.of(nlp)
    return lambda doc: complete_bodies(doc, words, common)


def complete_bodies(doc, not_actor_words: frozenset[str] = frozenset(), common=frozenset()):
    everything = ("LOC", "MISC", "ORG", "PER")
    ents = list(doc.ents)
    # A body's name cut short, extended over its complements; it may swallow the lexicon's shorter match.
    ents = _apply(doc, ents, rules.extend_body_names(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "ORG"), extend=True)
    ents = _apply(doc, ents, rules.named_bodies(doc, ents), span_id=BODY_ID, over=everything, shrink=True)
    ents = _apply(doc, ents, rules.bare_heads(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "ORG"), shrink=True)
    ents = _apply(doc, ents, rules.affiliations(doc, ents), span_id=BODY_ID, over=everything)
    ents = _apply(doc, ents, rules.apposed_bodies(doc, ents), span_id=BODY_ID, over=everything)
    ents = _apply(doc, ents, rules.establishments(doc), span_id=BODY_ID, over=everything, extend=True)
    ents = _apply(doc, ents, rules.services_of_bodies(doc, ents, lexicon_ids=frozenset({LEXICON_ID})), span_id=BODY_ID,
                  over=("LOC", "MISC", "ORG"), extend=True)
    ents = _apply(doc, ents, rules.shops(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "PER"))
    ents = _apply(doc, ents, rules.lower_case_bodies(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "ORG"))
    companies, labels = rules.table_companies(doc, ents, not_actor_words, common)
    if companies:  # the rows' labels are categories ("Pneus", "Eco-DDS")
        ents = [e for e in ents if e.id_ in _TRUSTED or not any(s < e.end and e.start < x for s, x in labels)]
        ents = _apply(doc, ents, companies, span_id=BODY_ID, over=everything, shrink=True)
    ents = _apply(doc, ents, rules.article_acronyms(doc, ents, not_actor_words), span_id=BODY_ID)
    ents = _apply(doc, ents, rules.department_acronyms(doc, ents, not_actor_words), span_id=BODY_ID, shrink=True)
    ents = _apply(doc, ents, rules.department_numbers(doc, ents), span_id=BODY_ID, over=("ORG",), extend=True)
    ents = _apply(doc, ents, rules.lone_funders(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "PER", "ORG"))
    ents = _apply(doc, ents, rules.predicate_bodies(doc, ents), span_id=BODY_ID, over=("LOC", "MISC", "ORG"))
    ents = _apply(doc, ents, rules.sites_of_bodies(doc, ents), span_id=PLACE_ID, over=("ORG",), extend=True)
    territories = [f for e in ents if e.label_ in ("ORG", "LOC") and (f := rules.territory_or_body(doc, e))]
    if territories:
        inside = {(e.start, e.end) for e in ents for f in territories if e.start <= f.start and f.end == e.end}
        ents = [e for e in ents if (e.start, e.end) not in inside]
        for label, span_id in (("ORG", BODY_ID), ("LOC", PLACE_ID)):
            ents = _apply(doc, ents, [f for f in territories if f.label == label], span_id=span_id)
    doc.ents = ents
    return doc


class CommonWords:
    """French nouns, adjectives, verbs and adverbs of the lemmatizer's tables: `"ferrailles" in words`.
    Names that are also common words ("Pierre", "Temple") are only read so where a name is unlikely."""

    def __init__(self, nlp) -> None:
        lookups = nlp.get_pipe("lemmatizer").lookups if "lemmatizer" in nlp.pipe_names else None
        self._lemmas = lookups.get_table("lemma_lookup") if lookups and lookups.has_table("lemma_lookup") else {}
        index = lookups.get_table("lemma_index") if lookups and lookups.has_table("lemma_index") else {}
        self._words = frozenset(w for pos in ("noun", "adj", "verb", "adv") for w in index.get(pos, []))
        self._folded = frozenset(fold(w) for w in self._words)
        self._nouns = frozenset(index.get("noun", []))

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def of(nlp) -> CommonWords:
        """The common words of a pipeline's lemmatizer, read once for all the components."""
        return CommonWords(nlp)

    def is_noun(self, word: str) -> bool:
        word = word.lower()
        lemma = self._lemmas.get(word, word)
        return (lemma[0] if isinstance(lemma, list) else lemma) in self._nouns or word in self._nouns

    def folded(self, word: str) -> bool:
        """The word without its accents is a common word's ("DELEGUE", "COMMUNAUTE")."""
        word = fold(word)
        return word in self._folded or (word.endswith(("s", "x")) and word[:-1] in self._folded)

    def __contains__(self, word: str) -> bool:
        word = word.lower()
        lemma = self._lemmas.get(word, word)
        lemma = lemma[0] if isinstance(lemma, list) else lemma
        return lemma in self._words or word in self._words or (word.endswith(("s", "x")) and word[:-1] in self._words)


@Language.factory("patrimoine_places", default_config={"places": None, "not_actors": []})
def make_place_rules(nlp, name: str, places: str | None, not_actors: list[str]):
    """Places completed with general French geography (see pipelines/extraction_rules.py); `places` is
    models/places.yaml (regions, departments, basins, countries, and the files of the communes of France and of
    first names); with them, first names alone as people and names in capitals as bodies; `not_actors` as for
    `patrimoine_actor_filter`."""
    lexicon = rules.PlaceLexicon.from_file(Path(places)) if places else None
    common = CommonWords.of(nlp)
    words = frozenset(not_actors)
    return lambda doc: complete_places(doc, lexicon, common=common, not_actors=words)


def _complete_commune_names(doc, ents: list[Span], communes: list[rules.Found]) -> list[Span]:
    """"commune de St Crépin" cut by the lexicon's pattern before a lower-case word runs to the end of the
    commune's name ("commune de St Crépin aux Bois"), whatever its kind."""
    longer = {}
    for e in ents:
        if not (fold(e[0].text) in ("commune", "ville") or len(e) > 1 and fold(e[1].text) in ("commune", "ville")):
            continue
        end = next((f.end for f in communes if e.start < f.start < e.end < f.end), None)
        if end is None:
            continue
        inside = [x for x in ents if e.end <= x.start < end]
        if all(not x.id_ and x.end <= end for x in inside):  # spaCy's guesses inside ("Bois") go
            longer[(e.start, e.end)] = (end, {(x.start, x.end) for x in inside})
    gone = {span for _, dropped in longer.values() for span in dropped}
    return [Span(doc, e.start, longer[(e.start, e.end)][0], label=e.label_, span_id=e.id_) if (e.start, e.end) in longer
            else e for e in ents if (e.start, e.end) not in gone]


def complete_places(doc, lexicon: rules.PlaceLexicon | None = None, *, common=frozenset(), not_actors=frozenset()):
    """The place rules in order, then the rules that need the lexicon's communes and first names: communes, first
    names alone as people, names in capitals as bodies."""
    ents = _apply(doc, list(doc.ents), rules.zone_rows(doc), span_id=PLACE_ID, shrink=True)
    found = lexicon.find(doc) if lexicon is not None else []
    inside = {r for r in found if rules.inside_a_name(doc, *r)}  # "(CAUE) de l'Oise": the body's name, no place
    ents = [e for e in ents if not (e.label_ == "LOC" and not e.id_ and (e.start, e.end) in inside)]
    named = [r for r in found if r not in inside]
    if named:
        ents = _join_to_bodies(doc, ents, named)
        named = [(s, e) for s, e in named if not any(x.start <= s and e <= x.end for x in ents if x.label_ == "ORG")]
        ents = _apply(doc, ents, [rules.Found(s, e, "LOC") for s, e in named], span_id=PLACE_ID)
    if lexicon is not None:
        communes = lexicon.communes.find(doc, common)
        ents = _complete_commune_names(doc, ents, communes)
        named_communes = [f for f in communes if not rules.inside_a_name(doc, f.start, f.end)
                          or rules.capitals_before_a_name(doc, f.start, f.end)]
        # A commune's name alone that spaCy took for a person, after a preposition ("passe par Croutoy puis"); a
        # person introduced by a civility is a rule's entity, kept.
        guessed = {(e.start, e.end) for e in ents if not e.id_ and (
            e.label_ == "ORG" or e.label_ == "PER" and e.start and doc[e.start - 1].pos_ == "ADP")}
        # ... and spaCy's guess of a body whose name is exactly a commune's ("BITRY" in a row of communes)
        ents = _apply(doc, ents, [f for f in named_communes if (f.start, f.end) in guessed], span_id=PLACE_ID,
                      over=("LOC", "MISC", "PER", "ORG"))
        ents = _apply(doc, ents, named_communes, span_id=PLACE_ID, over=("LOC", "MISC"))
    ents = _apply(doc, ents, rules.titled_territories(doc, ents), span_id=BODY_ID, over=("LOC", "MISC"))
    ents = _apply(doc, ents, rules.postal_places(doc), span_id=PLACE_ID, over=("LOC", "MISC", "PER", "ORG"))
    ents = _apply(doc, ents, rules.assembly_places(doc), span_id=PLACE_ID, over=("LOC", "MISC", "PER", "ORG"), shrink=True)
    ents = _apply(doc, ents, rules.dateline_places(doc, common), span_id=PLACE_ID)
    ents = _apply(doc, ents, rules.sites_and_bearings(doc, ents), span_id=PLACE_ID)
    streets = rules.street_names(doc, ents)  # a body's word inside a street's name is the street's, a square
    ents = [e for e in ents if not any(  # without a name of its own no entity
        f.start <= e.start and e.end <= f.end and (e.label_ == "ORG" or f.label == rules.UNNAMED) for f in streets)]
    ents = _apply(doc, ents, [f for f in streets if f.label != rules.UNNAMED], span_id=PLACE_ID)
    ents = _apply(doc, ents, rules.classified_localities(doc, ents), span_id=PLACE_ID, over=("LOC", "MISC", "PER", "ORG"),
                  shrink=True)
    ents = _apply(doc, ents, rules.named_buildings(doc, ents), span_id=PLACE_ID, over=("LOC", "MISC", "PER", "ORG"))
    ents = _apply(doc, ents, rules.geographic_names(doc, ents), span_id=PLACE_ID, shrink=True)
    ents = _apply(doc, ents, rules.spaced_toponyms(doc, ents), span_id=PLACE_ID, extend=True)
    ents = _apply(doc, ents, rules.located_names(doc, ents, common), span_id=PLACE_ID)
    ents = _apply(doc, ents, rules.dashed_places(doc, ents), span_id=PLACE_ID, shrink=True)
    ents = _apply(doc, ents, rules.enumerated_places(doc, ents, common), span_id=PLACE_ID, shrink=True,
                  over=("LOC", "MISC", "PER", "ORG"))
    if lexicon is not None:
        communes = lexicon.communes
        ents = _apply(doc, ents, rules.full_names_in_capitals(doc, ents, communes=communes, not_actors=not_actors),
                      span_id=PERSON_ID, over=("MISC", "ORG", "LOC", "PER"), shrink=True, extend=True)
        ents = _apply(doc, ents, rules.first_names_taken_for_places(ents, communes=communes), span_id=PERSON_ID,
                      over=("LOC",))
        ents = _apply(doc, ents, rules.first_name_people(doc, ents, communes=communes, common=common), span_id=PERSON_ID,
                      over=("PER",))
        ents = _apply(doc, ents, rules.capital_names(doc, ents, communes=communes, not_actors=not_actors, common=common),
                      span_id=BODY_ID, over=("MISC", "ORG", "LOC"), extend=True)
    doc.ents = ents
    return doc


def _join_to_bodies(doc, ents: list[Span], named: list[tuple[int, int]]) -> list[Span]:
    """A region or department right after a body's name is part of it: "Capt’air" + "Bretagne",
    "Entente Oise" + "Aisne", "UIMM" + "Picardie"."""
    ents = list(ents)
    changed = False
    for s, e in sorted(named):
        for k, ent in enumerate(ents):
            if ent.label_ == "ORG" and ent.end == s and ent[-1].whitespace_ == " " and not ent[-1].is_punct:
                ents[k] = Span(doc, ent.start, e, label="ORG", span_id=ent.id_ or BODY_ID)
                changed = True
    return filter_spans(ents) if changed else ents


@Language.factory("patrimoine_actor_filter", default_config={"not_actors": [], "categories": []})
def make_actor_filter(nlp, name: str, not_actors: list[str], categories: list[str]):
    """Drop what is not an actor; relabel bodies that spaCy took for places or people.
    `not_actors`: folded words of models/organisations.yaml that are never actors; `categories`: kinds of
    bodies (EPTB, PETR) that are one body only after a definite article ("le PETR", not "PETR, métropoles")."""
    words = frozenset(not_actors)
    kinds = frozenset(categories)
    common = CommonWords.of(nlp)
    return lambda doc: filter_actors(doc, words, common, kinds)


def _name_of(ent) -> str | None:
    if ent.id_ in _TRUSTED:  # a name starts with a letter or a digit, whoever found it ("€HT" is a unit)
        return one_line(ent.text) if ent.text[:1].isalnum() else None
    return clean_name(ent.text, capitals=ent.id_ == CIVILITY_ID)


_CODE = re.compile(r"^[A-Z]{1,4}\d{1,4}[A-Z]?$")  # "RM19": a zone or a parcel, not a place
_DEMONYM = re.compile(r"^[A-ZÀ-Þ][a-zà-ÿ-]+(ains|aines|iens|iennes|oises|aises|éens|éennes)$")  # "Pétrifontains"
# Nouns after which a name is a plan's, a programme's or a venue's, not an actor ("le contrat Rance-Frémur",
# "la salle Simone Veil").
_NAMING_NOUNS = {"contrat", "programme", "plan", "schema", "projet", "dispositif", "label", "operation", "salle",
                 "gymnase", "stade", "rue", "avenue", "boulevard", "allee", "impasse", "square", "espace", "residence",
                 "mediatheque", "college", "lycee", "ecole", "groupe scolaire", "complexe", "halle", "prix", "trophee"}


_PLAN_HEADS = {"plan", "programme", "projet", "pacte", "contrat", "schema", "systeme", "participation", "dispositif",
               "fonds", "document", "operation", "prime", "taxe", "redevance", "dotation", "reglement", "zone"}


def _plan_acronyms(doc) -> tuple[set[str], set[int]]:
    """Acronyms that a passage defines as a plan, a programme, a system or a charge, and the tokens of their long
    forms: "Plan d'Action commun en matière de Mobilité Solidaire (PAMS)", "Système Intégré des Services de Mobilité
    dans l'Oise (SISMO)", "Participation à l'Assainissement Collectif (PAC)": neither is an actor. The long form is
    the run of words before the brackets whose capitalised words' initials spell the acronym; its first word says
    what it is ("Communauté de Communes du Pays Noyonnais (CCPN)" after "Le Contrat signé avec la" is a body)."""
    acronyms, tokens = set(), set()
    for token in doc[1:]:
        if token.text != "(" or token.i + 2 >= len(doc) or doc[token.i + 2].text != ")" or not is_acronym(doc[token.i + 1].text):
            continue
        acronym = doc[token.i + 1].text
        letters = [c for c in acronym if c.isupper()]
        initials: list[str] = []
        for k in range(token.i - 1, max(-1, token.i - 16), -1):
            word = doc[k]
            if word.is_space or (word.is_punct and word.text not in ("’", "'", "-")):
                break
            if word.text[:1].isupper():
                initials.insert(0, word.text[0])
                if initials == letters:
                    if fold(word.text) in _PLAN_HEADS:
                        acronyms.add(acronym)
                        tokens.update(range(k, token.i))
                    break
                if len(initials) > len(letters):
                    break
    return acronyms, tokens


def filter_actors(doc, not_actor_words: frozenset[str] = frozenset(), common=frozenset(),
                  categories: frozenset[str] = frozenset()):
    kept = []
    plans, plan_tokens = _plan_acronyms(doc)
    for ent in doc.ents:
        if ent.label_ != "PER" and (ent.text in plans or (plan_tokens and set(range(ent.start, ent.end)) <= plan_tokens)):
            continue
        if ent.label_ == "MISC" and _HONORIFIC.match(one_line(ent.text)):
            ent = Span(doc, ent.start, ent.end, label="PER", span_id=ent.id_)  # "Mr Reby"
        if ent.label_ not in _KINDS:
            continue
        ent = _without_plan(ent, not_actor_words)
        if ent.label_ in ("LOC", "ORG"):
            ent = _without_table_words(ent)
        lexicon = ent.id_ in _TRUSTED
        name = _name_of(ent)
        if name is None:
            continue
        folded = fold(name)
        if folded in not_actor_words or (len(name) <= 2 and not lexicon):
            continue
        if all(w in not_actor_words for w in re.split(r"[\s/]+", folded)):
            continue  # "ETA EPCIs"
        if re.sub(r"\s*\d+$", "", folded) in not_actor_words:
            continue  # "PR54", "RD 932": a code with its number
        if folded == "etat" and _state_as_complement(ent):
            continue
        if folded in categories and (ent.start == 0 or doc[ent.start - 1].lower_ not in ("le", "la", "l'", "l’", "du", "au")):
            continue  # "cotisations des syndicats et EPTB": a kind of body
        if ent[0].is_lower and ent.start > 0 and doc[ent.start - 1].lower_ in ("un", "une", "des", "chaque", "toute", "tout"):
            continue  # "une ville de Bretagne": any body of a kind
        if ent.id_ not in _TRUSTED and _quoted(ent) and ent.label_ != "ORG":
            continue  # « Les Petites Bouilles »: an event's or a document's title
        if ent.label_ == "PER" and ent[-1].text.endswith("-") and ent.end < len(doc) and doc[ent.end].is_lower:
            continue  # "Sylvie Valente Le-" + "le renouveau": a name cut by a column, read where whole
        if not lexicon:
            if len(ent) == 1 and ent[0].pos_ not in ("PROPN", "X") and not ent[0].is_upper and not rules.TOPONYM.match(ent.text):
                continue  # a single common word ("Pilotés", "Rapporteure", "Délibération")
            if _NOT_ACTORS.match(folded) or folded.split()[0] in _TITLE_WORDS:
                continue
            first = next((t for t in ent if not _HONORIFIC.match(t.text + " ")), ent[0])
            if first.pos_ == "NOUN" and "Plur" in first.morph.get("Number") and not first.is_upper:
                continue  # a generic plural ("Entreprises", "Collectivités", "Conseils départementaux")
            if ent.label_ != "PER" and _common_word_entity(ent, common):
                continue  # "Temple", "Ferrailles", "Régions" heading a line or after an article
            if ent.label_ == "LOC" and _common_word_place(ent, common):
                continue  # "- Dire que …", "comptable du Trésor", "Adultes : 3,70 €"
            if ent.label_ in ("LOC", "ORG") and _DEMONYM.match(re.sub(r"^(Les|Des|Aux) ", "", name)):
                continue  # "les Pétrifontains": inhabitants
            if ent.label_ == "LOC" and (_CODE.match(name) or _infinitive_heading(ent)):
                continue  # "RM19", "• Sensibiliser les habitants"
            if ent.id_ != CIVILITY_ID and not _HONORIFIC.match(one_line(ent.text)) and _after_naming_noun(ent):
                continue
            if _article_and_common_noun(ent, common) and (ent.label_ == "PER" or (
                ent.label_ == "LOC" and ent.end < len(doc) and doc[ent.end].pos_ in ("VERB", "AUX")
            )):
                continue  # "La Chose", also as the subject of a verb ("La Chose est", not the commune "La Barre")
            if (ent.label_ in ("ORG", "LOC") and ent.id_ not in (PLACE_ID, CIVILITY_ID)
                    and not _HONORIFIC.match(one_line(ent.text)) and _only_common_words(name, common)):
                continue  # a table's or a form's heading: "Déficit antérieur", "TOTAL", "Ordre National du Mérite"
        if ent.label_ == "ORG" and ent.id_ != LEXICON_ID:
            ent = _without_legal_form(ent)
            name = _name_of(ent) if ent is not None else None
            if name is None:
                continue  # "SCIC SAS": a legal form is not a name
        label = ent.label_
        if _HONORIFIC.match(one_line(ent.text)):
            label = "PER"  # "M.TANGUY", "Monsieur GOUPIL"
        elif label in ("LOC", "PER") and ent.id_ not in (CIVILITY_ID, PLACE_ID) and _ORGANISATION_WORDS.search(folded):
            label = "ORG"
        elif label == "LOC" and ent.id_ != PLACE_ID and _acronym_named(name):
            label = "ORG"  # an acronym ("CCLO", "RNSA", "UIMM Picardie"): places are seldom written so
        elif label != "PER" and not lexicon and _titled_person(ent):
            label = "PER"  # "Kihal-Flégeau, Sous-préfète de Clermont"
        elif label == "PER" and ent.id_ != CIVILITY_ID and _with_article(ent):
            label = "LOC"  # "(la Damassine à Vandoncourt)": people are named without an article
        kept.append(Span(doc, ent.start, ent.end, label=label, span_id=ent.id_))
    doc.ents = _one_kind_per_name(kept)
    return doc


# Words that head a body's or a site's name: a name made of common words is still one with them
# ("Office de Tourisme", "Coopérative Territoires Vivants", "Maison de santé").
_NAME_HEADS = (rules.BODY_HEADS | rules.BODY_NOUNS | rules.SITE_HEADS | rules.GEO_HEADS | rules.STREET_HEADS
               | {"cour", "tribunal", "service", "services", "pole", "place", "lycee", "college", "ecole", "mairie"})


def _only_common_words(name: str, common) -> bool:
    """A name made only of common words and none of the words that head a body's or a site's name:
    "Financement complémentaire", "Plan Local", "Numéro OBJET"; one such word in capitals only when it is a
    noun ("TOTAL", "VISA", not "SAUR")."""
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", name) if fold(w) not in rules.OF | rules.ARTICLES]
    words = [w.split("'")[-1].split("’")[-1] for w in words]
    if not words or any(fold(w) in _NAME_HEADS or _ORGANISATION_WORDS.search(fold(w)) for w in words):
        return False
    if len(words) == 1:
        return words[0].isupper() and len(words[0]) > 3 and common.is_noun(words[0])
    return all(w.lower() in common for w in words)


def _without_legal_form(ent):
    """"SAS JVS MAIRISTEM" -> "JVS MAIRISTEM": the legal form is not part of the company's name (the gold
    data's convention); None when nothing but legal forms is left ("SCIC SAS")."""
    start = ent.start
    while start < ent.end and (ent.doc[start].text in rules.LEGAL_FORMS or ent.doc[start].is_space):
        start += 1
    if start == ent.start:
        return ent
    if start == ent.end or all(t.is_punct for t in ent.doc[start:ent.end]):
        return None
    return Span(ent.doc, start, ent.end, label=ent.label_, span_id=ent.id_)


def _acronym_named(name: str) -> bool:
    first = name.split()[0]
    return first.isupper() and first.isalpha() and 2 < len(first) <= 6 and (len(name.split()) == 1 or not name.isupper())


def _quoted(ent) -> bool:
    """The entity is a title in quotes: « Les Petites Bouilles »."""
    doc = ent.doc
    start = ent.start - 1
    if start > 0 and doc[start].lower_ in ("la", "le", "les", "l'", "l’"):
        start -= 1
    return 0 <= start and ent.end < len(doc) and doc[start].text in "«“\"" and doc[ent.end].text in "»”\""


def _without_plan(ent, not_actor_words: frozenset[str]):
    """"PCAET de Dinan Agglomération" -> "Dinan Agglomération": a plan's name holds its body's."""
    doc = ent.doc
    first = fold(ent[0].text)
    if len(ent) > 2 and (first in not_actor_words or _NOT_ACTORS.match(first)) and ent[1].lower_ in rules.OF:
        start = ent.start + 2
        while start < ent.end and doc[start].lower_ in rules.ARTICLES:
            start += 1
        if start < ent.end and doc[start].is_title:
            return Span(doc, start, ent.end, label=ent.label_, span_id=ent.id_)
    return ent


def _common_word_entity(ent, common) -> bool:
    """One capitalised common word where a name is unlikely: heading a line, or after an article."""
    if len(ent) != 1 or not ent[0].is_title or ent[0].text.lower() not in common:
        return False
    doc = ent.doc
    before = doc[ent.start - 1].lower_ if ent.start else ""
    return rules.line_start(doc, ent.start) or before in ("la", "le", "les", "l'", "l’", "un", "une", "des", ",")


# Words of a document's layout that a table or a header glues to a place's name ("Audierne Tel", "Saône
# Niveau", "Foyer Approuvée"), and bearings before it ("Ouest Vérlane").
_TABLE_WORDS = {"tel", "tél", "telephone", "fax", "mail", "courriel", "contact", "niveau", "approuvee", "approuve",
                "rapporteur", "rapporteure", "page", "total", "date", "objet", "annexe", "source"}


def _without_table_words(ent):
    """The entity without the layout words, function words, dates and legal forms glued to its end ("Syndicat
    d'Energie de l'Oise Approuvée", "commune de Saint Etienne Pour", "Dinan Agglomération du 1er", "MINERIS SAS")
    and the bearings before it."""
    start, end = ent.start, ent.end
    doc = ent.doc
    while end - start > 1 and (
        (fold(doc[end - 1].text) in _TRAILING_WORDS and doc[end - 2].whitespace_)
        or (_ORDINAL.match(doc[end - 1].text) and end - start > 2 and doc[end - 2].lower_ in ("du", "le"))
        or (ent.label_ == "ORG" and doc[end - 1].text in rules.LEGAL_FORMS and doc[end - 2].whitespace_)
    ):
        end -= 1  # then "du" or "le", a function word, on the next turn
    while end - start > 1 and fold(ent.doc[start].text) in rules.BEARINGS and ent.doc[start].whitespace_:
        start += 1
    return ent if (start, end) == (ent.start, ent.end) else Span(ent.doc, start, end, label=ent.label_, span_id=ent.id_)


_TRAILING_WORDS = _TABLE_WORDS | rules.FUNCTION_WORDS
_ORDINAL = re.compile(r"^(1er|\d{1,2})$")


def _common_word_place(ent, common) -> bool:
    """One capitalised common word taken for a place, not after "à", "en" or "sur" (where only a place fits)."""
    words = [t for t in ent if not t.is_punct]  # "- Dire"
    if len(words) != 1 or not words[0].is_title or words[0].text.lower() not in common or rules.TOPONYM.match(words[0].text):
        return False
    return words[0].i == 0 or ent.doc[words[0].i - 1].lower_ not in ("à", "a", "en", "sur", "vers")


def _after_naming_noun(ent) -> bool:
    doc = ent.doc
    return ent.start > 0 and doc[ent.start - 1].is_lower and fold(doc[ent.start - 1].text) in _NAMING_NOUNS


def _infinitive_heading(ent) -> bool:
    """A verb heading a line or a bullet, which spaCy took for a name: "Sensibiliser les habitants",
    "Accueillir et respecter"."""
    doc = ent.doc
    if len(ent) != 1 or not ent.text.endswith(("er", "ir", "re")) or not rules.line_start(doc, ent.start):
        return False
    after = doc[ent.end : ent.end + 2]
    return len(after) == 2 and (
        after[0].lower_ in ("le", "la", "les", "l'", "l’", "des", "un", "une", "du", "vos", "nos", "ses", "leur", "leurs")
        or (after[0].lower_ == "et" and after[1].is_lower)
    )


def _article_and_common_noun(ent, common) -> bool:
    return len(ent) == 2 and ent[0].lower_ in ("la", "le", "les", "l'") and ent[1].text.lower() in common


def _titled_person(ent) -> bool:
    """A name followed by ", <title>" names a person: "Kihal-Flégeau, Sous-préfète de Clermont"."""
    doc = ent.doc
    if ent.end + 1 >= len(doc) or doc[ent.end].text != "," or len(ent) > 3:
        return False
    title = fold(doc[ent.end + 1].text)
    return title in _TITLE_WORDS or title in ("sous-prefete", "sous-prefet", "vice-presidente", "vice-president")


def _with_article(ent) -> bool:
    doc = ent.doc
    if ent.start == 0 or doc[ent.start - 1].lower_ not in ("la", "le", "l'", "l’"):
        return False
    before = doc[ent.start - 2].lower_ if ent.start > 1 else ""
    return fold(before).rstrip(".") not in {fold(c).rstrip(".") for c in _CIVILITIES} and len(ent) <= 2


def _one_kind_per_name(ents: list[Span]) -> list[Span]:
    """A name found as an organisation by a rule or the lexicon is an organisation in the whole passage
    ("l'association « Verger vivant »" then "demandé à Verger Vivant")."""
    bodies = {normalise(e.text) for e in ents if e.label_ == "ORG" and e.id_ in _TRUSTED}
    names = {normalise(e.text) for e in ents if e.label_ == "ORG"}
    return [
        Span(e.doc, e.start, e.end, label="ORG", span_id=e.id_)
        if e.label_ != "ORG" and normalise(e.text) in bodies else e
        for e in ents
        # "l'association Initiative" is "Initiative France" or "Initiative Oise Est", named in full
        if not (e.id_ == BODY_ID and len(e) == 1 and any(n.startswith(normalise(e.text) + " ") for n in names))
    ]


def _predicate_role(ent, cues: RoleCues) -> str | None:
    """The role an organisation's name is given by a copula or an apposition after it ("X est un réseau …")."""
    root = ent.root
    head = root.head
    if root.dep_.startswith("nsubj") and any(child.dep_ == "cop" for child in head.children):
        return cues.in_name(" ".join(t.text for t in [t for t in head.subtree if t.i >= ent.end][:6]))
    for child in root.children:
        if child.dep_ == "appos" and child.i >= ent.end:
            return cues.in_name(" ".join(t.text for t in list(child.subtree)[:6]))
    return None


def _state_as_complement(ent) -> bool:
    """"les services de l'État", "agents de l'Etat", "l'État territorial": a category, not the State acting
    (which it is after a verb or "auprès de": "relève de l'État", "une subvention auprès de l'Etat")."""
    doc = ent.doc
    before = [t.lower_ for t in doc[max(0, ent.start - 2) : ent.start]]
    after = doc[ent.end].lower_ if ent.end < len(doc) else ""
    head = doc[ent.start - 3] if ent.start >= 3 else None
    of_a_noun = head is None or (head.pos_ in ("NOUN", "PROPN", "ADJ") and head.lower_ != "auprès")
    return (len(before) == 2 and before[1] in ("l'", "l’") and before[0] in ("de", "des", "du") and of_a_noun) or after in (
        "territorial", "territoriale"
    )


def _title_role(ent, cues: RoleCues, people: set[int]) -> str | None:
    """A role read from the parse: an apposition or modifier of the name, or the title the name depends on.
    `people`: tokens of the passage's people, whose own titles are theirs ("GOUPIL et GUILLAUME, DGS")."""
    root = ent.root
    for child in root.children:
        if child.i in people or _beside(ent, child):
            continue
        if child.i >= ent.end and child.dep_ in ("appos", "acl", "nmod", "conj", "amod") or (
            child.i < ent.start and child.dep_ in ("appos", "nmod", "amod")
        ):
            words = list(child.subtree)[:8]
            role = cues.in_title(" ".join(t.text for t in words))
            if role:
                return role
    head = root.head
    if head is not root and head.dep_ != "ROOT" or root.dep_ in ("appos", "nmod", "flat:name"):
        if not (ent.start <= head.i < ent.end) and head.i not in people and not _beside(ent, head):
            return cues.in_title(head.text)
    return None


_SPEECH_VERBS = {"arriver", "quitter", "rejoindre", "preciser", "indiquer", "demander", "rappeler", "souligner", "expliquer", "repondre", "intervenir",
                 "proposer", "presenter", "informer", "remercier", "interroger", "abstenir", "voter", "exposer",
                 "signaler", "ajouter", "estimer", "regretter", "souhaiter", "transmettre", "observer", "soulever"}
# Present and imperfect forms of the speech verbs: "demande", "précise", "répond", "rappelle", "indiquent", "ajoutait".
_SPEECH_FORMS = frozenset(verb[:-2] + ending for verb in _SPEECH_VERBS
                          for ending in ("", "e", "es", "ent", "le", "lent", "ait", "aient", "it"))
_PRIVATE_HEADS = {"agence", "cabinet", "groupe", "studio", "atelier", "bureau"}
_ORG_WINDOW = 8  # tokens before an organisation searched for what it is ("Prestataire de service public en 2023 : SAUR")


def _clause(doc, start: int, end: int) -> tuple[int, int]:
    """The window around a name searched for a role cue: `_WINDOW` tokens, not beyond the sentence's end
    punctuation (the parser's sentences of a PDF's lines are often wrong), nor back over the end of a line
    that ends an item ("… journée éco-citoyenne 2025\nMonsieur GOUPIL"; not "Marie Dupont,\nmaire")."""
    ends = (".", "!", "?", ";")
    low = start
    while low > max(0, start - _WINDOW) and doc[low - 1].text not in ends:
        previous = doc[low - 1] if not doc[low - 1].is_space else doc[low - 2] if low > 1 else doc[low - 1]
        if ("\n" in doc[low - 1].text_with_ws) and doc[low].text[:1].isupper() and previous.text not in (",", "-") \
                and previous.lower_ not in _CONNECTORS:
            break
        low -= 1
    high = end
    while high < min(len(doc), end + _WINDOW) and doc[high].text not in ends:
        high += 1
    return low, high


def _listed_with(doc, ent, people: list) -> int:
    """The start of the list of people the name ends ("de M. A, M. B et M. C"): a cue before the list
    is everyone's."""
    start = ent.start
    for other in sorted((e for e in people if e.end <= ent.start), key=lambda e: -e.start):
        if all(t.lower_ in (",", "et") or t.is_space for t in doc[other.end : start]):
            start = other.start
        else:
            break
    return start


def _speaks_in_council(ent) -> bool:
    """"M. THUILLIER indique que …", "M.TANGUY et M.ROBERT précisent", "passe la parole à Monsieur ROBERT",
    "M. Didier Combaz regrette" (the civility before the entity)."""
    doc = ent.doc
    civility = ent.start > 0 and doc[ent.start - 1].lower_ in _CIVILITIES
    if ent.id_ != CIVILITY_ID and not _HONORIFIC.match(one_line(ent.text)) and not civility:
        return False
    before = " ".join(t.lower_ for t in doc[max(0, ent.start - 4) : ent.start])
    if "la parole a" in fold(before):
        return True
    root = ent.root
    while root.dep_ in ("conj", "flat:name", "appos") and root.head is not root:
        root = root.head
    if root.dep_.startswith("nsubj") and fold(root.head.lemma_) in _SPEECH_VERBS:
        return True
    i = ent.end  # the parse of minutes is often lost: the verb right after the list of names
    while i < len(doc) and (doc[i].ent_type_ == "PER" or doc[i].lower_ in (",", "et")):
        i += 1
    return i < len(doc) and _is_speech(doc[i])


def _is_speech(token) -> bool:
    """A verb of speaking in council, by its lemma or, where the parse reads a noun ("M.GOSSOT demande": the noun
    "demande"), by its conjugated form (not "informaticien", "interlocuteur")."""
    return fold(token.lemma_) in _SPEECH_VERBS or fold(token.text) in _SPEECH_FORMS


def _organisation_role(doc, ent, cues: RoleCues) -> str | None:
    """What the words around an organisation say it is: "l'entreprise LUXEL", "adhère à RESECO",
    "Prestataire … : SAUR", "X est une association", "d'industriels (Poclain Hydraulics à Verberie, …)"."""
    sentence = ent.sent
    start = max(sentence.start, ent.start - _ORG_WINDOW)  # not beyond another entity nor a line break
    for i in range(ent.start - 1, start - 1, -1):
        if doc[i].ent_type_ or "\n" in doc[i].text_with_ws:
            start = i + 1
            break
    role = cues.in_name(doc[max(start, ent.start - 3) : ent.start].text)
    if role is None:
        role = cues.in_name(doc[start : ent.start].text, roles=("etat", "socio_economique"))
    if role is None and ent.root.head.i < ent.start and ent.root.dep_ in ("appos", "nmod", "flat:name"):
        role = cues.in_name(ent.root.head.text)
    if role is None:  # "Capt'air Bretagne est une association régionale"
        role = cues.in_name(rules.predicate_of(doc, ent)) or _predicate_role(ent, cues)
    if role is None and len(ent) > 1 and fold(ent[0].text) in _PRIVATE_HEADS and ent[1].text[:1].isupper():
        role = "socio_economique"  # "Agence Webexpr", "Cabinet Dupont": a firm's name (not "Agence de l'eau")
    if role is None:  # a list in brackets after what its members are: "d'industriels locaux (A à X, B à Y)"
        opening = next((t.i for t in reversed(doc[max(0, ent.start - 40) : ent.start]) if t.text in "()"), None)
        if opening is not None and doc[opening].text == "(":
            role = cues.in_name(doc[max(0, opening - 8) : opening].text, roles=("etat", "socio_economique"))
    return role


ATTENDANCE = "attendance"  # the span group of the attendance lists of minutes


@Language.component("patrimoine_attendance")
def find_attendance_lists(doc):
    """The attendance lists of minutes as the span group `doc.spans["attendance"]`, labelled `members`
    ("Présents :", "Absents excusés", "Pouvoirs", "Secrétaire de séance", a recorded vote…) or `invited`
    ("Assistaient également"); see `extraction_rules.attendance_lists`."""
    doc.spans[ATTENDANCE] = [Span(doc, f.start, f.end, label=f.label) for f in rules.attendance_lists(doc)]
    return doc


def _attendance_role(doc, ent, cues: RoleCues, people: list) -> tuple[str | None, str | None] | None:
    """A person of an attendance list: the role their own item says ("M. X, DGS" is an agent, "M. Y,
    sous-préfet" the State's), else a member's (`elu`); an invited person's only from their item (else no
    role: a neighbour's title is not theirs). With the list as evidence; None when the person is in no list."""
    section = next((s for s in doc.spans.get(ATTENDANCE, []) if s.start <= ent.start and ent.end <= s.end), None)
    if section is None:
        return None
    end = min([section.end, *(e.start for e in people if ent.end <= e.start < section.end)])
    end = next((t.i for t in doc[ent.end : end] if t.text == ";" or "\n" in t.text), end)
    role = cues.in_title(doc[ent.end : end].text)
    if role is None and section.label_ == rules.MEMBERS:
        role = "elu"
    listed = one_line(section.text)
    name = one_line(ent.text)
    return role, cut_around(listed, max(0, listed.find(name)), len(name))


@Language.factory("patrimoine_roles", default_config={"roles": None})
def make_role_assigner(nlp, name: str, roles: str | None):
    return RoleAssigner(RoleCues.from_file(Path(roles)) if roles else None)


class RoleAssigner:
    """Each entity's role (`span._.role`) and the sentence that shows it (`span._.role_evidence`)."""

    def __init__(self, cues: RoleCues | None) -> None:
        self.cues = cues

    def __call__(self, doc):
        if self.cues is not None:
            _assign_roles(doc, self.cues)
        return doc


def _assign_roles(doc, cues: RoleCues) -> None:
    minutes = is_minutes(doc.text)
    people = [e for e in doc.ents if e.label_ == "PER"]
    for ent in doc.ents:
        kind = _KINDS.get(ent.label_)
        role = None
        sentence = ent.sent
        evidence = one_line(sentence.text)
        if kind == "organisation":
            role = cues.in_name(ent.text) or _organisation_role(doc, ent, cues)
        elif kind == "person":
            listed = _attendance_role(doc, ent, cues, people)
            if listed is not None:
                role, evidence = listed
            else:
                role = _person_role(doc, ent, cues, people, minutes)
                if role is None and (membership := _member_after_a_cue(doc, ent)):
                    role, evidence = "elu", membership
        ent._.role = role
        ent._.role_evidence = evidence if role else None


def _person_role(doc, ent, cues: RoleCues, people: list, minutes: bool) -> str | None:
    """A person's role outside attendance lists: a title from the parse, else the nearest cue in the sentence
    (not beyond the next person nor a list's), else a member's when they speak in a council's minutes."""
    role = _title_role(ent, cues, {i for e in people for i in range(e.start, e.end)} - set(range(ent.start, ent.end)))
    if role is None:
        listed = _listed_with(doc, ent, people)
        clause, high = _clause(doc, listed, ent.end)
        low = max([clause, *(e.end for e in people if e.end <= listed)])
        high = min([high, *(e.start for e in people if e.start >= ent.end)])
        if minutes and _speaks_in_council(ent):  # "M. Papin s'interroge sur le déménagement de l'agent": what
            high = next((t.i for t in doc[ent.end : high] if _is_speech(t)), high)  # they speak of
        high = _others_from(doc, ent.end, high)
        someone_before = low > clause  # another person earlier in the clause: a title before the verb is theirs
        low = _others_until(doc, low, listed)
        if someone_before:
            low = _after_verb(doc, low, listed)
        role = cues.nearest(doc[low : ent.start].text, doc[ent.end : high].text)
    if role is None and minutes and _speaks_in_council(ent):
        role = "elu"
    return role


# Words that bring in another party: a cue beyond them is that party's ("préparées par Camille avec la chambre et
# la DDT"), not the person's; "et" / "ou" only right beside the name ("le maire et Camille"), and not between the
# people of a list nor between two titles of the person ("éleveur à Lormagne et élu à la chambre").
_WITH = {"avec", "auprès", "aupres", "contre", "sans", "entre", "ainsi", "côtés", "cotes"}
_AND = {"et", "ou"}


def _others_from(doc, start: int, end: int) -> int:
    """Where another party comes in after a name that ends at `start`, within [start, end) (else `end`)."""
    joined = next((t for t in doc[start:end] if not (t.is_punct or t.is_space)), None)
    if joined is not None and joined.lower_ in _AND and not _person_beyond(doc, joined.i, step=1):
        return joined.i
    return next((t.i for t in doc[start:end] if t.lower_ in _WITH), end)


def _others_until(doc, start: int, end: int) -> int:
    """Where the words about a name that starts at `end` begin, after any other party in [start, end)."""
    joined = next((t for t in reversed(doc[start:end]) if not (t.is_punct or t.is_space)), None)
    if joined is not None and joined.lower_ in _AND and not _person_beyond(doc, joined.i, step=-1):
        return joined.i + 1
    return next((t.i + 1 for t in reversed(doc[start:end]) if t.lower_ in _WITH), start)


def _after_verb(doc, start: int, end: int) -> int:
    """Where the words about a name that starts at `end` begin, after the last conjugated verb in [start, end):
    a title before it is its subject's ("Paul Martin, maire, a rencontré Sophie Leroy"), when the subject is
    another person."""
    verbs = (t.i + 1 for t in reversed(doc[start:end]) if t.pos_ in ("VERB", "AUX") and "Fin" in t.morph.get("VerbForm"))
    return next(verbs, start)


def _person_beyond(doc, i: int, *, step: int) -> bool:
    """The word past the "et" at `i` (civilities and punctuation aside) belongs to a person: a list of people."""
    i += step
    while 0 <= i < len(doc) and (doc[i].is_punct or doc[i].is_space or doc[i].lower_ in _CIVILITIES):
        i += step
    return 0 <= i < len(doc) and doc[i].ent_type_ == "PER"


def _beside(ent, token) -> bool:
    """A word linked to the name through another party ("le maire et Paul Martin", "Camille avec la DDT")."""
    if token.i >= ent.end:
        return _others_from(ent.doc, ent.end, token.i + 1) <= token.i
    return _others_until(ent.doc, token.i, ent.start) > token.i


# Cues of council attendance and membership: in a passage that holds one, a person named after it whom no
# other rule gives a role is an elected member (for lists the attendance rule does not delimit: names without
# a civility over several lines, rapporteurs).
_MEMBERSHIP = phrase_pattern([
    "étaient présents", "etaient presents", "présents :", "membres présents", "absents excusés", "absent excusé",
    "absente excusée", "excusés", "pouvoir à", "a donné pouvoir", "ont donné pouvoir", "secrétaire de séance",
    "les membres de la commission", "membres du bureau", "conseillers présents", "élus présents",
    "rapporteur :", "rapporteure :", "rapporteur",
])


def _member_after_a_cue(doc, ent) -> str | None:
    """The line of the membership cue before the person, when there is one (the evidence of `elu`) and the
    attendance rule delimited no list before the person (then who is after the lists is not in them)."""
    text = doc.text
    if any(s.label_ == rules.MEMBERS and s.end <= ent.start for s in doc.spans.get(ATTENDANCE, [])):
        return None
    cue = _MEMBERSHIP.search(fold(text))
    if cue is None or cue.start() >= ent.start_char:
        return None
    line_start = text.rfind("\n", 0, cue.start()) + 1
    line_end = text.find("\n", cue.end())
    return one_line(text[line_start : line_end if line_end >= 0 else len(text)])[:300]


class ActorExtractor:
    """People, organisations and places of texts, with their roles: the rules' (`patrimoine_roles`), and for
    the people and organisations they leave without one, the trained role classifier's when it is given and
    sure enough (its evidence is the mention's sentence, prefixed `role classifier: `)."""

    def __init__(self, nlp, cues: RoleCues, roles: RoleClassifier | None = None) -> None:
        self._nlp = nlp
        self.roles = roles
        if "patrimoine_roles" in nlp.pipe_names and nlp.get_pipe("patrimoine_roles").cues is None:
            nlp.get_pipe("patrimoine_roles").cues = cues

    def predict(self, texts: list[str]) -> list[list[ActorMention]]:
        found = [self._mentions(doc) for doc in self._nlp.pipe(texts, batch_size=16)]
        if self.roles is not None:
            self._classify_roles(found)
        results = []
        for mentions, _ in found:
            _roles_of_acronyms(mentions)
            results.append(list(mentions.values()))
        return results

    def _mentions(self, doc) -> tuple[dict[tuple[str, str], ActorMention], list[tuple[tuple[str, str], MentionContext]]]:
        """The mentions of a doc by (name, kind), and the context of each entity of a person or an
        organisation (for the role classifier)."""
        mentions: dict[tuple[str, str], ActorMention] = {}
        contexts: list[tuple[tuple[str, str], MentionContext]] = []
        minutes = is_minutes(doc.text) if self.roles is not None else False
        for acronym, long_form, kind in _acronym_pairs(doc):
            mentions[(acronym, kind)] = ActorMention(name=acronym, kind=kind, same_as=long_form)
        for ent in doc.ents:
            kind = _KINDS.get(ent.label_)
            name = _name_of(ent)
            if kind is None or name is None:
                continue
            role = ent._.role
            key = (name, kind)
            if key not in mentions or (role and not mentions[key].role):
                same_as = mentions[key].same_as if key in mentions else None
                mentions[key] = ActorMention(
                    name=name, kind=kind, role=role, evidence=ent._.role_evidence, same_as=same_as
                )
            if self.roles is not None and kind != "place":
                contexts.append((key, context_of(doc.text, ent.start_char, ent.end_char, kind, minutes=minutes)))
        renamed = _one_person_per_passage(mentions)
        return mentions, [(renamed.get(key, key), context) for key, context in contexts]

    def _classify_roles(self, found) -> None:
        """The classifier's role for each mention without one, read from the context of its entity where the
        classifier is surest; never over a role the rules gave."""
        asked = [(i, key, context) for i, (mentions, contexts) in enumerate(found) for key, context in contexts
                 if key in mentions and not mentions[key].role]
        best: dict[tuple[int, tuple[str, str]], tuple[float, str | None, MentionContext]] = {}
        for (i, key, context), (role, probability) in zip(asked, self.roles.predict([c for _, _, c in asked]), strict=True):
            confidence = probability if role else -1.0
            if (i, key) not in best or confidence > best[(i, key)][0]:
                best[(i, key)] = (confidence, role, context)
        for (i, key), (_, role, context) in best.items():
            if role:
                mention = found[i][0][key]
                found[i][0][key] = ActorMention(mention.name, mention.kind, role, EVIDENCE_PREFIX + context.sentence,
                                                mention.same_as)


def _roles_of_acronyms(mentions: dict[tuple[str, str], ActorMention]) -> None:
    """An acronym takes the role its long form shows."""
    for key, mention in mentions.items():
        long_form = mentions.get((mention.same_as, mention.kind)) if mention.same_as else None
        if long_form is not None and long_form.role and not mention.role:
            mentions[key] = ActorMention(mention.name, mention.kind, long_form.role, long_form.evidence, mention.same_as)


def _one_person_per_passage(mentions: dict[tuple[str, str], ActorMention]) -> dict[tuple[str, str], tuple[str, str]]:
    """"GOUPIL" then "Sylvain GOUPIL" in one passage are one person, named as first written (keeping a role).
    Returns the keys dropped, each with the key it joined."""
    people = [key for key in mentions if key[1] == "person"]
    joined: dict[tuple[str, str], tuple[str, str]] = {}
    for i, first in enumerate(people):
        if first not in mentions:
            continue
        words = set(normalise(first[0]).split())
        for later in people[i + 1 :]:
            other = set(normalise(later[0]).split())
            if later in mentions and words and other and (words <= other or other <= words):
                kept, dropped = mentions[first], mentions.pop(later)
                joined[later] = first
                if dropped.role and not kept.role:
                    mentions[first] = ActorMention(kept.name, kept.kind, dropped.role, dropped.evidence, kept.same_as)
    return joined


def _acronym_pairs(doc) -> list[tuple[str, str, str]]:
    """(acronym, long form, kind) of each body the text names both ways: "Long Form (ACR)" or "ACR (Long Form)"."""
    pairs = []
    plans, _ = _plan_acronyms(doc)
    ents = [e for e in doc.ents if e.label_ == "ORG"]
    by_start = {e.start: e for e in ents}
    for ent in ents:
        name = one_line(ent.text) if ent.id_ in _TRUSTED else clean_name(ent.text)
        if name is None or ent.end + 2 >= len(doc) or doc[ent.end].text != "(":
            continue
        inside = doc[ent.end + 1]
        closing = doc[ent.end + 2] if ent.end + 2 < len(doc) else None
        if inside.text in plans:
            continue
        if closing is not None and closing.text == ")" and is_acronym(inside.text) and not is_acronym(name):
            pairs.append((inside.text, name, "organisation"))
        elif is_acronym(name) and ent.end + 1 in by_start:
            long_ent = by_start[ent.end + 1]
            long_name = clean_name(long_ent.text) if long_ent.id_ not in _TRUSTED else one_line(long_ent.text)
            if long_name and long_ent.end < len(doc) and doc[long_ent.end].text == ")":
                pairs.append((name, long_name, "organisation"))
    return pairs


class PracticeLemmas:
    """Practices of models/practices.yaml found by their lemmas: "territoires pilotes" is "territoire pilote"."""

    _ANALYSIS_ONLY = ("parser", "ner", "entity_ruler", "patrimoine_names", "patrimoine_actor_filter", "patrimoine_roles")

    def __init__(self, nlp, entries: list[dict]) -> None:
        self._nlp = nlp
        self._disabled = [name for name in self._ANALYSIS_ONLY if name in nlp.pipe_names]
        self._matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self._names: list[str] = []
        for entry in entries:
            phrases = [entry["name"], *entry.get("variants", [])]
            docs = [d for d in nlp.pipe(phrases, disable=self._disabled) if len(d) > 1]  # one word: the regex
            if docs:
                self._matcher.add(entry["name"], [self._lowered(d) for d in docs])
                self._names.append(entry["name"])

    def _lowered(self, doc):
        for token in doc:
            token.lemma_ = fold(token.lemma_)
        return doc

    def predict(self, texts: list[str]) -> list[list[str]]:
        return self.predict_with_terms(texts)[0]

    def predict_with_terms(
        self, texts: list[str], terms: NounPhrases | None = None
    ) -> tuple[list[list[str]], list[list[NounPhrase]]]:
        """The practices of each text and, with `terms`, its candidate terms outside them (one tagger pass)."""
        results, candidates = [], []
        for doc in self._nlp.pipe(texts, batch_size=16, disable=self._disabled):
            doc = self._lowered(doc)
            matches = self._matcher(doc)
            found = {self._nlp.vocab.strings[match_id] for match_id, _, _ in matches}
            results.append([name for name in self._names if name in found])
            candidates.append(terms.find(doc, taken=[(start, end) for _, start, end in matches]) if terms else [])
        return results, candidates


# --- candidate practices: terms of the passages that the taxonomy does not list yet ---------------

_LINKS = {"de": "de", "du": "de", "des": "de", "d'": "de", "d’": "de", "à": "a", "au": "a", "aux": "a", "en": "en"}
_ARTICLES = ["la", "le", "les", "l'", "l’"]
_NOUN = {"POS": "NOUN", "IS_ALPHA": True}
_ADJECTIVE = {"POS": "ADJ", "IS_ALPHA": True}
_LINK_TOKEN = {"LOWER": {"IN": sorted(_LINKS)}}
_ARTICLE_TOKEN = {"LOWER": {"IN": _ARTICLES}, "OP": "?"}
_COMPOUND = [_NOUN, {"ORTH": "-"}, _NOUN]  # "recherche" "-" "action"
_TERM_PATTERNS = [
    [_NOUN, _ADJECTIVE, {**_ADJECTIVE, "OP": "?"}],  # "budget participatif", "approche systémique"
    [_NOUN, {**_ADJECTIVE, "OP": "?"}, _LINK_TOKEN, _ARTICLE_TOKEN, _NOUN, {**_ADJECTIVE, "OP": "?"}],  # "fresque du climat"
    [*_COMPOUND, {**_ADJECTIVE, "OP": "?"}],
    [{"POS": "NOUN", "TEXT": {"REGEX": r"^\w+-\w[\w-]*$"}}, {**_ADJECTIVE, "OP": "?"}],  # "tiers-lieux" in one token
]
_LINE_OR_SENTENCE_START = {"\n", ".", ":", "!", "?", "•", "-", "–", "—", ";", "(", "«", "\"", "/"}


class NounPhrases:
    """Candidate practices: the terms of a passage (a noun with its adjectives, "budget participatif"; with
    its complement, "ateliers de cartographie"; a compound noun, "recherche-action"), each with a key made
    of its folded lemmas ("atelier de cartographie") so that inflected forms count as one.

    Junk is left out: numbers and dates, words in capitals or capitalised inside a sentence (names,
    headings), stop words, the generic nouns and adjectives and the `not_practices` of
    models/practice_candidates.yaml, and the `never` phrases (titles and bodies of the role and organisation
    lexicons). Reads the part-of-speech tags and lemmas of a doc; writes nothing."""

    def __init__(self, nlp, lexicon: dict, *, never: list[str] = ()) -> None:
        self._nlp = nlp
        self._disabled = [name for name in PracticeLemmas._ANALYSIS_ONLY if name in nlp.pipe_names]
        self._matcher = Matcher(nlp.vocab)
        self._matcher.add("TERM", _TERM_PATTERNS)
        self._generic_nouns = {fold(word) for word in lexicon.get("generic_nouns", [])}
        self._generic_adjectives = {fold(word) for word in lexicon.get("generic_adjectives", [])}
        phrases = [*lexicon.get("not_practices", []), *never]
        self._never = {_term_key(list(doc)) for doc in nlp.pipe(phrases, disable=self._disabled)}

    def key(self, phrase: str) -> str:
        """The key of a phrase written by staff (a practice's name or synonym), as terms of passages get it."""
        return _term_key(list(self._nlp(phrase, disable=self._disabled)))

    def find(self, doc, *, taken: list[tuple[int, int]] = ()) -> list[NounPhrase]:
        """The candidate terms of a doc, one per key, none overlapping a `taken` token range (the practices
        already found). Nested terms count too: "marche exploratoire de femmes" is also "marche exploratoire"."""
        blocked = {i for start, end in taken for i in range(start, end)}
        spans = [doc[start:end] for _, start, end in self._matcher(doc) if not blocked & set(range(start, end))]
        found: dict[str, NounPhrase] = {}
        for span in sorted(spans, key=lambda s: (s.start, s.end)):
            if self._plausible(span):
                key = _term_key(list(span))
                if key not in self._never:
                    found.setdefault(key, NounPhrase(key=key, text=span.text))
        return list(found.values())

    def _plausible(self, span) -> bool:
        for position, token in enumerate(span):
            if token.text == "-" or token.lower_ in _LINKS or token.lower_ in _ARTICLES:
                if token.text == "-" and (token.whitespace_ or span.doc[token.i - 1].whitespace_):
                    return False  # a dash between words, not a compound
                continue
            lemma = fold(token.lemma_)
            if len(token.text) < 3 or token.like_num or token.is_stop or lemma in _MONTHS_AND_DAYS:
                return False
            if (token.pos_ == "NOUN" and lemma in self._generic_nouns) or lemma in self._generic_adjectives:
                return False
            if any(c.isupper() for c in token.text) and not (position == 0 and token.is_title and _starts_a_sentence(token)):
                return False  # a name, an acronym or a heading in capitals
        return True


def _starts_a_sentence(token) -> bool:
    if token.i == 0:
        return True
    before = token.doc[token.i - 1]
    return before.is_space or "\n" in before.text_with_ws or before.text in _LINE_OR_SENTENCE_START


def _term_key(tokens) -> str:
    """Folded lemmas of a term, link words reduced ("du", "des", "d'" -> "de"), articles dropped,
    compounds kept whole: "Fresques du climat" -> "fresque de climat"."""
    words: list[str] = []
    glued = False  # the previous token is a hyphen that touches the next word
    for token in tokens:
        lower = token.lower_
        if lower in _ARTICLES or token.is_space:
            continue
        word = _LINKS.get(lower) or fold(token.lemma_ if token.pos_ in ("NOUN", "ADJ", "VERB") else token.text)
        if words and (glued or (token.text == "-" and not token.doc[token.i - 1].whitespace_)):
            words[-1] += word
        else:
            words.append(word)
        glued = token.text == "-" and not token.whitespace_
    return " ".join(words)


# --- the fine-tuned NER ---------------------------------------------------------------------------------

NER_DIR = "ner"  # under models/
NER_META = "meta.json"
_NER_LABELS = {"person": "PER", "organisation": "ORG", "place": "LOC"}


def _base_model(nlp, name: str) -> str:
    return f"{nlp.meta.get('lang', '')}_{nlp.meta.get('name', name)}-{nlp.meta.get('version', '')}"


def ner_reference(nlp, text: str, actors: list[tuple[str, str]]):
    """The gold doc of a passage for NER training: every occurrence of each gold actor's surface form
    (`(text, kind)`) is an entity; what spaCy's own NER finds elsewhere is left unknown (missing) when it
    shares a word with a gold actor (another form of a name the gold lists once: "BOURBIER" beside
    "Michèle BOURBIER"), and every other token is outside any entity (headings, plans, assemblies)."""
    doc = nlp.make_doc(text)
    spans = []
    for surface, kind in actors:
        for match in re.finditer(re.escape(surface), text):
            span = doc.char_span(match.start(), match.end(), label=_NER_LABELS[kind], alignment_mode="contract")
            if span is None or not len(span):  # a name glued to its civility in one token: "M.TANGUY"
                span = doc.char_span(match.start(), match.end(), label=_NER_LABELS[kind], alignment_mode="expand")
                if span is None or not _HONORIFIC.match(span.text[: len(span.text) - len(surface)] + " "):
                    continue
            spans.append(span)
    spans = filter_spans(spans)
    words = {w.lower() for surface, _ in actors for w in re.findall(r"\w+", surface) if len(w) > 2}
    with nlp.select_pipes(enable=["ner"]):  # spaCy's NER has its own token vectors
        guessed = nlp(text).ents
    unknown = [
        doc[e.start : e.end] for e in guessed
        if not any(e.start < x.end and x.start < e.end for x in spans) and any(t.lower_ in words for t in e)
    ]
    doc.set_ents(spans, missing=unknown, default="outside")
    return doc


def train_ner(name: str, passages: list[tuple[str, list[tuple[str, str]]]], *, epochs: int = 10, seed: int = 0):
    """spaCy's NER of model `name` fine-tuned on gold passages (`(text, [(surface, kind)])`), with a fixed
    seed; returns the pipeline (only its `ner` changed) and the loss of each epoch."""
    nlp = _spacy_model(name)
    spacy.util.fix_random_seed(seed)
    examples = [Example(nlp.make_doc(text), ner_reference(nlp, text, actors)) for text, actors in passages]
    order = random.Random(seed)
    losses_by_epoch = []
    with nlp.select_pipes(enable=["ner"]):
        optimizer = nlp.resume_training()
        for _ in range(epochs):
            order.shuffle(examples)
            losses: dict[str, float] = {}
            for batch in spacy.util.minibatch(examples, size=8):
                nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
            losses_by_epoch.append(float(losses.get("ner", 0.0)))
    return nlp, losses_by_epoch


def save_ner(nlp, name: str, directory: Path, info: dict) -> Path:
    """Write the pipeline's NER and what it was fine-tuned from (`info` is added to the meta file)."""
    directory.mkdir(parents=True, exist_ok=True)
    nlp.get_pipe("ner").to_disk(directory / "ner", exclude=["vocab"])  # the base model's vocabulary and vectors
    meta = {"base_model": _base_model(nlp, name), **info}
    (directory / NER_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return directory


def _load_ner(nlp, name: str, directory: Path) -> None:
    meta_path = directory / NER_META
    if not meta_path.exists() or not (directory / "ner").is_dir():
        raise ModelUnavailable(f"{directory}: no fine-tuned NER here (run `patrimoine train ner`)")
    base = json.loads(meta_path.read_text(encoding="utf-8")).get("base_model")
    if base != _base_model(nlp, name):
        raise ModelUnavailable(
            f"{directory}: the NER was fine-tuned from {base}, not from the installed {_base_model(nlp, name)}; "
            "run `patrimoine train ner` again or set PATRIMOINE_NER=spacy"
        )
    nlp.get_pipe("ner").from_disk(directory / "ner", exclude=["vocab"])
