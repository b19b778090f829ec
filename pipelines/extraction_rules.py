"""Rules that complete spaCy's entities with general French administrative knowledge. Pure: they read a
parsed doc (its tokens, parse and current entities) and return spans to set as `Found(start, end, label)`;
the registered components of pipelines/extraction.py (the only module that imports spacy) apply them.
Never a list of one document's names: words that say what a name is, and the shapes of French names.

- organisations: a body's name extended over its complements ("Agglomération de Compiègne" + "et de la
  Basse Automne", "Fédération de Haute-Saône pour la Pêche et la Protection du Milieu\\nAquatique"), also
  from a capitalised head spaCy left out ("Entente Oise Aisne"); the name after a word that says what it is
  ("l'association « Verger vivant »", "une association qui s'appelle Terres en Ville", "la SA PICARDIE
  HABITAT"), before one ("O’Tech, l’école de production") or in brackets after a person ("Xavier Delposen
  (Co-evolution)"); companies in capitals at the end of a table row ("Huiles moteur SEVIA", "GALLOO
  CLAIROIX / ALPHA METAL"); an acronym after an article ("de la CCPH"); a name said to be a body by a
  copula ("Capt’air Bretagne est une association"); "département de X" and "région X" as a place unless
  the body acts ("la région Bretagne a décidé", "subventionné par la région");
- places: regions, departments, basins and countries of models/places.yaml, not inside a longer name; the
  communes of France (models/communes.txt), a commune that acts being the local authority; the
  commune after a postal code ("60130 Saint Just en Chaussée"); the place of a letter's date line
  ("Vesoul, le 3 mars"); enumerations of communes ("Aïllevans Athesans-Étroitefontaine Aulx-lès-Cromary",
  "Autrêches, Bitry"); compound names written with spaces ("Dampvalley les Colombe"); the zones of an
  alert-zone table ("RM21 - Vosges haute-saonaises 10"); named sites ("Manoir de Ménez-Bras"), a body's
  premises ("sur le toit du centre hospitalier de Dinan"), names after a bearing ("à l'est de Tromao"),
  after "à" or a building ("l'église de Pierrefonds") and with a lower-case head ("du bassin
  Rhône-Méditerranée");
- names in capitals inside ordinary text are bodies ("la verrerie VERALLIA"), unless people, acronyms or words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from pipelines.lexicons import load_yaml
from pipelines.text import fold


class Found(NamedTuple):
    start: int
    end: int
    label: str


# --- shared word lists -------------------------------------------------------------------------------

ARTICLES = {"la", "le", "les", "l'", "l’"}
OF = {"de", "du", "des", "d'", "d’"}
# Words that head a body's official name and take complements: "Fédération de X pour la Y".
BODY_HEADS = {
    "agence", "agglomeration", "association", "caisse", "centre", "chambre", "collectif", "communaute", "commune",
    "compagnie", "conservatoire", "cooperative", "direction", "ecole", "entente", "etablissement", "federation",
    "fondation", "groupement", "initiative", "institut", "maison", "metropole", "mission", "mutuelle",
    "observatoire", "office", "parc", "pole", "reseau", "syndicat", "union", "universite",
}
# Heads that start another body: a name never runs on over "et la Région …".
_NEW_BODY = BODY_HEADS | {"region", "departement", "conseil", "prefecture", "ville", "etat", "mairie"}
# Words that say that the name after them is a body's: "l'association l'Equipe", "la société ARESCOP".
BODY_NOUNS = {
    "association", "societe", "entreprise", "entreprises", "cooperative", "scop", "scic", "sarl", "sas", "cabinet",
    "reseau", "collectif", "groupe", "fondation", "start-up", "startup", "prestataire", "delegataire", "federation",
    "compagnie", "agence",
}
# Legal forms written before a company's name ("SA PICARDIE HABITAT", "SCOP ARESCOP"); the name is what follows.
LEGAL_FORMS = {"SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SCOP", "SCIC", "SEM", "SEML", "SPL", "GAEC", "SNC"}
_CARDINAL = {"nord", "sud", "est", "ouest", "centre"}
# Words written with a capital at a line's or a heading's start that never continue a name.
FUNCTION_WORDS = {"sous", "sur", "dans", "pour", "par", "avec", "le", "la", "les", "un", "une", "des", "au", "aux", "et",
                   "ou", "en", "de", "du", "ce", "cette", "il", "elle", "on", "nous", "vous", "ils", "elles", "qui"}
BEARINGS = {"nord", "sud", "est", "ouest", "nord-est", "nord-ouest", "sud-est", "sud-ouest"}
# Named sites used as locations when their head is written with a capital: "Manoir de Ménez-Bras".
SITE_HEADS = {"manoir", "chateau", "domaine", "abbaye", "moulin", "ferme", "hameau", "lieu-dit", "etang", "foret",
              "vallee", "anse", "pointe", "ile", "prieure", "chapelle", "fort"}
# A body acts: subject of one of these verbs, agent of a passive, or "auprès du Département".
ACTING_VERBS = {
    "decider", "financer", "cofinancer", "subventionner", "soutenir", "accompagner", "accorder", "octroyer",
    "verser", "attribuer", "signer", "voter", "porter", "lancer", "engager", "participer", "proposer",
    "valider", "approuver", "prendre", "piloter", "organiser", "mettre", "choisir", "refuser", "aider",
}
# Common nouns that head a place's name in lower case: "bassin Rhône-Méditerranée", "vallées Doubs Ognon Loue".
GEO_HEADS = {"bassin", "vallee", "vallees", "plateau", "massif", "canton", "pays", "baie", "cote", "marais", "estuaire",
             "golfe", "plaine", "littoral", "val", "monts", "presqu'ile"}


def words_of(doc, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The whitespace-separated words of doc[start:end] as token ranges ("Trosly-Breuil" is three tokens)."""
    end = len(doc) if end is None else end
    words, first = [], None
    for i in range(start, end):
        token = doc[i]
        if token.is_space:
            continue
        if first is None:
            first = i
        if token.whitespace_ or i == end - 1 or doc[i + 1].is_space:
            words.append((first, i + 1))
            first = None
    return words


def is_title_word(text: str) -> bool:
    """A capitalised word, hyphenated parts allowed: "Aulx-lès-Cromary", "Tracy-Le-Mont", "Autrêches"."""
    if len(text) < 2 or not text[0].isupper() or text.endswith("-") or text.startswith("-"):
        return False
    head = re.split(r"[-’']", text)[0]
    return all(c.isalpha() or c in "-’'" for c in text) and (len(head) == 1 or head[1:].islower() or head in ("St", "Ste"))


# A commune's compound name: "Cuise-la-Motte", "Aulx-lès-Cromary", "St-Crépin-aux-Bois", "Saint-Étienne-Roilaye".
TOPONYM = re.compile(
    r"^[A-ZÀ-Þ][\w’']*(-(le|la|les|lès|lez|sur|sous|en|aux|au|de|du|des|d'|l'|Le|La|Les|Sur|Sous)-"
    r"|-(St|Ste|Saint|Sainte)-)[\w-]+$|^(St|Ste|Saint|Sainte)-[A-ZÀ-Þ][\w’'-]+$"
)
# A name of capitalised parts joined by hyphens: "Loulans-Verchamp", "Broye-Aubigney-Montseugny".
_COMPOUND = re.compile(r"^[A-ZÀ-Þ][a-zß-ÿ’']+(-[A-ZÀ-Þ][a-zß-ÿ’']+)+$")
_ENUM_SEPARATORS = {",", ";", "et", "/"}
_LINE_BULLETS = {"•", "-", "–", "—", "➔", "→", "▪", "*", "o"}


def line_start(doc, i: int) -> bool:
    """Token i starts a line (after bullets, list numbers or spaces)."""
    j = i - 1
    while j >= 0 and not doc[j].is_space and (doc[j].text in _LINE_BULLETS or doc[j].like_num or doc[j].text in ".)"):
        j -= 1
    return j < 0 or "\n" in doc[j].text_with_ws or doc[j].is_space


def _next_word(doc, i: int):
    return doc[i] if i < len(doc) else None


# --- organisations ------------------------------------------------------------------------------------


def extend_body_names(doc, ents) -> list[Found]:
    """Bodies whose name spaCy cut short, extended over their complements with capitals
    ("Agglomération de Compiègne" + "et de la Basse Automne", "Entente Oise" + "Aisne", "Initiative Oise" + "Est")."""
    found = []
    for ent in ents:
        if ent.label_ == "PER":
            continue
        first = ent.start + (1 if fold(ent[0].text) in ARTICLES and len(ent) > 1 else 0)
        if fold(doc[first].text) not in BODY_HEADS:
            continue
        end = _name_tail(doc, ent.end)
        if fold(doc[first].text) == "commune":  # a commune's name ends its line ("commune de Bitry\nSommaire"); a
            end = next((k for k in range(ent.end, end) if doc[k].is_space), end)  # line break is a token of its own
        if end > ent.end:
            found.append(Found(ent.start, end, "ORG"))
    return found


def _name_tail(doc, i: int) -> int:
    """The end of a body's name continued from token i: links followed by capitalised words, capitalised
    words, a line break inside the name ("du Milieu\\nAquatique,")."""
    end = i
    while i < len(doc):
        token = doc[i]
        if token.is_space:
            nxt = _next_word(doc, i + 1)
            after = _next_word(doc, i + 2)
            if (
                "\n" in token.text and nxt is not None and nxt.is_title and nxt.pos_ in ("ADJ", "NOUN", "PROPN")
                and (after is None or after.is_punct or after.is_space or "\n" in nxt.whitespace_)
                and doc[i - 1].is_title
            ):
                i += 1
                continue
            break
        if "\n" in doc[i - 1].whitespace_ and not (doc[i - 1].lower_ in OF | ARTICLES):
            break  # a line break after a complete word ends the name
        low = token.lower_
        if token.is_title or (token.is_upper and token.is_alpha and len(token) > 1):
            if fold(token.text) in _NEW_BODY and doc[i - 1].lower_ in ("et", "la", "le", "l'", "l’"):
                break
            if fold(token.text) in _CARDINAL or (
                token.pos_ in ("PROPN", "NOUN", "ADJ", "X") and low not in FUNCTION_WORDS
                and "Part" not in token.morph.get("VerbForm")  # "… de l’Oise Approuvée" (a table's column)
            ):
                i += 1
                end = i
                continue
            break
        if token.text == "-" and i + 1 < len(doc) and doc[i + 1].is_title and not token.whitespace_:
            i += 1
            continue
        if low in OF | ARTICLES | {"pour", "et", "en", "sur", "à"}:
            j = i
            while j < len(doc) and doc[j].lower_ in OF | ARTICLES | {"pour", "et", "en", "sur", "à"}:
                j += 1
            if low == "et" and not (doc[i + 1].lower_ in OF | ARTICLES if i + 1 < len(doc) else False):
                break
            if j < len(doc) and doc[j].is_title and fold(doc[j].text) not in _NEW_BODY and not doc[j].is_sent_start:
                i = j
                continue
        break
    return end


