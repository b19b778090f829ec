import shutil
from pathlib import Path

import numpy as np
import pytest

from pipelines import catalog
from pipelines.analysis import analyzer_version
from pipelines.flows import ingest, read_task, stored_vectors, understand_task
from pipelines.settings import Settings
from pipelines.store import Store
from pipelines.types import SourceDocument
from tests.conftest import ACTE, EXTERNAL, RAPPORT, TRANSCRIPT


def _counts():
    store = Store.open(Settings())
    try:
        return {**catalog.counts(store.conn), "vectors": store.index.count()}
    finally:
        store.close()


def _stored_vectors() -> dict[str, np.ndarray]:
    """Every stored passage's vector, by text."""
    store = Store.open(Settings())
    try:
        ids = [row["document_id"] for row in store.conn.execute("SELECT document_id FROM documents")]
        return {text: vector for document_id in ids for text, vector in stored_vectors(store, document_id).items()}
    finally:
        store.close()


def test_corpus_ingests_with_catalog_and_vectors_in_step(ingested):
    counts = _counts()
    assert counts["documents"] == 5
    assert counts["passages"] == counts["vectors"] > 40
    assert counts["actors"] > 10
    assert counts["runs"] == 1


def test_reingesting_the_same_files_changes_nothing(home, copy_file):
    folder = copy_file(TRANSCRIPT).parent
    copy_file(RAPPORT)
    first = ingest([str(folder)])
    assert (first.documents_ingested, first.documents_unchanged) == (2, 0)
    before = _counts()
    second = ingest([str(folder)])
    assert (second.documents_seen, second.documents_ingested, second.documents_unchanged) == (2, 0, 2)
    assert second.passages_indexed == 0
    after = _counts()
    assert after == {**before, "runs": before["runs"] + 1}


def test_bad_files_are_reported_and_the_run_goes_on(home, copy_file, tmp_path):
    good = copy_file(TRANSCRIPT)
    ingest([str(good)])
    before = _counts()
    empty = good.parent / "vide.pdf"
    empty.write_bytes(b"")
    broken = good.parent / "tronque.pdf"
    broken.write_bytes(ACTE.read_bytes()[:3000])
    missing = tmp_path / "absent.pdf"
    report = ingest([str(good.parent), str(missing)])
    assert report.documents_seen == 4
    assert report.documents_unchanged == 1
    assert report.documents_failed == 3
    reasons = {f.path.rsplit("/", 1)[-1]: f.error for f in report.failures}
    assert "empty" in reasons["vide.pdf"]
    assert "PDF" in reasons["tronque.pdf"]
    assert "no such file" in reasons["absent.pdf"]
    assert _counts() == {**before, "runs": before["runs"] + 1}  # nothing indexed was lost


def test_a_changed_file_replaces_its_previous_version(home, tmp_path):
    path = tmp_path / "compte-rendu.txt"
    path.write_text("Compte rendu\n\n" + "La commune lance un budget participatif pour les écoles. " * 8, encoding="utf-8")
    ingest([str(path)])
    path.write_text("Compte rendu\n\n" + "La commune crée un tiers-lieu dédié à la réparation. " * 8, encoding="utf-8")
    report = ingest([str(path)])
    assert report.documents_ingested == 1
    counts = _counts()
    assert counts["documents"] == 1 and counts["passages"] == counts["vectors"]


def test_documents_analysed_by_older_rules_are_analysed_again(home, tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(Settings().models_dir, models)
    monkeypatch.setenv("PATRIMOINE_MODELS_DIR", str(models))
    path = tmp_path / "compte-rendu.txt"
    path.write_text("Compte rendu\n\n" + "La commune de Bitry lance un budget participatif avec l'ADEME. " * 4, encoding="utf-8")
    assert ingest([str(path)]).documents_ingested == 1
    assert ingest([str(path)]).documents_unchanged == 1  # same rules and models: nothing to do
    lexicon = models / "organisations.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# a new body\n", encoding="utf-8")
    before = _stored_vectors()
    report = ingest([str(path)])  # the extraction's lexicon changed: analysed again, not duplicated
    assert (report.documents_ingested, report.documents_unchanged) == (1, 0)
    assert report.passages_reused == report.passages_indexed == len(before) > 0  # the same texts: not embedded again
    after = _stored_vectors()
    assert after.keys() == before.keys() and all(np.array_equal(after[k], before[k]) for k in before)
    counts = _counts()
    assert counts["documents"] == 1 and counts["passages"] == counts["vectors"]
    assert ingest([str(path)]).documents_unchanged == 1
    version = analyzer_version(Settings())
    taxonomy = models / "taxonomy.yaml"  # the tagger's labels: `retag` follows them, the extraction does not
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8") + "\n# reworded\n", encoding="utf-8")
    assert analyzer_version(Settings()) == version


