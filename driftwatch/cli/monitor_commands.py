"""``driftwatch monitor run`` (the stream monitor) and ``driftwatch monitor check`` (files).

Evidently, MLflow and Redis load inside the commands, so ``driftwatch --help`` stays fast.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import app
from driftwatch.contracts.features import LABEL, SCORE, TIMESTAMP, TRANSACTION_ID

if TYPE_CHECKING:
    from driftwatch.monitor.batch import CheckResult
    from driftwatch.settings import Settings

monitor_app = typer.Typer(
    help="Drift and performance of the model's traffic against its reference.",
    no_args_is_help=True,
)
app.add_typer(monitor_app, name="monitor")


@monitor_app.command("run")
def run(
    name: Annotated[
        str | None, typer.Option("--name", help="Redis consumer name; default: unique per process.")
    ] = None,
) -> None:
    """Consume predictions and labels, close windows, publish MonitoringSummary events."""
    import asyncio

    from driftwatch.contracts.policy import PolicyError
    from driftwatch.monitor.service import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        monitor = create_app(load_settings(), name=name)
    except PolicyError as error:
        for line in error.lines():
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)
        fail("monitor not started: the policy is refused")
    try:
        asyncio.run(monitor.run())
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _columns(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@monitor_app.command("check")
def check(
    reference: Annotated[Path, typer.Option("--reference", help="Reference (.parquet/.csv).")],
    current: Annotated[Path, typer.Option("--current", help="Current table (.parquet/.csv).")],
    labels_column: Annotated[
        str, typer.Option("--labels-column", help="0/1 label column; performance when present.")
    ] = LABEL,
    prediction_column: Annotated[
        str, typer.Option("--prediction-column", help="Model score column (drift, performance).")
    ] = SCORE,
    timestamp_column: Annotated[
        str, typer.Option("--timestamp-column", help="Event-time column (volume, time matching).")
    ] = TIMESTAMP,
    id_column: Annotated[str, typer.Option("--id-column", help="Row id, never a feature.")] = (
        TRANSACTION_ID
    ),
    numerical: Annotated[
        str | None, typer.Option("--numerical", help="Comma-separated numerical features.")
    ] = None,
    categorical: Annotated[
        str | None, typer.Option("--categorical", help="Comma-separated categorical features.")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0, max=1, help="Decision threshold for precision.")
    ] = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Reports directory [default: HOME/reports].")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="Also publish the MonitoringSummary on the bus.")
    ] = False,
    model_version: Annotated[
        str, typer.Option("--model-version", help="Version named in the summary.")
    ] = "batch",
) -> None:
    """Judge CURRENT against REFERENCE: per-feature drift, score drift, performance, severity.

    Features: --numerical/--categorical, else the fraud schema, else all other columns by dtype.
    """
    from driftwatch.contracts.policy import PolicyError, policy_in_force
    from driftwatch.monitor.batch import check_frames, default_mapping
    from driftwatch.monitor.columns import ColumnMappingError
    from driftwatch.monitor.drift import DriftTests
    from driftwatch.training.data import TrainingDataError, read_frame

    settings = load_settings()
    try:
        reference_frame, current_frame = read_frame(reference), read_frame(current)
        policy = policy_in_force(settings.policy_path)
        mapping = default_mapping(
            reference_frame,
            target=labels_column,
            prediction=prediction_column,
            timestamp=timestamp_column,
            id=id_column,
            numerical=_columns(numerical),
            categorical=_columns(categorical),
        )
        result = check_frames(
            reference_frame,
            current_frame,
            mapping,
            tests=DriftTests.from_settings(settings),
            policy=policy,
            threshold=threshold,
            reports_dir=out or settings.reports_dir,
            model_name=settings.model_name,
            model_version=model_version,
        )
    except (TrainingDataError, ColumnMappingError, PolicyError) as error:
        fail(str(error))
    if as_json:
        console.print_json(result.summary.model_dump_json())
    else:
        _print_result(result)
    if publish:
        _publish(settings, result)


def _print_result(result: CheckResult) -> None:
    summary = result.summary
    table = Table(title=f"Drift of {summary.n_current:,} rows vs {summary.n_reference:,} reference")
    for column in ("feature", "kind", "test", "statistic", "threshold", "drifted"):
        numeric = column in {"statistic", "threshold"}
        table.add_column(column, justify="right" if numeric else "left")
    rows = [*summary.columns, *([summary.prediction_drift] if summary.prediction_drift else [])]
    for row in rows:
        mark = "[bold red]yes[/]" if row.drifted else "no"
        name = row.column if row in summary.columns else f"{row.column} (prediction)"
        table.add_row(name, row.kind, row.test, f"{row.statistic:.4f}", f"{row.threshold:g}", mark)
    console.print(table)
    console.print(
        f"drift share {summary.drift_share:.2f} -> {summary.drift_severity}; "
        f"performance -> {summary.performance_severity}; severity [bold]{summary.severity}[/]"
    )
    performance = summary.performance
    if performance is not None and performance.auc is not None:
        console.print(
            f"AUC {performance.auc:.3f} (99 % CI {performance.auc_ci_low:.3f}-"
            f"{performance.auc_ci_high:.3f}) vs reference {performance.reference_auc:.3f}; "
            f"drop lower bound {performance.auc_drop_lower:+.3f}"
            + (" [bold red]performance dropped[/]" if performance.degraded else "")
        )
    console.print(f"report {result.paths.html}\nsummary {result.paths.summary}", highlight=False)


def _publish(settings: Settings, result: CheckResult) -> None:
    import redis

    from driftwatch.bus.publish import publish_sync

    try:
        entry = publish_sync(settings, result.summary)
    except (redis.ConnectionError, redis.TimeoutError) as error:
        fail(f"no Redis answers at the configured DRIFTWATCH_REDIS_URL: {error}")
    console.print(f"published {result.summary.event_id} as {entry}", highlight=False)
