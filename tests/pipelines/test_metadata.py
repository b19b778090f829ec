import pytest

from pipelines.metadata import extract_metadata, find_date, find_territory, guess_language, words_to_number
from pipelines.readers import read_document
from tests.conftest import ACTE, EXTERNAL


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Conseil Municipal du 13 janvier 2022\nConvoqué le 07 janvier", "2022-01-13"),
        ("Convocation envoyée le 2 mars 2021. Séance du 12 mars 2021", "2021-03-12"),
        ("Réunion du jeudi 1er avril 2021", "2021-04-01"),
        ("Compte rendu de la réunion du 10/09/2021", "2021-09-10"),
        ("Assemblée 2021. Rendez-vous le 10/09", "2021-09-10"),
        ("Aucune date ici.", None),
        ("Le 31 février 2021 n'existe pas", None),
        ("Le vingt-neuf juin deux mille vingt et un à vingt heures. Convocation du 23 juin 2021", "2021-06-29"),
        ("Conseil Municipal du 20/11/2025. Approbation du procès-verbal de la séance du 29 septembre 2025", "2025-11-20"),
        ("L’an deux mille vingt-cinq, le 20 novembre à 19h00, le conseil s'est réuni", "2025-11-20"),
        ("Premier conseil de l'année. Approbation du procès-verbal de la séance du 10 décembre 2025.", None),
        ("Approbation du procès-verbal de la séance du conseil municipal du 10 décembre 2025. Séance du 15 janvier "
         "2026", "2026-01-15"),
        ("Approbation du compte rendu de la dernière séance du 10 décembre 2025. Séance du 15/01/2026", "2026-01-15"),
        ("Approbation du PV de la séance du 10/12/2025. Réunion du 15 janvier 2026", "2026-01-15"),
        ("Adoption du compte rendu de la réunion du 3 mars 2024. Prochaine réunion le 12/04/2024", "2024-04-12"),
        ("COURRIER D'INFORMATION NOV. 2077 – Délestage prévu le 2 février 2077", None),  # OCR misread
    ],
)
def test_dates(text, iso):
    assert find_date(text) == iso


@pytest.mark.parametrize(
    ("text", "territory"),
    [
        ("Commune de Pierrefonds\nConseil Municipal du 13 janvier 2022", "Pierrefonds"),
        ("les membres de la Communauté de Communes des Lisières de L’Oise, légalement convoqués",
         "Communauté de Communes des Lisières de L’Oise"),
        ("Observations du Conseil de Développement de Dinan Agglomération.", "Dinan Agglomération"),
        ("Le conseil municipal de SAINT-JEAN-DE-LUZ s'est réuni", "Saint-Jean-De-Luz"),
        ("Un texte sans lieu.", None),
    ],
)
def test_territories(text, territory):
    assert find_territory(text) == territory


def test_numbers_in_words():
    assert [words_to_number(w) for w in ("deux mille vingt et un", "trente et un", "mil neuf cent quatre-vingt-dix-neuf")] == [
        2021, 31, 1999,
    ]
    assert words_to_number("vingt heures") is None


def test_language():
    assert guess_language("Le conseil municipal s'est réuni pour voter le budget de la commune.") == "fr"
    assert guess_language("The council met and voted the budget of the town for this year.") == "en"


def test_sample_act_metadata():
    document = read_document(ACTE, max_bytes=10**9)
    assert (document.date, document.territory, document.language) == (
        "2024-03-14", "Communauté de communes du Val de Vérlane", "fr"
    )


@pytest.mark.skipif(not EXTERNAL.exists(), reason="shared/external absent")
@pytest.mark.parametrize(
    ("name", "iso", "territory"),
    [
        ("CM-13-JANVIER-2022.pdf", "2022-01-13", "Pierrefonds"),
        ("CM-04-juillet-2022.pdf", "2022-07-04", "Pierrefonds"),
        ("CR_reunion_20210604.pdf", "2021-06-04", None),
        ("20251120-PV.pdf", "2025-11-20", "Pierrefonds"),
        ("1-DE2021-060Approbation-du-plan-local-durbanisme-.pdf", "2021-06-29", "Audierne"),
    ],
)
def test_external_minutes_metadata(name, iso, territory):
    document = read_document(EXTERNAL / "pdf" / name, max_bytes=10**9)
    assert document.date == iso
    assert document.territory == territory
    assert extract_metadata(document.title).language in ("fr", "und")
