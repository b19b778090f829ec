"""The trained role classifier: a person's or an organisation's role read from the words around its mention,
for the mentions whose role the rules of pipelines/extraction.py leave empty.

Pure: `context_of`, `RoleClassifier.predict` and `train` read text and return values; the CLI saves the model
(with `save_model` of pipelines/classifier.py) and writes the model card.

Method: each mention is a bag of prefixed words (accents and case folded): its own words and shape, the words
before and after it in its sentence (the nearest ones and word pairs apart), its kind, and whether the passage
reads like a council's minutes. A logistic regression (balanced classes) predicts one of the four roles or
"none"; a mention gets the predicted role when it is not "none" and its probability reaches the threshold,
else it keeps no role (abstention). The context window, C and the threshold are chosen by cross-validation on
the development passages only (folds grouped by passage); the test split is never seen.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from threadpoolctl import threadpool_limits

from pipelines.actors import KINDS, ROLES, is_acronym, is_minutes
from pipelines.actors_eval import passage_split
from pipelines.text import cut_around, fold, one_line

MODEL_DIR = "roles"
MODEL_FILE = "roles.joblib"
METHOD = "context-tfidf-logreg-1"  # part of the model's version: change it when the method changes
NONE = "none"
CLASSES = (*ROLES, NONE)
EVIDENCE_PREFIX = "role classifier: "  # the evidence of a role the classifier gave starts so
DEVELOPMENT_SPLITS = ("train", "dev")  # the only passages training and model selection see
FOLDS = 5
WINDOWS = (4, 8, 12)  # words on each side of the mention, tried by cross-validation
CS = (0.3, 1.0, 3.0, 10.0)
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.3, 0.96, 0.025), 3))
_CIVILITIES = {"m", "mm", "mme", "mmes", "mlle", "mr", "monsieur", "madame", "mesdames", "messieurs", "mademoiselle",
               "me", "maitre", "dr", "docteur", "pr"}
# Sentence ends, not the dot of a civility or an initial ("M. Dupont", "J. Martin", "Mme. X") nor a number's.
_BOUNDARY = re.compile(r"(?<!\b[A-Za-z])(?<!\bMM)(?<!\bMme)(?<!\bDr)(?<!\d)[.!?;](?=\s)|\n\s*\n")
_WORD = re.compile(r"\w+(?:-\w+)*")
_REACH = 600  # characters searched on each side of a mention for its sentence's ends


@dataclass(frozen=True)
class MentionContext:
    """What the classifier reads of one mention: its words, the words before (nearest first) and after it in
    its sentence, its kind, whether the passage reads like minutes, and the sentence (the evidence)."""

    own: tuple[str, ...]
    left: tuple[str, ...]
    right: tuple[str, ...]
    kind: str
    minutes: bool
    sentence: str
    shape: tuple[str, ...] = ()


def _words(text: str) -> list[str]:
    return ["<num>" if w.isdigit() else w for w in _WORD.findall(fold(text).replace("'", " "))
            if len(w) > 1 or w.isdigit() or w == "m"]  # elisions ("l'", "d'") left out, not "M." (monsieur)


def context_of(text: str, start: int, end: int, kind: str, *, minutes: bool | None = None) -> MentionContext:
    """The context of the mention text[start:end]; a civility written in it ("M. Dupont") counts as a word
    before it, so that a mention found with or without its civility reads the same. `minutes`: whether the
    passage is a council's minutes (read from the text when not given)."""
    before, after = text[max(0, start - _REACH) : start], text[end : end + _REACH]
    low = max((m.end() for m in _BOUNDARY.finditer(before)), default=0)
    high = next((m.end() for m in _BOUNDARY.finditer(after)), len(after))
    surface = one_line(text[start:end])
    own = _words(surface)
    left = list(reversed(_words(before[low:])))
    while len(own) > 1 and own[0] in _CIVILITIES:
        left.insert(0, own.pop(0))
        surface = surface.split(None, 1)[1] if " " in surface else surface
    opening = one_line(before[low:] + "|")[:-1]  # the sentence up to the mention, spaces as one_line leaves them
    sentence = one_line(before[low:] + text[start:end] + after[:high])
    return MentionContext(
        own=tuple(own), left=tuple(left), right=tuple(_words(after[:high])), kind=kind,
        minutes=is_minutes(text) if minutes is None else minutes,
        sentence=cut_around(sentence, len(opening), len(one_line(text[start:end]))), shape=_shape(surface),
    )


