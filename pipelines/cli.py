"""The `patrimoine` command. Human output by default, `--json` for scripts; errors become messages."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from pipelines.errors import PatrimoineError
from pipelines.settings import Settings

app = typer.Typer(
    help="patrimoine: ingest, tag and search the documents of the Fabrique des transitions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

eval_app = typer.Typer(help="Measure the pipeline against the gold data of corpus/gold/.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of text.")]


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print_json(model: BaseModel) -> None:
    typer.echo(model.model_dump_json(indent=2))


def configure_prefect(settings: Settings) -> None:
    """Prefect reads its settings at import: give it a home under PATRIMOINE_HOME and quiet defaults."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home.resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The command prints every failure with its reason; Prefect's own console output (a traceback per
    # bad file) stays quiet unless PREFECT_LOGGING_LEVEL asks for it.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest (folders are searched recursively).")],
    as_json: JsonOption = False,
) -> None:
    """Ingest documents: read, segment, extract actors, tag, embed and index them (one Prefect flow run)."""
    settings = _settings()
    configure_prefect(settings)
    from pipelines.flows import ingest as ingest_flow  # imports Prefect with the settings above

    try:
        report = ingest_flow([str(p) for p in paths])
    except PatrimoineError as exc:
        _fail(f"the ingestion could not run: {exc}")
    if as_json:
        _print_json(report)
        return
    for failure in report.failures:
        typer.echo(f"failed: {failure.path}: {failure.error}")
    for warning in report.warnings:
        typer.echo(f"page left out: {warning.path}, page {warning.page}: {warning.reason}")
    typer.echo(
        f"run {report.run_id}: {report.documents_seen} documents seen, {report.documents_ingested} ingested, "
        f"{report.documents_unchanged} unchanged, {report.documents_failed} failed; "
        f"{report.passages_indexed} passages indexed"
    )


