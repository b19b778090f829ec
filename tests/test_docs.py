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


def _commands(typer_app, prefix="patrimoine"):
    for command in typer_app.registered_commands:
        yield f"{prefix} {command.name or command.callback.__name__}"
    for group in typer_app.registered_groups:
        yield from _commands(group.typer_instance, f"{prefix} {group.name}")


@pytest.mark.parametrize("command", list(_commands(app)))
def test_every_command_is_in_the_readme(command):
    assert command in README
