"""The reasons of an ingestion run (a file that failed, a page left out, a copy), in French, for the web pages.

The pipeline, its command line and its JSON speak English (the README and the API do); the run page speaks
French. Each reason the pipeline can give is written below as an English template whose `{fields}` are its
variable parts (sizes, seconds, page and line numbers, paths, an exception's own words), beside its French
sentence. A reason no template matches (an older run's, a new one) is shown as it was recorded. Pure: no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

NBSP = "\u00a0"  # before « : », « ; », « % » and units, as the templates' &nbsp;

# (English template, French template); fields keep their name from one to the other.
REASONS: tuple[tuple[str, str], ...] = (
    # pipelines/readers/__init__.py: any file
    ("the file name is not valid UTF-8: rename the file (e.g. with convmv)",
     "Le nom du fichier n'est pas en UTF-8 : renommez le fichier (par exemple avec convmv)"),
    ("a symbolic link that leads nowhere, or to itself", "Lien symbolique qui ne mène nulle part, ou à lui-même"),
    ("no such file", "Fichier introuvable"),
    ("not a regular file", "Ce n'est pas un fichier ordinaire"),
    ("the file is empty (0 bytes)", "Le fichier est vide (0 octet)"),
    ("the file is {size} MB, over the limit of {limit} MB",
     "Le fichier fait {size} Mo, au-delà de la limite de {limit} Mo"),
    ("permission denied: the file cannot be read by this user",
     "Accès refusé : cet utilisateur ne peut pas lire le fichier"),
    ("no text could be read from the document ({pages})", "Aucun texte n'a pu être lu dans le document ({pages})"),
    ("no text could be read from the document", "Aucun texte n'a pu être lu dans le document"),
    ("cannot list the folder: {os_error}", "Impossible de lister le dossier : {os_error}"),
    # plain text, web pages, captions, office documents
    ("binary content that is not a supported document type",
     "Contenu binaire qui n'est pas d'un type de document pris en charge"),
    ("text in an unknown encoding", "Texte dans un encodage inconnu"),
    ("no main text found in the web page", "Aucun texte principal trouvé dans la page web"),
    ("malformed {format} timing at line {line}: {text}",
     "Horodatage {format} mal formé à la ligne {line} : {text}"),
    ("malformed {format} file ({detail})", "Fichier {format} mal formé ({detail})"),
    ("a damaged ZIP archive ({detail})", "Archive ZIP endommagée ({detail})"),
    ("a ZIP archive that is neither a DOCX nor an ODT document",
     "Archive ZIP qui n'est ni un document DOCX ni un document ODT"),
    ("not a readable DOCX document ({detail})", "Document DOCX illisible ({detail})"),
    ("not a readable ODT document ({detail})", "Document ODT illisible ({detail})"),
    # pipelines/readers/pdf.py
    ("the PDF is protected by a password", "Le PDF est protégé par un mot de passe"),
    ("not a readable PDF ({detail})", "PDF illisible ({detail})"),
    ("the PDF is damaged ({detail})", "Le PDF est endommagé ({detail})"),
    ("opening the PDF took longer than {seconds} s", "L'ouverture du PDF a pris plus de {seconds} s"),
    ("the PDF reader stopped while opening the file", "Le lecteur de PDF s'est arrêté en ouvrant le fichier"),
    ("reading the page took longer than {seconds} s", "La lecture de la page a pris plus de {seconds} s"),
    ("the PDF reader stopped on this page", "Le lecteur de PDF s'est arrêté sur cette page"),
    ("the page is damaged ({detail})", "La page est endommagée ({detail})"),
    ("scanned page not readable by OCR (confidence {percent}%)",
     "Page numérisée illisible par l'OCR (confiance de {percent} %)"),
    # pipelines/readers/ocr.py
    ("OCR unavailable: install tesseract-ocr and tesseract-ocr-fra",
     "OCR indisponible : installez tesseract-ocr et tesseract-ocr-fra"),
    ("OCR unavailable: install tesseract-ocr-fra (Tesseract's French model)",
     "OCR indisponible : installez tesseract-ocr-fra (le modèle français de Tesseract)"),
    ("OCR took longer than {seconds} s on a page", "L'OCR a pris plus de {seconds} s sur une page"),
    ("OCR failed: {detail}", "Échec de l'OCR : {detail}"),
    # pipelines/flows.py
    ("same content as {path}", "Même contenu que {path}"),
    ("unexpected error: {detail}", "Erreur inattendue : {detail}"),
)

# The operating system's words for a folder that cannot be listed (strerror), the most frequent ones.
OS_ERRORS = {
    "Permission denied": "accès refusé",
    "No such file or directory": "dossier introuvable",
    "Not a directory": "ce n'est pas un dossier",
    "Input/output error": "erreur d'entrée-sortie",
    "Too many levels of symbolic links": "trop de liens symboliques en chaîne",
    "Stale file handle": "partage réseau qui ne répond plus",
}

_FIELD = re.compile(r"\{(\w+)\}")
_NUMBER = re.compile(r"\d+\.\d+")
_PAGE_ITEM = re.compile(r"page (\d+): (.*?)(?=; page \d+: |$)")
_NUMERIC_FIELDS = {"size", "limit", "seconds", "percent", "line"}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, str]]:
    """Each English template as a regular expression that captures its fields."""
    compiled = []
    for english, french in REASONS:
        parts = _FIELD.split(english)  # literal, field, literal, field, …
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        compiled.append((re.compile(regex, re.DOTALL), french))
    return compiled


def french(reason: str) -> str | None:
    """The reason in French, or None when no template matches it."""
    for pattern, template in _patterns():
        if found := pattern.fullmatch(reason):
            fields = {name: _field(name, value) for name, value in found.groupdict().items()}
            return _typeset(template).format(**fields)
    return None


def in_french(reason: str) -> str:
    """The reason in French, or as it was recorded when it is not one of REASONS."""
    return french(reason) or reason


def _field(name: str, value: str) -> str:
    if name in _NUMERIC_FIELDS:
        return _NUMBER.sub(lambda m: m.group().replace(".", ","), value)  # 200,4 Mo; 0,5 s
    if name == "pages":  # "page 3: scanned page…; page 4: …": each page's reason in French too
        items = _PAGE_ITEM.findall(value)
        if not items:
            return value
        return f"{NBSP}; ".join(f"page {page}{NBSP}: {_nested(in_french(reason))}" for page, reason in items)
    if name == "os_error":
        return OS_ERRORS.get(value, value)
    return value


def _nested(sentence: str) -> str:
    """A sentence inside another starts in lower case ("page numérisée…", "l'OCR…"), an acronym aside."""
    first = re.split(r"[ '’]", sentence, maxsplit=1)[0]
    return sentence if len(first) > 1 and first.isupper() else sentence[:1].lower() + sentence[1:]


def _typeset(template: str) -> str:
    """French spacing: a no-break space before « : », and between a number and its unit (s, Mo, %)."""
    return re.sub(r" :|(?<=\}) (?=(s|Mo|%)(?:$|[ ),]))", lambda m: NBSP + m.group().lstrip(), template)
