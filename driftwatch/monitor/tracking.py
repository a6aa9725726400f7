"""One MLflow run per window, in the ``{model}-monitoring`` experiment; off with settings.

A revision logs into its window's run (metrics at ``step = revision``, the summary artifact
replaced), and a redone window finds its run by tag instead of opening a second one, so the run
list reads one row per window however often labels arrive or the monitor restarts.
"""

from __future__ import annotations

from collections.abc import Iterator

from driftwatch.contracts.events import MonitoringSummary
from driftwatch.contracts.vocabulary import severity_rank
from driftwatch.monitor.reports import WindowPaths
from driftwatch.settings import Settings

TAG_WINDOW_ID = "driftwatch.window_id"
TAG_MODEL_VERSION = "driftwatch.model_version"


def experiment_name(model_name: str) -> str:
    """The MLflow experiment holding the monitoring runs of ``model_name``."""
    return f"{model_name}-monitoring"


def log_window(settings: Settings, summary: MonitoringSummary, paths: WindowPaths) -> str | None:
    """Log ``summary``'s numbers and its window's files; returns the run id (None when off)."""
    if not settings.monitor_mlflow_runs:
        return None
    from mlflow.entities import Metric, Param, RunTag

    from driftwatch.training.store import client_for, experiment_id

    client = client_for(settings)
    experiment = experiment_id(settings, client, experiment_name(summary.model_name))
    found = client.search_runs(
        [experiment],
        filter_string=f"tags.`{TAG_WINDOW_ID}` = '{summary.window_id}'",
        max_results=1,
    )
    if found:
        run_id = found[0].info.run_id
    else:
        tags = {TAG_WINDOW_ID: summary.window_id, TAG_MODEL_VERSION: summary.model_version}
        run_id = client.create_run(experiment, run_name=summary.window_id, tags=tags).info.run_id
    stamp = int(summary.occurred_at.timestamp() * 1000)
    metrics = [Metric(key, value, stamp, summary.revision) for key, value in _metrics(summary)]
    params = [
        Param("n_reference", str(summary.n_reference)),
        Param("n_current", str(summary.n_current)),
        Param("window_start", summary.window_start.isoformat()),
        Param("window_end", summary.window_end.isoformat()),
    ]
    tags = [RunTag("driftwatch.revision", str(summary.revision))]
    client.log_batch(run_id, metrics=metrics, params=[] if found else params, tags=tags)
    for path in (paths.dataset, paths.html, paths.summary):
        if path.exists():
            client.log_artifact(run_id, str(path))
    client.set_terminated(run_id)
    return run_id


def _metrics(summary: MonitoringSummary) -> Iterator[tuple[str, float]]:
    yield "drift_share", summary.drift_share
    yield "label_coverage", summary.label_coverage
    yield "labeled_rows", float(summary.labeled_rows)
    yield "severity_rank", float(severity_rank(summary.severity))
    for column in summary.columns:
        yield f"drift.{column.column}", column.statistic
    if summary.prediction_drift is not None:
        yield "drift.prediction", summary.prediction_drift.statistic
    if summary.volume is not None:
        yield "volume_ratio", summary.volume.ratio
    performance = summary.performance
    if performance is not None:
        for name in ("auc", "average_precision", "precision", "recall", "auc_drop_lower"):
            value = getattr(performance, name)
            if value is not None:
                yield name, value
