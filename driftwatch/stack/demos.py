"""The three demos of the original design: which scenario, how much traffic, what must happen.

A demo's own stack uses windows of ``DEMO_WINDOW_ROWS``: fraud is rare (1-4 % of rows), and a
retrained candidate is judged on half of its incident window against production, so a window
needs thousands of rows for the comparison to say anything. Traffic sizes are multiples of it,
so every window closes on row count and none waits for the age limit, and each scenario's drift
reaches full strength inside its traffic. Labels come one window after their traffic, as a
bank's chargebacks would, in event order.
"""

from __future__ import annotations

from dataclasses import dataclass

from driftwatch.stack import expectations
from driftwatch.stack.expectations import Expectation

DEMO_WINDOW_ROWS = 8_000
BASELINE_ROWS = 16_000
BASELINE_SEED = 1
TRAIN_SEED = 0


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """One demo.

    Attributes:
        name: The command's name for it (``driftwatch demo NAME``).
        scenario: The generator scenario its traffic comes from.
        rows: Transactions sent through the API.
        seed: Generator seed of the traffic.
        labels_after_windows: Windows of traffic between a window and its labels.
        expected: What must happen, in words (printed first).
        expectation: The checks that decide the exit code.
    """

    name: str
    scenario: str
    rows: int
    seed: int
    labels_after_windows: int
    expected: str
    expectation: Expectation


DEMOS: dict[str, DemoSpec] = {
    spec.name: spec
    for spec in (
        DemoSpec(
            name="feature-drift",
            scenario="feature_drift",
            rows=24_000,
            seed=2,
            labels_after_windows=1,
            expected="feature_drift incident -> retrain -> promoted; production moves to it",
            expectation=expectations.feature_drift,
        ),
        DemoSpec(
            name="concept-drift",
            scenario="concept_drift",
            rows=24_000,
            seed=3,
            labels_after_windows=1,
            expected="feature drift none/low; with labels a concept_drift incident -> retrain "
            "-> promoted",
            expectation=expectations.concept_drift,
        ),
        DemoSpec(
            name="black-friday",
            scenario="black_friday",
            rows=16_000,
            seed=4,
            labels_after_windows=1,
            expected="shock incident -> held for approval; production unchanged",
            expectation=expectations.black_friday,
        ),
    )
}
