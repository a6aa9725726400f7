"""Quality gates: whether a retrained candidate may take the policy's alias.

Pure: the Release agent trains and evaluates, then hands the numbers here. Every gate is reported,
passed or not, so a ``ReleaseDecided`` shows exactly how close a blocked candidate came.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from driftwatch.contracts.events import GateResult
from driftwatch.contracts.policy import QualityGates

GateDecision = Literal["promoted", "blocked", "deferred"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CandidateMetrics(_Frozen):
    """The candidate's scores on the recent holdout."""

    auc: float = Field(ge=0, le=1, description="ROC AUC.")
    average_precision: float = Field(ge=0, le=1)


class ChampionComparison(_Frozen):
    """Candidate against production on the same holdout rows (a paired bootstrap).

    Pairing matters: both models are scored on each resample, so the interval is of the
    difference itself and not of two noisy AUCs compared afterwards.
    """

    champion_version: str = Field(min_length=1, description="The production version compared.")
    auc_diff: float = Field(ge=-1, le=1, description="candidate AUC - champion AUC.")
    auc_diff_low: float = Field(ge=-1, le=1, description="Lower bound of the bootstrap interval.")
    auc_diff_high: float = Field(ge=-1, le=1, description="Upper bound of the bootstrap interval.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.auc_diff_low > self.auc_diff_high:
            raise ValueError("auc_diff_low must not exceed auc_diff_high")
        return self


class GateVerdict(_Frozen):
    """The release decision the gates allow, with every gate and a readable reason."""

    decision: GateDecision
    gates: list[GateResult]
    reason: str


def labeled_rows_gate(labeled_rows: int, gates: QualityGates) -> GateResult:
    """Enough labels to judge a candidate at all; checked before any training is spent."""
    return GateResult(
        gate="min_labeled_rows",
        metric="labeled_rows",
        threshold=gates.min_labeled_rows,
        value=labeled_rows,
        passed=labeled_rows >= gates.min_labeled_rows,
    )


def evaluate_gates(
    candidate: CandidateMetrics,
    champion: ChampionComparison | None,
    labeled_rows: int,
    gates: QualityGates,
) -> list[GateResult]:
    """Every gate of ``gates`` for a candidate, in policy order.

    Args:
        candidate: The candidate's holdout metrics.
        champion: The paired comparison with production; None when nothing is in production
            yet, in which case the regression gate passes with no value.
        labeled_rows: Labeled rows the candidate was trained and judged on.
        gates: The policy's quality gates.
    """
    bound = -gates.max_regression_vs_champion
    return [
        labeled_rows_gate(labeled_rows, gates),
        GateResult(
            gate="min_auc",
            metric="auc",
            threshold=gates.min_auc,
            value=candidate.auc,
            passed=candidate.auc >= gates.min_auc,
        ),
        GateResult(
            gate="min_average_precision",
            metric="average_precision",
            threshold=gates.min_average_precision,
            value=candidate.average_precision,
            passed=candidate.average_precision >= gates.min_average_precision,
        ),
        GateResult(
            gate="max_regression_vs_champion",
            metric="auc_diff_vs_champion",
            threshold=bound,
            value=champion.auc_diff if champion else None,
            interval=(champion.auc_diff_low, champion.auc_diff_high) if champion else None,
            passed=champion is None or champion.auc_diff_low >= bound,
        ),
    ]


def judge_release(
    labeled_rows: int,
    gates: QualityGates,
    *,
    promote_if_gates_pass: bool,
    candidate: CandidateMetrics | None = None,
    champion: ChampionComparison | None = None,
) -> GateVerdict:
    """``deferred`` below ``min_labeled_rows``; else ``promoted`` when every gate passes and the
    plan allows promotion; else ``blocked`` naming the failing gates.

    Args:
        labeled_rows: Labeled rows available for the incident window.
        gates: The plan's quality gates.
        promote_if_gates_pass: The plan's ``promote_if_gates_pass``.
        candidate: The candidate's metrics; may be None only when the release is deferred,
            since labels are checked before training.
        champion: The paired comparison with production (None: no production model yet).

    Raises:
        ValueError: enough labeled rows but no candidate metrics.
    """
    rows_gate = labeled_rows_gate(labeled_rows, gates)
    if not rows_gate.passed:
        reason = (
            f"{labeled_rows} labeled rows < min_labeled_rows {gates.min_labeled_rows}: "
            "deferred until labels arrive"
        )
        return GateVerdict(decision="deferred", gates=[rows_gate], reason=reason)
    if candidate is None:
        raise ValueError("candidate metrics are required once labeled rows reach the minimum")
    results = evaluate_gates(candidate, champion, labeled_rows, gates)
    failing = [_failure(result) for result in results if not result.passed]
    if failing:
        return GateVerdict(decision="blocked", gates=results, reason="; ".join(failing))
    if not promote_if_gates_pass:
        reason = "every gate passed; promote_if_quality_gates_pass is false, so no alias moved"
        return GateVerdict(decision="blocked", gates=results, reason=reason)
    return GateVerdict(decision="promoted", gates=results, reason="every gate passed")


def _failure(result: GateResult) -> str:
    if result.interval is not None:
        return (
            f"{result.gate}: lower bound {result.interval[0]:.4f} of {result.metric} "
            f"< {result.threshold:.4f}"
        )
    return f"{result.gate}: {result.metric} {result.value:.4f} < {result.threshold:.4f}"
