import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines.cli import app as cli
from pipelines.initiatives import InitiativeFinder, carrier_names, initiative_key, with_territories
from pipelines.settings import Settings
from search_api.app import create_app
from tests.conftest import ROOT

SEED_LINES = (
    "La dynamique régionale en Pays de Loire animée par le Collège des transitions sociétales "
    '"Plateformes en communs" par la Coop des communs PACT2 "parcours apprenants et communs des transitions '
    'des territoires" porté par Ouishare & Colab-Studio.'
)


@pytest.fixture(scope="module")
def finder():
    return InitiativeFinder.from_file(Settings().models_dir / "initiatives.yaml")


def test_initiatives_and_their_carriers(finder):
    [found] = finder.predict([SEED_LINES])
    by_name = {m.name: m for m in found}
    assert by_name["PACT2"].carriers == ["Ouishare", "Colab-Studio"]
    assert by_name["Plateformes en communs"].carriers == ["Coop des communs"]
    [plan] = finder.predict(["Le conseil approuve le PCAET de Dinan Agglomération, porté par le service climat."])
    assert [m.name for m in plan] == ["PCAET"]
    [routine] = finder.predict(["Le procès-verbal de la séance précédente est approuvé à l'unanimité."])
    assert routine == []


def test_an_initiative_takes_the_place_named_with_it(finder):
    text = (
        "À Dinan, le programme Territoires d'industrie est porté par Dinan Agglomération. "
        "Le PCAET de Rennes avance. Rennes et Vitré coopèrent."
    )
    [found] = finder.predict([text])
    territories = {m.name: m.territory for m in with_territories(found, text, places=["Dinan", "Rennes", "Vitré"])}
    assert territories["Territoires d'industrie"] == "Dinan" and territories["PCAET"] == "Rennes"
    [plan] = finder.predict(["Le PCAET avance bien."])
    assert with_territories(plan, "Le PCAET avance bien. Rennes suit.", places=["Rennes"])[0].territory == "Rennes"
    two = "Le PCAET avance bien. Rennes et Vitré suivent."
    assert with_territories(finder.predict([two])[0], two, places=["Rennes", "Vitré"])[0].territory is None


@pytest.mark.parametrize(
    "text",
    [
        'Je regarde mon compteur, je dis "Ah, j\'ai oublié, ici c\'est 30, c\'est pas 50." Et voilà.',  # speech
        "Sur le projet, il m’a répondu « J’ai tout compris » en sortant.",  # speech, by its elided "j'"
        "Pour le projet de la place, « Ça bouge enfin » disait un habitant.",  # speech, by its folded "ça"
        "Le principe énoncé par l’article 7 « PARTICIPATIONS COMMUNALES » des statuts du Syndicat.",
        "Il cite l’exemple du secteur du « Rocher », où deux coupures récentes ont eu lieu.",
        "Beaucoup n’hésitaient pas à l‘appeler familièrement « Lulu » au village.",
        "La troisième convention, avec la SCOP « Les Ateliers du Bocage », concerne un tiers-lieu.",
        "Délibération modification d’heures, contrat Mme Chamberlain 2H supp mis sur le contrat.",
        "Le programme 2024 retient neuf opérations de voirie.",
        "Monsieur BEGUIN rappelle que 5 prêts « COVID » ont été accordés, dans le cadre du projet de relance.",
        "Indice linéaire de pertes en réseau (P106.3) du programme de travaux",
        "Le tribunal peut être saisi par l'application « Télérecours citoyens » accessible en ligne.",
    ],
)
def test_what_is_not_an_initiative(finder, text):
    assert finder.predict([text]) == [[]]


