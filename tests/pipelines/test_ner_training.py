"""The fine-tuned NER: its training data, `patrimoine train ner` on a small gold file, and its loading."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from pipelines.analysis import ner_directory
from pipelines.cli import app
from pipelines.errors import ModelUnavailable
from pipelines.extraction import NER_DIR, NER_META, load_nlp, ner_reference
from pipelines.settings import Settings

runner = CliRunner()
MODELS = Settings().models_dir


@pytest.fixture(scope="module")
def base():
    return load_nlp(Settings().spacy_model)


def test_every_occurrence_of_a_gold_actor_is_an_entity_and_other_forms_stay_unknown(base):
    text = "Présents : Michèle BOURBIER, maire. Budget primitif.\nMme BOURBIER présente le budget de la Commune de Pierrefonds."
    doc = ner_reference(base, text, [("Michèle BOURBIER", "person"), ("Commune de Pierrefonds", "organisation")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Michèle BOURBIER", "PER"), ("Commune de Pierrefonds", "ORG")]
    budget = next(t for t in doc if t.text == "Budget")
    assert budget.ent_iob_ == "O"  # spaCy guesses a place here; no gold actor holds it: outside, a heading is no actor
    mme, second = [t for t in doc if t.text in ("Mme", "BOURBIER")][1:]
    assert mme.text == "Mme" and mme.ent_iob_ == second.ent_iob_ == ""  # spaCy's "Mme BOURBIER": unknown, not outside


def test_a_gold_name_glued_to_its_civility_takes_the_whole_token(base):
    doc = ner_reference(base, "Vote : Pour\nM.TANGUY et M.ROBERT précisent.", [("TANGUY", "person"), ("ROBERT", "person")])
    assert [(e.text, e.label_) for e in doc.ents] == [("M.TANGUY", "PER"), ("M.ROBERT", "PER")]


def test_train_ner_writes_a_model_the_extraction_loads(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(MODELS, models, ignore=shutil.ignore_patterns(NER_DIR, "tagger"))
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"id": "t-1", "split": "train", "text": "Le SE60 et la SAUR présentent le rapport à Attichy, avec Mme Nicole TUAL.",
         "actors": [{"text": "SE60", "kind": "organisation", "role": None}, {"text": "SAUR", "kind": "organisation", "role": None},
                    {"text": "Attichy", "kind": "place", "role": None}, {"text": "Nicole TUAL", "kind": "person", "role": None}]},
        {"id": "t-2", "split": "train", "text": "TOTAL | 15 000\nDéficit antérieur | 12 000\nLe CAUE60 conseille la commune de Couloisy.",
         "actors": [{"text": "CAUE60", "kind": "organisation", "role": None}, {"text": "Couloisy", "kind": "place", "role": None}]},
    ]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.setenv("PATRIMOINE_MODELS_DIR", str(models))
    monkeypatch.setenv("PATRIMOINE_HOME", str(tmp_path / "home"))
    assert ner_directory(models, "fine-tuned") is None  # none trained yet: spaCy's own NER
    result = runner.invoke(app, ["train", "ner", "--gold", str(gold), "--epochs", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "fine-tuned on 6 gold mentions of 2 passages, 2 epochs" in result.output
    meta = json.loads((models / NER_DIR / NER_META).read_text())
    assert (meta["seed"], meta["epochs"], meta["passages"], len(meta["losses"])) == (3, 2, 2, 2)
    assert (models / NER_DIR / "MODEL_CARD.md").exists() and not (models / NER_DIR / "ner" / "vocab").exists()
    assert ner_directory(models, "fine-tuned") == models / NER_DIR and ner_directory(models, "spacy") is None
    tuned = load_nlp(Settings().spacy_model, ner=models / NER_DIR)
    assert tuned.get_pipe("ner").model.to_bytes() != load_nlp(Settings().spacy_model).get_pipe("ner").model.to_bytes()
    other = shutil.copytree(models / NER_DIR, tmp_path / "other-ner")  # load_nlp caches by arguments
    meta["base_model"] = "fr_core_news_sm-3.0.0"
    (other / NER_META).write_text(json.dumps(meta))
    with pytest.raises(ModelUnavailable, match="fine-tuned from fr_core_news_sm-3.0.0"):
        load_nlp(Settings().spacy_model, ner=other)
    shutil.rmtree(other / "ner")
    with pytest.raises(ModelUnavailable, match="no fine-tuned NER"):
        load_nlp(Settings().spacy_model, ner=other)


def test_the_shipped_fine_tuned_ner_is_the_default():
    assert Settings().ner == "fine-tuned"
    directory = ner_directory(MODELS, "fine-tuned")
    assert directory is not None and (directory / "MODEL_CARD.md").exists()
    meta = json.loads((directory / NER_META).read_text())
    assert meta["passages"] > 100 and all(not path.startswith("/") for path in meta["gold"])
