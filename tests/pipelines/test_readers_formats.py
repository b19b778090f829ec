"""Office, web, caption and speaker-labelled files, each made for real in the test."""

import pytest

from pipelines.errors import UnreadableDocument, UnsupportedFileType
from pipelines.readers import read_document
from pipelines.segmentation import segment

MAX = 200_000_000


def test_docx_keeps_headings_paragraphs_and_table_rows(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Rapport d'activité 2023 de la régie"
    document.add_heading("Bilan de la fabrique locale", level=1)
    document.add_paragraph("La fabrique a réuni 40 habitants autour du diagnostic partagé.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Action", "Budget"
    table.cell(1, 0).text, table.cell(1, 1).text = "Fresque du climat", "3 000 €"
    path = tmp_path / "rapport.bin"  # the type comes from the content
    document.save(path)
    read = read_document(path, max_bytes=MAX)
    assert read.title == "Rapport d'activité 2023 de la régie"
    assert read.blocks[0].heading and read.blocks[0].text == "Bilan de la fabrique locale"
    assert "Fresque du climat | 3 000 €" in [b.text for b in read.blocks]
    assert read.doc_type == "rapport"


def test_odt_paragraphs_and_title(tmp_path):
    from odf import dc, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text="Compte rendu du comité de pilotage"))
    document.text.addElement(text.H(outlinelevel=1, text="Point 1 : la mobilité"))
    document.text.addElement(text.P(text="Le comité valide l'expérimentation du transport solidaire."))
    path = tmp_path / "cr.odt"
    document.save(str(path))
    read = read_document(path, max_bytes=MAX)
    assert read.title == "Compte rendu du comité de pilotage"
    assert [b.text for b in read.blocks] == [
        "Point 1 : la mobilité",
        "Le comité valide l'expérimentation du transport solidaire.",
    ]
    assert read.blocks[0].heading


