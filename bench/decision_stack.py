"""One scenario end to end: a fresh stack, the initial model, DriftWatch and the baseline.

Every scenario gets its own stream prefix, home and MLflow store, so nothing (incident state,
cooldowns, registry versions) leaks from one scenario into the next. Both systems start from the
same registered initial version (trained on the baseline world, promoted to production) and see
the same windows with the same label delay. The baseline runs in a worker process while
DriftWatch runs here: they share nothing, and each keeps one of the two cores busy.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from decision_driftwatch import run_driftwatch
from decision_naive import run_naive
from decision_report import Row, row
from decision_world import timeline

from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, promote, reference_frame, train_and_register


@dataclass(frozen=True)
class Bench:
    """What every scenario shares.

    Attributes:
        redis_url: The Redis the stacks run on (each under its own prefix).
        home: Parent of the per-scenario homes.
        policy_path: The policy every agent runs under.
        baseline: The reference world the initial model is trained on.
        seed: Seeds the data, the initial fit and the retrains.
        worker: Where the baseline runs (a one-process pool).
    """

    redis_url: str
    home: Path
    policy_path: Path
    baseline: pd.DataFrame
    seed: int
    worker: Executor


def stack_settings(bench: Bench, scenario: str) -> Settings:
    """A stack of its own for ``scenario``; per-window MLflow runs off (they log, not decide)."""
    home = bench.home / scenario
    home.mkdir(parents=True, exist_ok=True)
    return Settings(
        redis_url=bench.redis_url,
        stream_prefix=f"bench-decisions-{scenario}-{uuid.uuid4().hex[:8]}",
        home=home,
        mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}",
        policy_path=bench.policy_path,
        monitor_mlflow_runs=False,
    )


async def run_scenario(bench: Bench, scenario: str, windows: int) -> tuple[list[Row], float]:
    """Both systems' rows for ``scenario`` over ``windows`` windows, and the seconds it took."""
    began = time.perf_counter()
    stream = timeline(scenario, windows, bench.seed)
    settings = stack_settings(bench, scenario)
    initial = train_and_register(bench.baseline, settings, seed=bench.seed, threads=1)
    promote(settings, initial.version, PRODUCTION)
    reference = reference_frame(settings, initial.version)
    naive_run = asyncio.get_running_loop().run_in_executor(
        bench.worker, run_naive, stream, initial.model, reference, bench.seed
    )
    ours = await run_driftwatch(stream, settings, initial.version)
    naive = await naive_run
    rows = [row(ours, stream, bench.seed), row(naive, stream, bench.seed)]
    return rows, time.perf_counter() - began
