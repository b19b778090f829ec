"""Shared fixtures: the real models, a real Chroma on disk, one Prefect test harness per session."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "documents"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
EXTERNAL = SHARED / "external"
ACTE = CORPUS / "acte-conseil-communautaire-2024-03-14.pdf"
RAPPORT = CORPUS / "rapport-activite-2023-cooperative-transitions.pdf"
TRANSCRIPT = CORPUS / "transcription-reunion-comite-transition-2024-05-22.txt"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (for servers the tests start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def prefect_harness(tmp_path_factory):
    """One temporary Prefect server and database for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty PATRIMOINE_HOME for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("PATRIMOINE_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def corpus_home(tmp_path_factory, prefect_harness) -> Path:
    """A PATRIMOINE_HOME holding the sample corpus and the two seeds, ingested once by the real flow."""
    from pipelines.flows import ingest

    path = tmp_path_factory.mktemp("corpus-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATRIMOINE_HOME", str(path))
        report = ingest([str(CORPUS), *(str(p) for p in sorted(SEEDS.glob("*.txt")))])
    assert report.documents_failed == 0, report.failures
    assert report.documents_ingested == 5
    return path


@pytest.fixture
def ingested(corpus_home, monkeypatch) -> Path:
    """Point the settings at the session's ingested home (read-only use)."""
    monkeypatch.setenv("PATRIMOINE_HOME", str(corpus_home))
    return corpus_home


@pytest.fixture
def settings():
    from pipelines.settings import Settings

    return Settings()


@pytest.fixture
def store(ingested):
    from pipelines.settings import Settings
    from pipelines.store import Store

    opened = Store.open(Settings())
    yield opened
    opened.close()


@pytest.fixture
def copy_file(tmp_path):
    """Copy a file into a fresh folder and return the copy's path."""

    def copy(source: Path, name: str | None = None) -> Path:
        folder = tmp_path / "docs"
        folder.mkdir(exist_ok=True)
        target = folder / (name or source.name)
        shutil.copy(source, target)
        return target

    return copy
