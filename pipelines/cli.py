"""The `patrimoine` command. Human output by default, `--json` for scripts; errors become messages."""

from __future__ import annotations

import json
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from collections.abc import Callable, Iterable

import typer
from pydantic import BaseModel, ValidationError

from pipelines import facets
from pipelines.errors import NotFound, PatrimoineError
from pipelines.facets import SearchFilters, SearchPaging, describe
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
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUERIES = ROOT / "corpus" / "gold" / "queries.jsonl"
DEFAULT_PIAF = ROOT.parent / "shared" / "external" / "datasets" / "spf_qr_test.json"


def _settings() -> Settings:
    """The settings, or exit 1 naming each bad PATRIMOINE_ variable and why."""
    try:
        return Settings()
    except ValidationError as exc:
        _fail("; ".join(_bad_setting(error) for error in exc.errors()))


def _bad_setting(error) -> str:
    name = "PATRIMOINE_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
    reason = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    return f"{name}={value!r}: {reason}" if error["loc"] and isinstance(value, str | int | float) else reason


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print_json(model: BaseModel) -> None:
    typer.echo(model.model_dump_json(indent=2))


def _answer(response: BaseModel, as_json: bool, lines: Callable[[], Iterable[str]]) -> None:
    """Print the response as JSON for scripts, or its `lines` for people."""
    if as_json:
        _print_json(response)
        return
    for line in lines():
        typer.echo(line)


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

    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop: the clean stop of Ctrl-C (Prefect's
    try:  # temporary server stops with it)
        report = ingest_flow([str(p) for p in paths])
    except PatrimoineError as exc:
        _fail(f"the ingestion could not run: {exc}")
    except KeyboardInterrupt:
        _fail("interrupted: the run is marked crashed; what was stored stays, and the same command goes on "
              "from there (unchanged files are skipped)", code=130)
    if as_json:
        _print_json(report)
        return
    for failure in report.failures:
        typer.echo(f"failed: {failure.path}: {failure.error}")
    for warning in report.warnings:  # a page left out, or a whole file (a copy of a stored one)
        where = f"page left out: {warning.path}, page {warning.page}" if warning.page else f"warning: {warning.path}"
        typer.echo(f"{where}: {warning.reason}")
    typer.echo(f"run {report.run_id}: {_summary(report)}")


def _summary(report) -> str:
    """What an ingestion run did, in one line (`ingest` and `runs`)."""
    removed = f", {report.documents_removed} removed (file gone)" if report.documents_removed else ""
    return (f"{report.documents_seen} documents seen, {report.documents_ingested} ingested, "
            f"{report.documents_unchanged} unchanged, {report.documents_failed} failed{removed}; "
            f"{report.passages_indexed} passages indexed ({report.passages_reused} kept their stored vectors)")


def _open_store():
    from pipelines.store import Store

    return Store.open(_settings())


def _read(call):
    """`call(store)` on a store opened for this command, closed after; domain errors become messages."""
    try:
        store = _open_store()
    except PatrimoineError as exc:
        _fail(str(exc))
    try:
        return call(store)
    except PatrimoineError as exc:
        _fail(str(exc))
    finally:
        store.close()


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


def _filter_help(name: str) -> str:
    return describe(SearchFilters, name) + " Repeat the option for several."


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question or keywords, in French; \"an exact phrase\" in double quotes.")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many passages to return.")] = 10,
    tag: Annotated[list[str] | None, typer.Option("--tag", help=_filter_help("tag"))] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--doc-type", help=_filter_help("doc_type"))] = None,
    date_from: Annotated[str | None, typer.Option("--date-from", help=describe(SearchFilters, "date_from"))] = None,
    date_to: Annotated[str | None, typer.Option("--date-to", help=describe(SearchFilters, "date_to"))] = None,
    territory: Annotated[list[str] | None, typer.Option("--territory", help=_filter_help("territory"))] = None,
    actor: Annotated[list[str] | None, typer.Option("--actor", help=_filter_help("actor"))] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help=_filter_help("role"))] = None,
    practice: Annotated[list[str] | None, typer.Option("--practice", help=_filter_help("practice"))] = None,
    initiative: Annotated[list[str] | None, typer.Option("--initiative", help=_filter_help("initiative"))] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help=_filter_help("source"))] = None,
    page: Annotated[int | None, typer.Option("--page", help=describe(SearchPaging, "page"))] = None,
    per_page: Annotated[int | None, typer.Option("--per-page", help=describe(SearchPaging, "per_page"))] = None,
    group: Annotated[str | None, typer.Option("--group", help=describe(SearchPaging, "group"))] = None,
    output: Annotated[
        OutputFormat,
        typer.Option("--format", help="text for people; json (hits with their citations, facets, groups); or csv "
                                      "(one row per hit, with its citation; one per document with --group document)."),
    ] = OutputFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
) -> None:
    """Search the indexed passages by meaning and by words, with the filters and pages of GET /search."""
    from pipelines import export
    from pipelines import query as queries
    from pipelines.embedding import load_embedder

    try:  # the options are named as the API's query parameters, and read by the same parser
        filters, paging = facets.parse_search(locals())
        query = facets.check_query(query, name="QUERY")
    except PatrimoineError as exc:
        _fail(str(exc), code=2)
    settings = _settings()
    store = _open_store()
    try:
        embedder = load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)
        response = queries.search(
            store, embedder, query, k=k, weights=settings.search_weights, filters=filters, page=paging.page,
            per_page=paging.per_page, group=paging.group == "document",
        )
    except PatrimoineError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if as_json or output is OutputFormat.json:
        _print_json(response)
        return
    if output is OutputFormat.csv:
        typer.echo(export.search_csv(response), nl=False)
        return
    _print_hits(response)


def _print_hits(response) -> None:
    """Hits for people: rank, score, citation, tags and the start of the text; grouped under their document."""
    first = (response.page - 1) * response.per_page + 1
    if response.groups is not None:
        for number, group in enumerate(response.groups, start=first):
            typer.echo(f"{number}. {group.title} [{group.document_id}]: {len(group.hits)} passages")
            for hit in group.hits:
                _print_hit("  -", hit)
    else:
        for rank, hit in enumerate(response.hits, start=first):
            _print_hit(f"{rank}.", hit)
    if not response.hits:
        typer.echo("no passage found")
    pages = facets.pages(response.total, response.per_page)
    unit = "documents" if response.groups is not None else "hits"
    typer.echo(f"{len(response.hits)} hits shown; {response.total} {unit} in all, page {response.page} of {pages}")


