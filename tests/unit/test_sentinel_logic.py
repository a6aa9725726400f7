"""The Sentinel's pure logic: classification, cooldown, resolution, revisions, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from driftwatch.agents.sentinel_logic import (
    SEEN_WINDOWS_KEPT,
    SentinelOutcome,
    SentinelState,
    assess,
    on_release,
    on_summary,
)
from driftwatch.agents.shock import ShockRule
from driftwatch.contracts.events import (
    ColumnDrift,
    DriftDetected,
    IncidentResolved,
    MonitoringSummary,
    PerformanceSummary,
    ReleaseDecided,
    VolumeProfile,
)
from driftwatch.contracts.policy import Policy, load_shipped_policy

POLICY: Policy = load_shipped_policy("promotion").policy
MODEL = "fraud-detector"
FLAT = [1 / 24] * 24
EVENING = [0.0] * 18 + [1 / 6] * 6


def column(name: str, statistic: float = 0.2, test: str = "wasserstein") -> ColumnDrift:
    return ColumnDrift(
        column=name, kind="numerical", test=test, statistic=statistic, threshold=0.1, drifted=True
    )


def summary(
    window: str,
    *,
    revision: int = 0,
    version: str = "1",
    share: float = 0.0,
    columns: tuple[ColumnDrift, ...] = (),
    drop_lower: float | None = None,
    volume_ratio: float = 1.0,
    hourly: list[float] = FLAT,
    peak: float | None = None,
    labeled_rows: int = 0,
) -> MonitoringSummary:
    """A window of ``version``; ids derive from (window, revision) so runs are reproducible."""
    performance = None
    if drop_lower is not None:
        performance = PerformanceSummary(
            auc=0.9 - drop_lower,
            average_precision=0.4,
            precision=0.5,
            recall=0.5,
            reference_auc=0.9,
            reference_average_precision=0.45,
            auc_drop=drop_lower + 0.01,
            auc_drop_lower=drop_lower,
            degraded=drop_lower >= 0.01,
        )
    key = f"{window}/{revision}"
    return MonitoringSummary(
        event_id=uuid5(NAMESPACE_URL, key),
        correlation_id=uuid5(NAMESPACE_URL, f"chain/{key}"),
        window_id=window,
        revision=revision,
        window_start=datetime(2026, 11, 27, tzinfo=UTC),
        window_end=datetime(2026, 11, 27, 1, tzinfo=UTC),
        model_name=MODEL,
        model_version=version,
        n_reference=5000,
        n_current=2000,
        columns=list(columns),
        drift_share=share,
        volume=VolumeProfile(
            rows_per_hour=100 * volume_ratio,
            reference_rows_per_hour=100,
            ratio=volume_ratio,
            hourly_share=hourly,
            reference_hourly_share=FLAT,
            peak_ratio=peak,
            peak_hour=None if peak is None else datetime(2026, 11, 27, 21, tzinfo=UTC),
            surge_hours=0 if peak is None else 4,
        ),
        performance=performance,
        labeled_rows=labeled_rows,
        severity="none",
        dataset_uri=f"file:///var/data/{window}.parquet",
    )


def clean(window: str, version: str = "1") -> MonitoringSummary:
    return summary(window, version=version)


def drifted(window: str, share: float = 0.3, **kw: Any) -> MonitoringSummary:
    """A window whose drift comes from one geo column (so never a shock by amount)."""
    return summary(window, share=share, columns=(column("geo_distance_km"),), **kw)


def release(
    decision: str, alias: str | None = None, incident: UUID | None = None
) -> ReleaseDecided:
    return ReleaseDecided(
        decision=decision,  # type: ignore[arg-type]
        model_name=MODEL,
        alias=alias,  # type: ignore[arg-type]
        incident_id=incident,
        candidate_version="2",
        previous_version="1",
    )


def fold(
    *summaries: MonitoringSummary, state: SentinelState | None = None
) -> list[SentinelOutcome]:
    """Feed summaries in order; each outcome's state feeds the next."""
    current = state or SentinelState(model_name=MODEL)
    outcomes = []
    for item in summaries:
        outcome = on_summary(item, current, POLICY)
        outcomes.append(outcome)
        current = outcome.state
    return outcomes


