"""The Planner's pure decision: action by policy, rollback after a promotion, approval, replay."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

import pytest

from driftwatch.agents.planner_logic import (
    PlannerState,
    Promotion,
    plan_for,
    plans_over,
)
from driftwatch.agents.sentinel_logic import SentinelState, on_summary
from driftwatch.contracts.events import (
    DriftDetected,
    Event,
    IncidentResolved,
    PlanCreated,
    ReleaseDecided,
    derived_event_id,
)
from driftwatch.contracts.policy import LoadedPolicy, load_shipped_policy
from driftwatch.contracts.vocabulary import IncidentType, Severity
from tests.unit.test_sentinel_logic import summary

MODEL = "fraud-detector"
PROMOTION = load_shipped_policy("promotion")
STRICT = load_shipped_policy("strict")
DEMO = load_shipped_policy("demo")


def incident(
    incident_type: IncidentType,
    severity: Severity = "medium",
    *,
    version: str = "2",
    window: int | None = 1,
    name: str = "i",
) -> DriftDetected:
    return DriftDetected(
        event_id=uuid5(NAMESPACE_URL, f"event/{name}"),
        incident_id=uuid5(NAMESPACE_URL, f"incident/{name}"),
        incident_type=incident_type,
        severity=severity,
        window_of_version=window,
        recommended_action="noop",
        model_name=MODEL,
        model_version=version,
        window_id=f"window-{name}",
        dataset_uri=f"file:///var/data/{name}.parquet",
        labeled_rows=1500,
    )


def released(
    decision: str, alias: str | None = "production", version: str = "2", previous: str | None = "1"
) -> ReleaseDecided:
    return ReleaseDecided(
        decision=decision,  # type: ignore[arg-type]
        model_name=MODEL,
        alias=alias,  # type: ignore[arg-type]
        candidate_version=version,
        previous_version=previous,
    )


PROMOTED = [released("promoted")]


@pytest.mark.parametrize(
    ("policy", "history", "item", "action", "held", "alias", "note"),
    [
        pytest.param(PROMOTION, [], incident("feature_drift"), "retrain_and_evaluate", None,
                     "staging", None, id="medium-drift-retrains"),
        pytest.param(PROMOTION, [], incident("feature_drift", "low"), "noop", None, "staging",
                     None, id="low-drift-noop"),
        pytest.param(PROMOTION, [], incident("shock", "high"), "hold_for_approval",
                     "retrain_and_evaluate", "staging", None, id="shock-held"),
        pytest.param(DEMO, [], incident("feature_drift", "high"), "retrain_and_evaluate", None,
                     "production", None, id="demo-promotes-to-production"),
        pytest.param(PROMOTION, PROMOTED, incident("concept_drift", window=3), "rollback", None,
                     "production", None, id="concept-soon-after-promotion-rolls-back"),
        pytest.param(PROMOTION, PROMOTED, incident("concept_drift", "low", window=1), "rollback",
                     None, "production", None, id="even-low-severity-rolls-back"),
        pytest.param(PROMOTION, PROMOTED, incident("performance_degradation", "high", window=5),
                     "rollback", None, "production", None, id="last-window-of-the-limit"),
        pytest.param(PROMOTION, PROMOTED, incident("concept_drift", window=6),
                     "retrain_and_evaluate", None, "staging", "window 6 of version 2 > 5",
                     id="past-the-limit-retrains"),
        pytest.param(PROMOTION, PROMOTED, incident("feature_drift", window=1),
                     "retrain_and_evaluate", None, "staging", None,
                     id="feature-drift-never-rolls-back"),
        pytest.param(PROMOTION, PROMOTED, incident("concept_drift", version="1"),
                     "retrain_and_evaluate", None, "staging", None,
                     id="incident-on-another-version"),
        pytest.param(PROMOTION, [*PROMOTED, released("rolled_back")], incident("concept_drift"),
                     "retrain_and_evaluate", None, "staging", None,
                     id="nothing-to-undo-after-a-rollback"),
        pytest.param(PROMOTION, [released("promoted", previous=None)], incident("concept_drift"),
                     "retrain_and_evaluate", None, "staging", "the promotion replaced no version",
                     id="first-model-cannot-roll-back"),
        pytest.param(PROMOTION, [released("promoted", alias="staging")], incident("concept_drift"),
                     "retrain_and_evaluate", None, "staging", None,
                     id="staging-promotion-is-not-production"),
        pytest.param(PROMOTION, PROMOTED, incident("concept_drift", window=None),
                     "retrain_and_evaluate", None, "staging", "carries no window_of_version",
                     id="no-window-evidence-no-rollback"),
        pytest.param(STRICT, [], incident("feature_drift"), "hold_for_approval",
                     "retrain_and_evaluate", "staging", None, id="strict-holds-a-retrain"),
        pytest.param(STRICT, PROMOTED, incident("concept_drift", window=2), "hold_for_approval",
                     "rollback", "production", None, id="strict-holds-a-rollback"),
        pytest.param(STRICT, [], incident("concept_drift", "low"), "noop", None, "staging", None,
                     id="strict-lets-noop-through"),
    ],
)  # fmt: skip
def test_plan_action(
    policy: LoadedPolicy,
    history: list[Event],
    item: DriftDetected,
    action: str,
    held: str | None,
    alias: str,
    note: str | None,
) -> None:
    plan = plan_for(item, PlannerState.rebuilt(history), policy)

    assert (plan.action, plan.held_action, plan.target_alias) == (action, held, alias)
    if note is not None:
        assert note in plan.reason


def test_plan_carries_every_field_plan_created_needs() -> None:
    item = incident("feature_drift", "high")

    plan = plan_for(item, PlannerState(), PROMOTION)
    event = plan.event(item)

    assert isinstance(event, PlanCreated)
    assert event.plan_id == derived_event_id(item.event_id, "planner/plan")
    assert (event.correlation_id, event.causation_id) == (item.correlation_id, item.event_id)
    assert event.event_id == derived_event_id(item.event_id, "planner")
    assert (event.incident_id, event.incident_type, event.severity) == (
        item.incident_id,
        "feature_drift",
        "high",
    )
    assert (event.model_name, event.model_version) == (MODEL, "2")
    assert (event.dataset_uri, event.labeled_rows) == (item.dataset_uri, 1500)
    assert event.gates == PROMOTION.policy.quality_gates
    assert event.promote_if_gates_pass is True
    assert (event.policy_version, event.policy_sha256) == (3, PROMOTION.sha256)
    assert event.reason == "high feature_drift: drift_policy.on_high: retrain_and_evaluate"


def test_plan_is_deterministic() -> None:
    item = incident("concept_drift", window=2)
    state = PlannerState.rebuilt(PROMOTED)

    assert plan_for(item, state, STRICT) == plan_for(item, state, STRICT)


def test_retrain_steps_spell_out_labels_gates_and_alias() -> None:
    plan = plan_for(incident("feature_drift"), PlannerState(), PROMOTION)

    assert plan.steps == [
        "need at least 1000 labeled rows in window window-i (it has 1500), else defer",
        "retrain on the window's labeled rows plus the reference data",
        "evaluate the candidate and production on the same held-out recent rows",
        "gates: AUC >= 0.82, average precision >= 0.2, lower bound of AUC vs production >= -0.01",
        "register the candidate; move alias 'staging' to it if every gate passes, else block",
    ]


def test_held_rollback_steps_name_the_approval_and_the_target() -> None:
    plan = plan_for(incident("concept_drift"), PlannerState.rebuilt(PROMOTED), STRICT)

    assert plan.steps == [
        f"wait for `driftwatch approve {plan.plan_id}` or `driftwatch reject {plan.plan_id}`",
        "on approval: move alias 'production' of fraud-detector back to 'previous-production' "
        "(version 1)",
        "on approval: leave version 2 registered for inspection",
    ]
    assert "release_policy.require_approval" in plan.reason


def test_noop_steps() -> None:
    plan = plan_for(incident("feature_drift", "low"), PlannerState(), PROMOTION)

    assert plan.steps == ["record the incident; change nothing"]


def test_state_folds_release_events_and_ignores_the_rest() -> None:
    promoted = released("promoted", version="5", previous="4")
    history: list[Event] = [
        incident("feature_drift"),
        released("blocked", alias=None),
        promoted,
        released("promoted", alias="staging", version="6", previous="5"),
        IncidentResolved(incident_id=uuid5(NAMESPACE_URL, "x"), how="released", model_name=MODEL),
    ]

    state = PlannerState.rebuilt(history)

    assert state.promotions == {
        MODEL: Promotion(version="5", previous_version="4", release_event_id=promoted.event_id)
    }
    assert state.fold(promoted) == state
    assert PlannerState.model_validate_json(state.model_dump_json()) == state


def test_replay_under_the_policy_in_force_reproduces_the_live_decisions() -> None:
    events: list[Event] = [
        incident("feature_drift", "medium", version="1", name="a"),
        released("promoted", version="2", previous="1"),
        incident("concept_drift", "medium", window=2, name="b"),
        incident("shock", "high", window=3, name="c"),
        released("rolled_back"),
        incident("concept_drift", "high", window=4, name="d"),
        incident("feature_drift", "low", window=5, name="e"),
    ]
    live, state = [], PlannerState()
    for event in events:
        if isinstance(event, DriftDetected):
            live.append(plan_for(event, state, PROMOTION))
        state = state.fold(event)

    replayed = [plan for _, plan in plans_over(events, PROMOTION)]

    assert replayed == live
    assert [plan.action for plan in live] == [
        "retrain_and_evaluate",
        "rollback",
        "hold_for_approval",
        "retrain_and_evaluate",
        "noop",
    ]


def test_replay_under_a_stricter_policy_changes_exactly_the_plans_that_act() -> None:
    events: list[Event] = [
        incident("feature_drift", "medium", version="1", name="a"),
        released("promoted", version="2", previous="1"),
        incident("concept_drift", "medium", window=2, name="b"),
        incident("feature_drift", "low", window=3, name="c"),
        incident("shock", "high", window=4, name="d"),
    ]

    before = plans_over(events, PROMOTION)
    after = plans_over(events, STRICT)

    changed = [
        (item.incident_id, old.action, new.action, new.held_action)
        for (item, old), (_, new) in zip(before, after, strict=True)
        if (old.action, old.held_action) != (new.action, new.held_action)
    ]
    assert changed == [
        (incident("feature_drift", name="a").incident_id, "retrain_and_evaluate",
         "hold_for_approval", "retrain_and_evaluate"),
        (incident("concept_drift", name="b").incident_id, "rollback", "hold_for_approval",
         "rollback"),
    ]  # fmt: skip
    assert all(new.policy_sha256 == STRICT.sha256 for _, new in after)


def test_a_sentinel_incident_soon_after_a_promotion_is_rolled_back() -> None:
    state = SentinelState(model_name=MODEL)
    windows = [summary(f"w{i}", version="2") for i in range(1, 3)]
    windows.append(summary("w3", version="2", drop_lower=0.05, labeled_rows=1500))
    for window in windows:
        outcome = on_summary(window, state, PROMOTION.policy)
        state = outcome.state
    (detected,) = outcome.events(windows[-1])
    assert isinstance(detected, DriftDetected)

    plan = plan_for(detected, PlannerState.rebuilt(PROMOTED), PROMOTION)

    assert detected.window_of_version == 3
    assert (plan.action, plan.target_alias) == ("rollback", "production")
