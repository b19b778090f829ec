"""The French pages and the file endpoint, without a browser: escaping, links, facets, pages, files."""

import html
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from pipelines import catalog
from pipelines.settings import Settings
from pipelines.store import Store
from search_api import charts
from search_api.app import create_app
from search_api.highlight import highlight, mark_names, snippet, where
from search_api.reasons import in_french
from tests.conftest import ACTE, EXTERNAL, TRANSCRIPT


@pytest.fixture
def client(ingested):
    return TestClient(create_app())


def test_highlight_is_accent_insensitive_and_escapes_first():
    marked = highlight("La <b>médiation</b> & l'Éolien : MEDIATIONS", "mediation eolien")
    assert marked == (
        "La &lt;b&gt;<mark>médiation</mark>&lt;/b&gt; &amp; l&#39;<mark>Éolien</mark>\u00a0: <mark>MEDIATIONS</mark>"
    )  # and a no-break space before the colon
    assert "<mark>" not in highlight("le projet de la commune", "le de la")  # function words are not marked
    assert highlight("Parce que le parc éolien", "parc") == "Parce que le <mark>parc</mark> éolien"  # not "parce"
    assert highlight("le podcast « Le Fil » ? Oui !", "fil") == (
        "le podcast «\u00a0Le <mark>Fil</mark>\u00a0»\u00a0? Oui\u00a0!"  # no line break inside « »
    )
    assert highlight("<script>alert(1)</script>", "script") == "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
    assert mark_names("Mme Hélène MARCHADIER, présidente", ["Helene Marchadier"]) == (
        "Mme <mark>Hélène MARCHADIER</mark>, présidente"
    )


def test_snippet_is_a_window_around_the_query_words():
    text = "Début sans intérêt. " * 40 + "Le comité de suivi de l'éolien se réunira. " + "Fin sans intérêt. " * 40
    cut = snippet(text, "comité éolien", size=200)
    assert cut.startswith("… ") and cut.endswith(" …") and "<mark>comité</mark>" in cut and len(cut) < 300
    assert snippet("Court & net", "net") == "Court &amp; <mark>net</mark>"


def test_where_labels():
    assert where(12, None, None, None) == "p.\u00a012"  # no line break after "p."
    assert where(12, 13, None, None) == "p.\u00a012–13"
    assert where(None, None, "Hélène Marchadier", 1008.0) == "Hélène Marchadier à 00:16:48"


def test_search_page_has_facets_that_keep_the_query(client):
    page = client.get("/", params={"q": "conflits autour du projet éolien"})
    assert page.status_code == 200
    assert 'name="tag" value="F2"' in page.text and "Coopération, conflits au travail" in page.text
    assert re.search(r'<span class="count" data-count="\d+">', page.text)
    assert "<mark>" in page.text
    filtered = client.get("/?q=" + quote("conflits autour du projet éolien") + "&tag=F2")
    assert 'value="F2" checked' in filtered.text
    assert 'href="/?q=conflits+autour+du+projet+%C3%A9olien"' in filtered.text  # the link removing the filter
    years = re.findall(r'href="(/\?[^"]*date_from=(\d{4})&amp;date_to=\2)"', filtered.text)
    assert years and all("tag=F2" in url for url, _ in years)  # facet links keep the query and filters


def test_search_page_pages_and_groups(client):
    first = client.get("/", params={"q": "groupes de pairs", "per_page": 3})
    assert "page 1 sur" in first.text and 'rel="next"' in first.text
    second = client.get("/", params={"q": "groupes de pairs", "per_page": 3, "page": 2})
    assert 'rel="prev"' in second.text and '<ol class="hits" start="4">' in second.text
    grouped = client.get("/", params={"q": "groupes de pairs", "group": "document"})
    assert "5 documents pour" in grouped.text and 'class="group"' in grouped.text
    assert client.get("/", params={"q": "eau", "date_from": "", "date_to": ""}).status_code == 200  # empty form fields
    assert client.get("/", params={"q": "eau", "date_from": "mars"}).status_code == 422


