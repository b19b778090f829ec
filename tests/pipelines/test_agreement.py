"""Agreement between two annotators: kappas computed by hand on small tables."""

import json

import pytest
from typer.testing import CliRunner

from pipelines.agreement import agreement, cohen_kappa, disagreements, parse_annotations
from pipelines.cli import app
from pipelines.errors import InvalidAnnotations

LABELS = ["F1", "O1"]


def _sets(*labels: str) -> dict[str, frozenset[str]]:
    """Passages p1, p2... with the labels given as comma-separated strings ("" = no label)."""
    return {f"p{n}": frozenset(x for x in text.split(",") if x) for n, text in enumerate(labels, start=1)}


def test_perfect_agreement_has_kappa_one():
    # 2 yes and 2 no on both sides: observed 1, chance 0.5*0.5 + 0.5*0.5 = 0.5, kappa (1 - 0.5) / (1 - 0.5) = 1
    assert cohen_kappa([True, True, False, False], [True, True, False, False]) == 1.0


def test_chance_level_agreement_has_kappa_zero():
    # both say yes to half the items but agree on only half of them: observed 0.5 = chance 0.5, kappa 0
    assert cohen_kappa([True, True, False, False], [True, False, True, False]) == 0.0


def test_partial_disagreement():
    # 10 items; first yes on 1-4, second yes on 1-3 and 5-6: both yes 3, first only 1, second only 2, both no 4.
    # observed 7/10; chance 0.4*0.5 + 0.6*0.5 = 0.5; kappa (0.7 - 0.5) / (1 - 0.5) = 0.4
    first = [True] * 4 + [False] * 6
    second = [True, True, True, False, True, True, False, False, False, False]
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_systematic_disagreement_has_kappa_minus_one():
    # never the same answer: observed 0, chance 0.5, kappa -0.5 / 0.5 = -1
    assert cohen_kappa([True, True, False, False], [False, False, True, True]) == -1.0


def test_kappa_is_undefined_when_chance_agreement_is_total():
    assert cohen_kappa([False, False, False], [False, False, False]) is None
    with pytest.raises(ValueError):
        cohen_kappa([True], [True, False])


def test_agreement_per_label_and_means_over_defined_labels():
    first = _sets("F1", "F1", "", "", "")
    second = _sets("F1", "", "F1", "", "")
    report = agreement(first, second, labels=["F1", "O1", "F2"], ids=["p1", "p2", "p3", "p4", "p5"])
    f1, o1, f2 = report.labels
    # F1: both 1, first only 1, second only 1, neither 2 -> observed 3/5; chance 0.4*0.4 + 0.6*0.6 = 0.52;
    # kappa (0.6 - 0.52) / 0.48 = 1/6; F1 of second against first 2*1 / (2 + 2) = 0.5
    assert (f1.first, f1.second, f1.both) == (2, 2, 1)
    assert f1.kappa == pytest.approx(1 / 6) and f1.f1 == 0.5
    # nobody gives O1 nor F2: kappa and F1 undefined, left out of the means
    assert o1.kappa is None and o1.f1 is None and f2.first == 0
    assert report.macro_f1 == 0.5 and report.mean_kappa == pytest.approx(1 / 6)
    assert (report.passages, report.identical) == (5, 3)
    assert disagreements(first, second, ids=["p1", "p2", "p3"]) == [("p2", ["F1"], []), ("p3", [], ["F1"])]


