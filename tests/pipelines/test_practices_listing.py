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


def test_practices_of_one_document(ingested):
    every = json.loads(CliRunner().invoke(cli, ["practices", "--json"]).stdout)["practices"]
    document = every[0]["documents"][0]
    result = CliRunner().invoke(cli, ["practices", "--document", document, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["practices"]
    assert found and all(p["documents"] == [document] for p in found)
    assert {p["name"] for p in found} < {p["name"] for p in every}
    assert sum(p["passages"] for p in found) < sum(p["passages"] for p in every)
    api = TestClient(create_app()).get("/practices", params={"document": document}).json()["practices"]
    assert api == found
