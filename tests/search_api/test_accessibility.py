"""Accessibility of every page, read from the HTML the server sends: French, landmarks, labels, headings,
link texts, unique ids, charts with a text alternative. And the basic search without JavaScript."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app

FIELDS = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset"}
VAGUE_LINKS = {"ici", "cliquez ici", "lien", "plus", "voir", "lire la suite", "en savoir plus", "cliquer ici"}
VOID = {"input", "br", "meta", "link", "img", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}


class Page(HTMLParser):
    """The facts the checks read: the html element, landmarks, fields, labels, headings, links, ids."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.tags: list[tuple[str, dict]] = []
        self.labels_for: set[str] = set()
        self.ids: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.links: list[tuple[dict, str]] = []
        self.buttons: list[str] = []
        self._open: list[tuple[str, dict, list[str]]] = []  # heading, link, button, label being read
        self.fields_in_labels: set[int] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = attrs.get("lang")
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.labels_for.add(attrs["for"])
        if tag in FIELDS and any(t == "label" for t, _, _ in self._open):
            self.fields_in_labels.add(len(self.tags))
        self.tags.append((tag, attrs))
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6", "a", "button", "label"}:
            self._open.append((tag, attrs, []))
        if tag in VOID:
            self._open = [entry for entry in self._open if entry[0] != tag]

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            name, attrs, text = self._open[i]
            if name != tag:
                continue
            del self._open[i]
            content = " ".join("".join(text).split())
            if tag.startswith("h"):
                self.headings.append((int(tag[1]), content))
            elif tag == "a":
                self.links.append((attrs, content))
            elif tag == "button":
                self.buttons.append(content)
            for _, _, outer in self._open:  # a link's text is also its heading's text
                outer.append(" " + "".join(text) + " ")
            break

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)


def check(html: str) -> list[str]:
    """What is wrong with a page, in words (empty when nothing is)."""
    page = Page(html)
    problems = []
    if page.lang != "fr":
        problems.append(f"html lang is {page.lang!r}")
    names = [tag for tag, _ in page.tags]
    for landmark in ("header", "main", "nav"):
        if landmark not in names:
            problems.append(f"no <{landmark}>")
    if names.count("main") > 1:
        problems.append("several <main>")
    for tag, attrs in page.tags:
        if tag == "nav" and not attrs.get("aria-label"):
            problems.append("a <nav> without aria-label")
    for index, (tag, attrs) in enumerate(page.tags):
        if tag not in FIELDS or attrs.get("type") in UNLABELLED_INPUTS:
            continue
        labelled = attrs.get("id") in page.labels_for or attrs.get("aria-label") or attrs.get("aria-labelledby")
        if not labelled and index not in page.fields_in_labels:
            problems.append(f"<{tag} name={attrs.get('name')!r}> has no label")
    levels = [level for level, _ in page.headings]
    if not levels or levels[0] != 1 or levels.count(1) != 1:
        problems.append(f"headings must start with one h1: {levels}")
    for before, after in zip(levels, levels[1:], strict=False):
        if after > before + 1:
            problems.append(f"heading level jumps from h{before} to h{after}")
    for level, text in page.headings:
        if not text:
            problems.append(f"an empty h{level}")
    for attrs, text in page.links:
        name = (attrs.get("aria-label") or text).strip()
        if not name:
            problems.append(f"a link without text: {attrs.get('href')}")
        elif name.lower().strip(" .…") in VAGUE_LINKS:
            problems.append(f"a vague link text: {name!r}")
    problems += [f"an empty button" for text in page.buttons if not text]
    duplicated = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if duplicated:
        problems.append(f"ids used twice: {duplicated}")
    for svg in re.findall(r"<svg\b[^>]*>", html):
        if 'role="img"' not in svg or "aria-labelledby" not in svg:
            problems.append("a chart without role=img and a title")
    return problems


def test_the_checks_find_what_is_wrong():
    bad = (
        '<html lang="en"><body><h2>Titre</h2><h4>Sous-titre</h4><input name="q"><a href="/x">ici</a>'
        '<a href="/y"></a><button></button><p id="a"></p><p id="a"></p><svg></svg></body></html>'
    )
    problems = check(bad)
    assert "html lang is 'en'" in problems and "no <main>" in problems and "no <nav>" in problems
    assert "<input name='q'> has no label" in problems
    assert "headings must start with one h1: [2, 4]" in problems and "heading level jumps from h2 to h4" in problems
    assert "a vague link text: 'ici'" in problems and "a link without text: /y" in problems
    assert "an empty button" in problems and "ids used twice: ['a']" in problems
    assert "a chart without role=img and a title" in problems
    good = (
        '<html lang="fr"><header><h1><a href="/">patrimoine</a></h1><nav aria-label="Navigation">'
        '<a href="/">Recherche</a></nav></header><main><h2>Titre</h2><label for="q">Question</label>'
        '<input id="q" name="q"><label><input type="checkbox" name="t"> F2</label><h3>Suite</h3>'
        '<button>Rechercher</button></main></html>'
    )
    assert check(good) == []


@pytest.fixture(scope="module")
def client(corpus_home):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATRIMOINE_HOME", str(corpus_home))
        yield TestClient(create_app())


def _pages(client) -> dict[str, str]:
    search = "/?q=" + quote("conflits autour du projet éolien")
    html = client.get(search).text
    document = re.search(r'href="(/document/\w+)\?', html).group(1)
    overview = client.get("/apercu").text
    actor = re.search(r'href="(/acteurs/\d+)"', overview).group(1)
    run = re.search(r'href="(/ingestions/[\w-]+)"', overview).group(1)
    initiatives = client.get("/initiatives-du-corpus").text
    initiative = re.search(r'href="(/initiative/\d+)"', initiatives).group(1)
    urls = [
        "/", search, search + "&tag=F2&group=document", search + "&per_page=3&page=2", "/?q=" + quote('"xyzzy plugh"'),
        document, document + "?q=" + quote("éolien"), actor, "/initiatives-du-corpus", initiative, "/apercu", run,
    ]
    return {url: client.get(url).text for url in urls}


def test_every_page_passes_the_checks(client):
    pages = _pages(client)
    assert len(pages) == 12
    problems = {url: check(html) for url, html in pages.items()}
    assert problems == {url: [] for url in pages}


def test_the_basic_search_works_without_javascript(client):
    """A plain GET, as a browser without JavaScript sends the form: the hits are in the HTML."""
    html = client.get("/", params={"q": "médiation sur le parc éolien", "tag": "F2"}).text
    hits = re.findall(r'<li class="hit">', html)
    assert len(hits) == 10
    assert re.search(r'<a href="/document/\w+\?q=m%C3%A9diation[^"]*#p\d+" class="open">', html)
    assert '<button type="submit" class="apply">Appliquer les filtres</button>' in html  # the facets' submit button
    assert 'value="F2" checked' in html and "<mark>" in html
