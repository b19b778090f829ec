"""What the pipeline understands of a text: tags, actors, practices, initiatives. Pure: nothing is written."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Protocol

from pipelines.classifier import TrainedTagger, load_tagger
from pipelines.embedding import load_embedder
from pipelines.extraction import ActorExtractor, PracticeLemmas, RoleCues, load_nlp
from pipelines.initiatives import InitiativeFinder
from pipelines.lexicons import PracticeMatcher, load_yaml
from pipelines.settings import Settings
from pipelines.tagging import Taxonomy, ZeroShotTagger
from pipelines.types import Analysis, TagScore


class Tagger(Protocol):
    version: str

    def predict(self, texts: list[str]) -> list[list[TagScore]]: ...


class Practices:
    """Practices found as written (accents and case folded) or by their lemmas."""

    def __init__(self, phrases: PracticeMatcher, lemmas: PracticeLemmas) -> None:
        self.phrases = phrases
        self.lemmas = lemmas

    def predict(self, texts: list[str]) -> list[list[str]]:
        return self.phrases.predict(texts, also=self.lemmas.predict(texts))


class Analyzer:
    def __init__(
        self, *, extractor: ActorExtractor, tagger: Tagger, practices: Practices, initiatives: InitiativeFinder
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


def load_extractors(settings: Settings) -> tuple[ActorExtractor, Practices]:
    """The actor extractor and the practice matcher alone (no embedding model), e.g. for `eval actors`."""
    return _cached_extractors(str(settings.models_dir), settings.spacy_model)


@functools.lru_cache(maxsize=2)
def _cached_extractors(models_dir: str, spacy_model: str) -> tuple[ActorExtractor, Practices]:
    models = Path(models_dir)
    nlp = load_nlp(spacy_model, models / "organisations.yaml", models / "roles.yaml", models / "places.yaml")
    extractor = ActorExtractor(nlp, RoleCues.from_file(models / "roles.yaml"))
    entries = load_yaml(models / "practices.yaml")
    return extractor, Practices(PracticeMatcher(entries), PracticeLemmas(nlp, entries))


def load_analyzer(settings: Settings) -> Analyzer:
    extractor, practices = load_extractors(settings)
    return Analyzer(
        extractor=extractor,
        tagger=load_tagger_for(settings),
        practices=practices,
        initiatives=_initiative_finder(str(settings.models_dir)),
    )


@functools.lru_cache(maxsize=2)
def _initiative_finder(models_dir: str) -> InitiativeFinder:
    """Read once: `load_analyzer` is called for every document ingested."""
    return InitiativeFinder.from_file(Path(models_dir) / "initiatives.yaml")


def load_tagger_for(settings: Settings) -> Tagger:
    """The trained tagger of `models/tagger/` when `settings.tagger` is "trained" and one was trained,
    else the zero-shot baseline."""
    return _tagger(str(settings.models_dir), settings.tagger, settings.tag_threshold, settings.embedding_batch_size)


@functools.lru_cache(maxsize=4)
def _tagger(models_dir: str, kind: str, threshold: float | None, batch_size: int) -> Tagger:
    models = Path(models_dir)
    taxonomy = Taxonomy.from_file(models / "taxonomy.yaml")
    model = load_tagger(models / "tagger") if kind == "trained" else None
    if model is not None:
        return TrainedTagger(model, load_embedder(model.embedding_model, batch_size=batch_size))
    return ZeroShotTagger(taxonomy, load_embedder(taxonomy.embedding_model, batch_size=batch_size), threshold=threshold)
