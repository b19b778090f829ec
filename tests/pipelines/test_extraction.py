from pathlib import Path

import pytest

from pipelines.extraction import ActorExtractor, RoleCues, clean_name, load_nlp
from pipelines.settings import Settings


@pytest.fixture(scope="module")
def extractor():
    settings = Settings()
    models = settings.models_dir
    nlp = load_nlp(settings.spacy_model, models / "organisations.yaml", models / "roles.yaml", models / "places.yaml")
    return ActorExtractor(nlp, RoleCues.from_file(models / "roles.yaml"))


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


def test_the_rules_are_spacy_components_of_the_pipeline(extractor):
    names = extractor._nlp.pipe_names
    assert names.index("entity_ruler") < names.index("ner") < names.index("patrimoine_names")
    assert names[-6:] == [
        "patrimoine_names", "patrimoine_bodies", "patrimoine_places", "patrimoine_actor_filter",
        "patrimoine_attendance", "patrimoine_roles",
    ]


def test_a_name_cut_across_lines_is_rejoined(extractor):
    [mentions] = extractor.predict(["La communauté est présidée par Madame Sylvie Valente Le-\nHir, qui a inauguré l'espace."])
    people = {m.name for m in mentions if m.kind == "person"}
    assert "Sylvie Valente Le-Hir" in people
    assert not people & {"Hir", "Sylvie Valente Le-"}


def test_headings_months_urls_and_assemblies_are_not_actors(extractor):
    [mentions] = extractor.predict(
        ["CONJURER L'IMPUISSANCE\nLe 16 Mars, le Conseil Municipal de Loos-en-Gohelle s'est réuni. "
         "Voir https://fabriquedestransitions.net pour le compte rendu."]
    )
    names = {m.name for m in mentions}
    assert not names & {"CONJURER L'IMPUISSANCE", "Mars", "Conseil Municipal", "Conseil Municipal de Loos-en-Gohelle"}
    assert not any("fabriquedestransitions" in n for n in names)
    assert "Loos-en-Gohelle" in names


MINUTES = (
    "Séance du 12 mars 2024. Sous la présidence de Mme Anne Lefort.\n"
    "Présents : M. Paul Girard, Mme Claire Bodin, M. Yves Tanguy, directeur général des services,\n"
    "Mme Lucie Marchal.\n"
    "Absents excusés : M. Henri Bastide (pouvoir à Mme Claire Bodin), Mme Odile Perrin.\n"
    "Secrétaire de séance : M. Paul Girard.\n"
    "Assistaient également : M. Marc Fontaine, sous-préfet de Dinan, et Mme Julie Vasseur, journaliste.\n"
    "Le projet de Jean Morel, auteur du livre sur le canal, est présenté.\n"
    "Vote : Pour : 12 - Contre : 2, M. Louis Caradec, Mme Inès Le Bihan - Abstention : 0"
)


def test_people_of_attendance_lists_are_members_unless_their_line_says_otherwise(extractor):
    [mentions] = extractor.predict([MINUTES])
    roles = {m.name: m.role for m in mentions if m.kind == "person"}
    members = ["Anne Lefort", "Paul Girard", "Claire Bodin", "Lucie Marchal", "Henri Bastide", "Odile Perrin",
               "Louis Caradec", "Inès Le Bihan"]
    assert {name: roles.get(name) for name in members} == dict.fromkeys(members, "elu")
    assert roles.get("Yves Tanguy") == "agent"  # listed as present, but his own item says DGS
    assert roles.get("Marc Fontaine") == "etat"  # invited State officer
    assert roles.get("Julie Vasseur") is None  # invited, not a member, no role shown
    assert roles.get("Jean Morel") is None  # after the lists: not a member
    assert not {"Présents", "Assistaient"} & set(roles)  # headings of the lists are no people


def test_attendance_lists_are_a_span_group_of_the_doc(extractor):
    doc = extractor._nlp(MINUTES)
    lists = [(span.label_, span.text.split(":")[0].strip()) for span in doc.spans["attendance"]]
    assert [label for label, _ in lists] == ["members", "members", "members", "members", "invited", "members"]
    assert lists[0][1] == "Présents" and lists[2][1].startswith("pouvoir à") and lists[4][1] == "Assistaient également"
    present = doc.spans["attendance"][0]
    assert present.text.endswith("Mme Lucie Marchal")  # the list goes on over the next line, ends at the full stop


