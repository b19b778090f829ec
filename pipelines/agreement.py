"""Agreement between two annotators of the tagging gold data (issue 6): how far two careful readers who follow the
annotation guide of `corpus/gold/README.md` agree, which tells what a tagger's macro-F1 target means.

Pure: the CLI reads the files. Per label, Cohen's kappa (agreement beyond chance on "has the label or not") and the
F1 of the second annotator against the first (symmetric: 2 x both / (first + second)), with each one's positives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipelines.errors import InvalidAnnotations


@dataclass(frozen=True)
class LabelAgreement:
    label: str
    kappa: float | None  # None when chance agreement is total: both give it to no passage, or both to all
    f1: float | None  # None when neither annotator gives the label
    first: int  # passages the first annotator gave the label
    second: int
    both: int


@dataclass(frozen=True)
class Agreement:
    passages: int
    identical: int  # passages given the same set of labels by both
    labels: list[LabelAgreement]
    macro_f1: float | None  # mean over the labels whose F1 is defined
    mean_kappa: float | None  # mean over the labels whose kappa is defined

    def as_dict(self) -> dict:
        return {
            "passages": self.passages,
            "identical": self.identical,
            "macro_f1": _rounded(self.macro_f1),
            "mean_kappa": _rounded(self.mean_kappa),
            "labels": [
                {"label": m.label, "kappa": _rounded(m.kappa), "f1": _rounded(m.f1), "first": m.first,
                 "second": m.second, "both": m.both}
                for m in self.labels
            ],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def parse_annotations(lines: Iterable[str], *, labels: Sequence[str], origin: str) -> dict[str, frozenset[str]]:
    """`{"id", "labels"}` JSON lines (other keys, e.g. a note, ignored) -> labels by passage id."""
    known = set(labels)
    found: dict[str, frozenset[str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            row = json.loads(line)
            passage_id, given = row["id"], row["labels"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidAnnotations(f"{where}: a JSON object with an id and labels is expected ({exc})") from exc
        if not isinstance(given, list):
            raise InvalidAnnotations(f"{where}: labels must be a list")
        unknown = sorted(set(given) - known)
        if unknown:
            raise InvalidAnnotations(f"{where}: unknown labels {', '.join(unknown)} (use {', '.join(labels)})")
        if passage_id in found:
            raise InvalidAnnotations(f"{where}: passage {passage_id} is given twice")
        found[passage_id] = frozenset(given)
    return found


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Cohen's kappa of two yes/no annotations of the same items: (observed - chance) / (1 - chance)."""
    n = len(first)
    if n == 0 or n != len(second):
        raise ValueError("two annotations of the same, non-empty, list of items are expected")
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    yes_first, yes_second = sum(first) / n, sum(second) / n
    chance = yes_first * yes_second + (1 - yes_first) * (1 - yes_second)
    return None if chance == 1 else (observed - chance) / (1 - chance)


def agreement(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]], *, labels: Sequence[str],
    ids: Sequence[str],
) -> Agreement:
    """Agreement of the two annotators on the passages `ids` (each must be in both)."""
    for name, annotation in (("first", first), ("second", second)):
        missing = [i for i in ids if i not in annotation]
        if missing:
            raise InvalidAnnotations(
                f"{len(missing)} passages have no annotation by the {name} annotator: {', '.join(missing[:5])}"
            )
    if not ids:
        raise InvalidAnnotations("no passage to compare")
    per_label = []
    for label in labels:
        a = [label in first[i] for i in ids]
        b = [label in second[i] for i in ids]
        both = sum(x and y for x, y in zip(a, b, strict=True))
        positives = sum(a) + sum(b)
        f1 = 2 * both / positives if positives else None
        per_label.append(LabelAgreement(label, cohen_kappa(a, b), f1, sum(a), sum(b), both))
    return Agreement(
        passages=len(ids),
        identical=sum(first[i] == second[i] for i in ids),
        labels=per_label,
        macro_f1=_mean([m.f1 for m in per_label]),
        mean_kappa=_mean([m.kappa for m in per_label]),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def disagreements(
    first: Mapping[str, frozenset[str]], second: Mapping[str, frozenset[str]], *, ids: Sequence[str]
) -> list[tuple[str, list[str], list[str]]]:
    """(id, first labels, second labels) of the passages the annotators labelled differently, in the order of `ids`."""
    return [(i, sorted(first[i]), sorted(second[i])) for i in ids if first[i] != second[i]]