def _shape(surface: str) -> tuple[str, ...]:
    words = surface.split()
    shape = [f"words:{min(len(words), 4)}"]
    if is_acronym(surface):
        shape.append("acronym")
    elif any(c.isalpha() for c in surface) and surface.isupper():
        shape.append("capitals")
    elif words and words[-1].isupper() and len(words[-1]) > 1:
        shape.append("surname-in-capitals")
    return tuple(shape)


def features(context: MentionContext, window: int) -> str:
    """The mention as prefixed words for TF-IDF: `m:` its words, `l1:`/`r1:` the nearest word on each side,
    `l:`/`r:` the words of the window, `lb:`/`rb:` word pairs, `k:` its kind, `s:` its shape, `p:` the passage."""
    left, right = context.left[:window], context.right[:window]
    tokens = [f"k:{context.kind}", *(f"m:{w}" for w in context.own), *(f"s:{s}" for s in context.shape)]
    if context.minutes:
        tokens.append("p:minutes")
    for side, words in (("l", left), ("r", right)):
        tokens += [f"{side}:{w}" for w in words]
        tokens += [f"{side}{i + 1}:{w}" for i, w in enumerate(words[:2])]
        tokens += [f"{side}b:{a}_{b}" for a, b in zip(words, words[1:])][:3]
        if not words:
            tokens.append(f"{side}:<edge>")
    return " ".join(tokens)


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)


def _classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


@dataclass
class RoleModel:
    """What training produces and what is saved."""

    window: int
    vectorizer: TfidfVectorizer
    classifier: LogisticRegression
    threshold: float
    version: str
    info: dict = field(default_factory=dict)  # data counts, cross-validation figures, date: the model card's


def decide(probabilities: np.ndarray, classes: Sequence[str], threshold: float) -> list[tuple[str | None, float]]:
    """(role or None, probability) of each row: the most probable class when it is a role at or above the
    threshold, else no role."""
    results = []
    for row in probabilities:
        best = int(row.argmax())
        role = classes[best]
        results.append((role if role != NONE and row[best] >= threshold else None, float(row[best])))
    return results


class RoleClassifier:
    def __init__(self, model: RoleModel) -> None:
        self.model = model

    @property
    def version(self) -> str:
        return self.model.version

    def predict(self, contexts: Sequence[MentionContext]) -> list[tuple[str | None, float]]:
        """(role or None when it abstains, probability of the most probable class) of each mention."""
        if not contexts:
            return []
        matrix = self.model.vectorizer.transform([features(c, self.model.window) for c in contexts])
        probabilities = self.model.classifier.predict_proba(matrix)
        return decide(probabilities, list(self.model.classifier.classes_), self.model.threshold)


# --- training data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleExample:
    passage_id: str
    split: str
    context: MentionContext
    role: str  # one of CLASSES
    surface: str


def without_test_copies(passages: Sequence[dict]) -> list[dict]:
    """The passages, less those outside the test split that repeat a test passage (same id, candidate or
    text): the classifier never learns from the test split, even when another gold file copies a passage."""
    test = [p for p in passages if passage_split(p) == "test"]
    seen = {p["id"] for p in test} | {p["cid"] for p in test if p.get("cid")} | {p["text"] for p in test}
    return [p for p in passages if passage_split(p) == "test" or not ({p["id"], p.get("cid"), p["text"]} & seen)]


def locate(text: str, surface: str) -> tuple[int, int] | None:
    """Where the gold surface is first written in the passage (spaces and line breaks may differ)."""
    at = text.find(surface)
    if at >= 0:
        return at, at + len(surface)
    pattern = r"\s*".join(re.escape(part) for part in surface.split())
    match = re.search(pattern, text) if pattern else None
    return (match.start(), match.end()) if match else None


