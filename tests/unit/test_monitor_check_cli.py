"""``driftwatch monitor check``: any two tables, a column mapping, a table or JSON, the files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from driftwatch.cli import app
from driftwatch.contracts.events import MonitoringSummary


@pytest.fixture
def tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A reference and a current CSV of a non-fraud table; ``spend`` and ``plan`` drift."""
    monkeypatch.setenv("DRIFTWATCH_HOME", str(tmp_path / "var"))
    rng = np.random.default_rng(5)

    def table(n: int, shift: float, premium: float) -> pd.DataFrame:
        churned = rng.random(n) < 0.2
        return pd.DataFrame(
            {
                "spend": rng.normal(shift, 1.0, n),
                "tenure": rng.integers(1, 60, n),
                "plan": np.where(rng.random(n) < premium, "premium", "basic"),
                "churned": churned.astype(int),
                "p_churn": np.clip(0.2 + 0.5 * churned + rng.normal(0, 0.2, n), 0, 1),
            }
        )

    reference, current = tmp_path / "reference.csv", tmp_path / "current.csv"
    table(3000, 0.0, 0.3).to_csv(reference, index=False)
    table(1000, 0.6, 0.7).to_csv(current, index=False)
    return reference, current


def test_any_table_with_a_mapping_gives_a_summary_and_files(
    tables: tuple[Path, Path], tmp_path: Path
) -> None:
    reference, current = tables
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        app,
        [
            "monitor", "check", "--reference", str(reference), "--current", str(current),
            "--numerical", "spend,tenure", "--categorical", "plan",
            "--labels-column", "churned", "--prediction-column", "p_churn",
            "--json", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = MonitoringSummary.model_validate_json(result.stdout)
    assert [c.column for c in summary.columns if c.drifted] == ["spend", "plan"]
    assert summary.severity == "high"  # 2 of 3 features: share 0.67
    assert summary.performance is not None
    assert not summary.performance.degraded
    assert Path(summary.report_path).is_file()
    assert json.loads((out / "monitoring_summary.json").read_text())["window_id"] == (
        summary.window_id
    )


def test_a_table_without_the_mapped_column_is_refused(tables: tuple[Path, Path]) -> None:
    reference, current = tables
    result = CliRunner().invoke(
        app,
        ["monitor", "check", "--reference", str(reference), "--current", str(current),
         "--numerical", "spend,income"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "missing column 'income'" in result.output
