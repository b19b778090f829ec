"""Real documents of ../shared/external: text lands on the page it was read on, clean of layout debris."""

import re
from pathlib import Path

import pytest

from pipelines.readers import read_document
from pipelines.segmentation import segment
from tests.conftest import EXTERNAL

PDF = EXTERNAL / "pdf"
pytestmark = pytest.mark.skipif(not PDF.exists(), reason="shared/external absent")

# (file, page, a sentence read on that page; line breaks of the PDF fall inside some of them)
SENTENCES = [
    ("CM-13-JANVIER-2022.pdf", 4,
     "Le contrat a pour objet la cession des licences de la logithèque Horizon Villages Cloud"),
    ("Compte-rendu-approuve-du-CC-du-10-avril-2025.pdf", 12,
     "Il en résulte que le taux de TEOM doit être fixé de telle manière qu'il ne procure pas des recettes "
     "manifestement disproportionnées par rapport au montant des dépenses exposées par la collectivité"),
    ("avis-codev.pdf", 3, "Pas de budget programmé ; comment cette action peut-elle fonctionner ?"),
    ("20251120-PV.pdf", 7, "Monsieur Leblanc demande si une mise en concurrence a été effectuée."),
    ("compte-rendu-12-12-2017.pdf", 9,
     "Les montants sont établis pour un agent exerçant à temps complet. Ils sont réduits au prorata de la "
     "durée effective du temps de travail pour les agents exerçant à temps partiel"),
]


def _passages(name: str):
    document = read_document(PDF / name, max_bytes=10**9)
    return segment(document, min_chars=300, max_chars=1200)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("name", "page", "sentence"), SENTENCES, ids=[s[0] for s in SENTENCES])
def test_a_sentence_read_on_a_page_is_found_on_that_page(name, page, sentence):
    holders = [p for p in _passages(name) if sentence in _flat(p.text)]
    assert holders, f"not found in any passage of {name}"
    assert all(p.page <= page <= (p.page_end or p.page) for p in holders)


@pytest.mark.parametrize("name", ["CM-13-JANVIER-2022.pdf", "Compte-rendu-approuve-du-CC-du-10-avril-2025.pdf",
                                  "20251120-PV.pdf", "compte-rendu-12-12-2017.pdf"])
def test_no_hyphen_broken_word_nor_running_header_in_passages(name):
    import pdfplumber

    with pdfplumber.open(PDF / name) as pdf:
        raw = [page.extract_text() or "" for page in pdf.pages]
    raw_lines = {line for text in raw for line in text.splitlines()}
    texts = [p.text for p in _passages(name)]
    # "cons- truction": a hyphen at a former line end followed by a lower-case continuation, unless the
    # document itself prints it so on one line ("copropriétés non- dégradées").
    broken = {m.group(0) for t in texts for m in re.finditer(r"\b[a-zà-ÿ]{2,}- [a-zà-ÿ]{2,}\b", t)}
    assert not [b for b in broken if not any(b in line for line in raw_lines)]
    # A line that opens most pages of the PDF (its running header) is in no passage.
    firsts = [(text.strip().splitlines() or [""])[0] for text in raw]
    pages = len(firsts)
    for line in {f for f in firsts if f and sum(x == f for x in firsts) >= max(3, 0.6 * pages)}:
        assert not any(line in t for t in texts), line


@pytest.mark.skipif(not (EXTERNAL / "transcripts").exists(), reason="shared/external absent")
def test_external_transcripts_keep_speakers_and_times():
    for path in sorted((EXTERNAL / "transcripts").glob("*.md")):
        document = read_document(Path(path), max_bytes=10**9)
        assert document.doc_type == "transcription"
        passages = segment(document, min_chars=300, max_chars=1200)
        assert passages and all(p.speaker and p.start_s is not None for p in passages)
