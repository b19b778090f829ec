from pipelines.export import citation, clock, filename
from pipelines.schemas import SearchHit


def _hit(**fields):
    base = dict(passage_id="p", document_id="d", title="Compte rendu", source_path="/x/cr.pdf", page=None,
                text="t", score=0.1, tags=[], actors=[])
    return SearchHit(**{**base, **fields})


def test_citations():
    assert citation(_hit(page=12)) == "Compte rendu, p. 12"
    assert citation(_hit(page=12, page_end=13)) == "Compte rendu, p. 12-13"
    assert citation(_hit(page=12, page_end=12)) == "Compte rendu, p. 12"
    assert citation(_hit(speaker="Jeanne Roux", start_s=723.4)) == "Compte rendu, Jeanne Roux à 00:12:03"
    assert citation(_hit(start_s=3600)) == "Compte rendu, à 01:00:00"
    assert citation(_hit()) == "Compte rendu"
    assert clock(None) == ""


def test_export_filename_is_ascii():
    assert filename("Qu’est-ce que l’éolien ?", extension="csv") == "patrimoine-recherche-qu-est-ce-que-l-eolien.csv"
    assert filename("   ", extension="json") == "patrimoine-recherche-vide.json"


def test_csv_cells_a_spreadsheet_would_compute_are_kept_as_text():
    import csv
    import io

    from pipelines.export import search_csv
    from pipelines.schemas import SearchResponse

    hits = [_hit(text="- Pour les logements : 765 €", title="=SOMME(1+1)"), _hit(text="Plain text", score=-0.5)]
    rows = list(csv.reader(io.StringIO(search_csv(SearchResponse(query="q", hits=hits)))))
    assert rows[1][3] == "'=SOMME(1+1)" and rows[1][-1] == "'- Pour les logements : 765 €"
    assert rows[2][-1] == "Plain text" and rows[2][1] == "-0.5"  # numbers stay numbers


def test_grouped_hits_export_one_row_per_document_kept_as_text():
    import csv
    import io

    from pipelines.export import DOCUMENT_CSV_COLUMNS, search_csv
    from pipelines.schemas import HitGroup, SearchResponse, TagPublic

    f2, o1 = TagPublic(id="F2", score=0.9, evidence="e"), TagPublic(id="O1", score=0.8, evidence="e")
    pdf = [_hit(page=12, page_end=13, score=2.5, tags=[o1]), _hit(page=3, score=1.0, tags=[f2, o1]),
           _hit(page=12, page_end=13, score=0.5, tags=[f2, o1])]
    formula = [_hit(title="=SOMME(1+1)", source_path="/x/-notes.txt", score=0.2, date="2024-03-14", tags=[f2])]
    groups = [HitGroup(document_id="d", title="Compte rendu", source_path="/x/cr.pdf", hits=pdf),
              HitGroup(document_id="e", title="=SOMME(1+1)", source_path="/x/-notes.txt", hits=formula)]
    text = search_csv(SearchResponse(query="q", hits=pdf + formula, groups=groups))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(DOCUMENT_CSV_COLUMNS)
    assert rows[0] == {"rank": "1", "best_score": "2.5", "best_citation": "Compte rendu, p. 12-13",
                       "title": "Compte rendu", "source_file": "cr.pdf", "date": "", "territory": "",
                       "doc_type": "", "passages": "3", "pages": "3, 12-13", "tags": "O1 F2"}
    assert rows[1]["title"] == "'=SOMME(1+1)" and rows[1]["best_citation"] == "'=SOMME(1+1)"
    assert rows[1]["source_file"] == "'-notes.txt" and rows[1]["pages"] == "" and rows[1]["date"] == "2024-03-14"
