"""Load the YAML lexicons of models/ and match their phrases in text (accent- and case-insensitive)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from pipelines.text import fold


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of the folded phrases as whole words (longest first)."""
    folded = sorted({fold(p) for p in phrases if p}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in folded) + r")(?![\w-])")


class PracticeMatcher:
    """Finds the practices of models/practices.yaml in a text."""

    def __init__(self, entries: list[dict]) -> None:
        self._patterns = [(entry["name"], phrase_pattern([entry["name"], *entry.get("variants", [])])) for entry in entries]

    @classmethod
    def from_file(cls, path: Path) -> PracticeMatcher:
        return cls(load_yaml(path))

    def predict(self, texts: list[str], *, also: list[list[str]] | None = None) -> list[list[str]]:
        """Names found in each text, in the lexicon's order; `also` adds names found another way (lemmas)."""
        results = []
        for number, text in enumerate(texts):
            folded = fold(text)
            extra = set(also[number]) if also else set()
            results.append([name for name, pattern in self._patterns if name in extra or (pattern and pattern.search(folded))])
        return results


def practice_definitions(path: Path) -> dict[str, str]:
    """name -> definition of the practices of the taxonomy file."""
    return {entry["name"]: " ".join(str(entry.get("definition", "")).split()) or None for entry in load_yaml(path) or []}
