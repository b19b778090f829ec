from pathlib import Path

import pytest

from pipelines.errors import EmptyDocument, UnreadableDocument
from pipelines.readers import content_id, discover, read_document, title_before_roll_call
from pipelines.readers.pdf import join_lines, table_rows
from tests.conftest import ACTE, CORPUS, EXTERNAL, RAPPORT, TRANSCRIPT

MAX = 200_000_000


def test_pdf_keeps_pages_and_drops_running_headers_and_page_numbers():
    document = read_document(ACTE, max_bytes=MAX)
    assert document.pages == 4
    assert {block.page for block in document.blocks} == {1, 2, 3, 4}
    texts = [block.text for block in document.blocks]
    assert not any("Registre des délibérations" in t and len(t) < 90 for t in texts)  # the running header
    assert not any(t.startswith("Page ") and "/ 4" in t for t in texts)
    page_two = " ".join(b.text for b in document.blocks if b.page == 2)
    assert "186 000 € sur trois ans" in page_two


def test_pdf_title_and_type_come_from_the_document_not_the_file_name():
    document = read_document(ACTE, max_bytes=MAX)
    assert "registre des délibérations" in document.title.lower()
    assert document.doc_type == "acte"
    assert read_document(RAPPORT, max_bytes=MAX).doc_type == "rapport"


def test_lines_cut_by_a_hyphen_are_rejoined():
    assert join_lines(["la cons-", "truction du centre"]) == "la construction du centre"
    assert join_lines(["Jean-", "François Caron"]) == "Jean-François Caron"
    assert join_lines(["les biscuits seraient-", "ils nés de cette légende ?"]) == "les biscuits seraient-ils nés de cette légende ?"
    assert join_lines(["celle-", "ci est adoptée"]) == "celle-ci est adoptée"
    assert join_lines(["une ligne", "et la suivante"]) == "une ligne et la suivante"


def test_transcript_turns_keep_speaker_and_times():
    document = read_document(TRANSCRIPT, max_bytes=MAX)
    assert document.doc_type == "transcription"
    first, second = document.blocks[:2]
    assert first.speaker and first.start_s == 0.0
    assert second.start_s > 0 and first.end_s == second.start_s
    assert all(block.page is None for block in document.blocks)


def test_type_comes_from_content_not_extension(tmp_path):
    fake = tmp_path / "notes.pdf"
    fake.write_text("# Compte rendu\n\nLa séance est ouverte à 18 h sous la présidence du maire.\n", encoding="utf-8")
    document = read_document(fake, max_bytes=MAX)
    assert document.title == "Compte rendu"
    assert "séance est ouverte" in document.blocks[-1].text


def test_latin1_text_is_decoded(tmp_path):
    path = tmp_path / "vieux.txt"
    path.write_bytes("Délibération sur l'école élémentaire : adoptée.".encode("cp1252"))
    assert "Délibération" in read_document(path, max_bytes=MAX).blocks[0].text


def test_bad_files_raise_a_reason(tmp_path):
    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyDocument, match="empty"):
        read_document(empty, max_bytes=MAX)
    with pytest.raises(UnreadableDocument, match="no such file"):
        read_document(tmp_path / "absent.pdf", max_bytes=MAX)
    broken = tmp_path / "casse.pdf"
    broken.write_bytes(ACTE.read_bytes()[:2000])
    with pytest.raises(UnreadableDocument, match="PDF"):
        read_document(broken, max_bytes=MAX)
    with pytest.raises(UnreadableDocument, match="over the limit"):
        read_document(ACTE, max_bytes=1000)


@pytest.mark.skipif(not (EXTERNAL / "pdf-bad" / "encrypted.pdf").exists(), reason="shared/external absent")
def test_password_protected_pdf_is_reported():
    with pytest.raises(UnreadableDocument, match="password"):
        read_document(EXTERNAL / "pdf-bad" / "encrypted.pdf", max_bytes=MAX)


def test_discover_finds_documents_in_folders_once(tmp_path):
    found = discover([CORPUS, ACTE])
    assert sorted(p.name for p in found) == sorted(p.name for p in CORPUS.iterdir())
    assert discover([tmp_path / "absent.txt"]) == [tmp_path / "absent.txt"]


def test_content_id_depends_on_content_only():
    assert content_id(b"abc") == content_id(b"abc") != content_id(b"abd")
    assert len(content_id(Path(ACTE).read_bytes())) == 16


