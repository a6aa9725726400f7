"""What each demo must show, checked against the events it saw and the registry afterwards.

Pure functions of the story (the decision events after the demo's mark, the baseline version it
put in production, and the production alias at the end), so they are unit-tested without a
stack. A demo exits 0 only when every check of its scenario passed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from driftwatch.contracts.events import (
    AnyEvent,
    DriftDetected,
    MonitoringSummary,
    PlanCreated,
    ReleaseDecided,
)
from driftwatch.contracts.vocabulary import Action, Decision, IncidentType


@dataclass(frozen=True, slots=True)
class Story:
    """What a demo observed.

    Attributes:
        events: Decision events after the demo's mark, oldest first.
        baseline_version: The version the demo trained and put in production first.
        production: The production alias at the end (None: unset).
    """

    events: Sequence[AnyEvent]
    baseline_version: str
    production: str | None


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation and whether the story met it."""

    expectation: str
    passed: bool
    observed: str


Expectation = Callable[[Story], list[Check]]


def feature_drift(story: Story) -> list[Check]:
    """``feature_drift`` incident, retrain, ``promoted``, production moves to the new version."""
    incidents = _incidents(story, "feature_drift")
    plans = _plans(story, incidents, "retrain_and_evaluate")
    releases = _releases(story, plans, "promoted")
    return [
        _incident_check(story, "feature_drift", incidents, plans),
        _plan_check("retrain_and_evaluate", plans, story, incidents),
        _release_check("promoted", releases, story, plans),
        _production_moved(story, releases),
    ]


def concept_drift(story: Story) -> list[Check]:
    """Feature drift stays none/low; with labels, ``concept_drift``, retrain, ``promoted``."""
    summaries = [
        e
        for e in story.events
        if isinstance(e, MonitoringSummary) and e.model_version == story.baseline_version
    ]
    levels = sorted({s.drift_severity for s in summaries})
    calm = bool(summaries) and set(levels) <= {"none", "low"}
    incidents = [i for i in _incidents(story, "concept_drift") if i.labeled_rows > 0]
    plans = _plans(story, incidents, "retrain_and_evaluate")
    releases = _releases(story, plans, "promoted")
    return [
        Check(
            "feature drift stays none/low",
            calm,
            f"drift severities of v{story.baseline_version}'s {len(summaries)} summaries: "
            f"{', '.join(levels) or 'no summary'}",
        ),
        _incident_check(story, "concept_drift", incidents, plans, "once labels arrive"),
        _plan_check("retrain_and_evaluate", plans, story, incidents),
        _release_check("promoted", releases, story, plans),
    ]


def black_friday(story: Story) -> list[Check]:
    """``shock`` incident, ``held`` for approval, production unchanged."""
    incidents = _incidents(story, "shock")
    plans = _plans(story, incidents, "hold_for_approval")
    releases = _releases(story, plans, "held")
    moves = [
        e
        for e in story.events
        if isinstance(e, ReleaseDecided) and e.decision in ("promoted", "rolled_back")
    ]
    unchanged = story.production == story.baseline_version and not any(
        m.alias == "production" or m.decision == "rolled_back" for m in moves
    )
    return [
        _incident_check(story, "shock", incidents, plans),
        _plan_check("hold_for_approval", plans, story, incidents),
        _release_check("held", releases, story, plans),
        Check(
            "production unchanged",
            unchanged,
            f"production is v{story.production or 'unset'} (baseline v{story.baseline_version})"
            + (f"; moves: {', '.join(_move(m) for m in moves)}" if moves else ""),
        ),
    ]


def _incidents(story: Story, kind: IncidentType) -> list[DriftDetected]:
    return [e for e in story.events if isinstance(e, DriftDetected) and e.incident_type == kind]


def _plans(story: Story, incidents: list[DriftDetected], action: Action) -> list[PlanCreated]:
    ids = {i.incident_id for i in incidents}
    return [
        e
        for e in story.events
        if isinstance(e, PlanCreated) and e.incident_id in ids and e.action == action
    ]


def _releases(story: Story, plans: list[PlanCreated], decision: Decision) -> list[ReleaseDecided]:
    ids = {p.plan_id for p in plans}
    return [
        e
        for e in story.events
        if isinstance(e, ReleaseDecided) and e.plan_id in ids and e.decision == decision
    ]


def _incident_check(
    story: Story,
    kind: IncidentType,
    found: list[DriftDetected],
    plans: list[PlanCreated],
    when: str = "",
) -> Check:
    planned = {p.incident_id for p in plans}
    found = sorted(found, key=lambda i: i.incident_id not in planned)  # the one acted on first
    others = sorted(
        {f"{e.incident_type} ({e.severity})" for e in story.events if isinstance(e, DriftDetected)}
    )
    observed = (
        f"{found[0].incident_type} ({found[0].severity}) on v{found[0].model_version}, "
        f"window {found[0].window_id} rev {found[0].window_revision}"
        if found
        else f"incidents seen: {', '.join(others) or 'none'}"
    )
    return Check(f"{kind} incident {when}".strip(), bool(found), observed)


def _plan_check(
    action: Action, found: list[PlanCreated], story: Story, incidents: list[DriftDetected]
) -> Check:
    ids = {i.incident_id for i in incidents}
    actions = sorted(
        {e.action for e in story.events if isinstance(e, PlanCreated) and e.incident_id in ids}
    )
    observed = (
        f"plan {found[0].plan_id.hex[:8]}: {action}"
        if found
        else (f"plans for those incidents: {', '.join(actions) or 'none'}")
    )
    return Check(f"plan: {action}", bool(found), observed)


def _release_check(
    decision: Decision, found: list[ReleaseDecided], story: Story, plans: list[PlanCreated]
) -> Check:
    ids = {p.plan_id for p in plans}
    seen = [e for e in story.events if isinstance(e, ReleaseDecided) and e.plan_id in ids]
    observed = (
        _move(found[0])
        if found
        else f"releases for those plans: {', '.join(_move(e) for e in seen) or 'none'}"
    )
    return Check(f"release: {decision}", bool(found), observed)


def _production_moved(story: Story, releases: list[ReleaseDecided]) -> Check:
    targets = {r.candidate_version for r in releases if r.alias == "production"}
    moved = story.production is not None and story.production != story.baseline_version
    passed = moved and story.production in targets
    return Check(
        "production moves to the new version",
        passed,
        f"production v{story.baseline_version} -> v{story.production or 'unset'}",
    )


def _move(release: ReleaseDecided) -> str:
    where = f" to {release.alias}" if release.alias else ""
    version = f" v{release.candidate_version}" if release.candidate_version else ""
    return f"{release.decision}{version}{where}"
