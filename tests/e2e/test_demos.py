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
        pytest.param(
            "concept-drift",
            "concept_drift",
            "promoted",
            marks=pytest.mark.xfail(
                strict=False,
                reason="open in issue 8: the monitor's 99 % AUC-drop bound, which also counts the "
                "reference's noise (~60 frauds in the holdout), stays below the policy's medium "
                "level, so the performance drop raises no concept_drift incident",
            ),
        ),
        pytest.param(
            "black-friday",
            "shock",
            "held",
            marks=pytest.mark.xfail(
                strict=False,
                reason="open in issue 8: a one-day surge diluted over an 8 000-row demo window "
                "(volume x1.11, hourly shift 0.07) is classified feature_drift, not shock",
            ),
        ),
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
