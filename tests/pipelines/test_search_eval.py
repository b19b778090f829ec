"""Search evaluation: metrics on hand-made rankings, gold parsing, the runner on the real ingested corpus,
and `patrimoine eval search` (with a small PIAF-shaped dataset ingested by the real flow)."""

import json
import math

import pytest
from typer.testing import CliRunner

from pipelines import search_eval
from pipelines.cli import app
from pipelines.embedding import load_embedder
from pipelines.errors import PatrimoineError
from pipelines.search_eval import (
    GoldQuestion,
    answer_hit,
    dedupe,
    gold_source,
    ndcg_at_k,
    page_hit,
    parse_questions,
    recall_at_k,
)
from tests.conftest import ROOT

QUERIES = ROOT / "corpus" / "gold" / "queries.jsonl"
runner = CliRunner()


def test_ndcg_of_perfect_and_missing_rankings():
    assert ndcg_at_k(["a", "b", "c"], {"a"}) == 1.0
    assert ndcg_at_k(["a", "b", "c"], {"a", "b"}) == 1.0
    assert ndcg_at_k(["x", "y"], {"a"}) == 0.0
    assert ndcg_at_k(["a"], set()) == 0.0


def test_ndcg_discounts_by_rank_and_cuts_at_k():
    assert ndcg_at_k(["x", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    # relevant at ranks 1 and 3 of two relevant: (1 + 1/2) / (1 + 1/log2(3))
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    ranking = [f"x{i}" for i in range(10)] + ["a"]
    assert ndcg_at_k(ranking, {"a"}) == 0.0
    assert ndcg_at_k(ranking, {"a"}, k=11) > 0.0


def test_recall_counts_relevant_items_in_the_first_k():
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}) == 0.5
    assert recall_at_k([f"x{i}" for i in range(10)] + ["a"], {"a"}) == 0.0
    assert recall_at_k(["a"], set()) == 0.0


def test_hits_are_deduplicated_by_document_in_rank_order():
    assert dedupe(["d1", "d2", "d1", "d3", "d2"]) == ["d1", "d2", "d3"]


def test_gold_sources_match_by_path_suffix_at_a_folder_boundary():
    sources = ["external/pdf/avis-codev.pdf", "corpus/documents/acte.pdf"]
    assert gold_source("/work/shared/external/pdf/avis-codev.pdf", sources) == sources[0]
    assert gold_source("corpus/documents/acte.pdf", sources) == sources[1]
    assert gold_source("/x/other-corpus/documents/acte.pdf", sources) is None
    assert gold_source("/x/myexternal/pdf/avis-codev.pdf", sources) is None


def test_page_hit_needs_a_relevant_page_within_the_first_k():
    relevant = {"a.pdf": [3]}
    assert page_hit([("a.pdf", 2, 4)], relevant)
    assert page_hit([(None, 3, None), ("a.pdf", 3, None)], relevant)
    assert not page_hit([("a.pdf", 2, None), ("b.pdf", 3, None)], relevant)
    assert not page_hit([("x", 1, None)] * 10 + [("a.pdf", 3, None)], relevant)


def test_answer_hit_ignores_line_breaks_and_apostrophe_forms():
    assert answer_hit(["Il a réduit\nses prélèvements d’eau"], "prélèvements d'eau")
    assert not answer_hit(["rien"], "eau potable")


def test_gold_lines_are_parsed_and_bad_lines_named():
    questions = parse_questions(
        ['{"question": "Q ?", "kind": "fact", "relevant": [{"source": "a.pdf", "pages": [2]}, {"source": "b.txt"}]}']
    )
    assert questions == [GoldQuestion(question="Q ?", relevant={"a.pdf": [2], "b.txt": []}, kind="fact")]
    with pytest.raises(PatrimoineError, match="gold.jsonl: line 2"):
        parse_questions(["", '{"question": "sans pertinents"}'], origin="gold.jsonl")
    assert len(search_eval.load_questions(QUERIES)) == 78


def test_piaf_fiches_and_questions():
    dataset = {
        "data": [
            {"title": "F1", "paragraphs": [{"context": "Texte un.", "qas": [
                {"question": "Quoi ?", "answers": [{"answer_start": 0, "text": "Texte"}]}]}]},
            {"title": "F2", "paragraphs": [{"context": "Texte deux."}]},
        ]
    }
    assert search_eval.piaf_fiches(dataset) == [("F1.txt", "Texte un."), ("F2.txt", "Texte deux.")]
    assert search_eval.piaf_questions(dataset) == [
        GoldQuestion(question="Quoi ?", relevant={"fiches/F1.txt": []}, kind="piaf", answer_contains="Texte")
    ]


# --- the runner on the real ingested corpus -----------------------------------------------------


def _sample_questions(store):
    questions = search_eval.load_questions(QUERIES)
    missing = search_eval.missing_sources(questions, search_eval.catalog_sources(store))
    assert not any(m.startswith(("corpus/", "seeds/")) for m in missing)
    return search_eval.answerable(questions, missing)


def test_runner_measures_every_mode_on_the_sample_corpus_questions(store, settings):
    questions = _sample_questions(store)
    assert len(questions) == 27
    results = search_eval.evaluate(store, load_embedder(settings.embedding_model), questions, weights=settings.search_weights)
    by_mode = {r.mode: r for r in results}
    assert list(by_mode) == ["dense", "lexical", "hybrid"]
    for result in results:
        assert result.questions == 27 and result.questions_with_pages > 0 and result.questions_with_answer == 27
        assert 0.0 <= result.ndcg_at_10 <= 1.0 and result.recall_at_10 <= 1.0
        assert sum(kind.questions for kind in result.by_kind.values()) == 27
        assert set(result.by_kind) == {"fact", "theme", "keywords"}
    # Five documents only: every mode ranks the right one high.
    assert by_mode["hybrid"].ndcg_at_10 >= 0.8 and by_mode["lexical"].recall_at_10 >= 0.9


