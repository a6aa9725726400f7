"""``up`` and ``down`` for the local stack: check, plan, hand over to the supervisor, stop.

``start_stack`` refuses taken ports up front (naming the process that holds each), writes the
plan, starts the supervisor detached and waits until every service answers its probe. A service
that keeps crashing while the stack starts stops the start: the stack is taken down again and
the error carries the end of that service's log. ``stop_stack`` signals only processes whose pid
files still match their start time.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from driftwatch.settings import Settings
from driftwatch.stack.layout import (
    StackError,
    StackOptions,
    build_plan,
    prometheus_config_path,
)
from driftwatch.stack.plan import PidRecord, RunDir, StackPlan, StackState
from driftwatch.stack.procinfo import is_same_process, port_is_free, port_owner, signal_group
from driftwatch.stack.prometheus_config import prometheus_yaml
from driftwatch.stack.redis_choice import choose_redis

READY_TIMEOUT_S = 180.0
"""First start on a small machine imports Evidently, MLflow and scikit-learn in six processes."""
STOP_TIMEOUT_S = 30.0
CRASHES_BEFORE_GIVING_UP = 2
"""Restarts of one service during start-up that make ``up`` give up and show its log."""
POLL_S = 0.2
LOG_TAIL_LINES = 20


@dataclass(frozen=True, slots=True)
class Running:
    """A live stack: its plan and the supervisor's latest state."""

    plan: StackPlan
    state: StackState | None


def running_stack(run: RunDir) -> Running | None:
    """The stack whose supervisor is alive in ``run``, else None."""
    record = PidRecord.read(run.supervisor_pid_file)
    if record is None or not is_same_process(record.pid, record.start_time):
        return None
    plan = run.read_plan()
    return None if plan is None else Running(plan, run.read_state())


def leftover_processes(run: RunDir) -> list[tuple[str, PidRecord]]:
    """Services still alive from a stack whose supervisor is gone (killed, machine crashed)."""
    found = []
    for path in sorted(run.path.glob("*.pid")):
        record = PidRecord.read(path)
        if record is not None and is_same_process(record.pid, record.start_time):
            found.append((path.stem, record))
    return found


@dataclass(frozen=True, slots=True)
class Launch:
    """A stack whose supervisor was started; ``wait_ready`` blocks until its services answer."""

    run: RunDir
    plan: StackPlan
    supervisor: subprocess.Popen[bytes]


def start_stack(settings: Settings, options: StackOptions, say: Callable[[str], None]) -> StackPlan:
    """Start the local stack for ``settings`` and return once every service is ready.

    Args:
        settings: Home, stream prefix, Redis URL, policy and tracking store of the stack.
        options: Ports and optional services.
        say: Where progress notes go (the CLI prints them).

    Raises:
        StackError: a stack already runs in this home, a port is taken, or a service failed to
            start (the message includes the end of its log).
    """
    launch = launch_stack(settings, options, say)
    wait_ready(launch, say)
    return launch.plan


def launch_stack(settings: Settings, options: StackOptions, say: Callable[[str], None]) -> Launch:
    """Check, plan and start the supervisor without waiting: the caller may work meanwhile
    (a demo trains its first model while the services boot), then calls ``wait_ready``.

    Raises:
        StackError: as ``start_stack``, except for services failing later.
    """
    run = RunDir(settings.home)
    if running_stack(run) is not None:
        raise StackError(f"a stack is already running in {settings.home}: driftwatch down first")
    leftovers = leftover_processes(run)
    if leftovers:
        names = ", ".join(f"{name} (pid {record.pid})" for name, record in leftovers)
        raise StackError(f"processes of an earlier stack still run: {names}; driftwatch down first")
    for directory in (run.path, run.logs, settings.data_dir, settings.reports_dir):
        directory.mkdir(parents=True, exist_ok=True)
    redis = choose_redis(settings.redis_url, run.path)
    say(redis.note)
    plan = build_plan(settings, options, redis)
    _check_ports(plan)
    _prepare_store(settings)
    run.write_plan(plan)
    run.state_file.unlink(missing_ok=True)
    prometheus_config_path(settings.home).write_text(prometheus_yaml(plan), encoding="utf-8")
    return Launch(run, plan, _spawn_supervisor(run))


