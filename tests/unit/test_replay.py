"""``driftwatch replay``: the Planner rerun over a recorded trail under another policy.

The trail is recorded the way the running system records it: incidents from the pure Sentinel,
plans from the pure Planner under the policy then in force, a promotion in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftwatch.agents.planner_logic import PlannerState, plan_for
from driftwatch.agents.replay import replay, since_filter
from driftwatch.cli import app
from driftwatch.contracts.events import AnyEvent, DriftDetected, ReleaseDecided
from driftwatch.contracts.policy import LoadedPolicy, load_shipped_policy
from tests.integration.test_agents_support import incident_for, summary, write_policy


def recorded_trail(policy: LoadedPolicy) -> tuple[list[AnyEvent], dict[str, DriftDetected]]:
    """Four incidents planned under ``policy``: high drift (retrain), low drift (noop), a
    performance drop right after a promotion (rollback), and a shock (held for approval)."""
    drift = incident_for(summary("1", None, labeled_rows=3000, window_id="w1"), policy)
    low = incident_for(summary("1", None, labeled_rows=0, drift_share=0.1, window_id="w2"), policy)
    promoted = ReleaseDecided(
        decision="promoted",
        model_name="fraud-detector",
        candidate_version="2",
        previous_version="1",
        alias="production",
    )
    fall = incident_for(
        summary("2", None, labeled_rows=3000, drift_share=0, auc_drop=0.1, window_id="w3"), policy
    )
    shock = incident_for(summary("2", None, labeled_rows=0, window_id="w4"), policy)
    shock = shock.model_copy(update={"incident_type": "shock"})
    events: list[AnyEvent] = []
    state = PlannerState()
    for event in (drift, low, promoted, fall, shock):
        if isinstance(event, DriftDetected):
            events += [event, plan_for(event, state, policy).event(event)]
        else:
            events.append(event)
        state = state.fold(event)
    return events, {"drift": drift, "low": low, "fall": fall, "shock": shock}


def test_the_recorded_trail_holds_one_plan_of_each_kind() -> None:
    events, _ = recorded_trail(load_shipped_policy())
    report = replay(events, load_shipped_policy())
    assert [row.then.action for row in report.rows if row.then] == [
        "retrain_and_evaluate",
        "noop",
        "rollback",
        "hold_for_approval",
    ]


def test_replay_under_the_policy_in_force_changes_nothing() -> None:
    policy = load_shipped_policy()
    events, _ = recorded_trail(policy)

    report = replay(events, policy)

    assert len(report.rows) == 4
    assert report.changed == []
    assert all(row.now.plan_id == row.then.plan_id for row in report.rows if row.then)


def test_requiring_approval_holds_exactly_the_plans_that_act() -> None:
    events, incidents = recorded_trail(load_shipped_policy())

    report = replay(events, load_shipped_policy("strict"))

    changed = {row.incident.incident_id: row for row in report.changed}
    assert set(changed) == {incidents["drift"].incident_id, incidents["fall"].incident_id}
    fall = changed[incidents["fall"].incident_id]
    assert (fall.now.action, fall.now.held_action) == ("hold_for_approval", "rollback")
    assert fall.changes == [
        "action: rollback -> hold_for_approval",
        "held_action: None -> rollback",
    ]
    assert report.transitions() == {
        "retrain_and_evaluate -> hold_for_approval(retrain_and_evaluate)": 1,
        "rollback -> hold_for_approval(rollback)": 1,
    }


def test_a_stricter_gate_changes_only_the_plans_that_retrain(tmp_path: Path) -> None:
    events, incidents = recorded_trail(load_shipped_policy())
    stricter = write_policy(tmp_path / "p.yaml", version=4, quality_gates={"min_auc": 0.9})

    report = replay(events, stricter)

    # The held shock retrains once approved, so its gates matter too; noop and rollback do not.
    retraining = {incidents["drift"].incident_id, incidents["shock"].incident_id}
    assert {row.incident.incident_id for row in report.changed} == retraining
    assert all(row.changes == ["gates.min_auc: 0.82 -> 0.9"] for row in report.changed)
    assert report.transitions() == {
        "retrain_and_evaluate: gates or alias changed": 1,
        "hold_for_approval(retrain_and_evaluate): gates or alias changed": 1,
    }


def test_since_keeps_incidents_from_an_id_or_a_duration_back() -> None:
    events, incidents = recorded_trail(load_shipped_policy())
    now = datetime.now(UTC)

    from_fall = replay(
        events, load_shipped_policy(), since_filter(str(incidents["fall"].incident_id), events, now)
    )
    recent = replay(events, load_shipped_policy(), since_filter("1h", events, now))
    future = replay(
        events, load_shipped_policy(), since_filter("1s", events, now + timedelta(hours=1))
    )

    assert [row.incident.window_id for row in from_fall.rows] == ["w3", "w4"]
    assert len(recent.rows) == 4
    assert future.rows == []
    with pytest.raises(ValueError, match="duration"):
        since_filter("yesterday", events, now)


def test_the_command_prints_each_incident_and_what_changes(tmp_path: Path) -> None:
    events, _ = recorded_trail(load_shipped_policy())
    trail = tmp_path / "events.jsonl"
    trail.write_text("".join(event.model_dump_json() + "\n" for event in events))
    strict = Path(str(load_shipped_policy("strict").path))

    result = CliRunner().invoke(
        app, ["replay", "--policy", str(strict), "--events", str(trail)], terminal_width=200
    )

    assert result.exit_code == 0, result.output
    assert "replay of 4 incident(s)" in result.output
    assert "2 changed" in result.output
    assert "rollback -> hold_for_approval(rollback): 1" in result.output
    assert "unchanged: 2" in result.output
