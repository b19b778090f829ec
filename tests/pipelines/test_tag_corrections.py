"""Tag corrections by staff: kept across re-ingestion and re-tagging, shown as such, used by training."""

import sqlite3

from typer.testing import CliRunner

from pipelines import catalog
from pipelines.cli import app as cli
from pipelines.flows import ingest, retag
from pipelines.settings import Settings
from pipelines.store import Store
from tests.conftest import RAPPORT, TRANSCRIPT


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


def _stored_passages() -> list[tuple[str, str]]:
    """(passage id, text) of every stored passage, in document order."""
    store = Store.open(Settings())
    try:
        return [(r["passage_id"], r["text"]) for r in store.conn.execute(
            "SELECT passage_id, text FROM passages ORDER BY document_id, ordinal")]
    finally:
        store.close()


def _append_turn(path) -> None:
    """Staff edit the transcript: a closing turn at its end, every earlier passage keeps its words."""
    with path.open("a", encoding="utf-8") as file:
        file.write("\n\n00:59:00 Camille Roussel\nUne dernière précision : le compte rendu sera en ligne lundi.\n")


def test_a_correction_follows_its_text_when_staff_edit_the_file(home, copy_file):
    path = copy_file(TRANSCRIPT)
    ingest([str(path)])
    passage_id, text = _stored_passages()[0]
    assert CliRunner().invoke(cli, ["tags", "set", passage_id, "F4", "O3"]).exit_code == 0

    _append_turn(path)
    report = ingest([str(path)])
    assert report.documents_ingested == 1
    stored = dict((t, pid) for pid, t in _stored_passages())
    new_id = stored[text]  # the same words, under the new version's id
    assert new_id != passage_id and passage_id not in stored.values()
    assert [(t.id, t.corrected) for t in _passage_tags(new_id)] == [("F4", True), ("O3", True)]
    others = [pid for pid in stored.values() if pid != new_id]
    assert not any(t.corrected for pid in others for t in _passage_tags(pid))

    retagged = retag()
    assert retagged.passages_corrected_kept == 1
    assert retagged.passages_retagged == len(others)
    assert [(t.id, t.corrected) for t in _passage_tags(new_id)] == [("F4", True), ("O3", True)]
    store = Store.open(Settings())
    assert [(t, labels) for _, t, labels in catalog.tag_corrections(store.conn)] == [(text, ["F4", "O3"])]
    store.close()


def test_retag_counts_only_corrections_of_stored_passages(home, copy_file):
    path = copy_file(TRANSCRIPT)
    ingest([str(path)])
    passage_id, _ = _stored_passages()[0]
    assert CliRunner().invoke(cli, ["tags", "set", passage_id, "F1"]).exit_code == 0
    store = Store.open(Settings())
    catalog.delete_document(store.conn, passage_id.rsplit("-", 1)[0])  # the file is withdrawn
    store.close()
    ingest([str(copy_file(RAPPORT))])

    result = CliRunner().invoke(cli, ["retag"])
    assert result.exit_code == 0, result.output
    assert "0 corrected by staff kept" in result.stdout
    store = Store.open(Settings())
    assert [labels for _, _, labels in catalog.tag_corrections(store.conn)] == [["F1"]]  # still trains the tagger
    store.close()


def _make_old(path) -> None:
    """Turn a catalog into what the code before text hashes left: corrections and passages without them."""
    conn = sqlite3.connect(path)
    with conn:
        for table in ("passages", "tag_corrections"):
            conn.execute(f"DROP INDEX IF EXISTS {table}_text_hash")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN text_hash")
    conn.close()


def test_a_correction_recorded_by_older_code_follows_its_text(home, copy_file):
    path = copy_file(TRANSCRIPT)
    ingest([str(path)])
    passage_id, text = _stored_passages()[1]
    assert CliRunner().invoke(cli, ["tags", "set", passage_id, "F1", "F2", "F3", "F4"]).exit_code == 0
    _make_old(home / "catalog.sqlite3")
    staff = [("F1", True), ("F2", True), ("F3", True), ("F4", True)]

    assert [(t.id, t.corrected) for t in _passage_tags(passage_id)] == staff  # opened again: still shown
    assert retag().passages_corrected_kept == 1
    _append_turn(path)
    ingest([str(path)])
    new_id = dict((t, pid) for pid, t in _stored_passages())[text]
    assert new_id != passage_id and [(t.id, t.corrected) for t in _passage_tags(new_id)] == staff
    assert retag().passages_corrected_kept == 1


def test_a_correction_applies_to_the_same_text_in_every_stored_document(home, copy_file):
    path = copy_file(TRANSCRIPT)
    edited = copy_file(TRANSCRIPT, "comite-2024-05-22-relu.txt")  # a re-read copy filed beside the original
    _append_turn(edited)
    assert ingest([str(path), str(edited)]).documents_ingested == 2
    passage_id, text = _stored_passages()[0]
    twins = [pid for pid, t in _stored_passages() if t == text]
    assert len(twins) == 2

    result = CliRunner().invoke(cli, ["tags", "set", passage_id, "F4", "O3"])
    assert result.exit_code == 0, result.output
    assert "applied to 2 stored passages with this text" in result.stdout
    for twin in twins:
        assert [(t.id, t.corrected) for t in _passage_tags(twin)] == [("F4", True), ("O3", True)]
    assert retag().passages_corrected_kept == 2
