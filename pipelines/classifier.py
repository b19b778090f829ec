"""The trained tagger: per-label calibrated classifiers on sentence embeddings and words.

`TrainedTagger.score` and `predict` are pure; `save_model` and `load_model` are the only I/O (a joblib file
in `models/tagger/`; also the role classifier's in `models/roles/`). Training lives in `pipelines.training`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from pipelines.embedding import Embedder
from pipelines.text import fold, split_sentences
from pipelines.types import TagScore

MODEL_FILE = "tagger.joblib"
_MAX_SENTENCES = 40  # evidence is looked for in the first sentences of very long passages


@dataclass
class TrainedModel:
    """What training produces and what is saved: everything but the embedder."""

    labels: list[str]
    embedding_model: str
    vectorizer: TfidfVectorizer
    classifiers: list  # one fitted probabilistic classifier per label, in `labels` order
    thresholds: list[float]
    version: str
    info: dict = field(default_factory=dict)  # data counts, metrics, date: what the model card shows


@dataclass
class PlattScaled:
    """A fitted linear classifier whose scores go through a sigmoid (Platt scaling) fitted on out-of-fold scores."""

    base: object  # fitted, with `decision_function`
    slope: float
    intercept: float

    def predict_proba(self, matrix) -> np.ndarray:
        positive = platt(self.base.decision_function(matrix), self.slope, self.intercept)
        return np.column_stack([1.0 - positive, positive])


def platt(scores: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(slope * np.asarray(scores, dtype=float) + intercept)))


def features(model: TrainedModel, embedder: Embedder, texts: list[str]):
    """Sentence embedding of each text beside its TF-IDF word features (accents and case folded)."""
    return features_from(embedder.embed_passages(texts), model.vectorizer, texts)


def features_from(vectors: np.ndarray, vectorizer: TfidfVectorizer, texts: list[str]):
    return hstack([csr_matrix(vectors), vectorizer.transform([fold(t) for t in texts])]).tocsr()


def probabilities(model: TrainedModel, matrix) -> np.ndarray:
    """texts x labels calibrated probabilities."""
    columns = [classifier.predict_proba(matrix)[:, 1] for classifier in model.classifiers]
    return np.column_stack(columns) if columns else np.zeros((matrix.shape[0], 0))


class TrainedTagger:
    def __init__(self, model: TrainedModel, embedder: Embedder) -> None:
        self.model = model
        self._embedder = embedder
        self.thresholds = dict(zip(model.labels, model.thresholds, strict=True))

    @property
    def version(self) -> str:
        return self.model.version

    def score(self, texts: list[str], *, evidence: bool = True) -> list[list[TagScore]]:
        """Every label's probability for each text, with the sentence that supports it most."""
        if not texts:
            return []
        passage_probs = probabilities(self.model, features(self.model, self._embedder, texts))
        if not evidence:
            return [[TagScore(id=label, score=round(float(row[j]), 4)) for j, label in enumerate(self.model.labels)]
                    for row in passage_probs]
        sentences_per_text = [(split_sentences(text) or [text])[:_MAX_SENTENCES] for text in texts]
        flat = [s for sentences in sentences_per_text for s in sentences]
        sentence_probs = probabilities(self.model, features(self.model, self._embedder, flat))
        results, offset = [], 0
        for row, sentences in zip(passage_probs, sentences_per_text, strict=True):
            block = sentence_probs[offset : offset + len(sentences)]
            offset += len(sentences)
            results.append([
                TagScore(id=label, score=round(float(row[j]), 4), evidence=sentences[int(block[:, j].argmax())])
                for j, label in enumerate(self.model.labels)
            ])
        return results

    def predict(self, texts: list[str], *, evidence: bool = True) -> list[list[TagScore]]:
        """The tags whose probability reaches the label's threshold, best first; none is an answer."""
        return [
            sorted((t for t in scores if t.score >= self.thresholds[t.id]), key=lambda t: -t.score)
            for scores in self.score(texts, evidence=evidence)
        ]


def save_model(model, directory: Path, name: str = MODEL_FILE) -> Path:
    """Write a trained model (the tagger's, the role classifier's) as a joblib file of `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    joblib.dump(model, path, compress=3)
    return path


def load_model(directory: Path, name: str = MODEL_FILE):
    """The saved model, or None when none was trained."""
    path = directory / name
    return joblib.load(path) if path.exists() else None


def save_tagger(model: TrainedModel, directory: Path) -> Path:
    return save_model(model, directory)


def load_tagger(directory: Path) -> TrainedModel | None:
    """The saved tagger, or None when none was trained."""
    return load_model(directory)
