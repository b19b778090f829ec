import pytest
from fastapi.testclient import TestClient

from pipelines.flows import ingest
from search_api.app import create_app
from tests.conftest import TRANSCRIPT


@pytest.fixture
def passage_id(home, copy_file):
    ingest([str(copy_file(TRANSCRIPT))])
    client = TestClient(create_app())
    document = client.get("/search", params={"q": "conflits", "k": 1}).json()["hits"][0]
    return document["passage_id"]


@pytest.mark.parametrize("token", [None, "", "  "])  # an empty line of an environment file is no token
def test_admin_endpoints_are_off_without_a_token(passage_id, monkeypatch, token):
    if token is not None:
        monkeypatch.setenv("PATRIMOINE_ADMIN_TOKEN", token)
    for header in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {token or ''}"}):
        response = TestClient(create_app()).put(f"/admin/passages/{passage_id}/tags", json={"labels": ["F2"]},
                                                headers=header)
        assert response.status_code == 404
        assert "PATRIMOINE_ADMIN_TOKEN" in response.json()["detail"]


def test_a_correction_needs_the_token_and_shows_as_corrected(passage_id, monkeypatch):
    monkeypatch.setenv("PATRIMOINE_ADMIN_TOKEN", "s3cret")
    client = TestClient(create_app())
    url = f"/admin/passages/{passage_id}/tags"
    assert client.put(url, json={"labels": ["F2"]}).status_code == 401
    assert client.put(url, json={"labels": ["F2"]}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": "Bearer s3cret"}
    assert client.put(url, json={"labels": ["F9"]}, headers=auth).status_code == 422
    assert client.put("/admin/passages/nope-0001/tags", json={"labels": ["F2"]}, headers=auth).status_code == 404
    response = client.put(url, json={"labels": ["o1", "F2"]}, headers=auth)
    assert response.status_code == 200
    assert response.json()["labels"] == ["F2", "O1"]
    document = client.get(f"/documents/{passage_id.rsplit('-', 1)[0]}").json()
    passage = next(p for p in document["passages"] if p["passage_id"] == passage_id)
    assert [(t["id"], t["corrected"]) for t in passage["tags"]] == [("F2", True), ("O1", True)]
    assert {t["id"] for t in document["tags"]} >= {"F2", "O1"}  # tags rolled up on the document
