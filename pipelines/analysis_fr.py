"""French lexical analysis for the lexical (BM25) leg of search. Pure: no I/O.

Passages are indexed, and queries analysed, the same way: lower case, elisions dropped (l' d' qu' j' n'
s' c' m' t' jusqu' lorsqu' puisqu', straight or curly apostrophe), French function words dropped, Snowball
French stemming (PyStemmer), then accents folded. "rénovations énergétiques" and "rénovation énergétique"
give the same terms. Text between double quotes in a query is an exact phrase, matched unstemmed.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import Stemmer

from pipelines.text import STOPWORDS, fold

_APOSTROPHES = re.compile(r"[’‘ʼ`´]")
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|qu|[ldjnscmt])'", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# A phrase between straight double quotes, French guillemets or curly double quotes.
_PHRASE = re.compile(r"\"([^\"]*)\"|«([^»]*)»|“([^”]*)”")
_QUOTES = re.compile(r"[\"«»“”]")

_stemmer = Stemmer.Stemmer("french")
_stemmer_lock = threading.Lock()  # a Stemmer object is not thread-safe; the API serves from threads


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _stemmer_lock:
        stem = _stemmer.stemWord(word)
    return fold(stem)


def words(text: str) -> list[str]:
    """Lower-case words with elisions and apostrophes dropped, accents kept ("L’Énergie" → ["énergie"])."""
    text = _APOSTROPHES.sub("'", text.casefold().translate(_LIGATURES))
    return _WORD.findall(_ELISION.sub(" ", text))


def analyse(text: str) -> list[str]:
    """The index terms of a text, in order: stems of its words, function words left out, accents folded."""
    terms = []
    for word in words(text):
        folded = fold(word)
        if folded in STOPWORDS or (len(folded) < 2 and not folded.isdigit()):
            continue
        terms.append(_stem(word))
    return terms


def indexed_form(text: str) -> str:
    """What the lexical index stores for a passage: its terms separated by spaces."""
    return " ".join(analyse(text))


@dataclass(frozen=True)
class LexicalQuery:
    terms: list[str]  # stems, deduplicated, in query order (words of the phrases included)
    phrases: list[str]  # exact phrases, as typed between the quotes

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)


def parse_query(query: str) -> LexicalQuery:
    """Split a query into stemmed terms and exact phrases (text between double quotes)."""
    phrases = []
    for match in _PHRASE.finditer(query):
        phrase = " ".join(next(g for g in match.groups() if g is not None).split())
        if _WORD.search(phrase):
            phrases.append(phrase)
    loose = _QUOTES.sub(" ", query)  # an unclosed quote is just a character
    return LexicalQuery(terms=list(dict.fromkeys(analyse(loose))), phrases=list(dict.fromkeys(phrases)))
