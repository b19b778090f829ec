"""Filters, facets and pages of search: the pure steps, then on the real store (sample corpus + seeds)."""

import pytest

from pipelines import catalog, facets, query
from pipelines.embedding import load_embedder
from pipelines.errors import InvalidSearch
from pipelines.facets import SearchFilters, SearchPaging

FACTS = {
    "a": {"document_id": "d1", "doc_type": "acte", "date": "2024-03-14", "year": "2024", "territory": "Vérlane",
          "source": "acte.pdf", "tags": ["F2"], "actors": ["Hélène Marchadier"], "roles": ["elu"], "practices": [],
          "initiatives": ["PACT2"]},
    "b": {"document_id": "d2", "doc_type": "rapport", "date": None, "year": None, "territory": None,
          "source": "rapport.pdf", "tags": ["F2", "O1"], "actors": [], "roles": [], "practices": ["groupe de pairs"]},
    "c": {"document_id": "d1", "doc_type": "acte", "date": "2024-03-14", "year": "2024", "territory": "Vérlane",
          "source": "acte.pdf", "tags": [], "actors": ["DDT"], "roles": ["etat"], "practices": []},
}


def test_filters_or_within_a_facet_and_across_facets():
    ranked = ["c", "b", "a", "gone"]  # "gone": a vector without catalog row is dropped
    assert facets.apply(ranked, FACTS, SearchFilters()) == ["c", "b", "a"]
    assert facets.apply(ranked, FACTS, SearchFilters(tag=["F2"])) == ["b", "a"]
    assert facets.apply(ranked, FACTS, SearchFilters(tag=["O1", "F1"])) == ["b"]
    assert facets.apply(ranked, FACTS, SearchFilters(tag=["F2"], doc_type=["acte"])) == ["a"]
    assert facets.apply(ranked, FACTS, SearchFilters(actor=["helene marchadier"])) == ["a"]  # accents, case
    assert facets.apply(ranked, FACTS, SearchFilters(role=["etat"])) == ["c"]
    assert facets.apply(ranked, FACTS, SearchFilters(practice=["groupe de pairs"])) == ["b"]
    assert facets.apply(ranked, FACTS, SearchFilters(source=["acte.pdf"], territory=["Vérlane"])) == ["c", "a"]
    assert facets.apply(ranked, FACTS, SearchFilters(initiative=["PACT2"])) == ["a"]  # b and c name none


def test_date_range_on_the_documents_date():
    assert facets.apply(list(FACTS), FACTS, SearchFilters(date_from="2024")) == ["a", "c"]  # undated left out
    assert facets.apply(list(FACTS), FACTS, SearchFilters(date_to="2024-03")) == ["a", "c"]
    assert facets.apply(list(FACTS), FACTS, SearchFilters(date_to="2024-03-13")) == []
    assert facets.apply(list(FACTS), FACTS, SearchFilters(date_from="2024-03-14", date_to="2024-03-14")) == ["a", "c"]
    assert facets.apply(list(FACTS), FACTS, SearchFilters(date_from="2025")) == []


def test_facet_counts_and_pages():
    counts = facets.count(["a", "b", "c"], FACTS)
    assert counts["tag"] == [("F2", 2), ("O1", 1)]
    assert counts["doc_type"] == [("acte", 2), ("rapport", 1)]
    assert counts["year"] == [("2024", 2)]
    assert counts["role"] == [("elu", 1), ("etat", 1)]
    assert facets.count(["b"], FACTS)["source"] == [("rapport.pdf", 1)]
    assert facets.page_of(list("abcdefg"), 3, 3) == ["g"] and facets.page_of(list("abc"), 2, 3) == []
    assert facets.group_by_document(["c", "b", "a"], {p: f["document_id"] for p, f in FACTS.items()}) == [
        ("d1", ["c", "a"]), ("d2", ["b"])
    ]