def test_the_fingerprint_covers_the_code_that_reads_and_segments():
    """An upgrade that reads tables or titles better applies to documents already stored at the next ingest."""
    from pipelines.analysis import analysis_code

    names = {str(path.relative_to(Path(analysis_code()[0]).parent)) for path in analysis_code()}
    assert {"readers/pdf.py", "readers/__init__.py", "readers/captions.py", "segmentation.py", "metadata.py",
            "extraction_rules.py"} <= names
    assert all(path.is_file() for path in analysis_code())


def test_tasks_run_on_their_own_through_fn(home):
    settings = Settings()
    document = read_task.fn(str(TRANSCRIPT), settings)
    passages, analyses, vectors = understand_task.fn(document, settings)
    assert len(passages) == len(analyses) == vectors.shape[0]
    assert any(a.actors for a in analyses)
    known = {passages[0].text: np.full(vectors.shape[1], 0.5, dtype=np.float32)}  # a stored vector is kept as is
    _, _, again = understand_task.fn(document, settings, known_vectors=known)
    assert np.array_equal(again[0], known[passages[0].text]) and np.allclose(again[1:], vectors[1:], atol=1e-5)
    empty = SourceDocument(path=document.path, document_id="empty", title="", doc_type="text", blocks=[])
    none, _, no_vectors = understand_task.fn(empty, settings, known_vectors=known)  # no passage, no crash
    assert none == [] and no_vectors.shape == (0, vectors.shape[1])


@pytest.mark.parametrize("seed", ["000_900ca09423ac27b3.txt", "004_0d0514a859c5f119.txt"])
def test_seeds_ingested_without_error(ingested, seed):
    store = Store.open(Settings())
    try:
        rows = store.conn.execute("SELECT title FROM documents WHERE source_path LIKE ?", (f"%{seed}",)).fetchall()
    finally:
        store.close()
    assert len(rows) == 1


@pytest.mark.skipif(not (EXTERNAL / "pdf-bad").exists(), reason="shared/external absent")
def test_files_that_must_fail_are_reported_and_the_run_completes(home):
    report = ingest([str(EXTERNAL / "pdf-bad")])
    assert report.documents_seen == len([p for p in (EXTERNAL / "pdf-bad").iterdir() if p.suffix == ".pdf"])
    assert report.documents_seen == report.documents_ingested + report.documents_unchanged + report.documents_failed
    reasons = {f.path.rsplit("/", 1)[-1]: f.error for f in report.failures}
    assert "empty" in reasons["empty.pdf"]
    assert "password" in reasons["encrypted.pdf"]
    assert "PDF" in reasons["truncated.pdf"]
    assert "not-a-pdf.pdf" not in reasons  # Markdown content under a .pdf name: read as text
    assert all(reason.strip() for reason in reasons.values())


def test_an_ingestion_waits_for_the_one_writing_to_the_same_home(home, copy_file, capsys):
    """A scheduled run and one started by hand on the same home never write side by side: the second waits."""
    import threading
    import time

    from pipelines.store import one_writer

    path = copy_file(TRANSCRIPT)
    reports = []
    with one_writer(Settings()):  # another writer holds the home
        worker = threading.Thread(target=lambda: reports.append(ingest([str(path)])))
        worker.start()
        said, deadline = "", time.monotonic() + 120
        while "waiting for it to end" not in said and time.monotonic() < deadline:
            time.sleep(0.2)
            said += capsys.readouterr().err
        assert f"another ingestion or re-tagging is writing to {home}: waiting for it to end" in said
        assert worker.is_alive() and _counts()["runs"] == 0  # nothing written while the other writer holds it
    worker.join(timeout=300)
    assert reports and reports[0].documents_ingested == 1 and _counts()["runs"] == 1