def test_html_keeps_the_main_content_without_menus(tmp_path):
    article = " ".join(["La commune accompagne les habitants dans la rénovation énergétique de leurs logements."] * 4)
    page = f"""<!DOCTYPE html><html lang="fr"><head><title>Rénovation énergétique — Ville de Sornac</title></head>
    <body><nav><ul><li>Accueil</li><li>Menu principal</li><li>Contact</li></ul></nav>
    <main><article><h1>Rénovation énergétique</h1><p>{article}</p>
    <p>Un conseiller reçoit chaque mardi à la mairie, sur rendez-vous, pour monter les dossiers d'aide.</p>
    </article></main><footer>Mentions légales · Plan du site</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    read = read_document(path, max_bytes=MAX)
    text = " ".join(b.text for b in read.blocks)
    assert "rénovation énergétique de leurs logements" in text
    assert "Menu principal" not in text and "Mentions légales" not in text
    assert "Rénovation énergétique" in read.title


def test_webvtt_voices_become_speaker_turns(tmp_path):
    path = tmp_path / "podcast.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Marie Dupont>Bonjour, nous parlons de mise en récit.\n\n"
        "00:00:04.500 --> 00:00:08.000\n<v Marie Dupont>C'est un outil de la Fabrique.\n\n"
        "00:00:09.000 --> 00:00:15.250\n<v Paul Martin>Merci Marie, je raconte notre groupe de pairs.\n",
        encoding="utf-8",
    )
    read = read_document(path, max_bytes=MAX)
    assert read.doc_type == "transcription"
    assert [(b.speaker, b.start_s, b.end_s) for b in read.blocks] == [
        ("Marie Dupont", 1.0, 8.0),
        ("Paul Martin", 9.0, 15.0),
    ]
    assert read.blocks[0].text == "Bonjour, nous parlons de mise en récit. C'est un outil de la Fabrique."


def test_srt_with_named_lines(tmp_path):
    path = tmp_path / "reunion.srt"
    path.write_text(
        "1\n00:01:00,000 --> 00:01:05,000\nLéa Fontanel : Je propose trois ateliers croisés.\n\n"
        "2\n00:01:06,000 --> 00:01:10,000\nThomas Girard : La DDT y participera.\n",
        encoding="utf-8",
    )
    read = read_document(path, max_bytes=MAX)
    assert [(b.speaker, b.start_s) for b in read.blocks] == [("Léa Fontanel", 60.0), ("Thomas Girard", 66.0)]


@pytest.mark.parametrize(
    ("content", "speakers", "starts"),
    [
        (
            "[00:12:03] Hélène Marchadier : Bonjour à toutes et à tous.\n"
            "[00:12:40] Camille Delorme : Je présente le diagnostic.\n",
            ["Hélène Marchadier", "Camille Delorme"],
            [723.0, 760.0],
        ),
        (
            "MARCHADIER Hélène : Bonjour à toutes et à tous.\nDELORME Camille : Je présente le diagnostic.\n"
            "MARCHADIER Hélène : Merci, passons au vote.\n",
            ["MARCHADIER Hélène", "DELORME Camille", "MARCHADIER Hélène"],
            [None, None, None],
        ),
    ],
)
def test_speaker_labelled_text_formats(tmp_path, content, speakers, starts):
    path = tmp_path / "transcription.md"
    path.write_text(content, encoding="utf-8")
    read = read_document(path, max_bytes=MAX)
    assert [b.speaker for b in read.blocks] == speakers
    assert [b.start_s for b in read.blocks] == starts
    passages = segment(read, min_chars=300, max_chars=1200)
    assert [p.speaker for p in passages][0] == speakers[0]


def test_minutes_with_colons_are_not_a_transcript(tmp_path):
    path = tmp_path / "cr.txt"
    path.write_text(
        "ORDRE DU JOUR : budget primitif.\nVOTE : unanimité.\nPrésents : 12 conseillers.\n"
        "Le conseil adopte le budget primitif 2024.\n",
        encoding="utf-8",
    )
    read = read_document(path, max_bytes=MAX)
    assert read.doc_type != "transcription" and all(b.speaker is None for b in read.blocks)


def test_zip_that_is_not_an_office_document_is_unsupported(tmp_path):
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "rien")
    with pytest.raises(UnsupportedFileType, match="neither a DOCX nor an ODT"):
        read_document(path, max_bytes=MAX)


def test_a_transcript_without_a_title_is_named_after_its_file_made_readable(tmp_path):
    path = tmp_path / "reunion_publique-2024_03.txt"
    path.write_text("00:00:05 Marie Dupont\nBonjour à toutes et à tous.\n\n00:00:40 Paul Martin\nMerci.\n", encoding="utf-8")
    document = read_document(path, max_bytes=10**9)
    assert document.doc_type == "transcription"
    assert document.title == "Reunion publique 2024 03"


def test_markdown_markup_is_not_indexed_as_text(tmp_path):
    path = tmp_path / "ag.md"
    path.write_text(
        "# Assemblée générale\n\nLe président de séance,\n&nbsp;\nJean LE METAYER\n![](images/signature.jpg)\\\n"
        "voir [le site](https://example.org) **adopté**\n\n| Année | Montant |\n|---|---|\n| 2023 | 10 € |\n",
        encoding="utf-8",
    )
    texts = [block.text for block in read_document(path, max_bytes=10**9).blocks]
    assert texts == [
        "Assemblée générale", "Le président de séance, Jean LE METAYER voir le site adopté", "Année | Montant", "2023 | 10 €",
    ]


@pytest.mark.parametrize("suffix", ["vtt", "srt"])
def test_a_caption_whose_timing_cannot_be_read_fails_the_file_naming_its_line(tmp_path, suffix):
    """webvtt-py drops such a caption, and its text, without a word."""
    head = "WEBVTT\n\n" if suffix == "vtt" else ""
    sep = "." if suffix == "vtt" else ","
    cues = [f"00:00:01{sep}000 --> 00:00:04{sep}000", f"00:00:0x{sep}000 --> 00:00:05{sep}000",
            f"00:00:06{sep}000 --> 00:00:08{sep}000 align:start"]
    body = "".join(f"{n}\n{cue}\nLéa Fontanel : phrase {n}.\n\n" for n, cue in enumerate(cues, start=1))
    path = tmp_path / f"reunion.{suffix}"
    path.write_text(head + body, encoding="utf-8")
    line = (head + body).splitlines().index(cues[1]) + 1
    with pytest.raises(UnreadableDocument, match=f"malformed {suffix.upper()} timing at line {line}: '00:00:0x"):
        read_document(path, max_bytes=MAX)
    path.write_text(head + body.replace(cues[1], cues[1].replace("0x", "05")), encoding="utf-8")
    assert "phrase 2" in read_document(path, max_bytes=MAX).blocks[0].text  # mended: all three read
