"""``driftwatch policy check`` driven as a user would, through the Typer app."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftwatch.cli import app
from driftwatch.contracts.policy import load_shipped_policy

REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_prints_identity_table_gates_alias_and_approval(runner: CliRunner) -> None:
    path = REPO_POLICIES / "promotion.yaml"

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"version 3  sha256 {load_shipped_policy('promotion').sha256}" in out
    assert "decision table" in out
    for incident_type in ("feature_drift", "concept_drift", "shock", "performance_degradation"):
        assert incident_type in out
    assert "medium, high" in out
    assert "retrain_and_evaluate" in out
    assert "hold_for_approval, then" in out
    assert "within 5 windows of a promotion" in out
    for gate in ("min_labeled_rows", "min_auc", "min_average_precision"):
        assert gate in out
    assert "release: alias staging  promote if gates pass: yes  approval required: no" in out


def test_check_strict_shows_approval(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "check", str(REPO_POLICIES / "strict.yaml")])

    assert result.exit_code == 0, result.output
    assert "approval required: yes" in result.stdout
    assert "hold_for_approval, then rollback on approval" in result.stdout


def test_check_without_a_file_uses_the_policy_in_force(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWATCH_POLICY_PATH", str(REPO_POLICIES / "demo.yaml"))

    result = runner.invoke(app, ["policy", "check"])

    assert result.exit_code == 0, result.output
    assert "demo.yaml  version 1" in result.stdout
    assert "release: alias production" in result.stdout


def test_check_shows_the_deprecation_warning(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    text = (REPO_POLICIES / "promotion.yaml").read_text()
    path.write_text(text.replace("promote_alias: staging ", "promote_stage: Production "))

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert (
        "release_policy.promote_stage: deprecated, use promote_alias: production" in result.stdout
    )
    assert "release: alias production" in result.stdout


def test_check_refuses_a_bad_file_with_every_error(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = (REPO_POLICIES / "promotion.yaml").read_text()
    path.write_text(text.replace("  min_auc: 0.82", "  min_auc: 0.82\n  min_acu: 0.8"))
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if "min_acu" in t)

    result = runner.invoke(app, ["policy", "check", str(path)])

    assert result.exit_code == 1
    assert f"{path}:{line}: quality_gates.min_acu: unknown key" in result.stderr
    assert "policy refused: 1 error" in result.stderr
    assert "decision table" not in result.stdout


def test_check_refuses_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "check", str(tmp_path / "nope.yaml")])

    assert result.exit_code == 1
    assert "cannot read policy file" in result.stderr
