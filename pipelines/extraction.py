"""Actors (people, organisations, places) and their roles, with spaCy `fr_core_news_md`.

The only module that imports spacy. `predict(texts)` is pure: it returns mentions and writes nothing.

The pipeline is spaCy's own, with three registered components around its statistical NER:

- an EntityRuler before `ner`: the public bodies and networks of `models/organisations.yaml`, and people
  introduced by a civility ("M. GOUPIL", "Madame Sylvie VALENTE LE HIR");
- `patrimoine_names` after `ner`: person names cut across lines or ending in capitals rejoined
  ("Jean- François Caron", "Sylvie Valente Le-\\nHir"), titles and stray tokens trimmed from names, entities
  cut at a line break that ends a heading or a list item;
- `patrimoine_actor_filter`: headings in capitals, month and day names, URL fragments, single common
  nouns, deliberative assemblies and generic categories dropped; places and people whose name says
  they are a body relabelled organisations;
- `patrimoine_roles`: each actor's role and the sentence that shows it, from the dependency parse
  (appositions and titles attached to the name), the nearest cue of `models/roles.yaml`, or the
  attendance list of a council it belongs to.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Span
from spacy.util import filter_spans

from pipelines.actors import is_acronym, normalise
from pipelines.errors import ModelUnavailable
from pipelines.lexicons import load_yaml, phrase_pattern
from pipelines.text import fold, one_line
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
_CIVILITIES = ["m.", "mm.", "mme", "mmes", "mlle", "monsieur", "messieurs", "madame", "mesdames", "mademoiselle"]
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
    r"(premiere |deuxieme |seconde |troisieme )?assemblee|mise en place|signature|reunion|seance)\b"
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
# Council attendance and membership lists: every person named after them is an elected member.
_ATTENDANCE = phrase_pattern([
    "étaient présents", "etaient presents", "présents :", "membres présents", "absents excusés", "absent excusé",
    "absente excusée", "excusés", "pouvoir à", "a donné pouvoir", "ont donné pouvoir", "secrétaire de séance",
    "les membres de la commission", "membres du bureau", "conseillers présents", "élus présents",
    "rapporteur :", "rapporteure :", "rapporteur",
])
_OF = {"LOWER": {"IN": ["de", "du", "des", "d'", "d’"]}}
_ARTICLE = {"LOWER": {"IN": ["la", "l'", "l’", "le", "les"]}}
_PROPER = {"IS_TITLE": True, "OP": "+"}
_LINK = {"LOWER": {"IN": ["de", "du", "des", "d'", "d’", "et", "sur", "en", "lès", "les", "-", "la", "l'", "l’"]}, "OP": "+"}
# What follows a body's head word: "de la Haute-Saône", "des Lisières de l'Oise", "du Val de Vérlane".
_NAME_TAILS = [
    [_OF, _PROPER],
    [_OF, _ARTICLE, _PROPER],
    [_OF, _PROPER, _LINK, _PROPER],
    [_OF, _ARTICLE, _PROPER, _LINK, _PROPER],
]
LEXICON_ID = "lexicon"  # entities found by the EntityRuler of models/organisations.yaml
CIVILITY_ID = "civility"  # people found by the civility rule of the EntityRuler
_WINDOW = 12  # tokens around a person's name searched for a role cue

for _name in ("role", "role_evidence"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)


@functools.lru_cache(maxsize=2)
def load_nlp(name: str, organisations: Path | None = None, roles: Path | None = None):
    """The spaCy pipeline with the rules of this module (see the module's docstring)."""
    try:
        nlp = spacy.load(name)
    except OSError as exc:
        raise ModelUnavailable(f"spaCy model {name!r} is not installed ({exc})") from exc
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
    ]
    not_actors: list[str] = []
    if organisations is not None:
        lexicon = load_yaml(organisations)
        patterns += [{"label": "ORG", "pattern": acronym, "id": LEXICON_ID} for acronym in lexicon.get("acronyms", [])]
        patterns += [
            {"label": "ORG", "pattern": _words_across_lines(nlp, phrase), "id": LEXICON_ID}
            for phrase in lexicon.get("phrases", [])
        ]
        for head in lexicon.get("heads", []):
            words = _words_across_lines(nlp, head)
            patterns += [{"label": "ORG", "id": LEXICON_ID, "pattern": [*words, *tail]} for tail in _NAME_TAILS]
        not_actors = [fold(word) for word in lexicon.get("not_actors", [])]
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    nlp.add_pipe("patrimoine_names", after="ner")
    nlp.add_pipe("patrimoine_actor_filter", after="patrimoine_names", config={"not_actors": not_actors})
    nlp.add_pipe("patrimoine_roles", after="patrimoine_actor_filter", config={"roles": str(roles) if roles else None})
    return nlp