def wait_ready(launch: Launch, say: Callable[[str], None]) -> None:
    """Block until every service of ``launch`` is ready; on failure stop the stack and raise.

    Raises:
        StackError: the supervisor exited, a service keeps crashing (with the end of its log),
            or the services were not ready in ``READY_TIMEOUT_S``.
    """
    try:
        _wait_ready(launch.run, launch.supervisor, say)
    except BaseException:
        stop_stack(launch.run)
        raise


def stop_stack(run: RunDir, timeout_s: float = STOP_TIMEOUT_S) -> list[str]:
    """Stop the stack in ``run``: its supervisor, then any service left behind.

    Returns:
        What was stopped, one line each; empty when nothing ran.
    """
    stopped = []
    record = PidRecord.read(run.supervisor_pid_file)
    if record is not None and signal_group(record.pid, record.start_time):
        _wait_gone(record, timeout_s)
        stopped.append(f"supervisor (pid {record.pid}) and its services")
    run.supervisor_pid_file.unlink(missing_ok=True)
    for name, leftover in leftover_processes(run):
        signal_group(leftover.pid, leftover.start_time)
        if not _wait_gone(leftover, timeout_s / 2):
            signal_group(leftover.pid, leftover.start_time, 9)
            _wait_gone(leftover, 5)
        stopped.append(f"{name} (pid {leftover.pid}), left behind by a supervisor that died")
    for path in run.path.glob("*.pid"):
        path.unlink(missing_ok=True)
    return stopped


def _check_ports(plan: StackPlan) -> None:
    taken = [
        f"port {service.port} ({service.name}) is taken by {port_owner(service.port)}"
        for service in plan.services
        if service.port is not None and not port_is_free(service.port)
    ]
    if taken:
        hint = "stop it, or choose other ports: driftwatch up --api-port N, or --free-ports"
        raise StackError("; ".join(taken) + f"\n{hint}")


def _prepare_store(settings: Settings) -> None:
    # Six processes opening a fresh SQLite store at once would race on its schema migration.
    if not settings.tracking_uri.startswith("sqlite:"):
        return
    from driftwatch.training.store import client_for

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # not its schema-migration chatter
    client_for(settings).search_experiments(max_results=1)


def _spawn_supervisor(run: RunDir) -> subprocess.Popen[bytes]:
    log = run.log_file("supervisor").open("ab")
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "driftwatch.stack.supervisor", str(run.home)],
            # Every service inherits it: no MLflow loader in the stack may unpickle a model.
            env={**os.environ, "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(
    run: RunDir, supervisor: subprocess.Popen[bytes], say: Callable[[str], None]
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting_for: set[str] = set()
    while True:
        if supervisor.poll() is not None:
            raise StackError(
                f"the supervisor exited with code {supervisor.returncode}: "
                f"see {run.log_file('supervisor')}"
            )
        state = run.read_state()
        if state is not None:
            for name, service in state.services.items():
                if service.restarts >= CRASHES_BEFORE_GIVING_UP:
                    raise StackError(_crash_report(run, name, service.last_exit))
            pending = {n for n, s in state.services.items() if s.status != "ready"}
            if not pending:
                return
            if pending != waiting_for:
                waiting_for = pending
                say(f"waiting for {', '.join(sorted(pending))}")
        if time.monotonic() > deadline:
            names = ", ".join(sorted(waiting_for)) or "the supervisor"
            raise StackError(f"{names} not ready after {READY_TIMEOUT_S:.0f} s; logs in {run.logs}")
        time.sleep(POLL_S)


def _crash_report(run: RunDir, name: str, code: int | None) -> str:
    path = run.log_file(name)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    tail = "\n".join(f"  | {line}" for line in lines[-LOG_TAIL_LINES:])
    return f"{name} keeps exiting (last exit code {code}); the end of {path}:\n{tail}"


def _wait_gone(record: PidRecord, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while is_same_process(record.pid, record.start_time):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True