def test_parameters_are_parsed_once_for_the_api_and_the_cli():
    parsed = facets.parse(SearchFilters, {"tag": ["F2", " ", ""], "date_from": "", "date_to": " 2024-03 ",
                                          "source": "acte.pdf", "initiative": None})
    assert parsed == SearchFilters(tag=["F2"], date_to="2024-03", source=["acte.pdf"])  # blanks: no filter
    assert not facets.parse(SearchFilters, {}).active() and parsed.active()
    with pytest.raises(InvalidSearch) as bad:
        facets.parse(SearchFilters, {"date_from": "14/03/2024", "date_to": "2024-3"})
    assert bad.value.problems == [
        ("date_from", "'14/03/2024' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("date_to", "'2024-3' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"),
    ]
    assert str(bad.value).startswith("date_from: '14/03/2024' is not a date")
    assert facets.parse(SearchPaging, {"page": "2", "per_page": "", "group": "document"}) == SearchPaging(
        page=2, group="document"
    )
    for wrong in ({"page": 0}, {"per_page": 101}, {"group": "page"}):
        with pytest.raises(InvalidSearch, match=next(iter(wrong))):
            facets.parse(SearchPaging, wrong)
    with pytest.raises(InvalidSearch) as both:
        facets.parse_search({"date_from": "mars", "page": 0, "query": "other names are ignored"})
    assert [name for name, _ in both.value.problems] == ["date_from", "page"]  # every bad parameter at once
    assert facets.parse_search({"tag": ["O1"], "per_page": 5}) == (SearchFilters(tag=["O1"]), SearchPaging(per_page=5))
    assert "accents and case ignored" in facets.describe(SearchFilters, "actor")


def _search(store, settings, text, **options):
    return query.search(store, load_embedder(settings.embedding_model), text, weights=settings.search_weights,
                        **options)


def test_filters_and_facets_on_the_real_store(store, settings):
    question = "mettre les conflits au travail autour du projet éolien"
    everything = _search(store, settings, question, k=10)
    tags = {f.value: f.count for f in everything.facets["tag"]}
    assert everything.total > tags["F2"] > 0
    assert sum(f.count for f in everything.facets["source"]) == everything.total  # one file per passage

    f2 = _search(store, settings, question, k=10, filters=SearchFilters(tag=["F2"]))
    assert f2.total == tags["F2"]
    assert f2.hits and all("F2" in [t.id for t in hit.tags] for hit in f2.hits)
    assert {f.value: f.count for f in f2.facets["tag"]}["F2"] == f2.total
    assert sum(f.count for f in f2.facets["source"]) == f2.total

    # the unfiltered ranking is kept: F2 hits come in the same order as in the full list
    full = _search(store, settings, question, k=everything.total)
    assert [h.passage_id for h in f2.hits] == [h.passage_id for h in full.hits if "F2" in [t.id for t in h.tags]][:10]

    acte = _search(store, settings, question, filters=SearchFilters(source=["acte-conseil-communautaire-2024-03-14.pdf"]))
    assert acte.hits and {h.source_path.rsplit("/", 1)[-1] for h in acte.hits} == {"acte-conseil-communautaire-2024-03-14.pdf"}
    assert {f.value for f in acte.facets["doc_type"]} == {"acte"}
    assert all(h.date == "2024-03-14" for h in acte.hits)

    dated = _search(store, settings, question, filters=SearchFilters(date_from="2024-01-01", date_to="2024-12-31"))
    assert dated.total and all(h.date and h.date.startswith("2024") for h in dated.hits)
    none = _search(store, settings, question, filters=SearchFilters(date_to="1999"))
    assert none.total == 0 and none.hits == [] and all(not values for name, values in none.facets.items() if name != "year")
    assert none.facets["year"]  # the years there are, without the date filter: what choosing one would give


def test_actor_and_role_filters_on_the_real_store(store, settings):
    question = "projet éolien"
    everything = _search(store, settings, question, k=10)
    actor = everything.facets["actor"][0]
    by_actor = _search(store, settings, question, filters=SearchFilters(actor=[actor.value.upper()]))
    assert by_actor.total == actor.count
    assert all(actor.value in [a.name for a in hit.actors] for hit in by_actor.hits)
    role = everything.facets["role"][0]
    by_role = _search(store, settings, question, k=50, filters=SearchFilters(role=[role.value]))
    assert by_role.total == role.count
    assert all(role.value in [a.role for a in hit.actors] for hit in by_role.hits)


def test_pagination_and_grouping_on_the_real_store(store, settings):
    question = "groupes de pairs d'élus"
    first = _search(store, settings, question, k=4)
    second = _search(store, settings, question, k=4, page=2)
    assert len(first.hits) == len(second.hits) == 4 and first.total == second.total
    assert not {h.passage_id for h in first.hits} & {h.passage_id for h in second.hits}
    eight = _search(store, settings, question, k=8)
    assert [h.passage_id for h in eight.hits] == [h.passage_id for h in first.hits + second.hits]
    last = -(-first.total // 4)
    assert 0 < len(_search(store, settings, question, k=4, page=last).hits) <= 4
    assert _search(store, settings, question, k=4, page=last + 1).hits == []

    grouped = _search(store, settings, question, per_page=2, group=True)
    assert grouped.total == 5 and grouped.groups is not None and len(grouped.groups) == 2  # 5 documents
    assert grouped.groups[0].hits[0].passage_id == first.hits[0].passage_id
    for group in grouped.groups:
        assert group.hits and {h.document_id for h in group.hits} == {group.document_id}
    assert [h.passage_id for h in grouped.hits] == [h.passage_id for g in grouped.groups for h in g.hits]
    assert first.groups is None


def test_catalog_helpers_for_pages(store):
    actors = catalog.list_actors(store.conn)
    assert all(a.actor_id for a in actors)
    found = catalog.get_actor(store.conn, actors[0].actor_id)
    assert found is not None
    actor, passage_ids = found
    assert actor.name == actors[0].name and len(passage_ids) >= 1
    assert catalog.get_actor(store.conn, 10**9) is None
    figures = catalog.overview(store.conn)
    assert sum(n for _, n in figures["documents_per_type"]) == 5
    assert sum(n for _, n in figures["documents_per_year"]) == 5
    assert figures["runs"] and figures["runs"][0]["documents_ingested"] == 5
    assert figures["tags_per_year"] and figures["practices"]


def test_initiative_filter_and_facet_on_the_real_store(store, settings):
    question = "PACT2 tiers-lieu et coopération"
    everything = _search(store, settings, question, k=10)
    initiatives = {f.value: f.count for f in everything.facets["initiative"]}
    assert initiatives.get("PACT2", 0) > 0 and initiatives["PACT2"] < everything.total
    pact = _search(store, settings, question, k=50, filters=SearchFilters(initiative=["PACT2"]))
    assert pact.total == initiatives["PACT2"] and len(pact.hits) == pact.total
    mentions = set(catalog.list_initiatives(store.conn, initiative_id=next(
        i.initiative_id for i in catalog.list_initiatives(store.conn) if i.name == "PACT2"))[0].passage_ids)
    assert {h.passage_id for h in pact.hits} <= mentions


def test_closed_lists_and_dates_are_checked_not_searched_for_nothing():
    assert facets.parse(SearchFilters, {"tag": ["f2"], "doc_type": ["Acte"], "role": ["ETAT"]}) == SearchFilters(
        tag=["F2"], doc_type=["acte"], role=["etat"])  # case ignored, the canonical value kept
    wrong = {"tag": ["F9"], "doc_type": ["foo"], "role": ["maire"], "date_from": "2024-13", "date_to": "2024-02-30"}
    with pytest.raises(InvalidSearch) as bad:
        facets.parse(SearchFilters, wrong)
    assert dict(bad.value.problems) == {
        "tag": "unknown value 'F9': one of F1, F2, F3, F4, O1, O2, O3, O4",
        "doc_type": "unknown value 'foo': one of acte, proces_verbal, rapport, presentation, transcription, autre",
        "role": "unknown value 'maire': one of elu, agent, etat, socio_economique",
        "date_from": "'2024-13' is not a date of the calendar",
        "date_to": "'2024-02-30' is not a date of the calendar",
    }
    with pytest.raises(InvalidSearch) as reversed_range:
        facets.parse(SearchFilters, {"date_from": "2025", "date_to": "2020"})
    assert reversed_range.value.problems == [("date_to", "'2020' is before date_from '2025'")]
    assert facets.parse(SearchFilters, {"date_from": "2024-03", "date_to": "2024-03"}).date_to == "2024-03"
    with pytest.raises(InvalidSearch, match="q: the query is empty"):
        facets.check_query("   ")
    with pytest.raises(InvalidSearch, match="more than 1000"):
        facets.check_query("eau " * 300)


def test_typed_filters_ignore_accents_and_case_and_actors_answer_to_their_aliases():
    facts = {"a": {**FACTS["c"], "territory": "Val de Vérlane", "actor_names": ["ddt", "direction departementale des territoires"]}}
    assert facets.apply(["a"], facts, SearchFilters(territory=["val de verlane"])) == ["a"]
    assert facets.apply(["a"], facts, SearchFilters(actor=["Direction départementale des Territoires"])) == ["a"]
    assert facets.apply(["a"], facts, SearchFilters(actor=["la DDT"])) == ["a"]
    assert facets.apply(["a"], facts, SearchFilters(actor=["DREAL"])) == []


def test_pages_share_one_pool_so_totals_and_facets_do_not_move(store, settings):
    pages = [_search(store, settings, "xyzzyqwerty conflits", k=10, page=page) for page in (1, 7, 20)]
    assert len({page.total for page in pages}) == 1 and pages[0].total <= facets.POOL
    assert len({str(page.facets) for page in pages}) == 1


def test_an_actor_is_found_by_any_name_it_answers_to(store, settings):
    keyed = store.conn.execute(
        "SELECT a.name, k.key FROM actor_keys k JOIN actors a USING (actor_id) "
        "WHERE k.key != a.key AND a.ignored = 0 AND a.actor_id IN (SELECT actor_id FROM actor_mentions) LIMIT 1"
    ).fetchone()
    alias = keyed["key"].split(":", 1)[1]
    by_alias = _search(store, settings, "transition", k=50, filters=SearchFilters(actor=[alias.upper()]))
    by_name = _search(store, settings, "transition", k=50, filters=SearchFilters(actor=[keyed["name"]]))
    assert by_alias.total == by_name.total > 0


def test_a_facets_count_is_what_choosing_its_value_would_add():
    """Values of one facet are alternatives (OR): with F2 chosen, O1 counts the passages with O1 that pass the
    other filters, so that F2 + O1 gives what it says; other facets count the filtered passages."""
    counts = facets.disjunctive_count(list(FACTS), FACTS, SearchFilters(tag=["O1"]))
    assert dict(counts["tag"]) == {"F2": 2, "O1": 1}  # counted over the O1 passages, F2 would say 1
    assert len(facets.apply(list(FACTS), FACTS, SearchFilters(tag=["O1", "F2"]))) == 2
    assert dict(counts["doc_type"]) == {"rapport": 1}  # other facets: over the O1 passages only
    by_type = facets.disjunctive_count(list(FACTS), FACTS, SearchFilters(doc_type=["rapport"]))
    assert dict(by_type["doc_type"]) == {"acte": 2, "rapport": 1}  # acte would add 2
    assert dict(by_type["tag"]) == {"F2": 1, "O1": 1}


def test_a_query_whose_words_no_passage_holds_says_so(store, settings):
    nonsense = _search(store, settings, "xyzzyqwerty", k=5)
    assert nonsense.word_matches == 0 and nonsense.hits  # the nearest by meaning, flagged as such
    sensible = _search(store, settings, "conflits", k=5)
    assert sensible.word_matches > 0
