"""The start of every demo: a baseline model, trained and served in production.

The baseline is the same for every demo and every run (scenario, rows and seeds fixed), so the
version a demo starts from scores every transaction the same way each time.
"""

from __future__ import annotations

import time

import httpx
from rich.console import Console

from driftwatch.bus.publish import publish_sync
from driftwatch.contracts.events import ReleaseDecided, default_producer
from driftwatch.settings import Settings
from driftwatch.stack.demos import BASELINE_ROWS, BASELINE_SEED, TRAIN_SEED

SERVE_TIMEOUT_S = 90.0
"""Time for the API to load the baseline version after it is promoted."""
POLL_S = 0.3


def put_baseline_in_production(settings: Settings, console: Console) -> str:
    """Generate the baseline, train on it, put the version in production; return it."""
    from driftwatch.generator import generate, write_dataset
    from driftwatch.training import promote, train_and_register

    with console.status("generating the baseline") as status:
        data = generate("baseline", BASELINE_ROWS, BASELINE_SEED)
        path = write_dataset(data, settings.data_dir / "baseline.parquet")
        status.update("training the baseline model")
        result = train_and_register(
            data.frame,
            settings,
            seed=TRAIN_SEED,
            training_data_uri=path.resolve().as_uri(),
            threads=1,  # OpenMP threads fight the stack's processes for the cores
            progress=lambda step: status.update(f"training: {step}"),
        )
        # A fresh start: on a stack an earlier demo used, a performance incident right after
        # this promotion would otherwise roll back to that demo's model, not retrain.
        move = promote(settings, result.version, "production", fresh_start=True)
    metrics = result.metrics
    console.print(
        f"[green]baseline[/] {BASELINE_ROWS:,} rows -> version {result.version} "
        f"(holdout AUC {metrics.auc:.3f}, AP {metrics.average_precision:.3f}) -> production"
    )
    publish_sync(
        settings,
        ReleaseDecided(
            producer=default_producer("demo"),
            decision="promoted",
            model_name=settings.model_name,
            candidate_version=result.version,
            previous_version=move.previous,
            alias="production",
            reason="demo baseline put in production by hand, as a fresh start",
        ),
    )
    return result.version


def wait_until_served(api_url: str, version: str, console: Console) -> None:
    """Block until the API serves ``version`` (it reloads on the release event).

    Raises:
        TimeoutError: not within ``SERVE_TIMEOUT_S``.
    """
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    with console.status(f"waiting for the API to serve version {version}"):
        while True:
            try:
                answer = httpx.get(f"{api_url}/model", timeout=2)
                if answer.status_code == 200 and answer.json().get("version") == version:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API at {api_url} did not serve version {version} in time")
            time.sleep(POLL_S)
