import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.cli import app as cli
from search_api.app import create_app


def test_practices_are_listed_with_definitions_counts_and_tags(ingested):
    result = CliRunner().invoke(cli, ["practices", "--json"])
    assert result.exit_code == 0, result.output
    practices = {p["name"]: p for p in json.loads(result.stdout)["practices"]}
    peers = practices["groupe de pairs"]
    assert peers["passages"] >= 1 and peers["documents"]
    assert peers["definition"] and peers["definition"].startswith("Groupe d'acteurs")
    counts = [p["passages"] for p in practices.values()]
    assert counts == sorted(counts, reverse=True)
    assert TestClient(create_app()).get("/practices").json() == json.loads(result.stdout)
    text = CliRunner().invoke(cli, ["practices"])
    assert text.stdout.strip().endswith(f"{len(practices)} practices")
