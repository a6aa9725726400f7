"""Policy.respond and the decision table: severity x incident type -> action, approval applied."""

from __future__ import annotations

from typing import Any

import pytest

from driftwatch.contracts.policy import Policy, load_shipped_policy
from driftwatch.contracts.vocabulary import INCIDENT_TYPES, SEVERITIES

RETRAIN = ("retrain_and_evaluate", None)
NOOP = ("noop", None)
HOLD_RETRAIN = ("hold_for_approval", "retrain_and_evaluate")
HOLD_ROLLBACK = ("hold_for_approval", "rollback")


def table_of(policy: Policy, **kwargs: Any) -> dict[str, dict[str, tuple[str, str | None]]]:
    return {
        incident_type: {
            severity: (response.action, response.held_action) for severity, response in row.items()
        }
        for incident_type, row in policy.decision_table(**kwargs).items()
    }


def variant(**changes: Any) -> Policy:
    """The promotion policy with some sections replaced (plain dicts, validated)."""
    data = load_shipped_policy("promotion").policy.model_dump()
    for section, value in changes.items():
        data[section] = {**data[section], **value}
    return Policy.model_validate(data)


def test_promotion_table() -> None:
    drift_row = {"none": NOOP, "low": NOOP, "medium": RETRAIN, "high": RETRAIN}

    assert table_of(load_shipped_policy("promotion").policy) == {
        "feature_drift": drift_row,
        "concept_drift": drift_row,
        "shock": {"none": NOOP, "low": HOLD_RETRAIN, "medium": HOLD_RETRAIN, "high": HOLD_RETRAIN},
        "performance_degradation": drift_row,
    }


def test_strict_table_holds_everything_that_acts() -> None:
    held_row = {"none": NOOP, "low": NOOP, "medium": HOLD_RETRAIN, "high": HOLD_RETRAIN}

    assert table_of(load_shipped_policy("strict").policy) == {
        "feature_drift": held_row,
        "concept_drift": held_row,
        "shock": {"none": NOOP, "low": HOLD_RETRAIN, "medium": HOLD_RETRAIN, "high": HOLD_RETRAIN},
        "performance_degradation": held_row,
    }


def test_demo_table_is_the_promotion_table() -> None:
    assert table_of(load_shipped_policy("demo").policy) == table_of(
        load_shipped_policy("promotion").policy
    )


@pytest.mark.parametrize(
    ("policy_name", "expected"),
    [("promotion", ("rollback", None)), ("strict", HOLD_ROLLBACK)],
)
def test_rollback_replaces_the_response_and_approval_still_holds_it(
    policy_name: str, expected: tuple[str, str | None]
) -> None:
    policy = load_shipped_policy(policy_name).policy

    for severity in ("low", "medium", "high"):
        response = policy.respond(severity, "concept_drift", rollback_due=True)
        assert (response.action, response.held_action) == expected
        assert "rollback_within_windows=5" in response.reason


@pytest.mark.parametrize(
    ("policy", "severity", "incident_type", "expected", "reason_part"),
    [
        pytest.param(
            variant(drift_policy={"by_incident_type": {"concept_drift": {"action": "noop"}}}),
            "high",
            "concept_drift",
            NOOP,
            "by_incident_type.concept_drift: noop",
            id="override-replaces-the-severity-rule",
        ),
        pytest.param(
            variant(drift_policy={"by_incident_type": {"feature_drift": {"action": "rollback"}}}),
            "none",
            "feature_drift",
            NOOP,
            "drift_policy.on_none: noop",
            id="override-ignored-at-severity-none",
        ),
        pytest.param(
            variant(drift_policy={"on_high": {"action": "hold_for_approval"}}),
            "high",
            "feature_drift",
            HOLD_RETRAIN,
            "approval runs retrain_and_evaluate",
            id="bare-hold-holds-a-retrain",
        ),
        pytest.param(
            variant(release_policy={"require_approval": True}),
            "low",
            "feature_drift",
            NOOP,
            "drift_policy.on_low: noop",
            id="approval-never-holds-noop",
        ),
        pytest.param(
            variant(release_policy={"require_approval": True}),
            "medium",
            "shock",
            HOLD_RETRAIN,
            "by_incident_type.shock: hold_for_approval",
            id="approval-and-hold-override-hold-once",
        ),
    ],
)
def test_respond_edge_cases(
    policy: Policy,
    severity: str,
    incident_type: str,
    expected: tuple[str, str | None],
    reason_part: str,
) -> None:
    response = policy.respond(severity, incident_type)  # type: ignore[arg-type]

    assert (response.action, response.held_action) == expected
    assert reason_part in response.reason


def test_decision_table_covers_every_pair() -> None:
    table = load_shipped_policy("promotion").policy.decision_table()

    assert list(table) == list(INCIDENT_TYPES)
    assert all(list(row) == list(SEVERITIES) for row in table.values())
