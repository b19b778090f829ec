"""Actors across documents and their curation, on a real SQLite catalog and the real ingestion flow."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines import catalog
from pipelines.actors import actor_key, is_acronym, latest_role
from pipelines.cli import app
from pipelines.types import ActorMention, Analysis, Passage, SourceDocument

runner = CliRunner()


def _save(conn, document_id: str, date: str | None, mentions: list[ActorMention]) -> None:
    document = SourceDocument(
        path=Path(f"/docs/{document_id}.txt"), document_id=document_id, title=document_id, doc_type="text",
        blocks=[], date=date,
    )
    passage = Passage(passage_id=f"{document_id}-0", document_id=document_id, ordinal=0, text="texte")
    catalog.save_document(conn, document, [passage], [Analysis(actors=mentions)], model="m", run_id=None)


@pytest.fixture
def conn(tmp_path):
    connection = catalog.connect(tmp_path / "catalog.sqlite3")
    yield connection
    connection.close()


def test_variants_of_one_name_share_a_key():
    assert actor_key("Jean- François Caron", "person") == actor_key("jean-francois caron", "person")
    assert actor_key("la Préfecture", "organisation") == actor_key("PREFECTURE", "organisation")
    assert actor_key("Caron", "person") != actor_key("Caron", "place")
    assert is_acronym("APFDT") and is_acronym("SE60") and is_acronym("MRAe") and not is_acronym("Dinan")


def test_the_most_recent_document_decides_a_conflicting_role():
    assert latest_role([("elu", "maire", "2020-01-01"), ("agent", "DGS", "2023-05-02")]) == ("agent", "DGS")
    assert latest_role([("agent", "DGS", "2023-05-02"), (None, None, "2024-01-01")]) == ("agent", "DGS")
    assert latest_role([]) == (None, None)


def test_one_actor_across_documents_with_aliases_counts_dates_and_acronyms(conn):
    _save(conn, "d1", "2021-03-01", [
        ActorMention("Association de Promotion de la Fabrique des transitions", "organisation", "socio_economique", "une association"),
        ActorMention("APFDT", "organisation", None, None, same_as="Association de Promotion de la Fabrique des transitions"),
        ActorMention("Marie Dupont", "person", "elu", "Marie Dupont, maire de Saint-Vallier"),
    ])
    _save(conn, "d2", "2023-06-30", [
        ActorMention("l'APFDT", "organisation"),
        ActorMention("Mme Marie DUPONT", "person", "agent", "Marie Dupont, chargée de mission"),
    ])
    actors = {a.name: a for a in catalog.list_actors(conn)}
    apfdt = actors["Association de Promotion de la Fabrique des transitions"]
    assert apfdt.mentions == 3 and {"APFDT", "l'APFDT"} <= set(apfdt.aliases)
    assert [d.document_id for d in apfdt.documents] == ["d1", "d2"]
    assert (apfdt.first_seen, apfdt.last_seen) == ("2021-03-01", "2023-06-30")
    dupont = actors["Marie Dupont"]
    assert dupont.mentions == 2 and dupont.role == "agent" and "chargée de mission" in dupont.role_evidence
    assert [a.name for a in catalog.list_actors(conn, kind="person")] == ["Marie Dupont"]
    assert [a.name for a in catalog.list_actors(conn, role="socio_economique")] == [apfdt.name]
    assert {a.name for a in catalog.list_actors(conn, document="d1.txt")} == set(actors)


def test_a_first_name_alone_counts_for_its_documents_person_and_only_there(conn):
    document = SourceDocument(path=Path("/docs/comite.txt"), document_id="comite", title="comite", doc_type="text",
                              blocks=[], date="2024-05-22")
    passages = [Passage(passage_id=f"comite-{i}", document_id="comite", ordinal=i, text=f"texte {i}") for i in range(2)]
    catalog.save_document(conn, document, passages, [
        Analysis(actors=[ActorMention("Camille Delorme", "person", "agent", "Camille Delorme, chargée de mission")]),
        Analysis(actors=[ActorMention("Camille", "person", full_name="Camille Delorme")]),
    ], model="m", run_id=None)
    _save(conn, "autre", "2025-01-01", [ActorMention("Camille", "person")])  # another document's Camille
    actors = {a.name: a for a in catalog.list_actors(conn)}
    delorme = actors["Camille Delorme"]
    assert delorme.mentions == 2 and delorme.aliases == ["Camille"] and delorme.role == "agent"
    assert [d.document_id for d in delorme.documents] == ["comite"]
    assert [d.document_id for d in actors["Camille"].documents] == ["autre"]


def test_the_sample_transcript_has_one_camille_with_her_own_role(store):
    people = {a.name: a for a in catalog.list_actors(store.conn, kind="person")}
    assert "Camille" not in people and "Hélène" not in people
    camille = people["Camille Delorme"]
    assert camille.role == "agent" and "Camille" in camille.aliases and camille.mentions >= 3
    assert "Hélène" in people["Hélène Marchadier"].aliases


def test_curation_is_kept_when_documents_are_stored_again(conn):
    mentions = [
        ActorMention("Dinan Agglomération", "organisation"),
        ActorMention("Dinan-Agglo", "organisation"),
        ActorMention("CONJURER", "organisation"),
        ActorMention("Paul Martin", "person"),
    ]
    _save(conn, "d1", "2022-01-01", mentions)
    catalog.curate(conn, "merge", "organisation", "Dinan-Agglo", "Dinan Agglomération")
    catalog.curate(conn, "ignore", "organisation", "CONJURER")
    catalog.curate(conn, "rename", "person", "Paul Martin", "Paul Martin-Leroy")
    catalog.curate(conn, "set-role", "person", "Paul Martin-Leroy", "agent")
    for _ in range(2):  # the same document stored again, then a new one
        _save(conn, "d1", "2022-01-01", mentions)
    _save(conn, "d2", "2024-01-01", [ActorMention("Dinan-Agglo", "organisation"), ActorMention("paul martin", "person", "elu", "élu")])
    actors = {a.name: a for a in catalog.list_actors(conn)}
    assert set(actors) == {"Dinan Agglomération", "Paul Martin-Leroy"}
    assert actors["Dinan Agglomération"].mentions == 3 and actors["Dinan Agglomération"].aliases == ["Dinan-Agglo"]
    assert actors["Paul Martin-Leroy"].role == "agent" and actors["Paul Martin-Leroy"].mentions == 2
    assert catalog.counts(conn)["actors"] == 2
    assert [c["action"] for c in catalog.list_curations(conn)] == ["merge", "ignore", "rename", "set-role"]


def _json(args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_actors_commands_curate_and_filter_after_real_ingestion(home, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    text = (
        "Compte rendu de la réunion du 12 mars 2024.\n\n"
        "Marie Dupont, maire de Saint-Vallier, a signé la convention avec l'Association de Promotion de la "
        "Fabrique des transitions (APFDT). Paul Martin, chargé de mission à la communauté de communes, présente "
        "le diagnostic. La DDT accompagne le projet.\n"
    )
    source = folder / "reunion.txt"
    source.write_text(text, encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    actors = {a["name"]: a for a in _json(["actors"])["actors"]}
    assert actors["Marie Dupont"]["role"] == "elu" and actors["Marie Dupont"]["first_seen"] == "2024-03-12"
    assert "APFDT" in actors["Association de Promotion de la Fabrique des transitions"]["aliases"]
    people = _json(["actors", "--kind", "person"])["actors"]
    assert {a["kind"] for a in people} == {"person"}
    assert {a["name"] for a in _json(["actors", "--role", "elu"])["actors"]} == {"Marie Dupont"}

    result = runner.invoke(app, ["actors", "set-role", "Paul Martin", "etat"])
    assert result.exit_code == 0 and "agent -> etat" in result.output
    result = runner.invoke(app, ["actors", "rename", "Marie Dupont", "Marie Dupont-Vallier"])
    assert result.exit_code == 0 and "renamed Marie Dupont" in result.output
    result = runner.invoke(app, ["actors", "ignore", "Saint-Vallier"])
    assert result.exit_code == 0 and "ignored Saint-Vallier" in result.output
    result = runner.invoke(app, ["actors", "merge", "DDT", "APFDT"])
    assert result.exit_code == 0 and "into Association de Promotion" in result.output
    result = runner.invoke(app, ["actors", "ignore", "Personne Inconnue"])
    assert result.exit_code == 1 and "no actor is named 'Personne Inconnue'" in result.output
    result = runner.invoke(app, ["actors", "set-role", "Paul Martin", "ministre"])
    assert result.exit_code == 1 and "unknown role" in result.output
    result = runner.invoke(app, ["actors", "set-role", "Saint-Vallier", "elu", "--kind", "place"])
    assert result.exit_code == 1 and "is a place: only people and organisations have a role" in result.output
    result = runner.invoke(app, ["actors", "merge", "Paul Martin", "APFDT"])
    assert result.exit_code == 1 and "(person) cannot be merged into" in result.output and "kinds differ" in result.output

    source.write_text(text + "\nMarie Dupont conclut la séance.\n", encoding="utf-8")  # re-ingestion
    assert runner.invoke(app, ["ingest", str(folder)]).exit_code == 0
    actors = {a["name"]: a for a in _json(["actors"])["actors"]}
    assert "Marie Dupont" not in actors and actors["Marie Dupont-Vallier"]["role"] == "elu"
    assert actors["Paul Martin"]["role"] == "etat"
    assert "Saint-Vallier" not in actors
    assert "DDT" in actors["Association de Promotion de la Fabrique des transitions"]["aliases"]


def test_a_passage_id_that_now_holds_another_text_can_be_corrected_again(conn):
    """Passage ids are document id and rank: after a new segmentation one id may hold another text, whose
    correction replaces the old one instead of failing on the table's key."""
    document = SourceDocument(path=Path("/docs/d.txt"), document_id="d", title="d", doc_type="autre", blocks=[])

    def store(text: str) -> None:
        passage = Passage(passage_id="d-0001", document_id="d", ordinal=1, text=text)
        catalog.save_document(conn, document, [passage], [Analysis(actors=[])], model="m", run_id=None)

    store("Le premier texte du passage.")
    catalog.correct_tags(conn, "d-0001", ["F2"])
    store("Un autre texte, après une nouvelle découpe.")
    catalog.correct_tags(conn, "d-0001", ["O1"])
    assert [(c[0], c[2]) for c in catalog.tag_corrections(conn)] == [("d-0001", ["O1"])]


