"""The supervisor as a real process, with small stand-in services (Python's http.server).

It restarts a service that dies, stops every service on ``down`` (orphans too, when it died
itself), never signals a process whose pid file does not match its start time, and a service
that keeps crashing while the stack starts stops the start with the end of its log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from driftwatch.stack.launcher import Launch, leftover_processes, stop_stack, wait_ready
from driftwatch.stack.layout import StackError
from driftwatch.stack.plan import PidRecord, ReadyProbe, RunDir, ServiceSpec, StackPlan
from driftwatch.stack.procinfo import free_port, is_same_process, start_time

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

DEADLINE_S = 30.0


def web(name: str, port: int) -> ServiceSpec:
    argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    target = f"http://127.0.0.1:{port}/"
    return ServiceSpec(
        name=name, argv=argv, port=port, ready=ReadyProbe(kind="http", target=target)
    )


def plan_of(home: Path, *services: ServiceSpec) -> StackPlan:
    return StackPlan(
        home=home,
        stream_prefix="unused",
        redis_url="redis://127.0.0.1:1/0",
        redis_embedded=False,
        api_url="http://127.0.0.1:1",
        window_rows=2000,
        policy_path=None,
        tracking_uri="sqlite:///unused.db",
        services=list(services),
    )


def launch(home: Path, *services: ServiceSpec) -> Launch:
    run = RunDir(home)
    run.write_plan(plan_of(home, *services))
    run.logs.mkdir(parents=True, exist_ok=True)
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "driftwatch.stack.supervisor", str(home)],
        stdout=run.log_file("supervisor").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Launch(run, run.read_plan(), supervisor)  # type: ignore[arg-type]


def eventually(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {DEADLINE_S:.0f} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Launch]:
    started = launch(tmp_path / "var", web("alpha", free_port()), web("beta", free_port()))
    try:
        wait_ready(started, lambda note: None)
        yield started
    finally:
        stop_stack(started.run)
        started.supervisor.wait(timeout=30)


def pids(run: RunDir) -> dict[str, PidRecord]:
    records = {path.stem: PidRecord.read(path) for path in run.path.glob("*.pid")}
    return {name: record for name, record in records.items() if record is not None}


def test_a_killed_service_is_restarted_and_the_restart_is_logged(stack: Launch) -> None:
    before = stack.run.read_state().services["alpha"]  # type: ignore[union-attr]
    os.kill(before.pid, signal.SIGKILL)  # type: ignore[arg-type]

    def restarted() -> Any:
        state = stack.run.read_state()
        alpha = state.services["alpha"] if state else None
        return alpha if alpha and alpha.status == "ready" and alpha.restarts == 1 else None

    after = eventually(restarted, "alpha to be restarted and ready")
    assert after.pid != before.pid
    assert after.last_exit == -signal.SIGKILL
    log = stack.run.log_file("alpha").read_text()
    assert "alpha exited with code -9" in log
    assert "restart in 1 s" in log


def test_down_stops_every_service_and_nothing_else(stack: Launch, tmp_path: Path) -> None:
    spec = stack.plan.service("beta")
    assert spec is not None
    twin = subprocess.Popen(  # same program, not started by the stack
        [sys.executable, "-m", "http.server", str(free_port()), "--bind", "127.0.0.1"]
    )
    try:
        running = pids(stack.run)
        stopped = stop_stack(stack.run)

        assert stopped == [f"supervisor (pid {stack.supervisor.pid}) and its services"]
        for record in running.values():
            assert not is_same_process(record.pid, record.start_time)
        assert twin.poll() is None
        assert list(stack.run.path.glob("*.pid")) == []
    finally:
        twin.terminate()
        twin.wait(timeout=10)


def test_a_pid_file_that_does_not_match_its_process_is_never_signalled(
    stack: Launch,
) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # a stale pid file whose pid now belongs to another process (pid reuse)
        PidRecord(pid=stranger.pid, start_time="1", argv=["old"]).write(stack.run.pid_file("gamma"))

        stop_stack(stack.run)

        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait(timeout=10)


def test_services_left_by_a_killed_supervisor_are_stopped_by_down(stack: Launch) -> None:
    services = {n: r for n, r in pids(stack.run).items() if n != "supervisor"}
    os.kill(stack.supervisor.pid, signal.SIGKILL)
    stack.supervisor.wait(timeout=10)

    assert {name for name, _ in leftover_processes(stack.run)} == set(services)
    stopped = stop_stack(stack.run)

    assert sorted(stopped) == sorted(
        f"{name} (pid {r.pid}), left behind by a supervisor that died"
        for name, r in services.items()
    )
    for record in services.values():
        assert not is_same_process(record.pid, record.start_time)


def test_a_service_that_keeps_crashing_fails_the_start_with_its_log(tmp_path: Path) -> None:
    crashing = ServiceSpec(
        name="crasher",
        argv=[sys.executable, "-c", "import sys; print('boom: bad config'); sys.exit(3)"],
        ready=ReadyProbe(kind="http", target=f"http://127.0.0.1:{free_port()}/"),
    )
    started = launch(tmp_path / "var", crashing)

    with pytest.raises(StackError, match=r"crasher keeps exiting \(last exit code 3\)") as error:
        wait_ready(started, lambda note: None)

    assert "boom: bad config" in str(error.value)
    started.supervisor.wait(timeout=30)
    assert start_time(started.supervisor.pid) is None


def test_a_program_that_cannot_start_fails_the_start_saying_why(tmp_path: Path) -> None:
    missing = ServiceSpec(
        name="ghost",
        argv=[str(tmp_path / "no-such-program")],
        ready=ReadyProbe(kind="http", target=f"http://127.0.0.1:{free_port()}/"),
    )
    started = launch(tmp_path / "var", missing)

    with pytest.raises(StackError, match="ghost keeps exiting") as error:
        wait_ready(started, lambda note: None)

    assert "cannot start: [Errno 2] No such file or directory" in str(error.value)
    started.supervisor.wait(timeout=30)
