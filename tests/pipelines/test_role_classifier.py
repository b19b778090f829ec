"""The trained role classifier: features, training, and its use by the actor extractor for the roles the rules miss."""

from pathlib import Path

import numpy as np
import pytest

from pipelines import role_classifier as rc
from pipelines.analysis import actor_extractor, load_role_classifier
from pipelines.settings import Settings

GOLD = Path(__file__).resolve().parents[2] / "corpus" / "gold"
FIRST = ["Claire", "Julien", "Nadia", "Pierre", "Sonia", "Louis", "Emma", "Hugo", "Alice", "Marc", "Léa", "Yves"]
LAST = ["Morel", "Garnier", "Roussel", "Fabre", "Perrin", "Caron", "Lemoine", "Barbier", "Renard", "Colin", "Giraud", "Meyer"]


def _passage(i: int, text: str, name: str, role: str | None) -> dict:
    return {"id": f"p{i}", "split": "train", "text": text, "actors": [{"text": name, "kind": "person", "role": role}]}


def _gold() -> list[dict]:
    """People called "trésorier(e)" of a club (a title the role rules do not know) are socio-economic; people
    whose book is quoted have no role."""
    passages = []
    for i, (first, last) in enumerate(zip(FIRST, LAST, strict=True)):
        name = f"{first} {last}"
        passages.append(_passage(2 * i, f"{name}, trésorière du club de voile, a présenté les comptes de l'année.",
                                 name, "socio_economique"))
        passages.append(_passage(2 * i + 1, f"Le livre de {name} raconte l'histoire du village et de ses moulins.",
                                 name, None))
    return passages


@pytest.fixture(scope="module")
def model():
    examples, lost = rc.examples_of(_gold())
    assert lost == 0
    return rc.train(examples, seed=0)


@pytest.fixture(scope="module")
def extractors(model):
    settings = Settings()
    return actor_extractor(settings, roles=None), actor_extractor(settings, roles=rc.RoleClassifier(model))


def _person(mentions, name):
    return next(m for m in mentions if m.name == name)


def test_the_context_is_the_sentence_around_the_mention_and_a_civility_counts_before_it():
    text = "Ordre du jour. Le conseil écoute M. Paul Dupont, directeur de la régie. Il présente le budget."
    start = text.index("M. Paul")
    context = rc.context_of(text, start, start + len("M. Paul Dupont"), "person")
    assert context.own == ("paul", "dupont")
    assert context.left[:3] == ("m", "ecoute", "conseil")  # nearest first; the dot of "M." ends no sentence
    assert context.right == ("directeur", "de", "la", "regie")
    assert context.minutes and context.sentence == "Le conseil écoute M. Paul Dupont, directeur de la régie."
    same = rc.context_of(text, start + 3, start + len("M. Paul Dupont"), "person")
    assert rc.features(same, 8) == rc.features(context, 8)


def test_it_learns_a_role_from_a_context_the_rules_lack(extractors):
    rules, with_classifier = extractors
    text = "Sophie Lambert, trésorière du club de voile, a présenté les comptes de l'année."
    [by_rules], [classified] = rules.predict([text]), with_classifier.predict([text])
    assert _person(by_rules, "Sophie Lambert").role is None
    person = _person(classified, "Sophie Lambert")
    assert person.role == "socio_economique"
    assert person.evidence == rc.EVIDENCE_PREFIX + text


def test_it_abstains_on_an_uninformative_context(model, extractors):
    _, with_classifier = extractors
    text = "Nous avons croisé Sophie Lambert hier soir près du lavoir."
    [mentions] = with_classifier.predict([text])
    assert _person(mentions, "Sophie Lambert").role is None
    start = text.index("Sophie")
    [(role, probability)] = rc.RoleClassifier(model).predict([rc.context_of(text, start, start + 14, "person")])
    assert role is None and probability < 0.9


def test_it_is_never_applied_where_a_rule_gave_a_role(model, extractors):
    _, with_classifier = extractors
    text = "Sophie Lambert, trésorière du club de voile et maire de Vérlane, a présenté les comptes de l'année."
    start = text.index("Sophie")
    [(role, _)] = rc.RoleClassifier(model).predict([rc.context_of(text, start, start + 14, "person")])
    assert role == "socio_economique"  # what the classifier alone would say
    [mentions] = with_classifier.predict([text])
    person = _person(mentions, "Sophie Lambert")
    assert person.role == "elu" and not person.evidence.startswith(rc.EVIDENCE_PREFIX)


def test_training_is_reproducible_and_never_sees_the_test_split():
    passages = rc.without_test_copies(rc.load_role_gold([GOLD / "actors.jsonl", GOLD / "actors-train.jsonl"]))
    examples, _ = rc.examples_of(passages)
    first, second = rc.train(examples, seed=0), rc.train(examples, seed=0)
    assert (first.version, first.window, first.threshold) == (second.version, second.window, second.threshold)
    contexts = [e.context for e in examples if e.split == "test"]
    a = first.classifier.predict_proba(first.vectorizer.transform([rc.features(c, first.window) for c in contexts]))
    b = second.classifier.predict_proba(second.vectorizer.transform([rc.features(c, second.window) for c in contexts]))
    assert np.array_equal(a, b)
    trained = sum(first.info["counts"][split]["mentions"] for split in rc.DEVELOPMENT_SPLITS)
    assert first.classifier.n_features_in_ == len(first.vectorizer.vocabulary_)
    test_only = {w for c in contexts for w in rc.features(c, first.window).split()} - {
        w for e in examples if e.split != "test" for w in rc.features(e.context, first.window).split()
    }
    assert test_only and not test_only & set(first.vectorizer.vocabulary_)  # no word seen only in the test split
    assert trained == sum(e.split != "test" for e in examples) < len(examples)


def test_a_train_passage_that_copies_a_test_passage_is_left_out():
    test = next(p for p in rc.load_role_gold([GOLD / "actors.jsonl"]) if rc.passage_split(p) == "test")
    copy = {**test, "id": "t-copy", "split": "train"}
    other = {"id": "t-other", "split": "train", "text": "Autre texte.", "actors": []}
    assert rc.without_test_copies([test, copy, other]) == [test, other]


def test_the_shipped_classifier_is_loaded_for_analysis():
    classifier = load_role_classifier(Settings().models_dir)
    assert classifier is not None and classifier.version.startswith(rc.METHOD)
    assert (Settings().models_dir / rc.MODEL_DIR / "MODEL_CARD.md").exists()
