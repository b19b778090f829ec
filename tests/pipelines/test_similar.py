import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pipelines import query
from pipelines.cli import app as cli
from pipelines.errors import NotFound
from pipelines.similar import Profile, rank, same_territory, territory_kind
from tests.conftest import ACTE, RAPPORT, TRANSCRIPT


@pytest.mark.parametrize(
    ("territory", "kind"),
    [
        ("Communauté de communes du Val de Vérlane", "intercommunalite"),
        ("Dinan Agglomération", "intercommunalite"),
        ("Pierrefonds", "commune"),
        ("Région Bretagne", "region"),
        ("France", None),  # national: no kind to share
        ("France métropolitaine", None),
        (None, None),
    ],
)
def test_territory_kinds(territory, kind):
    assert territory_kind(territory) == kind


def _unit(*values):
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_rank_by_meaning_and_shared_features_with_reasons():
    target = Profile("a", _unit(1, 0), tags=frozenset({"F2", "O1"}), practices=frozenset({"groupe de pairs"}),
                     territory="Pierrefonds")
    close = Profile("b", _unit(1, 0.1), tags=frozenset({"F2"}), territory="Couthenans")
    sharing = Profile("c", _unit(0.6, 0.8), tags=frozenset({"F2", "O1"}), practices=frozenset({"groupe de pairs"}),
                      territory="Pierrefonds")
    far = Profile("d", _unit(0, 1))
    matches = rank(target, [target, close, sharing, far], k=3)
    assert [m.key for m in matches] == ["b", "c", "d"]  # never itself; meaning weighs most
    assert matches[0].shared == {"tags": ["F2"], "territory_kind": ["commune"]}
    assert matches[1].shared["practices"] == ["groupe de pairs"]
    assert matches[2].shared == {} and matches[0].score > matches[1].score > matches[2].score
    assert [m.key for m in rank(target, [close, sharing, far], k=3, other_territories=True)] == ["b", "d"]


def _document_id(store, path):
    return next(d for d in store.conn.execute("SELECT document_id, source_path FROM documents")
                if d["source_path"].endswith(path.name))["document_id"]


def test_similar_documents_on_the_corpus(store):
    acte = _document_id(store, ACTE)
    response = query.similar_documents(store, acte, k=3)
    assert response.of == acte and len(response.results) == 3
    assert acte not in [r.document_id for r in response.results]
    scores = [r.score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    # the same territory's report and transcript come before the alliance's two seeds, which name no territory
    same_territory = {_document_id(store, RAPPORT), _document_id(store, TRANSCRIPT)}
    assert {r.document_id for r in response.results[:2]} == same_territory
    assert set(response.results[0].shared) >= {"tags", "practices", "territory_kind"}
    assert all(0.0 <= r.meaning <= 1.0 for r in response.results)
    with pytest.raises(NotFound):
        query.similar_documents(store, "nope")


def test_similar_commands_and_endpoints(store, ingested):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    acte = _document_id(store, ACTE)
    client = TestClient(create_app())
    api = client.get(f"/documents/{acte}/similar", params={"k": 2}).json()
    assert len(api["results"]) == 2 and api["results"][0]["shared"]
    assert client.get("/documents/nope/similar").status_code == 404
    description = (
        "Notre commune anime un groupe de pairs d'élus et organise des journées d'initiation à l'approche "
        "systémique pour former les agents et les élus à la conduite du changement."
    )
    pasted = client.post("/similar", json={"text": description}).json()
    assert pasted["of"] == "text" and pasted["results"]
    assert any("groupe de pairs" in r["shared"].get("practices", []) for r in pasted["results"])
    result = CliRunner().invoke(cli, ["similar", acte, "-k", "2"])
    assert result.exit_code == 0 and result.stdout.strip().endswith("2 similar documents")
    text = CliRunner().invoke(cli, ["similar", "--text", description, "--json"])
    assert text.exit_code == 0 and '"of": "text"' in text.stdout
    neither = CliRunner().invoke(cli, ["similar"])
    assert neither.exit_code == 2 and "give either a document id, --text or --initiative" in neither.output
    # the CLI checks what the API checks, and says when an option does not apply
    short = CliRunner().invoke(cli, ["similar", "--text", "eau"])
    assert short.exit_code == 2 and "--text: String should have at least 20 characters" in short.output
    misplaced = CliRunner().invoke(cli, ["similar", acte, "--territory", "Vérlane"])
    assert misplaced.exit_code == 2 and "use --other-territories" in misplaced.output
    others = CliRunner().invoke(cli, ["similar", acte, "--other-territories", "--json"])
    api_others = client.get(f"/documents/{acte}/similar", params={"other_territories": True}).json()
    assert others.exit_code == 0 and json.loads(others.stdout)["results"] == api_others["results"]


def test_a_territory_written_otherwise_is_the_same_territory():
    for one, other in [("Val de Vérlane", "Communauté de communes du Val de Vérlane"), ("VAL-DE-VÉRLANE", "Val de Vérlane"),
                       ("PIERREFONDS", "Commune de Pierrefonds"), ("Cuise-la-Motte", "cuise la motte"),
                       ("Région Normandie", "Normandie")]:
        assert same_territory(one, other) and same_territory(other, one), (one, other)
    for one, other in [("Pierrefonds", "Couthenans"), ("Val de Vérlane", None), ("Oise", "Noise"),
                       ("Dinan Agglomération", "Pierrefonds"), ("Loire", "Haute-Loire"), ("Ville de Metz", "Montigny-lès-Metz"),
                       ("Pays de la Loire", "Loire-Atlantique"), ("Commune de Pierrefonds", "Pays de Pierrefonds")]:
        assert not same_territory(one, other), (one, other)
    target = Profile("a", _unit(1, 0), territory="Val de Vérlane")
    same = Profile("b", _unit(1, 0.1), territory="Communauté de communes du Val de Vérlane")
    other = Profile("c", _unit(0, 1), territory="Pierrefonds")
    assert [m.key for m in rank(target, [same, other], k=3, other_territories=True)] == ["c"]
