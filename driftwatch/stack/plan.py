"""What a local stack is made of (the plan ``up`` writes) and how it is doing (the state).

Both live as JSON under ``$DRIFTWATCH_HOME/run/``: ``up`` writes ``plan.json`` once, the
supervisor rewrites ``state.json`` on every change, and ``status``, ``down``, the demos and
``control`` only read them. Environment values in the plan are the stack's overrides only; the
rest of the environment is inherited from the shell that ran ``up``, so secrets set there are
never written to disk.
"""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ProbeKind = Literal["http", "redis"]
Status = Literal["starting", "ready", "backoff", "stopping", "stopped"]


M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadyProbe(_Model):
    """How the supervisor tells that a started service is ready: an HTTP GET or a Redis PING."""

    kind: ProbeKind
    target: str = Field(description="URL probed; 2xx (http) or PONG (redis) means ready.")


class ServiceSpec(_Model):
    """One supervised process."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    argv: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict, description="Overrides of inherited env.")
    port: int | None = Field(None, description="The port it listens on, checked free first.")
    ready: ReadyProbe
    metrics_path: str | None = Field(None, description="Prometheus scrape path on ``port``.")
    stop_signal: int = int(signal.SIGTERM)


class StackPlan(_Model):
    """Everything ``up`` decided: where Redis is, which ports, which processes, in start order."""

    home: Path
    stream_prefix: str
    redis_url: str
    redis_embedded: bool
    api_url: str
    window_rows: int = Field(description="The monitor's window size, for the label delay.")
    policy_path: str | None
    tracking_uri: str
    mlflow_ui_url: str | None = None
    prometheus_url: str | None = None
    services: list[ServiceSpec]

    def service(self, name: str) -> ServiceSpec | None:
        """The service called ``name``, if the stack has one."""
        return next((s for s in self.services if s.name == name), None)


class ServiceState(_Model):
    """A service as the supervisor last saw it."""

    name: str
    status: Status = "starting"
    pid: int | None = None
    start_time: str | None = None
    restarts: int = 0
    last_exit: int | None = Field(None, description="Exit code (negative: signal) of its last run.")
    since: datetime = Field(default_factory=lambda: datetime.now(UTC))


class StackState(_Model):
    """The supervisor's view of the whole stack."""

    supervisor_pid: int
    supervisor_start: str | None
    started_at: datetime
    stopping: bool = False
    services: dict[str, ServiceState]


class RunDir:
    """The files of one stack under ``home/run``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "run"

    @property
    def plan_file(self) -> Path:
        return self.path / "plan.json"

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def supervisor_pid_file(self) -> Path:
        return self.path / "supervisor.pid"

    def pid_file(self, service: str) -> Path:
        return self.path / f"{service}.pid"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def log_file(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    def read_plan(self) -> StackPlan | None:
        """The plan, or None when no stack was ever started here (or it was cleaned up)."""
        return _read(self.plan_file, StackPlan)

    def read_state(self) -> StackState | None:
        return _read(self.state_file, StackState)

    def write_plan(self, plan: StackPlan) -> None:
        _write(self.plan_file, plan)

    def write_state(self, state: StackState) -> None:
        _write(self.state_file, state)


class PidRecord(_Model):
    """A pid file's content: the pid, the process start time, and what it runs."""

    pid: int
    start_time: str | None
    argv: list[str]

    def write(self, path: Path) -> None:
        _write(path, self)

    @classmethod
    def read(cls, path: Path) -> PidRecord | None:
        return _read(path, cls)


def _read(path: Path, model: type[M]) -> M | None:
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:  # half-written by a crashed process: treat as absent
        return None


def _write(path: Path, model: BaseModel) -> None:
    """Write atomically (temp file + rename), owner-only: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(model.model_dump_json(indent=2))
    temporary.replace(path)
