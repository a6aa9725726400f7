"""The three demos of the original design, end to end on the session's local stack.

Each runs ``driftwatch demo NAME`` as a user would: it trains a baseline, puts it in production,
streams the scenario through the API with delayed labels, and follows monitor -> Sentinel ->
Planner -> Release; it exits 0 only when the scenario's expected decision happened.
"""

from __future__ import annotations

import pytest

from tests.fixtures.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

DEMO_TIMEOUT_S = 600


@pytest.mark.parametrize(
    ("demo", "incident", "decision"),
    [
        ("feature-drift", "feature_drift", "promoted"),
        ("concept-drift", "concept_drift", "promoted"),
        ("black-friday", "shock", "held"),
    ],
)
def test_demo_reaches_its_expected_decision(
    local_stack: LocalStack, demo: str, incident: str, decision: str
) -> None:
    done = local_stack.driftwatch("demo", demo, timeout=DEMO_TIMEOUT_S)

    story = done.stdout + done.stderr
    assert done.returncode == 0, story[-6000:]
    assert "the expected outcome happened" in story
    assert f"{incident} incident" in story
    assert f"release: {decision}" in story
    assert "incident timeline" in story
    assert "no stack runs" not in story  # it used the running stack, not one of its own