def kinds(outcome: SentinelOutcome) -> list[tuple[str, str]]:
    """(what, type or how) per published event: a compact view of an outcome."""
    return [("opened", a.report.incident_type) for a in outcome.announced] + [
        ("resolved", r.how) for r in outcome.resolved
    ]


@pytest.mark.parametrize(
    ("item", "expected_type", "severity"),
    [
        pytest.param(clean("w"), None, "none", id="clean"),
        pytest.param(summary("w", share=0.05), None, "none", id="drift-below-low"),
        pytest.param(drifted("w", share=0.1), "feature_drift", "low", id="feature-low"),
        pytest.param(drifted("w", share=0.5), "feature_drift", "high", id="feature-high"),
        pytest.param(summary("w", drop_lower=0.04), "concept_drift", "medium", id="concept"),
        pytest.param(
            drifted("w", share=0.1, drop_lower=0.04), "concept_drift", "medium",
            id="concept-with-low-drift",
        ),
        pytest.param(
            drifted("w", share=0.3, drop_lower=0.02), "performance_degradation", "medium",
            id="performance-with-feature-drift",
        ),
        pytest.param(
            drifted("w", share=0.5, drop_lower=0.09), "performance_degradation", "high",
            id="performance-high",
        ),
        pytest.param(summary("w", drop_lower=-0.01), None, "none", id="performance-improved"),
        pytest.param(
            drifted("w", share=0.1, volume_ratio=3.0), "shock", "low", id="shock-volume-ratio"
        ),
        pytest.param(
            drifted("w", share=0.2, hourly=EVENING), "shock", "low", id="shock-hourly-shift"
        ),
        pytest.param(
            summary("w", share=0.1, columns=(column("transaction_amount", 0.8),)), "shock", "low",
            id="shock-amount-spike",
        ),
        pytest.param(
            drifted("w", share=0.3, volume_ratio=1.1, peak=2.6), "shock", "medium",
            id="shock-peak-hours-in-a-long-window",
        ),
        pytest.param(
            drifted("w", share=0.3, peak=1.5), "feature_drift", "medium",
            id="weekday-rhythm-peak-is-no-shock",
        ),
        pytest.param(
            summary("w", share=0.1, columns=(column("transaction_amount", 0.3),)), "feature_drift",
            "low", id="amount-drift-is-not-a-spike",
        ),
        pytest.param(
            summary("w", share=0.1, columns=(column("transaction_amount", 1e-9, "ks"),)),
            "feature_drift", "low", id="p-value-test-says-nothing-of-size",
        ),
        pytest.param(
            summary("w", volume_ratio=5.0), None, "none", id="volume-alone-is-no-incident"
        ),
        pytest.param(
            drifted("w", share=0.1, drop_lower=0.05, volume_ratio=4.0), "shock", "medium",
            id="shock-wins-over-performance",
        ),
    ],
)  # fmt: skip
def test_assess_classifies_the_window(
    item: MonitoringSummary, expected_type: str | None, severity: str
) -> None:
    assessment = assess(item, POLICY, ShockRule())

    assert (assessment.incident_type, assessment.severity) == (expected_type, severity)


def test_an_incident_carries_what_drift_detected_needs() -> None:
    item = drifted("w1", share=0.3, drop_lower=0.02, labeled_rows=1200)

    (outcome,) = fold(item)
    (event,) = outcome.events(item)

    assert isinstance(event, DriftDetected)
    assert (event.correlation_id, event.causation_id) == (item.correlation_id, item.event_id)
    assert (event.incident_type, event.severity) == ("performance_degradation", "medium")
    assert event.recommended_action == "retrain_and_evaluate"
    assert (event.model_name, event.model_version) == (MODEL, "1")
    assert (event.window_id, event.window_revision, event.labeled_rows) == ("w1", 0, 1200)
    assert event.dataset_uri == item.dataset_uri
    assert [c.column for c in event.drifted_columns] == ["geo_distance_km"]
    assert (event.drift_share, event.auc_drop_lower, event.volume_ratio) == (0.3, 0.02, 1.0)
    assert event.window_of_version == 1
    assert event.evidence["drifted_features"] == ["geo_distance_km"]
    assert event.evidence["drift_level"] == "medium"
    assert event.evidence["performance_level"] == "low"
    assert outcome.state.open_incidents["performance_degradation"].report.incident_id == (
        event.incident_id
    )


