"""Scoring of actor, role and practice extraction against `corpus/gold/actors.jsonl`. Pure: no I/O, no model.

Per passage, the set of predicted (normalised surface, kind) is compared with the gold set; precision,
recall and F1 are summed over passages for each kind. Role accuracy is measured over the gold mentions
that carry a role and were found (and the people and organisations found whose gold role is null but were
given one are counted apart); practice recall over the gold practices of the passages. Initiatives are
matched by name, leniently: the same words, or the words of one inside the other ("contrat Rance-Frémur"
and "Rance-Frémur").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipelines.actors import KINDS, normalise
from pipelines.initiatives import initiative_key
from pipelines.text import fold

__all__ = ["KINDS", "Predicted", "normalise", "passage_split", "score", "score_splits", "predictions", "scored", "split_of"]
DEV_SHARE = 60  # percent of the gold passages in the dev split (the rest is the test split)


def split_of(passage_id: str) -> str:
    """'dev' or 'test', fixed by a hash of the passage id (60% / 40%)."""
    bucket = int(hashlib.sha256(passage_id.encode("utf-8")).hexdigest(), 16) % 100
    return "dev" if bucket < DEV_SHARE else "test"


def passage_split(passage: dict) -> str:
    """A gold passage's split: the one it states ("train" in `actors-train.jsonl`: passages to learn from,
    never scored), else dev or test by `split_of` its id."""
    return passage.get("split") or split_of(passage["id"])


@dataclass(frozen=True)
class Predicted:
    """What a system said of one passage."""

    actors: list[tuple[str, str, str | None]]  # (surface, kind, role)
    practices: list[str] = field(default_factory=list)
    initiatives: list[str] = field(default_factory=list)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Errors:
    """Mistakes of one passage, for reading (never used to score)."""

    passage_id: str
    missed: list[tuple[str, str]]
    spurious: list[tuple[str, str]]
    wrong_roles: list[tuple[str, str | None, str | None]]  # (surface, gold, predicted)
    missed_initiatives: list[str] = field(default_factory=list)
    spurious_initiatives: list[str] = field(default_factory=list)


@dataclass
class Score:
    passages: int = 0
    kinds: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    roles_correct: int = 0
    roles_total: int = 0
    roles_null: int = 0  # found gold people and organisations whose gold role is null
    roles_given_to_null: int = 0  # of them, those given a role anyway
    practices_found: int = 0
    practices_total: int = 0
    initiatives: Counts = field(default_factory=Counts)
    errors: list[Errors] = field(default_factory=list)

    @property
    def overall(self) -> Counts:
        return Counts(
            tp=sum(c.tp for c in self.kinds.values()),
            fp=sum(c.fp for c in self.kinds.values()),
            fn=sum(c.fn for c in self.kinds.values()),
        )

    @property
    def role_accuracy(self) -> float:
        return self.roles_correct / self.roles_total if self.roles_total else 0.0

    @property
    def practice_recall(self) -> float:
        return self.practices_found / self.practices_total if self.practices_total else 0.0

    def as_dict(self) -> dict:
        def counts(c: Counts) -> dict:
            return {"precision": round(c.precision, 3), "recall": round(c.recall, 3), "f1": round(c.f1, 3),
                    "tp": c.tp, "fp": c.fp, "fn": c.fn}

        return {
            "passages": self.passages,
            "kinds": {k: counts(c) for k, c in self.kinds.items()},
            "overall": counts(self.overall),
            "role_accuracy": round(self.role_accuracy, 3),
            "roles_scored": self.roles_total,
            "null_roles": self.roles_null,
            "roles_given_to_null": self.roles_given_to_null,
            "practice_recall": round(self.practice_recall, 3),
            "practices_scored": self.practices_total,
            "initiatives": counts(self.initiatives),
        }


def score(gold: Iterable[dict], predicted: dict[str, Predicted]) -> Score:
    """Compare gold passages (lines of actors.jsonl) with what was predicted for each passage id."""
    result = Score()
    for passage in gold:
        result.passages += 1
        guess = predicted.get(passage["id"], Predicted(actors=[]))
        gold_set = {(normalise(a["text"]), a["kind"]): a for a in passage["actors"]}
        guess_set: dict[tuple[str, str], str | None] = {}
        for surface, kind, role in guess.actors:
            key = (normalise(surface), kind)
            if key[0] and (key not in guess_set or (role and not guess_set[key])):
                guess_set[key] = role
        for kind in KINDS:
            gold_keys = {k for k in gold_set if k[1] == kind}
            guess_keys = {k for k in guess_set if k[1] == kind}
            counts = result.kinds[kind]
            counts.tp += len(gold_keys & guess_keys)
            counts.fp += len(guess_keys - gold_keys)
            counts.fn += len(gold_keys - guess_keys)
        wrong_roles = []
        for key, actor in gold_set.items():
            if actor.get("role") and key in guess_set:
                result.roles_total += 1
                if guess_set[key] == actor["role"]:
                    result.roles_correct += 1
                else:
                    wrong_roles.append((actor["text"], actor["role"], guess_set[key]))
            elif actor["kind"] != "place" and key in guess_set:
                result.roles_null += 1
                result.roles_given_to_null += guess_set[key] is not None
        found = {fold(p) for p in guess.practices}
        for practice in dict.fromkeys(fold(p) for p in passage.get("practices", [])):
            result.practices_total += 1
            result.practices_found += practice in found
        missed_initiatives, spurious_initiatives = _match_initiatives(
            [i["name"] for i in passage.get("initiatives", [])], guess.initiatives, result.initiatives
        )
        result.errors.append(
            Errors(
                passage_id=passage["id"],
                missed=sorted(set(gold_set) - set(guess_set)),
                spurious=sorted(set(guess_set) - set(gold_set)),
                wrong_roles=wrong_roles,
                missed_initiatives=missed_initiatives,
                spurious_initiatives=spurious_initiatives,
            )
        )
    return result


def _words(name: str) -> str:
    return f" {initiative_key(name)} "


def _match_initiatives(gold: list[str], guessed: list[str], counts: Counts) -> tuple[list[str], list[str]]:
    """Count one passage's initiatives into `counts`; return the missed and the spurious names."""
    gold_words = {_words(name): name for name in gold if _words(name).strip()}
    guess_words = {_words(name): name for name in guessed if _words(name).strip()}
    matched_gold, matched_guess = set(), set()
    for g in gold_words:
        for p in guess_words:
            if p not in matched_guess and (g in p or p in g):
                matched_gold.add(g)
                matched_guess.add(p)
                break
    counts.tp += len(matched_gold)
    counts.fn += len(gold_words) - len(matched_gold)
    counts.fp += len(guess_words) - len(matched_guess)
    return (
        sorted(name for key, name in gold_words.items() if key not in matched_gold),
        sorted(name for key, name in guess_words.items() if key not in matched_guess),
    )


