"""`make bench`: speed figures of ingestion and search on the sample corpus (printed, never asserted)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="patrimoine-bench-"))
    os.environ["PATRIMOINE_HOME"] = str(home)
    from pipelines.cli import configure_prefect
    from pipelines.settings import Settings

    settings = Settings()
    configure_prefect(settings)
    from pipelines import query
    from pipelines.embedding import load_embedder
    from pipelines.flows import ingest
    from pipelines.store import Store

    corpus = ROOT / "corpus" / "documents"
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))
    started = time.perf_counter()
    report = ingest([str(corpus)])
    first = time.perf_counter() - started
    print(f"ingest sample corpus (cold, incl. model loads and Prefect start): {first:.1f} s, "
          f"{report.documents_ingested} documents, {report.passages_indexed} passages")
    if seeds:
        started = time.perf_counter()
        report = ingest([str(p) for p in seeds])
        print(f"ingest the seeds (warm): {time.perf_counter() - started:.1f} s, "
              f"{report.documents_ingested} documents, {report.passages_indexed} passages")
    started = time.perf_counter()
    report = ingest([str(corpus)])
    print(f"re-ingest sample corpus (no-op): {time.perf_counter() - started:.1f} s, "
          f"{report.documents_unchanged} unchanged")
    store = Store.open(settings)
    embedder = load_embedder(settings.embedding_model)
    questions = ["fabrique locale des transitions", "mettre les conflits au travail", "évaluation participative",
                 "journées d'initiation à l'approche systémique", "Loos-en-Gohelle démonstrateur"]
    query.search(store, embedder, questions[0], k=10, weights=settings.search_weights)  # warm-up
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for question in questions:
            query.search(store, embedder, question, k=10, weights=settings.search_weights)
    elapsed = (time.perf_counter() - started) / (rounds * len(questions))
    print(f"search latency (k=10, warm): {elapsed * 1000:.1f} ms per query over {rounds * len(questions)} queries")
    store.close()
    _embedding_speed()
    _reading_speed(settings)


def _embedding_speed() -> None:
    """Passages per second of each shipped embedder, on the passages of the tagging gold (~1,000 characters)."""
    import json

    from pipelines.embedding import E5_NAME, USE_NAME, load_embedder

    gold = ROOT / "corpus" / "gold" / "tagging.jsonl"
    texts = [json.loads(line)["text"] for line in gold.read_text(encoding="utf-8").splitlines()[:64]]
    chars = sum(map(len, texts)) / len(texts)
    for name in (USE_NAME, E5_NAME):
        embedder = load_embedder(name)
        embedder.embed_passages(texts[:2])  # warm-up
        started = time.perf_counter()
        embedder.embed_passages(texts)
        elapsed = time.perf_counter() - started
        print(f"embed passages with {name}: {len(texts) / elapsed:.1f} passages/s ({len(texts)} passages of "
              f"{chars:.0f} characters on average)")


def _reading_speed(settings) -> None:
    """Pages per second of text PDFs and of OCR pages, on ../shared/external/ when it is there."""
    from pipelines.errors import UnreadableDocument
    from pipelines.readers import read_document

    external = ROOT.parent / "shared" / "external"
    if not external.exists():
        print("reading speed: ../shared/external/ absent, skipped")
        return
    pages = ocr_pages = 0
    started = time.perf_counter()
    for path in sorted((external / "pdf").glob("*.pdf")):
        document = read_document(path, max_bytes=10**9)
        pages += document.pages or 0
        ocr_pages += len({b.page for b in document.blocks if b.ocr_confidence is not None})
    elapsed = time.perf_counter() - started
    print(f"read text PDFs of external/pdf: {pages} pages in {elapsed:.1f} s = {pages / elapsed:.1f} pages/s "
          f"({ocr_pages} of them needed OCR)")
    scan = external / "pdf-bad" / "arrete_pref_23_03_2023.pdf"
    started = time.perf_counter()
    try:
        document = read_document(scan, max_bytes=10**9, ocr_timeout_s=settings.ocr_page_timeout_s)
    except UnreadableDocument as exc:
        print(f"OCR: {scan.name}: {exc}")
        return
    elapsed = time.perf_counter() - started
    print(f"OCR of {scan.name}: {document.pages} pages in {elapsed:.1f} s = {document.pages / elapsed:.2f} pages/s")


if __name__ == "__main__":
    main()