def _open_store():
    from pipelines.store import Store

    return Store.open(_settings())


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question or keywords, in French.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many passages to return.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """Search the indexed passages by meaning."""
    from pipelines import query as queries
    from pipelines.embedding import load_embedder

    settings = _settings()
    store = _open_store()
    try:
        embedder = load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)
        response = queries.search(store, embedder, query, k=k, weights=settings.search_weights)
    except PatrimoineError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if as_json:
        _print_json(response)
        return
    if not response.hits:
        typer.echo("no passage found")
    for rank, hit in enumerate(response.hits, start=1):
        where = f"p. {hit.page}" if hit.page else (f"{hit.speaker} {_clock(hit.start_s)}" if hit.speaker else "")
        tags = " ".join(t.id for t in hit.tags)
        typer.echo(f"{rank}. [{hit.score:.3f}] {hit.title} — {where} {f'[{tags}]' if tags else ''}".rstrip())
        typer.echo(f"   {hit.text[:240].replace(chr(10), ' ')}{'…' if len(hit.text) > 240 else ''}")
    typer.echo(f"{len(response.hits)} hits")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(help='A JSONL file of {"id", "text"} lines, or - for standard input.')],
    as_json: JsonOption = False,
) -> None:
    """Tag texts that are not in the index and extract their actors and practices (one output line per input line)."""
    from pipelines.analysis import load_analyzer
    from pipelines.schemas import ActorPublic, AnalyzeResult, PracticePublic, TagPublic

    handle = sys.stdin if str(file) == "-" else None
    try:
        lines = (handle or file.open(encoding="utf-8")).read().splitlines()
    except OSError as exc:
        _fail(f"{file}: {exc.strerror or exc}")
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append((item["id"], str(item["text"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            _fail(f"{file}: line {number} is not a JSON object with 'id' and 'text' ({exc})")
    try:
        analyses = load_analyzer(_settings()).predict([text for _, text in items])
    except PatrimoineError as exc:
        _fail(str(exc))
    for (item_id, _), analysis in zip(items, analyses, strict=True):
        result = AnalyzeResult(
            id=item_id,
            tags=[TagPublic(id=t.id, score=t.score, evidence=t.evidence) for t in analysis.tags],
            actors=[ActorPublic(name=a.name, kind=a.kind, role=a.role) for a in analysis.actors],
            practices=[PracticePublic(name=p) for p in analysis.practices],
        )
        if as_json:
            typer.echo(result.model_dump_json())
        else:
            tags = ", ".join(f"{t.id} ({t.score:.2f})" for t in result.tags) or "none"
            actors = ", ".join(f"{a.name} [{a.kind}{'/' + a.role if a.role else ''}]" for a in result.actors) or "none"
            practices = ", ".join(p.name for p in result.practices) or "none"
            typer.echo(f"{item_id}: tags {tags}; actors {actors}; practices {practices}")
    if not as_json:
        typer.echo(f"{len(items)} texts analysed")


actors_app = typer.Typer(
    help="List the actors found in the indexed documents; merge, rename, ignore them or set their role.",
    invoke_without_command=True,
)
app.add_typer(actors_app, name="actors")
KindOption = Annotated[
    str | None, typer.Option("--kind", help="person, organisation or place (needed when a name has several).")
]


@actors_app.callback()
def actors(
    ctx: typer.Context,
    kind: KindOption = None,
    role: Annotated[str | None, typer.Option("--role", help="elu, agent, etat or socio_economique.")] = None,
    document: Annotated[
        str | None, typer.Option("--document", help="Only actors of this document (id, path or file name).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the actors found in the indexed documents, most mentioned first."""
    if ctx.invoked_subcommand is not None:
        return
    from pipelines import query as queries

    store = _open_store()
    try:
        response = queries.actors(store, kind=kind, role=role, document=document)
    finally:
        store.close()
    if as_json:
        _print_json(response)
        return
    for actor in response.actors:
        role_text = f", {actor.role}" if actor.role else ""
        seen = f", seen {actor.first_seen} to {actor.last_seen}" if actor.first_seen else ""
        aliases = f"; also {', '.join(actor.aliases)}" if actor.aliases else ""
        typer.echo(
            f"{actor.name} ({actor.kind}{role_text}): {actor.mentions} mentions in {len(actor.documents)} documents"
            f"{seen}{aliases}"
        )
    typer.echo(f"{len(response.actors)} actors")


def _one_actor(conn, name: str, kind: str | None):
    """The single actor a name designates, or a clear error."""
    from pipelines import catalog

    found = catalog.find_actors(conn, name, kind)
    if not found:
        _fail(f"no actor is named {name!r}{f' ({kind})' if kind else ''}")
    if len(found) > 1:
        _fail(f"{name!r} names several actors ({', '.join(r['kind'] for r in found)}): add --kind")
    return found[0]


ActorName = Annotated[str, typer.Argument(help="An actor's name: any spelling, alias or acronym of it.")]


def _curate(action: str, name: str, value: str | None, kind: str | None) -> None:
    """Record one curation and print what it changed."""
    from pipelines import catalog
    from pipelines.actors import ROLES

    if action == "set-role" and value not in ROLES:
        _fail(f"unknown role {value!r}: choose one of {', '.join(ROLES)}")
    store = _open_store()
    try:
        actor = _one_actor(store.conn, name, kind)
        count = store.conn.execute("SELECT COUNT(*) FROM actor_mentions WHERE actor_id = ?", (actor["actor_id"],))
        mentions = f"{actor['kind']}, {count.fetchone()[0]} mentions"
        if action == "merge":
            value = _one_actor(store.conn, value, actor["kind"])["name"]
        catalog.curate(store.conn, action, actor["kind"], actor["name"], value)
    finally:
        store.close()
    changed = {
        "merge": f"merged {actor['name']} ({mentions}) into {value}",
        "rename": f"renamed {actor['name']} ({mentions}) to {value}",
        "ignore": f"ignored {actor['name']} ({mentions} hidden)",
        "set-role": f"role of {actor['name']} ({mentions}): {actor['role'] or 'none'} -> {value}",
    }[action]
    typer.echo(f"{changed}; 1 curation recorded")


@actors_app.command("merge")
def actors_merge(name: ActorName, into: ActorName, kind: KindOption = None) -> None:
    """Merge actor NAME into actor INTO, which keeps its name and takes NAME's mentions (kept across re-ingestion)."""
    _curate("merge", name, into, kind)


@actors_app.command("rename")
def actors_rename(
    name: ActorName, new_name: Annotated[str, typer.Argument(help="The name to show.")], kind: KindOption = None
) -> None:
    """Show an actor under a new name (kept across re-ingestion)."""
    _curate("rename", name, new_name, kind)


@actors_app.command("ignore")
def actors_ignore(name: ActorName, kind: KindOption = None) -> None:
    """Hide a false actor from listings, search hits and documents (kept across re-ingestion)."""
    _curate("ignore", name, None, kind)


@actors_app.command("set-role")
def actors_set_role(
    name: ActorName,
    role: Annotated[str, typer.Argument(help="elu, agent, etat or socio_economique.")],
    kind: KindOption = None,
) -> None:
    """Set an actor's role by hand; it wins over the role read in the documents (kept across re-ingestion)."""
    _curate("set-role", name, role, kind)


GOLD = Path(__file__).resolve().parent.parent / "corpus" / "gold"


@eval_app.command("actors")
def eval_actors(
    gold: Annotated[Path, typer.Option(help="Gold passages (JSONL, see corpus/gold/README.md).")] = GOLD / "actors.jsonl",
    errors: Annotated[bool, typer.Option("--errors", help="Also print the mistakes on the dev split.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Precision, recall and F1 of actors per kind, role accuracy and practice recall, on dev, test and all."""
    from pipelines.actors_eval import Predicted, score_splits, split_of
    from pipelines.analysis import load_extractors

    try:
        passages = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"{gold}: {exc}")
    try:
        extractor, practices = load_extractors(_settings())
    except PatrimoineError as exc:
        _fail(str(exc))
    texts = [p["text"] for p in passages]
    found = extractor.predict(texts)
    matched = practices.predict(texts)
    predicted = {
        p["id"]: Predicted(actors=[(a.name, a.kind, a.role) for a in actors], practices=names)
        for p, actors, names in zip(passages, found, matched, strict=True)
    }
    scores = score_splits(passages, predicted)
    if as_json:
        typer.echo(json.dumps({split: s.as_dict() for split, s in scores.items()}, indent=2))
        return
    typer.echo(f"{'split':8} {'kind':13} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for split, s in scores.items():
        for kind, c in [*s.kinds.items(), ("all", s.overall)]:
            typer.echo(
                f"{split:8} {kind:13} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:5d} {c.fp:5d} {c.fn:5d}"
            )
    for split, s in scores.items():
        typer.echo(
            f"{split}: {s.passages} passages; role accuracy {s.role_accuracy:.3f} ({s.roles_correct}/{s.roles_total}); "
            f"practice recall {s.practice_recall:.3f} ({s.practices_found}/{s.practices_total})"
        )
    if errors:
        for e in scores["dev"].errors:
            if e.missed or e.spurious or e.wrong_roles:
                typer.echo(f"-- {e.passage_id} ({split_of(e.passage_id)})")
                for surface, kind in e.missed:
                    typer.echo(f"   missed   {kind:12} {surface}")
                for surface, kind in e.spurious:
                    typer.echo(f"   spurious {kind:12} {surface}")
                for surface, want, got in e.wrong_roles:
                    typer.echo(f"   role     {surface}: gold {want}, predicted {got}")


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Count documents, passages, vectors (in Chroma), actors and ingestion runs."""
    from pipelines import query as queries

    store = _open_store()
    try:
        response = queries.stats(store)
    finally:
        store.close()
    if as_json:
        _print_json(response)
        return
    typer.echo(", ".join(f"{value} {name}" for name, value in response.model_dump().items()))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the search API and the French web page (Ctrl-C stops)."""
    import uvicorn

    typer.echo(f"serving http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run("search_api.app:create_app", factory=True, host=host, port=port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    app()