def test_shock_evidence_names_its_signals_and_the_policy_holds_it() -> None:
    (outcome,) = fold(drifted("w1", share=0.3, volume_ratio=3.0))

    (incident,) = outcome.announced
    assert incident.report.recommended_action == "hold_for_approval"
    assert incident.report.evidence["shock_signals"] == ["volume 3.00x the reference rows per hour"]


def test_a_surge_signal_says_when_and_how_long() -> None:
    (outcome,) = fold(drifted("w1", share=0.3, peak=2.69))

    (incident,) = outcome.announced
    assert incident.report.evidence["shock_signals"] == [
        "traffic surged to 2.69x its hourly rate at 2026-11-27 21:00 (4 hours above it)"
    ]


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        pytest.param(
            [drifted("w1"), drifted("w2"), drifted("w3")],
            [[("opened", "feature_drift")], [], []],
            id="quiet-while-open",
        ),
        pytest.param(
            [drifted("w1", 0.3), drifted("w2", 0.5), drifted("w3", 0.3)],
            [
                [("opened", "feature_drift")],
                [("opened", "feature_drift"), ("resolved", "superseded")],
                [],
            ],
            id="worse-supersedes",
        ),
        pytest.param(
            [drifted("w1"), clean("w2"), clean("w3")],
            [[("opened", "feature_drift")], [], [("resolved", "clean_windows")]],
            id="resolved-after-two-clean-windows",
        ),
        pytest.param(
            [drifted("w1"), clean("w2"), drifted("w3"), clean("w4"), clean("w5")],
            [[("opened", "feature_drift")], [], [], [], [("resolved", "clean_windows")]],
            id="a-finding-restarts-the-clean-run",
        ),
        pytest.param(
            [drifted("w1"), clean("w2"), clean("w3"), drifted("w4"), drifted("w5"), drifted("w6"),
             drifted("w7")],
            [[("opened", "feature_drift")], [], [("resolved", "clean_windows")], [], [], [],
             [("opened", "feature_drift")]],
            id="cooldown-of-three-windows-after-resolution",
        ),
        pytest.param(
            [drifted("w1", 0.3), clean("w2"), clean("w3"), drifted("w4", 0.5)],
            [[("opened", "feature_drift")], [], [("resolved", "clean_windows")],
             [("opened", "feature_drift")]],
            id="worse-breaks-the-cooldown",
        ),
        pytest.param(
            [drifted("w1"), summary("w2", drop_lower=0.04)],
            [[("opened", "feature_drift")], [("opened", "concept_drift")]],
            id="other-cause-opens-its-own-incident",
        ),
        pytest.param(
            [drifted("w1", version="1"), clean("w2", version="2"), clean("w3", version="2")],
            [[("opened", "feature_drift")], [], []],
            id="only-clean-windows-of-the-incident-version-count",
        ),
        pytest.param(
            [clean("w1"), clean("w2")],
            [[], []],
            id="clean-windows-alone-publish-nothing",
        ),
    ],
)  # fmt: skip
def test_incident_lifecycle(
    windows: list[MonitoringSummary], expected: list[list[tuple[str, str]]]
) -> None:
    assert [kinds(outcome) for outcome in fold(*windows)] == expected


def test_resolution_stays_in_the_incident_chain() -> None:
    first, _, third = fold(drifted("w1"), clean("w2"), clean("w3"))
    item = clean("w3")

    (event,) = third.events(item)

    assert isinstance(event, IncidentResolved)
    (opened,) = first.announced
    assert event.incident_id == opened.report.incident_id
    assert event.correlation_id == drifted("w1").correlation_id
    assert event.causation_id == item.event_id
    assert (event.how, event.model_version) == ("clean_windows", "1")
    assert third.state.open_incidents == {}


