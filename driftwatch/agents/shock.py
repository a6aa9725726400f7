"""What makes a drifted window a shock (a traffic spike such as Black Friday) rather than drift.

A shock is often transient and the policy usually holds it for a person, so telling it apart
matters more than its size: it shows in volume (the whole window's rate, its hour-of-day mix, or
single event-time hours that surge; see ``monitor.volume``) or in a jump of the amount far beyond
what a drifting population produces. The Sentinel classifies only windows that already drifted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from driftwatch.contracts.events import MonitoringSummary

DISTANCE_TESTS = frozenset({"wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "energy"})
"""Drift tests whose statistic grows with the shift; a p-value says nothing about its size."""


class ShockRule(BaseModel):
    """What makes drift a shock (a sudden traffic spike, e.g. Black Friday) rather than drift.

    Not in the policy schema yet, so fixed here, in one place. Only a window that already drifted
    is classified, so these separate a traffic surge from a shift of the same traffic: feature
    drift leaves volume and the hourly mix alone, a 2 000-row stable window moves its rows per
    hour by a few percent and its hourly shares by ~0.05 total variation, and a Black-Friday
    evening surge (x2.2 in hours 20-23) lifts the window's rate by ~30 % and its mix by ~0.13.
    In a window of days the same surge is diluted (rate x1.1, mix 0.07); its hours still stand
    out one by one: the monitor's significant peak hour is ~2.6x its hour of day, while stable
    windows' rare significant hours stay below ~1.6x (weekday rhythm).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    volume_ratio: float = Field(1.25, gt=1, description="Rows per event-time hour vs reference.")
    peak_ratio: float = Field(
        1.8, gt=1, description="The window's significant peak hour vs its hour of day's rate."
    )
    hourly_shift: float = Field(
        0.1, gt=0, le=1, description="Total variation distance of the hourly traffic shares."
    )
    amount_column: str = "transaction_amount"
    amount_spike_multiple: float = Field(
        5.0, gt=1, description="A drifted amount whose distance is this many times the threshold."
    )


def shock_signals(summary: MonitoringSummary, rule: ShockRule) -> tuple[str, ...]:
    """What in ``summary`` reads as a traffic spike under ``rule``, in words (empty: none)."""
    signals: list[str] = []
    volume = summary.volume
    if volume is not None:
        if volume.ratio >= rule.volume_ratio:
            signals.append(f"volume {volume.ratio:.2f}x the reference rows per hour")
        shift = 0.5 * sum(
            abs(now - ref)
            for now, ref in zip(volume.hourly_share, volume.reference_hourly_share, strict=True)
        )
        if shift >= rule.hourly_shift:
            signals.append(f"hourly traffic shifted (total variation {shift:.2f})")
        if volume.peak_ratio is not None and volume.peak_ratio >= rule.peak_ratio:
            at = f" at {volume.peak_hour:%Y-%m-%d %H:00}" if volume.peak_hour else ""
            signals.append(
                f"traffic surged to {volume.peak_ratio:.2f}x its hourly rate{at} "
                f"({volume.surge_hours} hours above it)"
            )
    for column in summary.drifted_columns:
        if (
            column.column == rule.amount_column
            and column.test in DISTANCE_TESTS
            and column.threshold > 0
            and column.statistic >= rule.amount_spike_multiple * column.threshold
        ):
            ratio = column.statistic / column.threshold
            signals.append(f"{column.column} spiked ({column.test} {ratio:.1f}x its threshold)")
    return tuple(signals)