def test_merge_into_a_name_several_kinds_share_takes_the_merged_actors_kind(home):
    from pipelines.settings import Settings

    conn = catalog.connect(Settings().catalog_path)
    try:
        _save(conn, "d1", "2024-03-12", [ActorMention("Val de Vérlane", "organisation"),
                                         ActorMention("Val de Vérlane", "place"), ActorMention("CCVV", "organisation")])
    finally:
        conn.close()
    result = runner.invoke(app, ["actors", "merge", "CCVV", "Val de Vérlane", "--kind", "organisation"])
    assert result.exit_code == 0 and "merged CCVV" in result.output, result.output


def test_a_short_name_is_a_surname_after_a_civility_or_in_capitals_else_a_first_name():
    from pipelines.actors import name_words, with_full_names

    def person(name):
        return ActorMention(name, "person")

    texts = ["Martin Lefèvre, adjoint, et Camille Delorme, chargée de mission.", "La parole est à M. Martin.",
             "Merci Martin.", "Mme Delorme présente le diagnostic.", "DELORME : nous proposons trois soirées.",
             "Delorme propose trois soirées."]
    mentions = [[person("Martin Lefèvre"), person("Camille Delorme")], [person("Martin")], [person("Martin")],
                [person("Delorme")], [person("DELORME")], [person("Delorme")]]
    full = [[m.full_name for m in passage] for passage in with_full_names(mentions, texts)]
    assert full == [[None, None], [None], ["Martin Lefèvre"], ["Camille Delorme"], ["Camille Delorme"], [None]]
    assert name_words("M. le Maire") == ("maire",)  # one word: never a full name others join
    assert name_words("Mme Jean-  Marie DUPONT") == ("jean-marie", "dupont")


