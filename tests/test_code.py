"""Checks on the code itself that no single behaviour test would catch."""

import ast
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p for package in ("pipelines", "search_api") for p in (ROOT / package).rglob("*.py"))


def _top_level_names(tree: ast.Module) -> Counter:
    names = Counter()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] += 1
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] += 1
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_defines_a_top_level_name_twice(path):
    """A second definition silently replaces the first for every function that uses it (a second `_NAME_LINKS` set
    in extraction_rules.py, for place names, would cut "l'association Pierre qui Tourne" to "Pierre")."""
    names = _top_level_names(ast.parse(path.read_text(encoding="utf-8")))
    assert not [name for name, count in names.items() if count > 1]
