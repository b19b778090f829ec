"""Pure helpers on French text: normalisation, sentence splitting, accent folding."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"[ \t\u00a0\u202f]+")
# A sentence ends with . ! ? or … (optionally followed by a closing quote) before a capital or a quote.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»\"”)]?\s+(?=[«\"“(]?\s?[A-ZÀ-ÖØ-Þ0-9])")


# Spacing accents that LaTeX PDFs emit beside the letter ("d´ebat", "aouˆt", "`a"), and their combining form.
_SPACING_ACCENTS = {"\u00b4": "\u0301", "`": "\u0300", "\u02c6": "\u0302", "\u00a8": "\u0308", "\u02dc": "\u0303"}
_SPLIT_ACCENT = re.compile(r"([A-Za-z]?)([\u00b4`\u02c6\u00a8\u02dc]) ?([A-Za-z]?)")
_LOOSE_COMBINING = re.compile(r"(\w) ([\u0300-\u036f])")  # "e ́" -> "é"
_VOWELS = set("aeiouyAEIOUY")


def _join_accent(match: re.Match[str]) -> str:
    before, accent, after = match.groups()
    mark = _SPACING_ACCENTS[accent]
    if after in _VOWELS:
        return before + after + mark
    if before in _VOWELS:
        return before + mark + after
    return match.group(0)


def repair_accents(text: str) -> str:
    """Put split accents back on their letter and compose (NFC)."""
    if any(accent in text for accent in _SPACING_ACCENTS):
        text = _SPLIT_ACCENT.sub(_join_accent, text)
    text = _LOOSE_COMBINING.sub(r"\1\2", text)
    return unicodedata.normalize("NFC", text)


def normalize(text: str) -> str:
    """NFC with split accents repaired, ligatures expanded, spaces collapsed on each line."""
    text = unicodedata.normalize("NFKC", text) if any(c in text for c in "ﬀﬁﬂﬃﬄ") else text
    text = repair_accents(text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def text_hash(text: str) -> str:
    """The identity of a passage's words, blind to spacing, line breaks and Unicode form: a staff correction
    follows its text from one version of a file to the next, where the passage's id (the file's hash) changes."""
    return hashlib.sha256(one_line(normalize(text)).encode("utf-8")).hexdigest()


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences (regex rules good enough for French prose)."""
    parts = _SENTENCE_END.split(one_line(text))
    return [p.strip() for p in parts if p.strip()]


def fold(text: str) -> str:
    """Lower case without accents, for matching cues and names."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


# Folded French function words left out of lexical queries.
STOPWORDS = frozenset(
    """a afin ai au aux avec c ce ces cet cette comme comment combien d dans de des du elle elles en est et
    etait etre il ils j l la le les leur leurs lorsque lui m mais me meme n ne nos notre nous on ont ou par
    parce pas pour pourquoi puisque qu quand que quel quelle quelles quels qui quoi s sa se ses si son sont
    sur t ta te tes ton tu un une vos votre vous y""".split()
)


def sentence_with(text: str, phrase: str, *, limit: int = 300) -> str:
    """The first sentence of `text` that holds `phrase` (accents and case ignored), cut to about `limit`
    characters around it (… marks a cut); the start of the text when no sentence holds it."""
    target = fold(one_line(phrase))
    for sentence in split_sentences(text):
        at = fold(sentence).find(target) if target else -1
        if at >= 0:
            return cut_around(sentence, at, len(target), limit)
    return cut_around(one_line(text), 0, 0, limit)


def cut_around(sentence: str, at: int, length: int, limit: int = 300) -> str:
    """The sentence, or about `limit` characters of it around sentence[at : at + length] (… marks a cut)."""
    if len(sentence) <= limit:
        return sentence
    start = max(0, min(at - (limit - length) // 2, len(sentence) - limit))
    if start > 0 and " " in sentence[start : at]:
        start = sentence.index(" ", start) + 1  # not in the middle of a word
    end = start + limit
    if end < len(sentence) and " " in sentence[at + length : end]:
        end = sentence.rindex(" ", at + length, end)
    return ("…" if start > 0 else "") + sentence[start:end].strip() + ("…" if end < len(sentence) else "")