def test_a_quoted_name_needs_a_project_word_before_it_or_a_carrier_after_it(finder):
    named = "Le podcast « Le Fil des transitions » donne la parole aux habitants."
    carried = "« Plateformes en communs » par la Coop des communs."
    far = "Le projet a été voté. Ensuite, de longues discussions sur un sujet sans rapport avec « Le Grand Pré »."
    assert [m.name for m in finder.predict([named])[0]] == ["Le Fil des transitions"]
    assert [m.carriers for m in finder.predict([carried])[0]] == [["Coop des communs"]]
    assert finder.predict([far]) == [[]]
    [[first]] = finder.predict(["Délibération n° 2024-21 – Évaluation du programme « Vérlibus » (2022-2023)."])
    assert first.evidence.startswith("Délibération n° 2024-21")  # the evidence keeps the passage's first letter


def test_carrier_names_stop_where_the_name_ends():
    assert carrier_names("la Coop des communs PACT2 suite") == ["Coop des communs"]
    assert carrier_names("Dinan Agglomération et la Région Bretagne, avec") == ["Dinan Agglomération", "Région Bretagne"]
    assert carrier_names("la commune pour ses habitants") == []


def test_initiatives_found_in_the_gold_passages(finder):
    """Regression guard on the annotated passages (the rules were written reading them: optimistic)."""
    gold = [json.loads(line) for line in (ROOT / "corpus" / "gold" / "actors.jsonl").read_text(encoding="utf-8").splitlines()]
    found = expected = hits = 0
    for row in gold:
        predicted = {initiative_key(m.name) for m in finder.predict([row["text"]])[0]}
        wanted = {initiative_key(i["name"]) for i in row["initiatives"]}
        found, expected = found + len(predicted), expected + len(wanted)
        hits += sum(any(w == p or w in p or p in w for p in predicted) for w in wanted)
    assert expected >= 30
    assert hits / expected >= 0.5 and hits / found >= 0.6


def test_initiatives_are_listed_detailed_and_compared(ingested):
    listed = CliRunner().invoke(cli, ["initiatives", "--json"])
    assert listed.exit_code == 0, listed.output
    initiatives = {i["name"]: i for i in json.loads(listed.stdout)["initiatives"]}
    assert initiatives["PACT2"]["carriers"] == ["Colab-Studio", "Ouishare"]
    assert initiatives["PACT2"]["territory"] == "Pays de Loire"  # named with it in seed 000
    assert sum(bool(i["territory"]) for i in initiatives.values()) > len(initiatives) / 2
    in_loire = json.loads(CliRunner().invoke(cli, ["initiatives", "--territory", "pays de loire", "--json"]).stdout)
    assert "PACT2" in {i["name"] for i in in_loire["initiatives"]} and len(in_loire["initiatives"]) < len(initiatives)
    document = initiatives["PACT2"]["documents"][0]
    of_document = json.loads(CliRunner().invoke(cli, ["initiatives", "--document", document, "--json"]).stdout)
    assert all(document in i["documents"] for i in of_document["initiatives"]) and of_document["initiatives"]
    text = CliRunner().invoke(cli, ["initiatives"]).stdout
    assert "PACT2 (Pays de Loire), carried by Colab-Studio, Ouishare" in text
    client = TestClient(create_app())
    pact = initiatives["PACT2"]["initiative_id"]
    detail = client.get(f"/initiatives/{pact}").json()
    assert detail["territory"] == "Pays de Loire"
    assert [i["name"] for i in client.get("/initiatives", params={"territory": "Loire"}).json()["initiatives"]] == [
        i["name"] for i in in_loire["initiatives"]
    ]
    assert detail["passages"] and "PACT2" in detail["passages"][0]["text"]
    similar = client.get(f"/initiatives/{pact}/similar", params={"k": 3}).json()
    assert similar["of"] == pact and 0 < len(similar["results"]) <= 3
    assert pact not in [r["initiative_id"] for r in similar["results"]]
    assert client.get("/initiatives/999999").status_code == 404
    assert client.get("/initiatives/999999/similar").status_code == 404
    text = CliRunner().invoke(cli, ["similar", "--initiative", str(pact)])
    assert text.exit_code == 0 and text.stdout.strip().endswith("similar results")