def test_a_run_left_running_by_a_killed_process_is_marked_crashed_by_the_next(home):
    store = Store.open(Settings())
    try:
        catalog.start_run(store.conn, "killed", ["a"])  # its process died without finishing it
        catalog.start_run(store.conn, "next", ["a"], deployment="nightly")  # under the writer lock: none else runs
        runs = {run["run_id"]: run for run in catalog.list_runs(store.conn)}
    finally:
        store.close()
    assert runs["killed"]["status"] == "crashed" and runs["killed"]["deployment"] is None
    assert runs["next"]["status"] == "running" and runs["next"]["deployment"] == "nightly"


def test_a_file_name_that_is_not_utf8_fails_alone_and_leaves_no_vector(home, tmp_path):
    """A name written on another system ("caf\\xe9.txt" in Latin-1) stopped every run of its folder."""
    import os

    folder = tmp_path / "depot"
    folder.mkdir()
    (folder / "ok.txt").write_text("Deuxième document correct sur la piste cyclable du village. " * 8)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as bad:
        bad.write("Procès-verbal du conseil sur la piste cyclable et la concertation des habitants. ".encode() * 8)
    report = ingest([str(folder)])
    assert (report.documents_seen, report.documents_ingested, report.documents_failed) == (2, 1, 1)
    (failure,) = report.failures
    assert failure.path.endswith("caf\\xe9.txt") and "not valid UTF-8" in failure.error
    counts = _counts()
    store = Store.open(Settings())
    try:
        assert store.index.count() == counts["passages"]
        (run,) = catalog.list_runs(store.conn)
    finally:
        store.close()
    assert run["status"] == "completed"


def _documents_by_path() -> dict[str, str]:
    """The stored documents' ids by source path."""
    store = Store.open(Settings())
    try:
        return {row["source_path"]: row["document_id"] for row in store.conn.execute("SELECT * FROM documents")}
    finally:
        store.close()


def _lexical_hits(query: str, source: str) -> list[str]:
    """The source paths of the lexical hits of `query` in the file named `source` (`patrimoine search --source`)."""
    from pipelines.facets import SearchFilters
    from pipelines.query import search

    store = Store.open(Settings())
    try:
        response = search(store, None, query, k=10, mode="lexical", filters=SearchFilters(source=[source]))
    finally:
        store.close()
    return [hit.source_path for hit in response.hits]


def test_a_moved_file_is_found_at_its_new_path(home, copy_file):
    """The document id is the content's hash: a renamed file is the same document, stored under its new path."""
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    old = copy_file(TRANSCRIPT, "fiche11.txt")
    assert ingest([str(old.parent)]).documents_ingested == 1
    new = old.with_name("fiche11-renamed.txt")
    old.rename(new)
    before = _counts()
    report = ingest([str(old.parent)])
    assert (report.documents_seen, report.documents_ingested, report.documents_unchanged) == (1, 0, 1)
    assert report.passages_indexed == 0 and not report.warnings  # not analysed again
    (document_id,) = _documents_by_path().values()
    assert _documents_by_path() == {str(new): document_id}
    assert _lexical_hits("transition", new.name) and set(_lexical_hits("transition", new.name)) == {str(new)}
    assert _lexical_hits("transition", old.name) == []
    assert TestClient(create_app()).get(f"/documents/{document_id}/file").status_code == 200
    assert _counts() == {**before, "runs": before["runs"] + 1}
    again = ingest([str(old.parent)])  # idempotent
    assert (again.documents_ingested, again.documents_unchanged, again.warnings) == (0, 1, [])
    assert _documents_by_path() == {str(new): document_id}