def predictions(passages: list[dict], actors_of, practices_of=None, initiatives_of=None) -> dict[str, Predicted]:
    """What `actors_of(texts) -> [[ActorMention]]` (and `practices_of(texts) -> [[name]]`,
    `initiatives_of(texts) -> [[InitiativeMention]]`) say of each passage."""
    texts = [p["text"] for p in passages]
    found = actors_of(texts)
    matched = practices_of(texts) if practices_of is not None else [[] for _ in texts]
    named = initiatives_of(texts) if initiatives_of is not None else [[] for _ in texts]
    return {
        p["id"]: Predicted(
            actors=[(a.name, a.kind, a.role) for a in actors], practices=names, initiatives=[i.name for i in projects]
        )
        for p, actors, names, projects in zip(passages, found, matched, named, strict=True)
    }


SCORED_SPLITS = ("dev", "test", "heldout")  # "heldout": a file of unseen passages (corpus/gold/heldout/)


def scored(passages: list[dict]) -> list[dict]:
    """The passages `eval actors` scores: those of the dev, test and heldout splits (never the train split's)."""
    return [p for p in passages if passage_split(p) in SCORED_SPLITS]


def score_splits(gold: list[dict], predicted: dict[str, Predicted]) -> dict[str, Score]:
    """Scores of the dev split, the test split, the heldout split when there is one, and all of them;
    passages of the train split are never scored."""
    splits = {"dev": [], "test": [], "heldout": []}
    for g in gold:
        if passage_split(g) in splits:
            splits[passage_split(g)].append(g)
    scores = {name: score(part, predicted) for name, part in splits.items() if part or name != "heldout"}
    scores["overall"] = score([g for part in splits.values() for g in part], predicted)
    return scores
