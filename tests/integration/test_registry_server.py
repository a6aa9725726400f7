"""The same registry code against a real ``mlflow server`` (``--serve-artifacts``) over HTTP.

Artifacts travel through the server (``mlflow-artifacts:/``), so nothing may be written under
DRIFTWATCH_HOME: that is what lets every container of the stack share one registry.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from driftwatch.contracts.features import SCORE
from driftwatch.settings import Settings
from driftwatch.training import (
    PRODUCTION,
    aliases,
    load_model,
    promote,
    reference_frame,
    train_and_register,
)
from tests.fixtures.bus import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STARTUP_DEADLINE_S = 150.0
"""About 10 s on an idle machine; over a minute when other suites load both cores."""


@pytest.fixture
def mlflow_server(tmp_path: Path, migrated_mlflow_db: Path) -> Iterator[str]:
    """URL of an ``mlflow server`` on a free port, with its own SQLite store and artifact dir."""
    backend = tmp_path / "server.db"
    shutil.copyfile(migrated_mlflow_db, backend)  # skips the server's schema migrations
    port = free_port()
    log_path = tmp_path / "mlflow-server.log"
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # No background job runner (seven huey processes): the registry needs none of it.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("mlflow")),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--backend-store-uri",
                f"sqlite:///{backend}",
                "--serve-artifacts",
                "--artifacts-destination",
                str(tmp_path / "server-artifacts"),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown stops uvicorn with it
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, url, log_path)
        yield url
    finally:
        _stop_group(server)


def _stop_group(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _wait_healthy(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:  # doubles as the pause between polls
            code = server.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"mlflow server exited with {code}:\n{log_path.read_text()[-3000:]}")
    pytest.fail(f"mlflow server not healthy after {STARTUP_DEADLINE_S:.0f} s")


@pytest.mark.timeout(300)
def test_train_register_promote_load_through_a_tracking_server(
    settings: Settings, mlflow_server: str, baseline_frame: pd.DataFrame, tmp_path: Path
) -> None:
    remote = settings.model_copy(update={"mlflow_tracking_uri": mlflow_server})
    assert remote.tracking_uri == mlflow_server

    result = train_and_register(baseline_frame.iloc[:8000], remote)
    promote(remote, result.version, PRODUCTION)

    assert aliases(remote) == {PRODUCTION: result.version}
    loaded = load_model(remote)
    rows = baseline_frame.tail(300)
    np.testing.assert_array_equal(loaded.predict_proba(rows), result.model.predict_proba(rows))
    reference = reference_frame(remote, PRODUCTION)
    assert len(reference) == result.holdout_rows
    np.testing.assert_allclose(reference[SCORE], result.model.predict_proba(reference))
    assert not remote.artifacts_dir.exists()  # everything went through the server
    assert any((tmp_path / "server-artifacts").rglob("MLmodel"))
