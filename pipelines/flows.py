"""The Prefect flow `ingest`: discover → read → segment → analyse → embed → store.

Tasks are thin: each calls a pure step of its own module; only the write to storage retries.
A file that cannot be read is reported in the run's failures and the run goes on.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from pathlib import Path

import numpy as np
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import deployment, flow_run

from pipelines import catalog
from pipelines.analysis import Tagger, analyzer_version, load_analyzer, load_tagger_for
from pipelines.embedding import load_embedder
from pipelines.errors import IndexUnavailable, ModelUnavailable, PatrimoineError
from pipelines.readers import content_id, discover, read_document, shown_path, title_from_file_name
from pipelines.schemas import IngestFailure, IngestReport, IngestWarning, RetagReport
from pipelines.segmentation import segment
from pipelines.settings import Settings
from pipelines.store import Store, one_writer
from pipelines.types import Analysis, Passage, SourceDocument


@task(cache_policy=NO_CACHE)
def read_task(path: str, settings: Settings) -> SourceDocument:
    return read_document(
        Path(path),
        max_bytes=int(settings.max_file_mb * 1_000_000),
        page_timeout_s=settings.page_timeout_s,
        ocr_timeout_s=settings.ocr_page_timeout_s,
        ocr_min_confidence=settings.ocr_min_confidence,
    )


@task(cache_policy=NO_CACHE)
def understand_task(
    document: SourceDocument, settings: Settings, staff_practices: list[dict] = (), *,
    known_vectors: dict[str, np.ndarray] | None = None,
) -> tuple[list[Passage], list[Analysis], np.ndarray]:
    """Segment, analyse and embed one document (pure computation, no write); the practices staff promoted
    are matched besides the shipped ones; a passage whose text is in `known_vectors` (the vectors stored for the
    document by the same model, by text) keeps its vector instead of being embedded again."""
    passages = segment(document, min_chars=settings.passage_min_chars, max_chars=settings.passage_max_chars)
    texts = [p.text for p in passages]
    analyses = load_analyzer(settings, staff_practices=staff_practices).predict_document(
        texts, speakers=sorted({p.speaker for p in passages if p.speaker})
    )
    known = known_vectors or {}
    todo = [t for t in texts if t not in known]
    if len(todo) == len(texts):  # nothing stored for them (and a document without passages gets (0, dim))
        return passages, analyses, _embedder(settings).embed_passages(texts)
    if todo:
        known = {**known, **dict(zip(todo, _embedder(settings).embed_passages(todo), strict=True))}
    return passages, analyses, np.stack([known[t] for t in texts])


def _embedder(settings: Settings):
    return load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)


def stored_vectors(store: Store, document_id: str) -> dict[str, np.ndarray]:
    """The vectors stored for a document by the store's model, by passage text (for a document analysed again)."""
    texts = catalog.document_passage_texts(store.conn, document_id, model=store.model)
    return {texts[pid]: vector for pid, vector in store.index.passage_vectors(list(texts)).items()}


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def store_task(
    store: Store,
    document: SourceDocument,
    passages: list[Passage],
    analyses: list[Analysis],
    vectors: np.ndarray,
    *,
    run_id: str,
    analyzer: str | None = None,
) -> None:
    """Vectors first, then the catalog in one transaction. An older version of the same file stays until the end of
    the run (`drop_replaced_task`): a later file of the run may be its copy."""
    store.index.delete_document(document.document_id)
    store.index.upsert(
        ids=[p.passage_id for p in passages],
        vectors=vectors,
        metadatas=[{"document_id": p.document_id, "page": p.page or 0, "model": store.model} for p in passages],
    )
    try:
        catalog.save_document(store.conn, document, passages, analyses, model=store.model, run_id=run_id,
                              analyzer=analyzer)
    except BaseException:
        with contextlib.suppress(Exception):  # the catalog's error is the one to report
            store.index.delete_document(document.document_id)  # no vector without its catalog row
        raise