def test_council_members_listed_as_present_are_elected(extractor):
    [mentions] = extractor.predict(
        ["Le conseil municipal s'est réuni en séance ordinaire.\nEtaient présents :\n"
         "M. Georges CASTEL, Mme Véronique MADEC, M. Michel COLLOREC."]
    )
    people = {m.name: m for m in mentions if m.kind == "person"}
    assert set(people) >= {"Georges CASTEL", "Véronique MADEC", "Michel COLLOREC"}
    assert {people[n].role for n in ("Georges CASTEL", "Véronique MADEC", "Michel COLLOREC")} == {"elu"}
    assert "présents" in people["Georges CASTEL"].evidence


def test_a_civility_before_a_surname_in_capitals_makes_a_person(extractor):
    [mentions] = extractor.predict(["Monsieur GOUPIL présente le budget aux membres du conseil."])
    assert ("GOUPIL", "person") in {(m.name, m.kind) for m in mentions}


def test_public_bodies_of_the_lexicon_are_organisations_with_their_role(extractor):
    [mentions] = extractor.predict(
        ["La communauté de communes des Lisières de l'Oise et la préfecture de la Haute-Saône ont signé avec "
         "l'entreprise LUXEL une convention."]
    )
    found = {m.name: m for m in mentions}
    assert found["communauté de communes des Lisières de l'Oise"].kind == "organisation"
    assert found["préfecture de la Haute-Saône"].role == "etat"
    assert found["LUXEL"].kind == "organisation" and found["LUXEL"].role == "socio_economique"


def test_a_list_of_communes_gives_one_place_per_commune(extractor):
    [mentions] = extractor.predict(["Le territoire compte les communes de Couloisy Trosly-Breuil Cuise-la-Motte Jaulzy."])
    places = {m.name for m in mentions if m.kind == "place"}
    assert {"Trosly-Breuil", "Cuise-la-Motte"} <= places
    assert not any(" " in p and "Cuise" in p for p in places)


SEED_000 = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_900ca09423ac27b3.txt"


