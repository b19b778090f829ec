"""The SQLite catalog: documents, passages, tags, actors, practices and ingestion runs.

The only module that imports sqlite3. Helpers take an open connection (datasette's style).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from pipelines.actors import actor_key, latest_role
from pipelines.schemas import (
    ActorDocument,
    ActorPublic,
    ActorSummary,
    DocumentDetail,
    DocumentPublic,
    IngestReport,
    PassagePublic,
    TagPublic,
)
from pipelines.text import STOPWORDS, fold
from pipelines.types import Analysis, Passage, SourceDocument

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
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    passage_id UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 2'
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

# Columns added to `actors` after its first release (added to older catalogs by `connect`).
_ACTOR_COLUMNS = {
    "ignored": "INTEGER NOT NULL DEFAULT 0",
    "curated_role": "TEXT",
    "curated_name": "INTEGER NOT NULL DEFAULT 0",
}


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    existing = {row["name"] for row in conn.execute("PRAGMA table_info(actors)")}
    with conn:
        for column, definition in _ACTOR_COLUMNS.items():
            if column not in existing:
                conn.execute(f"ALTER TABLE actors ADD COLUMN {column} {definition}")
        conn.execute("INSERT OR IGNORE INTO actor_keys (key, actor_id) SELECT key, actor_id FROM actors")
    return conn


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- documents -------------------------------------------------------------------------------


def has_document(conn: sqlite3.Connection, document_id: str, *, model: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM documents WHERE document_id = ? AND embedding_model = ?", (document_id, model)
    ).fetchone()
    return row is not None


def documents_at_path(conn: sqlite3.Connection, source_path: str) -> list[str]:
    rows = conn.execute("SELECT document_id FROM documents WHERE source_path = ?", (source_path,))
    return [row["document_id"] for row in rows]


def delete_document(conn: sqlite3.Connection, document_id: str) -> None:
    with conn:
        touched = _actors_of_document(conn, document_id)
        _delete_document(conn, document_id)
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
) -> None:
    """Replace the document and everything derived from it, in one transaction."""
    with conn:
        touched = _actors_of_document(conn, document.document_id)
        _delete_document(conn, document.document_id)
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            ),
        )
        for passage, analysis in zip(passages, analyses, strict=True):
            conn.execute(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ),
            )
            conn.execute("INSERT INTO passages_fts VALUES (?, ?)", (passage.passage_id, passage.text))
            conn.executemany(
                "INSERT INTO passage_tags VALUES (?, ?, ?, ?)",
                [(passage.passage_id, t.id, t.score, t.evidence) for t in analysis.tags],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO passage_practices VALUES (?, ?)",
                [(passage.passage_id, name) for name in analysis.practices],
            )
            for mention in analysis.actors:
                actor_id = _upsert_actor(conn, mention.name, mention.kind)
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
    return DocumentDetail(**_document_fields(row), passages=[passages[i] for i in ids])


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
        f"SELECT * FROM passage_tags WHERE passage_id IN ({marks}) ORDER BY score DESC", passage_ids
    ):
        tags[row["passage_id"]].append(TagPublic(id=row["tag_id"], score=row["score"], evidence=row["evidence"]))
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
    """Passage ids ranked by BM25 (FTS5) for any of the query's words (accents and case ignored)."""
    words = [w for w in re.findall(r"\w+", fold(query)) if len(w) > 1 and w not in STOPWORDS]
    if not words:
        return []
    match = " OR ".join(f'"{word}"' for word in dict.fromkeys(words))
    rows = conn.execute(
        "SELECT passage_id FROM passages_fts WHERE passages_fts MATCH ? ORDER BY bm25(passages_fts) LIMIT ?",
        (match, k),
    )
    return [row["passage_id"] for row in rows]


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
                name=row["name"],
                kind=row["kind"],
                role=row["role"],
                role_evidence=row["role_evidence"],
                aliases=sorted(surfaces[actor_id] - {row["name"]}),
                mentions=mentions[actor_id],
                documents=[ActorDocument(document_id=d, source_path=p) for d, p in documents[actor_id].items()],
                first_seen=min(dates[actor_id], default=None),
                last_seen=max(dates[actor_id], default=None),
            )
        )
    return sorted(actors, key=lambda a: (-a.mentions, a.name))


# --- runs and counts -------------------------------------------------------------------------


def start_run(conn: sqlite3.Connection, run_id: str, paths: list[str]) -> None:
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO runs (run_id, started_at, status, paths) VALUES (?, ?, 'running', ?)",
            (run_id, now(), json.dumps(paths)),
        )


def finish_run(conn: sqlite3.Connection, report: IngestReport, *, status: str = "completed") -> None:
    with conn:
        conn.execute(
            "UPDATE runs SET finished_at = ?, status = ?, report = ? WHERE run_id = ?",
            (now(), status, report.model_dump_json(), report.run_id),
        )


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "documents": one("SELECT COUNT(*) FROM documents"),
        "passages": one("SELECT COUNT(*) FROM passages"),
        "actors": one(
            "SELECT COUNT(DISTINCT m.actor_id) FROM actor_mentions m JOIN actors a USING (actor_id) WHERE a.ignored = 0"
        ),
        "runs": one("SELECT COUNT(*) FROM runs"),
    }
