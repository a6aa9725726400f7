"""Quality gates: deferred without labels, promoted when every gate passes, else blocked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from driftwatch.agents.release_gates import (
    CandidateMetrics,
    ChampionComparison,
    evaluate_gates,
    judge_release,
    labeled_rows_gate,
)
from driftwatch.contracts.policy import QualityGates

GATES = QualityGates(
    min_auc=0.82, min_average_precision=0.20, max_regression_vs_champion=0.01, min_labeled_rows=1000
)
GOOD = CandidateMetrics(auc=0.90, average_precision=0.45)


def champion(diff: float, low: float, high: float) -> ChampionComparison:
    return ChampionComparison(
        champion_version="3", auc_diff=diff, auc_diff_low=low, auc_diff_high=high
    )


@pytest.mark.parametrize(
    ("candidate", "comparison", "rows", "promote", "decision", "failing", "reason_part"),
    [
        pytest.param(
            GOOD, champion(0.02, 0.005, 0.03), 1500, True, "promoted", [], "every gate passed",
            id="all-pass-promoted",
        ),
        pytest.param(
            GOOD, None, 1000, True, "promoted", [], "every gate passed",
            id="no-champion-exactly-min-rows",
        ),
        pytest.param(
            GOOD, champion(0.02, 0.005, 0.03), 999, True, "deferred", ["min_labeled_rows"],
            "999 labeled rows < min_labeled_rows 1000",
            id="too-few-labels-deferred",
        ),
        pytest.param(
            None, None, 10, True, "deferred", ["min_labeled_rows"], "deferred until labels arrive",
            id="deferred-needs-no-candidate",
        ),
        pytest.param(
            CandidateMetrics(auc=0.80, average_precision=0.45), None, 2000, True, "blocked",
            ["min_auc"], "min_auc: auc 0.8000 < 0.8200",
            id="auc-below-gate",
        ),
        pytest.param(
            CandidateMetrics(auc=0.90, average_precision=0.10), None, 2000, True, "blocked",
            ["min_average_precision"], "min_average_precision: average_precision 0.1000 < 0.2000",
            id="ap-below-gate",
        ),
        pytest.param(
            GOOD, champion(0.001, -0.02, 0.015), 2000, True, "blocked",
            ["max_regression_vs_champion"], "lower bound -0.0200 of auc_diff_vs_champion < -0.0100",
            id="regression-bound-blocks-though-point-estimate-improves",
        ),
        pytest.param(
            GOOD, champion(-0.005, -0.01, 0.0), 2000, True, "promoted", [], "every gate passed",
            id="regression-bound-exactly-at-limit-passes",
        ),
        pytest.param(
            CandidateMetrics(auc=0.70, average_precision=0.05), champion(-0.1, -0.15, -0.05), 2000,
            True, "blocked", ["min_auc", "min_average_precision", "max_regression_vs_champion"],
            "min_auc: auc 0.7000 < 0.8200; min_average_precision",
            id="every-failing-gate-named",
        ),
        pytest.param(
            GOOD, champion(0.02, 0.005, 0.03), 2000, False, "blocked", [],
            "promote_if_quality_gates_pass is false",
            id="gates-pass-but-promotion-disabled",
        ),
    ],
)  # fmt: skip
def test_judge_release(
    candidate: CandidateMetrics | None,
    comparison: ChampionComparison | None,
    rows: int,
    promote: bool,
    decision: str,
    failing: list[str],
    reason_part: str,
) -> None:
    verdict = judge_release(
        rows, GATES, promote_if_gates_pass=promote, candidate=candidate, champion=comparison
    )

    assert verdict.decision == decision
    assert [gate.gate for gate in verdict.gates if not gate.passed] == failing
    assert reason_part in verdict.reason


def test_every_gate_is_reported_with_threshold_value_and_interval() -> None:
    gates = evaluate_gates(GOOD, champion(0.02, 0.005, 0.03), 1500, GATES)

    assert [(g.gate, g.metric, g.threshold, g.value, g.interval, g.passed) for g in gates] == [
        ("min_labeled_rows", "labeled_rows", 1000, 1500, None, True),
        ("min_auc", "auc", 0.82, 0.90, None, True),
        ("min_average_precision", "average_precision", 0.20, 0.45, None, True),
        ("max_regression_vs_champion", "auc_diff_vs_champion", -0.01, 0.02, (0.005, 0.03), True),
    ]


def test_without_a_champion_the_regression_gate_passes_with_no_value() -> None:
    regression = evaluate_gates(GOOD, None, 1500, GATES)[-1]

    assert (regression.value, regression.interval, regression.passed) == (None, None, True)


def test_deferred_verdict_lists_only_the_labeled_rows_gate() -> None:
    verdict = judge_release(10, GATES, promote_if_gates_pass=True)

    assert verdict.gates == [labeled_rows_gate(10, GATES)]


def test_enough_labels_without_candidate_metrics_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="candidate metrics are required"):
        judge_release(1000, GATES, promote_if_gates_pass=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"auc_diff": 0.0, "auc_diff_low": 0.01, "auc_diff_high": -0.01},
        {"auc_diff": 0.0, "auc_diff_low": -2.0, "auc_diff_high": 0.0},
    ],
)
def test_comparison_rejects_an_impossible_interval(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        ChampionComparison(champion_version="3", **fields)


def test_metrics_reject_values_outside_zero_one() -> None:
    with pytest.raises(ValidationError):
        CandidateMetrics(auc=1.2, average_precision=0.3)
