"""The audit consumer: mirrors every decision chain under ``var/events/``, so it outlives Redis.

Its own group reads monitoring, incidents, plans, approvals and releases. Every event is appended
to ``events.jsonl`` (one event JSON per line, the trail ``driftwatch incidents`` and ``driftwatch
replay`` read), and the latest of each decision is kept where the original design put it:
``sentinel_report.json`` (``DriftDetected``), ``execution_plan.json`` (``PlanCreated``) and
``release_result.json`` (``ReleaseDecided``). No other process writes there.

The append is idempotent by event id: the trail's ids are read once per process and a redelivered
event is not written twice. A latest-of file is only replaced by an event at least as recent, so a
late redelivery never puts an old decision back.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from faststream import FastStream

from driftwatch.agents.incidents import TRAIL
from driftwatch.bus.consumer import Handler, HandlerContext, consumer_app
from driftwatch.contracts.events import (
    DriftDetected,
    Event,
    IncidentResolved,
    MonitoringSummary,
    PlanApproved,
    PlanCreated,
    PlanRejected,
    ReleaseDecided,
)
from driftwatch.monitor.reports import atomic_write
from driftwatch.settings import Settings

GROUP = "audit"
LATEST: dict[type[Event], str] = {
    DriftDetected: "sentinel_report.json",
    PlanCreated: "execution_plan.json",
    ReleaseDecided: "release_result.json",
}
"""Event type -> the file holding the latest one, named as in the original design."""

AUDITED: tuple[type[Event], ...] = (
    MonitoringSummary,
    DriftDetected,
    IncidentResolved,
    PlanCreated,
    PlanApproved,
    PlanRejected,
    ReleaseDecided,
)


class AuditTrail:
    """The files under one events directory; safe to call from several threads."""

    def __init__(self, events_dir: Path) -> None:
        self.events_dir = events_dir
        self.trail = events_dir / TRAIL
        self._lock = threading.Lock()
        self._written: set[str] | None = None

    def record(self, event: Event) -> bool:
        """Append ``event`` to the trail and refresh its latest-of file.

        Returns:
            False when the trail already held the event (a redelivery).
        """
        with self._lock:
            written = self._ids()
            key = str(event.event_id)
            if key in written:
                return False
            self.events_dir.mkdir(parents=True, exist_ok=True)
            with self.trail.open("a", encoding="utf-8") as trail:
                trail.write(event.model_dump_json() + "\n")
            written.add(key)
            latest = LATEST.get(type(event))
            if latest is not None:
                self._keep_latest(self.events_dir / latest, event)
            return True

    def _ids(self) -> set[str]:
        if self._written is None:
            self._written = set()
            if self.trail.exists():
                with self.trail.open(encoding="utf-8") as trail:
                    for line in trail:
                        try:
                            self._written.add(str(json.loads(line)["event_id"]))
                        except (ValueError, KeyError, TypeError):
                            continue  # a line cut short by a crash: readers skip it too
        return self._written

    @staticmethod
    def _keep_latest(path: Path, event: Event) -> None:
        try:
            shown = datetime.fromisoformat(json.loads(path.read_text("utf-8"))["occurred_at"])
        except (OSError, ValueError, KeyError, TypeError):
            shown = None
        if shown is not None and event.occurred_at < shown:
            return
        payload = event.model_dump_json(indent=2)
        atomic_write(path, lambda temp: temp.write_text(payload, encoding="utf-8"))


def handlers(settings: Settings) -> dict[type[Event], Handler]:
    """The same handler for every audited event type."""
    trail = AuditTrail(settings.events_dir)

    async def record(event: Event, ctx: HandlerContext) -> Sequence[Event]:
        await asyncio.to_thread(trail.record, event)
        return []

    return dict.fromkeys(AUDITED, record)


def create_app(settings: Settings | None = None, *, name: str | None = None) -> FastStream:
    """One audit replica (``faststream run --factory driftwatch.agents.audit:create_app``)."""
    settings = settings or Settings()
    return consumer_app(settings, GROUP, handlers(settings), name=name)
