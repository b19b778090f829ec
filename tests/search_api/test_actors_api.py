"""GET /actors and /actors/{id} over the session's ingested home (sample corpus and seeds)."""

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.cli import app as cli
from pipelines.text import fold
from search_api.app import create_app


@pytest.fixture
def client(ingested):
    return TestClient(create_app())


def _actors(client, **params):
    response = client.get("/actors", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_actors_are_listed_like_the_cli_with_counts_dates_and_tags(client):
    listed = _actors(client)
    assert listed["limit"] == 50 and listed["offset"] == 0 and listed["total"] >= len(listed["actors"]) > 0
    for actor in listed["actors"]:
        assert set(actor) >= {"actor_id", "name", "kind", "role", "aliases", "mentions", "document_count",
                              "documents", "first_seen", "last_seen", "tags"}
        assert actor["document_count"] == len(actor["documents"]) >= 1
        assert actor["first_seen"] is None or actor["first_seen"] <= actor["last_seen"]
    mentions = [a["mentions"] for a in listed["actors"]]
    assert mentions == sorted(mentions, reverse=True)
    cli_output = CliRunner().invoke(cli, ["actors", "--limit", "50", "--json"])
    assert cli_output.exit_code == 0 and json.loads(cli_output.stdout) == listed


def test_actors_filters_and_pages(client):
    people = _actors(client, kind="person", limit=1000)
    assert people["actors"] and {a["kind"] for a in people["actors"]} == {"person"}
    elected = _actors(client, role="elu", limit=1000)["actors"]
    assert "Hélène Marchadier" in {a["name"] for a in elected} and {a["role"] for a in elected} == {"elu"}
    for query in ("marchadier", "HELENE MARCH", "hélène"):
        assert "Hélène Marchadier" in {a["name"] for a in _actors(client, q=query)["actors"]}
    held = _actors(client, q="helene", limit=1000)["actors"]
    assert all(any("helene" in fold(n) for n in [a["name"], *a["aliases"]]) for a in held)
    everyone = _actors(client, limit=1000)
    document = everyone["actors"][0]["documents"][0]["document_id"]
    in_document = _actors(client, document=document, limit=1000)
    assert 0 < in_document["total"] < everyone["total"]
    assert all(document in [d["document_id"] for d in a["documents"]] for a in in_document["actors"])
    first, second = _actors(client, limit=2), _actors(client, limit=2, offset=2)
    assert [a["actor_id"] for a in first["actors"] + second["actors"]] == [
        a["actor_id"] for a in everyone["actors"][:4]
    ]
    assert first["total"] == second["total"] == everyone["total"] == len(everyone["actors"])
    for bad in ({"kind": "animal"}, {"role": "ministre"}, {"limit": 0}, {"offset": -1}):
        assert client.get("/actors", params=bad).status_code == 422


def test_an_actor_with_its_role_source_and_mentions(client):
    [listed] = [a for a in _actors(client, q="Hélène Marchadier")["actors"] if a["name"] == "Hélène Marchadier"]
    response = client.get(f"/actors/{listed['actor_id']}")
    assert response.status_code == 200
    actor = response.json()
    assert actor["name"] == "Hélène Marchadier" and actor["role"] == "elu" and actor["role_evidence"]
    assert len(actor["mentioned_in"]) == actor["mentions"] == listed["mentions"]
    source = actor["role_source"]
    assert source["set_by"] == "document" and source["mention"] in actor["mentioned_in"]
    assert source["mention"]["role"] == "elu" and source["mention"]["title"]
    for mention in actor["mentioned_in"]:
        assert mention["title"] and mention["document_id"] in [d["document_id"] for d in actor["documents"]]
        assert fold(mention["surface"]) in fold(mention["sentence"])
    paged = client.get(f"/actors/{listed['actor_id']}", params={"limit": 1, "offset": 1}).json()
    assert paged["mentioned_in"] == actor["mentioned_in"][1:2]
    assert client.get("/actors/999999").status_code == 404


def test_mentions_give_the_page_of_paged_documents_and_the_speaker_of_transcripts(client):
    everyone = _actors(client, limit=1000)["actors"]
    pages = speakers = 0
    for listed in everyone[:15]:
        for mention in client.get(f"/actors/{listed['actor_id']}").json()["mentioned_in"]:
            pages += mention["page"] is not None
            speakers += mention["speaker"] is not None and mention["start_s"] is not None
    assert pages and speakers
