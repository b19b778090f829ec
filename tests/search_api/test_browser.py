"""The web pages in a real browser: Debian's chromium driven by Playwright, the app served by uvicorn.

Skipped when /usr/bin/chromium is missing (`make system-deps` installs it as root). Screenshots of every
page go to tests/artifacts/ (not committed).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (the test extra)")
expect = playwright.expect



@pytest.fixture(scope="session")
def server(corpus_home):
    """The app served by uvicorn on 127.0.0.1, in a thread, on the session's ingested home."""
    import uvicorn

    from pipelines.settings import Settings
    from search_api.app import create_app

    port = free_port()
    app = create_app(Settings(home=corpus_home))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    with playwright.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    opened = context.new_page()
    yield opened
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_from_the_home_page(page, server):
    page.goto(server + "/")
    shot(page, "home")
    page.get_by_label("Votre question").fill("médiation sur le parc éolien")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"q=m%C3%A9diation"))
    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    assert hits.count() == 10
    marks = page.locator("li.hit mark").all_inner_texts()
    assert any(m.lower().startswith("médiat") for m in marks) and any(m.lower().startswith("éolien") for m in marks)
    shot(page, "search")


def _facet_counts(page, facet: str) -> dict[str, int]:
    counts = {}
    for item in page.locator(f'fieldset[data-facet="{facet}"] li').all():
        value = item.locator("input, a").first
        key = value.get_attribute("value") or value.inner_text()
        counts[key] = int(item.locator(".count").get_attribute("data-count"))
    return counts


def test_filter_by_tag_changes_hits_and_facet_counts(page, server):
    page.goto(server + "/?q=" + quote("conflits autour du projet éolien"))
    before = _facet_counts(page, "tag")
    sources_before = _facet_counts(page, "source")
    assert before["F2"] < sum(sources_before.values())  # not every candidate is tagged F2
    with page.expect_navigation(url=re.compile(r"tag=F2")):  # the checkbox submits the form (vendored JS)
        page.get_by_label(re.compile(r"^F2 · ")).click()
    expect(page.locator("p.active")).to_contain_text("F2")
    assert page.get_by_label(re.compile(r"^F2 · ")).is_checked()
    for hit in page.locator("li.hit").all():
        expect(hit.locator(".tag").filter(has_text="F2").first).to_be_visible()
    after_sources = _facet_counts(page, "source")
    assert sum(after_sources.values()) == before["F2"]  # every filtered passage has one source
    assert _facet_counts(page, "tag")["F2"] == before["F2"]
    assert after_sources != sources_before
    heading = page.locator("#results-title").inner_text()
    assert heading.startswith(f"{before['F2']} résultat")
    shot(page, "search-tag-F2")
    with page.expect_navigation(url=lambda url: "tag=F2" not in url):  # removing the filter: counts come back
        page.locator("p.active a").first.click()
    assert _facet_counts(page, "source") == sources_before


def test_open_a_document_at_its_page_and_its_file(page, server):
    page.goto(server + "/?q=" + quote("journées d'initiation à l'approche systémique"))
    hit = page.locator("li.hit").filter(has_text="Rapport d’activité 2023").first
    href = hit.locator("a.open").get_attribute("href")
    assert re.search(r"#p\d+$", href)
    hit.locator("a.open").click()
    anchor = href.rsplit("#", 1)[1]
    page.wait_for_url(re.compile("#" + anchor + "$"))
    section = page.locator(f"section#{anchor}")
    expect(section).to_be_visible()
    expect(section.locator("mark").first).to_be_visible()
    assert section.evaluate("el => el.matches(':target')")
    assert page.evaluate("window.scrollY") > 0 or section.bounding_box()["y"] < 900
    shot(page, "document")
    page.screenshot(path=str(ARTIFACTS / "document-at-page.png"))  # the viewport, scrolled to the page
    link = section.locator("a.file").get_attribute("href")
    assert link.endswith("#page=" + anchor[1:])
    response = page.request.get(server + link.split("#")[0])
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"


def test_actor_page_lists_mentions(page, server):
    page.goto(server + "/apercu")
    page.locator("#top-actors a").first.click()
    page.wait_for_url(re.compile(r"/acteurs/\d+$"))
    name = page.locator("h2").inner_text()
    passages = page.locator("article.passage")
    assert passages.count() >= 1
    expect(passages.first.locator("mark").first).to_be_visible()
    assert name.split()[0].lower() in passages.first.inner_text().lower()
    shot(page, "actor")


def test_overview_draws_its_charts(page, server):
    page.goto(server + "/apercu")
    for chart in ("documents-per-year", "documents-per-type", "tags-per-year", "top-actors", "top-practices"):
        svg = page.locator(f"#{chart} svg.chart")
        expect(svg).to_be_visible()
        assert svg.locator("rect.bar").count() >= 1
        box = svg.locator("rect.bar").first.bounding_box()
        assert box["width"] > 0 and box["height"] > 0
    per_type = page.locator("#documents-per-type rect.bar title").all_text_contents()
    assert sum(int(t.rsplit(":", 1)[1]) for t in per_type) == 5
    expect(page.locator("#runs tbody tr").first).to_contain_text("terminée")
    shot(page, "overview")


