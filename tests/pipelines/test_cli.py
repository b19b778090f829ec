import json

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.conftest import TRANSCRIPT

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("command", [
    "ingest", "search", "analyze", "actors", "stats", "serve", "eval search", "practices", "practices candidates",
    "practices promote", "initiatives", "eval agreement", "runs", "schedule",
])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert "--help" in result.stdout


def test_ingest_json_shape_and_human_summary(home, copy_file):
    path = copy_file(TRANSCRIPT)
    report = _json(["ingest", str(path), str(path.parent / "absent.txt")])
    assert set(report) >= {
        "run_id", "documents_seen", "documents_ingested", "documents_unchanged",
        "documents_failed", "passages_indexed", "failures",
    }
    assert report["documents_ingested"] == 1 and report["documents_failed"] == 1
    assert report["failures"][0]["path"].endswith("absent.txt") and report["failures"][0]["error"]
    again = runner.invoke(app, ["ingest", str(path)])
    assert again.exit_code == 0
    assert "1 documents seen, 0 ingested, 1 unchanged" in again.stdout

    runs = _json(["runs"])  # the reports of both runs, the most recent first
    assert runs["total"] == 2 and [r["report"]["documents_ingested"] for r in runs["runs"]] == [0, 1]
    assert runs["runs"][1]["report"]["failures"] == report["failures"]
    listed = runner.invoke(app, ["runs", "--limit", "1"]).stdout.splitlines()
    assert listed[0].startswith(f"run {runs['runs'][0]['run_id']} ") and "completed, by hand" in listed[0]
    assert listed[-1] == "1 of 2 runs shown"


def test_search_json_shape(ingested):
    response = _json(["search", "groupes de pairs pour les élus", "-k", "3"])
    assert response["query"] == "groupes de pairs pour les élus"
    assert len(response["hits"]) == 3
    hit = response["hits"][0]
    assert set(hit) >= {
        "passage_id", "document_id", "title", "source_path", "page", "text", "score", "tags", "actors",
        "speaker", "start_s",
    }
    for tag in hit["tags"]:
        assert set(tag) >= {"id", "score"}
    for actor in hit["actors"]:
        assert set(actor) >= {"name", "kind", "role"}


def test_stats_and_actors(ingested):
    stats = _json(["stats"])
    assert stats["documents"] == 5 and stats["passages"] == stats["vectors"] > 0 and stats["runs"] >= 1
    actors = _json(["actors"])["actors"]
    names = {a["name"]: a for a in actors}
    assert names["Hélène Marchadier"]["role"] == "elu"
    assert names["Hélène Marchadier"]["mentions"] >= 2
    assert all(set(a) >= {"name", "kind", "role", "aliases", "mentions", "documents"} for a in actors)


def test_analyze_one_line_out_per_line_in(tmp_path, home):
    source = tmp_path / "textes.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "Le conseil approuve le procès-verbal de la séance précédente."}) + "\n"
        + json.dumps({"id": 7, "text": "Marie Dupont, maire de Saint-Vallier, anime une communauté apprenante."}) + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["analyze", str(source), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 7]
    assert all(set(line) == {"id", "tags", "actors", "practices"} for line in lines)
    assert {"name": "Marie Dupont", "kind": "person", "role": "elu"} in lines[1]["actors"]
    assert {"name": "communauté apprenante"} in lines[1]["practices"]


def test_analyze_bad_line_names_the_file_and_line(tmp_path, home):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(source)])
    assert result.exit_code == 1
    assert "bad.jsonl: line 1" in result.stderr


