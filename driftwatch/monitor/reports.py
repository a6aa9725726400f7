"""The files a window leaves behind, written atomically so a reader never sees half a report.

Per window, under ``reports/<window_id>/``: ``drift_report.html`` (Evidently), ``summary.json``
(the latest ``MonitoringSummary`` revision) and ``window.parquet`` (features, scores and the
labels known so far). The latest window is also copied to ``reports/monitoring_summary.json``
and ``reports/drift_report.html``, where users of the original design look.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from driftwatch.contracts.events import MonitoringSummary

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

HTML = "drift_report.html"
SUMMARY = "summary.json"
DATASET = "window.parquet"
LATEST_SUMMARY = "monitoring_summary.json"
LATEST_HTML = "drift_report.html"


@dataclass(frozen=True, slots=True)
class WindowPaths:
    """Where one window's files go; known before they are written, so the summary can name them."""

    directory: Path

    @classmethod
    def of(cls, reports_dir: Path, window_id: str) -> WindowPaths:
        return cls(reports_dir / window_id)

    @property
    def html(self) -> Path:
        return self.directory / HTML

    @property
    def summary(self) -> Path:
        return self.directory / SUMMARY

    @property
    def dataset(self) -> Path:
        return self.directory / DATASET

    def summary_fields(self) -> dict[str, str]:
        """The ``MonitoringSummary`` fields that point at these files."""
        return {
            "report_path": str(self.html),
            "summary_path": str(self.summary),
            "dataset_uri": self.dataset.as_uri(),
        }


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temp file beside ``path``, then rename it over ``path``.

    The rename is atomic on one filesystem, so readers see the old file or the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temp))
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide reports from a web server
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_window(
    paths: WindowPaths,
    summary: MonitoringSummary,
    window: pd.DataFrame,
    snapshot: Snapshot | None,
) -> None:
    """Write a window's dataset, report (when given) and summary, then the latest copies.

    A revision passes ``snapshot=None``: its drift, hence its report, did not change. The
    summary goes last, so whoever finds it also finds the files it names. A late revision of an
    older window leaves the latest copies to the newer window they show.
    """
    atomic_write(paths.dataset, lambda temp: window.to_parquet(temp, index=False))
    if snapshot is not None:
        atomic_write(paths.html, lambda temp: snapshot.save_html(str(temp)))
    payload = summary.model_dump_json(indent=2)
    atomic_write(paths.summary, lambda temp: temp.write_text(payload, encoding="utf-8"))
    latest = paths.directory.parent
    if summary.revision > 0 and _latest_window(latest / LATEST_SUMMARY) != summary.window_id:
        return
    if paths.html.exists():
        html = paths.html.read_bytes()
        atomic_write(latest / LATEST_HTML, lambda temp: temp.write_bytes(html))
    atomic_write(latest / LATEST_SUMMARY, lambda temp: temp.write_text(payload, encoding="utf-8"))


def _latest_window(path: Path) -> str | None:
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["window_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
