"""Admin endpoints of actor curation and practice promotion: the CLI's curation, behind the admin token,
kept across re-ingestion; over a real ingested home."""

import pytest
from fastapi.testclient import TestClient

from pipelines.flows import ingest
from search_api.app import create_app

TEXT = (
    "Compte rendu de la réunion du 12 mars 2024.\n\n"
    "Marie Dupont, maire de Saint-Vallier, a signé la convention avec l'Association de Promotion de la "
    "Fabrique des transitions (APFDT). Paul Martin, chargé de mission à la communauté de communes, présente "
    "le diagnostic. La DDT accompagne le projet. Deux marches exploratoires ont réuni les habitants.\n"
)
AUTH = {"Authorization": "Bearer s3cret"}


@pytest.fixture
def source(home, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "reunion.txt"
    path.write_text(TEXT, encoding="utf-8")
    report = ingest([str(folder)])
    assert report.documents_ingested == 1
    return path


def _ids(client) -> dict[str, dict]:
    return {a["name"]: a for a in client.get("/actors", params={"limit": 1000}).json()["actors"]}


def test_curation_endpoints_are_off_without_a_token(source):
    client = TestClient(create_app())
    actor_id = _ids(client)["Marie Dupont"]["actor_id"]
    calls = [
        ("post", f"/admin/actors/{actor_id}/merge", {"into": actor_id}),
        ("post", f"/admin/actors/{actor_id}/rename", {"name": "X"}),
        ("post", f"/admin/actors/{actor_id}/ignore", None),
        ("put", f"/admin/actors/{actor_id}/role", {"role": "elu"}),
        ("post", "/admin/practices", {"name": "marche exploratoire"}),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=AUTH)
        assert response.status_code == 404 and "PATRIMOINE_ADMIN_TOKEN" in response.json()["detail"], url


def test_staff_curate_actors_through_the_api_and_it_survives_reingestion(source, monkeypatch):
    monkeypatch.setenv("PATRIMOINE_ADMIN_TOKEN", "s3cret")
    client = TestClient(create_app())
    actors = _ids(client)
    paul, marie = actors["Paul Martin"]["actor_id"], actors["Marie Dupont"]["actor_id"]
    long_form = actors["Association de Promotion de la Fabrique des transitions"]["actor_id"]
    ddt, place = actors["DDT"]["actor_id"], actors["Saint-Vallier"]["actor_id"]

    role_url = f"/admin/actors/{paul}/role"
    assert client.put(role_url, json={"role": "etat"}).status_code == 401
    assert client.put(role_url, json={"role": "etat"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    bad_role = client.put(role_url, json={"role": "ministre"}, headers=AUTH)
    assert bad_role.status_code == 422 and "unknown role 'ministre'" in bad_role.json()["detail"]
    assert client.put("/admin/actors/999999/role", json={"role": "etat"}, headers=AUTH).status_code == 404
    assert client.post(f"/admin/actors/{ddt}/merge", json={"into": 999999}, headers=AUTH).status_code == 404
    assert client.post(f"/admin/actors/{ddt}/merge", json={"into": ddt}, headers=AUTH).status_code == 422
    kinds = client.post(f"/admin/actors/{ddt}/merge", json={"into": place}, headers=AUTH)
    assert kinds.status_code == 422 and "kinds differ" in kinds.json()["detail"]
    assert client.post(f"/admin/actors/{marie}/rename", json={"name": ""}, headers=AUTH).status_code == 422

    changed = client.put(role_url, json={"role": "etat"}, headers=AUTH).json()
    assert changed["message"] == "role of Paul Martin (person, 1 mentions): agent -> etat; 1 curation recorded"
    detail = client.get(f"/actors/{paul}").json()
    assert detail["role"] == "etat" and detail["role_source"] == {"set_by": "curation", "mention": None}
    renamed = client.post(f"/admin/actors/{marie}/rename", json={"name": "Marie Dupont-Vallier"}, headers=AUTH).json()
    assert renamed["actor_id"] == marie and renamed["name"] == "Marie Dupont-Vallier"
    ignored = client.post(f"/admin/actors/{place}/ignore", headers=AUTH).json()
    assert ignored["action"] == "ignore" and client.get(f"/actors/{place}").status_code == 404
    merged = client.post(f"/admin/actors/{ddt}/merge", json={"into": long_form}, headers=AUTH).json()
    assert merged["actor_id"] == long_form and "merged DDT" in merged["message"]

    source.write_text(TEXT + "\nMarie Dupont conclut la séance.\n", encoding="utf-8")  # re-ingestion
    assert ingest([str(source.parent)]).documents_ingested == 1
    actors = _ids(client)
    assert "Marie Dupont" not in actors and actors["Marie Dupont-Vallier"]["role"] == "elu"
    assert actors["Paul Martin"]["role"] == "etat" and "Saint-Vallier" not in actors and "DDT" not in actors
    assert "DDT" in actors["Association de Promotion de la Fabrique des transitions"]["aliases"]


def test_staff_promote_a_practice_through_the_api(source, monkeypatch):
    monkeypatch.setenv("PATRIMOINE_ADMIN_TOKEN", "s3cret")
    client = TestClient(create_app())
    body = {"name": "marche exploratoire", "definition": "Parcours d'un quartier avec ses habitants.", "synonyms": []}
    assert client.post("/admin/practices", json=body).status_code == 401
    shipped = client.post("/admin/practices", json={"name": "Budget participatif"}, headers=AUTH)
    assert shipped.status_code == 422 and "models/practices.yaml" in shipped.json()["detail"]
    assert client.post("/admin/practices", json={"name": "x"}, headers=AUTH).status_code == 422
    promoted = client.post("/admin/practices", json=body, headers=AUTH)
    assert promoted.status_code == 200
    assert promoted.json()["passages"] == 1 and len(promoted.json()["documents"]) == 1
    practice = {p["name"]: p for p in client.get("/practices").json()["practices"]}["marche exploratoire"]
    assert practice["staff"] and practice["definition"] == body["definition"] and practice["passages"] == 1
