"""`driftwatch train`, `promote`, `rollback` and `models`: the registry by hand.

A manual promote or rollback publishes the same ``ReleaseDecided`` the Release agent does (with a
null plan id), so serving follows a person's release as it follows the agent's. MLflow and
scikit-learn are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import app

if TYPE_CHECKING:
    from driftwatch.contracts.vocabulary import Decision
    from driftwatch.settings import Settings
    from driftwatch.training import AliasMove, Metrics, VersionInfo


class AliasChoice(StrEnum):
    """Aliases a person may move (previous-production follows production by itself)."""

    production = "production"
    staging = "staging"


_METRIC_LABELS = (
    ("auc", "ROC AUC"),
    ("average_precision", "average precision"),
    ("precision", "precision @ threshold"),
    ("recall", "recall @ threshold"),
    ("recall_at_1pct_fpr", "recall @ 1% FPR"),
    ("brier", "Brier score"),
    ("threshold", "threshold"),
)


@app.command("train")
def train_command(
    data: Path = typer.Option(..., "--data", "-d", help="Labeled Parquet or CSV to train on."),
    promote_to: AliasChoice | None = typer.Option(
        None, "--promote", help="Point this alias at the new version."
    ),
    seed: int = typer.Option(0, "--seed", help="Seeds the holdout split and the booster."),
    holdout_fraction: float = typer.Option(
        0.25, "--holdout-fraction", help="Share of rows held out (stratified) to evaluate on."
    ),
    threads: int = typer.Option(
        1, "--threads", min=0, help="OpenMP threads for the fit; 0: every core."
    ),
) -> None:
    """Train on a labeled file, register a new version, print its holdout metrics.

    Example: driftwatch train --data var/data/baseline.parquet --promote production
    """
    from driftwatch.training import TrainingDataError, read_frame, train_and_register

    settings = load_settings()
    try:
        frame = read_frame(data)
    except TrainingDataError as error:
        fail(str(error))
    try:
        with console.status("reading data") as status:
            result = train_and_register(
                frame,
                settings,
                seed=seed,
                holdout_fraction=holdout_fraction,
                training_data_uri=data.resolve().as_uri(),
                threads=threads or None,
                progress=status.update,
            )
    except TrainingDataError as error:
        fail(f"{data}: {error}")
    console.print(_metrics_table(result.metrics, f"holdout of {result.holdout_rows:,} rows"))
    console.print(
        f"[green]registered[/] {result.name} version [bold]{result.version}[/] "
        f"(fit {result.fit_seconds:.1f} s on {result.train_rows:,} rows)\nrun {result.run_id}"
    )
    if promote_to is not None:
        _promote(settings, result.version, promote_to.value)


@app.command("promote")
def promote_command(
    version: str = typer.Argument(..., help="Registered version number."),
    alias: AliasChoice = typer.Option(..., "--alias", "-a", help="Alias to point at it."),
) -> None:
    """Point an alias at a version; moving production keeps the old one as previous-production.

    Example: driftwatch promote 3 --alias production
    """
    _promote(load_settings(), version, alias.value)


@app.command("rollback")
def rollback_command() -> None:
    """Point production back at previous-production.

    Example: driftwatch rollback
    """
    from driftwatch.training import RegistryError, rollback

    settings = load_settings()
    try:
        move = rollback(settings)
    except RegistryError as error:
        fail(str(error))
    console.print(
        f"[green]rolled back[/] {settings.model_name}: production {move.previous} -> {move.version}"
    )
    _announce(settings, move, "rolled_back")


@app.command("models")
def models_command(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """List registered versions with their aliases and holdout metrics.

    Example: driftwatch models --json
    """
    from driftwatch.training import list_versions

    settings = load_settings()
    versions = list_versions(settings)
    if as_json:
        typer.echo(json.dumps([_version_json(info) for info in versions], indent=2))
        return
    if not versions:
        console.print(f"no versions of {settings.model_name} registered yet")
        return
    console.print(_versions_table(settings.model_name, versions))


def _promote(settings: Settings, version: str, alias: str) -> None:
    from driftwatch.training import RegistryError, promote

    try:
        move = promote(settings, version, alias)
    except RegistryError as error:
        fail(str(error))
    if not move.changed:
        console.print(f"{alias} already points at version {version}: nothing to do")
        return
    console.print(
        f"[green]promoted[/] {settings.model_name} version {version} to {alias} "
        f"(was {move.previous or 'unset'})"
    )
    _announce(settings, move, "promoted")


def _announce(settings: Settings, move: AliasMove, decision: Decision) -> None:
    """Publish the release so serving reloads now, not at its next registry check."""
    from driftwatch.bus.publish import LINK_ERRORS, publish_sync
    from driftwatch.contracts.events import ReleaseDecided, default_producer

    event = ReleaseDecided(
        producer=default_producer("cli"),
        decision=decision,
        model_name=settings.model_name,
        candidate_version=move.version,
        previous_version=move.previous,
        alias=move.alias,
        reason=f"manual {decision.replace('_', ' ')} with the driftwatch CLI",
    )
    try:
        publish_sync(settings, event)
    except LINK_ERRORS:
        err_console.print(
            "[yellow]warning:[/] the registry changed, but Redis did not answer, so no "
            "ReleaseDecided was published; serving will pick the change up at its periodic "
            f"registry check (every {settings.registry_poll_s:g} s)."
        )


def _metrics_table(metrics: Metrics, title: str) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    values = metrics.as_dict()
    for key, label in _METRIC_LABELS:
        table.add_row(label, f"{values[key]:.4f}")
    table.add_row("rows / fraud", f"{metrics.rows:,} / {metrics.positives:,}")
    return table


def _versions_table(name: str, versions: list[VersionInfo]) -> Table:
    from driftwatch.training.conventions import TAG_PLAN_ID

    table = Table(title=f"{name} versions (metrics on each version's holdout)")
    table.add_column("ver", justify="right")
    table.add_column("aliases")
    for column in ("AUC", "AP", "R@1%FPR", "thr"):
        table.add_column(column, justify="right")
    table.add_column("trained by")
    for info in versions:
        plan_id = info.tags.get(TAG_PLAN_ID)
        table.add_row(
            info.version,
            ", ".join(info.aliases),
            _number(info.metrics.get("auc")),
            _number(info.metrics.get("average_precision")),
            _number(info.metrics.get("recall_at_1pct_fpr")),
            _number(info.metrics.get("threshold")),
            f"plan {plan_id[:8]}" if plan_id else "manual",
        )
    return table


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _version_json(info: VersionInfo) -> dict[str, object]:
    return {
        "version": info.version,
        "aliases": info.aliases,
        "metrics": info.metrics,
        "tags": info.tags,
        "run_id": info.run_id,
        "created_at": info.created_at.isoformat(),
    }
