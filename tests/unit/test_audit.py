"""The audit trail under var/events/ and the incidents read back from it (no services)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from driftwatch.agents.audit import AuditTrail
from driftwatch.agents.incidents import TRAIL, find, incidents, read_trail
from driftwatch.agents.planner_logic import PlannerState, plan_for
from driftwatch.cli import app
from driftwatch.contracts.events import (
    AnyEvent,
    IncidentResolved,
    PlanApproved,
    ReleaseDecided,
)
from driftwatch.contracts.policy import load_shipped_policy
from tests.integration.test_agents_support import incident_for, summary


def chain() -> list[AnyEvent]:
    """A window, its incident, the plan, a hand-published approval, the release, the resolution."""
    policy = load_shipped_policy()
    window = summary("1", None, labeled_rows=3000)
    incident = incident_for(window, policy)
    plan = plan_for(incident, PlannerState(), policy).event(incident)
    approval = PlanApproved(plan_id=plan.plan_id, who="alice")  # a fresh correlation id
    decided = ReleaseDecided.caused_by(
        plan,
        "release",
        plan_id=plan.plan_id,
        incident_id=plan.incident_id,
        decision="promoted",
        model_name="fraud-detector",
        candidate_version="2",
        alias="staging",
    )
    resolved = IncidentResolved.caused_by(
        decided,
        "sentinel",
        incident_id=incident.incident_id,
        how="released",
        model_name="fraud-detector",
        model_version="1",
    )
    return [window, incident, plan, approval, decided, resolved]


def test_the_trail_holds_each_event_once_across_redeliveries_and_restarts(tmp_path: Path) -> None:
    events = chain()
    first = AuditTrail(tmp_path)
    assert all(first.record(event) for event in events)

    assert not first.record(events[1])
    assert not AuditTrail(tmp_path).record(events[2])  # a restarted audit process

    lines = (tmp_path / TRAIL).read_text().splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == [str(e.event_id) for e in events]


def test_the_latest_decisions_are_mirrored_as_in_the_original_design(tmp_path: Path) -> None:
    window, incident, plan, _, decided, _ = chain()
    trail = AuditTrail(tmp_path)
    for event in (window, incident, plan, decided):
        trail.record(event)
    older = decided.model_copy(
        update={"event_id": plan.plan_id, "occurred_at": decided.occurred_at - timedelta(hours=1)}
    )
    trail.record(older)

    def shown(name: str) -> dict[str, object]:
        return json.loads((tmp_path / name).read_text())

    assert shown("sentinel_report.json")["incident_type"] == incident.incident_type
    assert shown("sentinel_report.json")["recommended_action"] == "retrain_and_evaluate"
    assert shown("execution_plan.json")["plan_id"] == str(plan.plan_id)
    assert shown("release_result.json")["event_id"] == str(decided.event_id)


def test_an_incident_gathers_its_chain_even_a_hand_published_approval(tmp_path: Path) -> None:
    events = chain()
    path = tmp_path / TRAIL
    path.write_text("".join(e.model_dump_json() + "\n" for e in events) + "{cut short\n")

    trail = read_trail(path)
    (incident,) = incidents(trail.events)

    assert trail.unreadable == 1
    assert [e.event_type for e in incident.chain] == [e.event_type for e in events]
    assert incident.status == "resolved (released)"
    assert incident.plan is not None
    assert incident.plan.action == "retrain_and_evaluate"
    assert incident.decision is not None
    assert incident.decision.decision == "promoted"
    assert find([incident], str(incident.incident_id)[:6]) is incident
    with pytest.raises(LookupError, match="no incident"):
        find([incident], "ffffffff")


def test_the_incidents_commands_list_and_show_the_chain(tmp_path: Path) -> None:
    events = chain()
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / TRAIL).write_text("".join(e.model_dump_json() + "\n" for e in events))
    env = {"DRIFTWATCH_HOME": str(tmp_path)}
    incident_id = str(events[1].incident_id)  # type: ignore[union-attr]

    listed = CliRunner().invoke(app, ["incidents", "--json"], env=env)
    shown = CliRunner().invoke(app, ["incidents", "show", incident_id[:8]], env=env)

    assert listed.exit_code == 0, listed.output
    (row,) = [json.loads(line) for line in listed.output.splitlines()]
    assert (row["incident_id"], row["status"]) == (incident_id, "resolved (released)")
    assert (row["action"], row["decision"], row["events"]) == (
        "retrain_and_evaluate",
        "promoted",
        6,
    )
    assert shown.exit_code == 0, shown.output
    timeline = shown.output.splitlines()
    assert incident_id in timeline[0]
    assert [line.split()[2] for line in timeline[1:]] == [e.event_type for e in events]
    assert "approved by alice" in shown.output
    assert "promoted, staging -> 2" in shown.output
