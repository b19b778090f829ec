"""The SQLite catalog: documents, passages, tags, actors, practices and ingestion runs.

The only module that imports sqlite3. Helpers take an open connection (datasette's style).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from pipelines.actors import actor_key, latest_role, normalise
from pipelines.schemas import (
    ActorDocument,
    ActorPublic,
    ActorSummary,
    CandidateExample,
    DocumentDetail,
    DocumentPublic,
    IngestReport,
    InitiativeSummary,
    PassagePublic,
    PracticeCandidate,
    PracticeSummary,
    TagCount,
    TagPublic,
)
from pipelines import analysis_fr
from pipelines.initiatives import initiative_key
from pipelines.text import fold, one_line, sentence_with, text_hash
from pipelines.types import Analysis, Passage, SourceDocument, TagScore

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    source_path TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    pages INTEGER,
    embedding_model TEXT NOT NULL,
    run_id TEXT,
    ingested_at TEXT NOT NULL,
    date TEXT,
    territory TEXT,
    language TEXT
);
CREATE INDEX IF NOT EXISTS documents_source_path ON documents(source_path);
-- Other files where the content of a stored document was seen (copies): a document is kept while one of its files
-- holds it. No foreign key: a document analysed again is replaced, its copies stay.
CREATE TABLE IF NOT EXISTS document_copies (
    source_path TEXT PRIMARY KEY,
    document_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS document_copies_document ON document_copies(document_id);
CREATE TABLE IF NOT EXISTS passages (
    passage_id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    page_end INTEGER,
    speaker TEXT,
    start_s REAL,
    end_s REAL,
    embedding_model TEXT NOT NULL,
    ocr_confidence REAL
);
CREATE INDEX IF NOT EXISTS passages_document ON passages(document_id);
CREATE TABLE IF NOT EXISTS passage_tags (
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL,
    score REAL NOT NULL,
    evidence TEXT,
    PRIMARY KEY (passage_id, tag_id)
);
CREATE TABLE IF NOT EXISTS actors (
    actor_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    role TEXT,
    role_evidence TEXT
);
CREATE TABLE IF NOT EXISTS actor_mentions (
    actor_id INTEGER NOT NULL REFERENCES actors(actor_id),
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    surface TEXT NOT NULL,
    role TEXT,
    evidence TEXT
);
-- Every key (normalised name) an actor answers to: its own, its acronyms, merged and renamed names.
CREATE TABLE IF NOT EXISTS actor_keys (
    key TEXT PRIMARY KEY,
    actor_id INTEGER NOT NULL REFERENCES actors(actor_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS actor_keys_actor ON actor_keys(actor_id);
-- Staff curation (patrimoine actors merge/rename/ignore/set-role), replayed whenever actors are stored.
CREATE TABLE IF NOT EXISTS actor_curations (
    curation_id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actor_mentions_passage ON actor_mentions(passage_id);
CREATE INDEX IF NOT EXISTS actor_mentions_actor ON actor_mentions(actor_id);
CREATE TABLE IF NOT EXISTS passage_practices (
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    practice TEXT NOT NULL,
    PRIMARY KEY (passage_id, practice)
);
CREATE TABLE IF NOT EXISTS catalog_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS initiatives (
    initiative_id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS initiative_mentions (
    initiative_id INTEGER NOT NULL REFERENCES initiatives(initiative_id),
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    carriers TEXT NOT NULL,
    evidence TEXT
);
CREATE INDEX IF NOT EXISTS initiative_mentions_passage ON initiative_mentions(passage_id);
-- Candidate practices: terms of each passage that no practice covers (pipelines/extraction.py, NounPhrases).
CREATE TABLE IF NOT EXISTS passage_candidates (
    passage_id TEXT NOT NULL REFERENCES passages(passage_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    surface TEXT NOT NULL,
    PRIMARY KEY (passage_id, key)
);
CREATE INDEX IF NOT EXISTS passage_candidates_key ON passage_candidates(key);
-- Candidate practices staff rejected (`patrimoine practices reject`): never listed again.
CREATE TABLE IF NOT EXISTS rejected_candidates (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Practices promoted by staff (`patrimoine practices promote`), matched besides models/practices.yaml.
CREATE TABLE IF NOT EXISTS staff_practices (
    name TEXT PRIMARY KEY,
    definition TEXT,
    synonyms TEXT NOT NULL,
    keys TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tag_corrections (
    passage_id TEXT PRIMARY KEY,
    labels TEXT NOT NULL,
    text TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    paths TEXT NOT NULL,
    report TEXT
);
"""

# The lexical index: `terms` holds the French analysis of the passage (stems, accents folded; see
# pipelines/analysis_fr.py), `words` its plain text for exact phrases. Its version is kept in catalog_meta;
# a catalog whose index has another version (or none: made by older code) gets it rebuilt from `passages`.
FTS_VERSION = "3-fr-snowball"  # 3: "parce", "puisque", "lorsque" are function words
FTS_SCHEMA = """
CREATE VIRTUAL TABLE passages_fts USING fts5(
    passage_id UNINDEXED, terms, words, tokenize = 'unicode61 remove_diacritics 2'
)
"""
# Columns added to tables after their first release (added to older catalogs by `connect`).
_ACTOR_COLUMNS = {
    "ignored": "INTEGER NOT NULL DEFAULT 0",
    "curated_role": "TEXT",
    "curated_name": "INTEGER NOT NULL DEFAULT 0",
}
_ADDED_COLUMNS = {
    "actors": _ACTOR_COLUMNS, "initiative_mentions": {"territory": "TEXT"}, "documents": {"analyzer": "TEXT"},
    "runs": {"deployment": "TEXT", "scheduled": "INTEGER"},  # scheduled: null in runs recorded before it
    # pipelines.text.text_hash of `text`: a correction applies to the stored passages with the same words
    "passages": {"text_hash": "TEXT"}, "tag_corrections": {"text_hash": "TEXT"},
}


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    _ensure_lexical_index(conn)
    with conn:
        for table, columns in _ADDED_COLUMNS.items():
            existing = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
            for column, definition in columns.items():
                if column not in existing:
                    try:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
                    except sqlite3.OperationalError as exc:  # another process opening the catalog added it first
                        if "duplicate column name" not in str(exc):
                            raise
        conn.execute("INSERT OR IGNORE INTO actor_keys (key, actor_id) SELECT key, actor_id FROM actors")
        for table in ("passages", "tag_corrections"):
            _hash_texts(conn, table)
    return conn


def _hash_texts(conn: sqlite3.Connection, table: str) -> None:
    """Give rows stored before `text_hash` existed the hash of their text (a correction keeps the text it was made
    on), so that older corrections follow their words to re-ingested versions of a file like newer ones; indexed,
    as every correction is looked up by it."""
    conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_text_hash ON {table}(text_hash)")
    rows = conn.execute(f"SELECT rowid, text FROM {table} WHERE text_hash IS NULL").fetchall()
    conn.executemany(f"UPDATE {table} SET text_hash = ? WHERE rowid = ?", [(text_hash(r[1]), r[0]) for r in rows])


def fts_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM catalog_meta WHERE key = 'fts_version'").fetchone()
    return row["value"] if row else None


