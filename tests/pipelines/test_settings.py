import pytest
from pydantic import ValidationError

from pipelines.settings import MODEL_SEARCH_WEIGHTS, Settings


def test_search_weights_follow_the_embedding_model_unless_set(monkeypatch):
    monkeypatch.delenv("PATRIMOINE_SEARCH_DENSE_WEIGHT", raising=False)
    monkeypatch.delenv("PATRIMOINE_SEARCH_LEXICAL_WEIGHT", raising=False)
    assert Settings(embedding_model="usem3").search_weights == (0.2, 0.8)
    assert Settings(embedding_model="e5-small").search_weights == (0.35, 0.65)
    assert Settings(embedding_model="/models/any-sentence-transformer").search_weights == MODEL_SEARCH_WEIGHTS["usem3"]
    monkeypatch.setenv("PATRIMOINE_SEARCH_DENSE_WEIGHT", "0.5")
    assert Settings(embedding_model="e5-small").search_weights == (0.5, 0.65)
    with pytest.raises(ValidationError):
        Settings(search_lexical_weight=-1)
