"""The Planner agent: ``DriftDetected`` -> ``PlanCreated`` under the policy in force.

A thin consumer of the ``planner`` group around ``planner_logic.plan_for``: it loads the promotion
history the Sentinel keeps (``state``), reads the policy (reloaded when its file changes) and
publishes the plan. The plan id derives from the incident event's id, so replicas and redeliveries
agree on it: one plan per incident.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from faststream import FastStream

from driftwatch.agents import state
from driftwatch.agents.planner_logic import plan_for
from driftwatch.agents.policy_watch import PolicyWatch, follow_policy
from driftwatch.bus.consumer import Handler, HandlerContext, consumer_app
from driftwatch.contracts.events import DriftDetected, Event, IncidentResolved
from driftwatch.settings import Settings

logger = logging.getLogger(__name__)

GROUP = "planner"


class Planner:
    """The Planner's handlers, bound to its settings and policy."""

    def __init__(self, settings: Settings, policies: PolicyWatch) -> None:
        self.settings = settings
        self.policies = policies

    def handlers(self) -> dict[type[Event], Handler]:
        """Event type -> handler, for ``consumer_app`` or a ``Consumer`` driven in-process."""
        return {DriftDetected: self.on_incident, IncidentResolved: self.on_resolved}

    async def on_incident(self, incident: DriftDetected, ctx: HandlerContext) -> Sequence[Event]:
        """Plan the response to an incident."""
        history = await state.load_planner(ctx.redis, self.settings, incident.model_name)
        decision = plan_for(incident, history, self.policies.current())
        logger.info(
            "incident %s (%s %s): plan %s %s under policy v%d",
            incident.incident_id,
            incident.severity,
            incident.incident_type,
            decision.plan_id,
            decision.action,
            decision.policy_version,
        )
        return [decision.event(incident)]

    async def on_resolved(self, resolved: IncidentResolved, ctx: HandlerContext) -> Sequence[Event]:
        """Nothing to plan: a resolution shares the incidents stream, so it is acked here."""
        return []


def create_app(settings: Settings | None = None, *, name: str | None = None) -> FastStream:
    """One Planner replica (``faststream run --factory driftwatch.agents.planner:create_app``).

    Raises:
        PolicyError: the policy file is unusable at start.
    """
    settings = settings or Settings()
    policies = PolicyWatch(GROUP, settings.policy_path)
    app = consumer_app(settings, GROUP, Planner(settings, policies).handlers(), name=name)
    follow_policy(app, policies)
    return app
