"""DriftWatch over one scenario: serve each window with production, publish it, let the stack act.

Per step k: the labels of window k - LABEL_DELAY arrive (``LabelFeedback``) and window k is
scored by whatever version the ``production`` alias names (as serving would after its reload) and
published as ``PredictionBatch`` events; then the in-process bus drains, so the monitor closes
window k, re-scores the window whose labels came, and the Sentinel, Planner and Release agents
act on it. A promotion therefore takes effect from window k + 1. After the last window, label-only
steps let every window's labels arrive.

The events the bench publishes get ids derived from the scenario, seed and window instead of
random ones. Every id downstream derives from them (window ids and so the monitor's bootstrap
seeds, incident and plan ids and so the Release agent's split and fit seeds), so a run repeats
exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import NAMESPACE_URL, UUID, uuid5

import pandas as pd
from decision_bus import InProcessBus
from decision_runs import ServedWindow, SystemRun
from decision_scoring import WindowVerdict
from decision_world import LABEL_DELAY, Timeline

from driftwatch.agents.sentinel_logic import assess
from driftwatch.agents.shock import ShockRule
from driftwatch.contracts.events import (
    DriftDetected,
    Event,
    LabelFeedback,
    LabelPair,
    MonitoringSummary,
    PlanCreated,
    PredictionBatch,
    ReleaseDecided,
)
from driftwatch.contracts.features import FEATURE_NAMES, LABEL, SCORE, TIMESTAMP, TRANSACTION_ID
from driftwatch.contracts.policy import policy_in_force
from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, LoadedModel, aliases, load_model

SYSTEM = "DriftWatch"


class Serving:
    """The production model as serving holds it: reloaded when the alias moves."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loaded: dict[str, LoadedModel] = {}

    def model(self, version: str) -> LoadedModel:
        if version not in self.loaded:
            self.loaded[version] = load_model(self.settings, version)
        return self.loaded[version]

    def production(self) -> LoadedModel:
        return self.model(aliases(self.settings)[PRODUCTION])


def event_id(timeline: Timeline, *parts: object) -> UUID:
    """A fixed id for an event the bench publishes (also used as its correlation id)."""
    key = "/".join(str(part) for part in (timeline.scenario, timeline.seed, *parts))
    return uuid5(NAMESPACE_URL, f"driftwatch-bench:{key}")


def prediction_batches(
    timeline: Timeline, index: int, window: pd.DataFrame, model: LoadedModel, batch_rows: int
) -> Iterator[PredictionBatch]:
    """Window ``index``'s scored rows as serving publishes them, ``batch_rows`` per event."""
    records = window[[TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES]].to_dict("records")
    scores = window[SCORE].tolist()
    for start in range(0, len(records), batch_rows):
        rows = records[start : start + batch_rows]
        fixed = event_id(timeline, "predictions", index, start)
        yield PredictionBatch(
            event_id=fixed,
            correlation_id=fixed,
            model_name=model.name,
            model_version=model.version,
            threshold=model.threshold,
            rows=rows,
            scores=scores[start : start + batch_rows],
            request_ids=[row[TRANSACTION_ID] for row in rows],
        )


def label_feedback(timeline: Timeline, index: int) -> LabelFeedback:
    """The delayed ground truth of window ``index``, joined on its transaction ids."""
    window = timeline.window(index)
    fixed = event_id(timeline, "labels", index)
    return LabelFeedback(
        event_id=fixed,
        correlation_id=fixed,
        labels=[
            LabelPair(request_id=request_id, is_fraud=bool(label))
            for request_id, label in zip(window[TRANSACTION_ID], window[LABEL], strict=True)
        ],
    )


async def run_driftwatch(timeline: Timeline, settings: Settings, initial_version: str) -> SystemRun:
    """Run every window of ``timeline`` through the stack named by ``settings`` (its own stream
    prefix, home and MLflow store), ``initial_version`` in production."""
    run = SystemRun(system=SYSTEM, initial_model=initial_version)
    serving = Serving(settings)
    bus = InProcessBus(settings)
    await bus.open()
    log: list[tuple[int, Event]] = []
    try:
        for step in range(timeline.windows + LABEL_DELAY):
            if step >= LABEL_DELAY:
                await bus.publish([label_feedback(timeline, step - LABEL_DELAY)])
            if step < timeline.windows:
                model = serving.production()
                window = timeline.window(step)
                window = window.assign(**{SCORE: model.predict_proba(window)})
                run.served.append(ServedWindow(step, model.version, window))
                batches = prediction_batches(
                    timeline, step, window, model, settings.publish_batch_rows
                )
                await bus.publish(list(batches))
            await bus.drain()
            log += [(step, event) for event in await bus.new_events()]
    finally:
        await bus.close()
    run.models = dict(serving.loaded)
    _score(run, timeline, log, settings)
    return run


def _score(
    run: SystemRun, timeline: Timeline, log: list[tuple[int, Event]], settings: Settings
) -> None:
    """Fill ``run``'s verdicts and decisions from the events the stack published."""
    policy, rule = policy_in_force(settings.policy_path).policy, ShockRule()
    index_of: dict[str, int] = {}
    flagged: dict[str, bool] = {}
    announced: set[str] = set()
    planned: set[str] = set()
    for step, event in log:
        if isinstance(event, MonitoringSummary):
            index_of.setdefault(event.window_id, step)
            finding = assess(event, policy, rule).incident_type is not None
            flagged[event.window_id] = flagged.get(event.window_id, False) or finding
        elif isinstance(event, DriftDetected) and str(event.incident_id) not in announced:
            announced.add(str(event.incident_id))
            run.detection_steps.append(step)
        elif isinstance(event, PlanCreated) and str(event.incident_id) not in planned:
            planned.add(str(event.incident_id))
            run.incidents.append(f"{event.incident_type} -> {event.action}")
        elif isinstance(event, ReleaseDecided):
            run.releases.append(event.decision)
            run.notes.append(f"window {step}: {event.decision}: {event.reason}")
            if event.decision == "promoted" and event.alias == PRODUCTION:
                run.promotions.append((step, str(event.incident_id)))
    served_by = {window.index: window.model for window in run.served}
    for window_id, index in sorted(index_of.items(), key=lambda item: item[1]):
        run.verdicts.append(
            WindowVerdict(
                index=index,
                strength=float(timeline.strengths[index]),
                flagged=flagged[window_id],
                initial_model=served_by[index] == run.initial_model,
            )
        )
