"""The Release agent: ``PlanCreated`` -> ``ReleaseDecided``; approvals run or reject held plans.

A consumer of the ``release`` group. Per plan action: ``noop`` is recorded; ``hold_for_approval``
is decided ``held`` and the plan kept until ``driftwatch approve``/``reject``; ``rollback`` moves
production back to previous-production; ``retrain_and_evaluate`` defers below the plan's
``min_labeled_rows``, else trains a candidate in a worker thread (``retrain``), judges it with
``release_gates`` and moves the plan's alias when every gate passes.

A handler keeps its event claimed until it returns (MLflow calls and retraining take longer
than a claimer waits), each plan runs under its lock (two approvals never train twice), and effects
outside Redis are idempotent by key: the candidate is found again by its plan tag, and the alias
move is recorded before it is made (``state.alias_intent``), so a plan redone after a crash reports
one move with the same versions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any, get_args
from uuid import UUID

from faststream import FastStream
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from driftwatch.agents import state
from driftwatch.agents.release_gates import judge_release
from driftwatch.agents.retrain import evaluate_candidate, read_labeled_window
from driftwatch.bus.consumer import Handler, HandlerContext, consumer_app
from driftwatch.contracts.events import (
    Event,
    PlanApproved,
    PlanCreated,
    PlanRejected,
    ReleaseDecided,
    derived_event_id,
)
from driftwatch.contracts.vocabulary import Action, Decision
from driftwatch.settings import Settings
from driftwatch.training import (
    PREVIOUS_PRODUCTION,
    PRODUCTION,
    NoPreviousProduction,
    RegistryError,
    TrainingDataError,
    aliases,
    promote,
    rollback,
)

logger = logging.getLogger(__name__)

GROUP = "release"


class UnknownPlan(LookupError):
    """An approval or rejection of a plan this agent has not handled (yet): retried, then
    dead-lettered, since the plan may still be on its way."""


@cache
def decisions(registry: CollectorRegistry = REGISTRY) -> Counter:
    """``driftwatch_release_decisions_total{decision}``."""
    return Counter(
        "driftwatch_release_decisions",
        "Release decisions, by outcome.",
        ["decision"],
        registry=registry,
    )


@cache
def gate_values(registry: CollectorRegistry = REGISTRY) -> Gauge:
    """``driftwatch_quality_gate_value{gate}``: the last value each gate judged."""
    return Gauge(
        "driftwatch_quality_gate_value",
        "Last value judged per quality gate (labeled rows, AUC, AP, AUC diff vs production).",
        ["gate"],
        registry=registry,
    )


class Release:
    """The Release agent's handlers, bound to its settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        for decision in get_args(Decision):  # every series exported from the start, at 0
            decisions().labels(decision)

    def handlers(self) -> dict[type[Event], Handler]:
        """Event type -> handler, for ``consumer_app`` or a ``Consumer`` driven in-process."""
        return {
            PlanCreated: self.on_plan,
            PlanApproved: self.on_answer,
            PlanRejected: self.on_answer,
        }

    async def on_plan(self, plan: PlanCreated, ctx: HandlerContext) -> Sequence[Event]:
        """Execute a plan, or hold it for approval."""
        async with ctx.keep_alive(), state.locked(ctx, f"plan:{plan.plan_id}"):
            if await state.load_plan(ctx.redis, self.settings, plan.plan_id) is not None:
                logger.info("plan %s was already decided by another replica", plan.plan_id)
                return []
            if plan.action == "hold_for_approval":
                decided = _decided(
                    plan,
                    plan,
                    decision="held",
                    reason=f"waiting for `driftwatch approve {plan.plan_id}` or `reject`; "
                    f"approval runs {plan.held_action}. {plan.reason}",
                )
                status: state.PlanStatus = "held"
            else:
                decided = await self._execute(plan, plan.action, plan, ctx, note="")
                status = "done"
            state.save_plan(
                ctx, state.PlanRecord(plan=plan, status=status, decision=decided.decision)
            )
        return [self._count(decided)]

    async def on_answer(
        self, answer: PlanApproved | PlanRejected, ctx: HandlerContext
    ) -> Sequence[Event]:
        """Run a held plan's action for the person who approved it, or record their rejection."""
        async with ctx.keep_alive(), state.locked(ctx, f"plan:{answer.plan_id}"):
            record = await self._held(answer.plan_id, ctx)
            if record is None:
                return []
            plan, why = record.plan, f": {answer.reason}" if answer.reason else ""
            if isinstance(answer, PlanRejected):
                reason = f"rejected by {answer.who}{why}"
                decided = _decided(plan, answer, decision="rejected", reason=reason)
            else:
                action: Action = plan.held_action or "retrain_and_evaluate"
                note = f"approved by {answer.who}{why}"
                decided = await self._execute(plan, action, answer, ctx, note=note)
            status: state.PlanStatus = "rejected" if decided.decision == "rejected" else "approved"
            update = {"status": status, "decision": decided.decision}
            state.save_plan(ctx, record.model_copy(update=update))
        return [self._count(decided)]

    async def _held(self, plan_id: UUID, ctx: HandlerContext) -> state.PlanRecord | None:
        record = await state.load_plan(ctx.redis, self.settings, plan_id)
        if record is None:
            raise UnknownPlan(f"no plan {plan_id} has reached the Release agent")
        if record.status != "held":
            logger.warning("plan %s is %s, not held: nothing to do", plan_id, record.status)
            return None
        return record

    async def _execute(
        self, plan: PlanCreated, action: Action, cause: Event, ctx: HandlerContext, *, note: str
    ) -> ReleaseDecided:
        """Run ``action`` for ``plan``; ``note`` (who approved) is added to the reason."""
        if plan.model_name != self.settings.model_name:
            reason = f"this Release agent manages model {self.settings.model_name!r}, not this one"
            return _decided(plan, cause, decision="blocked", reason=reason)
        if action == "retrain_and_evaluate":
            return await self._retrain(plan, cause, ctx, note)
        if action == "rollback":
            return await self._rollback(plan, cause, ctx, note)
        if action == "noop":
            return _decided(plan, cause, decision="noop", reason=note or plan.reason)
        raise ValueError(f"plan {plan.plan_id}: {action} is not an action to execute")

    async def _retrain(
        self, plan: PlanCreated, cause: Event, ctx: HandlerContext, note: str
    ) -> ReleaseDecided:
        """Defer, or train a candidate and move the plan's alias if every gate passes."""
        settings, target = self.settings, plan.target_alias
        try:
            labeled = await asyncio.to_thread(read_labeled_window, settings, plan.dataset_uri)
        except (OSError, TrainingDataError) as error:
            return _decided(plan, cause, decision="blocked", reason=f"window unusable: {error}")
        current = await asyncio.to_thread(aliases, settings)
        recorded = await state.recorded_intent(ctx.redis, settings, plan.plan_id)
        # A redone plan compares with the versions as they were before its own alias move.
        previous = recorded.previous if recorded is not None else current.get(target)
        champion = previous if target == PRODUCTION else current.get(PRODUCTION)
        evaluation = None
        labeled_rows = len(labeled.rows)
        if labeled_rows >= plan.gates.min_labeled_rows:
            logger.info("plan %s: retraining on %d labeled rows", plan.plan_id, labeled_rows)
            try:
                evaluation = await asyncio.to_thread(
                    evaluate_candidate, settings, plan, labeled, champion
                )
            except (TrainingDataError, RegistryError) as error:
                reason = f"cannot retrain: {error}"
                return _decided(plan, cause, decision="blocked", reason=reason)
        verdict = judge_release(
            labeled_rows,
            plan.gates,
            promote_if_gates_pass=plan.promote_if_gates_pass,
            candidate=evaluation.candidate if evaluation else None,
            champion=evaluation.champion if evaluation else None,
        )
        fields: dict[str, Any] = {"previous_version": previous}
        if evaluation is not None:
            fields["candidate_version"] = evaluation.version
        if verdict.decision == "promoted" and evaluation is not None:
            proposed = state.AliasIntent(
                alias=target, version=evaluation.version, previous=previous
            )
            intent = await state.alias_intent(ctx.redis, settings, plan.plan_id, proposed)
            await asyncio.to_thread(promote, settings, intent.version, intent.alias)
            fields |= {"alias": target, "previous_version": intent.previous}
        for gate in verdict.gates:
            if gate.value is not None:
                gate_values().labels(gate.gate).set(gate.value)
        reason = _joined(verdict.reason, note)
        return _decided(
            plan, cause, decision=verdict.decision, gates=verdict.gates, reason=reason, **fields
        )

    async def _rollback(
        self, plan: PlanCreated, cause: Event, ctx: HandlerContext, note: str
    ) -> ReleaseDecided:
        settings = self.settings
        intent = await state.recorded_intent(ctx.redis, settings, plan.plan_id)
        current = await asyncio.to_thread(aliases, settings)
        if intent is None:
            production, target = current.get(PRODUCTION), current.get(PREVIOUS_PRODUCTION)
            if production != plan.model_version:
                reason = (
                    f"production is {production}, not the incident's version "
                    f"{plan.model_version}: nothing to roll back"
                )
                return _decided(
                    plan, cause, decision="noop", previous_version=production, reason=reason
                )
            if target is None:
                reason = f"no {PREVIOUS_PRODUCTION} version to roll back to"
                return _decided(plan, cause, decision="blocked", reason=reason)
            proposed = state.AliasIntent(alias=PRODUCTION, version=target, previous=production)
            intent = await state.alias_intent(ctx.redis, settings, plan.plan_id, proposed)
        if current.get(PRODUCTION) != intent.version:
            try:
                await asyncio.to_thread(rollback, settings)
            except NoPreviousProduction as error:
                return _decided(plan, cause, decision="blocked", reason=str(error))
        return _decided(
            plan,
            cause,
            decision="rolled_back",
            candidate_version=intent.version,
            previous_version=intent.previous,
            alias=PRODUCTION,
            reason=_joined(f"production {intent.previous} -> {intent.version}", note),
        )

    @staticmethod
    def _count(decided: ReleaseDecided) -> ReleaseDecided:
        decisions().labels(decided.decision).inc()
        logger.info(
            "plan %s: %s (candidate %s, alias %s): %s",
            decided.plan_id,
            decided.decision,
            decided.candidate_version,
            decided.alias,
            decided.reason,
        )
        return decided


def _joined(*parts: str) -> str:
    return ". ".join(part for part in parts if part)


def _decided(plan: PlanCreated, cause: Event, **fields: Any) -> ReleaseDecided:
    """The decision on ``plan`` answering ``cause`` (the plan or an answer), in the plan's chain."""
    return ReleaseDecided(
        event_id=derived_event_id(cause.event_id, GROUP),
        correlation_id=plan.correlation_id,
        causation_id=cause.event_id,
        plan_id=plan.plan_id,
        incident_id=plan.incident_id,
        model_name=plan.model_name,
        **fields,
    )


def create_app(settings: Settings | None = None, *, name: str | None = None) -> FastStream:
    """One Release replica (``faststream run --factory driftwatch.agents.release:create_app``).

    It reads one plan at a time: a plan prefetched behind a retraining would sit unclaimed.
    """
    settings = settings or Settings()
    return consumer_app(settings, GROUP, Release(settings).handlers(), name=name, max_records=1)