def test_a_passage_without_annotation_is_refused():
    with pytest.raises(InvalidAnnotations, match="second annotator: p2"):
        agreement(_sets("F1", ""), _sets("F1"), labels=LABELS, ids=["p1", "p2"])


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "labels": ["X9"]}', "2: unknown labels X9"),
    ('{"id": "a", "labels": []}', "2: passage a is given twice"),
    ('{"id": "b"}', "2: a JSON object with an id and labels"),
    ('{"id": "b", "labels": "F1"}', "2: labels must be a list"),
    ("not json", "2: a JSON object"),
])
def test_bad_annotation_lines_name_their_line(line, message):
    with pytest.raises(InvalidAnnotations, match=message):
        parse_annotations(['{"id": "a", "labels": ["F1"], "note": "sure"}', line], labels=LABELS, origin="second")


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_eval_agreement_scores_all_and_real_passages(tmp_path):
    gold = _write(tmp_path / "gold.jsonl", [
        {"id": "r-1", "text": "a", "labels": ["F1"], "split": "train", "source": "external/x.pdf"},
        {"id": "r-2", "text": "b", "labels": [], "split": "test", "source": "external/x.pdf"},
        {"id": "w-1", "text": "c", "labels": ["F1", "O1"], "split": "dev", "source": "written"},
        {"id": "w-2", "text": "d", "labels": [], "split": "dev", "source": "written"},
        {"id": "r-3", "text": "e", "labels": ["O1"], "split": "dev", "source": "external/x.pdf"},
    ])
    second = _write(tmp_path / "second.jsonl", [
        {"id": "r-1", "labels": ["F1"]}, {"id": "r-2", "labels": []},
        {"id": "w-1", "labels": ["F1"]}, {"id": "w-2", "labels": ["O1"]},
    ])
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "agreement", "--second", str(second), "--gold", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    everything, real = figures["all"], figures["real"]
    assert (everything["passages"], real["passages"]) == (4, 2)  # r-3 is not in the second file
    f1_all, o1_all = everything["labels"][0], everything["labels"][4]
    assert (f1_all["label"], f1_all["kappa"], f1_all["f1"]) == ("F1", 1.0, 1.0)
    # O1 over 4 passages: first yes on w-1, second yes on w-2: observed 0.5, chance 0.25*0.25 + 0.75*0.75 = 0.625,
    # kappa (0.5 - 0.625) / 0.375 = -1/3; F1 0
    assert (o1_all["label"], o1_all["kappa"], o1_all["f1"]) == ("O1", -0.333, 0.0)
    assert real["labels"][4]["kappa"] is None and real["macro_f1"] == 1.0  # no O1 on real passages
    assert figures["disagreements"] == [{"id": "w-1", "first": ["F1", "O1"], "second": ["F1"]},
                                        {"id": "w-2", "first": [], "second": ["O1"]}]
    text = runner.invoke(app, ["eval", "agreement", "--second", str(second), "--gold", str(gold), "--disagreements"])
    assert text.exit_code == 0, text.output
    assert "w-2: first none; second O1" in text.stdout
    assert text.stdout.strip().endswith("4 passages compared, 2 labelled differently")


def test_eval_agreement_refuses_passages_the_gold_data_lacks(tmp_path):
    gold = _write(tmp_path / "gold.jsonl", [{"id": "r-1", "text": "a", "labels": [], "split": "train"}])
    second = _write(tmp_path / "second.jsonl", [{"id": "r-9", "labels": []}])
    result = CliRunner().invoke(app, ["eval", "agreement", "--second", str(second), "--gold", str(gold)])
    assert result.exit_code == 1
    assert "no annotation by the first annotator: r-9" in result.output


def test_eval_actors_agreement_scores_the_second_annotator_in_the_extractor_place(tmp_path):
    text = "Marie Dupont, maire de Bitry, a signé avec la SAUR."
    gold = _write(tmp_path / "actors.jsonl", [{"id": "a-1", "text": text, "split": "test", "actors": [
        {"text": "Marie Dupont", "kind": "person", "role": "elu"}, {"text": "Bitry", "kind": "place", "role": None},
        {"text": "SAUR", "kind": "organisation", "role": "socio_economique"}]}])
    second = _write(tmp_path / "second.jsonl", [{"id": "a-1", "actors": [
        {"text": "Marie Dupont", "kind": "person", "role": "elu"}, {"text": "Bitry", "kind": "organisation", "role": None},
        {"text": "SAUR", "kind": "organisation", "role": None}]}])
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "actors-agreement", "--second", str(second), "--gold", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["all"]
    assert figures["kinds"]["person"]["f1"] == 1.0
    assert (figures["kinds"]["organisation"]["tp"], figures["kinds"]["organisation"]["fp"]) == (1, 1)
    assert figures["kinds"]["place"]["fn"] == 1
    assert (figures["roles_scored"], figures["role_accuracy"]) == (2, 0.5)  # the SAUR's role differs
    unknown = _write(tmp_path / "unknown.jsonl", [{"id": "a-9", "actors": []}])
    refused = runner.invoke(app, ["eval", "actors-agreement", "--second", str(unknown), "--gold", str(gold)])
    assert refused.exit_code == 1 and "in no gold file (a-9" in refused.output