def bare_heads(doc, ents) -> list[Found]:
    """A body's capitalised head word that spaCy left out, with its name: "(PI) Entente Oise Aisne",
    "Agence Webexpr"."""
    found = []
    taken = {i for e in ents if e.label_ != "MISC" for i in range(e.start, e.end)}
    for token in doc:
        if token.i in taken or not token.is_title or fold(token.text) not in BODY_HEADS - {"centre", "maison", "mission"}:
            continue
        end = _name_tail(doc, token.i + 1)
        if end > token.i + 1 and any(t.is_title or t.is_upper for t in doc[token.i + 1 : end]):
            found.append(Found(token.i, end, "ORG"))
    return found


def affiliations(doc, ents) -> list[Found]:
    """A body in brackets right after a person: "Xavier Delposen (Co-evolution)", "Paul Martin (ADEME)"."""
    found = []
    for ent in ents:
        i = ent.end
        if ent.label_ != "PER" or i + 2 >= len(doc) or doc[i].text != "(":
            continue
        close = next((j for j in range(i + 1, min(i + 7, len(doc))) if doc[j].text == ")"), None)
        if close and close > i + 1 and doc[i + 1].text[:1].isupper() and not any(t.is_space for t in doc[i + 1 : close]):
            found.append(Found(i + 1, close, "ORG"))
    return found


_APPOSED = {"ecole", "association", "entreprise", "societe", "cooperative", "scop", "federation", "reseau", "collectif",
            "agence", "start-up", "cabinet", "fondation", "structure", "plateforme", "compagnie", "mutuelle"}


def apposed_bodies(doc, ents) -> list[Found]:
    """A name followed by what it is: "O’Tech, l’école de production", "Ecomaison, l'éco-organisme"."""
    found = []
    taken = {i for e in ents if e.label_ != "MISC" for i in range(e.start, e.end)}
    for token in doc[2:]:
        if fold(token.text) not in _APPOSED or doc[token.i - 1].lower_ not in ("l'", "l’", "la", "le", "une", "un"):
            continue
        comma = token.i - 2
        if doc[comma].text != ",":
            continue
        start = comma
        while start > 0 and comma - start < 4 and (
            doc[start - 1].is_title or doc[start - 1].is_upper or doc[start - 1].text in ("’", "'", "-")
            or (doc[start - 1].text[:1].isupper() and doc[start - 1].text[-1:] in "’'")
        ) and "\n" not in doc[start - 1].whitespace_ and doc[start - 1].lower_ not in FUNCTION_WORDS:
            if doc[start - 1].is_upper and len(doc[start - 1]) > 2 and any(t.is_title for t in doc[start:comma]):
                break  # a heading in capitals before the name: "IL Y FAIT BON VIVRE O’Tech"
            start -= 1
        if start < comma and not taken & set(range(start, comma)) and (doc[start].is_title or doc[start].text[:1].isupper()):
            found.append(Found(start, comma, "ORG"))
    return found


# Kinds of establishments named after them, often in lower case: "le lycée Jean Moulin", "l'EHPAD d'Autierne".
ESTABLISHMENTS = {"lycee", "college", "ecole", "ehpad", "creche", "mediatheque", "bibliotheque"}
# What a local authority's services are called after "services": "les services de la CCLO".
# "les services de l'État" stay no actor (corpus/gold/README.md: the State after a noun).
_AUTHORITY_WORDS = {"communaute", "agglomeration", "commune", "ville", "mairie", "departement", "region", "metropole",
                    "syndicat"}


def establishments(doc) -> list[Found]:
    """An establishment's kind followed by its name is a body: "le lycée Jean Moulin", "l'école Jules Ferry",
    "l'EHPAD d'Autierne", "le lycée agricole de Caulnes" (not "l'école de production", "l'école Maternelle")."""
    found = []
    for token in doc[:-1]:
        if fold(token.text) not in ESTABLISHMENTS or (token.is_upper and fold(token.text) != "ehpad" and len(token) > 1):
            continue  # "ÉCOLE POUR LES FUTURS …": a heading
        i = token.i + 1
        if doc[i].is_lower and doc[i].pos_ == "ADJ" and i + 1 < len(doc):
            i += 1  # "lycée agricole de …"
        end = _name_tail(doc, i)
        # A proper name, or a name after "de": "école Jules Ferry", "collège des Tilleuls"; not "école Maternelle".
        if end > i and (any(t.pos_ == "PROPN" for t in doc[i:end]) or doc[i].lower_ in OF):
            found.append(Found(token.i, end, "ORG"))
    return found


# Heads of a body named in lower case by what it gathers: "l'association des amis du jumelage", "le syndicat des eaux".
_LOWER_CASE_HEADS = {"association", "amicale", "federation", "syndicat", "cooperative", "mutuelle", "cercle"}
# Adjectives that make a head a kind of body, not one body: "le syndicat mixte", "une association locale".
_GENERIC_BODY_ADJECTIVES = {"mixte", "intercommunal", "intercommunale", "local", "locale", "locales", "locaux",
                            "departemental", "departementale", "regional", "regionale", "national", "nationale",
                            "agree", "agreee", "sportive", "culturelle", "professionnel", "professionnelle", "communal",
                            "communale", "social", "sociale", "foncier", "fonciere"}
_CONTENT = {"NOUN", "PROPN", "ADJ"}
_TO = {"à", "au", "aux"}  # "l'association des habitants à la concertation": associating them, no body


def lower_case_bodies(doc, ents) -> list[Found]:
    """One body written in lower case, with a definite article and its complements: "l'association des amis du
    jumelage", "la fédération de pêche de l'Oise", "l'amicale des sapeurs-pompiers", "l'association des anciens
    combattants"; not "une association de parents", "le syndicat mixte", "l'association des élus au comité"."""
    found = []
    taken = {i for e in ents if e.id_ or e.label_ == "PER" for i in range(e.start, e.end)}
    for token in doc[:-2]:
        if fold(token.text) not in _LOWER_CASE_HEADS or token.i in taken:
            continue
        capital = token.is_title  # "Fédération de pêche de l'Oise": a capital, lower-case words after
        if not (token.is_lower or capital):
            continue
        after_article = token.i > 0 and doc[token.i - 1].lower_ in ARTICLES
        if not after_article and not (capital and (token.is_sent_start or line_start(doc, token.i))):
            continue
        end = i = token.i + 1
        if doc[i].pos_ == "ADJ" and doc[i].is_lower and fold(doc[i].text) not in _GENERIC_BODY_ADJECTIVES:
            end = i = _glued_end(doc, i)  # "la coopérative scolaire", "l'Atelier musical"
        while i < len(doc) and i - token.i <= 10:
            if doc[i].lower_ in OF:
                j = i + 1
                if j < len(doc) and doc[j].lower_ in ARTICLES:
                    j += 1  # "de la", "de l'"
                if j < len(doc) and doc[j].pos_ in _CONTENT and fold(doc[j].text) not in FUNCTION_WORDS and j not in taken:
                    i = end = _glued_end(doc, j)
                    if doc[j].pos_ == "ADJ" and i < len(doc) and doc[i].pos_ == "NOUN" and doc[i].is_lower:
                        i = end = _glued_end(doc, i)  # "des anciens combattants"
                    continue
                break
            if end > token.i + 1 and doc[i].pos_ == "ADJ" and doc[i].is_lower:
                i = end = _glued_end(doc, i)  # "… de pêche sportive"
                continue
            break
        if capital and not any(t.is_lower and t.pos_ in _CONTENT for t in doc[token.i + 1 : end]):
            continue  # a capitalised name is other rules' ("Fédération Nationale O'Tech")
        if end > token.i + 1 and not (end < len(doc) and doc[end].lower_ in _TO):
            found.append(Found(token.i, end, "ORG"))
    return found


def _glued_end(doc, i: int) -> int:
    """The end of the word at token i with the tokens glued to it by hyphens ("sapeurs-pompiers")."""
    end = i + 1
    while end + 1 < len(doc) and not doc[end - 1].whitespace_ and doc[end].text == "-" and not doc[end].whitespace_:
        end += 2
    return end


def shops(doc, ents) -> list[Found]:
    """A shop or a food truck named "Chez X" ("Chez Martine le mardi"); not a place adverbial ("Chez Enedis, le
    raccordement …", "Chez Monsieur Dupont") nor a name already found."""
    found = []
    taken = {i for e in ents if e.label_ != "PER" for i in range(e.start, e.end)}  # "Chez Martine": not a person
    for token in doc[:-1]:
        i = token.i + 1
        if token.text != "Chez" or not doc[i].is_title or i in taken or fold(doc[i].text) in _CIVILITY_WORDS:
            continue
        end = i + 1
        if end < len(doc) and doc[end].is_title and end not in taken:
            end += 1  # "Chez Max Burger"
        if end < len(doc) and doc[end].text == ",":
            continue
        found.append(Found(token.i, end, "ORG"))
    return found


def services_of_bodies(doc, ents, *, lexicon_ids: frozenset[str] = frozenset()) -> list[Found]:
    """A local authority's services are a body ("les services de la CCLO", "Services de Dinan Agglomération",
    "les services techniques"); "le service de l'eau" is not one, nor the services of a body of the lexicon
    (an entity whose id is in `lexicon_ids`: "les services de la DREAL" stay the DREAL, a State body)."""
    found = []
    for token in doc[:-1]:
        if fold(token.text) in ("service", "services") and fold(doc[token.i + 1].text) in ("technique", "techniques"):
            found.append(Found(token.i, token.i + 2, "ORG"))
    for ent in ents:
        if ent.label_ not in ("ORG", "LOC") or ent.start < 2 or ent.id_ in lexicon_ids:
            continue
        i = ent.start - 1
        if doc[i].lower_ in ARTICLES:
            i -= 1
        if i < 1 or doc[i].lower_ not in OF or fold(doc[i - 1].text) not in ("service", "services"):
            continue
        words = {fold(t.text) for t in ent}
        if words & _AUTHORITY_WORDS or (len(ent) == 1 and ent[0].is_upper and ent[0].is_alpha and len(ent[0]) > 2):
            found.append(Found(i - 1, ent.end, "ORG"))
    return found


_LOCATIVE = {"toit", "toits", "locaux", "parking", "abords", "enceinte", "terrain", "batiment", "batiments", "facade",
             "hall", "cour", "parvis", "sous-sol"}


def sites_of_bodies(doc, ents) -> list[Found]:
    """A body's premises used as a location are a place: "sur le toit du centre hospitalier de Dinan"."""
    found = []
    for ent in ents:
        if ent.label_ != "ORG" or ent.start < 2:
            continue
        i = ent.start - 1
        while i > 0 and doc[i].lower_ in OF | ARTICLES:
            i -= 1
        if i < ent.start - 1 and fold(doc[i].text) in _LOCATIVE:
            found.append(Found(ent.start, ent.end, "LOC"))
    return found