def test_runner_scores_zero_when_the_gold_names_another_document(store):
    wrong = [GoldQuestion(question="rénovation énergétique", relevant={"seeds/no-such-file.txt": [1]})]
    [result] = search_eval.evaluate(store, None, wrong, modes=["lexical"])
    assert result.ndcg_at_10 == 0.0 and result.recall_at_10 == 0.0 and result.page_hit_at_10 == 0.0


# --- the command ----------------------------------------------------------------------------------


def test_eval_search_command_reports_the_sample_questions_and_the_missing_documents(ingested):
    result = runner.invoke(app, ["eval", "search", "--json"])
    assert result.exit_code == 0, result.output
    [own] = json.loads(result.stdout)["sets"]
    assert own["name"] == "own" and own["questions"] == 27 and own["questions_skipped"] == 51
    assert "external/pdf/avis-codev.pdf" in own["missing_documents"]
    assert [m["mode"] for m in own["modes"]] == ["dense", "lexical", "hybrid"]
    assert "gold documents are not in the catalog" in result.stderr
    text = runner.invoke(app, ["eval", "search"])
    assert "own set" in text.stdout and "nDCG@10" in text.stdout
    assert "evaluated 27 questions in 1 sets" in text.stdout
    assert "nDCG@10 by kind of question: dense fact" in text.stdout


def test_eval_search_fails_clearly_on_an_empty_home(home):
    result = runner.invoke(app, ["eval", "search"])
    assert result.exit_code == 1
    assert "no question could be evaluated" in result.stderr


def test_eval_search_with_piaf_ingests_its_fiches_once(home, tmp_path):
    dataset = tmp_path / "piaf.json"
    dataset.write_text(json.dumps({"data": [
        {"title": "F100", "paragraphs": [{"context": (
            "La carte grise d'un véhicule doit être modifiée dans le mois qui suit un déménagement. "
            "Le changement d'adresse se fait en ligne sur le site de l'ANTS, gratuitement. ") * 3,
            "qas": [{"question": "Combien de temps pour changer l'adresse de la carte grise après un déménagement ?",
                     "answers": [{"answer_start": 0, "text": "dans le mois qui suit un déménagement"}]}]}]},
        {"title": "F200", "paragraphs": [{"context": (
            "Le congé de paternité dure 25 jours calendaires, ou 32 jours en cas de naissances multiples. "
            "Le salarié doit prévenir son employeur au moins un mois avant. ") * 3}]},
    ]}), encoding="utf-8")
    args = ["eval", "search", "--piaf", "--piaf-dataset", str(dataset), "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "ingesting 2 PIAF fiches" in first.stderr
    sets = {s["name"]: s for s in json.loads(first.stdout)["sets"]}
    assert sets["own"]["questions"] == 0  # nothing of the own set in this home
    piaf = sets["piaf"]
    assert piaf["home"].endswith("piaf") and piaf["questions"] == 1
    assert all(m["ndcg_at_10"] == 1.0 for m in piaf["modes"])
    assert sorted(p.name for p in (home / "piaf" / "fiches").iterdir()) == ["F100.txt", "F200.txt"]
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "ingesting" not in again.stderr


def test_eval_search_scores_another_question_file(ingested, tmp_path):
    """A held-out file of the same format is scored by --queries, without code change."""
    questions = tmp_path / "autres-questions.jsonl"
    questions.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"question": "Qui a été chargé de la médiation sur le projet de parc éolien ?", "kind": "fact",
         "relevant": [{"source": "corpus/documents/acte-conseil-communautaire-2024-03-14.pdf", "pages": [4]}],
         "answer_contains": "Olivier Ranchin"},
        {"question": "Combien de votants pour le premier budget participatif ?", "kind": "fact",
         "relevant": [{"source": "corpus/documents/rapport-activite-2023-cooperative-transitions.pdf", "pages": [1]}]},
        {"question": "Une question sur un document absent", "relevant": [{"source": "external/pdf/absent.pdf"}]},
    ]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "search", "--queries", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    [scored] = json.loads(result.stdout)["sets"]
    assert scored["queries"] == str(questions) and scored["questions"] == 2 and scored["questions_skipped"] == 1
    assert scored["missing_documents"] == ["external/pdf/absent.pdf"]
    hybrid = next(m for m in scored["modes"] if m["mode"] == "hybrid")
    assert hybrid["questions"] == 2 and hybrid["questions_with_pages"] == 2 and hybrid["questions_with_answer"] == 1
    assert hybrid["ndcg_at_10"] > 0.5  # five documents: the right one comes high
    text = runner.invoke(app, ["eval", "search", "--queries", str(questions)])
    assert f"own set ({questions}): 2 questions, 1 left out" in text.stdout
    assert "evaluated 2 questions in 1 sets" in text.stdout
    missing = runner.invoke(app, ["eval", "search", "--queries", str(tmp_path / "nowhere.jsonl")])
    assert missing.exit_code == 1 and "nowhere.jsonl: No such file or directory" in missing.stderr


def test_catalog_sources_are_those_the_store_model_embedded(store):
    from pipelines import catalog

    assert len(search_eval.catalog_sources(store)) == 5
    assert catalog.source_paths(store.conn, model="another-model") == []
    assert len(catalog.source_paths(store.conn)) == 5