def test_tesseract_tsv_is_parsed_into_paragraphs_with_confidence():
    from pipelines.readers.ocr import parse_tsv

    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t96.0\tArrêté",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t90.0\tpréfectoral",
        "5\t1\t2\t1\t1\t1\t0\t0\t1\t1\t12.0\t~#",
        "5\t1\t2\t1\t1\t2\t0\t0\t1\t1\t94.0\tVU",
        "4\t1\t2\t1\t1\t0\t0\t0\t1\t1\t-1\t",
    ]
    page = parse_tsv(header + "\n".join(rows) + "\n")
    assert page.paragraphs == ["Arrêté préfectoral", "VU"]  # the 12 % word is dropped as noise
    assert page.words == 4 and page.confidence == 73.0


needs_ocr = pytest.mark.skipif(
    not (EXTERNAL / "pdf-bad").exists() or __import__("shutil").which("tesseract") is None,
    reason="shared/external or tesseract absent",
)


@needs_ocr
def test_mixed_document_gets_ocr_only_on_its_scanned_pages():
    document = read_document(EXTERNAL / "pdf-bad" / "compte-rendu-03-10-2017.pdf", max_bytes=MAX)
    ocr_pages = {b.page for b in document.blocks if b.ocr_confidence is not None}
    assert ocr_pages == {6, 7, 8, 9, 10}
    assert all(b.ocr_confidence >= 55 for b in document.blocks if b.ocr_confidence is not None)
    assert {b.page for b in document.blocks} >= set(range(1, 13))


def test_a_page_ocr_cannot_read_is_reported_not_indexed(tmp_path):
    import random

    from PIL import Image

    if __import__("shutil").which("tesseract") is None:
        pytest.skip("tesseract absent")
    random.seed(7)
    noise = Image.new("L", (850, 1100))
    noise.putdata([random.choice((0, 255)) for _ in range(850 * 1100)])
    path = tmp_path / "scan-illisible.pdf"
    noise.save(path, "PDF", resolution=100)
    with pytest.raises(EmptyDocument, match="page 1: scanned page not readable by OCR"):
        read_document(path, max_bytes=MAX)


def test_scanner_file_names_are_not_titles(tmp_path):
    from pipelines.readers.pdf import _metadata_title

    assert _metadata_title({"Title": "KM_C250i_S23032410220"}) is None
    assert _metadata_title({"Title": "Microsoft Word - CR conseil.docx"}) is None
    assert _metadata_title({"Title": "Rapport annuel 2023"}) == "Rapport annuel 2023"


@needs_ocr
def test_a_scan_with_a_garbage_ocr_layer_is_read_again_not_indexed_as_garbage():
    document = read_document(EXTERNAL / "pdf-bad" / "compte-rendu-28-05-2020.pdf", max_bytes=MAX)
    text = " ".join(block.text for block in document.blocks)
    assert "Yl4&[" not in text  # the handwriting as the file's own OCR layer reads it
    assert all(block.ocr_confidence is not None for block in document.blocks)
    assert "conseillers municipaux" in text  # the printed form is read


@pytest.mark.skipif(not (EXTERNAL / "pdf").exists(), reason="shared/external absent")
def test_designed_pages_over_a_background_image_keep_their_text_layer():
    document = read_document(EXTERNAL / "pdf" / "7.-Annexe-DEL2024-53-CCLO_Rapport-annuel-SPANC-2023.pdf", max_bytes=MAX)
    assert all(block.ocr_confidence is None for block in document.blocks)


@pytest.mark.skipif(not (EXTERNAL / "pdf").exists(), reason="shared/external absent")
def test_columns_are_read_one_after_the_other():
    document = read_document(EXTERNAL / "pdf" / "JOURNAL-AU-FIL-DES-LISIERES-1-1.pdf", max_bytes=MAX)
    page_six = [block.text for block in document.blocks if block.page == 6]
    assert "Un peu d’histoire et de mystère…" in page_six  # the right column's heading, on its own
    story = next(t for t in page_six if t.startswith("La Pierre qui tourne, c’est d’abord"))
    assert "Attichy. Implantée à Couloisy, depuis janvier 2020" in story  # the left column read on
    assert "Un peu d’histoire" not in story


