"""Tagging passages against F1-F4 and O1-O4: the zero-shot baseline.

Each sentence of a passage is compared with the wording, definition and indicators of every
label (models/taxonomy.yaml); a label's score is its best sentence similarity, plus a small bonus
when one of its keywords occurs. `predict` is pure: it returns tags and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.embedding import Embedder
from pipelines.lexicons import load_yaml, phrase_pattern
from pipelines.text import fold, split_sentences
from pipelines.types import TagScore

_MAX_SENTENCES = 24  # per passage: bounds the cost of a runaway passage


@dataclass(frozen=True)
class Label:
    id: str
    kind: str
    wording: str
    definition: str
    indicators: tuple[str, ...]
    keywords: tuple[str, ...]

    @property
    def prototypes(self) -> list[str]:
        return [self.wording, self.definition, *self.indicators]


@dataclass(frozen=True)
class Taxonomy:
    labels: tuple[Label, ...]
    threshold: float
    keyword_bonus: float
    embedding_model: str

    @classmethod
    def from_file(cls, path: Path) -> Taxonomy:
        data = load_yaml(path)
        labels = tuple(
            Label(
                id=item["id"],
                kind=item["kind"],
                wording=item["wording"],
                definition=" ".join(item["definition"].split()),
                indicators=tuple(item.get("indicators", [])),
                keywords=tuple(item.get("keywords", [])),
            )
            for item in data["labels"]
        )
        tagger = data["tagger"]
        return cls(
            labels=labels,
            threshold=float(tagger["threshold"]),
            keyword_bonus=float(tagger.get("keyword_bonus", 0.0)),
            embedding_model=tagger["embedding_model"],
        )


class ZeroShotTagger:
    def __init__(self, taxonomy: Taxonomy, embedder: Embedder, *, threshold: float | None = None) -> None:
        self.taxonomy = taxonomy
        self.threshold = taxonomy.threshold if threshold is None else threshold
        self._embedder = embedder
        self._owner: list[int] = []
        prototypes: list[str] = []
        for index, label in enumerate(taxonomy.labels):
            prototypes.extend(label.prototypes)
            self._owner.extend([index] * len(label.prototypes))
        self._prototypes = embedder.embed_passages(prototypes)
        self._owner_array = np.array(self._owner)
        self._keywords = [phrase_pattern(label.keywords) for label in taxonomy.labels]
        self.version = f"zero-shot-t{self.threshold:g}"

    def score(self, texts: list[str]) -> list[list[TagScore]]:
        """Every label's score and evidence sentence for each text (no threshold applied)."""
        sentences_per_text = [(split_sentences(text) or [text])[:_MAX_SENTENCES] for text in texts]
        flat = [s for sentences in sentences_per_text for s in sentences]
        if not flat:
            return [[] for _ in texts]
        similarity = self._embedder.embed_passages(flat) @ self._prototypes.T  # sentences x prototypes
        n_labels = len(self.taxonomy.labels)
        per_label = np.full((len(flat), n_labels), -1.0, dtype=np.float32)
        for index in range(n_labels):
            per_label[:, index] = similarity[:, self._owner_array == index].max(axis=1)
        results, offset = [], 0
        for text, sentences in zip(texts, sentences_per_text):
            block = per_label[offset : offset + len(sentences)]
            offset += len(sentences)
            folded = fold(text)
            scores = []
            for index, label in enumerate(self.taxonomy.labels):
                best = int(block[:, index].argmax())
                value = float(block[best, index])
                pattern = self._keywords[index]
                if pattern is not None and pattern.search(folded):
                    value += self.taxonomy.keyword_bonus
                scores.append(TagScore(id=label.id, score=round(min(max(value, 0.0), 1.0), 4), evidence=sentences[best]))
            results.append(scores)
        return results

    def predict(self, texts: list[str]) -> list[list[TagScore]]:
        """The tags assigned to each text (score at or above the threshold), best first."""
        return [
            sorted((t for t in scores if t.score >= self.threshold), key=lambda t: -t.score)
            for scores in self.score(texts)
        ]
