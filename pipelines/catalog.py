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

from pipelines.schemas import (
    ActorDocument,
    ActorPublic,
    ActorSummary,
    DocumentDetail,
    DocumentPublic,
    IngestReport,
    PassagePublic,
    TagCount,
    TagPublic,
)
from pipelines.text import STOPWORDS, fold
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
CREATE TABLE IF NOT EXISTS tag_corrections (
    passage_id TEXT PRIMARY KEY,
    labels TEXT NOT NULL,
    text TEXT NOT NULL,
    corrected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
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

_ARTICLE = re.compile(r"^(l'|la |le |les |du |de la |des |d')")


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    return conn


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def actor_key(name: str, kind: str) -> str:
    """Variants of case, accents, articles and hyphens share one key."""
    folded = _ARTICLE.sub("", fold(name).replace("-", " ").strip())
    return f"{kind}:{' '.join(folded.split())}"


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
        _delete_document(conn, document_id)


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
    """Replace the document and everything derived from it, in one transaction. Tags corrected by
    staff replace the tagger's on passages whose text did not change."""
    corrections = _corrections_for(conn, passages)
    with conn:
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
            _insert_tags(conn, passage.passage_id, analysis.tags, corrections.get(passage.passage_id))
            conn.executemany(
                "INSERT OR IGNORE INTO passage_practices VALUES (?, ?)",
                [(passage.passage_id, name) for name in analysis.practices],
            )
            for mention in analysis.actors:
                actor_id = _upsert_actor(conn, mention.name, mention.kind, mention.role, mention.evidence)
                conn.execute(
                    "INSERT INTO actor_mentions VALUES (?, ?, ?, ?, ?)",
                    (actor_id, passage.passage_id, mention.name, mention.role, mention.evidence),
                )


# --- tags and their corrections --------------------------------------------------------------


def _insert_tags(conn: sqlite3.Connection, passage_id: str, tags: list[TagScore], corrected: list[str] | None) -> None:
    if corrected is not None:  # staff's labels, with the tagger's evidence where it had one
        evidence = {t.id: t.evidence for t in tags}
        tags = [TagScore(id=label, score=1.0, evidence=evidence.get(label)) for label in corrected]
    conn.executemany(
        "INSERT INTO passage_tags VALUES (?, ?, ?, ?)", [(passage_id, t.id, t.score, t.evidence) for t in tags]
    )


def _corrections_for(conn: sqlite3.Connection, passages: list[Passage]) -> dict[str, list[str]]:
    if not passages:
        return {}
    texts = {p.passage_id: p.text for p in passages}
    marks = ",".join("?" * len(texts))
    rows = conn.execute(f"SELECT * FROM tag_corrections WHERE passage_id IN ({marks})", list(texts))
    return {r["passage_id"]: json.loads(r["labels"]) for r in rows if r["text"] == texts[r["passage_id"]]}


def correct_tags(conn: sqlite3.Connection, passage_id: str, labels: list[str]) -> list[str]:
    """Record staff's labels for a passage and apply them; return the labels it had before.
    Raises KeyError when the passage is unknown."""
    row = conn.execute("SELECT text FROM passages WHERE passage_id = ?", (passage_id,)).fetchone()
    if row is None:
        raise KeyError(passage_id)
    before = [r["tag_id"] for r in conn.execute(
        "SELECT tag_id FROM passage_tags WHERE passage_id = ? ORDER BY score DESC", (passage_id,)
    )]
    evidence = {r["tag_id"]: r["evidence"] for r in conn.execute(
        "SELECT tag_id, evidence FROM passage_tags WHERE passage_id = ?", (passage_id,)
    )}
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO tag_corrections VALUES (?, ?, ?, ?)",
            (passage_id, json.dumps(sorted(labels)), row["text"], now()),
        )
        conn.execute("DELETE FROM passage_tags WHERE passage_id = ?", (passage_id,))
        _insert_tags(conn, passage_id, [TagScore(id=k, score=0.0, evidence=v) for k, v in evidence.items()], sorted(labels))
    return before


def tag_corrections(conn: sqlite3.Connection) -> list[tuple[str, str, list[str]]]:
    """(passage id, text, labels) of every correction, oldest first: training data for the tagger."""
    rows = conn.execute("SELECT * FROM tag_corrections ORDER BY corrected_at, passage_id")
    return [(r["passage_id"], r["text"], json.loads(r["labels"])) for r in rows]