@pytest.mark.parametrize("names", [("z.txt", "a.txt"), ("a.txt", "z.txt")])  # the copy read first, then last
def test_a_copy_is_a_duplicate_and_keeps_the_content_when_the_original_changes(home, tmp_path, names):
    """The same content at two paths is one document; it is not lost while one of its files still holds it."""
    folder = tmp_path / "docs"
    folder.mkdir()
    original = folder / names[0]
    original.write_text(
        "Compte rendu\n\n" + "La commune lance un budget participatif pour les écoles de Bitry. " * 8, encoding="utf-8"
    )
    assert ingest([str(folder)]).documents_ingested == 1
    copy = folder / names[1]
    shutil.copy(original, copy)
    for _ in range(2):  # idempotent: the second run says the same and changes nothing
        report = ingest([str(folder)])
        assert (report.documents_seen, report.documents_ingested, report.documents_unchanged) == (2, 0, 2)
        assert [(w.path, w.reason) for w in report.warnings] == [(str(copy), f"same content as {original}")]
    (document_id,) = _documents_by_path().values()
    with original.open("a", encoding="utf-8") as out:
        out.write("La commune crée aussi un tiers-lieu dédié à la réparation des vélos.\n")
    report = ingest([str(folder)])
    assert (report.documents_seen, report.documents_ingested, report.documents_unchanged) == (2, 1, 1)
    assert not report.warnings  # a.txt holds the document now: no longer a copy of anything
    stored = _documents_by_path()
    assert stored.keys() == {str(original), str(copy)} and stored[str(copy)] == document_id
    assert set(_lexical_hits("budget participatif", copy.name)) == {str(copy)}
    counts = _counts()
    assert counts["documents"] == 2 and counts["passages"] == counts["vectors"]
    again = ingest([str(folder)])
    assert (again.documents_ingested, again.documents_unchanged, again.warnings) == (0, 2, [])
    assert _documents_by_path() == stored


@pytest.mark.parametrize("names", [("a.txt", "z.txt"), ("z.txt", "a.txt")])  # the changed file read first, then last
def test_a_new_copy_of_a_changed_files_former_content_takes_it_over_whatever_the_order(home, tmp_path, names):
    """`cp a.txt z.txt` then an edit of a.txt, both before the next run: the former content is not analysed again."""
    folder = tmp_path / "docs"
    folder.mkdir()
    changed, copy = folder / names[0], folder / names[1]
    changed.write_text("Compte rendu\n\n" + "La commune lance un budget participatif pour les écoles. " * 8,
                       encoding="utf-8")
    assert ingest([str(folder)]).documents_ingested == 1
    (former,) = _documents_by_path().values()
    shutil.copy(changed, copy)
    with changed.open("a", encoding="utf-8") as out:
        out.write("La commune crée aussi un tiers-lieu dédié à la réparation des vélos.\n")
    report = ingest([str(folder)])
    assert (report.documents_seen, report.documents_ingested, report.documents_unchanged) == (2, 1, 1)
    store = Store.open(Settings())
    try:
        new_passages = catalog.document_passage_texts(store.conn, _documents_by_path()[str(changed)], model=store.model)
    finally:
        store.close()
    assert report.passages_indexed == len(new_passages)  # the new text only: the former one kept its analysis
    stored = _documents_by_path()
    assert stored.keys() == {str(changed), str(copy)} and stored[str(copy)] == former
    counts = _counts()
    assert counts["documents"] == 2 and counts["passages"] == counts["vectors"]
    again = ingest([str(folder)])
    assert (again.documents_ingested, again.documents_unchanged, again.documents_removed) == (0, 2, 0)
    assert _documents_by_path() == stored


