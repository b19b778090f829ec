"""Search evaluation: pure metrics over rankings, gold questions, and a runner that searches a Store.

The runner goes through `pipelines.query.search`, the code the API and the CLI use, once per mode
(dense, lexical, hybrid). Relevance is binary and judged per document: hits are deduplicated by document
in rank order before nDCG@10 and recall@10. A gold source names a file by a path relative to the shared
folder or to the checkout (`external/pdf/X.pdf`, `seeds/000_....txt`, `corpus/documents/...`); it matches
the documents whose source path ends with it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import catalog, query
from pipelines.embedding import Embedder
from pipelines.errors import PatrimoineError
from pipelines.query import Mode
from pipelines.schemas import EvalKindResult, EvalModeResult, SearchHit
from pipelines.settings import DEFAULT_SEARCH_WEIGHTS
from pipelines.store import Store
from pipelines.text import one_line

K = 10
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
PASSAGE_DEPTH = 50  # passages asked for per question, so that 10 distinct documents can be ranked


@dataclass(frozen=True)
class GoldQuestion:
    question: str
    relevant: dict[str, list[int]]  # gold source -> its relevant pages ([] when not paged)
    kind: str | None = None
    answer_contains: str | None = None


# --- metrics (pure) ----------------------------------------------------------------------------


def dedupe(items: Iterable[str]) -> list[str]:
    """Items in order, each kept at its first place."""
    return list(dict.fromkeys(items))


def dcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    return sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    """Binary nDCG@k: DCG of the ranking over that of an ideal ranking (0 when nothing is relevant)."""
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg_at_k(ranked, relevant, k) / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    """Share of the relevant items among the first k of the ranking (0 when nothing is relevant)."""
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def matches(source_path: str, source: str) -> bool:
    """Whether a catalog source path is the gold source (same path, or ends with it at a folder boundary)."""
    path, source = source_path.replace("\\", "/"), source.replace("\\", "/").lstrip("/")
    return path == source or path.endswith("/" + source)


def gold_source(source_path: str, sources: Iterable[str]) -> str | None:
    return next((source for source in sources if matches(source_path, source)), None)


def page_hit(hits: Sequence[tuple[str | None, int | None, int | None]], relevant: dict[str, list[int]], k: int = K) -> bool:
    """Whether one of the first k (gold source, page, page_end) hits lies on a relevant page."""
    for source, page, page_end in hits[:k]:
        pages = relevant.get(source) if source else None
        if pages and page is not None and any(page <= p <= (page_end or page) for p in pages):
            return True
    return False


def answer_hit(texts: Sequence[str], answer: str, k: int = K) -> bool:
    """Whether one of the first k passages contains the answer (spaces and apostrophes normalised)."""
    needle = _plain(answer)
    return any(needle in _plain(text) for text in texts[:k])


def _plain(text: str) -> str:
    return one_line(text).replace("’", "'").casefold()


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


# --- gold questions ----------------------------------------------------------------------------


def parse_questions(lines: Iterable[str], *, origin: str = "queries") -> list[GoldQuestion]:
    """Gold questions from JSON lines {"question", "kind", "relevant": [{"source", "pages"}], "answer_contains"}."""
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            relevant = {str(r["source"]): [int(p) for p in r.get("pages") or []] for r in item["relevant"]}
            questions.append(
                GoldQuestion(
                    question=str(item["question"]),
                    relevant=relevant,
                    kind=item.get("kind"),
                    answer_contains=item.get("answer_contains"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise PatrimoineError(f"{origin}: line {number} is not a gold question ({type(exc).__name__}: {exc})") from exc
    return questions


def load_questions(path: Path) -> list[GoldQuestion]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PatrimoineError(f"{path}: {exc.strerror or exc}") from exc
    return parse_questions(lines, origin=str(path))


def piaf_fiches(dataset: dict) -> list[tuple[str, str]]:
    """(file name, text) of each service-public.fr fiche of a PIAF (SQuAD-shaped) dataset."""
    return [
        (f"{entry['title']}.txt", "\n".join(p["context"] for p in entry["paragraphs"]))
        for entry in dataset["data"]
    ]


def piaf_questions(dataset: dict) -> list[GoldQuestion]:
    """Each PIAF question, whose relevant document is the fiche it was asked on."""
    questions = []
    for entry in dataset["data"]:
        for paragraph in entry["paragraphs"]:
            for qa in paragraph.get("qas", []):
                answers = qa.get("answers") or []
                questions.append(
                    GoldQuestion(
                        question=qa["question"],
                        relevant={f"fiches/{entry['title']}.txt": []},
                        kind="piaf",
                        answer_contains=answers[0]["text"] if answers else None,
                    )
                )
    return questions


def missing_sources(questions: Sequence[GoldQuestion], source_paths: Sequence[str]) -> list[str]:
    """Gold sources that no catalog document matches, sorted."""
    sources = {source for q in questions for source in q.relevant}
    return sorted(s for s in sources if not any(matches(path, s) for path in source_paths))


# --- runner ------------------------------------------------------------------------------------


@dataclass
class _Scores:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def by_kind(self) -> dict[str, EvalKindResult]:
        result = {}
        for kind in sorted(set(self.kinds)):
            rows = [i for i, k in enumerate(self.kinds) if k == kind]
            result[kind] = EvalKindResult(
                questions=len(rows),
                ndcg_at_10=mean([self.ndcg[i] for i in rows]) or 0.0,
                recall_at_10=mean([self.recall[i] for i in rows]) or 0.0,
            )
        return result


def score_question(question: GoldQuestion, hits: Sequence[SearchHit], scores: _Scores, k: int = K) -> None:
    """Add one question's figures, given its hits best first."""
    sources = list(question.relevant)
    keyed = [(gold_source(hit.source_path, sources), hit) for hit in hits]
    documents = dedupe(source or hit.document_id for source, hit in keyed)
    relevant = set(sources)
    scores.kinds.append(question.kind or "unknown")
    scores.ndcg.append(ndcg_at_k(documents, relevant, k))
    scores.recall.append(recall_at_k(documents, relevant, k))
    if any(question.relevant.values()):
        scores.pages.append(float(page_hit([(s, h.page, h.page_end) for s, h in keyed], question.relevant, k)))
    if question.answer_contains:
        scores.answers.append(float(answer_hit([hit.text for hit in hits], question.answer_contains, k)))