def examples_of(passages: Iterable[dict]) -> tuple[list[RoleExample], int]:
    """The person and organisation mentions of gold passages as examples, and how many could not be located."""
    examples, lost = [], 0
    for passage in passages:
        split = passage_split(passage)
        text = passage["text"]
        minutes = is_minutes(text)
        for actor in passage["actors"]:
            if actor["kind"] not in KINDS[:2]:
                continue
            span = locate(text, actor["text"])
            if span is None:
                lost += 1
                continue
            examples.append(RoleExample(
                passage_id=passage["id"], split=split, surface=actor["text"], role=actor.get("role") or NONE,
                context=context_of(text, *span, actor["kind"], minutes=minutes),
            ))
    return examples, lost


def data_version(examples: Sequence[RoleExample]) -> str:
    digest = hashlib.sha1()
    for e in examples:
        digest.update(f"{e.passage_id}\t{e.split}\t{e.surface}\t{e.role}\t{e.context.sentence}\n".encode())
    return digest.hexdigest()[:12]


# --- training and model selection ----------------------------------------------------------------


@dataclass(frozen=True)
class CrossValidation:
    window: int
    c: float
    threshold: float
    accuracy: float  # out of fold, abstention counted as "none"
    role_recall: float  # share of the mentions with a gold role given that role
    role_precision: float  # share of the roles given that are right


def _scores(truth: Sequence[str], decided: Sequence[str | None]) -> tuple[float, float, float]:
    given = [(t, d) for t, d in zip(truth, decided, strict=True) if d is not None]
    with_role = [(t, d) for t, d in zip(truth, decided, strict=True) if t != NONE]
    accuracy = sum((d or NONE) == t for t, d in zip(truth, decided, strict=True)) / len(truth) if len(truth) else 0.0
    recall = sum(t == d for t, d in with_role) / len(with_role) if with_role else 0.0
    precision = sum(t == d for t, d in given) / len(given) if given else 0.0
    return accuracy, recall, precision


def best_threshold(truth: Sequence[str], probabilities: np.ndarray, classes: Sequence[str]) -> tuple[float, float]:
    """The threshold with the best accuracy (abstention counted as "none"), the highest of equals (fewer roles
    given), and that accuracy."""
    best, best_accuracy = THRESHOLDS[-1], -1.0
    for threshold in THRESHOLDS:
        accuracy = _scores(truth, [r for r, _ in decide(probabilities, classes, threshold)])[0]
        if accuracy >= best_accuracy:
            best, best_accuracy = threshold, accuracy
    return best, best_accuracy


def _out_of_fold(texts: list[str], truth: np.ndarray, groups: list[str], c: float, seed: int) -> tuple[np.ndarray, list[str]]:
    classes = sorted(set(truth))
    probabilities = np.zeros((len(texts), len(classes)))
    folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for fit, held in folds.split(texts, truth, groups):
        vectorizer = _vectorizer().fit([texts[i] for i in fit])
        model = _classifier(c).fit(vectorizer.transform([texts[i] for i in fit]), truth[fit])
        columns = [classes.index(k) for k in model.classes_]
        probabilities[np.ix_(held, columns)] = model.predict_proba(vectorizer.transform([texts[i] for i in held]))
    return probabilities, classes


def train(examples: Sequence[RoleExample], *, seed: int = 0, rule_roles: dict[int, str | None] | None = None) -> RoleModel:
    """Fit on the train and dev examples (others are only counted); the window, C and threshold with the best
    out-of-fold accuracy. `rule_roles` (index of a development example -> the role the rules give it) adds
    the out-of-fold figures on the mentions the rules leave without a role to the model's info."""
    with threadpool_limits(limits=1):  # tiny fits: BLAS threads only wait on each other (100x slower on 2 cores)
        return _train(examples, seed=seed, rule_roles=rule_roles)


