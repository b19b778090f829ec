"""Scheduled ingestion: the deployment staff set up, Prefect's scheduler creating its runs, a runner executing them."""

import re
import socket
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from pipelines import catalog
from pipelines import query as queries
from pipelines.cli import app
from pipelines.errors import InvalidSchedule
from pipelines.schedule import PrefectServer, ingest_deployment, scheduled_runs, serve
from pipelines.settings import Settings
from pipelines.store import Store
from tests.conftest import EXTERNAL, TRANSCRIPT, free_port



def test_the_deployment_holds_the_cron_its_time_zone_and_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(TRANSCRIPT.parent)
    deployment = ingest_deployment([TRANSCRIPT.name], cron="30 2 * * 1", timezone="Europe/Paris", name="weekly")
    assert deployment.name == "weekly" and deployment.entrypoint == "pipelines.flows.ingest"
    (schedule,) = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 2 * * 1", "Europe/Paris")
    assert deployment.parameters == {"paths": [str(TRANSCRIPT)]}  # the runs do not depend on the runner's folder


@pytest.mark.parametrize(("paths", "cron", "timezone", "message"), [
    (["absent-folder"], "0 3 * * *", "Europe/Paris", "absent-folder: no such file or folder"),
    ([str(TRANSCRIPT)], "0 25 * * *", "Europe/Paris", "invalid cron schedule '0 25 * * *'"),
    ([str(TRANSCRIPT)], "tous les jours", "Europe/Paris", "invalid cron schedule 'tous les jours'"),
    ([str(TRANSCRIPT)], "0 3 * * *", "Europe/Lyon", "unknown time zone 'Europe/Lyon'"),
    ([], "0 3 * * *", "Europe/Paris", "no file or folder"),
    ([str(TRANSCRIPT)], "0 0 3 * * *", "Europe/Paris", "invalid cron schedule '0 0 3 * * *'"),  # seconds first
    ([str(TRANSCRIPT)], "0 3 31 2 *", "Europe/Paris", "the cron schedule '0 3 31 2 *' never falls due"),
    ([str(TRANSCRIPT)], "0 3 * * *", "Europe", "unknown time zone 'Europe'"),  # a folder of the zone database
])
def test_what_cannot_be_scheduled_is_refused_with_its_reason(paths, cron, timezone, message):
    with pytest.raises(InvalidSchedule, match=re.escape(message)):
        ingest_deployment(paths, cron=cron, timezone=timezone)


@pytest.mark.parametrize("name", ["a/b", "", "nuit blanche"])
def test_a_deployment_name_prefect_would_refuse_is_refused_with_its_reason(name):
    with pytest.raises(InvalidSchedule, match=re.escape(f"invalid deployment name {name!r}")):
        ingest_deployment([str(TRANSCRIPT)], cron="0 3 * * *", name=name)


def test_the_schedule_command_names_what_is_wrong(home):
    result = CliRunner().invoke(app, ["schedule", str(TRANSCRIPT), "--cron", "0 25 * * *"])
    assert result.exit_code == 1
    assert "the schedule could not start: invalid cron schedule '0 25 * * *'" in result.output
    assert CliRunner().invoke(app, ["schedule", str(TRANSCRIPT), "--prefect-port", "70000"]).exit_code == 2


