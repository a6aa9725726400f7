"""Batch mode: judge one file of current data against one reference file, no bus, no registry.

For users who have tables rather than a stream (``driftwatch monitor check``): the same
judgement, files and summary the stream monitor produces, for any columns a ``ColumnMapping``
describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from driftwatch.contracts.events import MonitoringSummary, default_producer
from driftwatch.contracts.features import FEATURE_NAMES
from driftwatch.contracts.policy import LoadedPolicy
from driftwatch.monitor.assess import Reference, WindowJudgement, judge_window, window_seed
from driftwatch.monitor.columns import ColumnMapping
from driftwatch.monitor.drift import DriftTests
from driftwatch.monitor.reports import WindowPaths, write_window
from driftwatch.monitor.timematch import as_utc


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A batch check's summary, with the judgement behind it (for tables and reports)."""

    summary: MonitoringSummary
    judgement: WindowJudgement
    paths: WindowPaths


def default_mapping(
    reference: pd.DataFrame,
    *,
    target: str | None,
    prediction: str | None,
    timestamp: str | None,
    id: str | None,
    numerical: tuple[str, ...] = (),
    categorical: tuple[str, ...] = (),
) -> ColumnMapping:
    """Features as given; else the fraud schema when the file has it; else inferred by dtype."""
    if numerical or categorical:
        return ColumnMapping(numerical, categorical, target, prediction, id, timestamp)
    if all(name in reference for name in FEATURE_NAMES):
        base = ColumnMapping.default()
        return ColumnMapping(base.numerical, base.categorical, target, prediction, id, timestamp)
    return ColumnMapping.infer(
        reference, target=target, prediction=prediction, id=id, timestamp=timestamp
    )


def check_frames(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    tests: DriftTests,
    policy: LoadedPolicy,
    threshold: float,
    reports_dir: Path,
    model_name: str,
    model_version: str,
    now: datetime | None = None,
) -> CheckResult:
    """Judge ``current`` against ``reference`` and write the window's files under ``reports_dir``.

    Raises:
        ColumnMappingError: either frame lacks a mapped feature or has an empty one.
    """
    now = now or datetime.now(UTC)
    prepared = Reference.build(reference, mapping)
    window_id = f"check-{now:%Y%m%dT%H%M%S%fZ}"
    judgement = judge_window(
        prepared,
        current,
        tests=tests,
        policy=policy.policy,
        threshold=threshold,
        seed=window_seed(window_id),
    )
    time = prepared.mapping.timestamp
    if time is not None and time in current:
        stamps = as_utc(current[time])
        start, end = stamps.min().to_pydatetime(), stamps.max().to_pydatetime()
    else:
        start = end = now
    paths = WindowPaths.of(reports_dir, window_id)
    summary = MonitoringSummary(
        producer=default_producer("driftwatch-monitor-check"),
        window_id=window_id,
        revision=0,
        window_start=start,
        window_end=end,
        model_name=model_name,
        model_version=model_version,
        n_reference=len(prepared),
        n_current=len(current),
        **judgement.summary_fields(),
        **paths.summary_fields(),
        policy_version=policy.version,
    )
    write_window(paths, summary, current, judgement.snapshot)
    return CheckResult(summary, judgement, paths)
