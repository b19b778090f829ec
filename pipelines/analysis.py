"""What the pipeline understands of a text: tags, actors, practices, initiatives. Pure: nothing is written."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from pipelines.actors import with_full_names
from pipelines.classifier import TrainedTagger, load_model, load_tagger
from pipelines.embedding import load_embedder
from pipelines.extraction import NER_DIR, NER_META, ActorExtractor, NounPhrases, PracticeLemmas, RoleCues, load_nlp
from pipelines.initiatives import InitiativeFinder, with_territories
from pipelines.lexicons import PracticeMatcher, load_yaml
from pipelines.role_classifier import MODEL_DIR, MODEL_FILE, RoleClassifier
from pipelines.settings import Settings
from pipelines.tagging import Taxonomy, ZeroShotTagger
from pipelines.types import Analysis, NounPhrase, TagScore


class Tagger(Protocol):
    version: str

    def predict(self, texts: list[str]) -> list[list[TagScore]]: ...


class Practices:
    """Practices found as written (accents and case folded) or by their lemmas; with `terms`, also the
    candidate practices of each text (terms that are not practices yet)."""

    def __init__(
        self, phrases: PracticeMatcher, lemmas: PracticeLemmas, terms: NounPhrases | None = None,
        *, by_key: dict[str, str] | None = None,
    ) -> None:
        self.phrases = phrases
        self.lemmas = lemmas
        self.terms = terms
        self.by_key = by_key or {}  # term key -> practice: a candidate with a promoted practice's key is it

    def predict(self, texts: list[str]) -> list[list[str]]:
        return self.phrases.predict(texts, also=self.lemmas.predict(texts))

    def predict_with_candidates(self, texts: list[str]) -> tuple[list[list[str]], list[list[NounPhrase]]]:
        by_lemma, candidates = self.lemmas.predict_with_terms(texts, self.terms)
        for names, terms in zip(by_lemma, candidates, strict=True):
            names.extend(self.by_key[term.key] for term in terms if term.key in self.by_key)
            terms[:] = [term for term in terms if term.key not in self.by_key]
        return self.phrases.predict(texts, also=by_lemma), candidates


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
        practices, candidates = self.practices.predict_with_candidates(texts)
        initiatives = self.initiatives.predict(texts)
        return [
            Analysis(
                tags=t, actors=a, practices=p, candidates=c,
                initiatives=with_territories(i, text, places=[m.name for m in a if m.kind == "place"]),
            )
            for text, t, a, p, c, i in zip(texts, tags, actors, practices, candidates, initiatives, strict=True)
        ]

    def predict_document(self, texts: list[str], *, speakers: Iterable[str] = ()) -> list[Analysis]:
        """`predict` for the passages of one document, in order: a person it names by a first name or a surname
        alone is the one person of the document named in full with it, in a passage or as a transcript's speaker
        (`speakers`; see `actors.with_full_names`)."""
        analyses = self.predict(texts)
        actors = with_full_names([analysis.actors for analysis in analyses], texts, speakers=speakers)
        return [dataclasses.replace(analysis, actors=a) for analysis, a in zip(analyses, actors, strict=True)]


def load_extractors(settings: Settings, *, staff_practices: list[dict] = ()) -> tuple[ActorExtractor, Practices]:
    """The actor extractor and the practice matcher alone (no embedding model), e.g. for `eval actors`.
    `staff_practices` (entries like those of models/practices.yaml, promoted by staff into the catalog) are
    matched besides the shipped ones."""
    extractor, practices = _cached_extractors(
        str(settings.models_dir), settings.spacy_model, settings.role_classifier, settings.ner
    )
    if staff_practices:
        practices = _practices_with(
            str(settings.models_dir), settings.spacy_model, settings.ner, json.dumps(list(staff_practices))
        )
    return extractor, practices


def ner_directory(models: Path, ner: str) -> Path | None:
    """The fine-tuned NER to load (None: spaCy's own, by setting or while none was trained)."""
    directory = models / NER_DIR
    return directory if ner == "fine-tuned" and (directory / NER_META).exists() else None


def _nlp(models: Path, spacy_model: str, ner: str):
    """The spaCy pipeline, loaded once (`load_nlp` caches) for the actors and the practices."""
    return load_nlp(spacy_model, models / "organisations.yaml", models / "roles.yaml", models / "places.yaml",
                    ner=ner_directory(models, ner))


@functools.lru_cache(maxsize=2)
def _cached_extractors(models_dir: str, spacy_model: str, role_classifier: str, ner: str) -> tuple[ActorExtractor, Practices]:
    models = Path(models_dir)
    nlp = _nlp(models, spacy_model, ner)
    roles = load_role_classifier(models) if role_classifier == "trained" else None
    extractor = ActorExtractor(nlp, RoleCues.from_file(models / "roles.yaml"), roles)
    return extractor, _practice_matchers(nlp, load_yaml(models / "practices.yaml"), models)


def actor_extractor(settings: Settings, *, roles: RoleClassifier | None) -> ActorExtractor:
    """The actor extractor with this role classifier (None: the rules alone), e.g. to train or measure one."""
    models = Path(settings.models_dir)
    return ActorExtractor(_nlp(models, settings.spacy_model, settings.ner), RoleCues.from_file(models / "roles.yaml"), roles)


def load_role_classifier(models: Path) -> RoleClassifier | None:
    """The role classifier trained by `patrimoine train roles` (in models/roles/), or None while none was."""
    model = load_model(models / MODEL_DIR, MODEL_FILE)
    return RoleClassifier(model) if model is not None else None


@functools.lru_cache(maxsize=4)
def _practices_with(models_dir: str, spacy_model: str, ner: str, staff_json: str) -> Practices:
    """The shipped practices and the staff's (given as JSON, to be a cache key)."""
    models = Path(models_dir)
    entries = [*load_yaml(models / "practices.yaml"), *json.loads(staff_json)]
    return _practice_matchers(_nlp(models, spacy_model, ner), entries, models)


@functools.lru_cache(maxsize=2)
def _titles_and_bodies(models: Path) -> tuple[str, ...]:
    """Phrases of the role and organisation lexicons (titles, bodies): never candidate practices."""
    organisations = load_yaml(models / "organisations.yaml")
    roles = load_yaml(models / "roles.yaml")
    phrases = [*organisations.get("phrases", []), *organisations.get("heads", [])]
    phrases += [cue for cues in roles.values() for cue in [*cues.get("person", []), *cues.get("organisation", [])]]
    return tuple(phrase for phrase in phrases if " " in phrase or "-" in phrase)


def practices_for(settings: Settings, entries: list[dict]) -> Practices:
    """Matchers of these practice entries alone, with candidate terms: e.g. to find a practice staff just
    promoted in the stored passages, as ingestion would."""
    models = Path(settings.models_dir)
    return _practice_matchers(_nlp(models, settings.spacy_model, settings.ner), entries, models)


def _practice_matchers(nlp, entries: list[dict], models: Path) -> Practices:
    """Entries carry `name`, `variants` and, for the staff's, the term `keys` that are the practice too."""
    by_key = {key: entry["name"] for entry in entries for key in entry.get("keys", [])}
    terms = NounPhrases(nlp, load_yaml(models / "practice_candidates.yaml"), never=_titles_and_bodies(models))
    return Practices(PracticeMatcher(entries), PracticeLemmas(nlp, entries), terms, by_key=by_key)


_TAXONOMY = "taxonomy.yaml"  # the tagger's labels, in models/
# The code that reads a document and turns its passages into actors, practices and initiatives, besides every reader
# (`analysis_code`; tags have their own version and flow).
_ANALYSIS_CODE = ("analysis.py", "extraction.py", "extraction_rules.py", "initiatives.py", "actors.py",
                  "role_classifier.py", "lexicons.py", "segmentation.py", "metadata.py", "text.py")


def analysis_code() -> list[Path]:
    """The code whose change makes stored documents worth analysing again: reading (every reader: a table or a
    title read better), segmentation, metadata and the extraction."""
    package = Path(__file__).parent
    return [package / name for name in _ANALYSIS_CODE] + sorted((package / "readers").glob("*.py"))


def analyzer_version(settings: Settings) -> str:
    """A fingerprint of what a stored document's text, passages, actors, practices and initiatives depend on: the
    code that reads and analyses it (`analysis_code`), the lexicons and models of `models/` (the tagger and its
    taxonomy apart: `retag` follows them) and the spaCy model's name. A document analysed with another fingerprint
    is analysed again by the next ingest."""
    digest = hashlib.sha1(settings.spacy_model.encode("utf-8"))
    for path in analysis_code():
        digest.update(path.read_bytes())
    models = Path(settings.models_dir)
    for path in sorted(p for p in models.rglob("*") if p.is_file() and "tagger" not in p.relative_to(models).parts):
        if path.suffix != ".md" and path.name != _TAXONOMY:  # model cards and the tagger's labels are not read by it
            digest.update(str(path.relative_to(models)).encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_analyzer(settings: Settings, *, staff_practices: list[dict] = ()) -> Analyzer:
    extractor, practices = load_extractors(settings, staff_practices=staff_practices)
    return Analyzer(
        extractor=extractor,
        tagger=load_tagger_for(settings),
        practices=practices,
        initiatives=initiative_finder(settings),
    )


def initiative_finder(settings: Settings) -> InitiativeFinder:
    return _initiative_finder(str(settings.models_dir))


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
    taxonomy = Taxonomy.from_file(models / _TAXONOMY)
    model = load_tagger(models / "tagger") if kind == "trained" else None
    if model is not None:
        return TrainedTagger(model, load_embedder(model.embedding_model, batch_size=batch_size))
    return ZeroShotTagger(taxonomy, load_embedder(taxonomy.embedding_model, batch_size=batch_size), threshold=threshold)
