from pipelines import query
from pipelines.embedding import load_embedder
from pipelines.query import fuse


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


def test_fusion_rewards_agreement_and_weights():
    fused = dict(fuse([(["a", "b"], 1.0), (["b", "c"], 1.0)]))
    assert max(fused, key=fused.get) == "b"
    heavier = fuse([(["a"], 1.0), (["c"], 2.0)])
    assert heavier[0][0] == "c"


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