def passages_to_retag(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(passage id, text) of every passage whose tags were not corrected by staff."""
    rows = conn.execute(
        """SELECT passage_id, text FROM passages WHERE passage_id NOT IN
           (SELECT c.passage_id FROM tag_corrections c JOIN passages p USING (passage_id) WHERE c.text = p.text)
           ORDER BY document_id, ordinal"""
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
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    with conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def tag_counts(conn: sqlite3.Connection, *, document_id: str | None = None, actor_id: int | None = None) -> list[TagCount]:
    """Tags rolled up from passages: how many passages carry each tag (of a document, of an actor)."""
    where, params = "", []
    if document_id is not None:
        where, params = "WHERE p.document_id = ?", [document_id]
    elif actor_id is not None:
        where, params = "WHERE p.passage_id IN (SELECT passage_id FROM actor_mentions WHERE actor_id = ?)", [actor_id]
    rows = conn.execute(
        f"""SELECT t.tag_id, COUNT(*) AS n FROM passage_tags t JOIN passages p USING (passage_id) {where}
            GROUP BY t.tag_id ORDER BY n DESC, t.tag_id""",
        params,
    )
    return [TagCount(id=r["tag_id"], passages=r["n"]) for r in rows]


def _upsert_actor(conn: sqlite3.Connection, name: str, kind: str, role: str | None, evidence: str | None) -> int:
    key = actor_key(name, kind)
    row = conn.execute("SELECT actor_id FROM actors WHERE key = ?", (key,)).fetchone()
    if row is None:
        cursor = conn.execute(
            "INSERT INTO actors (key, name, kind, role, role_evidence) VALUES (?, ?, ?, ?, ?)",
            (key, name, kind, role, evidence if role else None),
        )
        return int(cursor.lastrowid)
    if role:  # the latest role seen wins
        conn.execute(
            "UPDATE actors SET role = ?, role_evidence = ? WHERE actor_id = ?", (role, evidence, row["actor_id"])
        )
    return int(row["actor_id"])


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
        f"""SELECT t.*, c.passage_id IS NOT NULL AS corrected FROM passage_tags t
            LEFT JOIN tag_corrections c USING (passage_id) WHERE t.passage_id IN ({marks})
            ORDER BY t.score DESC, t.tag_id""",
        passage_ids,
    ):
        tags[row["passage_id"]].append(
            TagPublic(id=row["tag_id"], score=row["score"], evidence=row["evidence"], corrected=bool(row["corrected"]))
        )
    actors: dict[str, list[ActorPublic]] = defaultdict(list)
    for row in conn.execute(
        f"""SELECT DISTINCT m.passage_id, a.name, a.kind, a.role FROM actor_mentions m
            JOIN actors a USING (actor_id) WHERE m.passage_id IN ({marks}) ORDER BY a.name""",
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


def list_actors(conn: sqlite3.Connection) -> list[ActorSummary]:
    """Actors that still have mentions, most mentioned first."""
    surfaces: dict[int, set[str]] = defaultdict(set)
    documents: dict[int, dict[str, str]] = defaultdict(dict)
    mentions: dict[int, int] = defaultdict(int)
    for row in conn.execute(
        """SELECT m.actor_id, m.surface, d.document_id, d.source_path FROM actor_mentions m
           JOIN passages p USING (passage_id) JOIN documents d ON d.document_id = p.document_id"""
    ):
        surfaces[row["actor_id"]].add(row["surface"])
        documents[row["actor_id"]][row["document_id"]] = row["source_path"]
        mentions[row["actor_id"]] += 1
    actors = []
    for row in conn.execute("SELECT * FROM actors"):
        actor_id = row["actor_id"]
        if not mentions[actor_id]:
            continue
        actors.append(
            ActorSummary(
                actor_id=actor_id,
                name=row["name"],
                kind=row["kind"],
                role=row["role"],
                aliases=sorted(surfaces[actor_id] - {row["name"]}),
                mentions=mentions[actor_id],
                tags=tag_counts(conn, actor_id=actor_id),
                documents=[ActorDocument(document_id=d, source_path=p) for d, p in documents[actor_id].items()],
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
        "actors": one("SELECT COUNT(DISTINCT actor_id) FROM actor_mentions"),
        "runs": one("SELECT COUNT(*) FROM runs"),
    }


# --- search discovery and pages (issue 7) ----------------------------------------------------


def passage_facts(conn: sqlite3.Connection, passage_ids: list[str]) -> dict[str, dict]:
    """What filters and facets read of each passage: its document's id, type, date, year, territory and
    file name, and its tags, actors' names, actors' roles and practices. Unknown ids are left out."""
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
            "roles": [],
            "practices": [],
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
    for row in conn.execute(
        f"SELECT passage_id, practice FROM passage_practices WHERE passage_id IN ({marks})", passage_ids
    ):
        if row["passage_id"] in facts:
            facts[row["passage_id"]]["practices"].append(row["practice"])
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
    for r in conn.execute("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", (runs,)):
        report = json.loads(r["report"]) if r["report"] else {}
        last_runs.append({
            "run_id": r["run_id"], "started_at": r["started_at"], "finished_at": r["finished_at"],
            "status": r["status"], **{k: report.get(k, 0) for k in (
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