def test_a_deleted_file_leaves_the_index_when_its_folder_is_ingested_again(home, tmp_path):
    folder = tmp_path / "depot"
    folder.mkdir()
    for name, subject in (("a.txt", "la piste cyclable"), ("b.txt", "le jardin partagé"), ("c.txt", "la cantine")):
        (folder / name).write_text(f"Compte rendu de la commission sur {subject} du village. " * 10)
    first = ingest([str(folder)])
    assert first.documents_ingested == 3
    (folder / "b.txt").unlink()
    again = ingest([str(folder)])
    assert (again.documents_seen, again.documents_unchanged, again.documents_removed) == (2, 2, 1)
    assert sorted(Path(p).name for p in _documents_by_path()) == ["a.txt", "c.txt"]
    counts = _counts()
    assert counts["vectors"] == counts["passages"]
    assert ingest([str(folder)]).documents_removed == 0  # idempotent
    for name in ("a.txt", "c.txt"):
        (folder / name).unlink()
    empty = ingest([str(folder)])  # nothing found (an emptied or unmounted share): nothing removed
    assert (empty.documents_seen, empty.documents_removed) == (0, 0) and len(_documents_by_path()) == 2


def test_a_folder_that_cannot_be_listed_is_a_failure_and_its_documents_stay(home, tmp_path):
    """Root reads any folder: the refusal is what the system gives to a user who may not list it."""
    import os

    folder = tmp_path / "depot"
    (folder / "closed").mkdir(parents=True)
    (folder / "open.txt").write_text("Compte rendu de la commission sur la piste cyclable du village. " * 10)
    (folder / "closed" / "inside.txt").write_text("Compte rendu de la commission sur le jardin partagé. " * 10)
    assert ingest([str(folder)]).documents_ingested == 2
    real_walk = os.walk

    def walk_refused(top, topdown=True, onerror=None, followlinks=False):  # the OS's answer, not the product's
        for folder_, folders, files in real_walk(top, topdown, onerror, followlinks):
            if Path(folder_).name == "closed":
                onerror(PermissionError(13, "Permission denied", folder_))
                folders[:] = []
                continue
            yield folder_, folders, files

    os.walk = walk_refused
    try:
        again = ingest([str(folder)])
    finally:
        os.walk = real_walk
    (failure,) = again.failures
    assert failure.path.endswith("closed") and failure.error == "cannot list the folder: Permission denied"
    assert (again.documents_seen, again.documents_unchanged, again.documents_failed) == (2, 1, 1)  # counts add up
    assert again.documents_removed == 0 and len(_documents_by_path()) == 2


@pytest.mark.parametrize("how", ["copy", "move"])
def test_a_file_overwritten_with_another_files_content_leaves_no_stale_document(home, tmp_path, how):
    """`cp A.txt B.txt` or `mv A.txt B.txt` over a stored B: B's former text leaves the index."""
    folder = tmp_path / "docs"
    folder.mkdir()
    a, b = folder / "a.txt", folder / "b.txt"
    a.write_text("Compte rendu de la commission sur la piste cyclable du village. " * 10, encoding="utf-8")
    b.write_text("Compte rendu de la commission sur le jardin partagé du quartier. " * 10, encoding="utf-8")
    first = ingest([str(folder)])
    assert first.documents_ingested == 2
    old_b = _documents_by_path()[str(b.resolve())]
    if how == "copy":
        shutil.copy(a, b)
    else:
        shutil.move(a, b)
    ingest([str(folder)])
    stored = _documents_by_path()
    assert old_b not in stored.values() and len(stored) == 1
    assert _lexical_hits("jardin partagé", "b.txt") == []
    counts = _counts()
    assert counts["vectors"] == counts["passages"]


def test_runs_left_running_are_marked_crashed_only_when_nobody_writes(home):
    """`patrimoine schedule` stopped during a run: the run's child process was stopped with it."""
    import threading

    from pipelines.store import crash_unfinished_runs, one_writer

    settings = Settings()
    store = Store.open(settings)
    try:
        catalog.start_run(store.conn, "stopped", ["a"], deployment="nightly", scheduled=True)
    finally:
        store.close()
    holding, release = threading.Event(), threading.Event()

    def writer():
        with one_writer(settings):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(30)
    try:
        assert crash_unfinished_runs(settings) == 0  # another process writes: its run is alive
    finally:
        release.set()
        thread.join(30)
    assert crash_unfinished_runs(settings) == 1
    store = Store.open(settings)
    try:
        assert [run["status"] for run in catalog.list_runs(store.conn)] == ["crashed"]
    finally:
        store.close()
