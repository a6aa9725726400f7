"""``driftwatch serve``: the prediction API under uvicorn, one or several worker processes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import typer

from driftwatch.cli.console import console, load_settings
from driftwatch.cli.root import app

APP_FACTORY = "driftwatch.serving.app:create_app"


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address; DRIFTWATCH_API_HOST when omitted."),
    port: int | None = typer.Option(None, help="Port; DRIFTWATCH_API_PORT when omitted."),
    workers: int = typer.Option(
        1, min=1, help="Worker processes; each follows releases and loads the model itself."
    ),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    access_log: bool = typer.Option(False, help="Log every request (costs throughput)."),
) -> None:
    """Serve /predict, /feedback, /model, /health, /metrics and /docs over HTTP."""
    # Before anything imports scikit-learn or prometheus-client, here or in a worker: one OpenMP
    # thread per worker, and one metrics directory that all workers write to.
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"  # no progress bars in server logs
    settings = load_settings()
    created_dir = None
    if workers > 1:
        metrics_dir, created = _prepare_multiproc_dir(settings.prometheus_multiproc_dir)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        created_dir = metrics_dir if created else None

    import uvicorn

    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    console.print(
        f"serving models:/{settings.model_name}@production on http://{bind_host}:{bind_port} "
        f"with {workers} worker(s); docs at /docs"
    )
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level=log_level,
            access_log=access_log,
            timeout_graceful_shutdown=10,
        )
    finally:
        if created_dir is not None:
            shutil.rmtree(created_dir, ignore_errors=True)


def _prepare_multiproc_dir(given: Path | None) -> tuple[Path, bool]:
    """The directory for prometheus-client's multiprocess mode, emptied; True if made here."""
    if given is None:
        return Path(tempfile.mkdtemp(prefix="driftwatch-metrics-")), True
    given.mkdir(parents=True, exist_ok=True)
    for stale in given.glob("*.db"):  # a previous run's values would add to this run's
        stale.unlink()
    return given, False
