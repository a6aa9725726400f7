"""Scenario traffic through the HTTP API, with its labels a fixed number of windows later.

Rows go to ``POST /predict`` in order, a batch per request, each with its ``transaction_id`` and
event ``timestamp``, so the monitor's windows and the label join see exactly the generated data.
Labels are held back and sent to ``POST /feedback`` once ``labels_after_windows`` more windows of
traffic have been sent (delay counted in windows, not seconds, so a run is the same on any
machine); when the traffic ends, the labels still held are sent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, TIMESTAMP, TRANSACTION_ID

REQUEST_TIMEOUT_S = 30.0
FEEDBACK_CHUNK = 1000
"""Labels per /feedback request: the API's default DRIFTWATCH_MAX_BATCH."""


class PublishError(RuntimeError):
    """The API refused or could not be reached; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Pacing:
    """How traffic is sent.

    Attributes:
        batch_rows: Rows per /predict request.
        rate: Rows per second; None sends as fast as the API answers.
        window_rows: Size of a monitoring window, in rows (the stack's DRIFTWATCH_WINDOW_ROWS).
        labels_after_windows: Windows of traffic between a window's rows and its labels.
    """

    batch_rows: int = 200
    rate: float | None = None
    window_rows: int = 2000
    labels_after_windows: int = 1


@dataclass(frozen=True, slots=True)
class Published:
    """What a run sent."""

    rows: int
    flagged: int
    labels: int
    requests: int
    seconds: float
    rows_by_version: dict[str, int]
    """Rows each model version scored: the monitor windows them per version."""

    @property
    def model_versions(self) -> tuple[str, ...]:
        return tuple(self.rows_by_version)


@dataclass
class _Progress:
    rows: int = 0
    flagged: int = 0
    labels: int = 0
    requests: int = 0


class ScenarioPublisher:
    """Sends a generated frame to a running API.

    Args:
        api_url: Base URL of the API, e.g. ``http://127.0.0.1:8000``.
        token: ``DRIFTWATCH_API_TOKEN`` when the API guards its write endpoints.
        on_rows: Called with the number of rows after each /predict answer.
        on_labels: Called with the number of labels after each /feedback answer.
        transport: An httpx transport to use instead of the network (tests use a mock).
    """

    def __init__(
        self,
        api_url: str,
        token: str | None = None,
        on_rows: Callable[[int], None] = lambda _: None,
        on_labels: Callable[[int], None] = lambda _: None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.api_url = api_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.api_url, headers=headers, timeout=REQUEST_TIMEOUT_S, transport=transport
        )
        self._on_rows = on_rows
        self._on_labels = on_labels

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ScenarioPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, frame: pd.DataFrame, pacing: Pacing) -> Published:
        """Send every row of ``frame`` in order, and its labels by ``pacing``.

        Raises:
            PublishError: the API is unreachable, has no model, or refused a request.
        """
        began = time.monotonic()
        progress = _Progress()
        versions: Counter[str] = Counter()
        rows = _transactions(frame)
        labels = _labels(frame) if LABEL in frame.columns else []
        labeled_windows = 0
        for start in range(0, len(rows), pacing.batch_rows):
            batch = rows[start : start + pacing.batch_rows]
            if pacing.rate is not None:
                _wait_until(began + start / pacing.rate)
            answers = self._post("/predict", batch)
            progress.requests += 1
            progress.rows += len(batch)
            progress.flagged += sum(1 for answer in answers if answer["is_fraud"])
            versions.update(answer["model_version"] for answer in answers)
            self._on_rows(len(batch))
            done_windows = progress.rows // pacing.window_rows
            while labels and labeled_windows < done_windows - pacing.labels_after_windows:
                self._send_labels(labels, labeled_windows, pacing.window_rows, progress)
                labeled_windows += 1
        while labels and labeled_windows * pacing.window_rows < len(rows):
            self._send_labels(labels, labeled_windows, pacing.window_rows, progress)
            labeled_windows += 1
        return Published(
            rows=progress.rows,
            flagged=progress.flagged,
            labels=progress.labels,
            requests=progress.requests,
            seconds=time.monotonic() - began,
            rows_by_version=dict(versions),
        )

    def _send_labels(
        self, labels: list[dict[str, Any]], window: int, window_rows: int, progress: _Progress
    ) -> None:
        chunk = labels[window * window_rows : (window + 1) * window_rows]
        for start in range(0, len(chunk), FEEDBACK_CHUNK):
            part = chunk[start : start + FEEDBACK_CHUNK]
            self._post("/feedback", {"labels": part})
            progress.requests += 1
            progress.labels += len(part)
            self._on_labels(len(part))

    def _post(self, path: str, body: object) -> Any:
        try:
            response = self._client.post(path, json=body)
        except httpx.TransportError as error:
            raise PublishError(
                f"no API answers at {self.api_url} ({error.__class__.__name__}): "
                "start the stack with driftwatch up (or make up)"
            ) from error
        if response.status_code == 503 and path == "/predict":
            raise PublishError(
                f"the API at {self.api_url} has no model in production yet: train and promote "
                "one first (make train promote-prod)"
            )
        if response.is_error:
            raise PublishError(
                f"POST {path} answered {response.status_code}: {response.text[:500]}"
            )
        return response.json()


def _transactions(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The /predict bodies: the features, the transaction id and the event time (ISO 8601)."""
    columns = [TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES]
    records = frame[columns].astype(object).to_dict("records")
    for record in records:
        record[TIMESTAMP] = pd.Timestamp(record[TIMESTAMP]).isoformat()
    return records


def _labels(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"request_id": str(tid), "is_fraud": bool(label)}
        for tid, label in zip(frame[TRANSACTION_ID], frame[LABEL], strict=True)
    ]


def _wait_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