def named_bodies(doc, ents) -> list[Found]:
    """Names after a word that says what they are: "l'association « Verger vivant »", "la société ARESCOP",
    "l'association l'Equipe", "une association qui s'appelle Terres en Ville", "la SA PICARDIE HABITAT"."""
    found = []
    people = {i for e in ents if e.label_ == "PER" for i in range(e.start, e.end)}
    for token in doc[:-1]:
        i = token.i + 1
        if token.text in LEGAL_FORMS:
            end = _capitals(doc, i)
            if end > i and not people & set(range(i, end)):
                found.append(Found(token.i, end, "ORG"))
            continue
        if fold(token.text) in BODY_NOUNS and (token.is_lower or (
            doc[token.i - 1].lower_ in ARTICLES and i < len(doc) and (doc[i].is_upper or doc[i].text[:1].isdigit())
        )):
            start = i  # "l'entreprise LUXEL", "la Société 24ème", not "Réseau National de …"
        elif token.lower_ in ("appelle", "nommée", "nommé", "dénommée", "dénommé", "appelée", "appelé") and (
            doc[token.i - 1].lower_ in ("s'", "s’") or token.lower_ != "appelle"
        ):
            start = i
        else:
            continue
        if start < len(doc) and doc[start].text in "«\"“":
            close = next((j for j in range(start + 1, min(start + 9, len(doc))) if doc[j].text in "»\"”"), None)
            if close and close > start + 1 and doc[start + 1].text[:1].isupper():
                found.append(Found(start + 1, close, "ORG"))
            continue
        if start >= len(doc):
            continue
        inner = start + 1 if doc[start].lower_ in ("l'", "l’") and start + 1 < len(doc) else start
        end = _capitals(doc, inner)
        if end == inner and doc[inner].text[:1].isdigit() and any(c.isalpha() for c in doc[inner].text):
            end = inner + 1  # "la Société 24ème"
        if end == inner and inner < len(doc) and doc[inner].is_title and not doc[inner].is_sent_start:
            end = _title_run(doc, inner)
        if end > inner and not people & set(range(inner, end)):
            found.append(Found(start, end, "ORG"))
    return found


def _capitals(doc, i: int) -> int:
    """The end of a run of words in capitals from token i ("PICARDIE HABITAT", "ARESCOP"); digits allowed
    after the first ("24ème" is not in capitals: a name written "Société 24ème" is taken by its noun)."""
    end = i
    while end < len(doc) and not doc[end].is_space:
        token = doc[end]
        if token.is_upper and (token.is_alpha or token.text in ("&", "-")) and len(token.text) >= 1 and token.text != "-":
            end += 1
        elif end > i and token.text == "-" and end + 1 < len(doc) and doc[end + 1].is_upper:
            end += 1
        else:
            break
        if "\n" in doc[end - 1].whitespace_:
            break
    while end > i and not doc[end - 1].is_alpha:
        end -= 1
    return end


def _hyphenated(doc, end: int) -> int:
    """A name's end moved over the capitalised parts hyphenated to it: "Saint" + "-Mard", "Simone" + "-Veil"."""
    while end + 1 < len(doc) and doc[end].text == "-" and doc[end + 1].is_title:
        end += 2
    return end


_TITLE_RUN_LINKS = {"en", "de", "du", "des", "d'", "d’", "qui", "et", "&"}


def _title_run(doc, i: int) -> int:
    """The end of a capitalised name from token i, links included: "Terres en Ville", "Pierre qui Tourne",
    "Vents d'Ouest Vérlane"."""
    end = i
    while end < len(doc) and (doc[end].is_title or doc[end].text in ("’", "'")):
        end += 1
        if end < len(doc) and doc[end].lower_ in _TITLE_RUN_LINKS and end + 1 < len(doc) and doc[end + 1].is_title:
            end += 1
        if "\n" in doc[end - 1].whitespace_:
            break
    return end


_CIVILITY_WORDS = {"m", "mm", "mme", "mmes", "mlle", "mr", "monsieur", "madame", "mademoiselle", "maitre", "me", "dr"}
_PERSON_LABELS = {"m", "m.", "mme", "monsieur", "madame", "president", "presidente", "maire", "contact", "directeur",
                  "directrice", "responsable", "referent", "referente", "elu", "elue", "adjoint", "adjointe", "par"}


def table_companies(doc, ents, not_actors: frozenset[str], common) -> tuple[list[Found], list[tuple[int, int]]]:
    """Companies in capitals at the end of a short table row, after a label ("Huiles moteur SEVIA",
    "Pneus DELTA GOM (60400 Cuts)", "DEEE ECOLOGIC"), and alternatives split by "/" ("GALLOO CLAIROIX /
    ALPHA METAL", "TVI Idex / Iddeo"). Returns the companies and the labels of their rows, which are
    categories, not actors ("Eco-DDS", "Textiles")."""
    companies: list[Found] = []
    labels: list[tuple[int, int]] = []
    person_tokens = {i for e in ents if e.label_ == "PER" for i in range(e.start, e.end)}
    for start, end in _lines(doc):
        words = words_of(doc, start, end)
        if not 2 <= len(words) <= 12:
            continue
        cut = next((s for s, e in words if doc[s].text.startswith("(")), end)  # a postal address follows
        segments: list[list[tuple[int, int]]] = [[]]
        for s, e in words:
            if s >= cut:
                break
            if doc[s:e].text == "/":
                segments.append([])
            else:
                segments[-1].append((s, e))
        if len(segments) == 1 and cut == end and len(words) > 6:
            continue  # a line of prose, not a row
        lower_case = any(c.islower() for s, e in words for c in doc[s:e].text)
        row: list[Found] = []
        for number, segment in enumerate(segments):
            run = _trailing_capitals(doc, segment, not_actors)
            if not run and number > 0 and len(segment) == 1 and is_title_word(doc[segment[0][0] : segment[0][1]].text):
                run = segment  # "Idex / Iddeo"
            label = segment[: len(segment) - len(run)]
            label_words = {fold(doc[s:e].text).strip(":") for s, e in label}
            if not run or len(run) > 4 or (number == 0 and not label) or label_words & _PERSON_LABELS:
                continue
            if not lower_case and not label_words <= not_actors:
                continue  # a heading in capitals
            s, e = run[0][0], run[-1][1]
            before = [x for x in range(max(start, s - 2), s) if x in person_tokens]
            if any(s <= i < e for i in person_tokens) and any(doc[x].text.lower() not in common for x in before):
                continue  # "Michel VILBOIS" (not "Ferrailles GALLOO CLAIROIX")
            if len(run) == 1 and doc[s:e].text.lower() in common:
                continue
            row.append(Found(s, e, "ORG"))
            if label:
                labels.append((label[0][0], label[-1][1]))
        if row and len(segments) > 1 and len(segments[0]) >= 2 and not any(f.start >= segments[0][0][0] and f.end <= segments[0][-1][1] for f in row):
            s, e = segments[0][-1]
            if is_title_word(doc[s:e].text):  # "TVI Idex / Iddeo"
                row.append(Found(s, e, "ORG"))
                labels.append((segments[0][0][0], s))
        companies += row
    return companies, labels


def _trailing_capitals(doc, segment: list[tuple[int, int]], not_actors: frozenset[str]) -> list[tuple[int, int]]:
    run: list[tuple[int, int]] = []
    for s, e in reversed(segment):
        text = doc[s:e].text
        if text.isupper() and any(c.isalpha() for c in text) and fold(text) not in not_actors:
            run.insert(0, (s, e))
        else:
            break
    return run


def _lines(doc) -> Iterator[tuple[int, int]]:
    start = 0
    for token in doc:
        if "\n" in token.text_with_ws:
            end = token.i if token.is_space else token.i + 1
            if end > start:
                yield start, end
            start = token.i + 1
    if start < len(doc):
        yield start, len(doc)


def article_acronyms(doc, ents, not_actors: frozenset[str]) -> list[Found]:
    """An acronym after a definite article designates a body: "le rapport de la CCPH", "la LPO", "du CDG"."""
    found = []
    taken = {i for e in ents if e.label_ != "MISC" for i in range(e.start, e.end)}
    for token in doc[1:]:
        text = token.text
        if token.i in taken or not (2 <= len(text) <= 8 and text.isupper() and text.isalpha()):
            continue
        if doc[token.i - 1].lower_ not in ("la", "le", "l'", "l’", "du", "au") or fold(text) in not_actors:
            continue
        if re.fullmatch(r"[IVXLC]+", text) or _upper_line(doc, token.i):
            continue
        after = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if after is not None and ((after.like_num and len(text) < 3) or (after.is_upper and after.is_alpha)):
            continue  # "la RD 932", a heading in capitals
        found.append(Found(token.i, token.i + 1, "ORG"))
    return found


_BODY_FIELDS = ("financeur", "partenaire", "porteur", "prestataire", "operateur", "titulaire", "attributaire")
_DEPARTMENT_ACRONYM = re.compile(r"^[A-Z]{2,6}(0[1-9]|[1-8]\d|9[0-5]|2[AB])$")  # "CAUE60", "SE60", "CD60"


def department_acronyms(doc, ents, not_actors: frozenset[str]) -> list[Found]:
    """A body's acronym with its department's number, glued or not, after an article or a field's colon:
    "au CAUE60", "par le SE60", "du CDG 60", "Financeurs : CD60" (spaCy takes them for places or codes),
    never a zone's or a road's code ("RM21", "la RD 932")."""
    found = []
    taken = {i for e in ents if e.label_ in ("ORG", "PER") for i in range(e.start, e.end)}
    for token in doc[1:]:
        before = doc[token.i - 1].lower_
        field = before == ":" and token.i > 1 and fold(doc[token.i - 2].text).startswith(_BODY_FIELDS)
        if token.i in taken or not (before in ("la", "le", "l'", "l’", "du", "au") or field):
            continue
        after = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if _DEPARTMENT_ACRONYM.match(token.text):
            end = token.i + 1
        elif (token.text.isupper() and token.text.isalpha() and len(token.text) >= 3 and token.whitespace_ == " "
              and after is not None and _DEPARTMENT_ACRONYM.match(token.text + after.text)):
            end = token.i + 2
        else:
            continue
        if fold(re.sub(r"\d+$", "", token.text)) not in not_actors:
            found.append(Found(token.i, end, "ORG"))
    return found


_DEPARTMENT_NUMBER = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2[AB])$")
_LIST_MARK = re.compile(r"^([IVXL]+|[A-Za-z]|\d{1,2})[.)]?$|^[•▪\-–—]$")  # a heading's or an item's mark
_QUANTITY_WORDS = {"%", "€", "euros", "ans", "jours", "heures", "h", "m", "km", "kg", "t", "tonnes", "ha", "m2", "m3", "°"}


def department_numbers(doc, ents) -> list[Found]:
    """An acronym's department number written after it: "du CDG 60.", "au CAUE 60 ;", "le SDEM 56 qui"; not a
    count or an item number ("du CDG 12 votes pour", "au SIVOC 11. Indemnité", "ARS 60 %")."""
    found = []
    for ent in ents:
        last = doc[ent.end - 1]
        if ent.label_ != "ORG" or ent.end >= len(doc) or not (last.is_upper and last.is_alpha and len(last) >= 2):
            continue
        number = doc[ent.end]
        if last.whitespace_ != " " or not _DEPARTMENT_NUMBER.match(number.text):
            continue
        if ent.end + 1 == len(doc) or _ends_a_name(doc, ent.end + 1):
            found.append(Found(ent.start, ent.end + 1, "ORG"))
    return found