@pytest.mark.skipif(not SEED_000.exists(), reason="../shared/seeds is absent")
def test_seed_000_gives_its_people_without_headings_months_or_cut_names(extractor):
    paragraphs = [p for p in SEED_000.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    mentions = [m for found in extractor.predict(paragraphs) for m in found]
    people = {m.name for m in mentions if m.kind == "person"}
    assert {"Jean-François Caron", "Pierre Calame", "Patrick Viveret"} <= people
    assert not people & {"Jean", "François Caron", "Soundcloud"}
    names = {m.name for m in mentions}
    capitals = {n for n in names if n.isupper() and " " in n}
    assert capitals <= {"LA FABRIQUE DES TRANSITIONS"}  # a body of the lexicon, no heading in capitals
    assert not names & {"Mars", "MARS", "Pilotés", "CONJURER"}
    assert "Association de Promotion de la Fabrique des transitions" in names


def test_practices_are_found_by_their_lemmas_and_as_written():
    from pipelines.analysis import load_extractors

    _, practices = load_extractors(Settings())
    found = practices.predict(
        ["Nous avons animé deux ateliers de cartographie ; des territoires pilotes ont signé des portages fonciers.",
         "Une fresque du climat et un tiers-lieu.", "Rien à signaler."]
    )
    assert set(found[0]) == {"atelier de cartographie", "territoire pilote", "portage foncier"}
    assert set(found[1]) == {"fresque du climat", "tiers-lieu"}
    assert found[2] == []


def test_every_practice_has_a_definition(settings):
    from pipelines.lexicons import load_yaml

    entries = load_yaml(settings.models_dir / "practices.yaml")
    assert len(entries) > 30
    assert all(e["name"] and e["definition"].strip() and e["variants"] for e in entries)


def test_the_state_acting_is_an_actor_not_the_state_as_a_category(extractor):
    [acting, category] = extractor.predict(
        ["Partenaires : Etat, Agence de l'eau Loire Bretagne, Région.",
         "Les agents de l'État et les services de l'État participent aux ateliers."]
    )
    assert ("Etat", "organisation", "etat") in {(m.name, m.kind, m.role) for m in acting}
    assert not [m for m in category if fold_name(m.name) == "etat"]


def test_one_person_per_passage_named_as_first_written(extractor):
    [mentions] = extractor.predict(
        ["Monsieur GOUPIL présente le budget. Rapporteur : Sylvain GOUPIL. Le conseil approuve."]
    )
    people = [m for m in mentions if m.kind == "person"]
    assert [m.name for m in people] == ["GOUPIL"]
    assert people[0].role == "elu"


def fold_name(name: str) -> str:
    from pipelines.actors import normalise

    return normalise(name)


def test_an_organisation_takes_the_role_its_predicate_or_apposition_gives(extractor):
    [copula, apposition] = extractor.predict(
        ["Initiative France est le premier réseau associatif de financement des créateurs.",
         "La SAUR, entreprise délégataire, gère le service."]
    )
    assert [(m.name, m.role) for m in copula] == [("Initiative France", "socio_economique")]
    assert [(m.name, m.role) for m in apposition] == [("SAUR", "socio_economique")]


def test_common_words_table_words_and_institutions_are_not_places(extractor):
    [mentions] = extractor.predict([
        "Il est proposé au conseil municipal :\n- Dire que le droit de préemption s'applique aux zones U.\n"
        "L'indemnité est versée au comptable du Trésor chaque année.\n"
        "Mairie d'Audierne Tel 02 98 70 08 47\n"
        "Le Président de la Région Bretagne a inauguré le lycée de Dinan.\n"
        "Une demande de subvention est adressée au département de l'Oise.\n"
        "Le Conseil d’Architecture d’Urbanisme et de l’Environnement (CAUE) de l’Oise est une association."
    ])
    places = {m.name for m in mentions if m.kind == "place"}
    bodies = {m.name for m in mentions if m.kind == "organisation"}
    assert not {"Dire", "Trésor", "Audierne Tel", "Bretagne", "Oise"} & places
    assert {"Région Bretagne", "département de l'Oise", "lycée de Dinan"} <= bodies  # a school is a body


def test_a_body_or_title_named_beside_a_person_is_not_their_role(extractor):
    with_bodies, beside = extractor.predict([
        "On acte trois soirées de restitution à l’automne, préparées par Camille avec la chambre et la DDT.",
        "Le maire et Paul Martin ouvrent la réunion. Léa, de la Coopérative Territoires Vivants, l’anime.",
    ])
    people = {m.name: m.role for m in with_bodies + beside if m.kind == "person"}
    assert people["Camille"] is None  # "avec la DDT": the State works with her, she is not the State
    assert people["Paul Martin"] is None  # "le maire et Paul Martin": the mayor is another person
    assert people["Léa"] == "socio_economique"  # "de la Coopérative": hers


def test_a_title_before_the_verb_is_its_subjects_not_the_objects(extractor):
    (met,) = extractor.predict(["Paul Martin, maire, a rencontré Sophie Leroy avec le préfet."])
    assert {m.name: m.role for m in met if m.kind == "person"} == {"Paul Martin": "elu", "Sophie Leroy": None}


@pytest.fixture(scope="module")
def ingestion_extractor():
    """The extractor ingestion uses (the fine-tuned NER and the role classifier when they were trained)."""
    from pipelines.analysis import load_extractors

    return load_extractors(Settings())[0]


def test_a_first_name_alone_is_the_one_person_of_the_document_named_in_full(ingestion_extractor):
    from pipelines.actors import with_full_names

    texts = ["Je suis Camille Delorme, chargée de mission transition écologique à la communauté de communes.",
             "Merci Hélène. Les soirées seront préparées par Camille avec la chambre et la DDT.",
             "Hélène Marchadier, présidente de la communauté de communes, ouvre la réunion."]
    document = with_full_names(ingestion_extractor.predict(texts), texts)
    people = [(m.name, m.full_name) for mentions in document for m in mentions if m.kind == "person"]
    assert ("Camille", "Camille Delorme") in people and ("Hélène", "Hélène Marchadier") in people
    assert ("Camille Delorme", None) in people
    assert [m.role for m in document[1] if m.name == "Camille"] == [None]  # the rules' and the role classifier's


def test_a_name_after_a_civility_is_a_surname_not_a_first_name(ingestion_extractor):
    from pipelines.actors import with_full_names

    texts = ["Martin Lefèvre, adjoint au maire chargé des finances, présente la délibération.",
             "M. le Maire donne la parole à M. Martin, directeur général des services.",
             "Mme Delorme et Camille Delorme, chargée de mission, présentent le diagnostic."]
    document = with_full_names(ingestion_extractor.predict(texts), texts)
    assert [m.full_name for m in document[1] if m.name == "Martin"] == [None]  # another Martin: a surname


def test_a_first_name_two_people_of_the_document_share_is_left_alone(ingestion_extractor):
    from pipelines.actors import with_full_names

    texts = ["Camille Delorme, chargée de mission, et Camille Besson, maire de Sarlanges, ont ouvert la réunion.",
             "Les soirées seront préparées par Camille avec la chambre d’agriculture."]
    document = with_full_names(ingestion_extractor.predict(texts), texts)
    [alone] = [m for m in document[1] if m.kind == "person"]
    assert (alone.name, alone.full_name) == ("Camille", None)
