"""What a document says of itself: the date of the act or meeting, its territory, its language. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pipelines.text import STOPWORDS, fold

_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_DAY = r"(1er|[0-3]?\d)"
_WRITTEN = re.compile(_DAY + r"\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d\d)")
_NUMERIC = re.compile(r"\b([0-3]?\d)[/.-]([01]?\d)(?:[/.-]((?:19|20)?\d\d))?\b")
# Dates written in words, as deeds open: "Le vingt-neuf juin deux mille vingt et un",
# "L'an deux mille vingt-cinq, le 20 novembre".
_UNITS = {
    "un": 1, "une": 1, "premier": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19,
}
_TENS = {"vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
_NUMBER_WORD = r"(?:" + "|".join(sorted({*_UNITS, *_TENS, "et", "mille", "mil", "cent"}, key=len, reverse=True)) + r")"
_WORDS = _NUMBER_WORD + r"(?:[\s-]+" + _NUMBER_WORD + r")*"
_MONTH = r"(" + "|".join(_MONTHS) + r")"
_IN_WORDS = re.compile(r"\b(" + _WORDS + r")\s+" + _MONTH + r"\s+(" + _WORDS + r")\b")
_YEAR_FIRST = re.compile(r"\bl['’]an\s+(" + _WORDS + r"),?\s+le\s+" + _DAY + r"\s+" + _MONTH + r"\b")
# A date right after one of these is the date of the meeting or of the act.
_CUE = re.compile(
    r"(seance|reunion|conseil municipal|conseil communautaire|assemblee generale|comite|deliberation|"
    r"arrete|en date)\s+(du|de)\s+(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?$"
)
# ... but not after the approval of earlier minutes: "Approbation du procès-verbal de la séance du 10 décembre 2025"
# names the previous meeting, not this one.
_EARLIER_MINUTES = re.compile(
    r"(approbation|adoption|approuve\w*|adopte\w*)\s+(du |le |les |de la |des )?(proces[- ]verbaux|proces[- ]verbal|"
    r"pv|comptes?[- ]rendus?)\s+(de la |du |des |de l'|d')?(\w+\s+){0,2}(seances?|reunions?|conseils?)"
    r"(\s+[\w']+){0,4}?\s+(du|de)\s+(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?$"
)
_NAME = r"[A-ZÀ-Ý][\w'’-]+"  # a capitalised word of a place name
_LINK = r"(?:\s+(?:(?:du|de|des|la|le|les|et|sur|sous|en|l[èe]s)\s+|l['’]|d['’])*)"
_TERRITORY = [
    re.compile(
        r"\b((?i:communaut[ée] (?:de communes|d['’]agglom[ée]ration|urbaine))\s+"
        r"(?:(?:du|de la|des|de)\s+|de l['’]|d['’])?" + _NAME + r"(?:" + _LINK + _NAME + r")*)"
    ),
    re.compile(r"\b(" + _NAME + r" (?:Agglom[ée]ration|M[ée]tropole))\b"),
    re.compile(
        r"\b(?i:commune|ville|mairie|conseil municipal) (?:de |d['’]\s?)"
        r"(" + _NAME + r"(?:[- ](?:sur|sous|en|l[èe]s|le|la|de|du|des|aux?)[- ]" + _NAME + r"|-" + _NAME + r")*)"
    ),
]
_ENGLISH = frozenset("the and of to in is that for with on as are this by be from".split())


@dataclass(frozen=True)
class Metadata:
    date: str | None  # ISO 8601 (YYYY-MM-DD)
    territory: str | None
    language: str  # fr, en, or und


def extract_metadata(head: str) -> Metadata:
    """Metadata read from the first pages of a document (title included)."""
    return Metadata(date=find_date(head), territory=find_territory(head), language=guess_language(head))


def find_date(text: str) -> str | None:
    """The meeting or act date: one after "séance du", "réunion du"…, else the first full date."""
    folded = fold(text)
    candidates: list[tuple[int, int, str]] = []  # (priority, position, iso)
    for match in _WRITTEN.finditer(folded):
        iso = _iso(match.group(3), _MONTHS[match.group(2)], match.group(1))
        if iso:
            candidates.append((_priority(folded, match.start()), match.start(), iso))
    for match in _NUMERIC.finditer(folded):
        year = match.group(3) or _year_near(folded)
        if year:
            iso = _iso(year if len(year) == 4 else "20" + year, int(match.group(2)), match.group(1))
            if iso:
                candidates.append((_priority(folded, match.start()), match.start(), iso))
    for match in _IN_WORDS.finditer(folded):  # the formula that opens a deed: the date of the act
        day, year = words_to_number(match.group(1)), words_to_number(match.group(3))
        if day and year and 1900 <= year < 2100:
            iso = _iso(str(year), _MONTHS[match.group(2)], str(day))
            if iso:
                candidates.append((0, match.start(), iso))
    for match in _YEAR_FIRST.finditer(folded):
        year = words_to_number(match.group(1))
        if year and 1900 <= year < 2100:
            iso = _iso(str(year), _MONTHS[match.group(3)], match.group(2))
            if iso:
                candidates.append((0, match.start(), iso))
    candidates = [c for c in candidates if c[0] != _EARLIER]  # the date of earlier minutes is not this document's
    return min(candidates)[2] if candidates else None


def words_to_number(words: str) -> int | None:
    """A French number written in words, up to the thousands: "deux mille vingt et un" is 2021."""
    total, current, previous = 0, 0, ""
    for word in re.split(r"[\s-]+", words.strip()):
        if word in ("vingt", "vingts") and previous == "quatre":  # quatre-vingt(s)
            current += 76
        elif word in ("mille", "mil"):
            total, current = total + max(current, 1) * 1000, 0
        elif word == "cent":
            current = max(current, 1) * 100
        elif word == "et":
            continue
        elif word in _TENS:
            current += _TENS[word]
        elif word in _UNITS:
            current += _UNITS[word]
        elif word:
            return None
        previous = word
    value = total + current
    return value or None


_EARLIER = 9  # the priority of a date of earlier minutes: left out


def _priority(folded: str, position: int) -> int:
    before = folded[max(0, position - 90) : position]
    if _EARLIER_MINUTES.search(before):
        return _EARLIER
    return 0 if _CUE.search(before[-60:]) else 2


def _year_near(folded: str) -> str | None:
    years = re.findall(r"\b((?:19|20)\d\d)\b", folded[:3000])
    return years[0] if years else None


def _iso(year: str, month: int, day: str) -> str | None:
    try:
        found = date(int(year), month, 1 if day == "1er" else int(day))
        # a year after next year is a misread ("NOV. 2077" from OCR), not a document's date
        return found.isoformat() if found.year <= date.today().year + 1 else None
    except ValueError:
        return None


def find_territory(text: str) -> str | None:
    for pattern in _TERRITORY:
        for match in pattern.finditer(text[:4000]):
            name = " ".join(match.group(1).split()).strip(" -'’")
            name = name.title() if name.isupper() else name[:1].upper() + name[1:]
            if fold(name) not in {"ville", "commune", "mairie"}:
                return name
    return None


def guess_language(text: str) -> str:
    words = re.findall(r"[a-z]+", fold(text[:5000]))
    french = sum(w in STOPWORDS for w in words)
    english = sum(w in _ENGLISH for w in words)
    if french + english < 5:
        return "und"
    return "fr" if french >= english else "en"