def test_table_rows_read_as_header_value_pairs():
    cells = [["Registre 2024", "", ""], ["DATE", "Numéro", "OBJET"], ["23/01/2024", "2024_01", "Voirie"], ["", "2024_02", "Budget"]]
    assert table_rows(cells) == [
        "Registre 2024", "", "DATE : 23/01/2024 ; Numéro : 2024_01 ; OBJET : Voirie", "Numéro : 2024_02 ; OBJET : Budget",
    ]
    assert table_rows([["Carte", "GRATUIT"], ["Pénalité", "1 €"]]) == ["Carte | GRATUIT", "Pénalité | 1 €"]


def test_a_first_row_of_values_is_data_not_the_header():
    """A price table under a caption: its first row is a price like the others, not column names."""
    prices = [["Location à la journée : grande salle seule", ""], ["Associations de Pierrefonds", "GRATUIT"],
              ["Pétrifontains", "90 €"], ["Non pétrifontains", "115 €"]]
    assert table_rows(prices) == ["Location à la journée : grande salle seule", "Associations de Pierrefonds | GRATUIT",
                                  "Pétrifontains | 90 €", "Non pétrifontains | 115 €"]
    dated = [["13/06/2024", "2024_28", "Décision modificative", "Approuvée"],
             ["13/06/2024", "2024_29", "Provision pour risques", "Approuvée"], ["13/06/2024", "2024_30", "Tarifs", "Rejetée"]]
    assert table_rows(dated)[1] == "13/06/2024 | 2024_29 | Provision pour risques | Approuvée"
    meetings = [["24 avril à 11h00", "Forum Emploi", "Couloisy"], ["06 mai à 19h00", "Atelier", "Couloisy"],
                ["21 juin", "Inauguration", "Attichy"]]
    assert table_rows(meetings)[0] == "24 avril à 11h00 | Forum Emploi | Couloisy"
    prose = [["Rentrée scolaire", "1 heure", "Facilité d’horaire accordée jusqu’à l’admission en classe de 6ème."],
             ["Déménagement", "1 jour", "Une fois par an."], ["Concours", "Le jour de l’épreuve", "Sur justificatif."]]
    assert table_rows(prose)[0].startswith("Rentrée scolaire | 1 heure")
    # no value in it, but its first cell is the value of that column further down
    roles = [["Pierrefonds", "Maire"], ["Attichy", "Adjoint"], ["Pierrefonds", "Conseiller délégué"]]
    assert table_rows(roles) == ["Pierrefonds | Maire", "Attichy | Adjoint", "Pierrefonds | Conseiller délégué"]


def test_the_columns_of_a_choice_stay_the_header():
    answers = [["Question", "Oui", "Non"], ["Êtes-vous satisfait ?", "12", "3"], ["Reviendrez-vous ?", "14", "1"]]
    assert table_rows(answers) == ["", "Question : Êtes-vous satisfait ? ; Oui : 12 ; Non : 3",
                                   "Question : Reviendrez-vous ? ; Oui : 14 ; Non : 1"]
    prices = [["Tarif", "Gratuit", "Payant"], ["Enfants", "oui", "non"], ["Adultes", "non", "oui"]]
    assert table_rows(prices)[0] == ""


def test_column_names_stay_the_header_with_years_dates_or_amounts_inside():
    years = [["Exercice", "2023", "2024"], ["Abonnés", "1 200", "1 250"], ["Volume (m3)", "90 000", "96 300"]]
    assert table_rows(years) == ["", "Exercice : Abonnés ; 2023 : 1 200 ; 2024 : 1 250",
                                 "Exercice : Volume (m3) ; 2023 : 90 000 ; 2024 : 96 300"]
    ranges = [["Ressources par an", "Inférieures à 20 000 €", "Au 01/01/2025 en €"], ["Matin", "1,80 €", "2 €"],
              ["Soir", "2 €", "2,40 €"]]
    assert table_rows(ranges)[1] == "Ressources par an : Matin ; Inférieures à 20 000 € : 1,80 € ; Au 01/01/2025 en € : 2 €"
    repeated = [["Motifs", "Durée"], ["Mariage", "5 jours"], ["Motifs", "Durée"], ["Décès", "3 jours"]]
    assert table_rows(repeated)[:2] == ["", "Motifs : Mariage ; Durée : 5 jours"]  # a header repeated is still one


