"""Policy replay: what a policy would have decided about the incidents already recorded.

The Planner's decision is a pure function of (incident, promotion history, policy), so rerunning
``planner_logic.plans_over`` over the audit trail under another policy shows, per incident, the
plan made then and the plan the policy would make now. Reviewing that before a policy goes live
is the point: under the policy in force nothing changes; a stricter one changes exactly the
incidents it should. The promotion history is rebuilt from every recorded ``ReleaseDecided``,
including those before ``since``, since a rollback depends on the promotion that came before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import BaseModel

from driftwatch.agents.planner_logic import PlanDecision, plans_over
from driftwatch.contracts.events import AnyEvent, DriftDetected, PlanCreated
from driftwatch.contracts.policy import LoadedPolicy

ACTIONS = ("action", "held_action")
"""Plan fields compared for every incident."""
RELEASE_TERMS = ("target_alias", "promote_if_gates_pass", "gates")
"""Plan fields compared only when the plan retrains: nothing else reads them."""

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Replayed:
    """One recorded incident announcement, the plan made then and the plan replayed now."""

    incident: DriftDetected
    then: PlanCreated | None
    now: PlanDecision

    @property
    def changes(self) -> list[str]:
        """``field: then -> now`` for every field that alters what the Release agent does."""
        if self.then is None:
            return ["no plan was recorded"]
        retrains = "retrain_and_evaluate" in (_runs(self.then), _runs(self.now))
        compared = ACTIONS + (RELEASE_TERMS if retrains else ())
        return [
            change
            for name in compared
            for change in _differences(name, getattr(self.then, name), getattr(self.now, name))
        ]


@dataclass(frozen=True)
class ReplayReport:
    """Every replayed incident, oldest first, under one policy."""

    policy: LoadedPolicy
    rows: list[Replayed]

    @property
    def changed(self) -> list[Replayed]:
        return [row for row in self.rows if row.changes]

    def transitions(self) -> Counter[str]:
        """How many changed incidents moved from one action to another (``a -> b``), or kept
        their action with other terms changed (``a: gates or alias changed``)."""
        return Counter(_transition(row) for row in self.changed)


def replay(
    events: Sequence[AnyEvent],
    policy: LoadedPolicy,
    since: Callable[[AnyEvent], bool] | None = None,
) -> ReplayReport:
    """Replan every ``DriftDetected`` of ``events`` (time-ordered) under ``policy``.

    Args:
        events: A trail (``incidents.read_trail``), oldest first.
        policy: The policy to judge the past with.
        since: Keeps the rows whose incident event it accepts (``since_filter``); None: all.
    """
    recorded = {e.causation_id: e for e in events if isinstance(e, PlanCreated)}
    rows = [
        Replayed(incident=incident, then=recorded.get(incident.event_id), now=plan)
        for incident, plan in plans_over(events, policy)
        if since is None or since(incident)
    ]
    return ReplayReport(policy=policy, rows=rows)


def since_filter(
    value: str, events: Sequence[AnyEvent], now: datetime
) -> Callable[[AnyEvent], bool]:
    """``--since``: a duration back from ``now`` (``30m``, ``2h``, ``7d``) or an event or
    incident id, keeping what happened from that event on.

    Raises:
        ValueError: neither a duration nor the id of a recorded event or incident.
    """
    match = _DURATION.match(value.strip())
    if match:
        cutoff = now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return lambda event: event.occurred_at >= cutoff
    try:
        wanted = UUID(value.strip())
    except ValueError:
        raise ValueError(
            f"--since takes a duration like 30m, 2h, 7d or an event/incident id, not {value!r}"
        ) from None
    for event in events:
        if wanted in (event.event_id, getattr(event, "incident_id", None)):
            start = event.occurred_at
            return lambda candidate: candidate.occurred_at >= start
    raise ValueError(f"no recorded event or incident has id {wanted}")


def _transition(row: Replayed) -> str:
    then = _action(row.then) if row.then else "none"
    now = _action(row.now)
    return f"{then}: gates or alias changed" if then == now else f"{then} -> {now}"


def _runs(plan: PlanCreated | PlanDecision) -> str:
    return plan.held_action or plan.action


def _action(plan: PlanCreated | PlanDecision) -> str:
    return f"{plan.action}({plan.held_action})" if plan.held_action else plan.action


def _differences(name: str, then: object, now: object) -> list[str]:
    if isinstance(then, BaseModel) and isinstance(now, BaseModel):
        old, new = then.model_dump(), now.model_dump()
        return [
            f"{name}.{key}: {old[key]} -> {new.get(key)}" for key in old if old[key] != new.get(key)
        ]
    return [] if then == now else [f"{name}: {then} -> {now}"]
