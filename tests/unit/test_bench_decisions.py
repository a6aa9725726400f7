"""The decision bench's scoring arithmetic, on hand-written verdicts (the bench itself never runs
under the test command)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.decision_scoring import (
    DriftRows,
    Timing,
    WindowVerdict,
    delays,
    detection_rate,
    false_alarm_rate,
    first_detection,
    most_promotions_per_incident,
    row_strengths,
    timing,
    window_strengths,
)


def verdict(index: int, strength: float, flagged: bool, initial: bool = True) -> WindowVerdict:
    return WindowVerdict(index=index, strength=strength, flagged=flagged, initial_model=initial)


def test_ramp_matches_the_generator_convention() -> None:
    # A 4-row ramp from row 2: row 2 is at 1/4, row 5 (the generator's full_row) at 1.
    strengths = row_strengths(8, [DriftRows(first_row=2, full_row=5, end_row=None)])
    assert strengths.tolist() == [0, 0, 0.25, 0.5, 0.75, 1, 1, 1]


def test_a_bounded_drift_ends_and_the_strongest_drift_wins() -> None:
    strengths = row_strengths(
        6, [DriftRows(1, 1, 3), DriftRows(first_row=2, full_row=5, end_row=None)]
    )
    assert strengths.tolist() == pytest.approx([0, 1, 1, 0.5, 0.75, 1])


def test_timing_finds_onset_and_first_full_window() -> None:
    per_row = row_strengths(10, [DriftRows(first_row=3, full_row=5, end_row=None)])
    assert window_strengths(per_row, 2).tolist() == pytest.approx([0, 1 / 6, 5 / 6, 1, 1])
    assert timing(per_row, 2) == Timing(onset_window=1, full_window=3)
    assert timing(np.zeros(10), 2) is None


def test_a_shock_shorter_than_a_window_is_timed_at_its_strongest_window() -> None:
    per_row = row_strengths(8, [DriftRows(first_row=3, full_row=3, end_row=6)])
    assert timing(per_row, 4) == Timing(onset_window=0, full_window=1)


def test_false_alarms_count_clean_windows_of_the_pre_drift_model_only() -> None:
    verdicts = [
        verdict(0, 0.0, flagged=True),
        verdict(1, 0.0, flagged=False),
        verdict(2, 0.5, flagged=True),  # drifted: a detection, not a false alarm
        verdict(3, 0.0, flagged=True, initial=False),  # a retrained model's reference moved
    ]
    assert false_alarm_rate(verdicts) == (0.5, 2)
    assert detection_rate(verdicts) == (1.0, 1)


def test_rates_are_undefined_without_windows_to_judge() -> None:
    assert false_alarm_rate([verdict(0, 1.0, flagged=True)]) == (None, 0)
    assert detection_rate([verdict(0, 0.0, flagged=False)]) == (None, 0)


def test_delay_counts_from_onset_and_from_ramp_end() -> None:
    drift = Timing(onset_window=2, full_window=5)
    # An alarm before the onset is a false alarm, not the detection.
    step = first_detection([1, 4, 7], drift)
    assert step == 4
    assert delays(step, drift) == (2, -1)
    assert delays(first_detection([0, 1], drift), drift) == (None, None)


def test_promotions_per_incident() -> None:
    assert most_promotions_per_incident([]) == 0
    assert most_promotions_per_incident(["a", "b", "a"]) == 2
