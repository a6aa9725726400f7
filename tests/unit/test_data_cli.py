"""`driftwatch generate` and `driftwatch scenarios` as a new user calls them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from driftwatch.cli import app

runner = CliRunner()


def test_scenarios_lists_every_shipped_scenario() -> None:
    result = runner.invoke(app, ["scenarios"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("baseline", "stable", "feature_drift", "concept_drift", "black_friday"):
        assert name in result.output
    assert "Amounts x1.6" in result.output


def test_generate_writes_parquet_and_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "data" / "fd.parquet"
    args = ["generate", "--scenario", "feature_drift", "--rows", "6000", "--seed", "3"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(out)) == 6000
    meta = json.loads(Path(f"{out}.meta.json").read_text())
    assert meta["ground_truth"]["drifts"][0]["first_row"] == 4000
    assert "channel" in result.output


def test_generate_writes_csv_from_a_users_config(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("name: mine\ndescription: Just the baseline world.\n")
    out = tmp_path / "mine.csv"
    result = runner.invoke(app, ["generate", "--config", str(config), "-n", "50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["transaction_id"].str.startswith("mine-s0-").all()


def test_default_output_goes_under_the_data_dir(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--rows", "20"], env={"DRIFTWATCH_HOME": str(tmp_path / "var")}
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "data" / "baseline.parquet").exists()


def test_start_sets_the_event_clock(tmp_path: Path) -> None:
    out = tmp_path / "d.parquet"
    args = ["generate", "-n", "10", "-o", str(out), "--start", "2027-03-01T08:00:00"]
    assert runner.invoke(app, args).exit_code == 0
    assert pd.read_parquet(out)["timestamp"].iloc[0] >= pd.Timestamp("2027-03-01T08:00:00Z")


def _fails(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code != 0
    assert expected in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--scenario", "nope"], "unknown scenario 'nope'"),
        (["--rows", "0"], "--rows must be a positive integer"),
        (["--rows", "-3"], "--rows must be a positive integer"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--scenario", "baseline", "--config", "x.yaml"], "not both"),
        (["--start", "yesterday"], "not an ISO 8601 time"),
    ],
)
def test_bad_arguments_fail_clearly_and_write_nothing(
    tmp_path: Path, extra: list[str], expected: str
) -> None:
    _fails(["generate", "--out", str(tmp_path / "d.parquet"), *extra], expected)
    assert list(tmp_path.iterdir()) == []


def test_bad_yaml_fails_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\ndescription: [unclosed\n")
    _fails(["generate", "--config", str(config), "-o", str(tmp_path / "d.parquet")], "bad.yaml:3")
    assert not (tmp_path / "d.parquet").exists()


def test_unwritable_path_fails_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    _fails(["generate", "-n", "10", "-o", str(blocker / "d.parquet")], "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; from driftwatch.cli import app; "
        "heavy = [m for m in ('sklearn', 'evidently', 'pandas', 'pyarrow') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pandas" not in result.stdout
    assert "sklearn" not in result.stdout
