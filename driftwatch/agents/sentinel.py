"""The Sentinel agent: ``MonitoringSummary`` -> ``DriftDetected`` / ``IncidentResolved``.

A thin consumer of the ``sentinel`` group around ``sentinel_logic``: under the model's lock it loads
the incident state, calls the pure decision and queues the new state into the commit that
publishes the outcome. It also reads every ``ReleaseDecided``: a production move resolves open
incidents, and the Planner's promotion history is folded here (see ``state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from faststream import FastStream
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from driftwatch.agents import sentinel_logic, state
from driftwatch.agents.policy_watch import PolicyWatch, follow_policy
from driftwatch.bus.consumer import Handler, HandlerContext, consumer_app
from driftwatch.contracts.events import DriftDetected, Event, MonitoringSummary, ReleaseDecided
from driftwatch.contracts.vocabulary import INCIDENT_TYPES
from driftwatch.settings import Settings

GROUP = "sentinel"


@cache
def incidents_opened(registry: CollectorRegistry = REGISTRY) -> Counter:
    """``driftwatch_incidents_total{type}``: incidents announced, by incident type."""
    return Counter(
        "driftwatch_incidents", "Incidents the Sentinel announced.", ["type"], registry=registry
    )


class Sentinel:
    """The Sentinel's handlers, bound to its settings and policy."""

    def __init__(self, settings: Settings, policies: PolicyWatch) -> None:
        self.settings = settings
        self.policies = policies
        for incident_type in INCIDENT_TYPES:  # every series exported from the start, at 0
            incidents_opened().labels(incident_type)

    def handlers(self) -> dict[type[Event], Handler]:
        """Event type -> handler, for ``consumer_app`` or a ``Consumer`` driven in-process."""
        return {MonitoringSummary: self.on_summary, ReleaseDecided: self.on_release}

    async def on_summary(self, summary: MonitoringSummary, ctx: HandlerContext) -> Sequence[Event]:
        """Fold a window into the model's incidents; announce or resolve what changed."""
        policy = self.policies.current().policy
        async with state.locked(ctx, f"model:{summary.model_name}"):
            current = await state.load_sentinel(ctx.redis, self.settings, summary.model_name)
            outcome = sentinel_logic.on_summary(summary, current, policy)
            state.save(ctx, state.sentinel_key(self.settings, summary.model_name), outcome.state)
        events = outcome.events(summary)
        for event in events:
            if isinstance(event, DriftDetected):
                incidents_opened().labels(event.incident_type).inc()
        return events

    async def on_release(self, release: ReleaseDecided, ctx: HandlerContext) -> Sequence[Event]:
        """A production move resolves incidents; every release updates the promotion history."""
        model = release.model_name
        async with state.locked(ctx, f"model:{model}"):
            current = await state.load_sentinel(ctx.redis, self.settings, model)
            history = await state.load_planner(ctx.redis, self.settings, model)
            outcome = sentinel_logic.on_release(release, current)
            state.save(ctx, state.sentinel_key(self.settings, model), outcome.state)
            state.save(ctx, state.planner_key(self.settings, model), history.fold(release))
        return outcome.events(release)


def create_app(settings: Settings | None = None, *, name: str | None = None) -> FastStream:
    """One Sentinel replica (``faststream run --factory driftwatch.agents.sentinel:create_app``).

    Raises:
        PolicyError: the policy file is unusable at start.
    """
    settings = settings or Settings()
    policies = PolicyWatch(GROUP, settings.policy_path)
    app = consumer_app(settings, GROUP, Sentinel(settings, policies).handlers(), name=name)
    follow_policy(app, policies)
    return app
