"""The reasons of ingestion runs in French: every reason the pipeline can give has its French sentence.

The reasons are found in the pipeline's source with `ast`, wherever a run's failure or warning gets its text: the
readers' exceptions, the pages a PDF leaves out, the PDF worker's error messages, the folders that cannot be
listed, and the flow's own failures and warnings. A new reason without its French sentence fails here.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from search_api.reasons import NBSP, REASONS, french, in_french

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
# Calls whose argument is a reason a run records, and which argument: (position, keyword).
SINKS = {
    "UnreadableDocument": (0, None), "EmptyDocument": (0, None), "UnsupportedFileType": (0, None),
    "PageProblem": (1, "reason"), "IngestWarning": (2, "reason"), "IngestFailure": (1, "error"),
    "_fail": (2, "reason"),
}
# Arguments that pass on a reason found elsewhere in this enumeration, by module and expression.
PASSED_ON = {
    ("readers/pdf.py", "message[1]"),  # the worker's ("error", reason) messages (enumerated below)
    ("readers/pdf.py", "str(exc)"),  # an UnreadableDocument of ocr.py
    ("readers/ocr.py", "missing"),  # the strings `available()` returns (resolved below)
    ("flows.py", "p.reason"),  # a PageProblem's reason
    ("flows.py", "str(exc)"),  # a PatrimoineError of the readers
    ("flows.py", "reason"),  # _fail's parameter, and discover's `unreadable` reasons (enumerated below)
}
SAMPLE = "7"  # what each variable part of a reason is replaced with


def _variants(node: ast.expr, scope: ast.AST, module: ast.Module) -> list[str] | None:
    """The reasons an expression can give, their variable parts replaced with SAMPLE; None when it only passes
    on a value it does not build."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else SAMPLE for v in node.values)]
    if isinstance(node, ast.IfExp):
        return _either(node.body, node.orelse, scope, module)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _variants(node.left, scope, module), _variants(node.right, scope, module)
        return None if left is None or right is None else [a + b for a, b in itertools.product(left, right)]
    if isinstance(node, ast.Name):  # assigned in the same function: from a string, or from a function's returns
        found = []
        for assign in ast.walk(scope):
            targets = assign.targets if isinstance(assign, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == node.id for t in targets):
                value = assign.value
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    found += _returns(value.func.id, module)
                else:
                    found += _variants(value, scope, module) or []
        return found or None
    return None


def _either(a: ast.expr, b: ast.expr, scope: ast.AST, module: ast.Module) -> list[str] | None:
    first, second = _variants(a, scope, module), _variants(b, scope, module)
    return None if first is None or second is None else first + second


def _returns(function: str, module: ast.Module) -> list[str]:
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [r.value.value for r in ast.walk(node) if isinstance(r, ast.Return)
                    and isinstance(r.value, ast.Constant) and isinstance(r.value.value, str)]
    return []


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def pipeline_reasons() -> tuple[set[str], list[str]]:
    """(the reasons the pipeline can record, with SAMPLE for their variable parts; the arguments of a reason that
    neither build one nor are known to pass one on)."""
    reasons: set[str] = set()
    unknown: list[str] = []
    for path in sorted(PIPELINES.rglob("*.py")):
        where = path.relative_to(PIPELINES).as_posix()
        module = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)]
        for scope in functions:
            for node in ast.walk(scope):
                argument = None
                if isinstance(node, ast.Call) and (sink := SINKS.get(_name(node) or "")):
                    position, keyword = sink
                    argument = next((k.value for k in node.keywords if k.arg == keyword), None)
                    if argument is None and len(node.args) > position:
                        argument = node.args[position]
                elif isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[0], ast.Constant) \
                        and node.elts[0].value == "error" and len(node.elts) == 2:
                    argument = node.elts[1]  # the PDF worker's ("error", reason) message
                elif isinstance(node, ast.Call) and _name(node) == "append" and isinstance(node.func, ast.Attribute) \
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "unreadable":
                    argument = node.args[0].elts[1]  # discover's (folder, reason)
                if argument is None:
                    continue
                built = _variants(argument, scope, module)
                if built:
                    reasons.update(built)
                elif (where, ast.unparse(argument)) not in PASSED_ON:
                    unknown.append(f"{where}:{argument.lineno}: {ast.unparse(argument)}")
    return reasons, unknown


def test_every_reason_the_pipeline_can_record_has_its_french_sentence():
    reasons, unknown = pipeline_reasons()
    assert not unknown, f"reasons this test cannot read: build them in place or add them to PASSED_ON: {unknown}"
    # what the source holds, so that the enumeration cannot silently find nothing
    assert {"the file is empty (0 bytes)", "the PDF is protected by a password", f"same content as {SAMPLE}",
            f"cannot list the folder: {SAMPLE}", "OCR unavailable: install tesseract-ocr and tesseract-ocr-fra",
            f"scanned page not readable by OCR (confidence {SAMPLE}%)", f"unexpected error: {SAMPLE}: {SAMPLE}",
            "no text could be read from the document", f"no text could be read from the document ({SAMPLE})",
            } <= reasons
    untranslated = sorted(r for r in reasons if french(r) is None)
    assert not untranslated, f"add these reasons to search_api.reasons.REASONS: {untranslated}"


def test_reasons_keep_their_variable_parts_in_french_typography():
    assert in_french("the file is 200.4 MB, over the limit of 200 MB") == \
        f"Le fichier fait 200,4{NBSP}Mo, au-delà de la limite de 200{NBSP}Mo"
    assert in_french("reading the page took longer than 0.5 s") == f"La lecture de la page a pris plus de 0,5{NBSP}s"
    assert in_french("same content as /srv/depot/a b.pdf") == "Même contenu que /srv/depot/a b.pdf"
    assert in_french("cannot list the folder: Permission denied") == \
        f"Impossible de lister le dossier{NBSP}: accès refusé"
    assert in_french("not a readable PDF (PSSyntaxError: No /Root object! - Is this really a PDF?)") == \
        "PDF illisible (PSSyntaxError: No /Root object! - Is this really a PDF?)"  # the library's words as they are
    nested = "no text could be read from the document (page 1: scanned page not readable by OCR (confidence 12%); " \
             "page 2: OCR took longer than 60 s on a page)"
    assert in_french(nested) == (
        f"Aucun texte n'a pu être lu dans le document (page 1{NBSP}: page numérisée illisible par l'OCR "
        f"(confiance de 12{NBSP}%){NBSP}; page 2{NBSP}: l'OCR a pris plus de 60{NBSP}s sur une page)"
    )


@pytest.mark.parametrize("reason", ["", "something new happened", "the file is big", "page 3: ?"])
def test_an_unknown_reason_is_shown_as_recorded(reason):
    assert french(reason) is None and in_french(reason) == reason


def test_templates_name_the_same_fields_in_both_languages():
    import re

    for english, french_template in REASONS:
        assert sorted(re.findall(r"\{(\w+)\}", english)) == sorted(re.findall(r"\{(\w+)\}", french_template)), english