def _ensure_lexical_index(conn: sqlite3.Connection) -> None:
    """Create the lexical index, or rebuild it from the passages when its version differs."""
    if fts_version(conn) == FTS_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # one process rebuilds; the others wait, then see the new version
    try:
        if fts_version(conn) != FTS_VERSION:
            conn.execute("DROP TABLE IF EXISTS passages_fts")
            conn.execute(FTS_SCHEMA)
            rows = conn.execute("SELECT passage_id, text FROM passages").fetchall()
            conn.executemany("INSERT INTO passages_fts VALUES (?, ?, ?)", (_fts_row(r[0], r[1]) for r in rows))
            conn.execute(
                "INSERT OR REPLACE INTO catalog_meta VALUES ('fts_version', ?)", (FTS_VERSION,)
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _fts_row(passage_id: str, text: str) -> tuple[str, str, str]:
    return (passage_id, analysis_fr.indexed_form(text), text)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- documents -------------------------------------------------------------------------------


def has_document(conn: sqlite3.Connection, document_id: str, *, model: str, analyzer: str | None = None) -> bool:
    """The document is stored, embedded by `model` and, when `analyzer` is given, analysed by that version of the
    extraction (`pipelines.analysis.analyzer_version`)."""
    row = conn.execute(
        "SELECT 1 FROM documents WHERE document_id = ? AND embedding_model = ? AND (? IS NULL OR analyzer = ?)",
        (document_id, model, analyzer, analyzer),
    ).fetchone()
    return row is not None


def document_passage_texts(conn: sqlite3.Connection, document_id: str, *, model: str) -> dict[str, str]:
    """The text of each stored passage of the document embedded by `model`, by passage id."""
    rows = conn.execute("SELECT passage_id, text FROM passages WHERE document_id = ? AND embedding_model = ?",
                        (document_id, model))
    return {row["passage_id"]: row["text"] for row in rows}


def documents_at_path(conn: sqlite3.Connection, source_path: str) -> list[str]:
    rows = conn.execute("SELECT document_id FROM documents WHERE source_path = ?", (source_path,))
    return [row["document_id"] for row in rows]


def document_paths(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(document id, source path) of every stored document."""
    return [(row["document_id"], row["source_path"]) for row in conn.execute(
        "SELECT document_id, source_path FROM documents ORDER BY source_path")]


def add_copy(conn: sqlite3.Connection, source_path: str, document_id: str) -> None:
    """Record that the file at `source_path` holds the content of a document stored under another path, so that
    the document is not deleted while that file still holds it (whatever the path held before is forgotten)."""
    with conn:
        conn.execute("INSERT OR REPLACE INTO document_copies VALUES (?, ?)", (source_path, document_id))


def document_copies(conn: sqlite3.Connection, document_id: str) -> list[str]:
    """The other paths where the document's content was seen, sorted."""
    rows = conn.execute(
        "SELECT source_path FROM document_copies WHERE document_id = ? ORDER BY source_path", (document_id,)
    )
    return [row["source_path"] for row in rows]


def move_document(
    conn: sqlite3.Connection, document_id: str, source_path: str, *, title: str, read: SourceDocument | None = None
) -> None:
    """Store a document under another file that holds its content (a renamed or moved file, or the copy of a file
    that changed), without analysing it again: its passages, vectors and actors stay. Search, facets and the
    document's file follow the path. `read`: the file as read at its new path, whose title, type, date and
    territory replace the stored ones (they may come from the file's name)."""
    with conn:
        conn.execute("UPDATE documents SET source_path = ?, title = ? WHERE document_id = ?",
                     (source_path, title, document_id))
        if read is not None:
            conn.execute(
                "UPDATE documents SET doc_type = ?, date = ?, territory = ?, language = ? WHERE document_id = ?",
                (read.doc_type, read.date, read.territory, read.language, document_id),
            )
        conn.execute("DELETE FROM document_copies WHERE source_path = ?", (source_path,))


def delete_document(conn: sqlite3.Connection, document_id: str) -> None:
    with conn:
        touched = _actors_of_document(conn, document_id)
        _delete_document(conn, document_id)
        conn.execute("DELETE FROM document_copies WHERE document_id = ?", (document_id,))
        _refresh_roles(conn, touched)


def _actors_of_document(conn: sqlite3.Connection, document_id: str) -> set[int]:
    rows = conn.execute(
        "SELECT DISTINCT m.actor_id FROM actor_mentions m JOIN passages p USING (passage_id) WHERE p.document_id = ?",
        (document_id,),
    )
    return {row["actor_id"] for row in rows}


def _delete_document(conn: sqlite3.Connection, document_id: str) -> None:
    conn.execute(
        "DELETE FROM passages_fts WHERE passage_id IN (SELECT passage_id FROM passages WHERE document_id = ?)",
        (document_id,),
    )
    conn.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))


def save_document(
    conn: sqlite3.Connection,
    document: SourceDocument,
    passages: list[Passage],
    analyses: list[Analysis],
    *,
    model: str,
    run_id: str | None,
    analyzer: str | None = None,
) -> None:
    """Replace the document and everything derived from it, in one transaction. Staff's labels replace the
    tagger's on passages with the words of a correction (made on this version of the file or another).
    `analyzer`: the version of the extraction that analysed it."""
    corrections = _corrections_for(conn, passages)
    with conn:
        touched = _actors_of_document(conn, document.document_id)
        _delete_document(conn, document.document_id)
        conn.execute("DELETE FROM document_copies WHERE source_path = ?", (str(document.path),))  # its own file now
        conn.execute(
            "INSERT INTO documents (document_id, source_path, title, doc_type, pages, embedding_model, run_id,"
            " ingested_at, date, territory, language, analyzer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document.document_id,
                str(document.path),
                document.title,
                document.doc_type,
                document.pages,
                model,
                run_id,
                now(),
                document.date,
                document.territory,
                document.language,
                analyzer,
            ),
        )
        for passage, analysis in zip(passages, analyses, strict=True):
            conn.execute(
                "INSERT INTO passages (passage_id, document_id, ordinal, text, page, page_end, speaker, start_s, end_s,"
                " embedding_model, ocr_confidence, text_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    passage.passage_id,
                    passage.document_id,
                    passage.ordinal,
                    passage.text,
                    passage.page,
                    passage.page_end,
                    passage.speaker,
                    passage.start_s,
                    passage.end_s,
                    model,
                    passage.ocr_confidence,
                    text_hash(passage.text),
                ),
            )
            conn.execute("INSERT INTO passages_fts VALUES (?, ?, ?)", _fts_row(passage.passage_id, passage.text))
            _insert_tags(conn, passage.passage_id, analysis.tags, corrections.get(passage.passage_id))
            conn.executemany(
                "INSERT OR IGNORE INTO passage_practices VALUES (?, ?)",
                [(passage.passage_id, name) for name in analysis.practices],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO passage_candidates VALUES (?, ?, ?)",
                [(passage.passage_id, term.key, term.text) for term in analysis.candidates],
            )
            for initiative in analysis.initiatives:
                initiative_id = _upsert_initiative(conn, initiative.name)
                conn.execute(
                    "INSERT INTO initiative_mentions (initiative_id, passage_id, carriers, evidence, territory) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (initiative_id, passage.passage_id, json.dumps(initiative.carriers, ensure_ascii=False),
                     initiative.evidence, initiative.territory),
                )
            for mention in analysis.actors:
                # a first name alone is its document's person of that first name (the key of the first name
                # alone stays free: another document's "Camille" may be another person)
                actor_id = _upsert_actor(conn, mention.full_name or mention.name, mention.kind)
                if mention.same_as:  # an acronym the passage spells out: one actor with its long form
                    long_id = _upsert_actor(conn, mention.same_as, mention.kind)
                    if long_id != actor_id:
                        _merge_actor_ids(conn, actor_id, long_id)
                        actor_id = long_id
                conn.execute(
                    "INSERT INTO actor_mentions VALUES (?, ?, ?, ?, ?)",
                    (actor_id, passage.passage_id, mention.name, mention.role, mention.evidence),
                )
        _apply_curations(conn)
        _refresh_roles(conn, touched | _actors_of_document(conn, document.document_id))