def test_hit_links_open_the_document_at_its_page_and_the_pdf_at_that_page(client):
    page = client.get("/", params={"q": "journées d'initiation à l'approche systémique"}).text
    link = re.search(r'href="/document/(\w+)\?q=[^"#]*#p(\d+)"', page)
    assert link
    document_id, number = link.groups()
    assert f'href="/documents/{document_id}/file#page={number}"' in page
    document = client.get(f"/document/{document_id}", params={"q": "journées d'initiation"})
    assert document.status_code == 200
    assert f'id="p{number}"' in document.text and "<mark>journées</mark>" in document.text
    assert "Rapport d’activité 2023" in document.text
    actor = re.search(r'<a href="/acteurs/(\d+)">([^<]+)</a>', document.text)  # the document's actors link to their page
    assert actor and client.get(f"/acteurs/{actor.group(1)}").status_code == 200
    assert actor.group(2) in client.get(f"/acteurs/{actor.group(1)}").text
    assert client.get("/document/0000000000000000").status_code == 404


def test_file_endpoint_serves_recorded_files_only(client):
    hits = client.get("/search", params={"q": "projet éolien", "k": 50}).json()["hits"]
    by_name = {h["source_path"].rsplit("/", 1)[-1]: h["document_id"] for h in hits}
    pdf = client.get(f"/documents/{by_name[ACTE.name]}/file")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == ACTE.read_bytes()
    assert pdf.headers["content-security-policy"] == "sandbox"
    text = client.get(f"/documents/{by_name[TRANSCRIPT.name]}/file")
    assert text.headers["content-type"] == "text/plain; charset=utf-8" and text.content == TRANSCRIPT.read_bytes()
    for refused in ("0000000000000000", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", quote(str(ACTE), safe="")):
        assert client.get(f"/documents/{refused}/file").status_code == 404


def test_actor_and_overview_pages(client):
    actors = client.get("/search", params={"q": "projet éolien"}).json()  # warm the app
    assert actors["hits"]
    overview = client.get("/apercu")
    assert overview.status_code == 200
    assert overview.text.count('<svg class="chart"') == 5 and 'class="bar"' in overview.text
    actor_link = re.search(r'href="/acteurs/(\d+)">([^<]+)</a>', overview.text)
    actor = client.get(f"/acteurs/{actor_link.group(1)}")
    assert actor.status_code == 200 and "<mark>" in actor.text and 'article class="passage"' in actor.text
    assert client.get("/acteurs/999999999").status_code == 404


def test_charts_escape_labels():
    svg = charts.bars("Acteurs", [("<script>x</script>", 3), ("Élus", 1)])
    assert "<script>x" not in svg and "&lt;script&gt;x" in svg and svg.count('class="bar"') == 2


def test_document_text_is_escaped_on_every_page(home, copy_file, tmp_path):
    from pipelines.flows import ingest

    source = tmp_path / "piege.txt"
    source.write_text(
        "Compte rendu de l'atelier de médiation.\n\n"
        "Le participant a collé <script>alert('piège')</script> et <img src=x onerror=alert(1)> dans le "
        "formulaire de la démarche de médiation territoriale ; l'animatrice a rappelé les règles du groupe de pairs.",
        encoding="utf-8",
    )
    report = ingest([str(source)])
    assert report.documents_ingested == 1
    client = TestClient(create_app())
    hit = client.get("/search", params={"q": "médiation script"}).json()["hits"][0]
    assert "<script>alert('piège')</script>" in hit["text"]  # the API gives the text as it is
    pages = [
        client.get("/", params={"q": "médiation script"}).text,
        client.get(f"/document/{hit['document_id']}", params={"q": "script"}).text,
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;" in html and "alert(&#39;piège&#39;)" in html


def test_search_api_filters_facets_and_pages(client):
    params = {"q": "conflits autour du projet éolien", "k": 5}
    body = client.get("/search", params=params).json()
    assert body["page"] == 1 and body["per_page"] == 5 and body["total"] >= len(body["hits"]) == 5
    assert set(body["facets"]) == {
        "doc_type", "year", "territory", "tag", "actor", "role", "practice", "initiative", "source"
    }
    assert all(hit["citation"].startswith(hit["title"]) for hit in body["hits"])
    assert body["groups"] is None
    f2 = next(f["count"] for f in body["facets"]["tag"] if f["value"] == "F2")
    filtered = client.get("/search", params={**params, "tag": ["F2", "F4"], "page": 2}).json()
    f4 = next(f["count"] for f in body["facets"]["tag"] if f["value"] == "F4")
    assert max(f2, f4) <= filtered["total"] <= f2 + f4
    assert all({"F2", "F4"} & {t["id"] for t in h["tags"]} for h in filtered["hits"])
    grouped = client.get("/search", params={**params, "group": "document", "per_page": 2}).json()
    assert grouped["total"] == 5 and len(grouped["groups"]) == 2
    for bad in ({"date_from": "14/03/2024"}, {"page": 0}, {"per_page": 101}, {"group": "page"}):
        refused = client.get("/search", params={**params, **bad})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", next(iter(bad))]  # names the parameter
    detail = client.get("/search", params={**params, "date_to": "mars"}).json()["detail"][0]
    assert detail["msg"] == "'mars' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD" and detail["input"] == "mars"


def test_initiative_pages_list_and_compare(ingested):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    client = TestClient(create_app())
    listing = client.get("/initiatives-du-corpus")
    assert listing.status_code == 200 and "PACT2" in listing.text
    pact = next(i for i in client.get("/initiatives").json()["initiatives"] if i["name"] == "PACT2")
    page = client.get(f"/initiative/{pact['initiative_id']}")
    assert page.status_code == 200
    assert "Initiatives semblables" in page.text and "Portée par Colab-Studio, Ouishare" in page.text
    assert client.get("/initiative/999999").status_code == 404
    placed = next(i for i in client.get("/initiatives").json()["initiatives"] if i["territory"])
    assert f"Territoire : {html.escape(placed['territory'])}" in client.get(f"/initiative/{placed['initiative_id']}").text
    assert f"{html.escape(placed['territory'])} · " in listing.text


def test_json_export_has_the_citations_of_the_csv_and_the_page_links_both(client):
    import csv
    import io
    import json

    params = {"q": "parc éolien", "tag": "F2", "k": 5}
    exported = client.get("/search.json", params=params)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/json"
    assert exported.headers["content-disposition"] == 'attachment; filename="patrimoine-recherche-parc-eolien.json"'
    body = json.loads(exported.text)
    assert body == client.get("/search", params=params).json()  # the JSON of GET /search, as a file
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv", params=params).content.decode("utf-8-sig"))))
    assert [hit["citation"] for hit in body["hits"]] == [row["citation"] for row in rows]
    assert len(rows) == 5 and all("F2" in [t["id"] for t in hit["tags"]] for hit in body["hits"])
    assert any(", p. " in row["citation"] for row in rows)
    page = client.get("/", params={"q": "parc éolien", "tag": "F2", "per_page": 5, "page": 2}).text
    assert 'href="/search.csv?q=parc+%C3%A9olien&amp;tag=F2&amp;k=10" download>Exporter en CSV' in page
    assert 'href="/search.json?q=parc+%C3%A9olien&amp;tag=F2&amp;k=10" download>Exporter en JSON' in page
    assert client.get("/search.json", params={"q": "eau", "date_from": "hier"}).status_code == 422


def test_grouped_by_document_the_exports_hold_the_documents_shown(client):
    import csv
    import io
    import json

    from pipelines.export import DOCUMENT_CSV_COLUMNS

    params = {"q": "projet éolien", "group": "document", "per_page": 2}
    shown = []  # the documents of pages 1 and 2, in their order
    for number in (1, 2):
        page = client.get("/", params={**params, "page": number}).text
        shown += re.findall(r'<li class="group"><a href="/document/(\w+)\?[^"]*"><strong>([^<]+)</strong>', page)
    assert len(shown) == 4
    link = re.search(r'href="(/search\.csv\?[^"]+)" download>Exporter en CSV \(un document par ligne\)', page)
    assert link and "group=document" in link.group(1) and link.group(1).endswith("k=4")
    text = client.get(html.unescape(link.group(1))).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(DOCUMENT_CSV_COLUMNS)
    assert [row["title"] for row in rows] == [html.unescape(title) for _, title in shown]  # one row per document
    groups = client.get("/search", params={**params, "per_page": 4}).json()["groups"]
    assert [g["document_id"] for g in groups] == [document_id for document_id, _ in shown]
    for row, group in zip(rows, groups, strict=True):
        assert row["passages"] == str(len(group["hits"])) and row["best_citation"] == group["hits"][0]["citation"]
        assert row["source_file"] == group["source_path"].rsplit("/", 1)[-1]
        assert set(row["tags"].split()) == {t["id"] for hit in group["hits"] for t in hit["tags"]}
        assert row["pages"] == ", ".join(sorted({f"{h['page']}" for h in group["hits"] if h["page"]}, key=int)) \
            or any(h["page_end"] not in (None, h["page"]) for h in group["hits"])
    json_link = re.search(r'href="(/search\.json\?[^"]+)" download>Exporter en JSON \(documents et passages\)', page)
    body = json.loads(client.get(html.unescape(json_link.group(1))).text)
    assert [g["document_id"] for g in body["groups"]] == [document_id for document_id, _ in shown]
    assert body == client.get("/search", params={"q": "projet éolien", "group": "document", "k": 4}).json()
    assert client.get("/search.csv", params={"q": "eau", "group": "paragraphe"}).status_code == 422


def test_empty_results_say_so(client):
    none = client.get("/", params={"q": '"xyzzy plugh"'}).text  # an exact phrase found nowhere
    assert "0 résultat pour «&nbsp;&#34;xyzzy plugh&#34;&nbsp;»" in none  # 0 is singular in French
    assert "Aucun résultat. Retirez les guillemets pour chercher les mots séparément" in none
    assert "Exporter" not in none
    filtered = client.get("/", params={"q": "projet éolien", "date_to": "1999"}).text
    assert "Aucun résultat avec ces filtres" in filtered
    beyond = client.get("/", params={"q": "projet éolien", "page": 99})  # led to the last page
    assert "page=" in str(beyond.url) and "page=99" not in str(beyond.url) and 'class="hit"' in beyond.text
    one = client.get("/", params={"q": "projet éolien", "group": "document", "source": ACTE.name}).text
    assert "1 document pour" in one  # singular


def test_document_page_shows_similar_documents_and_why(client):
    hits = client.get("/search", params={"q": "projet éolien", "k": 50}).json()["hits"]
    acte = next(h for h in hits if h["source_path"].endswith(ACTE.name))
    api = client.get(f"/documents/{acte['document_id']}/similar", params={"k": 5}).json()["results"]
    page = client.get(f"/document/{acte['document_id']}").text
    section = page[page.index('id="similar-title"'):page.index("</section>", page.index('id="similar-title"'))]
    links = re.findall(r'<li><a href="/document/(\w+)">([^<]+)</a>', section)
    assert [document_id for document_id, _ in links] == [r["document_id"] for r in api]  # ranked as the API
    assert acte["document_id"] not in dict(links)
    first = api[0]
    assert f"proximité {first['score']:.2f}".replace(".", ",") in section
    assert "Thèmes communs : " in section and 'class="tag">F' in section
    if first["shared"].get("roles"):
        assert "Rôles d'acteurs communs" in section
    assert 'for="autres">Seulement dans d\'autres territoires' in section
    others = client.get(f"/document/{acte['document_id']}", params={"autres_territoires": "true", "q": "éolien"}).text
    other_ids = re.findall(r'<li><a href="/document/(\w+)">', others[others.index('id="similar-title"'):])
    same = {r["document_id"] for r in api if r["territory"] == acte["territory"]}
    assert same and not same & set(other_ids)  # the same territory's documents are left out
    assert '<input type="hidden" name="q" value="éolien">' in others  # the form keeps the query


def test_runs_api_and_run_page_show_each_failed_file_with_its_reason(home, copy_file):
    from pipelines.flows import ingest

    good = copy_file(TRANSCRIPT)
    (good.parent / "scan <b>cassé.pdf").write_bytes(b"%PDF-1.4 cut short")
    report = ingest([str(good.parent)])
    assert (report.documents_ingested, report.documents_failed) == (1, 1)
    client = TestClient(create_app())

    runs = client.get("/runs").json()
    assert runs["total"] == 1 and runs["runs"][0]["run_id"] == report.run_id
    run = client.get(f"/runs/{report.run_id}").json()
    assert run["status"] == "completed" and run["paths"] == [str(good.parent)] and run["finished_at"]
    assert run["deployment"] is None and run["report"]["deployment"] is None  # started by hand
    (failure,) = run["report"]["failures"]
    assert failure["path"].endswith("scan <b>cassé.pdf") and failure["error"]
    assert client.get("/runs/no-such-run").status_code == 404

    overview = client.get("/apercu").text
    assert f'href="/ingestions/{report.run_id}"' in overview and "à la main" in overview
    page = client.get(f"/ingestions/{report.run_id}")
    assert page.status_code == 200
    assert "scan &lt;b&gt;cassé.pdf" in page.text and "<b>cassé" not in page.text
    assert str(escape(in_french(failure["error"]))) in page.text and in_french(failure["error"]) != failure["error"]
    assert "2 documents vus&nbsp;: 1 ingéré, 0 inchangé, 1 en échec" in page.text  # French singulars
    assert client.get("/ingestions/no-such-run").status_code == 404


@pytest.mark.skipif(not (EXTERNAL / "pdf-bad").exists(), reason="shared/external absent")
def test_the_run_page_gives_the_reasons_in_french_and_the_api_in_english(home, copy_file, tmp_path):
    import random
    import shutil

    from PIL import Image

    from pipelines.flows import ingest
    good = copy_file(TRANSCRIPT)
    shutil.copy(good, good.parent / "copie de la transcription.txt")  # the same content twice: a warning
    for name in ("empty.pdf", "encrypted.pdf", "truncated.pdf"):
        copy_file(EXTERNAL / "pdf-bad" / name)
    if shutil.which("tesseract"):  # a scan OCR cannot read: its page's reason inside the failure's
        random.seed(7)
        noise = Image.new("L", (850, 1100))
        noise.putdata([random.choice((0, 255)) for _ in range(850 * 1100)])
        noise.save(good.parent / "scan-illisible.pdf", "PDF", resolution=100)
    report = ingest([str(good.parent)])
    client = TestClient(create_app())
    api = client.get(f"/runs/{report.run_id}").json()["report"]
    english = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in api["failures"]}
    assert english["empty.pdf"] == "the file is empty (0 bytes)"  # the API keeps English
    assert english["encrypted.pdf"] == "the PDF is protected by a password"
    (copy,) = api["warnings"]
    assert copy["reason"].startswith("same content as ") and copy["page"] is None

    page = client.get(f"/ingestions/{report.run_id}").text
    failures = page[page.index('id="run-failures"'):page.index('id="run-warnings"')]
    warnings = page[page.index('id="run-warnings"'):]
    assert "Le fichier est vide (0 octet)" in failures and "Le PDF est protégé par un mot de passe" in failures
    assert "Même contenu que " in warnings
    for reason in [*english.values(), *(w["reason"] for w in api["warnings"])]:
        assert str(escape(in_french(reason))) in page and in_french(reason) != reason
        assert str(escape(reason)) not in page  # no English left
    if "scan-illisible.pdf" in english:
        assert "(page 1\u00a0: page numérisée illisible par l'OCR (confiance de " in failures.replace("&#39;", "'")
    assert not re.search(r"\b(the|page is|protected|content as|could be read)\b", failures + warnings)


def test_run_pages_say_who_started_each_run(home):
    store = Store.open(Settings())
    try:
        catalog.start_run(store.conn, "by-schedule", ["a"], deployment="nightly", scheduled=True)
        catalog.start_run(store.conn, "from-ui", ["a"], deployment="nightly", scheduled=False)
        catalog.start_run(store.conn, "by-hand", ["a"])
        catalog.start_run(store.conn, "older", ["a"], deployment="nightly")
        store.conn.execute("UPDATE runs SET scheduled = NULL WHERE run_id = 'older'")  # recorded before the column
        store.conn.commit()
    finally:
        store.close()
    client = TestClient(create_app())
    said = {run: client.get(f"/ingestions/{run}").text for run in ("by-schedule", "from-ui", "by-hand", "older")}
    assert "par la planification «&nbsp;nightly&nbsp;»" in said["by-schedule"]
    assert "à la main, depuis le déploiement «&nbsp;nightly&nbsp;»" in said["from-ui"]
    assert "à la main" in said["by-hand"] and "nightly" not in said["by-hand"]
    assert "par la planification «&nbsp;nightly&nbsp;»" in said["older"]  # only the schedule ran deployments then
    listed = {run["run_id"]: run["scheduled"] for run in client.get("/runs").json()["runs"]}
    assert listed == {"by-schedule": True, "from-ui": False, "by-hand": False, "older": True}
    overview = client.get("/apercu").text
    assert "à la main, depuis le déploiement" in overview and "par la planification" in overview
    assert overview.count("comptes non enregistrés") == 3 and overview.count('<td colspan="5">en cours</td>') == 1
    assert "s'est arrêtée avant sa fin" in said["by-schedule"] and "est en cours" not in said["by-schedule"]
    assert "est en cours" in client.get("/ingestions/older").text  # the last one still runs


def test_web_pages_answer_errors_in_french_and_the_api_in_json(ingested):
    client = TestClient(create_app())
    for url in ("/document/nope", "/acteurs/99999", "/acteurs/abc", "/initiative/99999", "/ingestions/nope"):
        page = client.get(url)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), url
        assert "<h2>Introuvable</h2>" in page.text and "{\"detail\"" not in page.text, url
    refused = client.get("/", params={"q": "eau", "date_from": "2024/03", "tag": "F9"})
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    assert "Depuis&nbsp;: «&nbsp;2024/03&nbsp;»" in refused.text and "Thème&nbsp;: «&nbsp;F9&nbsp;»" in refused.text
    assert client.get("/", params={"q": "x" * 1001}).status_code == 422
    assert client.get("/documents/nope").json()["detail"] == "no document with id 'nope'"  # the API's JSON
    api = client.get("/search", params={"q": "eau", "tag": "F9"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "tag"]
    for blank in (" ", "x" * 1001):
        assert client.get("/search", params={"q": blank}).json()["detail"][0]["loc"] == ["query", "q"]


def test_a_page_past_the_last_leads_to_the_last(ingested):
    client = TestClient(create_app())
    first = client.get("/search", params={"q": "transition", "per_page": 10}).json()
    last = -(-first["total"] // 10)
    moved = client.get("/", params={"q": "transition", "page": last + 5}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/?q=transition&page={last}"


def test_the_original_file_answers_head_requests(ingested):
    client = TestClient(create_app())
    document_id = client.get("/search", params={"q": "transition"}).json()["hits"][0]["document_id"]
    assert client.head(f"/documents/{document_id}/file").status_code == 200
