"""Tag corrections by staff: kept across re-ingestion and re-tagging, shown as such, used by training."""

from typer.testing import CliRunner

from pipelines import catalog
from pipelines.cli import app as cli
from pipelines.flows import ingest, retag
from pipelines.settings import Settings
from pipelines.store import Store
from tests.conftest import TRANSCRIPT


def _passage_tags(passage_id: str):
    store = Store.open(Settings())
    try:
        return catalog.get_passages(store.conn, [passage_id])[passage_id].tags
    finally:
        store.close()


def _first_passage() -> str:
    store = Store.open(Settings())
    try:
        return catalog.passages_to_retag(store.conn)[0][0]
    finally:
        store.close()


def test_a_correction_is_kept_across_reingestion_and_retagging(home, copy_file):
    path = copy_file(TRANSCRIPT)
    ingest([str(path)])
    passage_id = _first_passage()
    result = CliRunner().invoke(cli, ["tags", "set", passage_id, "f3", "O1"])
    assert result.exit_code == 0, result.output
    assert f"{passage_id}: F3, O1 (was: " in result.stdout
    assert [(t.id, t.corrected) for t in _passage_tags(passage_id)] == [("F3", True), ("O1", True)]

    store = Store.open(Settings())
    catalog.delete_document(store.conn, passage_id.rsplit("-", 1)[0])  # the file is read again from scratch
    store.close()
    report = ingest([str(path)])
    assert report.documents_ingested == 1
    assert [t.id for t in _passage_tags(passage_id)] == ["F3", "O1"]

    retagged = retag()
    assert retagged.passages_corrected_kept == 1
    assert [t.id for t in _passage_tags(passage_id)] == ["F3", "O1"]

    store = Store.open(Settings())
    assert catalog.tag_corrections(store.conn)[0][2] == ["F3", "O1"]
    store.close()


def test_corrections_are_validated(home, copy_file):
    ingest([str(copy_file(TRANSCRIPT))])
    runner = CliRunner()
    unknown = runner.invoke(cli, ["tags", "set", _first_passage(), "F9"])
    assert unknown.exit_code == 1 and "unknown labels: F9" in unknown.output
    missing = runner.invoke(cli, ["tags", "set", "nope-0001", "F1"])
    assert missing.exit_code == 1 and "no passage nope-0001" in missing.output
    empty = runner.invoke(cli, ["tags", "set", _first_passage()])
    assert empty.exit_code == 1 and "--none" in empty.output
    none = runner.invoke(cli, ["tags", "set", _first_passage(), "--none"])
    assert none.exit_code == 0 and ": no label (was:" in none.stdout
    assert _passage_tags(_first_passage()) == []


def test_ingest_retags_stored_passages_when_the_tagger_changed(home, copy_file, monkeypatch):
    monkeypatch.setenv("PATRIMOINE_TAGGER", "zero-shot")
    first = ingest([str(copy_file(TRANSCRIPT))])
    assert first.passages_retagged == 0
    monkeypatch.setenv("PATRIMOINE_TAGGER", "trained")
    second = ingest([str(TRANSCRIPT.parent / TRANSCRIPT.name)])  # another path, same content: unchanged
    assert second.documents_unchanged == 1
    assert second.passages_retagged == first.passages_indexed
    third = ingest([str(TRANSCRIPT)])
    assert third.passages_retagged == 0


def test_retag_command_prints_counts(home, copy_file):
    ingest([str(copy_file(TRANSCRIPT))])
    result = CliRunner().invoke(cli, ["retag"])
    assert result.exit_code == 0, result.output
    assert "passages re-tagged with" in result.stdout and "0 corrected by staff kept" in result.stdout
