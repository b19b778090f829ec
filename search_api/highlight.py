"""Pure helpers of the web page: snippets with the query's words marked, page and time labels.

Document text is HTML-escaped before any markup is added: the result is safe to insert as is.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from pipelines.text import STOPWORDS, fold

_WORD = re.compile(r"\w+")
SNIPPET_CHARS = 360
PARIS = ZoneInfo("Europe/Paris")  # the pages show times as the Fabrique's staff read them


def query_terms(query: str) -> list[str]:
    """The query's words, folded (lower case, no accents), without French function words."""
    return list(dict.fromkeys(w for w in _WORD.findall(fold(query)) if len(w) > 1 and w not in STOPWORDS))


def _matches(word: str, terms: list[str]) -> bool:
    folded = fold(word)
    if folded in STOPWORDS:  # "parce" is not "parc"
        return False
    for term in terms:
        if folded == term:
            return True
        # French inflection: "conflits" for "conflit", "médiatrice" for "médiation" is too far
        stem = term[: max(4, len(term) - 2)]
        if len(term) >= 4 and len(folded) >= 4 and folded.startswith(stem) and abs(len(folded) - len(term)) <= 3:
            return True
    return False


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text) if _matches(m.group(), terms)] if terms else []


def highlight(text: str, query: str) -> Markup:
    """The text, escaped, with the query's words in <mark> (accents and case ignored)."""
    return _mark(text, _spans(text, query_terms(query)))


_BEFORE_SIGN = re.compile(r" (?=[»:;?!])")
_AFTER_GUILLEMET = re.compile(r"(?<=«) ")


def french_spaces(text: str) -> str:
    """No line break inside « … » nor before : ; ? ! (a space becomes a no-break space: same length)."""
    return _AFTER_GUILLEMET.sub("\u00a0", _BEFORE_SIGN.sub("\u00a0", text))


def _mark(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Markup:
    text = french_spaces(text)  # the same length: the spans still hold
    out, last = [], 0
    for start, end in spans:
        start, end = start - offset, end - offset
        if start < last or end > len(text) or start < 0:
            continue
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(text: str, query: str, *, size: int = SNIPPET_CHARS) -> Markup:
    """A window of about `size` characters of the text around most of the query's words, escaped and marked."""
    text = " ".join(text.split())
    spans = _spans(text, query_terms(query))
    if len(text) <= size:
        return _mark(text, spans)
    start = 0
    if spans:  # the window that holds the most marked words
        best = max(range(len(spans)), key=lambda i: sum(1 for s, e in spans[i:] if e <= spans[i][0] + size))
        start = max(0, spans[best][0] - size // 5)
    end = min(len(text), start + size)
    if start > 0:  # cut on word boundaries
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    inner = [(s, e) for s, e in spans if s >= start and e <= end]
    body = _mark(text[start:end], inner, offset=start)
    return (Markup("… ") if start > 0 else Markup("")) + body + (Markup(" …") if end < len(text) else Markup(""))


def where(page: int | None, page_end: int | None, speaker: str | None, start_s: float | None) -> str:
    """'p. 12', 'p. 12–13' (a no-break space after 'p.'), 'Marie Dupont à 00:12:03' or ''."""
    parts = []
    if page:
        parts.append(f"p.\u00a0{page}–{page_end}" if page_end and page_end != page else f"p.\u00a0{page}")
    if speaker:
        parts.append(speaker + (f" à {clock(start_s)}" if start_s is not None else ""))
    elif start_s is not None:
        parts.append(clock(start_s))
    return " · ".join(parts)


def clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def french_date(iso: str | None) -> str:
    if not iso:
        return ""
    parts = iso[:10].split("-")
    return "/".join(reversed(parts))


def french_datetime(iso: str | None) -> str:
    """'2026-11-23T15:52:05+00:00' -> '23/11/2026 16:52', in Paris time; '' for None."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return (moment.astimezone(PARIS) if moment.tzinfo else moment).strftime("%d/%m/%Y %H:%M")


def mark_names(text: str, names: list[str]) -> Markup:
    """The text, escaped, with every occurrence of these names in <mark> (whole words; accents and case ignored)."""
    folded, origin = [], []  # folded characters and the index of the character each comes from
    for i, char in enumerate(text):
        for f in fold(char):
            folded.append(f)
            origin.append(i)
    haystack = "".join(folded)
    spans = []
    for name in sorted({fold(n) for n in names if n.strip()}, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", haystack):
            spans.append((origin[m.start()], origin[m.end() - 1] + 1))
    spans.sort(key=lambda span: (span[0], -span[1]))
    kept, last = [], -1
    for start, end in spans:  # longest names first were found; drop overlaps
        if start >= last:
            kept.append((start, end))
            last = end
    return _mark(text, kept)


def french_number(value: float, digits: int = 2) -> str:
    """0.74 -> '0,74': a decimal comma."""
    return f"{value:.{digits}f}".replace(".", ",")
