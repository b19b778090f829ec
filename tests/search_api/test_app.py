import json
import re

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
    assert "p.\u00a02" in page.text  # a no-break space after "p."
    assert "Communauté de communes du Val de Vérlane" in page.text  # the territory read from the report
    assert "résultat" in page.text


def test_page_escapes_the_query(client):
    page = client.get("/", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def _csv_rows(text):
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


def test_search_csv_exports_the_hits_with_citations(client):
    question = "journées d'initiation à l'approche systémique"
    api = client.get("/search", params={"q": question, "k": 5}).json()
    response = client.get("/search.csv", params={"q": question, "k": 5})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="patrimoine-recherche-journees-d-initiation-a-l-approche-systemique.csv"' in (
        response.headers["content-disposition"]
    )
    rows = _csv_rows(response.content.decode("utf-8-sig"))
    assert list(rows[0]) == [
        "rank", "score", "citation", "title", "source_file", "page", "page_end", "speaker", "start_s",
        "date", "territory", "doc_type", "tags", "text",
    ]
    assert [row["text"] for row in rows] == [hit["text"] for hit in api["hits"]]
    assert [row["rank"] for row in rows] == [str(i) for i in range(1, 6)]
    top = rows[0]
    assert top["citation"] == f"{top['title']}, p. 2"
    assert top["source_file"] == "rapport-activite-2023-cooperative-transitions.pdf"
    assert top["tags"] == " ".join(t["id"] for t in api["hits"][0]["tags"])


def test_search_csv_cites_transcripts_by_speaker_and_time(client):
    rows = _csv_rows(client.get("/search.csv", params={"q": "réduit nos prélèvements de 30 %", "k": 3}).text.lstrip("\ufeff"))
    transcript = next(row for row in rows if row["speaker"])
    assert transcript["page"] == ""
    assert re.fullmatch(r".+, .+ à \d\d:\d\d:\d\d", transcript["citation"])


def test_page_links_to_the_csv_export_with_its_filters(client):
    page = client.get("/", params={"q": "parc éolien", "tag": "F2", "per_page": 3})
    assert 'href="/search.csv?q=parc+%C3%A9olien&amp;tag=F2&amp;k=3"' in page.text
    csv_text = client.get("/search.csv", params={"q": "parc éolien", "tag": "F2", "k": 3}).text
    assert csv_text.count("\n") >= 2 and all("F2" in line for line in csv_text.splitlines()[1:] if line.startswith(("1,", "2,", "3,")))
