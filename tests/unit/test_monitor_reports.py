"""Window files: written atomically, latest copies where the original design looks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from driftwatch.contracts.events import MonitoringSummary
from driftwatch.monitor.reports import WindowPaths, atomic_write, write_window


class FakeSnapshot:
    """Stands in for an Evidently snapshot: only ``save_html`` is used."""

    def __init__(self, body: str) -> None:
        self.body = body

    def save_html(self, path: str) -> None:
        Path(path).write_text(self.body, encoding="utf-8")


def summary(window_id: str, revision: int, paths: WindowPaths) -> MonitoringSummary:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    return MonitoringSummary(
        window_id=window_id,
        revision=revision,
        window_start=now,
        window_end=now,
        model_name="fraud-detector",
        model_version="1",
        n_reference=10,
        n_current=2,
        columns=[],
        drift_share=0.0,
        severity="none",
        **paths.summary_fields(),
    )


def test_a_window_leaves_its_files_and_the_latest_copies(tmp_path: Path) -> None:
    paths = WindowPaths.of(tmp_path, "w1")
    window = pd.DataFrame({"request_id": ["a", "b"], "is_fraud": pd.array([1, None], "Int64")})
    write_window(paths, summary("w1", 0, paths), window, FakeSnapshot("<html>w1</html>"))
    assert pd.read_parquet(paths.dataset).equals(window)
    assert json.loads(paths.summary.read_text())["window_id"] == "w1"
    assert (tmp_path / "drift_report.html").read_text() == "<html>w1</html>"
    assert json.loads((tmp_path / "monitoring_summary.json").read_text())["window_id"] == "w1"
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temp files left
    assert paths.dataset.stat().st_mode & 0o044 == 0o044  # readable by a web server


def test_a_late_revision_of_an_older_window_keeps_the_latest_copies(tmp_path: Path) -> None:
    old, new = WindowPaths.of(tmp_path, "w1"), WindowPaths.of(tmp_path, "w2")
    window = pd.DataFrame({"request_id": ["a"]})
    write_window(old, summary("w1", 0, old), window, FakeSnapshot("w1"))
    write_window(new, summary("w2", 0, new), window, FakeSnapshot("w2"))
    write_window(old, summary("w1", 1, old), window, None)
    assert json.loads(old.summary.read_text())["revision"] == 1
    assert json.loads((tmp_path / "monitoring_summary.json").read_text())["window_id"] == "w2"
    assert (tmp_path / "drift_report.html").read_text() == "w2"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old")

    def broken(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