def test_search_formats_text_json_and_csv(ingested):
    import csv
    import io

    question = "médiation sur le parc éolien"
    as_json = _json(["search", question, "-k", "3"])
    as_format_json = runner.invoke(app, ["search", question, "-k", "3", "--format", "json"])
    assert json.loads(as_format_json.stdout) == as_json
    as_csv = runner.invoke(app, ["search", question, "-k", "3", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["text"] for row in rows] == [hit["text"] for hit in as_json["hits"]]
    assert all(row["citation"].startswith(row["title"]) for row in rows)
    assert [row["citation"] for row in rows] == [hit["citation"] for hit in as_json["hits"]]  # the same citations
    text = runner.invoke(app, ["search", question, "-k", "3"])
    assert text.stdout.startswith("1. [") and rows[0]["citation"] in text.stdout
    total = as_json["total"]
    assert text.stdout.rstrip().endswith(f"3 hits shown; {total} hits in all, page 1 of {-(-total // 3)}")
    assert runner.invoke(app, ["search", question, "--format", "xml"]).exit_code == 2
    grouped = runner.invoke(app, ["search", question, "--group", "document", "--per-page", "2", "--format", "csv"])
    documents = list(csv.DictReader(io.StringIO(grouped.stdout)))  # one row per document of the page
    titles = [g["title"] for g in _json(["search", question, "--group", "document", "--per-page", "2"])["groups"]]
    assert [row["title"] for row in documents] == titles and len(titles) == 2 and "passages" in documents[0]


def test_search_takes_the_filters_and_pages_of_the_api(ingested):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    question = "conflits autour du projet éolien"
    options = ["--tag", "F2", "--tag", "F4", "--date-from", "2024", "--doc-type", "acte", "--doc-type", "transcription",
               "--per-page", "2", "--page", "2"]
    cli = _json(["search", question, *options])
    api = TestClient(create_app()).get("/search", params={
        "q": question, "tag": ["F2", "F4"], "date_from": "2024", "doc_type": ["acte", "transcription"], "per_page": 2,
        "page": 2,
    }).json()
    assert cli == api and cli["page"] == 2 and len(cli["hits"]) == 2 and cli["total"] > 4
    assert all({"F2", "F4"} & {t["id"] for t in hit["tags"]} and hit["doc_type"] in ("acte", "transcription")
               for hit in cli["hits"])
    facets = _json(["search", question, "-k", "50"])["facets"]
    for name in ("actor", "role", "practice", "territory", "source"):
        value, count = facets[name][0]["value"], facets[name][0]["count"]
        filtered = _json(["search", question, f"--{name}", value.upper() if name == "actor" else value, "-k", "50"])
        assert filtered["total"] == count and len(filtered["hits"]) == min(count, 50), name
    pact = _json(["search", "PACT2 et les tiers-lieux", "--initiative", "PACT2", "-k", "50"])
    assert pact["total"] >= 1 and {"value": "PACT2", "count": pact["total"]} in pact["facets"]["initiative"]
    grouped = runner.invoke(app, ["search", question, "--group", "document", "--per-page", "2"])
    assert grouped.exit_code == 0, grouped.output
    assert grouped.stdout.startswith("1. ") and "\n  - [" in grouped.stdout
    assert grouped.stdout.rstrip().endswith("documents in all, page 1 of 3")
    bad = runner.invoke(app, ["search", question, "--date-from", "mars", "--page", "0"])
    assert bad.exit_code == 2
    assert bad.stderr == (
        "error: date_from: 'mars' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD; page: Input should be "
        "greater than or equal to 1\n"
    )
    help_text = runner.invoke(app, ["search", "--help"], env={"COLUMNS": "200"}).stdout
    for option in ("--tag", "--doc-type", "--date-from", "--date-to", "--territory", "--actor", "--role", "--practice",
                   "--initiative", "--source", "--page", "--per-page", "--group"):
        assert option in help_text
    assert "Actor names (any of them, accents and case ignored). Repeat the option for several." in help_text


def test_a_model_that_cannot_load_stops_the_run_instead_of_failing_every_file(home, copy_file, monkeypatch):
    monkeypatch.setenv("PATRIMOINE_SPACY_MODEL", "bogus_model")
    result = CliRunner().invoke(app, ["ingest", str(copy_file(TRANSCRIPT))])
    assert result.exit_code == 1, result.output
    assert "the ingestion could not run: spaCy model 'bogus_model' is not installed" in result.output
    runs = json.loads(CliRunner().invoke(app, ["runs", "--json"]).output)["runs"]
    assert [run["status"] for run in runs] == ["crashed"]


def test_sigterm_stops_an_ingestion_with_its_prefect_server(home, copy_file):
    """A service manager's SIGTERM is the clean stop of Ctrl-C: the run is marked crashed, and the temporary
    Prefect server the command started does not outlive it."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.conftest import CORPUS

    folder = copy_file(TRANSCRIPT).parent
    for path in sorted(CORPUS.iterdir()):
        copy_file(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    process = subprocess.Popen([str(Path(sys.executable).parent / "patrimoine"), "ingest", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    marker = f"PATRIMOINE_HOME={home}".encode()

    def ours() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int(entry.name) != process.pid and \
                        marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
        return found

    deadline = time.monotonic() + 180
    while not ours() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)  # the temporary Prefect server has started
    time.sleep(3)
    assert process.poll() is None, process.stdout.read()
    process.send_signal(signal.SIGTERM)
    said = process.communicate(timeout=120)[0]
    assert process.returncode == 130, said
    assert "interrupted: the run is marked crashed" in said
    time.sleep(5)
    assert ours() == [], "a process of this ingestion outlived it"


def test_tags_set_refuses_labels_with_none(home):
    result = CliRunner().invoke(app, ["tags", "set", "any-0001", "F1", "--none"])
    assert result.exit_code == 1 and "--none says no label, yet F1 given" in result.output