def _words_across_lines(nlp, phrase: str) -> list[dict]:
    """A token pattern of the phrase, case-insensitive, that also matches it cut by a line break."""
    pattern: list[dict] = []
    for token in nlp.make_doc(phrase):
        if pattern:
            pattern.append({"IS_SPACE": True, "OP": "?"})
        pattern.append({"LOWER": token.lower_})
    return pattern


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


def clean_name(text: str) -> str | None:
    """The entity's text tidied, or None when it is not a plausible actor name."""
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
    if name.isupper() and (" " in name or len(name) > 6):  # a heading in capitals, not an acronym
        return None
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
                elif token.text == "-" and nxt is not None and (nxt.is_title or nxt.is_upper):
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
        # Cut at a line break that ends a heading or a list item, not inside "de la\nMer" or "Le-\nHir".
        for i in range(start, end - 1):
            if not doc[i].is_space and ("\n" in doc[i].text_with_ws or doc[i + 1].is_space):
                if doc[i].lower_ not in _CONNECTORS and not doc[i].text.endswith("-"):
                    end = i + 1
                    break
        while end > start and (doc[end - 1].is_space or doc[end - 1].is_punct):
            end -= 1
        if end > start:
            spans.append(Span(doc, start, end, label=label, span_id=ent.id_))
    bodies = _bodies_in_capitals(doc, spans)
    covered = {i for span in bodies for i in range(span.start, span.end)}
    spans = [s for s in spans if not covered & set(range(s.start, s.end))] + bodies
    doc.ents = filter_spans(_split_place_lists(doc, _merge_cut_names(doc, spans)))
    return doc


_BODY_NOUNS = {"entreprise", "entreprises", "société", "association", "scop", "scic", "sarl", "sas", "cabinet",
               "bureau", "coopérative", "fédération", "réseau", "groupe", "agence", "start-up", "startup"}


def _bodies_in_capitals(doc, spans: list[Span]) -> list[Span]:
    """A name in capitals right after a word that says what it is: "l'entreprise LUXEL", "la société ARESCOP"."""
    taken = {i for span in spans if span.label_ != "MISC" for i in range(span.start, span.end)}
    found = []
    for token in doc[:-1]:
        if token.lower_ in _BODY_NOUNS and token.i + 1 not in taken:
            end = token.i + 1
            while end < len(doc) and _is_upper_word(doc[end]) and end not in taken:
                end += 1
            if end > token.i + 1:
                found.append(Span(doc, token.i + 1, end, label="ORG"))
    return found


# A French commune's compound name: "Cuise-la-Motte", "Aulx-lès-Cromary", "St-Crépin-aux-Bois".
_TOPONYM = re.compile(r"^[A-ZÀ-Þ][\w’']*(-(le|la|les|lès|lez|sur|sous|en|aux|au|de|du|des|d'|l')-|-(St|Ste|Saint|Sainte)-)[\w-]+$")


def _words(span: Span) -> list[Span]:
    """The span's whitespace-separated words (spaCy cuts "Trosly-Breuil" into three tokens)."""
    words, start = [], None
    for token in span:
        if token.is_space:
            continue
        if start is None:
            start = token.i
        if token.whitespace_ or token.i == span.end - 1 or span.doc[token.i + 1].is_space:
            words.append(span.doc[start : token.i + 1])
            start = None
    return words


def _split_place_lists(doc, spans: list[Span]) -> list[Span]:
    """A run of commune names that spaCy took for one entity becomes one place per name."""
    result = []
    for span in spans:
        words = _words(span)
        if (
            span.label_ in ("LOC", "PER", "MISC")
            and len(words) >= 2
            and any(_TOPONYM.match(w.text) for w in words)
            and all(w.text[:1].isupper() for w in words)
        ):
            result.extend(Span(doc, w.start, w.end, label="LOC") for w in words)
        else:
            result.append(span)
    return result


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