def _ends_a_name(doc, i: int) -> bool:
    """Whether token i may follow a name: a sentence's end, a line's end before a heading's or an item's mark, a
    clause's punctuation, a verb or a function word; not a noun, a number or a unit ("12 votes", "60 %", a
    table's next row "45\nTotal 120")."""
    after = doc[i]
    if after.is_space:
        following = next((t for t in doc[i + 1 :] if not t.is_space), None)
        return following is None or bool(_LIST_MARK.match(following.text))
    if after.text == ".":
        return i + 1 == len(doc) or "\n" in after.whitespace_
    if after.is_punct:
        return True
    return not (after.like_num or fold(after.text) in _QUANTITY_WORDS or after.pos_ in ("NOUN", "PROPN", "NUM"))


_ASSEMBLIES = ("conseil municipal", "conseil communautaire", "conseil syndical", "conseil d'agglomeration")


def assembly_places(doc) -> list[Found]:
    """The place in an assembly's name is a place, the assembly is no actor: "le Conseil Municipal de
    PIERREFONDS", "Conseil communautaire de Dinan Agglomération" keeps only a commune or a territory."""
    found = []
    for token in doc[2:]:
        if token.lower_ not in ("de", "d'", "d’") or fold(doc[token.i - 2 : token.i].text) not in _ASSEMBLIES:
            continue
        i = token.i + 1
        if i < len(doc) and doc[i].lower_ in ("la", "l'", "l’"):
            continue  # "Conseil municipal de la commune de X": the commune is named after
        end = _capitals(doc, i) if i < len(doc) and doc[i].is_upper else _title_run(doc, i)
        if end > i and not (i < len(doc) and fold(doc[i].text) in BODY_HEADS | _NEW_BODY):
            found.append(Found(i, end, "LOC"))
    return found


def _upper_line(doc, i: int) -> bool:
    """Token i is in a heading written in capitals (three words in capitals around it)."""
    window = [t for t in doc[max(0, i - 3) : i + 4] if t.is_alpha and len(t) > 1]
    return sum(t.is_upper for t in window) >= 3


def territory_or_body(doc, ent) -> Found | None:
    """"département de la Haute-Saône" and "région Bretagne" name a territory (a place: "Haute-Saône") unless
    the body acts (an organisation: "la région Bretagne a décidé"): subject of a deciding or funding verb,
    agent of a passive, after "auprès de" or "au" (addressed: "demande de subvention au département de l'Oise"),
    or written with a capital inside a sentence ("le Président de la Région Bretagne")."""
    words = [fold(t.text) for t in ent]
    if words[:1] == ["commune"] and len(ent) > 2 and located(doc, ent.start) and not acts(doc, ent.start):
        return Found(ent.start, ent.end, "LOC")  # "situé sur la commune de Saint-Étienne-Roilaye": where, not who
    if not words or words[0] not in ("departement", "region") or len(ent) < 2:
        return None
    if acts(doc, ent.start) or (ent[0].is_title and not line_start(doc, ent.start) and not ent[0].is_sent_start):
        return Found(ent.start, ent.end, "ORG")  # "le Département de l'Oise" written with a capital: the institution
    start = next((t.i for t in ent[1:] if t.is_title or t.is_upper), ent.end)  # "de ia Haute-Saône" (OCR)
    return Found(start, ent.end, "LOC") if start < ent.end else None


_COPULAS = {"est", "était", "etait", "sont", "reste", "devient", "demeure"}


def predicate_of(doc, ent) -> str:
    """What a copula says the entity is, with an article ("est une association régionale", "est le 1er
    réseau"), or "" ("est adhérent au réseau" says what it belongs to)."""
    j = ent.end
    while j < len(doc) and doc[j].is_title and fold(doc[j].text) not in _COPULAS:
        j += 1
    if j + 2 >= len(doc) or doc[j].lower_ not in _COPULAS or doc[j + 1].lower_ not in ("un", "une", "le", "la", "l'", "l’"):
        return ""
    return doc[j + 2 : j + 5].text


def predicate_bodies(doc, ents) -> list[Found]:
    """A name said to be a body by a copula is an organisation, with the capitalised words that follow it:
    "Capt’air" (+ "Bretagne") "est une association régionale", "X est le 1er réseau associatif"."""
    found = []
    for ent in ents:
        if ent.label_ == "PER" or ent.id_:
            continue
        words = [fold(w) for w in predicate_of(doc, ent).split()[:2]]
        if set(words) & (BODY_NOUNS | {"syndicat"}):
            end = ent.end
            while doc[end].is_title and fold(doc[end].text) not in _COPULAS:
                end += 1
            found.append(Found(ent.start, end, "ORG"))
    return found


_RESIDENTS = {"maire", "adjoint", "adjointe", "conseiller", "conseillere", "elu", "elue", "habitant", "habitants",
              "habitante", "habitantes", "territoire"}


def located(doc, i: int) -> bool:
    """Token i heads a location: "sur la commune de X", "dans la commune d'Audierne", "Sur commune d'Héricourt", a
    mayor's or an inhabitant's commune ("Maire de la commune de Bitry", the gold guide's rule)."""
    if i > 0 and doc[i - 1].lower_ in ("sur", "dans"):
        return True
    if i > 1 and doc[i - 1].lower_ in ("la", "le", "l'", "l’") and doc[i - 2].lower_ in ("sur", "dans"):
        return True
    return i > 2 and doc[i - 1].lower_ == "la" and doc[i - 2].lower_ == "de" and fold(doc[i - 3].text) in _RESIDENTS


def acts(doc, i: int) -> bool:
    """The body whose head word is token i acts: "par la région", "auprès du Département", "la région a décidé"."""
    token = doc[i]
    before = [t.lower_ for t in doc[max(0, i - 3) : i]]
    if "par" in before[-2:] or "auprès" in before or before[-1:] == ["au"]:
        return True
    if token.dep_ in ("obl:agent",):
        return True
    if token.dep_.startswith("nsubj"):
        verb = token.head
        lemmas = {fold(verb.lemma_)} | {fold(c.lemma_) for c in verb.children if c.dep_ in ("xcomp",)}
        return bool(lemmas & ACTING_VERBS)
    return False


def titled_territories(doc, ents) -> list[Found]:
    """"la Région Bretagne", "le Département de l'Oise": a capitalised "Région" or "Département" inside a
    sentence, before a place, is the institution (an organisation), with the place in its name."""
    found = []
    places = {e.start: e for e in ents if e.label_ == "LOC"}
    for token in doc[1:-1]:
        if token.text not in ("Région", "Département", "Region", "Departement") or line_start(doc, token.i):
            continue
        j = token.i + 1
        while j < len(doc) and doc[j].lower_ in OF | ARTICLES:
            j += 1
        if j in places and not token.is_sent_start:
            found.append(Found(token.i, places[j].end, "ORG"))
    return found


def lone_funders(doc, ents) -> list[Found]:
    """"subventionné par la région", "auprès du département": the body itself, without a name."""
    found = []
    taken = {i for e in ents if len(e) > 1 for i in range(e.start, e.end)}  # the word alone may be a guess already
    for token in doc:
        if token.i in taken or token.lower_ not in ("région", "département", "region", "departement"):
            continue
        nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if nxt is not None and (nxt.is_title or nxt.lower_ in OF):
            continue
        if token.i == 0 or doc[token.i - 1].lower_ not in ("la", "le", "du", "au"):
            continue
        # Written with a capital inside a sentence, the word is the institution ("après concertation avec le
        # Département"); in lower case, only when it acts. ("la Commune" is the document's own: not kept.)
        capital = token.text[0].isupper() and not token.is_sent_start and not line_start(doc, token.i)
        if capital or acts(doc, token.i):
            found.append(Found(token.i, token.i + 1, "ORG"))
    return found


# --- places ------------------------------------------------------------------------------------------


class PlaceLexicon:
    """The regions, departments, basins and countries of models/places.yaml, found in a text without
    accents or case, across hyphens, spaces and line breaks ("Bourgogne\\nFranche-Comté", "Haute Saone")."""

    def __init__(self, lexicon: dict, communes: Communes | None = None) -> None:
        names = [n for key in ("regions", "departments", "basins", "countries") for n in lexicon.get(key, [])]
        self._pattern = _names_pattern(names)
        self._ambiguous = _names_pattern(lexicon.get("ambiguous", []))
        self.communes = communes or Communes([])

    @classmethod
    def from_file(cls, path) -> PlaceLexicon:
        """The lexicon of a places.yaml; its `communes` names a file beside it, one commune a line."""
        lexicon = load_yaml(path)
        communes = lexicon.get("communes")
        first_names = lexicon.get("first_names")
        return cls(lexicon, Communes(
            _lines_of(Path(path).with_name(communes)) if communes else [],
            first_names=_lines_of(Path(path).with_name(first_names)) if first_names else [],
        ))

    def find(self, doc) -> list[tuple[int, int]]:
        """Token ranges of the names, written with a capital, not glued to another word."""
        text = fold_keep_length(doc.text)
        starts = [m.start() for m in _CAPITALISED.finditer(doc.text)]  # only names written with a capital
        ranges = []
        for pattern, ambiguous in ((self._pattern, False), (self._ambiguous, True)):
            if pattern is None:
                continue
            for match in filter(None, (pattern.match(text, i) for i in starts)):
                if ambiguous and not re.search(r"departement (de la |du |de l'|de |des )$", text[max(0, match.start() - 30) : match.start()]):
                    continue
                last = re.split(r"[\s'’-]+", doc.text[match.start() : match.end()])[-1]  # "Côte-d'Or": "Or"
                if not last[:1].isupper():
                    continue  # "La réunion": the name's own words have capitals ("La Réunion")
                span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                if span is not None:
                    ranges.append((span.start, span.end))
        return ranges


def commune_key(name: str) -> str:
    """A commune's name folded for lookup: no case, accents, hyphens or apostrophes, "St" for "Saint"
    ("Saint-Crépin-aux-Bois", "ST CREPIN AUX BOIS" and "St-Crépin-aux-Bois" have one key)."""
    words = [w for w in re.split(r"[\s\-'.]+", fold(name)) if w]
    return " ".join({"saint": "st", "sainte": "ste"}.get(w, w) for w in words)