SCENARIO = [
    drifted("w1", 0.3, labeled_rows=100),
    drifted("w2", 0.5),
    drifted("w2", 0.5, revision=1, drop_lower=0.04, labeled_rows=1200),
    clean("w3"),
    clean("w4"),
    clean("w5"),
    drifted("w6", 0.5),
]


@pytest.mark.parametrize("position", range(len(SCENARIO)))
def test_the_same_summary_twice_changes_nothing(position: int) -> None:
    item = SCENARIO[position]
    before = fold(*SCENARIO[: position + 1])[-1]

    again = on_summary(item, before.state, POLICY)

    assert again.state == before.state
    assert again.events(item) == []


def test_the_scenario_publishes_what_it_should() -> None:
    assert [kinds(outcome) for outcome in fold(*SCENARIO)] == [
        [("opened", "feature_drift")],
        [("opened", "feature_drift"), ("resolved", "superseded")],
        [("opened", "performance_degradation")],
        [],
        [("resolved", "clean_windows"), ("resolved", "clean_windows")],
        [],
        [],
    ]


def test_an_older_revision_after_a_newer_one_changes_nothing() -> None:
    (newer,) = fold(drifted("w1", revision=2))

    older = on_summary(drifted("w1", revision=1), newer.state, POLICY)

    assert (older.state, older.announced, older.resolved) == (newer.state, (), ())


def test_a_revision_with_labels_opens_a_performance_incident_for_a_seen_window() -> None:
    rev0 = drifted("w1", share=0.3)
    rev1 = drifted("w1", share=0.3, revision=1, drop_lower=0.05, labeled_rows=1500)

    first, second = fold(rev0, rev1)

    assert kinds(second) == [("opened", "performance_degradation")]
    (incident,) = second.announced
    assert incident.report.window_revision == 1
    assert incident.report.window_of_version == 1
    assert second.state.windows_by_version == first.state.windows_by_version == {"1": 1}


def test_a_revision_is_not_a_second_clean_window() -> None:
    outcomes = fold(drifted("w1"), clean("w2"), summary("w2", revision=1, labeled_rows=900))

    assert [kinds(o) for o in outcomes] == [[("opened", "feature_drift")], [], []]
    assert outcomes[-1].state.open_incidents["feature_drift"].clean_windows == 1


def test_a_revision_does_not_advance_the_cooldown() -> None:
    *_, resolved = fold(drifted("w1"), clean("w2"), clean("w3"))
    revisions = [summary("w3", revision=r) for r in (1, 2, 3)]

    outcomes = fold(*revisions, drifted("w4"), state=resolved.state)

    assert outcomes[-1].state.cooldowns["feature_drift"].windows_left == 2
    assert kinds(outcomes[-1]) == []


def test_window_ordinal_counts_per_version() -> None:
    outcomes = fold(clean("a"), clean("b"), clean("c", version="2"), drifted("d", version="2"))

    (incident,) = outcomes[-1].announced
    assert incident.report.window_of_version == 2
    assert outcomes[-1].state.windows_by_version == {"1": 2, "2": 2}


@pytest.mark.parametrize(
    ("decision", "alias", "resolves"),
    [
        ("promoted", "production", True),
        ("rolled_back", "production", True),
        ("promoted", "staging", False),
        ("blocked", None, False),
        ("held", None, False),
        ("noop", None, False),
    ],
)
def test_a_release_that_changes_production_resolves_every_open_incident(
    decision: str, alias: str | None, resolves: bool
) -> None:
    *_, last = fold(drifted("w1"), summary("w2", drop_lower=0.04))
    event = release(decision, alias)

    outcome = on_release(event, last.state)

    assert len(last.state.open_incidents) == 2
    if resolves:
        assert {r.how for r in outcome.resolved} == {"released"}
        assert len(outcome.events(event)) == 2
        assert outcome.state.open_incidents == {}
        assert on_release(event, outcome.state).resolved == ()
    else:
        assert outcome.state == last.state
        assert outcome.resolved == ()