def test_keyboard_reaches_the_search_box_and_ticks_a_facet(page, server):
    page.goto(server + "/?q=" + quote("groupes de pairs"))
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")  # skip link: the next stop is the search box
    page.keyboard.press("Tab")
    expect(page.locator("#q")).to_be_focused()
    box = page.get_by_label(re.compile(r"^O1 · "))
    box.focus()
    with page.expect_navigation(url=re.compile(r"tag=O1")):
        page.keyboard.press("Space")
    expect(page.get_by_label(re.compile(r"^O1 · "))).to_be_focused()  # focus comes back to the ticked box
    expect(page.get_by_label(re.compile(r"^O1 · "))).to_be_checked()
    shot(page, "search-keyboard-O1")


def test_open_an_initiative_and_its_similar_initiatives(page, server):
    page.goto(server + "/")
    page.get_by_role("link", name="Initiatives").click()
    page.get_by_role("link", name="PACT2", exact=True).click()
    assert page.get_by_role("heading", level=2).inner_text() == "PACT2"
    assert "Portée par Colab-Studio, Ouishare" in page.locator("p.meta").first.inner_text()
    similar = page.locator("ol.similar li a")
    assert similar.count() >= 1
    shot(page, "initiative")
    name = similar.first.inner_text()
    similar.first.click()
    assert page.get_by_role("heading", level=2).inner_text() == name
    assert page.url.startswith(server + "/initiative/")


def test_export_the_results_as_csv_and_json(page, server):
    import csv
    import io
    import json

    page.goto(server + "/?q=" + quote("parc éolien") + "&tag=F2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV (avec citations)").click()
    assert download.value.suggested_filename == "patrimoine-recherche-parc-eolien.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("rank,score,citation,title,source_file")
    rows = list(csv.DictReader(io.StringIO(text)))
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en JSON (avec citations)").click()
    assert download.value.suggested_filename == "patrimoine-recherche-parc-eolien.json"
    hits = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["hits"]
    assert len(hits) == len(rows) == len(page.locator("li.hit").all()) >= 2
    assert [h["citation"] for h in hits] == [row["citation"] for row in rows]
    assert all("F2" in [t["id"] for t in h["tags"]] for h in hits)


def test_document_page_opens_a_similar_document(page, server):
    page.goto(server + "/?q=" + quote("délibération du conseil communautaire sur la fabrique locale"))
    page.locator("li.hit a.open").first.click()
    page.wait_for_url(re.compile(r"/document/\w+"))
    this = page.url.split("/document/")[1].split("?")[0].split("#")[0]
    similar = page.locator("section.similar ol.similar > li")
    expect(similar.first).to_be_visible()
    assert similar.count() == 4  # the four other documents of the corpus, best first
    first = similar.first
    expect(first).to_contain_text("proximité 0,")
    expect(first.locator("ul.why")).to_contain_text("Thèmes communs")
    page.locator("section.similar").scroll_into_view_if_needed()
    shot(page, "document-similar")
    title = first.locator("a").inner_text()
    first.locator("a").click()
    page.wait_for_url(lambda url: "/document/" in url and this not in url)
    assert page.get_by_role("heading", level=2).first.inner_text() == title
    back = page.locator("section.similar ol.similar > li a", has_text=re.compile(".+"))
    assert back.count() >= 1  # the page of the similar document lists its own similar documents


def test_basic_search_without_javascript(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server + "/")
        page.get_by_label("Votre question").fill("conflits autour du projet éolien")
        page.keyboard.press("Enter")  # the form's own submission: no script
        page.wait_for_url(re.compile(r"q=conflits"))
        expect(page.locator("li.hit").first).to_be_visible()
        total = int(page.locator("#results-title").inner_text().split()[0])
        page.get_by_label(re.compile(r"^F2 · ")).check()  # nothing happens until the button
        assert "tag=F2" not in page.url
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"tag=F2"))
        filtered = int(page.locator("#results-title").inner_text().split()[0])
        assert 0 < filtered < total
        expect(page.locator("p.active")).to_contain_text("F2")
        shot(page, "search-without-javascript")
        page.goto(server + "/?q=" + quote('"xyzzy plugh"'))
        expect(page.locator("p.empty")).to_contain_text("Aucun résultat")
        shot(page, "search-empty")
    finally:
        context.close()


def test_grouped_results_and_pages(page, server):
    page.goto(server + "/?q=" + quote("groupes de pairs") + "&group=document&per_page=2")
    groups = page.locator("li.group")
    assert groups.count() == 2
    expect(page.locator("#results-title")).to_contain_text("5 documents pour « groupes de pairs » — page 1 sur 3")
    for group in groups.all():  # three passages at most, then a link to the document
        assert group.locator("li.hit").count() <= 3
    more = groups.first.locator("p.more a")
    expect(more).to_contain_text(re.compile(r"^\d+ autres? passages? dans ce document"))
    shot(page, "search-grouped")
    page.get_by_role("navigation", name="Pages de résultats").get_by_role("link", name="Page 2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("#results-title")).to_contain_text("page 2 sur 3")
    page.goto(server + "/initiatives-du-corpus")
    assert page.locator("main ol li a").count() >= 1
    shot(page, "initiatives")
