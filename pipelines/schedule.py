"""Scheduled ingestion: the `ingest` flow as a Prefect deployment on a cron schedule, served by this process.

- `ingest_deployment` builds the deployment and checks what staff gave (cron, time zone, paths); no I/O.
- `PrefectServer` runs Prefect's own server in a child process when no `PREFECT_API_URL` names one: its
  scheduler creates the flow runs of the schedule (Prefect's temporary server has no scheduler).
- `serve` registers the deployment and executes its runs as they fall due, each in a child process, until
  stopped. A scheduled run is an ordinary `ingest` run: its report lands in the catalog (`patrimoine runs`).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from pipelines.errors import InvalidSchedule

DEPLOYMENT_NAME = "scheduled-ingest"


def ingest_deployment(
    paths: list[str], *, cron: str, timezone: str = "Europe/Paris", name: str = DEPLOYMENT_NAME
) -> RunnerDeployment:
    """The `ingest` flow over `paths` (made absolute) on the cron schedule `cron`, read in `timezone`."""
    if not paths:
        raise InvalidSchedule("no file or folder to ingest")
    for path in paths:
        if not Path(path).exists():
            raise InvalidSchedule(f"{path}: no such file or folder")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name):
        raise InvalidSchedule(f"invalid deployment name {name!r}: letters, digits, '.', '_' and '-' only")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" alone is a folder of the zone database
        raise InvalidSchedule(f"unknown time zone {timezone!r} (e.g. Europe/Paris, UTC)") from None
    _check_cron(cron)
    from pipelines.flows import ingest

    return ingest.to_deployment(
        name=name,
        schedule=Cron(cron, timezone=timezone),
        parameters={"paths": [str(Path(p).resolve()) for p in paths]},
        description="patrimoine: ingest these files and folders on a schedule (unchanged files are skipped).",
        tags=["patrimoine"],
        entrypoint_type=EntrypointType.MODULE_PATH,  # pipelines.flows.ingest, importable wherever it is installed
    )


def _check_cron(cron: str) -> None:
    """Five fields (minute hour day month weekday) or an alias (@daily…), valid, and due some day: a sixth field
    would be read as seconds (a run every second), and 31 February never comes."""
    from prefect._vendor.croniter import CroniterBadDateError, croniter  # the cron reader of Prefect's scheduler

    example = "five fields, minute hour day month weekday (e.g. '0 3 * * *')"
    if not (cron.startswith("@") or len(cron.split()) == 5) or not croniter.is_valid(cron):
        raise InvalidSchedule(f"invalid cron schedule {cron!r}: {example}")
    try:
        croniter(cron, datetime.now(tz=ZoneInfo("UTC"))).get_next(datetime)
    except CroniterBadDateError:
        raise InvalidSchedule(f"the cron schedule {cron!r} never falls due") from None


class PrefectServer:
    """Prefect's server (API, scheduler, UI) in a child process for the life of a `with` block."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 4200, log: Path, startup_timeout_s: float = 120) -> None:
        self.host, self.port, self.log, self.startup_timeout_s = host, port, log, startup_timeout_s
        self._process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    def __enter__(self) -> PrefectServer:
        with socket.socket() as probe:
            if probe.connect_ex((self.host, self.port)) == 0:
                raise InvalidSchedule(
                    f"port {self.port} of {self.host} is taken: choose another one, or set PREFECT_API_URL to use "
                    "the Prefect server running there"
                )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", self.host, "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
            )
        try:  # stopped whatever interrupts its start (Ctrl-C included)
            deadline = time.monotonic() + self.startup_timeout_s
            while not (_healthy(self.api_url) and self._process.poll() is None):  # ours, not another one's
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise InvalidSchedule(f"Prefect's server did not start on {self.api_url}: see {self.log}")
                time.sleep(0.5)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never through a proxy


def _healthy(api_url: str) -> bool:
    try:
        with _DIRECT.open(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(
    deployment: RunnerDeployment, *, run_once: bool = False, registered: Callable[[UUID], None] = lambda _: None
) -> None:
    """Register the deployment with the Prefect API, call `registered` with its id, then execute its runs as they
    fall due, one at a time (`run_once`: the earliest run due now, then return). Its schedule stays active when
    this process stops."""
    import httpx
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL
    from prefect.utilities.asyncutils import run_coro_as_sync

    runner = Runner(name=f"patrimoine-{deployment.name}", pause_on_shutdown=False, limit=1)  # one run at a time
    try:
        deployment_id = runner.add_deployment(deployment)
    except httpx.HTTPError as exc:
        raise InvalidSchedule(f"no Prefect server answers at {PREFECT_API_URL.value()}: {exc}") from None
    registered(deployment_id)
    run_coro_as_sync(runner.start(run_once=run_once))


def scheduled_runs(deployment_id: UUID, *, wait_s: float = 0, limit: int = 3) -> list[datetime]:
    """The start times of the runs Prefect's scheduler created for the deployment and that have not run yet (late
    ones first: they fell due while nothing served the deployment), soonest first; waits up to `wait_s` seconds
    for the scheduler to create the first ones."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + wait_s
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                    any_=[StateType.SCHEDULED]))),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=limit,
            )
            if runs or time.monotonic() >= deadline:
                return [run.expected_start_time for run in runs]
            time.sleep(1)
