from pipelines import query
from pipelines.embedding import load_embedder
from pipelines.query import Ranking, fuse


def _search(store, settings, text, k=5):
    return query.search(store, load_embedder(settings.embedding_model), text, k=k, weights=settings.search_weights)


def test_a_french_question_finds_the_passage_that_answers_it(store, settings):
    response = _search(
        store, settings, "Combien d'agents et d'élus ont suivi les journées d'initiation à l'approche systémique ?"
    )
    top = response.hits[0]
    assert top.source_path.endswith("rapport-activite-2023-cooperative-transitions.pdf")
    assert "81 agents de collectivités et 45 élus" in top.text
    assert top.page == 2


def test_a_transcript_hit_carries_speaker_and_time(store, settings):
    response = _search(store, settings, "De combien les exploitants ont-ils réduit leurs prélèvements dans la retenue ?")
    top = response.hits[0]
    assert "réduit nos prélèvements de 30 %" in top.text
    assert top.speaker and top.start_s is not None and top.page is None


def test_loos_en_gohelle_finds_seed_000_first(store, settings):
    response = _search(store, settings, "Loos-en-Gohelle démonstrateur")
    assert response.hits[0].source_path.endswith("000_900ca09423ac27b3.txt")


def test_hits_carry_tags_and_actors_and_are_ranked(store, settings):
    response = _search(store, settings, "mettre les conflits au travail autour du projet éolien", k=10)
    assert len(response.hits) == 10
    scores = [hit.score for hit in response.hits]
    assert scores == sorted(scores, reverse=True)
    assert any(hit.tags for hit in response.hits)
    assert any(actor.kind == "person" for hit in response.hits for actor in hit.actors)


def test_empty_query_returns_nothing(store, settings):
    assert _search(store, settings, "   ").hits == []


def _ranking(scored, weight, unmatched=None):
    return Ranking(scored=scored, weight=weight, unmatched=unmatched)


def _order(fused):
    return [item for item, _ in fused]


def test_fusion_rewards_agreement_and_weights():
    dense = [("a", 0.9), ("b", 0.8), ("x", 0.1)]
    lexical = [("b", 12.0), ("c", 11.0), ("y", 1.0)]
    assert fuse([_ranking(dense, 1.0), _ranking(lexical, 1.0)])[0][0] == "b"
    assert _order(fuse([_ranking(dense, 0.0), _ranking(lexical, 1.0)]))[:2] == ["b", "c"]
    assert _order(fuse([_ranking(dense, 1.0), _ranking(lexical, 0.0)]))[:2] == ["a", "b"]
    assert {score for _, score in fuse([_ranking(dense, 0.0), _ranking(lexical, 0.0)])} == {0.0}
    assert fuse([_ranking([("p", 0.5), ("q", 0.5)], 1.0)]) == [("p", 0.0), ("q", 0.0)]  # equal scores: no spread


def test_fusion_weighs_score_margins_not_only_ranks():
    # BM25 far ahead for "a": a passage second in both rankings does not overtake it.
    lexical = [("a", 30.0), ("b", 5.0), ("c", 4.0), ("d", 3.0)]
    dense = [("c", 0.60), ("b", 0.59), ("a", 0.58), ("d", 0.20)]
    assert fuse([_ranking(dense, 0.2), _ranking(lexical, 0.8, unmatched=0.0)])[0][0] == "a"


def test_fusion_counts_an_absent_or_deep_candidate_as_the_rankings_last():
    lexical = _ranking([("a", 3.0), ("b", 2.0), ("c", 1.0), ("deep", 0.5)], 1.0)
    dense = _ranking([("x", 1.0), ("y", 0.5)], 1.0)
    fused = dict(fuse([lexical, dense], depth=3))
    assert fused["deep"] == fused["c"]  # below the first 3: counted as the 3rd
    # x and y, absent from the lexical ranking, both get its floor: they differ by their dense z-scores, +1 and -1
    assert abs((fused["x"] - fused["y"]) - 2.0) < 1e-9
    assert fuse([]) == []


def test_fusion_orders_the_tail_beyond_the_depth_by_its_unclamped_scores():
    lexical = _ranking([(f"l{i}", 100.0 - i) for i in range(6)], 0.8, unmatched=0.0)
    dense = _ranking([(f"d{i}", 0.9 - i / 100) for i in range(6)], 0.2)
    order = _order(fuse([dense, lexical], depth=3))
    assert order.index("l3") < order.index("l4") < order.index("l5")  # BM25 still orders the tail,
    assert order.index("d3") < order.index("d4") < order.index("d5")  # and so does the dense ranking
    assert order[:2] == ["l0", "l1"]  # the head is the clamped fusion's


def test_a_single_word_match_stands_out_of_the_unmatched_passages():
    dense = [(f"p{i}", 0.9 - i / 100) for i in range(50)]
    fused = fuse([_ranking(dense, 0.2), _ranking([("p40", 10.4)], 0.8, unmatched=0.0)])
    assert fused[0][0] == "p40"
    assert fuse([_ranking(dense, 0.2), _ranking([], 0.8, unmatched=0.0)])[0][0] == "p0"


def test_scanned_arrete_gives_searchable_french_text(home):
    import shutil

    import pytest

    from pipelines.flows import ingest
    from pipelines.settings import Settings
    from pipelines.store import Store
    from tests.conftest import EXTERNAL

    arrete = EXTERNAL / "pdf-bad" / "arrete_pref_23_03_2023.pdf"
    if not arrete.exists() or shutil.which("tesseract") is None:
        pytest.skip("shared/external or tesseract absent")
    report = ingest([str(arrete)])
    assert report.documents_ingested == 1, report.failures
    settings = Settings()
    store = Store.open(settings)
    try:
        response = _search(store, settings, "limitation provisoire des usages de l'eau", k=3)
    finally:
        store.close()
    top = response.hits[0]
    assert top.source_path.endswith("arrete_pref_23_03_2023.pdf")
    assert top.page is not None and top.ocr_confidence is not None and top.ocr_confidence >= 55
    assert "eau" in top.text
