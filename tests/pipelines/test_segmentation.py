from pipelines.readers import read_document
from pipelines.segmentation import segment
from pipelines.types import Block, SourceDocument
from tests.conftest import ACTE, SEEDS, TRANSCRIPT

MAX = 200_000_000


def _segment(path):
    return segment(read_document(path, max_bytes=MAX), min_chars=300, max_chars=1200)


def test_passages_stay_within_bounds_and_keep_their_page():
    passages = _segment(ACTE)
    assert len(passages) >= 8
    assert all(len(p.text) <= 1200 for p in passages)
    assert sum(len(p.text) >= 300 for p in passages) >= len(passages) - 1  # only the last may be short
    assert [p.page for p in passages] == sorted(p.page for p in passages)
    assert {p.page for p in passages} == {1, 2, 3, 4}
    assert len({p.passage_id for p in passages}) == len(passages)


def test_every_speaker_turn_starts_a_passage():
    passages = _segment(TRANSCRIPT)
    assert all(p.speaker and p.start_s is not None for p in passages)
    assert len({p.speaker for p in passages}) >= 4
    starts = [p.start_s for p in passages]
    assert starts == sorted(starts)


def test_long_paragraph_is_cut_at_sentence_ends():
    sentence = "La commune engage une démarche de transition avec ses habitants. "
    document = SourceDocument(path=SEEDS, document_id="x", title="t", doc_type="autre", blocks=[Block(sentence * 60)])
    passages = segment(document, min_chars=300, max_chars=1200)
    assert len(passages) >= 3
    assert all(p.text.endswith(".") and len(p.text) <= 1200 for p in passages)


def test_seed_with_broken_layout_segments_within_bounds():
    passages = _segment(SEEDS / "000_900ca09423ac27b3.txt")
    assert passages and all(len(p.text) <= 1200 for p in passages)


def test_agenda_items_start_passages_and_are_never_merged_across():
    passages = _segment(ACTE)
    numbers = ["2024-18", "2024-19", "2024-20", "2024-21", "2024-22"]
    for number in numbers:
        opening = [p for p in passages if p.text.startswith(f"Délibération n° {number}")]
        assert len(opening) == 1, number
    for passage in passages:
        assert sum(f"Délibération n° {n}" in passage.text for n in numbers) <= 1