@pytest.mark.skipif(not (EXTERNAL / "pdf").exists(), reason="shared/external absent")
def test_a_price_table_whose_first_row_is_a_price_is_read_row_by_row():
    """Page 14 of these minutes: the hall's prices were read as "Associations de Pierrefonds : Pétrifontains ;
    GRATUIT : 90 €", the first price taken for column names."""
    blocks = read_document(EXTERNAL / "pdf" / "compte-rendu-12-12-2017.pdf", max_bytes=MAX).blocks
    texts = [block.text for block in blocks if block.page == 14]
    assert "Associations de Pierrefonds | GRATUIT" in texts
    assert "Pétrifontains | 90 €" in texts and "Non pétrifontains | 275 €" in texts
    assert not [t for t in texts if "GRATUIT : " in t or "Associations de Pierrefonds : " in t]


@pytest.mark.skipif(not (EXTERNAL / "pdf").exists(), reason="shared/external absent")
def test_pdf_tables_become_one_readable_line_per_row():
    document = read_document(EXTERNAL / "pdf" / "REPERTOIRE-CHRONOLOGIQUE-2024-POUR-AFFICHAGE.pdf", max_bytes=MAX)
    texts = [block.text for block in document.blocks if block.page == 1]
    row = next(t for t in texts if "Numéro : 2024_01" in t)
    assert row.startswith("DATE : 23/01/2024 ; Numéro : 2024_01 ; OBJET : Aménagement de la Rue de l’Armistice")
    assert row.endswith("Approuvée/Rejetée : Approuvée")
    assert sum("2024_01" in t for t in texts) == 1  # the cells' text is not read a second time


def test_a_page_slower_than_the_limit_is_reported_and_the_document_fails_when_no_page_is_left():
    with pytest.raises(EmptyDocument, match=r"page 1: reading the page took longer than 0.001 s"):
        read_document(ACTE, max_bytes=MAX, page_timeout_s=0.001)
    document = read_document(ACTE, max_bytes=MAX, page_timeout_s=30)
    assert document.problems == []


@pytest.mark.parametrize("name", ["CM-04-juillet-2022.pdf", "CR_conseil_municipal_24_02_2023.pdf",
                                  "compte-rendu-12-12-2017.pdf"])
def test_minutes_of_a_council_are_typed_as_minutes(name):
    """Titled "Conseil Municipal du 04 juillet 2022" or "CR du conseil municipal": minutes, not "autre"."""
    assert read_document(EXTERNAL / "pdf" / name, max_bytes=MAX).doc_type == "proces_verbal"


def test_glyphs_a_font_maps_to_no_character_become_bullets():
    """pdfplumber writes "(cid:1)" for them: "construit : (cid:1) Un forfait de 765 € par logement"."""
    blocks = read_document(EXTERNAL / "pdf" / "compte-rendu-12-12-2017.pdf", max_bytes=MAX).blocks
    assert not [b.text for b in blocks if "(cid:" in b.text]
    assert any("• Un forfait de 765 €" in b.text for b in blocks)


def test_the_size_limit_is_said_with_its_decimals(tmp_path):
    big = tmp_path / "long.txt"
    big.write_text("mot " * 3000)  # 12 kB
    with pytest.raises(UnreadableDocument, match=r"the file is 0.012 MB, over the limit of 0.01 MB"):
        read_document(big, max_bytes=10_000)


@pytest.mark.parametrize(("title", "doc_type"), [
    ("Rapport d'orientation budgétaire - Conseil municipal du 12 mars 2024", "rapport"),
    ("Présentation du PLUi au conseil communautaire du 5 juin 2024", "presentation"),
    ("Ordre du jour du conseil municipal du 12 mars 2024", "autre"),
    ("Convocation au conseil municipal du 12 mars 2024", "autre"),
    ("Conseil municipal du 12 mars 2024", "proces_verbal"),
])
def test_a_meeting_named_in_a_title_makes_minutes_only_when_the_title_is_the_meeting(title, doc_type):
    from pipelines.readers import guess_doc_type
    from pipelines.types import Block

    assert guess_doc_type(title, [Block(text="Les élus ont débattu du budget.")]) == doc_type