def test_a_transcripts_speakers_named_in_full_are_the_people_a_first_name_means():
    from pipelines.actors import speaker_name, with_full_names

    labels = ["Thierry Capron", "Jean-Noël Schilling", "Speaker 6", "audience6", "Élu principal",
              "Conseiller d’opposition 1", "Personne chargée de l’appel", "Marie de La Tour"]
    assert [speaker_name(label) for label in labels] == [
        "Thierry Capron", "Jean-Noël Schilling", None, None, None, None, None, "Marie de La Tour"]
    texts = ["Merci Thierry, je passe au point suivant.", "Jean-Noël, vous avez la parole."]
    mentions = [[ActorMention("Thierry", "person")], [ActorMention("Jean-Noël", "person")]]
    alone = with_full_names(mentions, texts)
    assert [m.full_name for passage in alone for m in passage] == [None, None]
    spoken = with_full_names(mentions, texts, speakers=labels)
    assert [m.full_name for passage in spoken for m in passage] == ["Thierry Capron", "Jean-Noël Schilling"]
    written = with_full_names([[ActorMention("Thierry Clafron", "person")], *mentions],
                              ["Thierry Clafron ouvre la séance.", *texts], speakers=labels)
    assert [m.full_name for passage in written for m in passage] == [None, "Thierry Clafron", "Jean-Noël Schilling"]
