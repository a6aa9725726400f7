"""The local stack's processes: which commands run, on which ports, with which environment.

Default ports follow the original design (API 8000, MLflow 5000, Prometheus 9090); the monitor
and the agents serve ``/metrics`` on 9101-9105. ``free_ports`` picks unused ports instead, so a
demo or a test can run beside a stack that already holds the defaults.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from driftwatch.settings import Settings, env_value
from driftwatch.stack.plan import ReadyProbe, ServiceSpec, StackPlan
from driftwatch.stack.procinfo import free_port
from driftwatch.stack.redis_choice import RedisChoice

HOST = "127.0.0.1"
WORKERS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("monitor", ("monitor", "run"), 9101),
    ("sentinel", ("agent", "sentinel"), 9102),
    ("planner", ("agent", "planner"), 9103),
    ("release", ("agent", "release"), 9104),
    ("audit", ("agent", "audit"), 9105),
)
"""Bus consumers: service name, ``driftwatch`` arguments, default metrics port."""
AGENTS: tuple[str, ...] = ("sentinel", "planner", "release", "audit")
MLFLOW_PORT = 5000
PROMETHEUS_PORT = 9090


class StackError(RuntimeError):
    """The stack cannot be started or stopped as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class StackOptions:
    """What ``driftwatch up`` was asked for beyond the settings.

    Attributes:
        api_port: Port of the API; None means ``Settings.api_port``.
        free_ports: Choose unused ports for everything instead of the defaults.
        mlflow_ui: Also run the MLflow UI (tracking server over the same store).
        prometheus: Also run a Prometheus (the ``prometheus`` binary) scraping the stack.
        services: Only these services (e.g. just the agents for ``control``); None: all.
    """

    api_port: int | None = None
    free_ports: bool = False
    mlflow_ui: bool = False
    prometheus: bool = False
    services: tuple[str, ...] | None = None


def driftwatch_executable() -> str:
    """The ``driftwatch`` console script of this installation."""
    beside = Path(sys.executable).with_name("driftwatch")
    found = str(beside) if beside.exists() else shutil.which("driftwatch")
    if found is None:
        raise StackError("cannot find the driftwatch command; install the package (make install)")
    return found


def build_plan(settings: Settings, options: StackOptions, redis: RedisChoice) -> StackPlan:
    """The stack ``up`` will start for ``settings``, in start order (Redis first)."""
    dw = driftwatch_executable()
    api_port = _port(options, options.api_port or settings.api_port)
    env = {
        **_settings_env(settings),
        "DRIFTWATCH_REDIS_URL": redis.url,
        "DRIFTWATCH_STREAM_PREFIX": settings.stream_prefix,
        "DRIFTWATCH_HOME": str(settings.home),
        "DRIFTWATCH_API_PORT": str(api_port),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "OMP_NUM_THREADS": "1",  # OpenMP threads fight the event loops on a small machine
        "PYTHONUNBUFFERED": "1",
    }
    if settings.policy_path is not None:
        env["DRIFTWATCH_POLICY_PATH"] = str(settings.policy_path)
    services: list[ServiceSpec] = [] if redis.service is None else [redis.service]
    services.append(
        ServiceSpec(
            name="api",
            argv=[dw, "serve", "--host", HOST, "--port", str(api_port)],
            env=env,
            port=api_port,
            ready=ReadyProbe(kind="http", target=f"http://{HOST}:{api_port}/health/live"),
            metrics_path="/metrics",
        )
    )
    for name, arguments, default_port in WORKERS:
        port = _port(options, default_port)
        services.append(
            ServiceSpec(
                name=name,
                argv=[dw, *arguments],
                env={**env, "DRIFTWATCH_METRICS_PORT": str(port)},
                port=port,
                ready=ReadyProbe(kind="http", target=f"http://{HOST}:{port}/metrics"),
                metrics_path="/metrics",
            )
        )
    mlflow_url = None
    if options.mlflow_ui:
        port = _port(options, MLFLOW_PORT)
        mlflow_url = f"http://{HOST}:{port}"
        services.append(_mlflow_ui(settings, port))
    prometheus_url = None
    if options.prometheus:
        port = _port(options, PROMETHEUS_PORT)
        prometheus_url = f"http://{HOST}:{port}"
        services.append(_prometheus(settings, port))
    if options.services is not None:
        keep = set(options.services) | {"redis"}
        services = [s for s in services if s.name in keep]
    return StackPlan(
        home=settings.home,
        stream_prefix=settings.stream_prefix,
        redis_url=redis.url,
        redis_embedded=redis.service is not None,
        api_url=f"http://{HOST}:{api_port}",
        window_rows=settings.window_rows,
        policy_path=None if settings.policy_path is None else str(settings.policy_path),
        tracking_uri=settings.tracking_uri,
        mlflow_ui_url=mlflow_url,
        prometheus_url=prometheus_url,
        services=services,
    )


def _settings_env(settings: Settings) -> dict[str, str]:
    """Every setting the caller chose (from its environment or in code, like a demo's window
    size) as the environment variable that sets it in a child process.

    The API token is left to the inherited environment: the plan is written to disk.
    """
    env = {}
    for name in sorted(settings.model_fields_set - _NOT_INHERITED):
        value = getattr(settings, name)
        if value is not None:
            env[f"DRIFTWATCH_{name.upper()}"] = env_value(value)
    return env


_NOT_INHERITED = frozenset(
    {"api_token", "mlflow_tracking_uri", "prometheus_multiproc_dir", "metrics_port", "api_host"}
)
"""Settings a child must not copy: secrets, and what ``build_plan`` sets per process."""


def prometheus_config_path(home: Path) -> Path:
    """Where ``up`` writes the Prometheus configuration for the stack's own ports."""
    return home / "run" / "prometheus.yml"


def _port(options: StackOptions, default: int) -> int:
    return free_port(HOST) if options.free_ports else default


def _mlflow_ui(settings: Settings, port: int) -> ServiceSpec:
    mlflow = Path(sys.executable).with_name("mlflow")
    argv = [str(mlflow) if mlflow.exists() else "mlflow", "server"]
    argv += ["--backend-store-uri", settings.tracking_uri]
    argv += ["--artifacts-destination", str(settings.artifacts_dir)]
    argv += ["--host", HOST, "--port", str(port)]
    return ServiceSpec(
        name="mlflow",
        argv=argv,
        env={"MLFLOW_DISABLE_TELEMETRY": "true"},
        port=port,
        ready=ReadyProbe(kind="http", target=f"http://{HOST}:{port}/health"),
    )


def _prometheus(settings: Settings, port: int) -> ServiceSpec:
    binary = shutil.which("prometheus")
    if binary is None:
        raise StackError(
            "--prometheus needs the prometheus binary on PATH (Debian/Ubuntu: "
            "apt-get install prometheus; macOS: brew install prometheus)"
        )
    argv = [binary, f"--config.file={prometheus_config_path(settings.home)}"]
    argv += [f"--web.listen-address={HOST}:{port}"]
    argv += [f"--storage.tsdb.path={settings.home / 'prometheus'}"]
    return ServiceSpec(
        name="prometheus",
        argv=argv,
        port=port,
        ready=ReadyProbe(kind="http", target=f"http://{HOST}:{port}/-/ready"),
    )
