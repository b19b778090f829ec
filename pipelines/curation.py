"""Staff curation, shared by the CLI and the admin API: actors merged, renamed, ignored or given a role
(recorded in the catalog and replayed at every ingestion), and practices promoted into the staff's
taxonomy kept in the catalog (models/practices.yaml stays the shipped base), then found in the stored
passages without reading any file; candidate practices rejected (or restored). Errors are domain errors (pipelines/errors.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pipelines import catalog
from pipelines.actors import ROLES
from pipelines.errors import AmbiguousName, InvalidCuration, NotFound
from pipelines.lexicons import load_yaml
from pipelines.schemas import ActorCurationResult, CandidateRejectionResult, PracticePromotionResult
from pipelines.settings import Settings
from pipelines.store import Store
from pipelines.text import STOPWORDS, fold, one_line


def actor_by_name(store: Store, name: str, kind: str | None = None) -> Mapping:
    """The single actor a name (any spelling, alias or acronym) designates (its catalog row)."""
    found = catalog.find_actors(store.conn, name, kind)
    if not found:
        raise NotFound(f"no actor is named {name!r}{f' ({kind})' if kind else ''}")
    if len(found) > 1:
        raise AmbiguousName(f"{name!r} names several actors ({', '.join(r['kind'] for r in found)}): give its kind (--kind)")
    return found[0]


def actor_by_id(store: Store, actor_id: int) -> Mapping:
    """An actor's catalog row (ignored actors too)."""
    if (row := catalog.actor_row(store.conn, actor_id)) is None:
        raise NotFound(f"no actor with id {actor_id}")
    return row


def curate_actor(
    store: Store, action: str, actor: Mapping, *, value: str | None = None, into: Mapping | None = None
) -> ActorCurationResult:
    """Apply one curation to `actor` and record it: `merge` (into the actor `into`), `rename` (to `value`),
    `ignore`, or `set-role` (to `value`)."""
    if action == "set-role" and value not in ROLES:
        raise InvalidCuration(f"unknown role {value!r}: choose one of {', '.join(ROLES)}")
    if action == "set-role" and actor["kind"] == "place":
        raise InvalidCuration(f"{actor['name']} is a place: only people and organisations have a role")
    if action == "rename":
        value = one_line(value or "")
        if not value:
            raise InvalidCuration("the new name is empty")
    if action == "merge":
        if into is None or into["actor_id"] == actor["actor_id"]:
            raise InvalidCuration(f"{actor['name']} cannot be merged into itself")
        if into["kind"] != actor["kind"]:
            raise InvalidCuration(
                f"{actor['name']} ({actor['kind']}) cannot be merged into {into['name']} ({into['kind']}): kinds differ"
            )
        value = into["name"]
    conn = store.conn
    mentions = f"{actor['kind']}, {catalog.mention_count(conn, actor['actor_id'])} mentions"
    catalog.curate(conn, action, actor["kind"], actor["name"], value)
    changed = {
        "merge": f"merged {actor['name']} ({mentions}) into {value}",
        "rename": f"renamed {actor['name']} ({mentions}) to {value}",
        "ignore": f"ignored {actor['name']} ({mentions} hidden)",
        "set-role": f"role of {actor['name']} ({mentions}): {actor['role'] or 'none'} -> {value}",
    }[action]
    now = catalog.actor_row(conn, into["actor_id"] if action == "merge" else actor["actor_id"])
    return ActorCurationResult(
        action=action, actor_id=now["actor_id"] if now else None, name=now["name"] if now else value or actor["name"],
        kind=actor["kind"], message=f"{changed}; 1 curation recorded",
    )


def promote_practice(
    store: Store, settings: Settings, *, name: str, definition: str | None = None, synonyms: list[str] = ()
) -> PracticePromotionResult:
    """Add a practice to the staff's taxonomy (or update it) and find it in the stored passages, as the
    next ingestion will: as written, by its lemmas, and wherever a candidate term with its key was found."""
    from pipelines.analysis import practices_for  # loads spaCy

    name = one_line(name)
    synonyms = [one_line(s) for s in synonyms if one_line(s) and fold(one_line(s)) != fold(name)]
    if len(name) < 2:
        raise InvalidCuration("a practice needs a name of two characters or more")
    shipped = {
        fold(phrase): entry["name"]
        for entry in load_yaml(Path(settings.models_dir) / "practices.yaml") or []
        for phrase in [entry["name"], *entry.get("variants", [])]
    }
    if fold(name) in shipped:
        raise InvalidCuration(f"{name!r} is already a practice of models/practices.yaml ({shipped[fold(name)]!r})")
    definition = one_line(definition) if definition else None
    entry = {"name": name, "definition": definition, "variants": synonyms}
    practices = practices_for(settings, [entry])
    entry["keys"] = sorted({practices.terms.key(phrase) for phrase in [name, *synonyms]} - {""})
    practices.by_key = {key: name for key in entry["keys"]}
    conn = store.conn
    with_keys = catalog.passages_with_candidates(conn, entry["keys"])
    todo = [(pid, text) for pid, text in catalog.passage_texts(conn) if pid in with_keys or may_hold(text, [name, *synonyms])]
    found, _ = practices.predict_with_candidates([text for _, text in todo])
    passage_ids = [pid for (pid, _), names in zip(todo, found, strict=True) if name in names]
    catalog.save_staff_practice(
        conn, name=name, definition=definition, synonyms=synonyms, keys=entry["keys"], passage_ids=passage_ids
    )
    documents = sorted({facts["document_id"] for facts in catalog.passage_facts(conn, passage_ids).values()})
    return PracticePromotionResult(
        name=name, definition=definition, synonyms=synonyms, passages=len(passage_ids), documents=documents,
        message=f"promoted {name!r} into the staff's practices: found in {len(passage_ids)} stored passages of "
        f"{len(documents)} documents ({len(todo)} passages read again)",
    )


def reject_candidate(store: Store, *, name: str, restore: bool = False) -> CandidateRejectionResult:
    """Stop listing a candidate practice (an administrative term such as "eau potable"), or list it again;
    kept across re-ingestion. NotFound when no candidate term is written so."""
    keys = catalog.candidate_keys_named(store.conn, name)
    if not keys:
        raise NotFound(f"no candidate practice is written {name!r} in the stored passages")
    catalog.set_candidates_rejected(store.conn, sorted(keys), name=one_line(name), rejected=not restore)
    passages = sum(keys.values())
    done = "listed again" if restore else "no longer listed"
    return CandidateRejectionResult(
        name=one_line(name), keys=sorted(keys), passages=passages, rejected=not restore,
        message=f"{name!r} is {done} as a candidate practice ({len(keys)} term keys, {passages} passages)",
    )


def may_hold(text: str, phrases: list[str]) -> bool:
    """Whether the text holds the stems of every word of one of the phrases (a quick filter before spaCy:
    inflected forms share the first letters of their word)."""
    folded = fold(text)
    for phrase in phrases:
        words = [w for w in re.findall(r"\w+", fold(phrase)) if w not in STOPWORDS]
        if all(w[: max(3, min(5, len(w) - 1))] in folded for w in words):
            return True
    return False
