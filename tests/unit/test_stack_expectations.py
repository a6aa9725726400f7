"""What each demo requires, judged on hand-made stories (no stack)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from driftwatch.contracts.events import (
    AnyEvent,
    DriftDetected,
    MonitoringSummary,
    PlanCreated,
    ReleaseDecided,
    parse_event,
)
from driftwatch.stack import expectations
from driftwatch.stack.expectations import Story

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "v1"


def fixture(name: str, **changes: Any) -> Any:
    event = parse_event(json.loads((FIXTURES / f"{name}.json").read_text()))
    return event.model_copy(update={"event_id": uuid.uuid4(), **changes})


def chain(
    incident_type: str, action: str, decision: str, alias: str | None, **incident: Any
) -> list[AnyEvent]:
    """An incident on v3, its plan and the plan's release of candidate v4."""
    detected: DriftDetected = fixture(
        "DriftDetected", incident_id=uuid.uuid4(), incident_type=incident_type, **incident
    )
    plan: PlanCreated = fixture(
        "PlanCreated", plan_id=uuid.uuid4(), incident_id=detected.incident_id, action=action
    )
    release: ReleaseDecided = fixture(
        "ReleaseDecided",
        plan_id=plan.plan_id,
        incident_id=detected.incident_id,
        decision=decision,
        alias=alias,
        candidate_version="4",
    )
    return [detected, plan, release]


def summary(drift_severity: str, **changes: Any) -> MonitoringSummary:
    return fixture("MonitoringSummary", drift_severity=drift_severity, **changes)


def passed(checks: list[expectations.Check]) -> list[bool]:
    return [check.passed for check in checks]


def test_feature_drift_passes_when_the_retrained_version_takes_production() -> None:
    events = chain("feature_drift", "retrain_and_evaluate", "promoted", "production")

    checks = expectations.feature_drift(Story(events, "3", "4"))

    assert passed(checks) == [True, True, True, True]


def test_feature_drift_fails_on_a_blocked_candidate_and_says_what_happened() -> None:
    events = chain("feature_drift", "retrain_and_evaluate", "blocked", None)

    checks = expectations.feature_drift(Story(events, "3", "3"))

    assert passed(checks) == [True, True, False, False]
    assert "blocked v4" in checks[2].observed
    assert checks[3].observed == "production v3 -> v3"


def test_feature_drift_promoted_to_staging_does_not_move_production() -> None:
    events = chain("feature_drift", "retrain_and_evaluate", "promoted", "staging")

    checks = expectations.feature_drift(Story(events, "3", "3"))

    assert passed(checks) == [True, True, True, False]


def test_feature_drift_needs_an_incident_of_that_type() -> None:
    events = chain("shock", "retrain_and_evaluate", "promoted", "production")

    checks = expectations.feature_drift(Story(events, "3", "4"))

    assert passed(checks) == [False, False, False, False]
    assert checks[0].observed == "incidents seen: shock (high)"


def test_concept_drift_passes_with_calm_features_and_a_labeled_incident() -> None:
    events: list[AnyEvent] = [summary("none"), summary("low")]
    events += chain(
        "concept_drift", "retrain_and_evaluate", "promoted", "production", labeled_rows=2000
    )

    assert passed(expectations.concept_drift(Story(events, "3", "4"))) == [True] * 4


def test_concept_drift_fails_when_the_features_drifted_medium() -> None:
    events: list[AnyEvent] = [summary("none"), summary("medium")]
    events += chain(
        "concept_drift", "retrain_and_evaluate", "promoted", "production", labeled_rows=2000
    )

    checks = expectations.concept_drift(Story(events, "3", "4"))

    assert passed(checks) == [False, True, True, True]
    assert "low, medium" not in checks[0].observed
    assert "medium" in checks[0].observed


def test_concept_drift_must_come_from_labels() -> None:
    events: list[AnyEvent] = [summary("none")]
    events += chain(
        "concept_drift", "retrain_and_evaluate", "promoted", "production", labeled_rows=0
    )

    assert passed(expectations.concept_drift(Story(events, "3", "4")))[1] is False


def test_black_friday_passes_when_the_shock_is_held_and_production_stays() -> None:
    events = chain("shock", "hold_for_approval", "held", None)

    assert passed(expectations.black_friday(Story(events, "3", "3"))) == [True] * 4


@pytest.mark.parametrize(
    ("decision", "alias", "production"),
    [("promoted", "production", "4"), ("rolled_back", "production", "2")],
)
def test_black_friday_fails_when_production_moved(
    decision: str, alias: str, production: str
) -> None:
    events = chain("shock", "hold_for_approval", "held", None)
    events += chain("feature_drift", "retrain_and_evaluate", decision, alias)

    checks = expectations.black_friday(Story(events, "3", production))

    assert passed(checks) == [True, True, True, False]
    assert f"production is v{production}" in checks[3].observed