def _print_hit(prefix: str, hit) -> None:
    tags = " ".join(t.id for t in hit.tags)
    typer.echo(f"{prefix} [{hit.score:.3f}] {hit.citation} {f'[{tags}]' if tags else ''}".rstrip())
    typer.echo(f"   {hit.text[:240].replace(chr(10), ' ')}{'…' if len(hit.text) > 240 else ''}")


@app.command()
def analyze(
    file: Annotated[Path, typer.Argument(help='A JSONL file of {"id", "text"} lines, or - for standard input.')],
    as_json: JsonOption = False,
) -> None:
    """Tag texts that are not in the index and extract their actors and practices (one output line per input line)."""
    from pipelines import catalog
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
    settings = _settings()
    staff = []
    if settings.catalog_path.exists():  # the practices staff promoted in PATRIMOINE_HOME are matched too
        conn = catalog.connect(settings.catalog_path)
        staff = catalog.staff_practices(conn)
        conn.close()
    try:
        analyses = load_analyzer(settings, staff_practices=staff).predict([text for _, text in items])
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
DocumentOption = Annotated[
    str | None, typer.Option("--document", help="Only those of this document (id, path or file name).")
]


@actors_app.callback()
def actors(
    ctx: typer.Context,
    kind: KindOption = None,
    role: Annotated[str | None, typer.Option("--role", help="elu, agent, etat or socio_economique.")] = None,
    document: DocumentOption = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Only actors whose name or an alias holds this (accents and case ignored).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="List at most this many actors.")] = None,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many actors first.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """List the actors found in the indexed documents, most mentioned first."""
    if ctx.invoked_subcommand is not None:
        return
    from pipelines import query as queries

    response = _read(lambda store: queries.actors(
        store, kind=kind, role=role, document=document, name=name, limit=limit, offset=offset
    ))
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
    shown = f" (of {response.total})" if response.total != len(response.actors) else ""
    typer.echo(f"{len(response.actors)} actors{shown}")


ActorName = Annotated[str, typer.Argument(help="An actor's name: any spelling, alias or acronym of it.")]


def _curate(action: str, name: str, value: str | None, kind: str | None) -> None:
    """Record one curation (the same as the admin API's) and print what it changed."""
    from pipelines import curation

    def curate(store):
        actor = curation.actor_by_name(store, name, kind)
        into = _merge_target(store, value, actor["kind"]) if action == "merge" else None
        return curation.curate_actor(store, action, actor, value=value, into=into)

    typer.echo(_read(curate).message)


def _merge_target(store, name: str, kind: str):
    """The actor to merge into: of the merged actor's kind, else of any kind (the merge then says kinds differ)."""
    from pipelines import curation

    try:
        return curation.actor_by_name(store, name, kind)
    except NotFound:
        return curation.actor_by_name(store, name)


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
    from pipelines.actors_eval import predictions, score_splits, scored, split_of
    from pipelines.analysis import initiative_finder, load_extractors

    passages = scored(_actor_gold([gold]))
    if not passages:
        _fail(f"{gold}: no passage of the dev, test or heldout split to score")
    try:
        extractor, practices = load_extractors(_settings())
    except PatrimoineError as exc:
        _fail(str(exc))
    finder = initiative_finder(_settings())
    scores = score_splits(passages, predictions(passages, extractor.predict, practices.predict, finder.predict))
    if as_json:
        typer.echo(json.dumps({split: s.as_dict() for split, s in scores.items()}, indent=2))
        return
    _echo_kind_scores(scores, heading="split", width=8)
    for split, s in scores.items():
        typer.echo(
            f"{split}: {s.passages} passages; role accuracy {s.role_accuracy:.3f} ({s.roles_correct}/{s.roles_total}), "
            f"roles given to null-role actors {s.roles_given_to_null}/{s.roles_null}; "
            f"practice recall {s.practice_recall:.3f} ({s.practices_found}/{s.practices_total}); initiatives "
            f"P {s.initiatives.precision:.3f} R {s.initiatives.recall:.3f} F1 {s.initiatives.f1:.3f} "
            f"(tp {s.initiatives.tp}, fp {s.initiatives.fp}, fn {s.initiatives.fn})"
        )
    if errors:
        for e in scores["dev"].errors:
            if e.missed or e.spurious or e.wrong_roles or e.missed_initiatives or e.spurious_initiatives:
                typer.echo(f"-- {e.passage_id} ({split_of(e.passage_id)})")
                for surface, kind in e.missed:
                    typer.echo(f"   missed   {kind:12} {surface}")
                for surface, kind in e.spurious:
                    typer.echo(f"   spurious {kind:12} {surface}")
                for surface, want, got in e.wrong_roles:
                    typer.echo(f"   role     {surface}: gold {want}, predicted {got}")
                for name in e.missed_initiatives:
                    typer.echo(f"   missed   initiative   {name}")
                for name in e.spurious_initiatives:
                    typer.echo(f"   spurious initiative   {name}")


