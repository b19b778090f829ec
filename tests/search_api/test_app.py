import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.cli import app as cli
from search_api.app import create_app


@pytest.fixture
def client(ingested):
    return TestClient(create_app())


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["documents"] == 5 and body["vectors"] == body["passages"]


def test_search_answers_like_the_cli(client):
    question = "médiation sur le parc éolien"
    api = client.get("/search", params={"q": question, "k": 4}).json()
    result = CliRunner().invoke(cli, ["search", question, "-k", "4", "--json"])
    assert result.exit_code == 0
    assert api == json.loads(result.stdout)
    assert len(api["hits"]) == 4


def test_search_validates_k(client):
    assert client.get("/search", params={"q": "eau", "k": 0}).status_code == 422


def test_document_and_404(client):
    hit = client.get("/search", params={"q": "journées d'initiation", "k": 1}).json()["hits"][0]
    document = client.get(f"/documents/{hit['document_id']}").json()
    assert document["document_id"] == hit["document_id"]
    assert document["title"] == hit["title"]
    assert document["language"] == "fr" and document["territory"] == hit["territory"]
    assert hit["passage_id"] in [p["passage_id"] for p in document["passages"]]
    assert [p["ordinal"] for p in document["passages"]] == sorted(p["ordinal"] for p in document["passages"])
    missing = client.get("/documents/0000000000000000")
    assert missing.status_code == 404


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    assert "/search" in client.get("/openapi.json").json()["paths"]


def test_french_page_shows_hits_of_the_query(client):
    empty = client.get("/")
    assert empty.status_code == 200
    assert '<html lang="fr">' in empty.text and "<form" in empty.text and "Rechercher" in empty.text
    page = client.get("/", params={"q": "journées d'initiation à l'approche systémique"})
    assert "Rapport d’activité 2023" in page.text
    assert "p. 2" in page.text
    assert "Communauté de communes du Val de Vérlane" in page.text  # the territory read from the report
    assert "résultat" in page.text


def test_page_escapes_the_query(client):
    page = client.get("/", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
