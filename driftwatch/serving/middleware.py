"""Request count and latency per route, as a plain ASGI middleware (cheap on the hot path)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftwatch.serving.metrics import ServingMetrics

UNMATCHED = "unmatched"
"""Endpoint label of requests no route matched, so unknown paths cannot explode label sets."""


class RequestMetricsMiddleware:
    """Counts every HTTP request by route template, method and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500  # what the client sees if the app raises before answering

        async def send_and_record(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_record)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", UNMATCHED)
            self._metrics.requests.labels(endpoint, scope["method"], str(status_code)).inc()
            self._metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
