"""One row of the decision table per system and scenario, and the table itself.

Production AUC is measured on the traffic production served, pooled over the windows of a phase:
**before** drift (windows before the onset), **during** drift (drifted windows the pre-drift model
served) and **after** the release (every window a promoted model served). A promotion is judged
on the traffic the promoted model went on to serve, scored by it and by the model it replaced
(a paired bootstrap, ``training.compare_models``): that is the holdout neither system saw.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from decision_runs import ServedWindow, SystemRun
from decision_scoring import (
    delays,
    detection_rate,
    false_alarm_rate,
    first_detection,
    most_promotions_per_incident,
)
from decision_world import Timeline
from sklearn.metrics import roc_auc_score

from driftwatch.contracts.features import LABEL, SCORE
from driftwatch.training import Comparison, compare_models

N_BOOT = 500


@dataclass(frozen=True)
class Row:
    """What the table shows for one system on one scenario."""

    scenario: str
    system: str
    truth: str | None
    has_drift: bool
    detection: tuple[float | None, int]
    false_alarms: tuple[float | None, int]
    detected_at: int | None
    delay_onset: int | None
    delay_full: int | None
    incidents: str
    releases: str
    production_moves: int
    most_per_incident: int
    auc_before: float | None
    auc_during: float | None
    auc_after: float | None
    promotions_judged: tuple[Comparison, ...]
    notes: tuple[str, ...]


def row(run: SystemRun, timeline: Timeline, seed: int) -> Row:
    """Score ``run`` against ``timeline``'s ground truth."""
    detected = delay_onset = delay_full = None
    if timeline.timing is not None:
        detected = first_detection(run.detection_steps, timeline.timing)
        delay_onset, delay_full = delays(detected, timeline.timing)
    return Row(
        scenario=timeline.scenario,
        system=run.system,
        truth=timeline.incident_type,
        has_drift=timeline.timing is not None,
        detection=detection_rate(run.verdicts),
        false_alarms=false_alarm_rate(run.verdicts),
        detected_at=detected,
        delay_onset=delay_onset,
        delay_full=delay_full,
        incidents=_counted(run.incidents),
        releases=_counted(run.releases),
        production_moves=len(run.promotions),
        most_per_incident=most_promotions_per_incident(key for _, key in run.promotions),
        auc_before=_auc(run, lambda w: w.model == run.initial_model and _before(timeline, w.index)),
        auc_during=_auc(
            run, lambda w: w.model == run.initial_model and timeline.strengths[w.index] > 0
        ),
        auc_after=_auc(run, lambda w: w.model != run.initial_model),
        promotions_judged=tuple(_judge_promotions(run, seed)),
        notes=tuple(run.notes),
    )


def _before(timeline: Timeline, index: int) -> bool:
    return timeline.timing is None or index < timeline.timing.onset_window


def _auc(run: SystemRun, keep: Callable[[ServedWindow], bool]) -> float | None:
    frames = [window.frame for window in run.served if keep(window)]
    if not frames:
        return None
    pooled = pd.concat(frames)
    if pooled[LABEL].nunique() < 2:
        return None
    return float(roc_auc_score(pooled[LABEL], pooled[SCORE]))


def _judge_promotions(run: SystemRun, seed: int) -> list[Comparison]:
    """Each production change, on the windows the new model served before the next change."""
    segments: list[tuple[str, list[pd.DataFrame]]] = []
    for window in run.served:
        if not segments or segments[-1][0] != window.model:
            segments.append((window.model, []))
        segments[-1][1].append(window.frame)
    judged = []
    for (previous, _), (current, frames) in itertools.pairwise(segments):
        served = pd.concat(frames)
        judged.append(
            compare_models(
                run.models[previous], run.models[current], served, n_boot=N_BOOT, seed=seed
            )
        )
    return judged


def _counted(items: list[str]) -> str:
    """``a x2, b`` in order of first appearance; ``—`` for none."""
    if not items:
        return "—"
    return ", ".join(f"{item} x{n}" if n > 1 else item for item, n in Counter(items).items())


def _pct(value: tuple[float | None, int]) -> str:
    rate, count = value
    return "—" if rate is None else f"{rate:.0%} of {count}"


def _num(value: float | int | None, spec: str = "") -> str:
    return "—" if value is None else format(value, spec)


def _worst(judged: tuple[Comparison, ...]) -> str:
    if not judged:
        return "—"
    worst = min(judged, key=lambda c: c.auc_diff)
    return f"{worst.auc_diff:+.3f} [{worst.low:+.3f}, {worst.high:+.3f}]"


HEADER = (
    "| scenario | system | detection rate | false alarms | delay from onset / ramp end "
    "| incident -> action | releases | prod. moves | AUC before | AUC during | AUC after "
    "| worst promotion, ΔAUC on later traffic [95 % CI] |"
)


def table(rows: list[Row]) -> str:
    """The rows as one Markdown table."""
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for r in rows:
        delay = f"{_num(r.delay_onset)} / {_num(r.delay_full, '+d')}"
        if r.detected_at is None:
            delay = "missed" if r.has_drift else "—"
        truth = f" ({r.truth})" if r.truth else ""
        lines.append(
            f"| {r.scenario}{truth} | {r.system} | {_pct(r.detection)} | {_pct(r.false_alarms)} "
            f"| {delay} | {r.incidents} | {r.releases} | {r.production_moves} "
            f"| {_num(r.auc_before, '.3f')} | {_num(r.auc_during, '.3f')} "
            f"| {_num(r.auc_after, '.3f')} | {_worst(r.promotions_judged)} |"
        )
    return "\n".join(lines)


def release_notes(rows: list[Row], width: int = 220) -> str:
    """Why each release went the way it did, per scenario and system."""
    lines = []
    for r in rows:
        for note in r.notes:
            text = note if len(note) <= width else note[: width - 1] + "…"
            lines.append(f"- {r.scenario}, {r.system}, {text}")
    return "\n".join(lines) or "- no release"