class Communes:
    """The communes of France (models/communes.txt: INSEE's official geographic code, communes, delegated and
    associated communes, with their article: "Les Aynans"), found in a text by their folded key.

    A commune is a place only where a name is likely: written with a capital, not glued by a hyphen to another
    word, not a common word, a first name or a word of three letters alone ("Pierre", "Allier", "Nicole",
    "Ars"), not after a civility, and not inside another name (a person's, a body's: those entities are left
    as they are)."""

    _MAX_TOKENS = 16  # "Roche-sur-Linotte-et-Sorans-les-Cordiers" is 13 tokens

    def __init__(self, names: Iterable[str], *, first_names: Iterable[str] = ()) -> None:
        names = list(names)
        self._keys = {key for key in map(commune_key, names) if len(key) >= 3}
        self._accented = {commune_key(n) for n in names if fold(n) != n.casefold()}  # "École", not "Arques"
        self.first_names = frozenset(fold(n) for n in first_names)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, name: str) -> bool:
        return commune_key(name) in self._keys

    def find(self, doc, common=frozenset()) -> list[Found]:
        """The communes named in the doc, longest first from each word: a place, or a body where it acts."""
        found: list[Found] = []
        i = 0
        while i < len(doc):
            end = self._match(doc, i, common)
            if end:
                found.append(Found(i, end, "ORG" if commune_acts(doc, i, end) else "LOC"))
                i = end
            else:
                i += 1
        return found

    def _lost_accents(self, word: str, common) -> bool:
        """"6.1 Ecole": a commune whose name has accents ("École"), written without them, where a common word is
        written so ("école"); "Arques" and "Broye" are written as their communes are."""
        return word.casefold() == fold(word) and commune_key(word) in self._accented and _common(word, common)

    def _match(self, doc, i: int, common) -> int:
        """The end of the longest commune's name starting at token i, or 0 (see the class's docstring)."""
        token = doc[i]
        if not token.text[:1].isupper() or (i > 0 and not doc[i - 1].whitespace_ and doc[i - 1].text in "-–'’"):
            return 0
        if i > 0 and fold(doc[i - 1].text).rstrip(".") in _BEFORE_A_PERSON:
            return 0
        best = 0
        for j in range(i + 1, min(len(doc), i + self._MAX_TOKENS) + 1):
            last = doc[j - 1]
            if last.is_space:  # a line break is a token of its own
                break
            if j < len(doc) and not last.whitespace_ and (doc[j].text[:1] in "-–'’" or doc[j].is_alpha):
                continue  # the name goes on: "Tracy" of "Tracy-le-Mont"
            if last.text[-1:].isalpha() and commune_key(doc[i:j].text) in self._keys:
                best = j
        if not best:
            return 0
        words = [t for t in doc[i:best] if t.is_alpha and t.lower_ not in ARTICLES]
        if any(t.text[0].islower() and fold(t.text) not in _NAME_LINKS for t in words):
            return 0  # "Le bois de chauffage": a name's own words have capitals
        if len(words) == 1 and i == words[0].i and i > 0 and doc[i - 1].pos_ == "DET" and doc[i - 1].text.islower():
            return 0  # "le Puits est fermé": a common noun given a capital
        if len(words) == 1 and (
            len(words[0]) < 4 or words[0].text.lower() in common or fold(words[0].text) in self.first_names
            or self._lost_accents(words[0].text, common)
            or (words[0].pos_ in _NOT_NAMES and not words[0].is_upper)  # the tags of words in capitals are guesses
        ):
            return 0
        return best


_WHERE_VERBS = {"etre", "situer", "trouver", "compter", "border", "traverser", "jouxter", "devenir", "rester"}


def commune_acts(doc, start: int, end: int) -> bool:
    """A commune named doc[start:end] is the local authority, not the place, where it acts: agent of a passive
    ("sélectionné par X"; not any "par X": "passe par Croutoy"), after "auprès de", or subject of a verb other than
    one of place ("Pierrefonds fait partie des communes éligibles"; not "X est situé", "X compte 900 habitants")."""
    head = next((t for t in doc[start:end] if t.head.i < start or t.head.i >= end), doc[start])
    if head.dep_ == "obl:agent" or "auprès" in [t.lower_ for t in doc[max(0, start - 3) : start]]:
        return True  # not any "par X": "passe par Croutoy" is where
    return head.dep_ in ("nsubj", "nsubj:pass") and head.head.pos_ == "VERB" and fold(head.head.lemma_) not in _WHERE_VERBS


_ROMAN = re.compile(r"^[IVXLC]+$")
_CAPS_LINKS = {"DE", "DU", "DES", "ET", "LA", "LE", "LES", "D'", "L'", "D’", "L’", "&", "-", "SUR", "EN", "AU", "AUX"}


def _caps_word(token, size: int) -> bool:
    """A word in capitals of at least `size` letters, hyphenated or not ("VERALLIA", "HOME-MADE")."""
    parts = token.text.split("-")
    return token.is_upper and len(token) >= size and all(p.isalpha() for p in parts)


def capital_names(doc, ents, *, communes: Communes, not_actors: frozenset[str], common) -> list[Found]:
    """A run of words in capitals inside a line of ordinary text that no entity covers is a body's name
    ("Collecte Verre (MINERIS)", "exploité par PAPREC TRIVALO OISE", "la verrerie VERALLIA de Cuffies"): not
    a heading (the line has lower-case words), not a person (after a first name or a civility, or before a
    first name), not a commune, not a common word or a code of `not_actors`; spaCy's own guesses of bodies
    may be confirmed."""
    taken = {i for e in ents if e.id_ or e.label_ not in ("MISC", "ORG") for i in range(e.start, e.end)}
    found = []
    for start, end in _lines(doc):
        line = doc[start:end]
        if sum(t.is_alpha and t.is_lower for t in line) < 3:
            continue  # a heading, a row of a table in capitals
        i = start
        while i < end:
            if not _caps_word(doc[i], 3) or "-" in doc[i].text or i in taken or doc[i].text in _CAPS_LINKS:
                i += 1  # a name does not start with a link word ("LES VERRERIES" -> "VERRERIES") nor a compound
                continue  # ("ANTI-GASPILLAGE", "SOUS-PREFETE"); "HOME-MADE" may follow a name
            j = i + 1
            while j < end and j not in taken and (
                _caps_word(doc[j], 2) or (doc[j].text in _CAPS_LINKS and j + 1 < end and doc[j + 1].is_upper)
            ):
                j += 1
            while j > i + 1 and doc[j - 1].text in _CAPS_LINKS:
                j -= 1
            core = j  # the words before a department that ends the name: "PRÉFET" of "PRÉFET DE LA HAUTE-SAÔNE"
            place = next((e for e in ents if e.start == j and e.label_ == "LOC" and e.id_), None)  # a rule's place
            if place is not None and j > i and all(t.is_upper or not t.is_alpha for t in place) and doc[j - 1].whitespace_ == " ":
                j = place.end  # a region's or department's name ends the body's: "PAPREC TRIVALO OISE"
            while j - i > 1:  # a commune ends the run: "PÊCHE TROSLY-BREUIL" -> "PÊCHE"
                commune = next((k for k in range(max(i + 1, j - 3), j) if doc[k:j].text in communes), None)
                if commune is None:
                    break
                j = commune
            words = [t for t in doc[i:j] if t.text not in _CAPS_LINKS]
            own = [t for t in doc[i:min(j, core)] if t.text not in _CAPS_LINKS]
            if len(words) == 1 and len(words[0]) < 6 or any(w.lower_ in FUNCTION_WORDS or _ROMAN.match(w.text) for w in words):
                i = j  # short words in capitals are mostly acronyms of plans and codes ("IRVE", "MAEC", "ULIS")
                continue
            before, after = doc[i - 1] if i else None, doc[j] if j < len(doc) else None
            person = any(
                t is not None and (fold(t.text) in communes.first_names or fold(t.text).rstrip(".") in _BEFORE_A_PERSON)
                for t in (before, after, *words)
            ) or any(e.label_ == "PER" and (i - 5 <= e.end <= i or j <= e.start <= j + 3) for e in ents)
            if not (person or doc[i:j].text in communes
                    or fold(doc[i:j].text) in not_actors
                    or all(_common_compound(w.text, common) or w.pos_ == "VERB" for w in own or words)
                    or any(fold(w.text) in not_actors for w in words)):
                found.append(Found(i, j, "ORG"))
            i = j
    return found


def first_name_people(doc, ents, *, communes: Communes, common) -> list[Found]:
    """A first name alone is a person ("réception du chantier à programmer par Marielle", "Action : David et
    Mario"): a frequent first name, capitalised, that no entity covers but spaCy's own guess of a one-word person
    (confirmed), neither a common word nor a commune, not next to another capitalised word (a full name is the
    NER's, "lycée Jean Moulin" a body's) nor after an article."""
    guessed = {e.start for e in ents if e.label_ == "PER" and not e.id_ and len(e) == 1}  # confirmed: kept as a name
    taken = {i for e in ents for i in range(e.start, e.end)} - guessed
    found = []
    for token in doc:
        i = token.i
        if i in taken or not token.is_title or not token.is_alpha or len(token) < 3 or fold(token.text) not in communes.first_names:
            continue
        before, after = doc[i - 1] if i else None, doc[i + 1] if i + 1 < len(doc) else None
        if any(t is not None and not t.is_space and (t.text[:1].isupper() and t.is_alpha or t.text in "-–'’")
               for t in (before, after)):
            continue  # a line break is a token of its own: a name on the line before does not count
        if before is not None and (before.lower_ in ARTICLES | {"du", "des", "au", "aux", "saint", "sainte", "st", "ste"}
                                   or not before.whitespace_ and before.text in "-'’"):
            continue
        if _common(token.text, common) or token.text in communes:
            continue
        found.append(Found(i, i + 1, "PER"))
    return found


# First names that head bodies' and brands' names more often than people's, unless a civility comes first.
_WORDS_MORE_THAN_NAMES = {"france", "europe", "claire", "marine", "rose", "aurore", "victoire", "loire", "garance"}


def full_names_in_capitals(doc, ents, *, communes: Communes, not_actors: frozenset[str]) -> list[Found]:
    """A frequent first name followed by a surname in capitals is a person, whatever an earlier guess made of it:
    "Le maire, Florence DEMOUY" (not a company at the end of a table's row), "JÉRÉMY GUILLAUME" under an
    organisation chart's title. Not after an article, "de" or a street's or building's head ("rue Jean JAURÈS",
    "collège Jean MOULIN"), nor when the surname is a commune or a word that is never an actor."""
    people = {(e.start, e.end) for e in ents if e.label_ == "PER"}
    found = []
    for token in doc:
        i = token.i
        if not token.text.replace("-", "").isalpha() or len(token) < 3 or not (token.is_title or token.is_upper):
            continue
        if not all(part in communes.first_names for part in fold(token.text).split("-")):  # "Anne-Marie"
            continue
        if fold(token.text) in _WORDS_MORE_THAN_NAMES and fold(doc[i - 1].text if i else "").rstrip(".") not in \
                _BEFORE_A_PERSON:
            continue  # "FRANCE TRAVAIL", "FRANCE RÉNOV", "Claire FONTAINE" only after a civility
        j = i + 1
        while j < len(doc) and j - i <= 3 and doc[j].is_upper and doc[j].is_alpha and len(doc[j]) >= 2:
            j += 1
            if (j + 1 < len(doc) and doc[j].text == "-" and not doc[j - 1].whitespace_ and not doc[j].whitespace_
                    and doc[j + 1].is_upper and doc[j + 1].is_alpha):
                j += 1  # "KIHAL-FLEGEAU"
        if j == i + 1:
            continue
        surname = doc[i + 1 : j]
        if surname.text in communes or any(fold(t.text) in not_actors or t.text in _CAPS_LINKS for t in surname):
            continue
        before = doc[i - 1] if i else None
        if before is not None and not before.whitespace_ and before.text in "-'’":
            continue  # "Anne-Marie DEFRANCE" split by the tokenizer: the whole name is the NER's
        if before is not None and (fold(before.text) in ARTICLES | OF | STREET_HEADS | ESTABLISHMENTS | _BUILDINGS | _NAMED_BUILDINGS
                                   or before.text[:1].isupper() and before.is_alpha
                                   and fold(before.text).rstrip(".") not in _BEFORE_A_PERSON):
            continue  # "collège Jean MOULIN"; "Marie-Alice Jean DUPONT" is the NER's
        if (i, j) not in people:
            found.append(Found(i, j, "PER"))
    return found


