"""French lexical analysis (pure), the lexical leg of search on the real ingested corpus, and the
rebuild of the lexical index of a catalog made by older code."""

import re
import sqlite3

import pytest

from pipelines import catalog, query
from pipelines.analysis_fr import analyse, parse_query, words
from pipelines.text import fold


def test_plural_and_singular_share_their_stems():
    assert analyse("rénovations énergétiques") == analyse("rénovation énergétique") == ["renov", "energet"]
    assert analyse("les agricultrices") == analyse("l'agricultrice")


def test_conjunctions_are_not_stems_of_nouns():
    # Snowball stems "parce" (of "parce que") to "parc": it is a function word, left out
    assert analyse("parce que le parc éolien") == ["parc", "eolien"]
    assert analyse("puisque et lorsque") == []


def test_accents_and_case_are_folded():
    assert analyse("ÉNERGÉTIQUE Énergétique energetique") == ["energet"] * 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("l'eau", ["eau"]),
        ("L’Eau", ["eau"]),
        ("d'une", ["une"]),
        ("qu'elle", ["elle"]),
        ("j'ai", ["ai"]),
        ("n'est", ["est"]),
        ("s'engage", ["engage"]),
        ("c'est", ["est"]),
        ("m'a", ["a"]),
        ("t'en", ["en"]),
        ("jusqu'ici", ["ici"]),
        ("lorsqu’il", ["il"]),
        ("puisqu'on", ["on"]),
        ("aujourd'hui", ["aujourd", "hui"]),  # not an elision: no word boundary before the d
    ],
)
def test_elisions_are_dropped_with_straight_or_curly_apostrophes(text, expected):
    assert words(text) == expected


def test_function_words_are_left_out_and_numbers_kept():
    assert analyse("Le conseil de la communauté en 2024") == ["conseil", "communaut", "2024"]


def test_quoted_phrases_are_kept_apart_and_their_words_stemmed():
    parsed = parse_query('budget « fabrique des transitions » "l’approche systémique" "non fermé')
    assert parsed.phrases == ["fabrique des transitions", "l’approche systémique"]
    assert parsed.terms == ["budget", "fabriqu", "transit", "approch", "system", "non", "ferm"]
    assert not parse_query('"" «  »')


# --- the lexical leg on the real corpus ----------------------------------------------------------


def _texts(store, passage_ids):
    passages = catalog.get_passages(store.conn, passage_ids)
    return [passages[pid].text for pid in passage_ids]


def test_inflected_words_find_the_passage_lexically(store):
    found = catalog.lexical_search(store.conn, "rénovations énergétiques", k=5)
    assert found, "no lexical hit"
    assert "rénovation énergétique" in _texts(store, found)[0]


def test_lexical_mode_of_search_uses_the_same_analysis(store):
    response = query.search(store, None, "rénovations énergétiques", k=3, mode="lexical")
    assert "rénovation énergétique" in response.hits[0].text
    assert response.hits[0].source_path.endswith("acte-conseil-communautaire-2024-03-14.pdf")


def test_a_quoted_phrase_must_occur_exactly(store):
    loose = _texts(store, catalog.lexical_search(store.conn, "restauration collective", k=30))
    exact = _texts(store, catalog.lexical_search(store.conn, '"restauration collective"', k=30))
    assert exact and all(re.search(r"restauration\W+collective", fold(text)) for text in exact)
    assert len(loose) > len(exact)  # unquoted, either word is enough
    # Exact means unstemmed: the plural phrase does not occur; accents and case do not matter.
    assert catalog.lexical_search(store.conn, '"rénovations énergétiques"', k=5) == []
    assert catalog.lexical_search(store.conn, '"RENOVATION energetique"', k=5)


def test_hybrid_search_honours_quoted_phrases(store, settings):
    from pipelines.embedding import load_embedder

    response = query.search(
        store, load_embedder(settings.embedding_model), '"approche systémique" élus', k=10, weights=settings.search_weights
    )
    assert response.hits
    # Exact up to accents, case and punctuation ("approche-systemique" in a URL is the same phrase).
    assert all(re.search(r"approche\W+systemique", fold(hit.text)) for hit in response.hits)


# --- catalogs made by older code -----------------------------------------------------------------

OLD_FTS = "CREATE VIRTUAL TABLE passages_fts USING fts5(passage_id UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 2')"


def _make_old(path):
    """Turn a catalog into what the code before French analysis left: a plain-text FTS table, no version."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE passages_fts")
        conn.execute("DROP TABLE catalog_meta")
        conn.execute(OLD_FTS)
        conn.execute("INSERT INTO passages_fts SELECT passage_id, text FROM passages")
    conn.close()


def test_an_old_catalog_gets_its_lexical_index_rebuilt(corpus_home, tmp_path):
    path = tmp_path / "catalog.sqlite3"
    source = sqlite3.connect(corpus_home / "catalog.sqlite3")
    target = sqlite3.connect(path)
    source.backup(target)
    source.close(), target.close()
    _make_old(path)
    conn = catalog.connect(path)
    try:
        assert catalog.fts_version(conn) == catalog.FTS_VERSION
        passages = conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0] == passages > 0
        found = catalog.lexical_search(conn, "rénovations énergétiques", k=3)
        assert "rénovation énergétique" in catalog.get_passages(conn, found)[found[0]].text
    finally:
        conn.close()
    again = catalog.connect(path)  # opened again: nothing to rebuild, nothing duplicated
    try:
        assert again.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0] == passages
    finally:
        again.close()


def test_ingesting_again_into_an_old_catalog_stays_idempotent(home, copy_file):
    from pipelines.flows import ingest
    from tests.conftest import TRANSCRIPT

    path = copy_file(TRANSCRIPT)
    first = ingest([str(path)])
    assert first.documents_ingested == 1
    _make_old(home / "catalog.sqlite3")
    again = ingest([str(path)])
    assert again.documents_ingested == 0 and again.documents_unchanged == 1
    conn = catalog.connect(home / "catalog.sqlite3")
    try:
        assert conn.execute("SELECT COUNT(*) FROM passages_fts").fetchone()[0] == first.passages_indexed
        assert catalog.lexical_search(conn, "prélèvements retenue", k=3)
    finally:
        conn.close()
