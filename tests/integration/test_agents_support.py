"""Builders and process helpers shared by the agent tests; this module holds no tests.

Inputs are built the way production builds them: a window dataset from the generator, a
``MonitoringSummary`` naming it, and the incident and plan that the pure Sentinel and Planner
logic derive from it, so a test can enter the pipeline at any agent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import numpy as np
import pandas as pd
import yaml
from redis.asyncio import Redis

from driftwatch.agents import planner_logic, sentinel_logic
from driftwatch.bus.topology import group_streams
from driftwatch.contracts.events import (
    AnyEvent,
    ColumnDrift,
    DriftDetected,
    MonitoringSummary,
    PerformanceSummary,
    PlanCreated,
    parse_event,
)
from driftwatch.contracts.features import FEATURES, LABEL
from driftwatch.contracts.policy import LoadedPolicy, load_policy
from driftwatch.generator import generate
from driftwatch.settings import Settings
from tests.fixtures.services import settings_env

DRIFTWATCH = Path(sys.executable).with_name("driftwatch")

LENIENT_GATES = {
    "min_auc": 0.5,
    "min_average_precision": 0.0,
    "max_regression_vs_champion": 1.0,
    "min_labeled_rows": 1000,
}
"""Gates any sensible candidate passes: for tests about the flow, not about the gates."""


def write_window(
    path: Path,
    scenario: str,
    rows: int,
    seed: int,
    *,
    labeled: int | None = None,
    shuffle_labels: bool = False,
) -> Path:
    """A window dataset as the monitor writes it: features, score, and labels known so far.

    Args:
        path: Where to write the Parquet file.
        scenario: Generator scenario of the window's traffic.
        rows: Rows in the window.
        seed: Generator seed.
        labeled: Rows (from the start) whose label has arrived; None: all of them.
        shuffle_labels: Permute the labels, leaving nothing to learn.
    """
    frame = generate(scenario, rows, seed).frame
    labels = frame[LABEL].to_numpy().astype("int64")
    if shuffle_labels:
        labels = np.random.default_rng(seed).permutation(labels)
    known = pd.array(labels, dtype="Int64")
    if labeled is not None:
        known[labeled:] = pd.NA
    frame = frame.assign(fraud_probability=0.0, **{LABEL: known})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def summary(
    model_version: str,
    dataset: Path | None,
    *,
    labeled_rows: int,
    drift_share: float = 0.6,
    auc_drop: float | None = None,
    model_name: str = "fraud-detector",
    window_id: str = "w1",
    revision: int = 0,
) -> MonitoringSummary:
    """A window summary: ``drift_share`` of the features drifted (none a shock-sized spike), and
    when ``auc_drop`` is given, performance that fell by that much with a tight interval.

    Its ids derive from the window, so the plan id (which seeds the retraining) and everything
    after it are the same on every run.
    """
    drifted = round(drift_share * len(FEATURES))
    columns = [
        ColumnDrift(
            column=spec.name,
            kind=spec.kind,
            test="wasserstein" if spec.kind == "numerical" else "jensenshannon",
            statistic=0.2 if index < drifted else 0.02,
            threshold=0.1,
            drifted=index < drifted,
        )
        for index, spec in enumerate(FEATURES)
    ]
    performance = None
    if auc_drop is not None:
        performance = PerformanceSummary(
            auc=0.95 - auc_drop,
            auc_ci_low=0.95 - auc_drop - 0.01,
            auc_ci_high=0.95 - auc_drop + 0.01,
            average_precision=0.1,
            precision=0.3,
            recall=0.4,
            reference_auc=0.95,
            reference_average_precision=0.35,
            auc_drop=auc_drop,
            auc_drop_lower=auc_drop - 0.01,
            degraded=True,
        )
    end = datetime.now(UTC)
    key = f"{model_name}/{model_version}/{window_id}/{revision}"
    return MonitoringSummary(
        event_id=uuid5(NAMESPACE_URL, f"summary/{key}"),
        correlation_id=uuid5(NAMESPACE_URL, f"chain/{key}"),
        window_id=window_id,
        revision=revision,
        window_start=end - timedelta(hours=1),
        window_end=end,
        model_name=model_name,
        model_version=model_version,
        n_reference=5000,
        n_current=4000,
        columns=columns,
        drift_share=drifted / len(FEATURES),
        performance=performance,
        label_coverage=min(1.0, labeled_rows / 4000),
        labeled_rows=labeled_rows,
        severity="high",
        dataset_uri=dataset.as_uri() if dataset is not None else None,
    )


def incident_for(window: MonitoringSummary, policy: LoadedPolicy) -> DriftDetected:
    """The incident the Sentinel opens for ``window`` on a model with no history."""
    state = sentinel_logic.SentinelState(model_name=window.model_name)
    (incident,) = sentinel_logic.on_summary(window, state, policy.policy).events(window)
    assert isinstance(incident, DriftDetected)
    return incident


def plan_for(window: MonitoringSummary, policy: LoadedPolicy) -> PlanCreated:
    """The plan the Planner makes for the incident of ``window``."""
    incident = incident_for(window, policy)
    return planner_logic.plan_for(incident, planner_logic.PlannerState(), policy).event(incident)


def write_policy(path: Path, base: str = "promotion", **sections: dict[str, Any]) -> LoadedPolicy:
    """A shipped policy with some sections changed (merged key by key), written to ``path``."""
    shipped = resources.files("driftwatch").joinpath("policies", f"{base}.yaml").read_text()
    document = yaml.safe_load(shipped)
    for name, values in sections.items():
        document[name] = {**document[name], **values} if isinstance(values, dict) else values
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_policy(path)


async def read_stream(redis: Redis, settings: Settings, name: str) -> list[AnyEvent]:
    """Every event on stream ``name``, oldest first."""
    return [parse_event(f[b"__data__"]) for _, f in await redis.xrange(settings.stream(name))]


async def drained(redis: Redis, settings: Settings, group: str) -> bool:
    """True when ``group`` has read and acknowledged everything on its streams."""
    for stream in group_streams(group):
        infos = await redis.xinfo_groups(settings.stream(stream))
        info = next((i for i in infos if i["name"] == group.encode()), None)
        if info is None or info["lag"] != 0 or info["pending"] != 0:
            return False
    return True


class Agents:
    """``driftwatch agent KIND`` processes of one test, each logging to its own file."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(
        self, kind: str, settings: Settings, name: str | None = None
    ) -> subprocess.Popen[bytes]:
        env = settings_env(settings) | {"OMP_NUM_THREADS": "1", "MLFLOW_DISABLE_TELEMETRY": "true"}
        log = self.log(len(self.processes), kind)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(DRIFTWATCH), "agent", kind, *(["--name", name] if name else [])],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def log(self, index: int, kind: str) -> Path:
        return self.log_dir / f"agent-{index}-{kind}.log"

    def output(self, process: subprocess.Popen[bytes]) -> str:
        index = self.processes.index(process)
        (log,) = self.log_dir.glob(f"agent-{index}-*.log")
        return log.read_text(errors="replace")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