def test_after_a_release_the_same_cause_may_open_again_at_once() -> None:
    *_, resolved = fold(drifted("w1"), clean("w2"), clean("w3"))
    released = on_release(release("promoted", "production"), resolved.state)

    (outcome,) = fold(drifted("w4", version="2"), state=released.state)

    assert kinds(outcome) == [("opened", "feature_drift")]


def test_late_labels_of_a_retired_version_open_nothing() -> None:
    """Every plan acts on production: an incident about the model it replaced would retrain
    and be judged against the new one."""
    (served,) = fold(clean("w1"))
    promoted = on_release(release("promoted", "production"), served.state)

    (late,) = fold(summary("w1", revision=1, drop_lower=0.2), state=promoted.state)

    assert late.announced == ()
    assert "retired version 1" in late.note


def test_a_rollback_brings_a_version_back_and_retires_the_other() -> None:
    (served,) = fold(clean("w1"))
    promoted = on_release(release("promoted", "production"), served.state)
    back = ReleaseDecided(
        decision="rolled_back",
        model_name=MODEL,
        alias="production",
        candidate_version="1",
        previous_version="2",
    )
    rolled_back = on_release(back, promoted.state)

    old, new = fold(drifted("w2", version="1"), drifted("w3", version="2"), state=rolled_back.state)

    assert rolled_back.state.retired_versions == ("2",)
    assert kinds(old) == [("opened", "feature_drift")]
    assert new.announced == ()


def test_a_deferred_incident_is_announced_again_when_a_revision_brings_labels() -> None:
    (opened,) = fold(drifted("w1", labeled_rows=200))
    incident_id = opened.announced[0].report.incident_id
    deferred = on_release(release("deferred", incident=incident_id), opened.state)
    too_few, enough, again = fold(
        drifted("w1", revision=1, labeled_rows=600),
        drifted("w1", revision=2, labeled_rows=1500),
        drifted("w1", revision=3, labeled_rows=1800),
        state=deferred.state,
    )

    assert too_few.announced == ()
    (refreshed,) = enough.announced
    assert refreshed.report.incident_id == incident_id
    assert (refreshed.report.window_revision, refreshed.report.labeled_rows) == (2, 1500)
    assert refreshed.correlation_id == opened.announced[0].correlation_id
    (event,) = enough.events(drifted("w1", revision=2, labeled_rows=1500))
    assert isinstance(event, DriftDetected)
    assert event.correlation_id == opened.announced[0].correlation_id
    assert again.announced == ()


def test_an_incident_not_deferred_is_not_announced_again() -> None:
    outcomes = fold(drifted("w1", labeled_rows=200), drifted("w1", revision=1, labeled_rows=1500))

    assert outcomes[-1].announced == ()


def test_events_have_distinct_ids_derived_from_the_input() -> None:
    *_, last = fold(drifted("w1", 0.3), drifted("w2", 0.5))
    item = drifted("w2", 0.5)

    events = last.events(item)

    assert [type(e).__name__ for e in events] == ["IncidentResolved", "DriftDetected"]
    assert len({e.event_id for e in events}) == 2
    assert [e.event_id for e in last.events(item)] == [e.event_id for e in events]


def test_state_round_trips_through_json() -> None:
    *_, last = fold(drifted("w1"), clean("w2"), summary("w3", drop_lower=0.04))

    assert SentinelState.model_validate_json(last.state.model_dump_json()) == last.state


def test_seen_windows_are_bounded() -> None:
    windows = [clean(f"w{i}") for i in range(SEEN_WINDOWS_KEPT + 5)]

    *_, last = fold(*windows)

    assert len(last.state.seen_windows) == SEEN_WINDOWS_KEPT
    assert last.state.seen_windows[-1].window_id == f"w{SEEN_WINDOWS_KEPT + 4}"


def test_an_event_about_another_model_is_refused() -> None:
    state = SentinelState(model_name="other-model")

    with pytest.raises(ValueError, match="fraud-detector"):
        on_summary(clean("w1"), state, POLICY)
    with pytest.raises(ValueError, match="fraud-detector"):
        on_release(release("promoted", "production"), state)
