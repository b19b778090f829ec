"""What the pipeline understands of a text: tags, actors and practices. Pure: nothing is written."""

from __future__ import annotations

import functools

from pipelines.embedding import load_embedder
from pipelines.extraction import ActorExtractor, PracticeLemmas, RoleCues, load_nlp
from pipelines.lexicons import PracticeMatcher, load_yaml
from pipelines.settings import Settings
from pipelines.tagging import Taxonomy, ZeroShotTagger
from pipelines.types import Analysis


class Practices:
    """Practices found as written (accents and case folded) or by their lemmas."""

    def __init__(self, phrases: PracticeMatcher, lemmas: PracticeLemmas) -> None:
        self.phrases = phrases
        self.lemmas = lemmas

    def predict(self, texts: list[str]) -> list[list[str]]:
        return self.phrases.predict(texts, also=self.lemmas.predict(texts))


class Analyzer:
    def __init__(self, *, extractor: ActorExtractor, tagger: ZeroShotTagger, practices: Practices) -> None:
        self.extractor = extractor
        self.tagger = tagger
        self.practices = practices

    def predict(self, texts: list[str]) -> list[Analysis]:
        tags = self.tagger.predict(texts)
        actors = self.extractor.predict(texts)
        practices = self.practices.predict(texts)
        return [Analysis(tags=t, actors=a, practices=p) for t, a, p in zip(tags, actors, practices, strict=True)]


def load_extractors(settings: Settings) -> tuple[ActorExtractor, Practices]:
    """The actor extractor and the practice matcher alone (no embedding model), e.g. for `eval actors`."""
    return _cached_extractors(str(settings.models_dir), settings.spacy_model)


@functools.lru_cache(maxsize=2)
def _cached_extractors(models_dir: str, spacy_model: str) -> tuple[ActorExtractor, Practices]:
    from pathlib import Path

    models = Path(models_dir)
    nlp = load_nlp(spacy_model, models / "organisations.yaml", models / "roles.yaml")
    extractor = ActorExtractor(nlp, RoleCues.from_file(models / "roles.yaml"))
    entries = load_yaml(models / "practices.yaml")
    return extractor, Practices(PracticeMatcher(entries), PracticeLemmas(nlp, entries))


def load_analyzer(settings: Settings) -> Analyzer:
    return _cached_analyzer(
        str(settings.models_dir), settings.spacy_model, settings.tag_threshold, settings.embedding_batch_size
    )


@functools.lru_cache(maxsize=2)
def _cached_analyzer(models_dir: str, spacy_model: str, threshold: float | None, batch_size: int) -> Analyzer:
    from pathlib import Path

    models = Path(models_dir)
    taxonomy = Taxonomy.from_file(models / "taxonomy.yaml")
    embedder = load_embedder(taxonomy.embedding_model, batch_size=batch_size)
    extractor, practices = _cached_extractors(models_dir, spacy_model)
    return Analyzer(
        extractor=extractor, tagger=ZeroShotTagger(taxonomy, embedder, threshold=threshold), practices=practices
    )
