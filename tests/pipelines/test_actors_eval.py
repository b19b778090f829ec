import json

import pytest
from typer.testing import CliRunner

from pipelines.actors_eval import Predicted, normalise, passage_split, score, score_splits, scored, split_of
from pipelines.cli import GOLD, app


def test_names_are_compared_without_case_accents_articles_civilities_or_cut_hyphens():
    assert normalise("Jean- François Caron") == normalise("jean-francois  CARON") == "jean francois caron"
    assert normalise("Mme Hélène Marchadier") == "helene marchadier"
    assert normalise("la Préfecture") == normalise("préfecture")
    assert normalise("l’ADEME") == "ademe"
    assert normalise("Saint-Vallier") != normalise("Vallier")


def test_the_split_is_fixed_by_the_id_and_close_to_sixty_forty():
    gold = [json.loads(line) for line in (GOLD / "actors.jsonl").read_text(encoding="utf-8").splitlines()]
    splits = [split_of(g["id"]) for g in gold]
    assert splits == [split_of(g["id"]) for g in gold]
    assert 0.5 <= splits.count("dev") / len(splits) <= 0.7


def test_precision_recall_roles_and_practices_are_counted_per_passage():
    gold = [
        {"id": "p1", "text": "", "practices": ["groupe de pairs", "podcast"], "actors": [
            {"text": "Marie Dupont", "kind": "person", "role": "elu"},
            {"text": "Saint-Vallier", "kind": "place", "role": None},
            {"text": "ADEME", "kind": "organisation", "role": "etat"},
        ]},
    ]
    predicted = {"p1": Predicted(
        actors=[("marie dupont", "person", "agent"), ("Saint Vallier", "place", None), ("MARS", "organisation", None),
                ("l'ADEME", "organisation", "etat")],
        practices=["Groupe de pairs"],
    )}
    result = score(gold, predicted)
    assert (result.kinds["person"].tp, result.kinds["person"].fp, result.kinds["person"].fn) == (1, 0, 0)
    assert result.kinds["organisation"].precision == pytest.approx(0.5)
    assert result.kinds["organisation"].recall == 1.0
    assert result.roles_total == 2 and result.roles_correct == 1
    assert result.practice_recall == pytest.approx(0.5)
    assert result.errors[0].spurious == [("mars", "organisation")]


def test_a_passage_without_prediction_counts_every_gold_actor_as_missed():
    gold = [{"id": "p1", "text": "", "actors": [{"text": "Paul", "kind": "person", "role": None}]}]
    result = score_splits(gold, {})
    assert result["overall"].kinds["person"].fn == 1 and result["overall"].overall.f1 == 0.0


def test_train_passages_are_never_scored():
    actor = {"text": "Paul", "kind": "person", "role": "elu"}
    gold = [{"id": "t-1", "split": "train", "text": "", "actors": [actor]}]
    gold += [{"id": pid, "text": "", "actors": [actor]} for pid in ("a", "b", "c", "d")]
    result = score_splits(gold, {})
    assert result["overall"].passages == 4 == result["dev"].passages + result["test"].passages
    assert passage_split(gold[0]) == "train" and scored(gold) == gold[1:]
    assert "heldout" not in result


def test_heldout_passages_are_scored_apart_and_in_the_overall_figures():
    actor = {"text": "Paul", "kind": "person", "role": "elu"}
    gold = [{"id": f"h-{i}", "split": "heldout", "text": "", "actors": [actor]} for i in range(3)]
    gold += [{"id": "t-1", "split": "train", "text": "", "actors": [actor]}]
    predicted = {"h-0": Predicted(actors=[("Paul", "person", "elu")])}
    result = score_splits(scored(gold), predicted)
    assert (result["heldout"].passages, result["overall"].passages, result["dev"].passages) == (3, 3, 0)
    assert result["heldout"].kinds["person"].tp == 1 and result["heldout"].kinds["person"].fn == 2


def test_roles_given_to_actors_whose_gold_role_is_null_are_counted():
    gold = [{"id": "p1", "text": "", "actors": [
        {"text": "Paul", "kind": "person", "role": None}, {"text": "Vérlane", "kind": "place", "role": None},
        {"text": "SAUR", "kind": "organisation", "role": None},
    ]}]
    predicted = {"p1": Predicted(actors=[("Paul", "person", "elu"), ("Vérlane", "place", None), ("SAUR", "organisation", None)])}
    result = score(gold, predicted)
    assert (result.roles_given_to_null, result.roles_null, result.roles_total) == (1, 2, 0)


def test_eval_actors_scores_the_real_extractor_on_the_gold():
    result = CliRunner().invoke(app, ["eval", "actors", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) == {"dev", "test", "overall"}
    assert scores["overall"]["passages"] == 78
    assert scores["overall"]["overall"]["tp"] + scores["overall"]["overall"]["fn"] == 518
    kinds = scores["overall"]["kinds"]
    assert kinds["person"]["f1"] > 0.85 and kinds["organisation"]["f1"] > 0.55 and kinds["place"]["f1"] > 0.45
    assert scores["overall"]["role_accuracy"] > 0.8


def test_initiatives_are_matched_by_name_leniently():
    gold = [{"id": "x", "actors": [], "initiatives": [
        {"name": "contrat Rance-Frémur"}, {"name": "Plan de lutte contre les algues vertes"}]}]
    result = score(gold, {"x": Predicted(actors=[], initiatives=["Rance-Frémur", "PACT2"])})
    assert (result.initiatives.tp, result.initiatives.fp, result.initiatives.fn) == (1, 1, 1)
    assert result.errors[0].missed_initiatives == ["Plan de lutte contre les algues vertes"]
    assert result.errors[0].spurious_initiatives == ["PACT2"]
    assert result.as_dict()["initiatives"]["precision"] == 0.5