def _train(examples: Sequence[RoleExample], *, seed: int, rule_roles: dict[int, str | None] | None) -> RoleModel:
    development = [e for e in examples if e.split in DEVELOPMENT_SPLITS]
    if len({e.passage_id for e in development}) < FOLDS:
        raise ValueError(f"too few development passages to train the role classifier (at least {FOLDS})")
    truth = np.array([e.role for e in development])
    groups = [e.passage_id for e in development]
    trials: list[CrossValidation] = []
    out_of_fold: dict[tuple[int, float], tuple[np.ndarray, list[str]]] = {}
    for window in WINDOWS:
        texts = [features(e.context, window) for e in development]
        for c in CS:
            probabilities, classes = _out_of_fold(texts, truth, groups, c, seed)
            threshold, _ = best_threshold(truth, probabilities, classes)
            decided = [r for r, _ in decide(probabilities, classes, threshold)]
            trials.append(CrossValidation(window, c, threshold, *_scores(truth, decided)))
            out_of_fold[(window, c)] = (probabilities, classes)
    chosen = max(trials, key=lambda t: (round(t.accuracy, 6), round(t.role_precision, 6), -t.window, -t.c))
    threshold = chosen.threshold
    texts = [features(e.context, chosen.window) for e in development]
    vectorizer = _vectorizer().fit(texts)
    classifier = _classifier(chosen.c).fit(vectorizer.transform(texts), truth)
    version_of_data = data_version(examples)
    info = {
        "trained_on": date.today().isoformat(),
        "seed": seed,
        "scikit_learn": sklearn.__version__,
        "data_version": version_of_data,
        "counts": _counts(examples),
        "cross_validation": [t.__dict__ for t in trials],
        "chosen": chosen.__dict__,
    }
    if rule_roles is not None:  # the threshold where the classifier is applied: mentions the rules leave empty
        probabilities, classes = out_of_fold[(chosen.window, chosen.c)]
        left = [i for i in range(len(development)) if not rule_roles.get(i)]
        if left:
            threshold, _ = best_threshold(truth[left], probabilities[left], classes)
        info["where_rules_abstain"] = {
            "threshold": threshold,
            **_abstained(truth[left], [r for r, _ in decide(probabilities[left], classes, threshold)]),
            "at_the_overall_threshold": _abstained(
                truth[left], [r for r, _ in decide(probabilities[left], classes, chosen.threshold)]
            ),
        }
    return RoleModel(
        window=chosen.window, vectorizer=vectorizer, classifier=classifier, threshold=threshold,
        version=f"{METHOD}-{version_of_data}-w{chosen.window}c{chosen.c:g}t{threshold:.3f}-s{seed}", info=info,
    )


def _abstained(truth: np.ndarray, decided: list[str | None]) -> dict:
    accuracy, recall, precision = _scores(truth, decided)
    return {
        "mentions": len(truth), "with_gold_role": int((truth != NONE).sum()),
        "roles_given": sum(d is not None for d in decided),
        "roles_right": sum(d is not None and d == t for t, d in zip(truth, decided, strict=True)),
        "accuracy": round(accuracy, 3), "role_recall": round(recall, 3), "role_precision": round(precision, 3),
    }


def _counts(examples: Sequence[RoleExample]) -> dict:
    counts: dict[str, dict] = {}
    for e in examples:
        split = counts.setdefault(e.split, {"passages": set(), "mentions": 0, **{c: 0 for c in CLASSES}})
        split["passages"].add(e.passage_id)
        split["mentions"] += 1
        split[e.role] += 1
    return {s: {**c, "passages": len(c["passages"])} for s, c in sorted(counts.items())}


