"""``driftwatch policy check``: review a policy file the way the agents will read it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from driftwatch.cli.console import console, err_console, fail, load_settings
from driftwatch.cli.root import policy_app
from driftwatch.contracts.policy import (
    PERFORMANCE_INCIDENT_TYPES,
    LoadedPolicy,
    Policy,
    PolicyError,
    PolicyResponse,
    load_policy,
    policy_in_force,
)
from driftwatch.contracts.vocabulary import INCIDENT_TYPES, SEVERITIES, Severity


@policy_app.command("check")
def check(
    file: Annotated[
        Path | None,
        typer.Argument(help="Policy YAML to check; default: the policy in force."),
    ] = None,
) -> None:
    """Validate a policy and print what it decides: actions, rollback, gates, alias, approval.

    Exits non-zero with every error as FILE:LINE: key: message when the file is refused.
    """
    try:
        loaded = load_policy(file) if file is not None else _policy_in_force()
    except PolicyError as error:
        for line in error.lines():
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)
        count = len(error.issues)
        fail(f"policy refused: {count} error{'s' if count > 1 else ''}")
    _print_policy(loaded)


def _policy_in_force() -> LoadedPolicy:
    return policy_in_force(load_settings().policy_path)


def _print_policy(loaded: LoadedPolicy) -> None:
    policy = loaded.policy
    path = escape(str(loaded.path))
    console.print(
        f"[bold green]ok[/] {path}  version {policy.version}  sha256 {loaded.sha256}",
        highlight=False,
        soft_wrap=True,
    )
    for warning in loaded.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    console.print(_decision_table(policy))
    console.print(_rollback_line(policy), highlight=False)
    console.print(_gates_table(policy))
    release, incidents = policy.release_policy, policy.incidents
    console.print(
        f"release: alias [bold]{release.promote_alias}[/]"
        f"  promote if gates pass: {_yes(release.promote_if_quality_gates_pass)}"
        f"  approval required: {_yes(release.require_approval)}",
        highlight=False,
    )
    console.print(
        f"incidents: cooldown {incidents.cooldown_windows} windows"
        f"  resolved after {incidents.resolve_after_clean_windows} clean windows",
        highlight=False,
    )


def _decision_table(policy: Policy) -> Table:
    """One row per incident type and run of severities that get the same response."""
    severity, performance = policy.severity_thresholds, policy.performance_thresholds
    table = Table(
        title="decision table: severity x incident type -> action (approval applied)",
        caption=(
            f"severity = max(drift share level {severity.low}/{severity.medium}/{severity.high}, "
            f"AUC drop lower bound level {performance.low}/{performance.medium}/"
            f"{performance.high}) for low/medium/high"
        ),
    )
    for column in ("incident type", "severity", "action"):
        table.add_column(column)
    for incident_type, row in policy.decision_table().items():
        for index, (levels, response) in enumerate(_runs(row)):
            table.add_row(incident_type if index == 0 else "", ", ".join(levels), _cell(response))
        table.add_section()
    return table


def _runs(row: dict[Severity, PolicyResponse]) -> list[tuple[list[Severity], PolicyResponse]]:
    """Adjacent severities with the same action (reasons differ only by the rule's name)."""
    runs: list[tuple[list[Severity], PolicyResponse]] = []
    for level in SEVERITIES:
        response = row[level]
        if runs and _cell(runs[-1][1]) == _cell(response):
            runs[-1][0].append(level)
        else:
            runs.append(([level], response))
    return runs


def _rollback_line(policy: Policy) -> str:
    window = policy.incidents.rollback_within_windows
    if window == 0:
        return "rollback: never (incidents.rollback_within_windows is 0)"
    types = ", ".join(t for t in INCIDENT_TYPES if t in PERFORMANCE_INCIDENT_TYPES)
    response = policy.respond("medium", "concept_drift", rollback_due=True)
    return (
        f"rollback: {types} within {window} windows of a promotion to production -> "
        f"{_cell(response)}"
    )


def _gates_table(policy: Policy) -> Table:
    gates = policy.quality_gates
    table = Table(title="quality gates")
    table.add_column("gate")
    table.add_column("passes when")
    table.add_row("min_labeled_rows", f"labeled rows >= {gates.min_labeled_rows} (else deferred)")
    table.add_row("min_auc", f"candidate AUC >= {gates.min_auc}")
    table.add_row("min_average_precision", f"candidate AP >= {gates.min_average_precision}")
    table.add_row(
        "max_regression_vs_champion",
        f"lower bound of (candidate - production) AUC >= -{gates.max_regression_vs_champion}",
    )
    return table


def _cell(response: PolicyResponse) -> str:
    if response.held_action is None:
        return response.action
    return f"{response.action}, then {response.held_action} on approval"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
