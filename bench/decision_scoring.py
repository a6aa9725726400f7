"""Scoring of decisions against ground truth: the arithmetic of bench/decisions.py, kept pure.

Nothing here runs a model or touches Redis, so the definitions the README states can be tested on
hand-written verdict lists (tests/unit/test_bench_decisions.py):

* a window's **strength** is the mean drift strength of its rows (0 outside a drift, rising
  linearly from the first drifted row to the first full-strength row, 1 after it, 0 again after
  the drift's end); with several drifts, a row takes the strongest;
* the **onset window** is the first window holding a drifted row; the **full window** the first
  window whose every row is at full strength (for a drift too short to fill one, the strongest);
* **false alarms** are flagged windows among the clean ones (strength 0) that the pre-drift model
  served; **detection rate** is flagged windows among the drifted ones (strength > 0) it served:
  once a retrained model serves, its reference is the drifted traffic and neither notion applies;
* the **delay** of a detection is the step it happened at minus the onset (or full) window; a
  step is the window whose traffic was flowing, so a detection made when a window's labels arrive
  counts at the later window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class DriftRows:
    """Where one drift lies in the rows (0-based, as the generator's ground truth gives them).

    Attributes:
        first_row: First drifted row.
        full_row: First row at full strength (None: the ramp does not finish in the data).
        end_row: First row after the drift ended (None: it lasts to the end).
    """

    first_row: int
    full_row: int | None
    end_row: int | None


@dataclass(frozen=True, slots=True)
class Timing:
    """The windows a scenario's drift starts in and is first entirely at full strength in."""

    onset_window: int
    full_window: int


@dataclass(frozen=True, slots=True)
class WindowVerdict:
    """What a system made of one window.

    Attributes:
        index: Position of the window in the scenario's stream (the step it was served at).
        strength: Mean drift strength of its rows (ground truth).
        flagged: The system judged it drifted (in any revision, once labels arrived).
        initial_model: It was served by the pre-drift production model.
    """

    index: int
    strength: float
    flagged: bool
    initial_model: bool


def row_strengths(rows: int, drifts: Iterable[DriftRows]) -> np.ndarray:
    """Drift strength of every row in [0, 1]: the strongest drift at that row."""
    strength = np.zeros(rows)
    position = np.arange(rows, dtype=float)
    for drift in drifts:
        full = rows if drift.full_row is None else drift.full_row
        end = rows if drift.end_row is None else drift.end_row
        ramp = np.clip((position - drift.first_row + 1) / max(full - drift.first_row + 1, 1), 0, 1)
        active = (position >= drift.first_row) & (position < end)
        strength = np.maximum(strength, np.where(active, ramp, 0.0))
    return strength


def window_strengths(strengths: np.ndarray, window_rows: int) -> np.ndarray:
    """Mean row strength of each whole window of ``window_rows`` rows (a partial tail dropped)."""
    whole = len(strengths) // window_rows
    return strengths[: whole * window_rows].reshape(whole, window_rows).mean(axis=1)


def timing(strengths: np.ndarray, window_rows: int) -> Timing | None:
    """Onset and full windows of per-row ``strengths``; None when nothing drifts."""
    per_window = window_strengths(strengths, window_rows)
    drifted = np.flatnonzero(per_window > 0)
    if not drifted.size:
        return None
    whole = strengths[: len(per_window) * window_rows].reshape(len(per_window), window_rows)
    full = np.flatnonzero(whole.min(axis=1) >= 1.0)
    full_window = int(full[0]) if full.size else int(np.argmax(per_window))
    return Timing(onset_window=int(drifted[0]), full_window=full_window)


def _rate(verdicts: Sequence[WindowVerdict]) -> float | None:
    return sum(v.flagged for v in verdicts) / len(verdicts) if verdicts else None


def false_alarm_rate(verdicts: Iterable[WindowVerdict]) -> tuple[float | None, int]:
    """Share of clean windows served by the pre-drift model that were flagged, and their count."""
    clean = [v for v in verdicts if v.strength == 0 and v.initial_model]
    return _rate(clean), len(clean)


def detection_rate(verdicts: Iterable[WindowVerdict]) -> tuple[float | None, int]:
    """Share of drifted windows served by the pre-drift model that were flagged, and their count."""
    drifted = [v for v in verdicts if v.strength > 0 and v.initial_model]
    return _rate(drifted), len(drifted)


def first_detection(detection_steps: Iterable[int], timing: Timing) -> int | None:
    """The first step at or after the onset window at which the system detected drift."""
    after = [step for step in detection_steps if step >= timing.onset_window]
    return min(after) if after else None


def delays(step: int | None, timing: Timing) -> tuple[int | None, int | None]:
    """Windows from the onset and from the full window to ``step`` (negative: before the ramp
    completed); (None, None) for a missed drift."""
    if step is None:
        return None, None
    return step - timing.onset_window, step - timing.full_window


def most_promotions_per_incident(promoted_incidents: Iterable[str]) -> int:
    """The largest number of production promotions answering one incident (0: none)."""
    counts = Counter(promoted_incidents)
    return max(counts.values(), default=0)
