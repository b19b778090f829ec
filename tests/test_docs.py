"""The README documents every setting and every command (datasette's test_docs.py)."""

from pathlib import Path

import pytest

from pipelines.cli import app
from pipelines.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(name):
    assert f"PATRIMOINE_{name.upper()}" in README


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_description(name):
    assert Settings.model_fields[name].description


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_every_command_is_in_the_readme(command):
    assert f"patrimoine {command}" in README