def test_prefect_scheduler_creates_the_runs_at_the_cron_times(tmp_path, monkeypatch):
    """Prefect's own server (not the test harness, which has no scheduler) turns the cron into runs: with
    SQLAlchemy 2.1 its scheduler failed on every insert and no scheduled run was ever created."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS", "1")
    deployment = ingest_deployment([str(TRANSCRIPT)], cron="0 3 * * *", timezone="Europe/Paris", name="nightly")
    with PrefectServer(port=free_port(), log=tmp_path / "server.log") as server, \
            temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        upcoming = scheduled_runs(deployment.apply(), wait_s=60)
    assert len(upcoming) == 3, (tmp_path / "server.log").read_text()[-3000:]
    local = [t.astimezone(ZoneInfo("Europe/Paris")) for t in upcoming]
    assert all((t.hour, t.minute) == (3, 0) for t in local)  # 03:00 in Paris, whatever the offset to UTC
    assert len({t.date() for t in local}) == 3


def test_a_taken_port_is_refused_before_starting_a_server(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(InvalidSchedule, match=f"port {port} of 127.0.0.1 is taken"):
            PrefectServer(port=port, log=tmp_path / "server.log").__enter__()


def test_a_run_of_the_deployment_ingests_and_reports_like_a_run_by_hand(home, copy_file):
    """The runner executes a run of the deployment started by hand (as from Prefect's UI) in a child process; its
    report, failed file included, lands in the catalog with the deployment's name, not as scheduled."""
    from prefect.client.orchestration import get_client

    good = copy_file(TRANSCRIPT)
    copy_file(EXTERNAL / "pdf-bad" / "encrypted.pdf")
    deployment = ingest_deployment([str(good.parent)], cron="0 3 * * *", name="test-nightly")
    due = []

    def registered(deployment_id):  # a run due now, as Prefect's UI makes one
        with get_client(sync_client=True) as client:
            due.append(client.create_flow_run_from_deployment(deployment_id).id)

    serve(deployment, run_once=True, registered=registered)
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(due[0]).state.is_completed()
    store = Store.open(Settings())
    try:
        (run,) = catalog.list_runs(store.conn)
        listed = queries.runs(store)
        assert listed.total == 1 and listed.runs[0].run_id == run["run_id"] == str(due[0])
    finally:
        store.close()
    report = run["report"]
    assert run["status"] == "completed" and run["deployment"] == report["deployment"] == "test-nightly"
    assert run["scheduled"] is False and report["scheduled"] is False
    assert (report["documents_seen"], report["documents_ingested"], report["documents_failed"]) == (2, 1, 1)
    assert report["failures"][0]["path"].endswith("encrypted.pdf") and report["failures"][0]["error"]


def test_the_schedule_ingests_at_the_cron_times_and_sigterm_stops_it_with_its_prefect_server(home):
    """Prefect's scheduler makes a run of the deployment at the next minute and the command executes it, reported
    as scheduled. A service manager then stops `patrimoine schedule` with SIGTERM: the Prefect server it started
    stops too and frees its port (Prefect's runner installs no handler off the main thread)."""
    import os
    import queue
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "patrimoine"), "schedule", str(TRANSCRIPT), "--prefect-port", str(port),
         "--cron", "* * * * *", "--name", "every-minute"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**env, "PATRIMOINE_HOME": str(home)},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    said, deadline = "", time.monotonic() + 180
    while "stop with Ctrl-C or SIGTERM" not in said and time.monotonic() < deadline and process.poll() is None:
        try:
            said += lines.get(timeout=1)
        except queue.Empty:
            pass
    try:
        assert "stop with Ctrl-C or SIGTERM" in said, said
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) == 0  # its Prefect server answers
        runs, deadline = [], time.monotonic() + 150  # the next minute, then the ingestion of one transcript
        while not runs and time.monotonic() < deadline and process.poll() is None:
            time.sleep(1)
            if (home / "catalog.sqlite3").exists():
                store = Store.open(Settings())
                try:
                    runs = [run for run in catalog.list_runs(store.conn) if run["status"] != "running"]
                finally:
                    store.close()
        assert runs, said
        assert (runs[0]["status"], runs[0]["deployment"], runs[0]["scheduled"]) == ("completed", "every-minute", True)
        assert runs[0]["report"]["scheduled"] is True and runs[0]["report"]["documents_ingested"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    time.sleep(1)
    while not lines.empty():
        said += lines.get()
    assert said.rstrip().endswith("stopped; the reports of the runs are in `patrimoine runs`")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # and is gone
