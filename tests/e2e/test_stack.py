"""``driftwatch up``/``status``/``logs`` on the session's real local stack.

These run after the demos (file order) and leave the stack as they found it: the one service
they kill is restarted by the supervisor before they return.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from tests.fixtures.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

SERVICES = ("api", "monitor", "sentinel", "planner", "release", "audit")
DEADLINE_S = 120.0


def test_status_shows_processes_aliases_incidents_and_streams(local_stack: LocalStack) -> None:
    done = local_stack.driftwatch("status")

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"stack in {local_stack.home}: running" in out
    rows = {cells[0]: cells[1] for cells in _table_rows(out) if len(cells) > 2}
    for name in SERVICES:
        assert rows.get(name) == "ready", out
    for section in ("model registry", "open", "bus", "predictions", "deadletter"):
        assert section in out


def _table_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in text.splitlines()
        if line.startswith("│")
    ]


def test_a_second_up_in_the_same_home_refuses(local_stack: LocalStack) -> None:
    done = local_stack.driftwatch("up", "--free-ports")

    assert done.returncode == 1
    assert "already running" in done.stderr


def test_a_taken_port_is_refused_naming_the_process_that_holds_it(
    local_stack: LocalStack, tmp_path: Any
) -> None:
    api = local_stack.plan.service("api")
    assert api is not None
    assert api.port is not None
    api_pid = local_stack.run_dir.read_state().services["api"].pid  # type: ignore[union-attr]
    env = {**local_stack.env, "DRIFTWATCH_HOME": str(tmp_path / "other")}
    other = LocalStack(tmp_path / "other", env, local_stack.plan)

    done = other.driftwatch("up", "--api-port", str(api.port))

    assert done.returncode == 1
    message = " ".join(done.stderr.split())
    assert f"port {api.port} (api) is taken by pid {api_pid} (" in message
    assert not (tmp_path / "other" / "run" / "supervisor.pid").exists()


def test_logs_prints_a_services_log(local_stack: LocalStack) -> None:
    done = local_stack.driftwatch("logs", "api", "--lines", "200")

    assert done.returncode == 0
    assert "supervisor: api starting" in done.stdout


def test_a_crashed_service_is_restarted(local_stack: LocalStack) -> None:
    run = local_stack.run_dir
    before = run.read_state().services["audit"]  # type: ignore[union-attr]
    os.kill(before.pid, signal.SIGKILL)  # type: ignore[arg-type]

    deadline = time.monotonic() + DEADLINE_S
    while True:
        audit = run.read_state().services["audit"]  # type: ignore[union-attr]
        if audit.status == "ready" and audit.restarts == before.restarts + 1:
            break
        assert time.monotonic() < deadline, f"audit not back: {audit}"
        time.sleep(0.2)
    assert audit.pid != before.pid
    status = local_stack.driftwatch("status")
    assert "audit" in status.stdout