def _drop_old_version(store: Store, document_id: str) -> bool:
    """The previous content of a changed or deleted file: kept under a copy of it that still holds it (`add_copy`),
    else deleted (True); a document is never lost while one of its files holds it."""
    copy = next((p for p in catalog.document_copies(store.conn, document_id) if _holds(p, document_id)), None)
    if copy is None:
        store.index.delete_document(document_id)
        catalog.delete_document(store.conn, document_id)
        return True
    stored = catalog.get_documents(store.conn, [document_id])[document_id]
    title = _title_after_move(stored.title, stored.source_path, copy)
    catalog.move_document(store.conn, document_id, copy, title=title)
    get_run_logger().info("%s: its previous content stays under its copy %s", stored.source_path, copy)
    return False


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def drop_replaced_task(store: Store, read: dict[str, str]) -> int:
    """The documents stored under a path that now holds other content (`read`: path -> id of the content read
    there in this run, stored or found unchanged) are dropped, unless a copy still holds them (`_drop_old_version`).
    Done once every file of the run was located, so that a copy of a changed file's former content, read later in
    the run, took that content over instead of analysing it again; a run stopped before this step leaves both
    versions, and the next run drops the old one. Returns how many were deleted."""
    dropped = 0
    for path, document_id in read.items():
        for old_id in catalog.documents_at_path(store.conn, path):
            if old_id != document_id:
                dropped += _drop_old_version(store, old_id)
    return dropped


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def remove_vanished_task(store: Store, paths: list[str], seen: list[Path], *, kept: list[Path]) -> list[str]:
    """The stored documents whose file an ingested folder no longer holds (deleted, or moved out of it): removed
    from the index and the catalog, unless a copy still holds their content. A folder in which nothing was found
    (empty, or a share not mounted) removes nothing, nor do the `kept` folders (that could not be listed). Returns
    the removed documents' paths."""
    folders = {Path(p).resolve() for p in paths if Path(p).is_dir()}
    folders = {f for f in folders if any(s.is_relative_to(f) for s in seen)}
    kept = [k.resolve() for k in kept]
    removed = []
    for document_id, source in catalog.document_paths(store.conn):
        path = Path(source)
        if (any(path.is_relative_to(f) for f in folders) and not any(path.is_relative_to(k) for k in kept)
                and _gone(path) and _drop_old_version(store, document_id)):
            removed.append(source)
    return removed


def _gone(path: Path) -> bool:
    """No file at `path` (one this user may not look at is not gone)."""
    try:
        return not path.exists()
    except OSError:
        return False


def _holds(path: str, document_id: str, *, size: int | None = None) -> bool:
    """Whether the file at `path` still holds the content `document_id` names (the id is the content's hash); a
    file whose size differs from `size` does not, and is not read."""
    try:
        if size is not None and Path(path).stat().st_size != size:
            return False
        return content_id(Path(path).read_bytes()) == document_id
    except OSError:  # gone, or no longer readable
        return False


def _title_after_move(title: str, old_path: str, new_path: str) -> str:
    """A title the reader made from the old file's name (the document states none) follows the file's new name."""
    return title_from_file_name(Path(new_path)) if title == title_from_file_name(Path(old_path)) else title


def locate(store: Store, document: SourceDocument) -> str | None:
    """Reconcile the file just read with the path its content is stored under (the id is the content's hash, the
    same whatever the file's name). Another file that still holds the content is returned: this one is recorded as
    its copy. A stored file that is gone or holds other content now was renamed or moved: the document is stored
    under this path, without being analysed again. What this path held before (`cp A B`, `mv A B`) is dropped at
    the end of the run (`drop_replaced_task`)."""
    stored = catalog.document_source(store.conn, document.document_id)
    path = str(document.path)
    if stored is None or stored == path:
        return None
    if _holds(stored, document.document_id, size=document.path.stat().st_size):
        catalog.add_copy(store.conn, path, document.document_id)
        return stored
    catalog.move_document(store.conn, document.document_id, path, title=document.title, read=document)
    get_run_logger().info("%s: moved from %s", path, stored)
    return None


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def replace_tags_task(store: Store, tags: dict) -> int:
    return catalog.replace_tags(store.conn, tags)


_RETAG_BATCH = 64
_TAGGER_VERSION = "tagger_version"


def retag_store(store: Store, tagger: Tagger) -> RetagReport:
    """Tag every stored passage again with `tagger`, keeping the tags staff corrected; no file is read."""
    todo = catalog.passages_to_retag(store.conn)
    changed = 0
    for start in range(0, len(todo), _RETAG_BATCH):
        batch = todo[start : start + _RETAG_BATCH]
        predictions = tagger.predict([text for _, text in batch])  # pure
        changed += replace_tags_task(store, {pid: tags for (pid, _), tags in zip(batch, predictions, strict=True)})
    catalog.set_meta(store.conn, _TAGGER_VERSION, tagger.version)
    return RetagReport(
        tagger_version=tagger.version,
        passages_retagged=len(todo),
        passages_changed=changed,
        passages_corrected_kept=catalog.corrected_passage_count(store.conn),
    )


@flow(name="retag", validate_parameters=False)
def retag() -> RetagReport:
    """Re-tag the stored passages with the current tagger (after `patrimoine train tagger`)."""
    settings = Settings()
    with one_writer(settings, waiting=lambda: _wait_notice(settings)):
        store = Store.open(settings)
        try:
            return retag_store(store, load_tagger_for(settings))
        finally:
            store.close()


def _wait_notice(settings: Settings) -> None:
    message = f"another ingestion or re-tagging is writing to {settings.home}: waiting for it to end"
    get_run_logger().warning(message)
    print(message, file=sys.stderr, flush=True)  # the CLI keeps Prefect's logger quiet