# --- tags and their corrections --------------------------------------------------------------


def _insert_tags(conn: sqlite3.Connection, passage_id: str, tags: list[TagScore], corrected: list[str] | None) -> None:
    if corrected is not None:  # staff's labels, with the tagger's evidence where it had one
        evidence = {t.id: t.evidence for t in tags}
        tags = [TagScore(id=label, score=1.0, evidence=evidence.get(label)) for label in corrected]
    conn.executemany(
        "INSERT INTO passage_tags VALUES (?, ?, ?, ?)", [(passage_id, t.id, t.score, t.evidence) for t in tags]
    )


def _corrections_for(conn: sqlite3.Connection, passages: list[Passage]) -> dict[str, list[str]]:
    """Staff's labels for each of these passages that has the words of a correction, by passage id: a correction
    belongs to the text, not to the id, which changes with any edit of the file."""
    if not passages:
        return {}
    hashes = {p.passage_id: text_hash(p.text) for p in passages}
    wanted = sorted(set(hashes.values()))
    rows = conn.execute(
        f"SELECT text_hash, labels FROM tag_corrections WHERE text_hash IN ({','.join('?' * len(wanted))})"
        " ORDER BY corrected_at, passage_id",
        wanted,
    )
    labels = {r["text_hash"]: json.loads(r["labels"]) for r in rows}  # the latest correction of a text wins
    return {pid: labels[h] for pid, h in hashes.items() if h in labels}


# A stored passage carries a correction when its words are those of one (`p` names the passages table).
_CORRECTED = "EXISTS (SELECT 1 FROM tag_corrections c WHERE c.text_hash = p.text_hash)"


def correct_tags(conn: sqlite3.Connection, passage_id: str, labels: list[str]) -> tuple[list[str], int]:
    """Record staff's labels for a passage's text and apply them to every stored passage with that text (the
    same paragraph in another version or copy of the file); return the labels the passage had before and how
    many stored passages now carry them. Raises KeyError when the passage is unknown."""
    row = conn.execute("SELECT text FROM passages WHERE passage_id = ?", (passage_id,)).fetchone()
    if row is None:
        raise KeyError(passage_id)
    before = [r["tag_id"] for r in conn.execute(
        "SELECT tag_id FROM passage_tags WHERE passage_id = ? ORDER BY score DESC", (passage_id,)
    )]
    key = text_hash(row["text"])
    with conn:
        # one correction per text; and the passage's id may have held another text before (new segmentation)
        conn.execute("DELETE FROM tag_corrections WHERE text_hash = ? OR passage_id = ?", (key, passage_id))
        conn.execute(
            "INSERT INTO tag_corrections (passage_id, labels, text, corrected_at, text_hash) VALUES (?, ?, ?, ?, ?)",
            (passage_id, json.dumps(sorted(labels)), row["text"], now(), key),
        )
        same_text = conn.execute("SELECT passage_id FROM passages WHERE text_hash = ?", (key,)).fetchall()
        for other in same_text:
            _set_labels(conn, other["passage_id"], sorted(labels))
    return before, len(same_text)


def _set_labels(conn: sqlite3.Connection, passage_id: str, labels: list[str]) -> None:
    """Replace a stored passage's tags by staff's labels, keeping the tagger's evidence for them."""
    evidence = {r["tag_id"]: r["evidence"] for r in conn.execute(
        "SELECT tag_id, evidence FROM passage_tags WHERE passage_id = ?", (passage_id,)
    )}
    conn.execute("DELETE FROM passage_tags WHERE passage_id = ?", (passage_id,))
    _insert_tags(conn, passage_id, [TagScore(id=k, score=0.0, evidence=v) for k, v in evidence.items()], labels)


def tag_corrections(conn: sqlite3.Connection) -> list[tuple[str, str, list[str]]]:
    """(passage id, text, labels) of every correction, oldest first, one per text (its latest): training data
    for the tagger. A correction whose passage is no longer stored keeps its text and still counts."""
    rows = conn.execute("SELECT * FROM tag_corrections ORDER BY corrected_at, passage_id").fetchall()
    latest = {r["text_hash"]: r for r in rows}  # catalogs older than one correction per text may hold several
    return [(r["passage_id"], r["text"], json.loads(r["labels"])) for r in rows if latest[r["text_hash"]] is r]


def corrected_passage_count(conn: sqlite3.Connection) -> int:
    """How many stored passages carry staff's labels (corrections of texts no longer stored are not counted)."""
    return conn.execute(f"SELECT COUNT(*) FROM passages p WHERE {_CORRECTED}").fetchone()[0]