@Language.factory("patrimoine_actor_filter", default_config={"not_actors": []})
def make_actor_filter(nlp, name: str, not_actors: list[str]):
    """Drop what is not an actor; relabel bodies that spaCy took for places or people.
    `not_actors`: folded words of models/organisations.yaml that are never actors."""
    words = frozenset(not_actors)
    return lambda doc: filter_actors(doc, words)


def filter_actors(doc, not_actor_words: frozenset[str] = frozenset()):
    kept = []
    for ent in doc.ents:
        if ent.label_ not in _KINDS:
            continue
        lexicon = ent.id_ == LEXICON_ID
        name = one_line(ent.text) if lexicon else clean_name(ent.text)
        if name is None:
            continue
        folded = fold(name)
        if folded in not_actor_words or (len(name) <= 2 and not lexicon):
            continue
        if folded == "etat" and _state_as_complement(ent):
            continue
        if not lexicon:
            if len(ent) == 1 and ent[0].pos_ not in ("PROPN", "X") and not ent[0].is_upper and not _TOPONYM.match(ent.text):
                continue  # a single common word ("Pilotés", "Rapporteure", "Délibération")
            if _NOT_ACTORS.match(folded) or folded.split()[0] in _TITLE_WORDS:
                continue
            first = next((t for t in ent if not _HONORIFIC.match(t.text + " ")), ent[0])
            if first.pos_ == "NOUN" and "Plur" in first.morph.get("Number") and not first.is_upper:
                continue  # a generic plural ("Entreprises", "Collectivités", "Conseils départementaux")
        label = ent.label_
        if _HONORIFIC.match(one_line(ent.text)):
            label = "PER"  # "M.TANGUY", "Monsieur GOUPIL"
        elif label in ("LOC", "PER") and ent.id_ != CIVILITY_ID and _ORGANISATION_WORDS.search(folded):
            label = "ORG"
        elif label == "LOC" and name.isupper() and name.isalpha() and 2 < len(name) <= 6:
            label = "ORG"  # an acronym ("CCLO", "RNSA"): places are seldom written so
        kept.append(Span(doc, ent.start, ent.end, label=label, span_id=ent.id_))
    doc.ents = kept
    return doc


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
    """"les services de l'État", "agents de l'Etat", "l'État territorial": a category, not the State acting."""
    doc = ent.doc
    before = [t.lower_ for t in doc[max(0, ent.start - 2) : ent.start]]
    after = doc[ent.end].lower_ if ent.end < len(doc) else ""
    return (len(before) == 2 and before[1] in ("l'", "l’") and before[0] in ("de", "des", "du")) or after in (
        "territorial", "territoriale"
    )


def _title_role(ent, cues: RoleCues) -> str | None:
    """A role read from the parse: an apposition or modifier of the name, or the title the name depends on."""
    root = ent.root
    for child in root.children:
        if child.i >= ent.end and child.dep_ in ("appos", "acl", "nmod", "conj", "amod") or (
            child.i < ent.start and child.dep_ in ("appos", "nmod", "amod")
        ):
            words = list(child.subtree)[:8]
            role = cues.in_title(" ".join(t.text for t in words))
            if role:
                return role
    head = root.head
    if head is not root and head.dep_ != "ROOT" or root.dep_ in ("appos", "nmod", "flat:name"):
        if not (ent.start <= head.i < ent.end):
            return cues.in_title(head.text)
    return None


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
    text = doc.text
    attendance = _ATTENDANCE.search(fold(text)) if _ATTENDANCE is not None else None
    for ent in doc.ents:
        kind = _KINDS.get(ent.label_)
        role = None
        sentence = ent.sent
        evidence = one_line(sentence.text)
        if kind == "organisation":
            role = cues.in_name(ent.text)
            if role is None:  # "l'entreprise LUXEL", "la société ARESCOP", "des réseaux d'échange (BRUDED"
                left = doc[max(sentence.start, ent.start - 3) : ent.start].text
                role = cues.in_name(left)
                if role is None and ent.root.head.i < ent.start and ent.root.dep_ in ("appos", "nmod", "flat:name"):
                    role = cues.in_name(ent.root.head.text)
                if role is None:  # "Capt'air Bretagne est une association régionale"
                    role = _predicate_role(ent, cues)
        elif kind == "person":
            role = _title_role(ent, cues)
            if role is None:
                before = doc[max(sentence.start, ent.start - _WINDOW) : ent.start].text
                after = doc[ent.end : min(sentence.end, ent.end + _WINDOW)].text
                role = cues.nearest(before, after)
            if role is None and attendance is not None and attendance.start() < ent.start_char:
                role = "elu"
                line_start = text.rfind("\n", 0, attendance.start()) + 1
                line_end = text.find("\n", attendance.end())
                evidence = one_line(text[line_start : line_end if line_end >= 0 else len(text)])[:300]
        ent._.role = role
        ent._.role_evidence = evidence if role else None