def first_names_taken_for_places(ents, *, communes: Communes) -> list[Found]:
    """spaCy's guess of a place that is a frequent first name alone, and no commune, is a person ("du village
    Cédric finit la rénovation")."""
    return [Found(e.start, e.end, "PER") for e in ents if e.label_ == "LOC" and not e.id_ and len(e) == 1
            and fold(e.text) in communes.first_names and e.text not in communes]


def capitals_before_a_name(doc, start: int, end: int) -> bool:
    """A commune in capitals before a capitalised name written otherwise is not part of it: "BITRY Michel
    POTIER" (a table's row: the commune, then its councillor); not "de BITRY, présidé"."""
    return all(t.is_upper or not t.is_alpha for t in doc[start:end]) and end < len(doc) and doc[end].is_title


def _common(word: str, common) -> bool:
    return word.lower() in common or (hasattr(common, "folded") and common.folded(word))


def _common_compound(word: str, common) -> bool:
    """A common word, or a compound with a common word in it ("NON-CONFORME", "ECO-QUARTIER")."""
    return _common(word, common) or "-" in word and any(len(p) >= 4 and _common(p, common) for p in word.split("-"))


def _lines_of(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_NAME_LINKS = {"le", "la", "les", "de", "du", "des", "d", "l", "sur", "sous", "en", "aux", "au", "lès", "lez",
               "et", "a", "val", "saint", "sainte"}
_NOT_NAMES = {"SCONJ", "CCONJ", "ADV", "ADP", "VERB", "AUX", "PRON", "DET", "NUM"}


_BEFORE_A_PERSON = _CIVILITY_WORDS | {"docteur", "pr", "professeur", "pere"}  # not a commune after them

_TERRITORY_HEADS = {"departement", "region", "prefecture", "sous-prefecture", "conseil", "canton", "bassin", "pays"}


def inside_a_name(doc, start: int, end: int) -> bool:
    """A region's or department's name that belongs to a longer proper name: "France Services",
    "Lisières de l’Oise", "Conseil d'Architecture … (CAUE) de l'Oise" (an acronym in brackets inside the name;
    not "département de l'Oise", "Conseil régional de Bretagne")."""
    if end + 1 < len(doc) and doc[end - 1].whitespace_ == " " and doc[end].is_title and doc[end].lower_ not in FUNCTION_WORDS:
        return True
    i = start - 1
    while i >= 0 and doc[i].lower_ in ARTICLES | {"l'", "l’"}:
        i -= 1
    if i >= 3 and doc[i].lower_ in OF and doc[i - 1].text == ")" and doc[i - 3].text == "(" and doc[i - 2].is_upper:
        return True
    if i >= 1 and doc[i].lower_ in OF:
        head = doc[i - 1]
        return head.is_title and fold(head.text) not in _TERRITORY_HEADS and not head.is_sent_start
    return False


_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÀ-Þ]")


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for name in sorted({fold(n) for n in names}, key=len, reverse=True):
        words = re.split(r"[\s-]+", name)
        parts.append(r"[\s-]*".join(re.escape(w) for w in words))
    if not parts:
        return None
    return re.compile(r"(" + "|".join(parts) + r")(?![\w-])")


def fold_keep_length(text: str) -> str:
    """`fold` character by character, so that offsets stay those of the text."""
    return text.translate({ord(c): (fold(c) or c)[0] for c in set(text)})


_POSTAL = re.compile(
    r"(?<![\d\w])(?:\d{5}|\d{2} \d{3}(?= [A-ZÀ-Ý]{2}))\s+((?:(?:les|le|la|l'|l’)\s)?[A-ZÀ-Ý][\w’'-]*"
    r"(?:[ -](?:[A-ZÀ-Ý][\w’'-]*|les|lès|lez|sur|sous|en|aux|au|la|le|de|du|des|d'|l'))*)"
)
_CEDEX = re.compile(r"\s+(cedex|CEDEX|Cedex)(\s+\d+)?$")


def postal_places(doc) -> list[Found]:
    """The commune after a postal code: "(60130 Saint Just en Chaussée)", "60350 Attichy", "70 013 VESOUL Cedex"."""
    found = []
    for match in _POSTAL.finditer(doc.text):
        if re.search(r"(?:n°|nº|numéro|numero)\s*$", doc.text[max(0, match.start() - 8) : match.start()].lower()):
            continue  # "Budget n°40015 SPANC-CCLO": a number, not a postal code
        name = _CEDEX.sub("", match.group(1)).rstrip(" -")
        name = re.sub(r"(\s+(de|du|des|la|le|les|en|sur|sous|aux|au|d'|l'))+$", "", name)
        span = doc.char_span(match.start(1), match.start(1) + len(name), alignment_mode="contract")
        if span is not None and len(span):
            found.append(Found(span.start, span.end, "LOC"))
    return found


_DATELINE = re.compile(
    r"(?m)^(?:Fait à |Fait a )?([A-ZÀ-Ý][\w’'-]+(?:[ -](?:[A-ZÀ-Ý][\w’'-]+|sur|sous|en|lès|les|le|la)){0,3}),? le\s+"
    r"(?=\d|1er|[A-ZÉÛ]{3,}\.?\s|(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b)"
)


def dateline_places(doc, common) -> list[Found]:
    """The place of a letter's date line: "Vesoul, le NOV. 2022", "Fait à Dinan, le 3 mars" (not "Ensuite, le 3")."""
    found = []
    for match in _DATELINE.finditer(doc.text):
        name = match.group(1)
        if "," not in match.group(0) and not match.group(0).startswith("Fait"):
            continue
        if (" " not in name and name.lower() in common) or fold(name.split()[0]).rstrip(".") in _CIVILITY_WORDS | _PERSON_LABELS:
            continue  # "Ensuite, le 3 mars", "Monsieur le Maire, le 3 mars"
        span = doc.char_span(match.start(1), match.end(1), alignment_mode="contract")
        if span is not None and len(span):
            found.append(Found(span.start, span.end, "LOC"))
    return found


def enumerated_places(doc, ents, common=frozenset()) -> list[Found]:
    """Communes listed together (commas, "et", line breaks or mere spaces between them) are places when the
    list holds a compound commune name and another place: "Aïllevans Athesans-Étroitefontaine
    Aulx-lès-Cromary Autrey-le-Vay", "Autrêches, Berneuil-sur-Aisne, Bitry, Chelles". A name spaCy took for
    a person joins a list only where nothing but spaces separates the names (columns of a PDF)."""
    places = {(e.start, e.end) for e in ents if e.label_ == "LOC"}
    # Items of an entity that holds several words: only a run of names spaCy merged into one ("St-Pierre-lès-Bitry
    # Rethondes") may be split, not "Place Jean Guillou" or "Syndicat Mixte Oise Aronde".
    blocked = set()
    for e in ents:
        if e.id_ and e.id_ != "place" or (len(words_of(doc, e.start, e.end)) > 1 and not _merged_list(doc, e)):
            blocked.update(range(e.start, e.end))
    person = {i for e in ents if e.label_ == "PER" for i in range(e.start, e.end)}
    bodies = {i for e in ents if e.label_ == "ORG" for i in range(e.start, e.end)}
    found: list[Found] = []
    run: list[tuple[int, int]] = []
    commas = False

    def close() -> None:
        nonlocal commas
        run[:] = [(s, e) for s, e in run if not (e - s == 1 and doc[s].like_num)]  # "Tracy-le-Mont\nDeux marchés"
        toponyms = sum(TOPONYM.match(_without_article(doc, s, e)) is not None for s, e in run)
        anchors = sum(TOPONYM.match(_without_article(doc, s, e)) is not None or (s, e) in places for s, e in run)
        with_people = any(person & set(range(s, e)) for s, e in run)
        pair = len(run) == 2 and (commas or "\n" in doc[run[0][1] - 1].whitespace_ or doc[run[0][1]].is_space) and not any(
            doc[s:e].text.lower() in common for s, e in run
        )
        listed = toponyms and (anchors >= 2 or len(run) >= 3 or pair) and not (with_people and commas)
        # A column of names with no compound among them ("Malans\nMarast\nMarnay\nMaussans"), known by at least
        # two places spaCy found in it, and no comma ("MM. Laval, Vienne, Rivière, Chevalier").
        column = len(run) >= 4 and anchors >= 2 and not (with_people or commas)
        if listed:
            found.extend(Found(s, e, "LOC") for s, e in run)
        elif column:  # bodies spaCy found there stay bodies ("La Poste\nEnedis\nVesoul\nGray")
            found.extend(Found(s, e, "LOC") for s, e in run if not bodies & set(range(s, e)))
        run.clear()
        commas = False

    previous_end = None
    for s, e in _with_articles(doc, words_of(doc)):
        if doc[e - 1].text in (",", ";") and e - 1 > s:
            e -= 1
        if run and doc[s:e].text in _ENUM_SEPARATORS:
            commas = True
            previous_end = e
            continue
        if (is_title_word(doc[s:e].text) or _article_and_name(doc, s, e)) and not blocked & set(range(s, e)) and not _phrase_start(doc, s, e, common):
            gap = doc[previous_end:s] if previous_end is not None else []
            if run and any(not (t.is_space or t.text in _ENUM_SEPARATORS) for t in gap):
                close()
            commas = commas or any(t.text in _ENUM_SEPARATORS for t in gap)
            run.append((s, e))
            previous_end = e
            continue
        if run:
            close()
        previous_end = None
    if run:
        close()
    return found


_NAME_ARTICLES = {"La", "Le", "Les"}  # "L'Isle-Adam" is one word already


