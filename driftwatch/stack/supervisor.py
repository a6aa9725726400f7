"""The supervisor process of a local stack: start, watch, restart and stop the services.

``driftwatch up`` starts it detached as ``python -m driftwatch.stack.supervisor RUN_DIR``. It
reads the plan, starts every service in its own process group with its output appended to
``logs/<service>.log``, marks a service ready once its probe answers, restarts a service that
exits with exponential backoff, and on SIGTERM stops every service (its whole group) before it
exits. Pid files carry the process start time so nothing else is ever signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import redis

from driftwatch.stack.plan import (
    PidRecord,
    RunDir,
    ServiceSpec,
    ServiceState,
    StackPlan,
    StackState,
)
from driftwatch.stack.procinfo import signal_group, start_time

TICK_S = 0.25
"""How often exits are reaped and probes run: short enough that `up` returns promptly."""
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 30.0
"""A service that ran this long before crashing restarts after FIRST_BACKOFF_S again."""
STOP_GRACE_S = 15.0
"""Time a service gets to finish after its stop signal before its group is killed."""


class Supervised:
    """One service: its spec, its running process (if any) and the state shown to others."""

    def __init__(self, spec: ServiceSpec, log_path: Path, pid_path: Path) -> None:
        self.spec = spec
        self.log_path = log_path
        self.pid_path = pid_path
        self.process: subprocess.Popen[bytes] | None = None
        self.state = ServiceState(name=spec.name)
        self.backoff_s = FIRST_BACKOFF_S
        self.started_at = 0.0
        self.restart_at: float | None = None

    def start(self) -> None:
        """Spawn the process in its own session, output appended to its log."""
        self._note(f"starting: {' '.join(self.spec.argv)}")
        env = {**os.environ, **self.spec.env}
        self.started_at = time.monotonic()
        try:
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.spec.argv,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as error:  # no such program, not executable: retried like a crash
            self._note(f"cannot start: {error}")
            self._schedule_restart(code=None, ran_s=0.0)
            return
        pid = self.process.pid
        started = start_time(pid)
        PidRecord(pid=pid, start_time=started, argv=self.spec.argv).write(self.pid_path)
        self.restart_at = None
        self.state = self.state.model_copy(
            update={"status": "starting", "pid": pid, "start_time": started, "since": _now()}
        )

    def reap(self, stopping: bool) -> bool:
        """Notice an exit; schedule a restart unless the stack is stopping. True if changed."""
        if self.process is None or self.process.poll() is None:
            return False
        code = self.process.returncode
        self.process = None
        self.pid_path.unlink(missing_ok=True)
        if stopping:
            self._note(f"stopped (exit code {code})")
            self.state = self.state.model_copy(
                update={"status": "stopped", "pid": None, "last_exit": code, "since": _now()}
            )
            return True
        ran_s = time.monotonic() - self.started_at
        self._note(f"exited with code {code} after {ran_s:.1f} s")
        self._schedule_restart(code, ran_s)
        return True

    def _schedule_restart(self, code: int | None, ran_s: float) -> None:
        """Back off before the next start: doubling from 1 s to 30 s, reset after a long run."""
        self.backoff_s = FIRST_BACKOFF_S if ran_s >= STABLE_AFTER_S else self.backoff_s
        self.restart_at = time.monotonic() + self.backoff_s
        self._note(f"restart in {self.backoff_s:g} s")
        self.state = self.state.model_copy(
            update={
                "status": "backoff",
                "pid": None,
                "last_exit": code,
                "restarts": self.state.restarts + 1,
                "since": _now(),
            }
        )
        self.backoff_s = min(self.backoff_s * 2, MAX_BACKOFF_S)

    def restart_if_due(self) -> bool:
        if self.restart_at is None or time.monotonic() < self.restart_at:
            return False
        self.start()
        return True

    def probe(self) -> bool:
        """Mark a starting service ready when its probe answers. True if that changed."""
        if self.state.status != "starting" or self.process is None:
            return False
        if not _answers(self.spec):
            return False
        self._note("ready")
        self.state = self.state.model_copy(update={"status": "ready", "since": _now()})
        return True

    def stop(self) -> None:
        """Send the stop signal to the service's process group."""
        if self.process is not None and self.state.pid is not None:
            self._note("stopping")
            signal_group(self.state.pid, self.state.start_time, self.spec.stop_signal)
            self.state = self.state.model_copy(update={"status": "stopping", "since": _now()})

    def kill(self) -> None:
        if self.process is not None and self.state.pid is not None:
            self._note(f"did not stop within {STOP_GRACE_S:g} s: killing its process group")
            signal_group(self.state.pid, self.state.start_time, signal.SIGKILL)

    def _note(self, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} supervisor: {self.spec.name} {message}\n")


class Supervisor:
    """Runs the services of one plan until it is told to stop."""

    def __init__(self, run: RunDir, plan: StackPlan) -> None:
        self.run_dir = run
        self.services = [
            Supervised(spec, run.log_file(spec.name), run.pid_file(spec.name))
            for spec in plan.services
        ]
        self.stop_requested = threading.Event()
        pid = os.getpid()
        self.state = StackState(
            supervisor_pid=pid,
            supervisor_start=start_time(pid),
            started_at=_now(),
            services={s.spec.name: s.state for s in self.services},
        )

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested.set()

    def run(self) -> None:
        """Start everything, keep it running, and stop it all on request."""
        self.run_dir.logs.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            service.start()
        self._publish()
        while not self.stop_requested.wait(TICK_S):
            changed = False
            for service in self.services:
                changed |= service.reap(stopping=False)
                changed |= service.restart_if_due()
                changed |= service.probe()
            if changed:
                self._publish()
        self._shutdown()

    def _shutdown(self) -> None:
        self.state = self.state.model_copy(update={"stopping": True})
        for service in reversed(self.services):
            service.restart_at = None
            service.stop()
        self._publish()
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and any(s.process for s in self.services):
            for service in self.services:
                service.reap(stopping=True)
            time.sleep(TICK_S)
        for service in self.services:
            if service.process is not None:
                service.kill()
                service.process.wait()
                service.reap(stopping=True)
        self._publish()

    def _publish(self) -> None:
        services = {s.spec.name: s.state for s in self.services}
        self.state = self.state.model_copy(update={"services": services})
        self.run_dir.write_state(self.state)


def _answers(spec: ServiceSpec) -> bool:
    probe = spec.ready
    if probe.kind == "redis":
        client = redis.Redis.from_url(probe.target, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()
    try:
        with urllib.request.urlopen(probe.target, timeout=0.5) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str]) -> int:
    """Entry point: ``python -m driftwatch.stack.supervisor RUN_DIR_HOME``."""
    run = RunDir(Path(argv[1]))
    plan = run.read_plan()
    if plan is None:
        print(f"no stack plan at {run.plan_file}", file=sys.stderr)
        return 2
    supervisor = Supervisor(run, plan)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, supervisor.request_stop)
    me = os.getpid()
    PidRecord(pid=me, start_time=start_time(me), argv=argv).write(run.supervisor_pid_file)
    try:
        supervisor.run()
    finally:
        run.supervisor_pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