@pytest.mark.parametrize(("line", "title"), [
    ("CR du conseil municipal 24 février 2023 Présents : Jean-Pierre, Yves, Jacques, David, Nelly",
     "CR du conseil municipal 24 février 2023"),
    ("PROCÈS-VERBAL DU CONSEIL MUNICIPAL DU 3 MARS 2025 ÉTAIENT PRÉSENTS Mme Dupont, M. Martin",
     "PROCÈS-VERBAL DU CONSEIL MUNICIPAL DU 3 MARS 2025"),
    ("Séance du 5 mai 2024 - Présent(e)s : Anne, Luc ; Absent(e)s excusé(e)s : Marc", "Séance du 5 mai 2024"),
    ("Compte rendu du conseil du 2 avril 2024 Secrétaire de séance : Mme Durand", "Compte rendu du conseil du 2 avril 2024"),
    ("Réunion du bureau du 4 juin 2021 Ordre du jour : 1. Subventions 2. Archivage", "Réunion du bureau du 4 juin 2021"),
    ("Conseil municipal du 13 janvier 2022 Madame Florence DEMOUY, Monsieur Gilles PAPIN, Madame Karine DUTEIL",
     "Conseil municipal du 13 janvier 2022"),
    ("Présents : Jean, Paul, Marie", ""),
    # no roll call: left whole
    ("Ordre du jour du conseil municipal du 12 mars 2024", "Ordre du jour du conseil municipal du 12 mars 2024"),
    ("Rapport présenté au conseil communautaire du 5 juin 2024", "Rapport présenté au conseil communautaire du 5 juin 2024"),
    ("Absences et présences : bilan 2023", "Absences et présences : bilan 2023"),
    # a heading that opens with an agenda or proxies is a title; a roll call only follows a meeting or a date
    ("ORDRE DU JOUR : Conseil municipal du 12 mars 2024", "ORDRE DU JOUR : Conseil municipal du 12 mars 2024"),
    ("Pouvoir : délégation de signature au maire", "Pouvoir : délégation de signature au maire"),
    ("Les absents : enquête sur l'absentéisme", "Les absents : enquête sur l'absentéisme"),
    ("Nombre de conseillers en exercice : 19", ""),
    ("Compte rendu de la réunion avec M. Dupont, Mme Leroy et les habitants",
     "Compte rendu de la réunion avec M. Dupont, Mme Leroy et les habitants"),
])
def test_a_title_stops_before_the_roll_call(line, title):
    assert title_before_roll_call(line) == title


def test_a_document_opening_on_its_roll_call_is_titled_by_the_meeting(tmp_path):
    minutes = tmp_path / "cr.txt"
    minutes.write_text("CR du conseil municipal du 3 mars 2025 Présents : Jean, Paul, Marie. Excusés : Luc\n\n"
                       "Le conseil approuve le budget primitif.\n", encoding="utf-8")
    assert read_document(minutes, max_bytes=MAX).title == "CR du conseil municipal du 3 mars 2025"
    roll_first = tmp_path / "pv.txt"
    roll_first.write_text("Étaient présents : Jean, Paul, Marie\n\nSéance du conseil municipal du 3 mars 2025\n\n"
                          "Le conseil approuve le budget primitif.\n", encoding="utf-8")
    assert read_document(roll_first, max_bytes=MAX).title == "Séance du conseil municipal du 3 mars 2025"


def test_a_title_is_the_first_sentence_not_a_numbered_item_or_a_civility(tmp_path):
    agenda = tmp_path / "odj.txt"
    agenda.write_text("ORDRE DU JOUR : Conseil municipal du 12 mars 2024\n\n1. Approbation du procès-verbal\n",
                      encoding="utf-8")
    assert read_document(agenda, max_bytes=MAX).title == "ORDRE DU JOUR : Conseil municipal du 12 mars 2024"
    numbered = tmp_path / "note.txt"
    numbered.write_text("1. Approbation du procès-verbal de la séance. Le conseil approuve.\n\nSuite.\n",
                        encoding="utf-8")
    assert read_document(numbered, max_bytes=MAX).title == "1. Approbation du procès-verbal de la séance"
    letter = tmp_path / "lettre.txt"
    letter.write_text("Réponse à M. Dupont sur le jardin partagé. Merci de votre courrier.\n", encoding="utf-8")
    assert read_document(letter, max_bytes=MAX).title == "Réponse à M. Dupont sur le jardin partagé"


@pytest.mark.skipif(not (EXTERNAL / "pdf").exists(), reason="shared/external absent")
@pytest.mark.parametrize(("name", "title"), [
    ("CR_conseil_municipal_24_02_2023.pdf", "CR du conseil municipal 24 février 2023"),
    ("CR_reunion_20210604.pdf", "Conseil municipal du 4 juin 2021"),
])
def test_real_minutes_are_titled_without_their_attendance_list(name, title):
    """These minutes open with the meeting and "Présents : Jean-Pierre, Yves, …" on one line, which was the title."""
    assert read_document(EXTERNAL / "pdf" / name, max_bytes=MAX).title == title
