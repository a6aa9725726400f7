"""The traffic each scenario sends: its generated rows cut into monitoring windows, with the
ground truth of where its drift lies, and the initial model both systems start from.

Scenarios run exactly as shipped (no onset, ramp or strength is changed for the bench): the
rows before a drift's onset are the clean lead-in, and the run is long enough to show the ramp,
the full-strength drift and what follows a release.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from decision_scoring import DriftRows, Timing, row_strengths, timing, window_strengths

from driftwatch.generator import generate

WINDOW_ROWS = 2000
"""The monitor's default window size (``Settings.window_rows``); the bench never changes it."""
LABEL_DELAY = 1
"""Windows between a window's traffic and the arrival of its labels (for every scenario)."""
BASELINE_ROWS = 40_000
"""Rows of the reference world the initial model is trained on (20 days); a quarter is held out
as its reference sample, as ``driftwatch train`` does."""

WINDOWS: dict[str, tuple[int, int]] = {
    "stable": (100, 25),
    "feature_drift": (20, 12),
    "concept_drift": (20, 12),
    "black_friday": (16, 12),
}
"""Windows per scenario (full run, ``--quick``). ``stable`` needs 100 to resolve a 1 % rate."""


@dataclass(frozen=True)
class Timeline:
    """One scenario's stream of windows.

    Attributes:
        scenario: The shipped scenario name.
        seed: The seed its rows were drawn with.
        frame: Its rows in event-time order (features, ids, event time, ``is_fraud``).
        strengths: Mean drift strength of each window (ground truth).
        timing: Onset and full windows; None for a scenario without drift.
        incident_type: What a perfect sentinel would call the drift (None: no drift).
    """

    scenario: str
    seed: int
    frame: pd.DataFrame
    strengths: np.ndarray
    timing: Timing | None
    incident_type: str | None

    @property
    def windows(self) -> int:
        return len(self.strengths)

    def window(self, index: int) -> pd.DataFrame:
        """The rows of window ``index`` (labels included: the bench releases them late)."""
        return self.frame.iloc[index * WINDOW_ROWS : (index + 1) * WINDOW_ROWS]


def timeline(scenario: str, windows: int, seed: int) -> Timeline:
    """The first ``windows`` windows of ``scenario``'s full-length run with ``seed``.

    The full length is always generated (the generator's draws depend on the row count), so a
    ``--quick`` run serves exactly the first windows of the full run.
    """
    data = generate(scenario, WINDOWS[scenario][0] * WINDOW_ROWS, seed)
    rows = windows * WINDOW_ROWS
    landed = [d for d in data.ground_truth.drifts if d.first_row is not None and d.first_row < rows]
    per_row = row_strengths(rows, [DriftRows(d.first_row, d.full_row, d.end_row) for d in landed])
    types = {d.incident_type for d in landed}
    return Timeline(
        scenario=scenario,
        seed=seed,
        frame=data.frame.iloc[:rows].reset_index(drop=True),
        strengths=window_strengths(per_row, WINDOW_ROWS),
        timing=timing(per_row, WINDOW_ROWS),
        incident_type=", ".join(sorted(types)) or None,
    )


def baseline_frame(seed: int) -> pd.DataFrame:
    """The reference world's rows the initial production model is trained on."""
    return generate("baseline", BASELINE_ROWS, seed).frame
