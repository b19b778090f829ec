import pytest

from pipelines.extraction import ActorExtractor, RoleCues, clean_name, load_nlp
from pipelines.settings import Settings


@pytest.fixture(scope="module")
def extractor():
    settings = Settings()
    return ActorExtractor(load_nlp(settings.spacy_model, settings.models_dir / "organisations.yaml"), RoleCues.from_file(settings.models_dir / "roles.yaml"))


def test_people_get_the_role_their_title_shows(extractor):
    [mentions] = extractor.predict(
        ["Marie Dupont, maire de Saint-Vallier, a signé la convention en présence de Paul Martin, "
         "chargé de mission transition à la communauté de communes."]
    )
    by_name = {m.name: m for m in mentions}
    assert by_name["Marie Dupont"].kind == "person" and by_name["Marie Dupont"].role == "elu"
    assert by_name["Paul Martin"].role == "agent"
    assert "maire de Saint-Vallier" in by_name["Marie Dupont"].evidence
    assert by_name["Saint-Vallier"].kind == "place"


def test_honorifics_and_headings_are_not_names():
    assert clean_name("Mme Hélène Marchadier") == "Hélène Marchadier"
    assert clean_name("M. Olivier Ranchin,") == "Olivier Ranchin"
    assert clean_name("CONJURER L'IMPUISSANCE") is None
    assert clean_name("Mars") is None
    assert clean_name("https://fabriquedestransitions.net") is None
    assert clean_name("ADEME") == "ADEME"


def test_state_services_are_etat(extractor):
    [mentions] = extractor.predict(["L'ADEME et la préfecture de la Drôme financent le diagnostic du territoire."])
    roles = {m.name: m.role for m in mentions if m.kind == "organisation"}
    assert roles.get("ADEME") == "etat"


def test_predict_returns_one_list_per_text_in_order(extractor):
    results = extractor.predict(["Texte sans nom propre.", "Jean-François Caron parle de Loos-en-Gohelle."])
    assert results[0] == []
    assert {m.name for m in results[1]} >= {"Jean-François Caron"}