def model_card(model: RoleModel, evaluation: dict[str, dict[str, float]]) -> str:
    """The model card written beside the model (Markdown); `evaluation` holds role accuracy and roles scored
    of `eval actors` per split, with the rules alone and with the classifier."""
    info = model.info
    chosen = info["chosen"]
    lines = [
        "# Role classifier model card",
        "",
        f"- Version: `{model.version}`; trained on {info['trained_on']} with seed {info['seed']}, scikit-learn "
        f"{info['scikit_learn']}, by `patrimoine train roles`.",
        "- What it does: gives a role (`elu`, `agent`, `etat`, `socio_economique`) to a person or an organisation "
        "whose role the rules of `pipelines/extraction.py` leave empty, or abstains. It never replaces a role a "
        "rule gave. The evidence of its roles is the mention's sentence, prefixed `role classifier: `.",
        "- Features (accents and case folded, TF-IDF): the mention's words, the words before and after it in its "
        f"sentence (window {model.window} words each side; the nearest word and word pairs apart), its kind, its "
        "shape, and whether the passage reads like a council's minutes. Classifier: multinomial logistic "
        f"regression, balanced classes, C={chosen['c']:g}, over the four roles and `none`.",
        f"- Abstention: a mention gets the most probable class when it is a role with probability >= "
        f"{model.threshold:.3f}, else no role.",
        f"- Model selection by {FOLDS}-fold cross-validation grouped by passage, on the development passages only "
        "(the dev split of `corpus/gold/actors.jsonl` and the train passages of `corpus/gold/actors-train.jsonl` "
        "when it exists; never the test split): window and C with the best out-of-fold accuracy on all mentions, "
        "abstention counted as `none`; then the threshold with the best out-of-fold accuracy on the mentions the "
        "rules leave without a role, where the classifier is applied (thresholds are chosen on the same "
        "predictions they are scored on: optimistic figures).",
        "",
        "## Data (person and organisation mentions)",
        "",
        "| split | passages | mentions | " + " | ".join(CLASSES) + " |",
        "|---|---|---|" + "---|" * len(CLASSES),
    ]
    for split, c in info["counts"].items():
        lines.append(f"| {split} | {c['passages']} | {c['mentions']} | " + " | ".join(str(c[k]) for k in CLASSES) + " |")
    lines += [
        "",
        "## Cross-validation (development passages, out of fold)",
        "",
        "| window | C | threshold | accuracy | role recall | role precision |",
        "|---|---|---|---|---|---|",
    ]
    for t in info["cross_validation"]:
        mark = " (chosen)" if (t["window"], t["c"]) == (chosen["window"], chosen["c"]) else ""
        lines.append(f"| {t['window']}{mark} | {t['c']:g} | {t['threshold']:.3f} | {t['accuracy']:.3f} | "
                     f"{t['role_recall']:.3f} | {t['role_precision']:.3f} |")
    abstain = info.get("where_rules_abstain")
    if abstain:
        overall = abstain["at_the_overall_threshold"]
        lines += [
            "",
            "## Where the rules give no role (where the classifier is applied)",
            "",
            f"{abstain['mentions']} development mentions, {abstain['with_gold_role']} of them with a gold role. The "
            f"threshold is the one with the best out-of-fold accuracy on them ({abstain['threshold']:.3f}): "
            f"{abstain['roles_given']} roles given, {abstain['roles_right']} right, accuracy {abstain['accuracy']:.3f} "
            f"(abstention counted as `none`). At the threshold of all mentions ({chosen['threshold']:.3f}): "
            f"{overall['roles_given']} roles given, {overall['roles_right']} right, accuracy {overall['accuracy']:.3f}.",
        ]
    if evaluation:
        lines += [
            "",
            "## `patrimoine eval actors`: role accuracy, rules alone and with the classifier",
            "",
            "| split | rules | rules + classifier | roles scored |",
            "|---|---|---|---|",
        ]
        for split, e in evaluation.items():
            lines.append(f"| {split} | {e['rules']:.3f} | {e['classifier']:.3f} | {e['scored']} |")
    lines += [
        "",
        "## Limits",
        "",
        "- Small data (a few hundred mentions, a handful for `agent` and `etat` people): the classifier mostly "
        "learns contexts common in the gold (council lists, company and association words).",
        "- Role accuracy of `eval actors` only scores mentions with a gold role: a role given to a mention whose "
        "gold role is null is not counted there; the cross-validation accuracy above counts it.",
    ]
    return "\n".join(lines) + "\n"


def load_role_gold(paths: Iterable[Path]) -> list[dict]:
    """The gold passages of the files (JSONL, see corpus/gold/README.md)."""
    return [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
