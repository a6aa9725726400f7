"""Prometheus metrics of every bus consumer, labelled by consumer group, and their endpoint.

The metrics live in prometheus-client's default registry (created on first use, not at import),
so an agent's own metrics registered there are served by the same ``/metrics`` endpoint.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server

from driftwatch.settings import Settings

HANDLING_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600)
"""From a sub-millisecond audit write to a ten-minute retraining."""


@dataclass(frozen=True, slots=True)
class BusMetrics:
    """The consumer-side counters and histogram of DESIGN.md's Metrics section."""

    handled: Counter
    duplicates: Counter
    failed: Counter
    deadlettered: Counter
    handling_seconds: Histogram

    def of(self, consumer: str) -> ConsumerMetrics:
        """The children labelled ``consumer``, resolved once instead of per event."""
        return ConsumerMetrics(
            handled=self.handled.labels(consumer),
            duplicates=self.duplicates.labels(consumer),
            failed=self.failed.labels(consumer),
            deadlettered=self.deadlettered.labels(consumer),
            handling_seconds=self.handling_seconds.labels(consumer),
        )


@dataclass(frozen=True, slots=True)
class ConsumerMetrics:
    """``BusMetrics`` of one consumer group."""

    handled: Counter
    duplicates: Counter
    failed: Counter
    deadlettered: Counter
    handling_seconds: Histogram


@cache
def bus_metrics(registry: CollectorRegistry = REGISTRY) -> BusMetrics:
    """The bus metrics in ``registry``, created once per registry."""
    label = ["consumer"]
    return BusMetrics(
        handled=Counter(
            "driftwatch_events_handled",
            "Events a consumer handled: output, marker and ack committed.",
            label,
            registry=registry,
        ),
        duplicates=Counter(
            "driftwatch_events_duplicates",
            "Deliveries of events already handled by the group: acked, nothing redone.",
            label,
            registry=registry,
        ),
        failed=Counter(
            "driftwatch_events_failed",
            "Attempts that did not complete (the handler raised, or Redis failed the commit).",
            label,
            registry=registry,
        ),
        deadlettered=Counter(
            "driftwatch_events_deadlettered",
            "Deliveries moved to the deadletter stream and acked.",
            label,
            registry=registry,
        ),
        handling_seconds=Histogram(
            "driftwatch_event_handling_seconds",
            "Time from a handler's start to the commit of its outputs.",
            label,
            buckets=HANDLING_BUCKETS_S,
            registry=registry,
        ),
    )


@dataclass(frozen=True, slots=True)
class MetricsServer:
    """A running ``/metrics`` endpoint; ``close()`` frees its port."""

    port: int
    server: WSGIServer
    thread: threading.Thread

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        _servers.pop(self.port, None)


_servers: dict[int, MetricsServer] = {}
_servers_lock = threading.Lock()


def serve_metrics(
    settings: Settings, registry: CollectorRegistry = REGISTRY, host: str = "0.0.0.0"
) -> MetricsServer | None:
    """Serve ``registry`` on ``settings.metrics_port`` when it is set; else do nothing.

    Idempotent per port within a process, so an agent calling it beside ``consumer_app`` (which
    calls it too) gets the one server rather than an "address in use" error.
    """
    port = settings.metrics_port
    if port is None:
        return None
    with _servers_lock:
        running = _servers.get(port)
        if running is None:
            server, thread = start_http_server(port, addr=host, registry=registry)
            running = _servers[port] = MetricsServer(port=port, server=server, thread=thread)
        return running
