"""Turn a closed window into its ``MonitoringSummary``: judge, write the files, log the run.

Blocking (Evidently, Parquet, MLflow), so the closer runs these in a worker thread. Everything
here is a function of the window's rows, labels and id, so a window redone after a crash writes
the same files, finds the same MLflow run and yields an event with the same id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from driftwatch.contracts.events import MonitoringSummary, default_producer, derived_event_id
from driftwatch.contracts.features import TIMESTAMP
from driftwatch.contracts.policy import LoadedPolicy
from driftwatch.monitor.assess import (
    Reference,
    judge_labels,
    judge_window,
    label_fields,
    window_seed,
)
from driftwatch.monitor.drift import DriftTests
from driftwatch.monitor.reports import WindowPaths, write_window
from driftwatch.monitor.tracking import log_window
from driftwatch.monitor.windows import Cause, ModelVersion, WindowRows
from driftwatch.settings import Settings

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

HANDLER = "monitor"
_ENVELOPE = {"event_id", "event_type", "schema_version", "occurred_at", "producer"}
_ENVELOPE |= {"correlation_id", "causation_id"}


@dataclass(frozen=True)
class ScoringContext:
    """What every window of a monitor is judged with."""

    settings: Settings
    policy: LoadedPolicy
    tests: DriftTests

    @classmethod
    def of(cls, settings: Settings, policy: LoadedPolicy) -> ScoringContext:
        return cls(settings, policy, DriftTests.from_settings(settings))


def envelope(cause: Cause, window_id: str, revision: int) -> dict[str, object]:
    """Envelope of a summary: an id that a redone close or re-score repeats."""
    return {
        "event_id": derived_event_id(cause.event_id, f"{HANDLER}:{window_id}:r{revision}"),
        "correlation_id": cause.correlation_id,
        "causation_id": cause.event_id,
        "producer": default_producer(HANDLER),
    }


def window_id_for(mv: ModelVersion, seq: int, rows: WindowRows) -> str:
    """``{model}-v{version}-{seq:05d}-{6 hex of the first batch}``: ordered and unique."""
    first_batch = rows.items[0]["b"].replace("-", "")[:6]
    return f"{mv.name}-v{mv.version}-{seq:05d}-{first_batch}"


def score_window(
    context: ScoringContext,
    reference: Reference,
    mv: ModelVersion,
    window_id: str,
    rows: WindowRows,
    labels: Sequence[bytes | str | None],
) -> MonitoringSummary:
    """Judge a window that just closed, write its files and run, and return revision 0."""
    frame = rows.frame(labels)
    judgement = judge_window(
        reference,
        frame,
        tests=context.tests,
        policy=context.policy.policy,
        threshold=rows.threshold,
        seed=window_seed(window_id),
    )
    paths = WindowPaths.of(context.settings.reports_dir, window_id)
    summary = MonitoringSummary(
        **envelope(rows.cause, window_id, 0),
        window_id=window_id,
        revision=0,
        window_start=frame[TIMESTAMP].min(),
        window_end=frame[TIMESTAMP].max(),
        model_name=mv.name,
        model_version=mv.version,
        n_reference=len(reference),
        n_current=len(frame),
        **judgement.summary_fields(),
        **paths.summary_fields(),
        policy_version=context.policy.version,
    )
    _record(context, paths, summary, frame, judgement.snapshot)
    return summary


def rescore_window(
    context: ScoringContext,
    reference: Reference,
    previous: MonitoringSummary,
    rows: WindowRows,
    labels: Sequence[bytes | str | None],
    cause: Cause,
) -> MonitoringSummary:
    """The next revision of a closed window: same drift, performance from the labels so far."""
    frame = rows.frame(labels)
    verdict = judge_labels(
        reference,
        frame,
        threshold=rows.threshold,
        policy=context.policy.policy,
        seed=window_seed(previous.window_id),
    )
    revision = previous.revision + 1
    summary = MonitoringSummary(
        **envelope(cause, previous.window_id, revision),
        **{
            **previous.model_dump(exclude=_ENVELOPE),
            **label_fields(verdict, previous.drift_severity),
            "revision": revision,
            "policy_version": context.policy.version,
        },
    )
    _record(
        context, WindowPaths.of(context.settings.reports_dir, summary.window_id), summary, frame
    )
    return summary


def _record(
    context: ScoringContext,
    paths: WindowPaths,
    summary: MonitoringSummary,
    frame: pd.DataFrame,
    snapshot: Snapshot | None = None,
) -> None:
    write_window(paths, summary, frame, snapshot)
    log_window(context.settings, summary, paths)