def _with_articles(doc, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The words, a capitalised article joined to the name after it on the same line ("La" "Vergenne")."""
    joined: list[tuple[int, int]] = []
    for s, e in words:
        if joined and _article_and_name(doc, joined[-1][0], e):
            joined[-1] = (joined[-1][0], e)
        else:
            joined.append((s, e))
    return joined


def _without_article(doc, start: int, end: int) -> str:
    """The text of a listed name without the article it starts with ("La Villedieu-en-Fontenette")."""
    words = words_of(doc, start, end)
    return doc[words[1][0]:end].text if _article_and_name(doc, start, end) else doc[start:end].text


def _article_and_name(doc, start: int, end: int) -> bool:
    """A commune's name that starts with its article, as listed: "La Vergenne", "Les Aynans"."""
    words = words_of(doc, start, end)
    if len(words) != 2 or doc[words[0][0]:words[0][1]].text not in _NAME_ARTICLES:
        return False
    return doc[words[0][1] - 1].whitespace_ == " " and is_title_word(doc[words[1][0]:words[1][1]].text)


_DASHES = {"-", "–", "—"}
_SEGMENT_LINKS = {"la", "le", "les", "lès", "lez", "sur", "sous", "aux", "au", "en", "de", "du", "des", "d'", "d’", "l'", "l’"}


def dashed_places(doc, ents) -> list[Found]:
    """Names listed between spaced dashes on one line, at least three, most of them places for spaCy: the
    communes of "- Attichy - Croutoy - Cuise la Motte - St Crépin aux Bois - Berneuil sur Aisne"; each name
    is a capitalised word with capitalised words or links after it ("Tracy le Mont")."""
    kinds = {i: e.label_ for e in ents for i in range(e.start, e.end)}
    trusted = {i for e in ents if e.id_ and e.id_ != "place" for i in range(e.start, e.end)}
    found = []
    for start, end in _lines(doc):
        segments, begin = [], start
        for i in range(start, end + 1):
            if i == end or (doc[i].text in _DASHES and doc[i].whitespace_ and (i == start or doc[i - 1].whitespace_)):
                segments.append((begin, i))
                begin = i + 1
        run: list[tuple[int, int]] = []
        for s, e in [*segments, (end, end)]:
            words = doc[s:e]
            if len(words) and len(words) <= 6 and words[0].text[:1].isupper() and words[-1].text[:1].isupper() and all(
                (w.is_alpha or "-" in w.text) and (w.text[:1].isupper() or w.lower_ in _SEGMENT_LINKS) for w in words
            ) and fold(words[0].lower_) not in _CIVILITY_WORDS and not trusted & set(range(s, e)):
                run.append((s, e))
                continue
            places = sum(any(kinds.get(i) == "LOC" for i in range(a, b)) for a, b in run)
            people = sum(any(kinds.get(i) == "PER" for i in range(a, b)) for a, b in run)
            if len(run) >= 3 and places > people:
                found.extend(Found(a, b, "LOC") for a, b in run)
            run = []
    return found

def _phrase_start(doc, start: int, end: int, common) -> bool:
    """A capitalised word that starts a phrase, not a name in a list: "La gouvernance", "Territoire desservi"."""
    if _article_and_name(doc, start, end):
        start = words_of(doc, start, end)[1][0]  # "La Commission propose", "Le Président remercie"
    text = doc[start:end].text
    if text.lower() in FUNCTION_WORDS:
        return True
    after = doc[end] if end < len(doc) else None
    return text.lower() in common and after is not None and not after.is_space and after.is_lower and after.is_alpha


def _merged_list(doc, ent) -> bool:
    """spaCy ran several commune names into one entity: it holds or touches a compound commune name, or it
    cuts a word ("Bay Beaumotte" of "Bay Beaumotte-Aubertans")."""
    words = words_of(doc, ent.start, ent.end)
    if any(TOPONYM.match(doc[s:e].text) for s, e in words):
        return True
    if ent.label_ == "LOC" and sum(_COMPOUND.match(doc[s:e].text) is not None for s, e in words) >= 2:
        return True  # "Magny-Danigon Magny-Jobert Magny-Vernois"
    if ent.end < len(doc) and not doc[ent.end - 1].whitespace_ and not doc[ent.end].is_punct:
        return True
    if ent.end < len(doc) and doc[ent.end].text == "-" and not doc[ent.end - 1].whitespace_:
        return True
    before = words_of(doc, max(0, ent.start - 8), ent.start)[-1:]
    after = words_of(doc, ent.end, min(len(doc), ent.end + 8))[:1]
    return any(
        TOPONYM.match(doc[s:e].text) and all(t.is_space for t in (doc[e : ent.start] if e <= ent.start else doc[ent.end : s]))
        for s, e in before + after
    )


_ZONE_ROW = re.compile(r"(?m)^\s*[A-Z]{1,4}\d{1,3}\s*[-–:]\s*(\S.*?)\s+\d+\s*$")


def zone_rows(doc) -> list[Found]:
    """The zones of an alert-zone table: "RM21 - Vosges haute-saonaises 10" (the code is not a place)."""
    found = []
    for match in _ZONE_ROW.finditer(doc.text):
        span = doc.char_span(match.start(1), match.end(1), alignment_mode="contract")
        if span is not None and len(span) and any(t.is_title for t in span):
            found.append(Found(span.start, span.end, "LOC"))
    return found


_SPACED_LINKS = {"les", "lès", "lez", "sur", "sous", "en", "aux", "la", "le"}


def spaced_toponyms(doc, ents) -> list[Found]:
    """A commune's compound name written with spaces: "Dampvalley les Colombe", "Saint Just en Chaussée",
    "Berneuil sur Aisne" (from the department's name)."""
    found = []
    for ent in ents:
        if ent.label_ not in ("LOC", "PER") or ent.id_ == "civility" or len(words_of(doc, ent.start, ent.end)) != 1:
            continue
        i = ent.end
        if (
            i + 1 < len(doc) and doc[i].lower_ in _SPACED_LINKS and doc[i].is_lower and doc[i + 1].is_title
            and doc[i + 1].pos_ == "PROPN" and ent[0].pos_ == "PROPN" and not ent[0].text.endswith("s")
        ):
            found.append(Found(ent.start, i + 2, "LOC"))
        i = ent.start  # "Berneuil sur Aisne": the place found is the river's or the department's
        if (
            ent.label_ == "LOC" and i >= 2 and doc[i - 1].lower_ in _SPACED_LINKS and doc[i - 1].is_lower
            and doc[i - 2].is_title and doc[i - 2].pos_ == "PROPN" and doc[i - 2].whitespace_ == " "
            and not any(e.start <= i - 2 < e.end for e in ents) and fold(doc[i - 2].text) not in FUNCTION_WORDS
        ):
            found.append(Found(i - 2, ent.end, "LOC"))
    return found


def geographic_names(doc, ents) -> list[Found]:
    """A place's name with its lower-case head ("du bassin Rhône-Méditerranée"), but not after a bare "de",
    where the head is part of a title ("préfet coordonnateur de bassin Rhône-Méditerranée")."""
    found = []
    by_start = {e.start: e for e in ents if e.label_ == "LOC"}
    for ent in ents:
        if ent.label_ == "LOC" and len(ent) > 1 and fold(ent[0].text) in GEO_HEADS and ent[0].is_lower:
            bare = ent.start > 0 and doc[ent.start - 1].lower_ in ("de", "d'", "d’")
            found.append(Found(ent.start + 1, ent.end, "LOC") if bare else Found(ent.start, ent.end, "LOC"))
    for token in doc[1:-1]:
        nxt = by_start.get(token.i + 1)
        if nxt is not None and token.is_lower and fold(token.text) in GEO_HEADS and doc[token.i - 1].lower_ not in ("de", "d'", "d’"):
            found.append(Found(token.i, nxt.end, "LOC"))
    return found


# Buildings and sites whose place is named after "de": "l'église de Pierrefonds", "la gare de Compiègne".
_BUILDINGS = {"eglise", "gare", "piscine", "cimetiere", "port", "plage", "chateau", "abbaye", "stade", "marche", "halle",
              "foret", "bourg", "centre-bourg", "centre-ville", "quartier", "hameau", "secteur", "commune"}


def located_names(doc, ents, common) -> list[Found]:
    """A capitalised name that spaCy missed where only a place fits: after "à" ("Suppression de l'EBC à
    Custrein") or after a building ("l'église de Pierrefonds"); not a common word, a title or a civility."""
    found = []
    taken = {i for e in ents if e.label_ != "MISC" for i in range(e.start, e.end)}
    for token in doc[2:]:
        if token.i in taken or not (token.is_title or TOPONYM.match(token.text)) or token.pos_ != "PROPN" \
                or any(c.isdigit() for c in token.text):  # "à L.2422-11": an article of a code
            continue
        before = doc[token.i - 1].lower_
        building = before in OF and fold(doc[token.i - 2].text) in _BUILDINGS and doc[token.i - 2].is_lower
        if not (before == "à" or building) or token.text.lower() in common or fold(token.text).rstrip(".") in _PERSON_LABELS | _CIVILITY_WORDS:
            continue
        end = token.i + 1
        while end < len(doc) and doc[end].text == "-" and end + 1 < len(doc) and not doc[end].whitespace_:
            end += 2
        after = doc[end] if end < len(doc) else None
        if after is not None and (after.is_title or after.is_upper) and not after.is_punct:
            continue  # "à Verger Vivant", "à Jean Dupont": a longer name
        found.append(Found(token.i, end, "LOC"))
    return found


# Natural sites named in lower case before their name: "la forêt de Compiègne", "le mont Saint-Mard", "le ru de Vandy".
NATURAL_SITES = {"foret", "bois", "mont", "ru", "riviere", "butte", "etang", "lac", "canal", "baie", "marais", "clos"}
_NATURAL_SITES_WITH_DE = {"bois", "canal", "clos"}  # "le canal Facebook", "en bois Douglas": only "bois de X"


def sites_and_bearings(doc, ents) -> list[Found]:
    """Named sites written with a capital ("Manoir de Ménez-Bras", "Château de Pierrefonds") or with a natural
    site's head in lower case ("forêt de Compiègne", "mont Saint-Mard"), and places after a bearing ("à l'est de
    Tromao", "au nord de Dinan")."""
    found = []
    taken = {i for e in ents if e.label_ in ("ORG",) for i in range(e.start, e.end)}
    for token in doc[:-2]:
        i = token.i
        natural = token.is_lower and fold(token.text) in NATURAL_SITES
        if (
            (token.is_title and fold(token.text) in SITE_HEADS and doc[i + 1].lower_ in OF | {"de la", "de l'"})
            or (natural and (doc[i + 1].lower_ in OF or (
                doc[i + 1].is_title and not doc[i + 1].is_sent_start and fold(token.text) not in _NATURAL_SITES_WITH_DE
            )))
        ):
            j = i + 1
            while j < len(doc) and doc[j].lower_ in OF | ARTICLES:
                j += 1
            end = _title_run(doc, j) if j < len(doc) and doc[j].is_title else j
            end = _hyphenated(doc, end)
            if end > j and not taken & set(range(i, end)):
                found.append(Found(i, end, "LOC"))
        if token.lower_ in BEARINGS and doc[i - 1].lower_ in ("l'", "l’", "au") and doc[i + 1].lower_ in OF:
            j = i + 2
            end = _title_run(doc, j) if j < len(doc) and doc[j].is_title else j
            end = _hyphenated(doc, end)
            if end > j and not taken & set(range(j, end)):
                found.append(Found(j, end, "LOC"))
    return found



# Words that only classify the locality named after them: "au lieu-dit Le Poulley", "le hameau des Vaudrilles",
# "ZI Les Surcens", "la zone d'activités des Grands Prés", "le lotissement Clos Saint Ladre".
_LOCALITY_CLASSES = ("lieu-dit", "lieudit", "lieu dit", "hameau", "zone d'activites", "zone d'activite", "zone artisanale",
                     "zone industrielle", "zone commerciale", "parc d'activites", "z.i", "zi", "z.a", "za", "zac", "lotissement")
# Matched on the folded text (lower case, same offsets); the name after it must start with a capital in the text.
_LOCALITY_CLASS = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(c) for c in sorted(_LOCALITY_CLASSES, key=len, reverse=True)) + r")(?![\w])"
    r"\.?\s*:?\s*(?:(?:de la|de l'|des|du|de|d')\s*)?(?=\w)"
)


