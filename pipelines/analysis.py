"""What the pipeline understands of a text: tags, actors and practices. Pure: nothing is written."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Protocol

from pipelines.classifier import TrainedTagger, load_tagger
from pipelines.embedding import load_embedder
from pipelines.extraction import ActorExtractor, RoleCues, load_nlp
from pipelines.initiatives import InitiativeFinder
from pipelines.lexicons import PracticeMatcher
from pipelines.settings import Settings
from pipelines.tagging import Taxonomy, ZeroShotTagger
from pipelines.types import Analysis, TagScore


class Tagger(Protocol):
    version: str

    def predict(self, texts: list[str]) -> list[list[TagScore]]: ...


class Analyzer:
    def __init__(
        self, *, extractor: ActorExtractor, tagger: Tagger, practices: PracticeMatcher, initiatives: InitiativeFinder
    ) -> None:
        self.extractor = extractor
        self.tagger = tagger
        self.practices = practices
        self.initiatives = initiatives

    def predict(self, texts: list[str]) -> list[Analysis]:
        tags = self.tagger.predict(texts)
        actors = self.extractor.predict(texts)
        practices = self.practices.predict(texts)
        initiatives = self.initiatives.predict(texts)
        return [
            Analysis(tags=t, actors=a, practices=p, initiatives=i)
            for t, a, p, i in zip(tags, actors, practices, initiatives, strict=True)
        ]


def load_analyzer(settings: Settings) -> Analyzer:
    models = Path(settings.models_dir)
    return Analyzer(
        extractor=_extractor(settings.spacy_model, str(models)),
        tagger=load_tagger_for(settings),
        practices=PracticeMatcher.from_file(models / "practices.yaml"),
        initiatives=InitiativeFinder.from_file(models / "initiatives.yaml"),
    )


def load_tagger_for(settings: Settings) -> Tagger:
    """The trained tagger of `models/tagger/` when `settings.tagger` is "trained" and one was trained,
    else the zero-shot baseline."""
    return _tagger(str(settings.models_dir), settings.tagger, settings.tag_threshold, settings.embedding_batch_size)


@functools.lru_cache(maxsize=2)
def _extractor(spacy_model: str, models_dir: str) -> ActorExtractor:
    models = Path(models_dir)
    return ActorExtractor(load_nlp(spacy_model, models / "organisations.yaml"), RoleCues.from_file(models / "roles.yaml"))


@functools.lru_cache(maxsize=4)
def _tagger(models_dir: str, kind: str, threshold: float | None, batch_size: int) -> Tagger:
    models = Path(models_dir)
    taxonomy = Taxonomy.from_file(models / "taxonomy.yaml")
    model = load_tagger(models / "tagger") if kind == "trained" else None
    if model is not None:
        return TrainedTagger(model, load_embedder(model.embedding_model, batch_size=batch_size))
    return ZeroShotTagger(taxonomy, load_embedder(taxonomy.embedding_model, batch_size=batch_size), threshold=threshold)
