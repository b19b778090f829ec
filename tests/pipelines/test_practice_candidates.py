"""Candidate practices (terms of the passages that no practice covers) and their promotion by staff,
with the real spaCy model, the real ingestion flow and a real catalog."""

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.analysis import load_extractors, practices_for
from pipelines.cli import app as cli
from pipelines.curation import may_hold
from pipelines.settings import Settings
from pipelines.text import sentence_with
from search_api.app import create_app

runner = CliRunner()


@pytest.fixture(scope="module")
def practices():
    return load_extractors(Settings())[1]


def _keys(practices, text):
    [found], [terms] = practices.predict_with_candidates([text])
    return found, {term.key: term.text for term in terms}


def test_terms_are_candidates_with_one_key_for_their_inflected_forms(practices):
    found, terms = _keys(
        practices,
        "Les habitants ont mené des marches exploratoires dans le quartier. Une marche exploratoire réunit élus "
        "et habitants, puis une recherche-action suit.",
    )
    assert found == ["recherche-action"]  # a practice of models/practices.yaml is no candidate
    assert terms["marche exploratoire"] == "marches exploratoires"  # the first form written, one key for both
    assert not any("recherche" in key for key in terms)


def test_junk_is_not_a_candidate(practices):
    _, terms = _keys(
        practices,
        "Le procès-verbal de la séance du 12 mars 2024 est approuvé. Mme Dupont, conseillère municipale, présente "
        "l'ordre du jour au nom de la Communauté de Communes du Val. Le montant total est de 12 000 euros. "
        "Un budget participatif est voté.",
    )
    assert terms == {}  # dates, names, titles, generic nouns, administrative phrases; the practice is matched


def test_a_promoted_practice_is_found_by_its_words_its_lemmas_and_its_key():
    entry = {"name": "marche exploratoire", "variants": ["diagnostic en marchant"]}
    practices = practices_for(Settings(), [entry])
    entry["keys"] = [practices.terms.key("marche exploratoire")]
    practices.by_key = {entry["keys"][0]: entry["name"]}
    found, candidates = practices.predict_with_candidates(
        ["Trois marches exploratoires ont eu lieu.", "Un diagnostic en marchant.", "Le marché couvert ouvre."]
    )
    assert found == [["marche exploratoire"], ["marche exploratoire"], []]
    assert all(term.key != "marche exploratoire" for terms in candidates for term in terms)


def test_the_quick_filter_keeps_inflected_forms():
    assert may_hold("Trois MARCHES exploratoires.", ["marche exploratoire"])
    assert not may_hold("Une marche lente.", ["marche exploratoire"])


def test_sentence_with_a_phrase():
    text = "Premier point. La DDT accompagne le projet. Fin."
    assert sentence_with(text, "ddt") == "La DDT accompagne le projet."
    assert sentence_with(text, "absent") == text
    long = "Début " + "mot " * 200 + "le budget participatif " + "suite " * 200 + "fin."
    cut = sentence_with(long, "Budget participatif", limit=120)
    assert cut.startswith("…") and cut.endswith("…") and "budget participatif" in cut and len(cut) <= 122


def _json(args):
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_candidates_are_stored_at_ingestion_and_listed(ingested):
    listed = _json(["practices", "candidates", "--min-documents", "2"])
    assert listed["min_documents"] == 2 and listed["candidates"]
    for item in listed["candidates"]:
        assert len(item["documents"]) >= 2 and item["passages"] >= len(item["documents"])
        assert item["example"]["document_id"] in item["documents"]
        words = item["name"].split()[0][:4].lower()
        assert words in item["example"]["sentence"].lower()
    spread = [len(item["documents"]) for item in listed["candidates"]]
    assert spread == sorted(spread, reverse=True)
    actors = {a["name"].lower() for a in _json(["actors"])["actors"]}
    assert not actors & {item["name"].lower() for item in listed["candidates"]}
    assert TestClient(create_app()).get("/practices/candidates", params={"min_documents": 2, "limit": 1000}).json() == listed
    text = runner.invoke(cli, ["practices", "candidates"])
    assert text.stdout.strip().endswith(f"{len(listed['candidates'])} candidate practices found in 2 documents or more")


def _write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


MARCHES = (
    "Compte rendu du comité de quartier du 3 mai 2024.\n\n"
    "Les habitants du quartier des Tilleuls ont conduit deux marches exploratoires avec les élus pour repérer "
    "les lieux mal éclairés. La marche exploratoire a fait émerger des propositions concrètes.\n"
)
BILAN = (
    "Bilan de la politique de la ville, 12 juin 2024.\n\n"
    "À Saint-Vallier, une marche exploratoire de femmes a guidé le réaménagement de la place centrale, "
    "et le conseil citoyen en tire un bilan positif.\n"
)