def classified_localities(doc, ents) -> list[Found]:
    """The name after a word that only classifies a locality, without that word: "lieu-dit : Marais de Genancourt",
    "hameau des Vaudrilles" -> "Vaudrilles", "Z.I Les Surcens" -> "Les Surcens"; a capitalised article stays."""
    found = []
    taken = {i for e in ents if e.label_ in ("ORG", "PER") and e.id_ for i in range(e.start, e.end)}
    for match in _LOCALITY_CLASS.finditer(fold_keep_length(doc.text)):
        if not doc.text[match.end()].isupper():
            continue  # "hameaux fleuris", "za" of "Zakaria" are no class of a named locality
        span = doc.char_span(match.end(), match.end() + 1, alignment_mode="expand")
        if span is None:
            continue
        i = span.start
        j = i + 1 if doc[i].text in ("Le", "La", "Les", "L'", "L’") else i
        end = _title_run(doc, j) if j < len(doc) and doc[j].is_title else j
        end = _hyphenated(doc, end)
        if end > j and not taken & set(range(i, end)):
            found.append(Found(i, end, "LOC"))
    return found


# Buildings and grounds named by a proper name right after their head: "salle Simone Veil", "l'église Saint-Joseph",
# "Parking Sabatier II", "Foyer Napoléon" (places where something happens, not bodies).
_NAMED_BUILDINGS = {"salle", "gymnase", "stade", "parking", "eglise", "chapelle", "halle", "foyer", "cimetiere"}


def named_buildings(doc, ents) -> list[Found]:
    """A building's or a ground's head followed by its own capitalised name, both as the place: "la salle Simone
    Veil", "l'église Saint-Joseph", "Parking Sabatier II"; not "la salle du conseil", "le stade municipal"."""
    found = []
    taken = {i for e in ents if e.id_ and e.label_ != "LOC" for i in range(e.start, e.end)}
    for token in doc[:-1]:
        i = token.i
        if fold(token.text) not in _NAMED_BUILDINGS or not (token.is_lower or token.is_title) or i in taken:
            continue
        if not doc[i + 1].is_title or fold(doc[i + 1].text) in FUNCTION_WORDS | _NEW_BODY:
            continue
        end = _title_run(doc, i + 1)
        end = _hyphenated(doc, end)
        if end < len(doc) and _ROMAN.match(doc[end].text):
            end += 1
        if not taken & set(range(i, end)):
            found.append(Found(i, end, "LOC"))
    return found


# Heads of a street's or a square's name, in any case: "rue Chauret", "QUAI JEAN JAURES", "place des Tilleuls".
STREET_HEADS = {"rue", "route", "quai", "avenue", "boulevard", "bd", "chemin", "impasse", "allee", "corniche", "pont",
                "place", "square", "ruelle", "esplanade", "promenade"}
_NAME_PARTICLES = {"le", "la", "les", "de", "du", "des", "d'", "d’", "l'", "l’", "aux", "sur"}


UNNAMED = "UNNAMED"  # a street or square without a name of its own
_FACED_BUILDINGS = {"mairie", "hotel de ville", "eglise"}


def street_names(doc, ents) -> list[Found]:
    """Streets, squares and bridges named after their head ("rue Joseph Adolphe Chauret", "rue Viollet le Duc",
    "route de la Combe-aux-Loups", "12, QUAI JEAN JAURES — 29770"): the head, its link and the run of
    capitalised words after it, never across a line break. "place" after "en" or "la" is the common noun
    ("mise en place du", "à la place de") unless capitalised ("sur la Place de la Mairie"); "route" in "feuille de
    route" and "mise en route" is no street. A body's one capitalised word first in the name is the street's ("rue
    de la Préfecture"); any other body there stops the street ("feuille de route du Conseil Départemental", "12 rue
    Nationale SMDO", "l'association Chemin Faisant"), but for spaCy's guess of a body from the head. A square
    named after the building it faces has no name of its own ("Place de la Mairie", "place de l'Hôtel de Ville"):
    found with the label `UNNAMED`, to drop the body's word, but no place."""
    found = []
    bodies = [e for e in ents if e.label_ == "ORG"]
    for token in doc[:-1]:
        i = token.i
        if fold(token.lower_) not in STREET_HEADS or "\n" in token.whitespace_:
            continue
        if token.lower_ == "place" and i > 0 and (doc[i - 1].lower_ in ("en", "sa", "leur", "une") or (
                doc[i - 1].lower_ == "la" and token.text != "Place")):
            continue
        if token.lower_ == "route" and i > 1 and (doc[i - 1].lower_ == "en" or doc[i - 2].lower_ == "feuille"):
            continue
        j = i + 1
        while j < len(doc) and doc[j].lower_ in OF | ARTICLES and "\n" not in doc[j - 1].whitespace_:
            j += 1
        end = j
        while end < len(doc) and "\n" not in doc[end - 1].whitespace_:
            word = doc[end]
            if word.text[:1].isupper() and (word.is_alpha or "-" in word.text) and fold(word.lower_) not in _CIVILITY_WORDS:
                end += 1
            elif end > j and word.lower_ in _NAME_PARTICLES and end + 1 < len(doc) and doc[end + 1].text[:1].isupper() \
                    and "\n" not in word.whitespace_:
                end += 1
            else:
                break
        while end > j and doc[end - 1].lower_ in _NAME_PARTICLES:
            end -= 1
        absorbed = [e for e in bodies if e.start == j and len(e) == 1 and e[0].is_title]
        if end > j and not any(e.start < end and i <= e.end - 1 and e not in absorbed and not (e.start == i and not e.id_)
                               for e in bodies):
            unnamed = token.lower_ == "place" and fold(doc[j:end].text) in _FACED_BUILDINGS
            found.append(Found(i, end, UNNAMED if unnamed else "LOC"))
    return found

# --- attendance lists of minutes ---------------------------------------------------------------------

MEMBERS, INVITED = "members", "invited"
_LIST_START = r"(?:^|(?<=[\n•–—-])|(?<=\.\s))[ \t•–—-]*"  # a line's or a sentence's start, after bullets
_THEN_LIST = r"(?=[^.\n]{0,40}?:|\s+(?:m\.|mm\.|mme|mmes|monsieur|madame)\W)"  # a colon or a civility follows
# Headings of the lists of a deliberative assembly's minutes, matched on the folded text. Members: present,
# absent, excused, giving or holding a proxy, the session's secretary, a recorded vote, councillors listed;
# invited: people attending who are not members (their own line says what they are).
_ATTENDANCE_HEADINGS = re.compile(
    r"(?P<members>"
    r"\b(?:etaient|sont|membres|conseillers|conseilleres|elus)\s+present(?:e?s)?\b"
    rf"|{_LIST_START}(?:present(?:e?s)?|absent(?:e?s)?|excuse(?:e?s)?|represente(?:e?s)?|pouvoirs?|procurations?)\b"
    rf"{_THEN_LIST}|{_LIST_START}(?:titulaires?|suppleant(?:e?s)?|delegue(?:e?s)?)\s*:"
    r"|\b(?:les\s+)?membres\s+(?:du|de\s+la|de\s+l')\s+(?:commission|bureau|comite|conseil)\b[^:\n.]{0,100}:"
    r"|\b(?:ayant|a|ont|avait|avaient)\s+donne\s+(?:pouvoir|procuration)\b"
    r"|\bsecretaire\s+de\s+seance\b|\b(?:pouvoir|procuration)\s+donnee?\s+par\b"
    r"|\b(?:pouvoir|procuration)\s+a\s+(?=(?:m\.|mm\.|mme|mmes|monsieur|madame)\W)"
    r"|\b(?:conseilleres?\s+et\s+conseillers?|conseillers?|conseilleres?)\s+"
    r"(?:municipa(?:ux|les?)|communautaires?|departementa(?:ux|les?)|regiona(?:ux|les?)|syndica(?:ux|les?))\s*:"
    r"|\b(?:pour|contre|abstentions?)\s*:\s*(?:\d+\s*[,:;]?\s*)?[-–(]?\s*(?=(?:m\.|mm\.|mme|mmes|monsieur|madame)\W)"
    r")|(?P<invited>"
    r"\bassistai(?:en)?t\b(?:\s+egalement)?|\begalement\s+present(?:e?s)?\b"
    rf"|{_LIST_START}invite(?:e?s)?\s*:|\ben\s+presence\s+de\b"
    r")"
)
_CIVILITY_TOKENS = {"m.", "m", "mm.", "mme", "mmes", "mlle", "monsieur", "madame", "messieurs", "mesdames", "mademoiselle"}


def attendance_lists(doc) -> list[Found]:
    """The attendance lists of minutes, each from its heading to its end, labelled `MEMBERS` ("Présents :",
    "Étaient présents", "Absents excusés", "Pouvoirs", "ayant donné pouvoir à", "Secrétaire de séance",
    "Conseillers communautaires :", "Pour : 6, Madame X, …") or `INVITED` ("Assistaient également",
    "Invités :"). A list runs over the next lines while they start with a civility or a person's name, and
    ends at a full stop or the next heading. "X a donné pouvoir à Y" starts at the line's start (X too)."""
    text = fold_keep_length(doc.text)
    heads = list(_ATTENDANCE_HEADINGS.finditer(text))
    found = []
    for k, match in enumerate(heads):
        limit = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        start = match.start()
        if "donne" in match.group(0):
            start = text.rfind("\n", 0, start) + 1
        head = doc.char_span(start, max(match.end(), start + 1), alignment_mode="expand")
        if head is None:
            continue
        end = head.end
        while end < len(doc) and doc[end].idx < limit:
            token = doc[end]
            if token.text == "." and not (end and doc[end - 1].lower_ in _CIVILITY_TOKENS):
                break  # a sentence ends the list
            if "\n" in token.text_with_ws and not _list_goes_on(doc, end):
                end += 0 if token.is_space else 1
                break
            end += 1
        if end > head.end:
            found.append(Found(head.start, end, INVITED if match.group("invited") else MEMBERS))
    return found


def _list_goes_on(doc, i: int) -> bool:
    """After the line break at token i, the next line goes on with the list: it starts with a civility or
    a person's name, or the line ends with a comma or a semicolon."""
    previous = doc[i - 1] if doc[i].is_space and i else doc[i]
    j = i + 1
    while j < len(doc) and (doc[j].is_space or doc[j].text in _LINE_BULLETS):
        j += 1
    if j >= len(doc):
        return False
    return previous.text in (",", ";") or doc[j].lower_ in _CIVILITY_TOKENS or doc[j].ent_type_ == "PER" or (
        doc[j].text.lower().startswith(("m.", "mme")) and doc[j].text[:1].isupper()  # "M.TANGUY" in one token
    )
