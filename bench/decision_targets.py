"""Issue 9's targets, judged on the measured rows of DriftWatch (the baseline's value beside it).

A target whose scenario was not run reads "not measured", never "met".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from decision_report import Row
from decision_world import LABEL_DELAY

MAX_FALSE_ALARMS = 0.01
MIN_STABLE_WINDOWS = 100
"""Fewer clean windows cannot resolve a 1 % rate (``--quick`` runs 25): not measured then."""
CONCEPT_AUC_TOLERANCE = 0.03
CONCEPT_ALLOWED_DELAY = LABEL_DELAY + 1
"""Windows after the first full-strength window: its labels arrive LABEL_DELAY windows later,
and the target allows one more window."""


@dataclass(frozen=True)
class Verdict:
    target: str
    met: bool | None
    driftwatch: str
    naive: str


def _find(rows: list[Row], scenario: str, system: str) -> Row | None:
    return next((r for r in rows if r.scenario == scenario and r.system == system), None)


def _per_scenario(
    rows: list[Row],
    target: str,
    scenario: str,
    passed: Callable[[Row], bool],
    shown: Callable[[Row], str],
) -> Verdict:
    ours, naive = _find(rows, scenario, "DriftWatch"), _find(rows, scenario, "naive")
    if ours is None or naive is None:
        return Verdict(target, None, "not measured", "not measured")
    return Verdict(target, passed(ours), shown(ours), shown(naive))


def _stable(rows: list[Row]) -> Verdict:
    target = f"stable: false-alarm windows <= {MAX_FALSE_ALARMS:.0%} (of >= {MIN_STABLE_WINDOWS})"
    found = _per_scenario(
        rows,
        target,
        "stable",
        lambda r: r.false_alarms[0] is not None and r.false_alarms[0] <= MAX_FALSE_ALARMS,
        lambda r: f"{r.false_alarms[0]:.1%} of {r.false_alarms[1]}",
    )
    ours = _find(rows, "stable", "DriftWatch")
    if ours is not None and ours.false_alarms[1] < MIN_STABLE_WINDOWS:
        return Verdict(target, None, found.driftwatch, found.naive)
    return found


def _delay(r: Row) -> str:
    return "missed" if r.delay_full is None else f"{r.delay_full:+d} windows vs ramp end"


def _worst_promotion(rows: list[Row]) -> str:
    judged = [c for r in rows for c in r.promotions_judged]
    if not judged:
        return "no promotion"
    worst = min(judged, key=lambda c: c.auc_diff)
    return f"{len(judged)} judged, worst ΔAUC {worst.auc_diff:+.3f} (CI high {worst.high:+.3f})"


def _system(rows: list[Row], system: str) -> list[Row]:
    return [r for r in rows if r.system == system]


def verdicts(rows: list[Row]) -> list[Verdict]:
    """Every target of issue 9, in its order."""
    ours, naive = _system(rows, "DriftWatch"), _system(rows, "naive")
    judged = [c for r in ours for c in r.promotions_judged]
    return [
        _stable(rows),
        *(
            _per_scenario(
                rows,
                f"{name}: detected by the first full window after the ramp",
                name,
                lambda r: r.delay_full is not None and r.delay_full <= 0,
                _delay,
            )
            for name in ("feature_drift", "black_friday")
        ),
        _per_scenario(
            rows,
            f"concept_drift: detected within one window after its labels arrive "
            f"(<= +{CONCEPT_ALLOWED_DELAY} vs ramp end)",
            "concept_drift",
            lambda r: r.delay_full is not None and r.delay_full <= CONCEPT_ALLOWED_DELAY,
            _delay,
        ),
        Verdict(
            "no promotion of a candidate worse than production (CI of ΔAUC below 0)",
            all(c.high >= 0 for c in judged) if ours else None,
            _worst_promotion(ours),
            _worst_promotion(naive),
        ),
        _per_scenario(
            rows,
            f"concept_drift: AUC after the release within {CONCEPT_AUC_TOLERANCE} of pre-drift",
            "concept_drift",
            lambda r: (
                r.auc_after is not None
                and r.auc_before is not None
                and r.auc_before - r.auc_after <= CONCEPT_AUC_TOLERANCE
            ),
            lambda r: f"before {_f(r.auc_before)}, after {_f(r.auc_after)}",
        ),
        Verdict(
            "no alias flapping: at most one promotion per incident",
            all(r.most_per_incident <= 1 for r in ours) if ours else None,
            f"most per incident: {max((r.most_per_incident for r in ours), default=0)}",
            f"production moves: {sum(r.production_moves for r in naive)} "
            f"over {len(naive)} scenarios",
        ),
    ]


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render(found: list[Verdict]) -> str:
    """The verdicts as a Markdown table."""
    lines = ["| target | DriftWatch | met? | naive baseline |", "|---|---|---|---|"]
    for v in found:
        met = "not measured" if v.met is None else ("met" if v.met else "**missed**")
        lines.append(f"| {v.target} | {v.driftwatch} | {met} | {v.naive} |")
    return "\n".join(lines)
