import pytest

from pipelines.analysis import load_analyzer, load_tagger_for
from pipelines.settings import Settings
from pipelines.tagging import Taxonomy, ZeroShotTagger

ROUTINE = (
    "Le procès-verbal de la séance du 12 décembre est approuvé à l'unanimité. Le conseil autorise le maire "
    "à signer l'avenant au marché de voirie pour un montant de 12 400 euros HT."
)


@pytest.fixture(scope="module")
def analyzer():
    return load_analyzer(Settings())


def test_taxonomy_has_the_eight_labels_with_seed_wording():
    labels = {label.id: label for label in Taxonomy.from_file(Settings().models_dir / "taxonomy.yaml").labels}
    assert sorted(labels) == ["F1", "F2", "F3", "F4", "O1", "O2", "O3", "O4"]
    assert labels["F2"].wording == "Faciliter leur coopération, mettre les conflits au travail"
    assert labels["O1"].wording == "Constituer une communauté apprenante pour enrichir un patrimoine commun"


def test_passages_get_the_label_they_are_about_with_evidence(analyzer):
    conflict = (
        "Le projet de retenue d'eau divisait agriculteurs et habitants. Le comité a choisi de mettre ce conflit "
        "au travail : une médiation a réuni les deux parties pour construire ensemble des règles de partage."
    )
    learning = (
        "Les groupes de pairs de la communauté apprenante ont permis de capitaliser les retours d'expérience "
        "des territoires dans un patrimoine commun."
    )
    f2, o1 = analyzer.predict([conflict, learning])
    assert "F2" in [t.id for t in f2.tags]
    evidence = next(t.evidence for t in f2.tags if t.id == "F2")
    assert evidence and evidence in conflict and evidence.endswith(".")  # one sentence of the passage
    assert o1.tags[0].id == "O1"
    assert {"groupe de pairs", "communauté apprenante"} <= set(o1.practices)


def test_routine_administration_gets_no_tag(analyzer):
    [routine] = analyzer.predict([ROUTINE])
    assert routine.tags == []


def test_the_zero_shot_baseline_scores_every_label_and_applies_its_threshold():
    tagger = load_tagger_for(Settings(tagger="zero-shot"))
    assert isinstance(tagger, ZeroShotTagger)
    [scores] = tagger.score([ROUTINE])
    assert len(scores) == 8 and all(0.0 <= t.score <= 1.0 for t in scores)
    assert all(t.score < tagger.threshold for t in scores)
    assert tagger.predict([ROUTINE]) == [[]]