def evaluate(
    store: Store,
    embedder: Embedder | None,
    questions: Sequence[GoldQuestion],
    *,
    modes: Sequence[Mode] = MODES,
    weights: tuple[float, float] = DEFAULT_SEARCH_WEIGHTS,
    k: int = K,
) -> list[EvalModeResult]:
    """Search every question in every mode through pipelines.query and average the figures."""
    results = []
    for mode in modes:
        scores = _Scores()
        started = time.perf_counter()
        for question in questions:
            hits = query.search(
                store, embedder, question.question, k=max(PASSAGE_DEPTH, k), weights=weights, mode=mode
            ).hits
            score_question(question, hits, scores, k)
        results.append(
            EvalModeResult(
                mode=mode,
                questions=len(questions),
                ndcg_at_10=mean(scores.ndcg) or 0.0,
                recall_at_10=mean(scores.recall) or 0.0,
                page_hit_at_10=mean(scores.pages),
                questions_with_pages=len(scores.pages),
                answer_hit_at_10=mean(scores.answers),
                questions_with_answer=len(scores.answers),
                seconds=round(time.perf_counter() - started, 2),
                by_kind=scores.by_kind(),
            )
        )
    return results


def answerable(questions: Sequence[GoldQuestion], missing: Sequence[str]) -> list[GoldQuestion]:
    """The questions none of whose relevant documents is missing."""
    gone = set(missing)
    return [q for q in questions if not gone & set(q.relevant)]


def catalog_sources(store: Store) -> list[str]:
    """The documents of the catalog that dense search can find: those embedded by the store's model."""
    return catalog.source_paths(store.conn, model=store.model)


def write_piaf_fiches(dataset_path: Path, folder: Path) -> tuple[list[Path], list[GoldQuestion]]:
    """Write each fiche of the PIAF dataset as a text file in `folder` (same bytes every run) and return
    the files and the questions."""
    try:
        dataset = json.loads(dataset_path.read_text(encoding="utf-8"))
        fiches, questions = piaf_fiches(dataset), piaf_questions(dataset)
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise PatrimoineError(f"{dataset_path}: not a readable PIAF dataset ({type(exc).__name__}: {exc})") from exc
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in fiches:
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths, questions