def test_staff_promote_a_candidate_it_is_found_without_reading_files_and_after_reingestion(home, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    _write(folder, "comite.txt", MARCHES)
    _write(folder, "bilan.txt", BILAN)
    assert runner.invoke(cli, ["ingest", str(folder)]).exit_code == 0
    candidates = {c["name"]: c for c in _json(["practices", "candidates"])["candidates"]}
    found = candidates["marche exploratoire"]  # "marches exploratoires" once, "marche exploratoire" once
    assert len(found["documents"]) == 2 and found["passages"] == 2 and found["key"] == "marche exploratoire"
    assert "exploratoire" in found["example"]["sentence"]
    assert "marche exploratoire" not in {p["name"] for p in _json(["practices"])["practices"]}

    result = runner.invoke(cli, [
        "practices", "promote", "marche exploratoire", "--definition",
        "Parcours d'un quartier à pied avec ses habitants pour en relever les problèmes.", "--synonym", "diagnostic en marchant",
    ])
    assert result.exit_code == 0, result.output
    assert "promoted 'marche exploratoire'" in result.stdout and "found in 2 stored passages of 2 documents" in result.stdout
    practice = {p["name"]: p for p in _json(["practices"])["practices"]}["marche exploratoire"]
    assert practice["staff"] is True and practice["passages"] == 2 and len(practice["documents"]) == 2
    assert practice["definition"].startswith("Parcours d'un quartier")
    assert "marche exploratoire" not in {c["name"] for c in _json(["practices", "candidates"])["candidates"]}
    client = TestClient(create_app())
    assert {p["name"]: p for p in client.get("/practices").json()["practices"]}["marche exploratoire"]["staff"]

    _write(folder, "bilan.txt", BILAN + "\nUn diagnostic en marchant suivra en septembre.\n")  # re-ingestion
    assert runner.invoke(cli, ["ingest", str(folder)]).exit_code == 0
    again = {p["name"]: p for p in _json(["practices"])["practices"]}["marche exploratoire"]
    assert again["passages"] == 2 and len(again["documents"]) == 2
    analysed = tmp_path / "textes.jsonl"
    analysed.write_text(json.dumps({"id": 1, "text": "Une marche exploratoire aura lieu."}) + "\n", encoding="utf-8")
    assert {"name": "marche exploratoire"} in _json(["analyze", str(analysed)])["practices"]

    result = runner.invoke(cli, ["practices", "promote", "budget participatif"])
    assert result.exit_code == 1 and "already a practice of models/practices.yaml" in result.output


def test_staff_reject_a_candidate_it_stays_rejected_after_reingestion_and_can_be_restored(home, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    _write(folder, "comite.txt", MARCHES)
    _write(folder, "bilan.txt", BILAN)
    assert runner.invoke(cli, ["ingest", str(folder)]).exit_code == 0

    def names():
        return {c["name"] for c in _json(["practices", "candidates"])["candidates"]}

    assert "marche exploratoire" in names()
    result = runner.invoke(cli, ["practices", "reject", "Marches exploratoires"])  # a written form, other case
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "'Marches exploratoires' is no longer listed as a candidate practice (1 term keys, 2 passages)"
    )
    assert "marche exploratoire" not in names()
    _write(folder, "bilan.txt", BILAN + "\nUne autre marche exploratoire suivra.\n")  # re-ingestion
    assert runner.invoke(cli, ["ingest", str(folder)]).exit_code == 0
    assert "marche exploratoire" not in names()
    missing = runner.invoke(cli, ["practices", "reject", "pas un terme du corpus"])
    assert missing.exit_code == 1 and "no candidate practice is written 'pas un terme du corpus'" in missing.output

    monkeypatch.setenv("PATRIMOINE_ADMIN_TOKEN", "s3cret")
    client = TestClient(create_app())
    url = "/admin/practices/candidates/reject"
    assert client.post(url, json={"name": "marche exploratoire"}).status_code == 401
    auth = {"Authorization": "Bearer s3cret"}
    assert client.post(url, json={"name": "rien de tel"}, headers=auth).status_code == 404
    restored = client.post(url, params={"restore": "true"}, json={"name": "marche exploratoire"}, headers=auth)
    assert restored.status_code == 200 and restored.json()["rejected"] is False
    assert "marche exploratoire" in names()
    assert client.post(url, json={"name": "marche exploratoire"}, headers=auth).json()["rejected"] is True
    assert "marche exploratoire" not in {c["name"] for c in client.get("/practices/candidates").json()["candidates"]}