def passages_to_retag(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(passage id, text) of every passage whose tags were not corrected by staff."""
    rows = conn.execute(
        f"SELECT passage_id, text FROM passages p WHERE NOT {_CORRECTED} ORDER BY document_id, ordinal"
    )
    return [(r["passage_id"], r["text"]) for r in rows]


def replace_tags(conn: sqlite3.Connection, tags: dict[str, list[TagScore]]) -> int:
    """Replace the tags of these passages; return how many passages' labels changed."""
    changed = 0
    with conn:
        for passage_id, new in tags.items():
            old = {r["tag_id"] for r in conn.execute("SELECT tag_id FROM passage_tags WHERE passage_id = ?", (passage_id,))}
            changed += old != {t.id for t in new}
            conn.execute("DELETE FROM passage_tags WHERE passage_id = ?", (passage_id,))
            _insert_tags(conn, passage_id, new, None)
    return changed


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM catalog_meta WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    with conn:
        conn.execute("INSERT OR REPLACE INTO catalog_meta VALUES (?, ?)", (key, value))


def tag_counts(conn: sqlite3.Connection, *, document_id: str) -> list[TagCount]:
    """A document's tags rolled up from its passages: how many passages carry each tag."""
    rows = conn.execute(
        """SELECT t.tag_id, COUNT(*) AS n FROM passage_tags t JOIN passages p USING (passage_id)
           WHERE p.document_id = ? GROUP BY t.tag_id ORDER BY n DESC, t.tag_id""",
        (document_id,),
    )
    return [TagCount(id=r["tag_id"], passages=r["n"]) for r in rows]


# --- actor identity and curation -------------------------------------------------------------


def _resolve(conn: sqlite3.Connection, name: str, kind: str) -> int | None:
    row = conn.execute("SELECT actor_id FROM actor_keys WHERE key = ?", (actor_key(name, kind),)).fetchone()
    return int(row["actor_id"]) if row else None


def _upsert_actor(conn: sqlite3.Connection, name: str, kind: str) -> int:
    actor_id = _resolve(conn, name, kind)
    if actor_id is not None:
        return actor_id
    key = actor_key(name, kind)
    cursor = conn.execute("INSERT INTO actors (key, name, kind) VALUES (?, ?, ?)", (key, name, kind))
    conn.execute("INSERT OR REPLACE INTO actor_keys (key, actor_id) VALUES (?, ?)", (key, cursor.lastrowid))
    return int(cursor.lastrowid)


def _merge_actor_ids(conn: sqlite3.Connection, source: int, target: int) -> None:
    """Move everything of actor `source` to actor `target` and drop `source`."""
    conn.execute("UPDATE actor_mentions SET actor_id = ? WHERE actor_id = ?", (target, source))
    conn.execute("UPDATE actor_keys SET actor_id = ? WHERE actor_id = ?", (target, source))
    row = conn.execute("SELECT ignored, curated_role FROM actors WHERE actor_id = ?", (source,)).fetchone()
    if row is not None and row["curated_role"]:
        conn.execute(
            "UPDATE actors SET curated_role = COALESCE(curated_role, ?) WHERE actor_id = ?", (row["curated_role"], target)
        )
    conn.execute("DELETE FROM actors WHERE actor_id = ?", (source,))


def _refresh_roles(conn: sqlite3.Connection, actor_ids: set[int] | None = None) -> None:
    """Each actor's role (of `actor_ids`, or of all): the curated one, else the one its mentions show
    (the most recent document wins)."""
    where, params = "", []
    if actor_ids is not None:
        if not actor_ids:
            return
        params = sorted(actor_ids)
        where = f"actor_id IN ({','.join('?' * len(params))})"
    seen: dict[int, list[tuple[str | None, str | None, str | None]]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT m.actor_id, m.role, m.evidence, d.date FROM actor_mentions m JOIN passages p USING (passage_id)
           JOIN documents d ON d.document_id = p.document_id WHERE m.role IS NOT NULL {'AND m.' + where if where else ''}
           ORDER BY d.date, d.ingested_at, p.ordinal""",
        params,
    ):
        seen[row["actor_id"]].append((row["role"], row["evidence"], row["date"]))
    updates = []
    for row in conn.execute(
        f"SELECT actor_id, curated_role, role, role_evidence FROM actors {'WHERE ' + where if where else ''}", params
    ):
        if row["curated_role"]:
            role, evidence = row["curated_role"], "set by curation"
        else:
            role, evidence = latest_role(seen.get(row["actor_id"], []))
        if (role, evidence) != (row["role"], row["role_evidence"]):
            updates.append((role, evidence, row["actor_id"]))
    conn.executemany("UPDATE actors SET role = ?, role_evidence = ? WHERE actor_id = ?", updates)


CURATIONS = ("merge", "rename", "ignore", "set-role")


def find_actors(conn: sqlite3.Connection, name: str, kind: str | None = None) -> list[sqlite3.Row]:
    """Actors that answer to a name (any spelling variant, alias or acronym), of one kind or of any."""
    kinds = [kind] if kind else ["person", "organisation", "place"]
    rows = []
    for k in kinds:
        actor_id = _resolve(conn, name, k)
        if actor_id is not None:
            rows.append(conn.execute("SELECT * FROM actors WHERE actor_id = ?", (actor_id,)).fetchone())
    return rows


def curate(conn: sqlite3.Connection, action: str, kind: str, name: str, value: str | None = None) -> None:
    """Record one curation and apply it now; it is applied again whenever actors are stored."""
    if action not in CURATIONS:
        raise ValueError(f"unknown curation {action!r}")
    with conn:
        conn.execute(
            "INSERT INTO actor_curations (action, kind, name, value, created_at) VALUES (?, ?, ?, ?, ?)",
            (action, kind, name, value, now()),
        )
        _apply_curations(conn)
        _refresh_roles(conn)


def list_curations(conn: sqlite3.Connection) -> list[dict]:
    return [dict(row) for row in conn.execute("SELECT * FROM actor_curations ORDER BY curation_id")]


def _apply_curations(conn: sqlite3.Connection) -> None:
    """Replay the curations in order; each is idempotent, so replaying after every ingestion keeps them."""
    for row in conn.execute("SELECT * FROM actor_curations ORDER BY curation_id").fetchall():
        action, kind, name, value = row["action"], row["kind"], row["name"], row["value"]
        if action == "merge":
            target = _upsert_actor(conn, value, kind)
            source = _resolve(conn, name, kind)
            if source is None:
                conn.execute("INSERT OR REPLACE INTO actor_keys VALUES (?, ?)", (actor_key(name, kind), target))
            elif source != target:
                _merge_actor_ids(conn, source, target)
        elif action == "rename":
            actor_id = _resolve(conn, name, kind) or _upsert_actor(conn, value, kind)
            conn.execute("UPDATE actors SET name = ?, curated_name = 1 WHERE actor_id = ?", (value, actor_id))
            conn.execute("INSERT OR REPLACE INTO actor_keys VALUES (?, ?)", (actor_key(value, kind), actor_id))
        elif action == "ignore":
            actor_id = _upsert_actor(conn, name, kind)
            conn.execute("UPDATE actors SET ignored = 1 WHERE actor_id = ?", (actor_id,))
        elif action == "set-role":
            actor_id = _upsert_actor(conn, name, kind)
            conn.execute("UPDATE actors SET curated_role = ? WHERE actor_id = ?", (value, actor_id))


def get_document(conn: sqlite3.Connection, document_id: str) -> DocumentDetail | None:
    row = conn.execute("SELECT * FROM documents WHERE document_id = ?", (document_id,)).fetchone()
    if row is None:
        return None
    ids = [
        r["passage_id"]
        for r in conn.execute("SELECT passage_id FROM passages WHERE document_id = ? ORDER BY ordinal", (document_id,))
    ]
    passages = get_passages(conn, ids)
    return DocumentDetail(
        **_document_fields(row), tags=tag_counts(conn, document_id=document_id), passages=[passages[i] for i in ids]
    )


def _document_fields(row: sqlite3.Row) -> dict:
    return {k: row[k] for k in DocumentPublic.model_fields}


def get_documents(conn: sqlite3.Connection, document_ids: list[str]) -> dict[str, DocumentPublic]:
    marks = ",".join("?" * len(document_ids))
    rows = conn.execute(f"SELECT * FROM documents WHERE document_id IN ({marks})", document_ids)
    return {row["document_id"]: DocumentPublic(**_document_fields(row)) for row in rows}


def get_passages(conn: sqlite3.Connection, passage_ids: list[str]) -> dict[str, PassagePublic]:
    """Passages with their tags (best first) and actors, keyed by id; unknown ids are left out."""
    if not passage_ids:
        return {}
    marks = ",".join("?" * len(passage_ids))
    tags: dict[str, list[TagPublic]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT t.*, {_CORRECTED} AS corrected FROM passage_tags t
            JOIN passages p USING (passage_id) WHERE t.passage_id IN ({marks})
            ORDER BY t.score DESC, t.tag_id""",
        passage_ids,
    ):
        tags[row["passage_id"]].append(
            TagPublic(id=row["tag_id"], score=row["score"], evidence=row["evidence"], corrected=bool(row["corrected"]))
        )
    actors: dict[str, list[ActorPublic]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT DISTINCT m.passage_id, a.name, a.kind, a.role FROM actor_mentions m
            JOIN actors a USING (actor_id) WHERE m.passage_id IN ({marks}) AND a.ignored = 0 ORDER BY a.name""",
        passage_ids,
    ):
        actors[row["passage_id"]].append(ActorPublic(name=row["name"], kind=row["kind"], role=row["role"]))
    result = {}
    for row in conn.execute(f"SELECT * FROM passages WHERE passage_id IN ({marks})", passage_ids):
        pid = row["passage_id"]
        fields = {k: row[k] for k in PassagePublic.model_fields if k not in ("tags", "actors")}
        result[pid] = PassagePublic(**fields, tags=tags[pid], actors=actors[pid])
    return result


def lexical_search(conn: sqlite3.Connection, query: str, *, k: int) -> list[str]:
    """Passage ids ranked by BM25 (FTS5) on the French analysis of the query (pipelines/analysis_fr.py).

    Any term may match; when the query holds phrases between double quotes, every phrase must occur
    (unstemmed, accents and case ignored).
    """
    return [pid for pid, _ in lexical_scores(conn, query, k=k)]


def lexical_scores(conn: sqlite3.Connection, query: str, *, k: int) -> list[tuple[str, float]]:
    """`lexical_search` with each passage's BM25 score (higher is better)."""
    match = _match_expression(analysis_fr.parse_query(query))
    if not match:
        return []
    rows = conn.execute(
        "SELECT passage_id, bm25(passages_fts, 0.0, 1.0, 0.2) AS score FROM passages_fts WHERE passages_fts MATCH ? "
        "ORDER BY score LIMIT ?",
        (match, k),
    )
    return [(row["passage_id"], -row["score"]) for row in rows]


def with_phrases(conn: sqlite3.Connection, passage_ids: list[str], query: str) -> list[str]:
    """The given passages, in order, that contain every exact phrase of the query (all when it has none)."""
    phrases = analysis_fr.parse_query(query).phrases
    if not phrases or not passage_ids:
        return passage_ids
    marks = ",".join("?" * len(passage_ids))
    rows = conn.execute(
        f"SELECT passage_id FROM passages_fts WHERE passages_fts MATCH ? AND passage_id IN ({marks})",
        (_match_expression(analysis_fr.LexicalQuery(terms=[], phrases=phrases)), *passage_ids),
    )
    found = {row["passage_id"] for row in rows}
    return [pid for pid in passage_ids if pid in found]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _match_expression(parsed: analysis_fr.LexicalQuery) -> str:
    """An FTS5 query: every phrase in `words` AND any term in `terms`."""
    parts = [f"words : {_quoted(phrase)}" for phrase in parsed.phrases]
    if parsed.terms:
        parts.append("terms : (" + " OR ".join(_quoted(term) for term in parsed.terms) + ")")
    return " AND ".join(parts)


# --- actors ----------------------------------------------------------------------------------


def list_actors(
    conn: sqlite3.Connection, *, kind: str | None = None, role: str | None = None, document: str | None = None
) -> list[ActorSummary]:
    """Actors that have mentions and are not ignored, most mentioned first; `document` is a document id,
    a source path or a file name."""
    surfaces: dict[int, set[str]] = defaultdict(set)
    documents: dict[int, dict[str, str]] = defaultdict(dict)
    mentions: dict[int, int] = defaultdict(int)
    dates: dict[int, list[str]] = defaultdict(list)
    for row in conn.execute(
        """SELECT m.actor_id, m.surface, d.document_id, d.source_path, d.date FROM actor_mentions m
           JOIN passages p USING (passage_id) JOIN documents d ON d.document_id = p.document_id"""
    ):
        surfaces[row["actor_id"]].add(row["surface"])
        documents[row["actor_id"]][row["document_id"]] = row["source_path"]
        mentions[row["actor_id"]] += 1
        if row["date"]:
            dates[row["actor_id"]].append(row["date"])
    tags: dict[int, list[TagCount]] = defaultdict(list)  # one query for every actor's tags
    for row in conn.execute(
        """SELECT m.actor_id, t.tag_id, COUNT(DISTINCT t.passage_id) AS n FROM actor_mentions m
           JOIN passage_tags t USING (passage_id) GROUP BY m.actor_id, t.tag_id ORDER BY n DESC, t.tag_id"""
    ):
        tags[row["actor_id"]].append(TagCount(id=row["tag_id"], passages=row["n"]))
    actors = []
    for row in conn.execute("SELECT * FROM actors WHERE ignored = 0"):
        actor_id = row["actor_id"]
        if not mentions[actor_id] or (kind and row["kind"] != kind) or (role and row["role"] != role):
            continue
        if document and not any(
            document in (d, p) or p.endswith("/" + document) for d, p in documents[actor_id].items()
        ):
            continue
        actors.append(
            ActorSummary(
                actor_id=actor_id,
                name=row["name"],
                kind=row["kind"],
                role=row["role"],
                role_evidence=row["role_evidence"],
                aliases=sorted(surfaces[actor_id] - {row["name"]}),
                mentions=mentions[actor_id],
                tags=tags.get(actor_id, []),
                documents=[ActorDocument(document_id=d, source_path=p) for d, p in documents[actor_id].items()],
                first_seen=min(dates[actor_id], default=None),
                last_seen=max(dates[actor_id], default=None),
            )
        )
    return sorted(actors, key=lambda a: (-a.mentions, a.name))


# --- practices -------------------------------------------------------------------------------


def list_practices(conn: sqlite3.Connection, *, document: str | None = None) -> list[PracticeSummary]:
    """Practices found, most cited first, with their documents and the tags of their passages; `document`
    (an id, a source path or a file name) keeps the practices of its passages only."""
    scope, params = "", []
    if document is not None:
        ids = document_ids(conn, document)
        scope = f"AND x.passage_id IN (SELECT passage_id FROM passages WHERE document_id IN ({','.join('?' * len(ids))}))"
        params = ids
    tags: dict[str, list[TagCount]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT x.practice, t.tag_id, COUNT(*) AS n FROM passage_tags t JOIN passage_practices x USING (passage_id)
           WHERE 1 {scope} GROUP BY x.practice, t.tag_id ORDER BY n DESC, t.tag_id""",
        params,
    ):
        tags[row["practice"]].append(TagCount(id=row["tag_id"], passages=row["n"]))
    documents: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT DISTINCT x.practice, p.document_id FROM passage_practices x JOIN passages p USING (passage_id)
           WHERE 1 {scope} ORDER BY p.document_id""",
        params,
    ):
        documents[row["practice"]].append(row["document_id"])
    return [
        PracticeSummary(name=row["practice"], passages=row["passages"], documents=documents[row["practice"]],
                        tags=tags[row["practice"]])
        for row in conn.execute(
            f"""SELECT practice, COUNT(*) AS passages FROM passage_practices x WHERE 1 {scope} GROUP BY practice
               ORDER BY passages DESC, practice""",
            params,
        )
    ]


def document_ids(conn: sqlite3.Connection, document: str) -> list[str]:
    """The ids of the documents a user names by id, source path or file name."""
    return [
        row["document_id"] for row in conn.execute("SELECT document_id, source_path FROM documents")
        if document in (row["document_id"], row["source_path"]) or row["source_path"].endswith("/" + document)
    ]


# --- initiatives -----------------------------------------------------------------------------


def _upsert_initiative(conn: sqlite3.Connection, name: str) -> int:
    key = initiative_key(name)
    row = conn.execute("SELECT initiative_id FROM initiatives WHERE key = ?", (key,)).fetchone()
    if row is not None:
        return int(row["initiative_id"])
    return int(conn.execute("INSERT INTO initiatives (key, name) VALUES (?, ?)", (key, name)).lastrowid)


def list_initiatives(conn: sqlite3.Connection, *, initiative_id: int | None = None) -> list[InitiativeSummary]:
    """Initiatives that still have mentions, most mentioned first, with carriers, territories, practices
    and the tags of their passages."""
    where, params = ("WHERE m.initiative_id = ?", [initiative_id]) if initiative_id is not None else ("", [])
    grouped: dict[int, dict] = {}
    for row in conn.execute(
        f"""SELECT m.initiative_id, i.name, m.carriers, m.passage_id, m.territory AS place, p.document_id, d.territory
            FROM initiative_mentions m JOIN initiatives i USING (initiative_id)
            JOIN passages p USING (passage_id) JOIN documents d ON d.document_id = p.document_id {where}""",
        params,
    ):
        item = grouped.setdefault(row["initiative_id"], {
            "name": row["name"], "carriers": {}, "passages": set(), "documents": set(), "territories": set(),
            "places": Counter(), "document_territories": Counter(),
        })
        if row["place"]:
            item["places"][row["place"]] += 1
        elif row["territory"]:
            item["document_territories"][row["territory"]] += 1
        for carrier in json.loads(row["carriers"]):
            item["carriers"].setdefault(fold(carrier), carrier)
        item["passages"].add(row["passage_id"])
        item["documents"].add(row["document_id"])
        if row["territory"]:
            item["territories"].add(row["territory"])
    practices: dict[int, list[str]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT DISTINCT m.initiative_id, x.practice FROM initiative_mentions m
            JOIN passage_practices x USING (passage_id) {where} ORDER BY x.practice""",
        params,
    ):
        practices[row["initiative_id"]].append(row["practice"])
    tags: dict[int, list[TagCount]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT m.initiative_id, t.tag_id, COUNT(DISTINCT t.passage_id) AS n FROM initiative_mentions m
            JOIN passage_tags t USING (passage_id) {where} GROUP BY m.initiative_id, t.tag_id ORDER BY n DESC, t.tag_id""",
        params,
    ):
        tags[row["initiative_id"]].append(TagCount(id=row["tag_id"], passages=row["n"]))
    summaries = []
    for key, item in grouped.items():
        passages = sorted(item["passages"])
        summaries.append(InitiativeSummary(
            initiative_id=key, name=item["name"], carriers=sorted(item["carriers"].values()),
            territories=sorted(item["territories"]), mentions=len(passages), documents=sorted(item["documents"]),
            territory=_most_common(item["places"]) or _most_common(item["document_territories"]),
            practices=practices[key], tags=tags[key], passage_ids=passages,
        ))
    return sorted(summaries, key=lambda s: (-s.mentions, s.name))


def _most_common(counts: Counter) -> str | None:
    """The most frequent value (the first in alphabetical order among ties), or None."""
    return min(counts.items(), key=lambda pair: (-pair[1], pair[0]))[0] if counts else None


# --- what documents share (for similarity) -----------------------------------------------------


def document_profiles(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per document: its metadata and the sets of tags, practices and actor roles of its passages."""
    profiles = {
        row["document_id"]: {**_document_fields(row), "tags": set(), "practices": set(), "roles": set()}
        for row in conn.execute("SELECT * FROM documents")
    }
    queries = {
        "tags": "SELECT DISTINCT p.document_id, t.tag_id AS value FROM passage_tags t JOIN passages p USING (passage_id)",
        "practices": """SELECT DISTINCT p.document_id, x.practice AS value FROM passage_practices x
                        JOIN passages p USING (passage_id)""",
        "roles": """SELECT DISTINCT p.document_id, a.role AS value FROM actor_mentions m JOIN actors a USING (actor_id)
                    JOIN passages p USING (passage_id) WHERE a.role IS NOT NULL""",
    }
    for field, sql in queries.items():
        for row in conn.execute(sql):
            if row["document_id"] in profiles:
                profiles[row["document_id"]][field].add(row["value"])
    return profiles


# --- runs and counts -------------------------------------------------------------------------


def start_run(
    conn: sqlite3.Connection, run_id: str, paths: list[str], *, deployment: str | None = None, scheduled: bool = False
) -> None:
    """Record a run as running. Called under the home's writer lock: a run still marked running was stopped
    without a word (killed, power cut), and is marked crashed."""
    with conn:
        crash_running(conn)
        conn.execute(
            "INSERT OR REPLACE INTO runs (run_id, started_at, status, paths, deployment, scheduled) "
            "VALUES (?, ?, 'running', ?, ?, ?)",
            (run_id, now(), json.dumps(paths), deployment, int(scheduled)),
        )


def crash_running(conn: sqlite3.Connection) -> int:
    """Mark crashed the runs still marked running (call it only when no process writes: under the writer lock),
    within the caller's transaction (`with conn:`)."""
    return conn.execute("UPDATE runs SET status = 'crashed' WHERE status = 'running'").rowcount


def finish_run(conn: sqlite3.Connection, report: IngestReport, *, status: str = "completed") -> None:
    with conn:
        conn.execute(
            "UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE run_id = ?",
            (now(), status, report.model_dump_json(), report.run_id),
        )


def _run(row: sqlite3.Row) -> dict:
    return {
        "run_id": row["run_id"], "started_at": row["started_at"], "finished_at": row["finished_at"],
        "status": row["status"], "paths": json.loads(row["paths"]), "deployment": row["deployment"],
        # before the column, only the schedule ran deployments
        "scheduled": bool(row["deployment"]) if row["scheduled"] is None else bool(row["scheduled"]),
        "report": json.loads(row["report"]) if row["report"] else None,
    }


def list_runs(conn: sqlite3.Connection, *, limit: int = 20, offset: int = 0) -> list[dict]:
    """Ingestion runs, the most recent first, each with its paths and its report (None while it runs)."""
    rows = conn.execute("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?", (limit, offset))
    return [_run(row) for row in rows]


def count_runs(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def get_run(conn: sqlite3.Connection, run_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return _run(row) if row else None


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "documents": one("SELECT COUNT(*) FROM documents"),
        "passages": one("SELECT COUNT(*) FROM passages"),
        "actors": one(
            "SELECT COUNT(DISTINCT m.actor_id) FROM actor_mentions m JOIN actors a USING (actor_id) WHERE a.ignored = 0"
        ),
        "initiatives": one("SELECT COUNT(DISTINCT initiative_id) FROM initiative_mentions"),
        "runs": one("SELECT COUNT(*) FROM runs"),
    }


def source_paths(conn: sqlite3.Connection, *, model: str | None = None) -> list[str]:
    """The source path of every document (embedded by `model` when given), sorted."""
    rows = conn.execute(
        "SELECT DISTINCT source_path FROM documents WHERE ? IS NULL OR embedding_model = ? ORDER BY 1", (model, model)
    )
    return [row["source_path"] for row in rows]


# --- search discovery and pages (issue 7) ----------------------------------------------------


def passage_facts(conn: sqlite3.Connection, passage_ids: list[str]) -> dict[str, dict]:
    """What filters and facets read of each passage: its document's id, type, date, year, territory and
    file name, and its tags, actors' names, actors' roles, practices and initiatives' names. Unknown ids are
    left out."""
    if not passage_ids:
        return {}
    marks = ",".join("?" * len(passage_ids))
    facts: dict[str, dict] = {}
    for row in conn.execute(
        f"""SELECT p.passage_id, d.document_id, d.doc_type, d.date, d.territory, d.source_path
            FROM passages p JOIN documents d USING (document_id) WHERE p.passage_id IN ({marks})""",
        passage_ids,
    ):
        facts[row["passage_id"]] = {
            "document_id": row["document_id"],
            "doc_type": row["doc_type"],
            "date": row["date"],
            "year": row["date"][:4] if row["date"] else None,
            "territory": row["territory"],
            "source": Path(row["source_path"]).name,
            "tags": [],
            "actors": [],
            "actor_names": [],
            "roles": [],
            "practices": [],
            "initiatives": [],
        }
    for row in conn.execute(f"SELECT passage_id, tag_id FROM passage_tags WHERE passage_id IN ({marks})", passage_ids):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["tags"].append(row["tag_id"])
    for row in conn.execute(
        f"""SELECT DISTINCT m.passage_id, a.name, a.role FROM actor_mentions m JOIN actors a USING (actor_id)
            WHERE m.passage_id IN ({marks})""",
        passage_ids,
    ):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["actors"].append(row["name"])
            if row["role"]:
                facts[row["passage_id"]]["roles"].append(row["role"])
    for row in conn.execute(  # every name the mentioned actors answer to (normalised: see actors.normalise)
        f"""SELECT DISTINCT m.passage_id, k.key FROM actor_mentions m JOIN actor_keys k USING (actor_id)
            WHERE m.passage_id IN ({marks})""",
        passage_ids,
    ):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["actor_names"].append(row["key"].split(":", 1)[1])
    for row in conn.execute(
        f"SELECT passage_id, practice FROM passage_practices WHERE passage_id IN ({marks})", passage_ids
    ):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["practices"].append(row["practice"])
    for row in conn.execute(
        f"""SELECT DISTINCT m.passage_id, i.name FROM initiative_mentions m JOIN initiatives i USING (initiative_id)
            WHERE m.passage_id IN ({marks})""",
        passage_ids,
    ):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["initiatives"].append(row["name"])
    return facts


def document_source(conn: sqlite3.Connection, document_id: str) -> str | None:
    """The path of the file a document was read from, as recorded at ingestion."""
    row = conn.execute("SELECT source_path FROM documents WHERE document_id = ?", (document_id,)).fetchone()
    return row["source_path"] if row else None


def get_actor(conn: sqlite3.Connection, actor_id: int) -> tuple[ActorSummary, list[str]] | None:
    """An actor that has mentions, and the ids of the passages that mention it (document order)."""
    summary = next((a for a in list_actors(conn) if a.actor_id == actor_id), None)
    if summary is None:
        return None
    rows = conn.execute(
        """SELECT DISTINCT p.passage_id, p.document_id, p.ordinal FROM actor_mentions m
           JOIN passages p USING (passage_id) WHERE m.actor_id = ? ORDER BY p.document_id, p.ordinal""",
        (actor_id,),
    )
    return summary, [r["passage_id"] for r in rows]


def overview(conn: sqlite3.Connection, *, top: int = 10, runs: int = 10) -> dict:
    """Corpus figures for staff: documents per year and per type, tagged passages per year and tag,
    most cited actors and practices, last ingestion runs."""
    per_year = [(r["y"] or "", r["n"]) for r in conn.execute(
        "SELECT substr(date, 1, 4) AS y, COUNT(*) AS n FROM documents GROUP BY y ORDER BY y IS NULL, y"
    )]
    per_type = [(r["doc_type"], r["n"]) for r in conn.execute(
        "SELECT doc_type, COUNT(*) AS n FROM documents GROUP BY doc_type ORDER BY n DESC, doc_type"
    )]
    tags_per_year = [(r["y"] or "", r["tag_id"], r["n"]) for r in conn.execute(
        """SELECT substr(d.date, 1, 4) AS y, t.tag_id, COUNT(*) AS n FROM passage_tags t
           JOIN passages p USING (passage_id) JOIN documents d ON d.document_id = p.document_id
           GROUP BY y, t.tag_id ORDER BY y, t.tag_id"""
    )]
    practices = [(r["practice"], r["n"]) for r in conn.execute(
        "SELECT practice, COUNT(*) AS n FROM passage_practices GROUP BY practice ORDER BY n DESC, practice LIMIT ?",
        (top,),
    )]
    last_runs = []
    for run in list_runs(conn, limit=runs):
        report = run["report"] or {}
        last_runs.append({
            "run_id": run["run_id"], "started_at": run["started_at"], "finished_at": run["finished_at"],
            "status": run["status"], "deployment": run["deployment"], "scheduled": run["scheduled"],
            "reported": run["report"] is not None, **{k: report.get(k, 0) for k in (
                "documents_seen", "documents_ingested", "documents_unchanged", "documents_failed", "passages_indexed")},
        })
    return {
        "documents_per_year": per_year,
        "documents_per_type": per_type,
        "tags_per_year": tags_per_year,
        "actors": list_actors(conn)[:top],
        "practices": practices,
        "runs": last_runs,
    }


def actor_ids(conn: sqlite3.Connection, names: list[str]) -> dict[tuple[str, str], int]:
    """Actor ids by (name, kind), for links to actor pages (names without an actor are left out)."""
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    rows = conn.execute(f"SELECT name, kind, actor_id FROM actors WHERE name IN ({marks})", names)
    return {(r["name"], r["kind"]): r["actor_id"] for r in rows}


# --- actor detail, candidate practices and the staff's practices (issue 5) ----------------------


def actor_row(conn: sqlite3.Connection, actor_id: int) -> sqlite3.Row | None:
    """An actor's row (ignored actors too), or None."""
    return conn.execute("SELECT * FROM actors WHERE actor_id = ?", (actor_id,)).fetchone()


def mention_count(conn: sqlite3.Connection, actor_id: int) -> int:
    """How many mentions the actor has (its rows in actor_mentions)."""
    return conn.execute("SELECT COUNT(*) FROM actor_mentions WHERE actor_id = ?", (actor_id,)).fetchone()[0]


def actor_mention_rows(conn: sqlite3.Connection, actor_id: int) -> list[dict]:
    """Every mention of an actor with its passage and document, oldest document first (undated last)."""
    rows = conn.execute(
        """SELECT m.surface, m.role, m.evidence, p.passage_id, p.ordinal, p.text, p.page, p.page_end, p.speaker,
                  p.start_s, d.document_id, d.title, d.date
           FROM actor_mentions m JOIN passages p USING (passage_id) JOIN documents d ON d.document_id = p.document_id
           WHERE m.actor_id = ? ORDER BY d.date IS NULL, d.date, d.document_id, p.ordinal, m.surface""",
        (actor_id,),
    )
    return [dict(row) for row in rows]


def practice_candidates(
    conn: sqlite3.Connection, *, min_documents: int = 2, limit: int | None = None
) -> list[PracticeCandidate]:
    """Candidate practices: terms found in at least `min_documents` documents, most widespread first, each
    with an example sentence. Left out: the terms of the staff's practices (or holding one), the terms staff
    rejected, and the names of actors (any spelling or alias of an actor that is not ignored)."""
    staff = [key for practice in staff_practices(conn) for key in practice["keys"]]
    rejected = rejected_candidate_keys(conn)
    actor_names = {
        row["key"].split(":", 1)[1]
        for row in conn.execute("SELECT k.key FROM actor_keys k JOIN actors a USING (actor_id) WHERE a.ignored = 0")
    }
    found: dict[str, dict] = {}
    for row in conn.execute(
        """SELECT c.key, c.surface, COUNT(*) AS n, GROUP_CONCAT(DISTINCT p.document_id) AS documents
           FROM passage_candidates c JOIN passages p USING (passage_id)
           WHERE c.key IN (SELECT c2.key FROM passage_candidates c2 JOIN passages p2 USING (passage_id)
                           GROUP BY c2.key HAVING COUNT(DISTINCT p2.document_id) >= ?)
           GROUP BY c.key, c.surface""",
        (min_documents,),
    ):
        item = found.setdefault(row["key"], {"surfaces": Counter(), "documents": set(), "passages": 0})
        item["surfaces"][row["surface"]] += row["n"]
        item["documents"].update(row["documents"].split(","))
        item["passages"] += row["n"]
    kept = []
    for key, item in found.items():
        if key in rejected or any(key == s or f" {s} " in f" {key} " for s in staff):
            continue
        if {normalise(key), *(normalise(surface) for surface in item["surfaces"])} & actor_names:
            continue
        kept.append((key, item))
    kept.sort(key=lambda pair: (-len(pair[1]["documents"]), -pair[1]["passages"], pair[0]))
    kept = kept[:limit] if limit is not None else kept
    examples = _candidate_examples(conn, [key for key, _ in kept])
    return [
        PracticeCandidate(
            name=_as_term(_most_common(item["surfaces"])), key=key, documents=sorted(item["documents"]),
            passages=item["passages"], example=examples[key],
        )
        for key, item in kept
    ]


def _as_term(surface: str) -> str:
    """A term as a name: one line, its first letter in lower case unless the word is in capitals."""
    surface = one_line(surface)
    first = surface.split(" ", 1)[0]
    return surface[0].lower() + surface[1:] if first[:1].isupper() and not first.isupper() else surface


def _candidate_examples(conn: sqlite3.Connection, keys: list[str]) -> dict[str, CandidateExample]:
    """For each key, the sentence of its first passage (in document order) that holds the term."""
    examples: dict[str, CandidateExample] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in conn.execute(
            f"""SELECT c.key, c.surface, p.passage_id, p.document_id, p.text, p.page, d.title
                FROM passage_candidates c JOIN passages p USING (passage_id) JOIN documents d USING (document_id)
                WHERE c.key IN ({','.join('?' * len(chunk))}) ORDER BY p.document_id, p.ordinal""",
            chunk,
        ):
            if row["key"] not in examples:
                examples[row["key"]] = CandidateExample(
                    passage_id=row["passage_id"], document_id=row["document_id"], title=row["title"],
                    page=row["page"], sentence=sentence_with(row["text"], row["surface"]),
                )
    return examples


def candidate_keys_named(conn: sqlite3.Connection, name: str) -> dict[str, int]:
    """The candidate term keys written `name` in some passage (or equal to it), with how many passages hold
    each (in any of its forms)."""
    wanted = fold(one_line(name)).lower()
    rows = conn.execute("SELECT key, surface FROM passage_candidates").fetchall()
    keys = {row["key"] for row in rows if row["key"] == wanted or fold(one_line(row["surface"])).lower() == wanted}
    return dict(Counter(row["key"] for row in rows if row["key"] in keys))


def rejected_candidate_keys(conn: sqlite3.Connection) -> set[str]:
    return {row["key"] for row in conn.execute("SELECT key FROM rejected_candidates")}


def set_candidates_rejected(conn: sqlite3.Connection, keys: list[str], *, name: str, rejected: bool) -> None:
    """Reject candidate term keys (kept across re-ingestion: the table is never cleared), or restore them."""
    with conn:
        if rejected:
            conn.executemany(
                "INSERT OR IGNORE INTO rejected_candidates VALUES (?, ?, ?)", [(key, name, now()) for key in keys]
            )
        else:
            conn.executemany("DELETE FROM rejected_candidates WHERE key = ?", [(key,) for key in keys])


def staff_practices(conn: sqlite3.Connection) -> list[dict]:
    """The practices staff promoted, oldest first, as entries of models/practices.yaml (`name`, `definition`,
    `variants`) with the term `keys` of their name and synonyms."""
    return [
        {"name": row["name"], "definition": row["definition"], "variants": json.loads(row["synonyms"]),
         "keys": json.loads(row["keys"])}
        for row in conn.execute("SELECT * FROM staff_practices ORDER BY created_at, name")
    ]


def save_staff_practice(
    conn: sqlite3.Connection, *, name: str, definition: str | None, synonyms: list[str], keys: list[str],
    passage_ids: list[str],
) -> None:
    """Add (or update) a staff practice and set the stored passages where it is found, in one transaction."""
    with conn:
        conn.execute(
            """INSERT INTO staff_practices VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET
               definition = excluded.definition, synonyms = excluded.synonyms, keys = excluded.keys""",
            (name, definition, json.dumps(synonyms, ensure_ascii=False), json.dumps(keys, ensure_ascii=False), now()),
        )
        conn.execute("DELETE FROM passage_practices WHERE practice = ?", (name,))
        conn.executemany("INSERT OR IGNORE INTO passage_practices VALUES (?, ?)", [(pid, name) for pid in passage_ids])


def passage_texts(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(passage id, text) of every stored passage, in document order."""
    return [(r["passage_id"], r["text"]) for r in conn.execute("SELECT passage_id, text FROM passages ORDER BY document_id, ordinal")]


def passages_with_candidates(conn: sqlite3.Connection, keys: list[str]) -> set[str]:
    """Ids of the passages where a candidate term with one of these keys was found."""
    if not keys:
        return set()
    rows = conn.execute(f"SELECT passage_id FROM passage_candidates WHERE key IN ({','.join('?' * len(keys))})", keys)
    return {row["passage_id"] for row in rows}
