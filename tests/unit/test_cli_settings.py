"""Every command that reads settings turns a bad ``DRIFTWATCH_`` value into one clear error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from driftwatch.cli import app


@pytest.mark.parametrize(
    "command",
    [
        ["models"],
        ["policy", "check"],
        ["generate", "--scenario", "stable", "--rows", "10"],
        ["serve"],
    ],
    ids=" ".join,
)
def test_a_bad_setting_is_refused_naming_it(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTWATCH_WINDOW_ROWS", "many")
    for set_by_serve in ("OMP_NUM_THREADS", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"):
        monkeypatch.delenv(set_by_serve, raising=False)  # restored as they were afterwards

    result = CliRunner().invoke(app, command)

    assert result.exit_code == 1, result.output
    assert "invalid DRIFTWATCH_ settings" in result.stderr
    assert "window_rows" in result.stderr
