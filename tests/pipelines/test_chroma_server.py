"""The vectors on a Chroma server (PATRIMOINE_CHROMA_URL): a real `chroma run` on 127.0.0.1."""

import concurrent.futures
import socket
import subprocess
import threading
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pipelines import query as queries
from pipelines.cli import app
from pipelines.embedding import load_embedder
from pipelines.errors import IndexUnavailable
from pipelines.flows import ingest
from pipelines.index import open_index
from pipelines.settings import Settings
from pipelines.store import Store
from search_api.app import create_app
from tests.conftest import TRANSCRIPT, free_port



def _start_chroma(folder: Path) -> tuple[subprocess.Popen, str]:
    """`chroma run` (the server shipped with chromadb) on a free port of 127.0.0.1, its data in `folder`."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(folder), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            return process, url
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "chroma run did not start"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    process, url = _start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_ingestion_and_search_go_through_the_chroma_server(home, monkeypatch, chroma_server):
    monkeypatch.setenv("PATRIMOINE_CHROMA_URL", chroma_server)
    report = ingest([str(TRANSCRIPT)])
    assert report.documents_ingested == 1 and report.passages_indexed > 0
    settings = Settings()
    assert not settings.chroma_dir.exists()  # nothing on the home's disk: the vectors are on the server
    on_server = open_index(settings.chroma_dir, model=settings.embedding_model, url=chroma_server)
    assert on_server.count() == report.passages_indexed
    store = Store.open(settings)
    try:
        embedder = load_embedder(settings.embedding_model)
        dense = queries.search(store, embedder, "le comité de transition", k=3, mode="dense")
    finally:
        store.close()
    assert dense.hits and dense.hits[0].source_path == str(TRANSCRIPT)
    health = TestClient(create_app()).get("/health").json()
    assert health["vectors"] == report.passages_indexed  # the API's process asks the same server
    again = ingest([str(TRANSCRIPT)])
    assert again.documents_unchanged == 1 and on_server.count() == report.passages_indexed


def test_a_chroma_server_that_does_not_answer_is_named(home, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("PATRIMOINE_CHROMA_URL", url)
    result = CliRunner().invoke(app, ["ingest", str(TRANSCRIPT)])
    assert result.exit_code == 1
    assert f"the ingestion could not run: no Chroma server answers at {url}" in result.output
    response = TestClient(create_app()).get("/search", params={"q": "transition"})
    assert response.status_code == 503 and response.json()["detail"].startswith(f"no Chroma server answers at {url}")


def test_a_chroma_url_that_is_no_url_is_refused(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("PATRIMOINE_CHROMA_URL", "127.0.0.1:8001")
    with pytest.raises(ValidationError, match="chroma_url"):
        Settings()


def test_opening_the_index_again_and_again_reuses_one_connection(tmp_path, chroma_server):
    """The API opens the index at every request: one HTTP client per server, not one per request."""
    def open_files() -> int:
        return len(list(Path("/proc/self/fd").iterdir()))

    open_index(tmp_path, model="m", url=chroma_server).count()
    before = open_files()
    for _ in range(30):
        open_index(tmp_path, model="m", url=chroma_server).count()
    assert open_files() <= before + 2


def test_a_chroma_server_that_stops_answering_is_named_and_the_catalog_still_answers(home, monkeypatch, tmp_path):
    process, url = _start_chroma(tmp_path / "chroma")
    monkeypatch.setenv("PATRIMOINE_CHROMA_URL", url)
    try:
        assert ingest([str(TRANSCRIPT)]).documents_ingested == 1
        client = TestClient(create_app())
        assert client.get("/search", params={"q": "transition"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    response = client.get("/search", params={"q": "transition"})
    assert response.status_code == 503 and response.json()["detail"].startswith(f"no Chroma server answers at {url}")
    assert client.get("/runs").json()["total"] == 1  # what the catalog alone holds is still served
    result = CliRunner().invoke(app, ["runs"])
    assert result.exit_code == 0 and "1 of 1 runs shown" in result.output
    failed = CliRunner().invoke(app, ["ingest", str(TRANSCRIPT)])
    assert failed.exit_code == 1 and f"no Chroma server answers at {url}" in failed.output


def test_a_chroma_server_that_hangs_is_named_after_the_timeout(home, monkeypatch):
    """A peer that accepts connections and never answers (outside the product, so faked by a bare socket)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setenv("PATRIMOINE_CHROMA_URL", url)
    monkeypatch.setenv("PATRIMOINE_CHROMA_TIMEOUT_S", "1")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(app, ["ingest", str(TRANSCRIPT)])
        assert result.exit_code == 1
        assert f"the ingestion could not run: no Chroma server answers at {url}" in result.output
        response = TestClient(create_app()).get("/search", params={"q": "transition"})
        assert response.status_code == 503 and "timed out" in response.json()["detail"]
        assert time.monotonic() - started < 60  # not blocked for ever; the figure itself is not the point
    finally:
        listener.close()


class _StallingProxy:
    """A TCP relay to a real Chroma server that, once `stall` is set, keeps reading requests and forwards none:
    a server that stopped answering with its connections still open (the network between them is outside the
    product, so it is the part faked)."""

    def __init__(self, target_port: int) -> None:
        self.stall = threading.Event()
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._relay, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client, False), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        try:
            while data := source.recv(65536):
                if requests and self.stall.is_set():
                    continue
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()


def test_a_chroma_server_that_stops_answering_mid_use_is_named_after_the_timeout(tmp_path, chroma_server):
    proxy = _StallingProxy(int(chroma_server.rsplit(":", 1)[1]))
    try:
        index = open_index(tmp_path, model="stalling", url=proxy.url, timeout_s=1)
        assert index.count() == 0
        proxy.stall.set()
        waiting = concurrent.futures.ThreadPoolExecutor(1)
        with pytest.raises(IndexUnavailable, match=f"no Chroma server answers at {proxy.url}"):
            waiting.submit(index.count).result(timeout=60)  # without the timeout: concurrent's TimeoutError
        waiting.shutdown(wait=False)
    finally:
        proxy.close()