class ActorExtractor:
    def __init__(self, nlp, cues: RoleCues) -> None:
        self._nlp = nlp
        if "patrimoine_roles" in nlp.pipe_names and nlp.get_pipe("patrimoine_roles").cues is None:
            nlp.get_pipe("patrimoine_roles").cues = cues

    def predict(self, texts: list[str]) -> list[list[ActorMention]]:
        return [self._mentions(doc) for doc in self._nlp.pipe(texts, batch_size=16)]

    def _mentions(self, doc) -> list[ActorMention]:
        mentions: dict[tuple[str, str], ActorMention] = {}
        for acronym, long_form, kind in _acronym_pairs(doc):
            mentions[(acronym, kind)] = ActorMention(name=acronym, kind=kind, same_as=long_form)
        for ent in doc.ents:
            kind = _KINDS.get(ent.label_)
            name = one_line(ent.text) if ent.id_ == LEXICON_ID else clean_name(ent.text)
            if kind is None or name is None:
                continue
            role = ent._.role
            key = (name, kind)
            if key not in mentions or (role and not mentions[key].role):
                same_as = mentions[key].same_as if key in mentions else None
                mentions[key] = ActorMention(
                    name=name, kind=kind, role=role, evidence=ent._.role_evidence, same_as=same_as
                )
        _one_person_per_passage(mentions)
        for key, mention in mentions.items():  # an acronym takes the role its long form shows
            long_form = mentions.get((mention.same_as, mention.kind)) if mention.same_as else None
            if long_form is not None and long_form.role and not mention.role:
                mentions[key] = ActorMention(mention.name, mention.kind, long_form.role, long_form.evidence, mention.same_as)
        return list(mentions.values())


def _one_person_per_passage(mentions: dict[tuple[str, str], ActorMention]) -> None:
    """"GOUPIL" then "Sylvain GOUPIL" in one passage are one person, named as first written (keeping a role)."""
    people = [key for key in mentions if key[1] == "person"]
    for i, first in enumerate(people):
        if first not in mentions:
            continue
        words = set(normalise(first[0]).split())
        for later in people[i + 1 :]:
            other = set(normalise(later[0]).split())
            if later in mentions and words and other and (words <= other or other <= words):
                kept, dropped = mentions[first], mentions.pop(later)
                if dropped.role and not kept.role:
                    mentions[first] = ActorMention(kept.name, kept.kind, dropped.role, dropped.evidence, kept.same_as)


def _acronym_pairs(doc) -> list[tuple[str, str, str]]:
    """(acronym, long form, kind) of each body the text names both ways: "Long Form (ACR)" or "ACR (Long Form)"."""
    pairs = []
    ents = [e for e in doc.ents if e.label_ == "ORG"]
    by_start = {e.start: e for e in ents}
    for ent in ents:
        name = one_line(ent.text) if ent.id_ == LEXICON_ID else clean_name(ent.text)
        if name is None or ent.end + 2 >= len(doc) or doc[ent.end].text != "(":
            continue
        inside = doc[ent.end + 1]
        closing = doc[ent.end + 2] if ent.end + 2 < len(doc) else None
        if closing is not None and closing.text == ")" and is_acronym(inside.text) and not is_acronym(name):
            pairs.append((inside.text, name, "organisation"))
        elif is_acronym(name) and ent.end + 1 in by_start:
            long_ent = by_start[ent.end + 1]
            long_name = clean_name(long_ent.text) if long_ent.id_ != LEXICON_ID else one_line(long_ent.text)
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