def _retag_if_the_tagger_changed(store: Store, settings: Settings) -> int:
    """Passages tagged by another tagger than the current one are tagged again; return how many."""
    tagger = load_tagger_for(settings)
    stored = catalog.get_meta(store.conn, _TAGGER_VERSION)
    if stored == tagger.version:
        return 0
    if stored is None and not catalog.counts(store.conn)["passages"]:
        catalog.set_meta(store.conn, _TAGGER_VERSION, tagger.version)
        return 0
    return retag_store(store, tagger).passages_retagged


def _current_run_id() -> str:
    return str(flow_run.get_id() or uuid.uuid4())


def _auto_scheduled() -> bool:
    """Whether Prefect's scheduler made this run from a deployment's schedule; a run of the deployment started by
    hand (Prefect's UI, `prefect deployment run`) was not."""
    context = FlowRunContext.get()
    return bool(context and context.flow_run and context.flow_run.auto_scheduled)


@flow(name="ingest", validate_parameters=False)
def ingest(paths: list[str]) -> IngestReport:
    """Ingest files and folders into the catalog and the vector index of PATRIMOINE_HOME."""
    settings = Settings()
    with one_writer(settings, waiting=lambda: _wait_notice(settings)):  # one writer per home at a time
        return _ingest(paths, settings)


def _ingest(paths: list[str], settings: Settings) -> IngestReport:
    logger = get_run_logger()
    report = IngestReport(run_id=_current_run_id(), deployment=deployment.name, scheduled=_auto_scheduled())
    store = Store.open(settings)
    try:
        store.index.count()  # the vector index answers (a Chroma server may not) before the run is recorded
    except IndexUnavailable:
        store.close()
        raise
    catalog.start_run(
        store.conn, report.run_id, [shown_path(p) for p in paths], deployment=report.deployment,
        scheduled=report.scheduled,
    )
    try:
        report.passages_retagged = _retag_if_the_tagger_changed(store, settings)
        staff_practices = catalog.staff_practices(store.conn)
        analyzer = analyzer_version(settings)  # a document analysed by older rules or models is analysed again
        unreadable: list[tuple[Path, str]] = []
        found = discover(paths, unreadable=unreadable)
        for path, reason in unreadable:  # a folder that cannot be listed: its files are neither read nor removed
            report.documents_seen += 1  # seen and failed, so that the counts add up
            _fail(report, path, reason)
        read: dict[str, str] = {}  # path -> the content stored for it, or found there unchanged
        for path in found:
            report.documents_seen += 1
            try:
                document = read_task(str(path), settings)
                if original := locate(store, document):
                    _duplicate(report, path, original)
                    read[str(document.path)] = document.document_id
                    continue
                if catalog.has_document(store.conn, document.document_id, model=store.model, analyzer=analyzer):
                    report.documents_unchanged += 1
                    logger.info("%s: unchanged", shown_path(path))
                    read[str(document.path)] = document.document_id
                    continue
                known = stored_vectors(store, document.document_id)  # analysed again: the text has not changed
                passages, analyses, vectors = understand_task(document, settings, staff_practices, known_vectors=known)
                reused = sum(p.text in known for p in passages)
                store_task(store, document, passages, analyses, vectors, run_id=report.run_id, analyzer=analyzer)
            except (IndexUnavailable, ModelUnavailable):
                raise  # the index stopped answering, or a model set cannot load: no later file could be stored
            except PatrimoineError as exc:
                _fail(report, path, str(exc))
            except Exception as exc:  # one bad file never stops the run
                _fail(report, path, f"unexpected error: {type(exc).__name__}: {exc}")
            else:
                read[str(document.path)] = document.document_id
                report.documents_ingested += 1
                report.passages_indexed += len(passages)
                report.passages_reused += reused
                report.warnings.extend(
                    IngestWarning(path=shown_path(path), page=p.page, reason=p.reason) for p in document.problems
                )
                logger.info("%s: %d passages indexed", shown_path(path), len(passages))
        drop_replaced_task(store, read)
        for source in remove_vanished_task(store, paths, found, kept=[folder for folder, _ in unreadable]):
            report.documents_removed += 1
            logger.info("%s: file gone, removed", shown_path(source))
        catalog.finish_run(store.conn, report)
    except BaseException:
        catalog.finish_run(store.conn, report, status="crashed")
        raise
    finally:
        store.close()
    return report


def _duplicate(report: IngestReport, path: Path, original: str) -> None:
    """A copy of a stored file is not indexed twice: one document, counted unchanged, reported with its original."""
    report.documents_unchanged += 1
    report.warnings.append(IngestWarning(path=shown_path(path), page=None, reason=f"same content as {original}"))
    get_run_logger().info("%s: same content as %s", shown_path(path), original)


def _fail(report: IngestReport, path: Path, reason: str) -> None:
    report.documents_failed += 1
    report.failures.append(IngestFailure(path=shown_path(path), error=reason))
    get_run_logger().warning("%s: %s", shown_path(path), reason)
