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


if __name__ == "__main__":
    main()
