"""Staff curation, shared by the CLI and the admin API: actors merged, renamed, ignored or given a role
(recorded in the catalog and replayed at every ingestion). Errors are domain errors (pipelines/errors.py)."""

from __future__ import annotations

from collections.abc import Mapping

from pipelines import catalog
from pipelines.actors import ROLES
from pipelines.errors import AmbiguousName, InvalidCuration, NotFound
from pipelines.schemas import ActorCurationResult
from pipelines.store import Store
from pipelines.text import one_line


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
    count = conn.execute("SELECT COUNT(*) FROM actor_mentions WHERE actor_id = ?", (actor["actor_id"],)).fetchone()[0]
    mentions = f"{actor['kind']}, {count} mentions"
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

