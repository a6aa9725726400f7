"""`driftwatch generate` and `driftwatch scenarios`: synthetic data sets from drift scenarios.

The generator (numpy, pandas, pyarrow) is imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from driftwatch.cli.console import console, fail, load_settings
from driftwatch.cli.root import app


@app.command("generate")
def generate_command(
    scenario: str | None = typer.Option(
        None, "--scenario", "-s", help="Shipped scenario name (see `driftwatch scenarios`)."
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Your own scenario YAML file instead of a shipped one."
    ),
    rows: int = typer.Option(20_000, "--rows", "-n", help="Number of transactions."),
    seed: int = typer.Option(0, "--seed", help="Random seed; same inputs, same bytes."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Parquet, or CSV when it ends in .csv. Default: $DRIFTWATCH_HOME/data/NAME.parquet",
    ),
    start: str | None = typer.Option(
        None, "--start", help="Event time of the first row, ISO 8601 (UTC when no offset)."
    ),
) -> None:
    """Generate a scenario's transactions with labels, plus a PATH.meta.json ground-truth sidecar.

    Example: driftwatch generate --scenario feature_drift --rows 20000 --seed 2 --out
    var/data/feature_drift.parquet
    """
    from driftwatch.generator import (
        ScenarioError,
        generate,
        load_scenario,
        meta_path,
        write_dataset,
    )

    if scenario is not None and config is not None:
        fail("give either --scenario or --config, not both")
    if rows < 1:
        fail(f"--rows must be a positive integer, got {rows}")
    if seed < 0:
        fail(f"--seed must be a non-negative integer, got {seed}")
    try:
        chosen = load_scenario(config if config is not None else (scenario or "baseline"))
    except ScenarioError as exc:
        fail(str(exc))
    path = out if out is not None else load_settings().data_dir / f"{chosen.name}.parquet"
    began = time.perf_counter()
    data = generate(chosen, rows, seed, start=_parse_start(start))
    try:
        write_dataset(data, path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    elapsed = time.perf_counter() - began
    truth = data.ground_truth
    console.print(
        f"[green]wrote[/] {path} ({rows:,} rows, fraud rate {truth.fraud_rate:.2%}, "
        f"{elapsed:.2f} s) and {meta_path(path).name}"
    )
    console.print(f"shifted columns: {', '.join(truth.shifted_columns) or 'none'}")
    for drift in truth.drifts:
        console.print(
            f"  {drift.name} ({drift.incident_type}): rows {drift.first_row} -> full at "
            f"{drift.full_row}, ends {drift.end_row}; P(fraud|x) changed: "
            f"{drift.p_fraud_given_x_changed}"
        )


@app.command("scenarios")
def scenarios_command() -> None:
    """List the shipped drift scenarios with what each one changes."""
    from driftwatch.generator import list_scenarios

    table = Table("scenario", "incident types", "description")
    for scenario in list_scenarios():
        kinds = sorted({d.incident_type for d in scenario.drifts}) or ["none"]
        table.add_row(scenario.name, ", ".join(kinds), scenario.description)
    console.print(table)


def _parse_start(text: str | None) -> datetime | None:
    """An aware datetime from ISO 8601; no offset means UTC."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--start is not an ISO 8601 time: {text!r} (e.g. 2026-11-02T00:00:00Z)")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
