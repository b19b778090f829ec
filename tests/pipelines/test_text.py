import pytest

from pipelines.text import fold, normalize, split_sentences, text_hash


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Grand d´ebat", "Grand débat"),
        ("R´esum´e", "Résumé"),
        ("28 aouˆt 2019", "28 août 2019"),
        ("r´eponses `a une question", "réponses à une question"),
        ("cr´e´ee", "créée"),
        ("e\u0301te\u0301", "été"),
        ("e \u0301t\u00e9", "été"),
        ("la ﬁn du ﬂux", "la fin du flux"),
        ("l'école  et   la\u00a0mairie", "l'école et la mairie"),
    ],
)
def test_normalize_repairs_accents_ligatures_and_spaces(raw, clean):
    assert normalize(raw) == clean


def test_plain_text_is_untouched():
    text = "Le conseil municipal, réuni le 12 mars, adopte le budget."
    assert normalize(text) == text


def test_split_sentences_and_fold():
    assert split_sentences("Première phrase. Deuxième phrase ! « Troisième » ?") == [
        "Première phrase.",
        "Deuxième phrase !",
        "« Troisième » ?",
    ]
    assert fold("Élue à la Région") == "elue a la region"


def test_text_hash_ignores_spacing_and_unicode_form_but_not_words():
    text = "Le comité se réunit\nle 18 juin."
    assert text_hash(text) == text_hash("Le  comite\u0301 se réunit le 18\u00a0juin. ")
    assert text_hash(text) != text_hash("Le comité se réunit le 19 juin.")
    assert text_hash(text) != text_hash("le comité se réunit le 18 juin.")