@eval_app.command("actors-agreement")
def eval_actors_agreement(
    second: Annotated[
        Path, typer.Option("--second", help='A second annotator\'s actors: JSONL of {"id", "actors"} (e.g. '
                           "corpus/gold/agreement/actors_second.jsonl).")
    ],
    gold: Annotated[
        list[Path] | None,
        typer.Option("--gold", help="The first annotator's gold files (repeat the option); default: "
                     "corpus/gold/actors.jsonl and corpus/gold/heldout/actors*.jsonl."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Agreement of a second annotator with the gold actors on the passages of --second, scored as `eval actors`
    scores the extractor (the second annotator in the extractor's place): precision, recall and F1 per kind, role
    agreement; per gold file and over all."""
    from pipelines.actors_eval import Predicted, score

    paths = gold or [GOLD / "actors.jsonl", *sorted((GOLD / "heldout").glob("actors*.jsonl"))]
    first = {}
    for path in paths:
        for passage in _actor_gold([path]):
            first[passage["id"]] = (path, passage)
    try:
        rows = [json.loads(line) for line in second.read_text(encoding="utf-8").splitlines() if line.strip()]
        annotated = {row["id"]: Predicted(actors=[(a["text"], a["kind"], a.get("role")) for a in row["actors"]])
                     for row in rows}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        _fail(f"{second}: {exc}")
    unknown = sorted(set(annotated) - set(first))
    if unknown:
        _fail(f"{second}: {len(unknown)} passages are in no gold file ({', '.join(unknown[:3])}…)")
    groups: dict[str, list[str]] = {}
    for passage_id in annotated:
        path = first[passage_id][0]
        groups.setdefault(str(path.relative_to(GOLD)) if path.is_relative_to(GOLD) else str(path), []).append(passage_id)
    groups["all"] = list(annotated)
    results = {name: score([first[i][1] for i in ids], annotated) for name, ids in groups.items()}
    if as_json:  # the second annotator labelled actors only: no practice or initiative figures
        unlabelled = ("practice_recall", "practices_scored", "initiatives")
        figures = {name: {k: v for k, v in s.as_dict().items() if k not in unlabelled} for name, s in results.items()}
        typer.echo(json.dumps(figures, indent=2))
        return
    typer.echo(f"{second} against the gold: {len(annotated)} passages")
    _echo_kind_scores(results, heading="gold", width=24)
    for name, s in results.items():
        typer.echo(f"{name}: {s.passages} passages; role agreement {s.role_accuracy:.3f} ({s.roles_correct}/{s.roles_total})")


def _echo_kind_scores(scores: dict, *, heading: str, width: int) -> None:
    """The precision, recall and F1 table of actor scores, one block of kinds per row name."""
    typer.echo(f"{heading:{width}} {'kind':13} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for name, s in scores.items():
        for kind, c in [*s.kinds.items(), ("all", s.overall)]:
            typer.echo(f"{name:{width}} {kind:13} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:5d} {c.fp:5d} {c.fn:5d}")


def _actor_gold(paths: list[Path]) -> list[dict]:
    from pipelines.role_classifier import load_role_gold

    try:
        return load_role_gold(paths)
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"{', '.join(map(str, paths))}: {exc}")


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Count documents, passages, vectors (in Chroma), actors and ingestion runs."""
    from pipelines import query as queries

    response = _read(queries.stats)
    if as_json:
        _print_json(response)
        return
    typer.echo(", ".join(f"{value} {name}" for name, value in response.model_dump().items()))


@app.command()
def runs(
    limit: Annotated[int, typer.Option(min=1, help="How many runs to show, the most recent first.")] = 10,
    as_json: JsonOption = False,
) -> None:
    """The last ingestion runs (by hand or by the schedule) with their reports: counts, failed files and why."""
    from pipelines import query as queries

    response = _read(lambda store: queries.runs(store, limit=limit))
    _answer(response, as_json, lambda: _run_lines(response))


def _run_lines(response) -> Iterable[str]:
    for run in response.runs:
        report = run.report
        started = ("by hand" if not run.deployment else f"by the schedule {run.deployment}" if run.scheduled
                   else f"by hand from the deployment {run.deployment}")
        head = f"run {run.run_id} {run.started_at} → {run.finished_at or '…'} {run.status}, {started}"
        if report is None:
            yield f"{head}: " + ("running" if run.status == "running" else "stopped before its end, counts not recorded")
            continue
        yield f"{head}: {_summary(report)}"
        for failure in report.failures:
            yield f"  failed: {failure.path}: {failure.error}"
    yield f"{len(response.runs)} of {response.total} runs shown"


@app.command()
def schedule(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest at each run.")],
    cron: Annotated[str, typer.Option(help="When to run: a cron schedule, minute hour day month weekday.")]
    = "0 3 * * *",
    timezone: Annotated[str, typer.Option(help="The time zone the cron schedule is read in.")] = "Europe/Paris",
    name: Annotated[str, typer.Option(help="The deployment's name (one per schedule).")] = "scheduled-ingest",
    prefect_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of the Prefect server this command starts on 127.0.0.1 "
                          "when PREFECT_API_URL names none (its UI shows the runs).")
    ] = 4200,
    run_once: Annotated[
        bool, typer.Option("--run-once", help="Execute the earliest run due now, if any, then stop (default: serve "
                           "until stopped, one run at a time).")
    ] = False,
) -> None:
    """Ingest PATHS on a cron schedule: a Prefect deployment of the `ingest` flow, served by this process until it
    is stopped. Each run is an ordinary ingestion: unchanged files are skipped, its report is in `patrimoine runs`."""
    import contextlib
    from datetime import datetime

    settings = _settings()
    configure_prefect(settings)
    from prefect.settings import PREFECT_API_URL

    from pipelines import schedule as scheduling  # imports Prefect with the settings above

    def registered(deployment_id) -> None:
        pending = scheduling.scheduled_runs(deployment_id, wait_s=20, limit=20)  # the scheduler plans them first
        now = datetime.now(tz=ZoneInfo("UTC"))
        upcoming = [t for t in pending if t > now]
        when = ", ".join(t.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") for t in upcoming[:3])
        typer.echo(f"deployment ingest/{name}: {cron!r} ({timezone}) over {len(paths)} path(s); "
                   f"next runs: {when or 'none created yet'}")
        if late := len(pending) - len(upcoming):
            typer.echo(f"{late} run(s) fell due while nothing served the schedule: they run first, one at a time")
        typer.echo("stop with Ctrl-C or SIGTERM (the schedule stays active)"
                   if not run_once else "executing the earliest run due now, if any")

    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop: the same clean stop as Ctrl-C
    try:
        deployment = scheduling.ingest_deployment([str(p) for p in paths], cron=cron, timezone=timezone, name=name)
        with contextlib.ExitStack() as stack:
            if not PREFECT_API_URL.value():
                server = stack.enter_context(scheduling.PrefectServer(
                    port=prefect_port, log=settings.prefect_home / "server.log"))
                _use_prefect_api(stack, server.api_url)
                typer.echo(f"Prefect server on {server.api_url.removesuffix('/api')} (log: {server.log})")
            scheduling.serve(deployment, run_once=run_once, registered=registered)
    except PatrimoineError as exc:
        _fail(f"the schedule could not start: {exc}")
    except KeyboardInterrupt:
        pass
    from pipelines.store import crash_unfinished_runs

    if crashed := crash_unfinished_runs(settings):  # the run in progress was stopped with the schedule
        typer.echo(f"{crashed} run stopped before its end: marked crashed (the next run goes on from there)")
    typer.echo("stopped; the reports of the runs are in `patrimoine runs`")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _use_prefect_api(stack, api_url: str) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    stack.enter_context(temporary_settings(updates={PREFECT_API_URL: api_url}))


@eval_app.command("search")
def eval_search(
    queries: Annotated[
        Path, typer.Option("--queries", help="Gold questions (JSON lines) over the documents of PATRIMOINE_HOME.")
    ] = DEFAULT_QUERIES,
    piaf: Annotated[
        bool,
        typer.Option(
            "--piaf/--no-piaf",
            help="Also evaluate the PIAF questions; the first run ingests its 530 fiches into PATRIMOINE_HOME/piaf.",
        ),
    ] = False,
    piaf_dataset: Annotated[Path, typer.Option(help="The PIAF dataset (SQuAD-shaped JSON).")] = DEFAULT_PIAF,
    as_json: JsonOption = False,
) -> None:
    """Measure search: document nDCG@10 and recall@10, page hit@10, for dense, lexical and hybrid search."""
    from pipelines import search_eval
    from pipelines.embedding import load_embedder
    from pipelines.schemas import EvalSetResult, SearchEvalReport
    from pipelines.store import Store

    settings = _settings()
    try:
        embedder = load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)
        sets = [("own", str(queries), settings, search_eval.load_questions(queries))]
        if piaf:
            piaf_settings = settings.model_copy(update={"home": settings.home / "piaf"})
            sets.append(("piaf", str(piaf_dataset), piaf_settings, _prepare_piaf(settings, piaf_settings, piaf_dataset)))
    except PatrimoineError as exc:
        _fail(str(exc))
    report = SearchEvalReport(k=search_eval.K, sets=[])
    for name, origin, set_settings, questions in sets:
        store = Store.open(set_settings)
        try:
            missing = search_eval.missing_sources(questions, search_eval.catalog_sources(store))
            kept = search_eval.answerable(questions, missing)
            if missing:
                typer.echo(
                    f"warning: {name} set: {len(missing)} gold documents are not in the catalog of "
                    f"{set_settings.home} embedded by {set_settings.embedding_model}, {len(questions) - len(kept)} "
                    "questions left out; ingest them (again) first: "
                    + ", ".join(missing),
                    err=True,
                )
            modes = search_eval.evaluate(store, embedder, kept, weights=settings.search_weights) if kept else []
        finally:
            store.close()
        report.sets.append(
            EvalSetResult(
                name=name,
                queries=origin,
                home=str(set_settings.home),
                questions=len(kept),
                questions_skipped=len(questions) - len(kept),
                missing_documents=missing,
                modes=modes,
            )
        )
    if as_json:
        _print_json(report)
    else:
        _print_eval(report)
    if not any(result.questions for result in report.sets):
        _fail("no question could be evaluated: their gold documents are not in the catalog, or were embedded by "
              "another model (PATRIMOINE_EMBEDDING_MODEL): ingest them (again)")


def _print_eval(report) -> None:
    for result in report.sets:
        typer.echo(f"{result.name} set ({result.queries}): {result.questions} questions, {result.questions_skipped} left out")
        typer.echo(f"  {'mode':<8} {'nDCG@10':>8} {'recall@10':>10} {'page hit@10':>12} {'answer@10':>10} {'seconds':>8}")
        for mode in result.modes:
            typer.echo(
                f"  {mode.mode:<8} {mode.ndcg_at_10:>8.3f} {mode.recall_at_10:>10.3f} {_figure(mode.page_hit_at_10):>12} "
                f"{_figure(mode.answer_hit_at_10):>10} {mode.seconds:>8.1f}"
            )
        kinds = {kind for mode in result.modes for kind in mode.by_kind}
        if len(kinds) > 1:
            typer.echo("  nDCG@10 by kind of question: " + "; ".join(
                f"{mode.mode} " + ", ".join(f"{k} {v.ndcg_at_10:.3f} ({v.questions})" for k, v in mode.by_kind.items())
                for mode in result.modes
            ))
    typer.echo(f"evaluated {sum(r.questions for r in report.sets)} questions in {len(report.sets)} sets")


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _prepare_piaf(settings: Settings, piaf_settings: Settings, dataset: Path):
    """Write the PIAF fiches under PATRIMOINE_HOME/piaf and ingest them there unless already done."""
    from pipelines import search_eval
    from pipelines.store import Store

    paths, questions = search_eval.write_piaf_fiches(dataset, piaf_settings.home / "fiches")
    store = Store.open(piaf_settings)
    try:
        ingested = len(search_eval.catalog_sources(store))
    finally:
        store.close()
    if ingested < len(paths):
        typer.echo(f"ingesting {len(paths)} PIAF fiches into {piaf_settings.home} (first run only)", err=True)
        configure_prefect(settings)
        from pipelines.flows import ingest as ingest_flow

        previous = os.environ.get("PATRIMOINE_HOME")
        os.environ["PATRIMOINE_HOME"] = str(piaf_settings.home)  # the flow reads its settings from the environment
        try:
            run = ingest_flow([str(piaf_settings.home / "fiches")])
        finally:
            if previous is None:
                del os.environ["PATRIMOINE_HOME"]
            else:
                os.environ["PATRIMOINE_HOME"] = previous
        typer.echo(
            f"PIAF: {run.documents_ingested} fiches ingested, {run.documents_unchanged} unchanged, "
            f"{run.documents_failed} failed",
            err=True,
        )
    return questions


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the search API and the French web page (Ctrl-C stops)."""
    import uvicorn

    typer.echo(f"serving http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run("search_api.app:create_app", factory=True, host=host, port=port, log_level="info")


practices_app = typer.Typer(
    help="List the practices found; list candidate practices, promote them into the staff's taxonomy or reject them.",
    invoke_without_command=True,
)
app.add_typer(practices_app, name="practices")


@practices_app.callback()
def practices(ctx: typer.Context, document: DocumentOption = None, as_json: JsonOption = False) -> None:
    """List the practices (methods and tools) found, most cited first, with their tags."""
    if ctx.invoked_subcommand is not None:
        return
    from pipelines import query as queries
    from pipelines.lexicons import practice_definitions

    definitions = practice_definitions(Path(_settings().models_dir) / "practices.yaml")
    response = _read(lambda store: queries.practices(store, definitions=definitions, document=document))

    def lines():
        for item in response.practices:
            tags = ", ".join(f"{t.id} {t.passages}" for t in item.tags) or "no tag"
            staff = " [staff]" if item.staff else ""
            yield f"{item.name}{staff}: {item.passages} passages in {len(item.documents)} documents ({tags})"
        yield f"{len(response.practices)} practices"

    _answer(response, as_json, lines)


@practices_app.command("candidates")
def practices_candidates(
    min_documents: Annotated[
        int, typer.Option("--min-documents", min=1, help="Only terms found in at least this many documents.")
    ] = 2,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="List at most this many candidates.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List candidate practices: frequent terms of the passages that no practice covers, with an example."""
    from pipelines import query as queries

    response = _read(lambda store: queries.practice_candidates(store, min_documents=min_documents, limit=limit))

    def lines():
        for item in response.candidates:
            yield f"{item.name}: {item.passages} passages in {len(item.documents)} documents"
            yield f"   e.g. {item.example.sentence}"
        yield f"{len(response.candidates)} candidate practices found in {min_documents} documents or more"

    _answer(response, as_json, lines)


@practices_app.command("promote")
def practices_promote(
    name: Annotated[str, typer.Argument(help="The practice's name, in French (e.g. a candidate's name).")],
    definition: Annotated[str | None, typer.Option("--definition", help="One French sentence that defines it.")] = None,
    synonyms: Annotated[
        list[str] | None, typer.Option("--synonym", help="Another wording, matched like the name (repeat for several).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a practice to the staff's taxonomy (kept in the catalog) and find it in the stored passages
    without reading files; the next ingestions match it too."""
    from pipelines import curation

    settings = _settings()
    result = _read(lambda store: curation.promote_practice(
        store, settings, name=name, definition=definition, synonyms=synonyms or []
    ))
    _answer(result, as_json, lambda: [result.message])


@practices_app.command("reject")
def practices_reject(
    name: Annotated[str, typer.Argument(help="The candidate's name as `practices candidates` lists it.")],
    restore: Annotated[bool, typer.Option("--restore", help="List a rejected candidate again.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Stop listing a candidate practice that is no practice (e.g. "eau potable"); kept across re-ingestion."""
    from pipelines import curation

    result = _read(lambda store: curation.reject_candidate(store, name=name, restore=restore))
    _answer(result, as_json, lambda: [result.message])


@app.command()
def initiatives(
    document: DocumentOption = None,
    territory: Annotated[
        str | None, typer.Option("--territory", help="Only initiatives of a territory holding this (accents and case ignored).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the named initiatives (projects, programmes) found, with their carriers and territory, most mentioned first."""
    from pipelines import query as queries

    response = _read(lambda store: queries.initiatives(store, document=document, territory=territory))

    def lines():
        for item in response.initiatives:
            place = f" ({item.territory})" if item.territory else ""
            carriers = f", carried by {', '.join(item.carriers)}" if item.carriers else ""
            yield f"[{item.initiative_id}] {item.name}{place}{carriers}: {item.mentions} passages in {len(item.documents)} documents"
        yield f"{len(response.initiatives)} initiatives"

    _answer(response, as_json, lines)


@app.command()
def similar(
    document_id: Annotated[str | None, typer.Argument(help="A document id (as in search hits).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Or a description of an initiative, in French.")] = None,
    initiative: Annotated[int | None, typer.Option("--initiative", help="Or an initiative id: similar initiatives.")] = None,
    territory: Annotated[str | None, typer.Option(help="With --text: its territory, whose documents are left out.")] = None,
    other_territories: Annotated[bool, typer.Option(
        "--other-territories", help="With a document id or --initiative: leave out those of its own territory.")] = False,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many documents.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Documents like a document, or like a description: by meaning and by what they share, each with why."""
    from pipelines import query as queries
    from pipelines.schemas import SimilarText

    if sum(x is not None for x in (document_id, text, initiative)) != 1:
        _fail("give either a document id, --text or --initiative", code=2)
    if territory is not None and text is None:
        _fail("--territory goes with --text; with a document id or --initiative, use --other-territories", code=2)
    if other_territories and text is not None:
        _fail("--other-territories goes with a document id or --initiative; with --text, give --territory", code=2)
    if text is not None:
        try:  # the checks of POST /similar
            SimilarText(text=text, territory=territory)
        except ValidationError as exc:
            _fail(f"--text: {exc.errors()[0]['msg']}", code=2)
    if initiative is not None:
        response = _read(lambda store: queries.similar_initiatives(
            store, initiative, k=k, other_territories=other_territories))
        labels = [f"{item.name} [{item.initiative_id}]" for item in response.results]
    else:
        if text is None:
            response = _read(lambda store: queries.similar_documents(
                store, document_id, k=k, other_territories=other_territories))
        else:
            from pipelines.analysis import load_analyzer
            from pipelines.embedding import load_embedder

            settings = _settings()
            embedder = load_embedder(settings.embedding_model, batch_size=settings.embedding_batch_size)
            analyzer = load_analyzer(settings)
            response = _read(
                lambda store: queries.similar_to_text(store, embedder, analyzer, text, territory=territory, k=k)
            )
        labels = [f"{item.title} [{item.document_id}]" for item in response.results]
    if as_json:
        _print_json(response)
        return
    for number, (label, item) in enumerate(zip(labels, response.results, strict=True), start=1):
        why = "; ".join(f"{kind}: {', '.join(values)}" for kind, values in item.shared.items()) or "meaning only"
        typer.echo(f"{number}. {label} score {item.score:.2f} (meaning {item.meaning:.2f}; {why})")
    typer.echo(f"{len(response.results)} similar {'results' if initiative is not None else 'documents'}")


# --- tagger: training, evaluation, corrections, re-tagging ------------------------------------

GOLD_TAGS = Path(__file__).resolve().parents[1] / "corpus" / "gold" / "tagging.jsonl"
train_app = typer.Typer(help="Train models from the gold data of corpus/gold/.", no_args_is_help=True)
tags_app = typer.Typer(help="Correct the tags of stored passages.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(tags_app, name="tags")
GoldOption = Annotated[Path, typer.Option("--gold", help="Gold passages (JSONL with labels and split).")]


def _labels(settings: Settings) -> list[str]:
    from pipelines.tagging import Taxonomy

    return [label.id for label in Taxonomy.from_file(Path(settings.models_dir) / "taxonomy.yaml").labels]


def _gold(path: Path):
    from pipelines.training import load_gold

    try:
        return load_gold(path)
    except (OSError, ValueError, KeyError) as exc:
        _fail(f"{path}: {exc}")


@train_app.command("tagger")
def train_tagger(
    gold: GoldOption = GOLD_TAGS,
    seed: Annotated[int, typer.Option(help="Random seed: the same data and seed give the same model.")] = 0,
    corrections: Annotated[
        bool, typer.Option(help="Add the tag corrections of PATRIMOINE_HOME's catalog to the training data.")
    ] = True,
) -> None:
    """Train the tagger, write it and its model card to models/tagger/, and print its test figures."""
    from pipelines import catalog
    from pipelines.classifier import TrainedTagger, save_tagger
    from pipelines.embedding import load_embedder
    from pipelines.tagging import Taxonomy, ZeroShotTagger
    from pipelines.training import DEVELOPMENT_SPLITS, GoldPassage, evaluate, model_card, train

    settings = _settings()
    taxonomy = Taxonomy.from_file(Path(settings.models_dir) / "taxonomy.yaml")
    labels = [label.id for label in taxonomy.labels]
    passages = _gold(gold)
    extra = []
    if corrections and settings.catalog_path.exists():
        conn = catalog.connect(settings.catalog_path)
        extra = [
            GoldPassage(id=f"correction:{pid}", text=text, labels=frozenset(found), split="train", source="correction")
            for pid, text, found in catalog.tag_corrections(conn)
        ]
        conn.close()
    embedder = load_embedder(taxonomy.embedding_model, batch_size=settings.embedding_batch_size)
    try:
        model = train([*passages, *extra], embedder, labels=labels, embedding_model=taxonomy.embedding_model, seed=seed)
    except ValueError as exc:
        _fail(str(exc))
    test = [p for p in passages if p.split == "test"]
    tagger = TrainedTagger(model, embedder)
    metrics = evaluate(lambda texts: tagger.predict(texts, evidence=False), test, labels=labels, thresholds=model.thresholds)
    real = [p for p in test if not p.written]
    metrics_real = evaluate(lambda texts: tagger.predict(texts, evidence=False), real, labels=labels)
    baseline = evaluate(ZeroShotTagger(taxonomy, embedder).predict, test, labels=labels)
    model.info["test"] = metrics.as_dict()
    model.info["test_real"] = metrics_real.as_dict()
    model.info["zero_shot_test"] = baseline.as_dict()
    directory = Path(settings.models_dir) / "tagger"
    path = save_tagger(model, directory)
    (directory / "MODEL_CARD.md").write_text(model_card(model, metrics, baseline, test_real=metrics_real), encoding="utf-8")
    trained_on = sum(p.split in DEVELOPMENT_SPLITS for p in passages) + len(extra)
    typer.echo(
        f"trained on {trained_on} passages ({len(extra)} corrections), tested on {len(test)}: macro-F1 "
        f"{metrics.macro_f1:.3f} (zero-shot {baseline.macro_f1:.3f}); model {model.version} written to {path}"
    )
    typer.echo("run `patrimoine retag` (or the next ingest does it) to tag stored passages with it")


GOLD_ACTORS = GOLD / "actors.jsonl"
GOLD_ACTORS_TRAIN = GOLD / "actors-train.jsonl"


ActorGoldOption = Annotated[
    list[Path] | None,
    typer.Option("--gold", help="Gold actor passages (JSONL); repeat for several files. Default: "
                 "corpus/gold/actors.jsonl and, when it exists, corpus/gold/actors-train.jsonl."),
]


@train_app.command("ner")
def train_ner(
    gold: ActorGoldOption = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training passages.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed: the same data and seed give the same model.")] = 0,
) -> None:
    """Fine-tune spaCy's NER on the gold actors of the dev and train splits (never the test split), write it and
    its model card to models/ner/, and print the `eval actors` figures with spaCy's NER and with it."""
    from datetime import date

    from pipelines import role_classifier as rc
    from pipelines.actors_eval import predictions, score_splits, scored
    from pipelines.analysis import load_role_classifier
    from pipelines.extraction import NER_DIR, ActorExtractor, RoleCues, load_nlp, save_ner
    from pipelines.extraction import train_ner as fine_tune

    settings = _settings()
    models = Path(settings.models_dir)
    paths = gold or [p for p in (GOLD_ACTORS, GOLD_ACTORS_TRAIN) if p.exists()]
    passages = rc.without_test_copies(_actor_gold(paths))
    development = [p for p in passages if rc.passage_split(p) in rc.DEVELOPMENT_SPLITS]
    if not development:
        _fail("no gold passage of the dev or train split to learn from")
    training = [(p["text"], [(a["text"], a["kind"]) for a in p["actors"]]) for p in development]
    try:
        nlp, losses = fine_tune(settings.spacy_model, training, epochs=epochs, seed=seed)
    except PatrimoineError as exc:
        _fail(str(exc))
    directory = models / NER_DIR
    info = {"trained_on": date.today().isoformat(), "seed": seed, "epochs": epochs, "passages": len(training),
            "mentions": sum(len(a) for _, a in training), "losses": losses,
            "gold": [str(p.resolve().relative_to(ROOT)) if p.resolve().is_relative_to(ROOT) else str(p) for p in paths]}
    save_ner(nlp, settings.spacy_model, directory, info)
    evaluated = scored(passages)
    roles = load_role_classifier(models) if settings.role_classifier == "trained" else None
    lexicons = (models / "organisations.yaml", models / "roles.yaml", models / "places.yaml")
    figures = {}
    for name, ner in (("spaCy's NER", None), ("fine-tuned NER", directory)):
        extractor = ActorExtractor(load_nlp(settings.spacy_model, *lexicons, ner=ner), RoleCues.from_file(lexicons[1]), roles)
        figures[name] = score_splits(evaluated, predictions(evaluated, extractor.predict))
    card = ner_model_card(info, figures)
    (directory / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    typer.echo(card.split("## Figures", 1)[1].strip())
    typer.echo(f"fine-tuned on {info['mentions']} gold mentions of {len(training)} passages, {epochs} epochs; "
               f"written to {directory}")


def ner_model_card(info: dict, figures: dict) -> str:
    """The model card of the fine-tuned NER: data, method and the `eval actors` F1 before and after."""
    lines = [
        "# Fine-tuned NER model card", "",
        f"- Trained on {info['trained_on']} by `patrimoine train ner` (or `make train`), seed {info['seed']}, "
        f"{info['epochs']} epochs, from spaCy's `ner` of the installed French model; only `ner` is updated "
        "(batches of 8, dropout 0.2, spaCy's default optimizer).",
        f"- Data: {info['mentions']} gold actor mentions of {info['passages']} passages of the dev and train "
        "splits (`corpus/gold/actors.jsonl` dev, `corpus/gold/actors-train.jsonl`); the test split and the "
        "held-out files are never seen. Every occurrence of a gold actor's surface form is an entity (PER, ORG, "
        "LOC); what spaCy's own NER finds elsewhere stays unknown when it shares a word with a gold actor (the "
        "gold lists each actor once), and every other token is outside any entity, so headings, plans and "
        "assemblies are learnt as non-actors.",
        "- Used by the actor extraction unless `PATRIMOINE_NER=spacy`; the rules of pipelines/extraction.py run "
        "after it as before.", "",
        "## Figures", "",
        "`patrimoine eval actors` on `corpus/gold/actors.jsonl` (the dev split was seen in training):", "",
        "| NER | split | person F1 | organisation F1 | place F1 | role accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for name, scores in figures.items():
        for split in ("dev", "test"):
            s = scores[split]
            lines.append(f"| {name} | {split} | {s.kinds['person'].f1:.3f} | {s.kinds['organisation'].f1:.3f} | "
                         f"{s.kinds['place'].f1:.3f} | {s.role_accuracy:.3f} |")
    lines += ["", "Loss per epoch: " + ", ".join(f"{x:.0f}" for x in info["losses"]) + "."]
    return "\n".join(lines) + "\n"


@train_app.command("roles")
def train_roles(
    gold: ActorGoldOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same data and seed give the same model.")] = 0,
) -> None:
    """Train the role classifier on the dev and train passages, write it and its model card to models/roles/,
    and print its cross-validation and `eval actors` role figures."""
    from pipelines import role_classifier as rc
    from pipelines.actors import normalise
    from pipelines.actors_eval import predictions, score_splits, scored
    from pipelines.analysis import actor_extractor
    from pipelines.classifier import save_model

    settings = _settings()
    paths = gold or [p for p in (GOLD_ACTORS, GOLD_ACTORS_TRAIN) if p.exists()]
    passages = rc.without_test_copies(_actor_gold(paths))
    examples, lost = rc.examples_of(passages)
    development = [p for p in passages if rc.passage_split(p) in rc.DEVELOPMENT_SPLITS]
    try:
        rules = actor_extractor(settings, roles=None)
    except PatrimoineError as exc:
        _fail(str(exc))
    by_rules = predictions(development, rules.predict)
    given = {(pid, normalise(name), kind): role for pid, p in by_rules.items() for name, kind, role in p.actors}
    rule_roles = {
        i: given.get((e.passage_id, normalise(e.surface), e.context.kind))
        for i, e in enumerate(x for x in examples if x.split in rc.DEVELOPMENT_SPLITS)
    }
    try:
        model = rc.train(examples, seed=seed, rule_roles=rule_roles)
    except ValueError as exc:
        _fail(str(exc))
    evaluated = scored(passages)
    with_classifier = actor_extractor(settings, roles=rc.RoleClassifier(model))
    before = score_splits(evaluated, predictions(evaluated, rules.predict))
    after = score_splits(evaluated, predictions(evaluated, with_classifier.predict))
    evaluation = {
        split: {"rules": before[split].role_accuracy, "classifier": after[split].role_accuracy,
                "scored": after[split].roles_total}
        for split in ("dev", "test")
    }
    model.info["eval_actors"] = evaluation
    directory = Path(settings.models_dir) / rc.MODEL_DIR
    path = save_model(model, directory, rc.MODEL_FILE)
    (directory / "MODEL_CARD.md").write_text(rc.model_card(model, evaluation), encoding="utf-8")
    chosen = model.info["chosen"]
    trained_on = sum(e.split in rc.DEVELOPMENT_SPLITS for e in examples)
    typer.echo(
        f"trained on {trained_on} mentions of {len(development)} passages ({lost} gold mentions not found in their "
        f"text); cross-validation: window {chosen['window']}, C={chosen['c']:g}, threshold {chosen['threshold']:.3f}, "
        f"accuracy {chosen['accuracy']:.3f}, role precision {chosen['role_precision']:.3f}"
    )
    for split, e in evaluation.items():
        typer.echo(f"{split}: role accuracy {e['rules']:.3f} with the rules alone, {e['classifier']:.3f} with the "
                   f"classifier ({e['scored']} roles scored)")
    typer.echo(f"model {model.version} written to {path}")


@eval_app.command("tags")
def eval_tags(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold",
            help="Gold passages (JSONL with labels and split). The default file is scored on its test split only; "
            "any other file (e.g. held-out passages) on all its passages, whatever their split.",
        ),
    ] = GOLD_TAGS,
    as_json: JsonOption = False,
) -> None:
    """Per-label precision, recall and F1 of the trained tagger and of the zero-shot baseline, on all passages and on
    the real ones only (written ones left out), and the share of routine passages tagged."""
    from pipelines.classifier import TrainedTagger, load_tagger
    from pipelines.embedding import load_embedder
    from pipelines.tagging import Taxonomy, ZeroShotTagger
    from pipelines.training import evaluate

    settings = _settings()
    taxonomy = Taxonomy.from_file(Path(settings.models_dir) / "taxonomy.yaml")
    labels = [label.id for label in taxonomy.labels]
    model = load_tagger(Path(settings.models_dir) / "tagger")
    if model is None:
        _fail("no trained tagger in models/tagger/: run `patrimoine train tagger` first")
    whole_file = gold.resolve() != GOLD_TAGS.resolve()
    passages = [p for p in _gold(gold) if whole_file or p.split == "test"]
    if not passages:
        _fail(f"{gold}: no passage to evaluate")
    real = [p for p in passages if not p.written]
    embedder = load_embedder(model.embedding_model, batch_size=settings.embedding_batch_size)
    trained = TrainedTagger(model, embedder)
    zero_shot = ZeroShotTagger(taxonomy, embedder)
    results = {}
    for name, predict in (("trained", lambda t: trained.predict(t, evidence=False)), ("zero_shot", zero_shot.predict)):
        results[name] = evaluate(predict, passages, labels=labels, thresholds=model.thresholds if name == "trained" else None)
        results[name + "_real"] = evaluate(predict, real, labels=labels) if real else None
    scope = "all passages" if whole_file else "test split"
    if as_json:
        figures = {k: v.as_dict() for k, v in results.items() if v is not None}
        typer.echo(json.dumps({"model": model.version, "gold": str(gold), "scope": scope, **figures}, indent=2))
        return
    typer.echo(f"{scope} of {gold}: {len(passages)} passages ({len(real)} from real documents); model {model.version}")
    typer.echo(f"{'':6} {'all passages':^23}   {'real passages only':^23}   zero-shot F1")
    typer.echo(f"{'label':6} {'P':>5} {'R':>5} {'F1':>5} {'n':>5}   {'P':>5} {'R':>5} {'F1':>5} {'n':>5}   {'all':>5} {'real':>5}")
    for j, label in enumerate(labels):
        row = [results[name].labels[j] if results[name] else None for name in ("trained", "trained_real")]
        cells = [f"{m.precision:5.2f} {m.recall:5.2f} {m.f1:5.2f} {m.support:5d}" if m else f"{'-':>23}" for m in row]
        baseline = [f"{results[name].labels[j].f1:5.2f}" if results[name] else f"{'-':>5}" for name in ("zero_shot", "zero_shot_real")]
        typer.echo(f"{label:6} {cells[0]}   {cells[1]}   {' '.join(baseline)}")
    for name in ("trained", "zero_shot"):
        every, real_only = results[name], results[name + "_real"]
        real_figure = f"{real_only.macro_f1:.3f}" if real_only else "-"
        typer.echo(
            f"{name}: macro-F1 {every.macro_f1:.3f} all passages, {real_figure} real passages only; routine passages "
            f"of documents (no label) tagged {every.routine_tagged:.1%} of {every.routine_passages}; unlabelled "
            f"referential paragraphs tagged {every.near_miss_tagged:.1%} of {every.near_miss_passages}"
        )


@eval_app.command("agreement")
def eval_agreement(
    second: Annotated[
        Path, typer.Option("--second", help='A second annotator\'s labels: JSONL of {"id", "labels"} (e.g. '
                           "corpus/gold/agreement/second_annotator.jsonl).")
    ],
    gold: Annotated[
        Path, typer.Option("--gold", help="The first annotator's gold passages (JSONL with labels).")
    ] = GOLD_TAGS,
    show_disagreements: Annotated[
        bool, typer.Option("--disagreements", help="Also list the passages labelled differently, with both label sets.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Agreement of a second annotator with the gold labels on the passages of --second: per label Cohen's kappa, F1
    of the second against the first and each one's positives; macro-F1 and mean kappa; all passages and real ones."""
    from pipelines.agreement import agreement, disagreements, parse_annotations
    from pipelines.errors import InvalidAnnotations

    labels = _labels(_settings())
    passages = _gold(gold)
    first = {p.id: p.labels for p in passages}
    written = {p.id for p in passages if p.written}
    try:
        lines = second.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        _fail(f"{second}: {exc}")
    try:
        annotated = parse_annotations(lines, labels=labels, origin=str(second))
        ids = list(annotated)
        real = [i for i in ids if i not in written]
        scores = {"all": agreement(first, annotated, labels=labels, ids=ids)}
        if real:
            scores["real"] = agreement(first, annotated, labels=labels, ids=real)
    except InvalidAnnotations as exc:
        _fail(str(exc))
    differing = disagreements(first, annotated, ids=ids)
    if as_json:
        figures = {scope: s.as_dict() for scope, s in scores.items()}
        listing = [{"id": i, "first": a, "second": b} for i, a, b in differing]
        report = {"gold": str(gold), "second": str(second), **figures, "disagreements": listing}
        typer.echo(json.dumps(report, indent=2))
        return

    def figure(value: float | None) -> str:
        return f"{value:6.2f}" if value is not None else f"{'-':>6}"

    typer.echo(f"{second} against {gold}: {len(ids)} passages ({len(real)} from real documents)")
    typer.echo(f"{'':6} {'all passages':^32}   {'real passages only':^32}")
    typer.echo(f"{'label':6}" + f" {'kappa':>6} {'F1':>6} {'first':>6} {'second':>6} {'both':>5}  " * 2)
    for j, label in enumerate(labels):
        cells = []
        for scope in ("all", "real"):
            m = scores[scope].labels[j] if scope in scores else None
            cells.append(
                f"{figure(m.kappa)} {figure(m.f1)} {m.first:6d} {m.second:6d} {m.both:5d}" if m else f"{'-':>32}"
            )
        typer.echo(f"{label:6} {cells[0]}   {cells[1]}")
    for scope, s in scores.items():
        typer.echo(
            f"{scope} passages: macro-F1 {figure(s.macro_f1).strip()}, mean kappa {figure(s.mean_kappa).strip()}; "
            f"{s.identical} of {s.passages} passages given the same labels by both annotators"
        )
    if show_disagreements:
        for passage_id, a, b in differing:
            typer.echo(f"{passage_id}: first {', '.join(a) or 'none'}; second {', '.join(b) or 'none'}")
    typer.echo(f"{len(ids)} passages compared, {len(differing)} labelled differently")


@tags_app.command("set")
def tags_set(
    passage_id: Annotated[str, typer.Argument(help="The passage's id (as in search hits).")],
    labels: Annotated[list[str] | None, typer.Argument(help="Its labels, e.g. F2 O1.")] = None,
    no_label: Annotated[bool, typer.Option("--none", help="The passage has no label.")] = False,
) -> None:
    """Set a passage's tags by hand; the correction follows the passage's text across re-ingestion (and applies
    to the same text in any stored document) and joins the next training."""
    from pipelines import catalog

    settings = _settings()
    chosen = sorted({label.upper() for label in labels or []})
    if not chosen and not no_label:
        _fail("give the passage's labels (e.g. F2 O1), or --none for no label")
    if chosen and no_label:
        _fail(f"--none says no label, yet {', '.join(chosen)} given: choose one")
    unknown = sorted(set(chosen) - set(_labels(settings)))
    if unknown:
        _fail(f"unknown labels: {', '.join(unknown)} (use {', '.join(_labels(settings))})")
    conn = catalog.connect(settings.catalog_path)
    try:
        previous, applied = catalog.correct_tags(conn, passage_id, chosen)
    except KeyError:
        _fail(f"no passage {passage_id} in the catalog of {settings.home}")
    finally:
        conn.close()
    typer.echo(
        f"{passage_id}: {', '.join(chosen) or 'no label'} (was: {', '.join(previous) or 'no label'}); 1 correction kept, "
        f"applied to {applied} stored passage{'s' if applied > 1 else ''} with this text"
    )


@app.command()
def retag(as_json: JsonOption = False) -> None:
    """Tag the stored passages again with the current tagger, without reading files (one Prefect flow run)."""
    settings = _settings()
    configure_prefect(settings)
    from pipelines.flows import retag as retag_flow

    report = retag_flow()
    if as_json:
        _print_json(report)
        return
    typer.echo(
        f"{report.passages_retagged} passages re-tagged with {report.tagger_version}, {report.passages_changed} changed; "
        f"{report.passages_corrected_kept} corrected by staff kept"
    )


if __name__ == "__main__":  # pragma: no cover
    app()
