"""``driftwatch control`` (``make control``): the latest ``monitor check`` summary goes on the
bus and its incident chain is followed to the Release agent's decision.

One run finds no agents and starts them for the run (and stops them); one uses the session's
running stack.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest
import redis

from driftwatch.contracts.policy import load_shipped_policy
from driftwatch.stack.plan import RunDir
from tests.fixtures.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

DRIFTWATCH = str(Path(sys.executable).with_name("driftwatch"))


def fresh_production(stack: LocalStack) -> str:
    """Train a baseline version and put it in production (which resolves open incidents)."""
    trained = stack.driftwatch(
        "train", "--data", str(make_data(stack, "baseline", 12_000, 1)), "--promote", "production"
    )
    assert trained.returncode == 0, trained.stdout + trained.stderr
    models = stack.driftwatch("models", "--json")
    assert models.returncode == 0, models.stderr
    return next(v["version"] for v in json.loads(models.stdout) if "production" in v["aliases"])


def make_data(stack: LocalStack, scenario: str, rows: int, seed: int) -> Path:
    path = stack.home / "data" / f"{scenario}-{seed}.parquet"
    done = stack.driftwatch(
        "generate", "--scenario", scenario, "--rows", str(rows), "--seed", str(seed),
        "--out", str(path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return path


def check_drift(stack: LocalStack) -> None:
    """``make monitor`` on fully drifted traffic: feature-drift rows past its ramp."""
    version = fresh_production(stack)
    reference = make_data(stack, "baseline", 8000, 11)
    drifted = pd.read_parquet(make_data(stack, "feature_drift", 18_000, 12)).iloc[10_000:]
    current = stack.home / "data" / "feature_drift-full.parquet"
    drifted.to_parquet(current, index=False)
    checked = stack.driftwatch(
        "monitor", "check", "--reference", str(reference), "--current", str(current),
        "--model-version", version,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "severity medium" in checked.stdout or "severity high" in checked.stdout


def assert_followed_to_a_release(output: str) -> None:
    assert "publishing" in output
    assert "DriftDetected: incident" in output
    assert "PlanCreated: plan" in output
    assert "ReleaseDecided:" in output
    assert "decision:" in output


def test_control_on_the_running_stack(local_stack: LocalStack) -> None:
    check_drift(local_stack)

    done = local_stack.driftwatch("control", timeout=600)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no agents consume the bus" not in done.stdout
    assert_followed_to_a_release(done.stdout)


def test_control_starts_the_agents_when_none_run_and_stops_them(
    tmp_path: Path, redis_url: str
) -> None:
    home = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTWATCH_", "MLFLOW_"))}
    env.update(
        DRIFTWATCH_HOME=str(home),
        DRIFTWATCH_REDIS_URL=redis_url,
        DRIFTWATCH_STREAM_PREFIX=f"e2e-control-{uuid.uuid4().hex[:8]}",
        DRIFTWATCH_POLICY_PATH=str(load_shipped_policy("demo").path),
        MLFLOW_DISABLE_TELEMETRY="true",
        COLUMNS="200",
    )
    alone = LocalStack(home, env, None)  # type: ignore[arg-type]  # no stack: commands only
    check_drift(alone)

    try:
        done = alone.driftwatch("control", timeout=600)
    finally:
        _drop_keys(redis_url, env["DRIFTWATCH_STREAM_PREFIX"])

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no agents consume the bus: starting sentinel, planner, release and audit" in done.stdout
    assert_followed_to_a_release(done.stdout)
    assert list(RunDir(home).path.glob("*.pid")) == []


def _drop_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}[.:]*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
