"""The scenario publisher against a fake API: order, ids, timestamps and the label delay."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from driftwatch.contracts.features import FEATURE_NAMES, LABEL, TIMESTAMP, TRANSACTION_ID
from driftwatch.generator import generate
from driftwatch.stack.publisher import Pacing, PublishError, ScenarioPublisher

API = "http://api.test"


class FakeApi:
    """Answers /predict and /feedback like the real API and records the order of calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append((request.url.path, body))
        if request.url.path == "/predict":
            answers = [
                {
                    "request_id": row[TRANSACTION_ID],
                    "fraud_probability": 0.9 if row["merchant_risk_score"] > 0.5 else 0.1,
                    "is_fraud": row["merchant_risk_score"] > 0.5,
                    "model_version": "7",
                }
                for row in body
            ]
            return httpx.Response(200, json=answers)
        return httpx.Response(202, json={"event_id": "0" * 32, "labels": len(body["labels"])})

    def sent_rows(self) -> list[dict[str, Any]]:
        return [row for path, body in self.calls if path == "/predict" for row in body]

    def label_batches(self) -> list[tuple[int, list[dict[str, Any]]]]:
        """Each /feedback call with how many rows had been sent before it."""
        sent, batches = 0, []
        for path, body in self.calls:
            if path == "/predict":
                sent += len(body)
            else:
                batches.append((sent, body["labels"]))
        return batches


@pytest.fixture(scope="module")
def frame():
    return generate("feature_drift", rows=1000, seed=3).frame


def publish(frame, pacing: Pacing) -> tuple[FakeApi, Any]:
    api = FakeApi()
    with ScenarioPublisher(API, transport=httpx.MockTransport(api)) as publisher:
        return api, publisher.publish(frame, pacing)


def test_rows_go_in_order_with_their_ids_timestamps_and_features(frame) -> None:
    api, sent = publish(frame, Pacing(batch_rows=64, window_rows=200))

    rows = api.sent_rows()
    assert [row[TRANSACTION_ID] for row in rows] == frame[TRANSACTION_ID].tolist()
    assert rows[0][TIMESTAMP] == frame[TIMESTAMP].iloc[0].isoformat()
    assert set(rows[0]) == {TRANSACTION_ID, TIMESTAMP, *FEATURE_NAMES}
    assert sent.rows == 1000
    assert sent.rows_by_version == {"7": 1000}
    assert sent.flagged == int((frame["merchant_risk_score"] > 0.5).sum())


@pytest.mark.parametrize("delay", [0, 1, 2])
def test_a_windows_labels_follow_once_delay_more_windows_of_traffic_were_sent(
    frame, delay: int
) -> None:
    api, sent = publish(frame, Pacing(batch_rows=50, window_rows=200, labels_after_windows=delay))

    batches = api.label_batches()
    assert [len(labels) for _, labels in batches] == [200] * 5
    for window, (rows_before, labels) in enumerate(batches):
        ids = frame[TRANSACTION_ID].iloc[window * 200 : (window + 1) * 200].tolist()
        assert [label["request_id"] for label in labels] == ids
        # sent as soon as `delay` more windows of traffic are out; the rest when traffic ends
        assert rows_before == min((window + 1 + delay) * 200, 1000)
    expected = frame[LABEL].astype(bool).tolist()
    assert [label["is_fraud"] for _, b in batches for label in b] == expected
    assert sent.labels == 1000


def test_without_a_label_column_no_labels_are_sent(frame) -> None:
    api, sent = publish(frame.drop(columns=LABEL), Pacing(window_rows=200))

    assert api.label_batches() == []
    assert sent.labels == 0


def test_a_big_window_sends_its_labels_in_chunks_the_api_accepts() -> None:
    frame = generate("baseline", rows=2500, seed=1).frame
    api, _ = publish(frame, Pacing(batch_rows=500, window_rows=2500))

    assert [len(labels) for _, labels in api.label_batches()] == [1000, 1000, 500]


def test_no_api_is_a_clear_error(frame) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        ScenarioPublisher(API, transport=httpx.MockTransport(refuse)) as publisher,
        pytest.raises(PublishError, match=r"no API answers at http://api.test.*driftwatch up"),
    ):
        publisher.publish(frame, Pacing())


def test_an_api_without_a_model_says_what_to_do(frame) -> None:
    def no_model(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "no model is loaded yet"})

    with (
        ScenarioPublisher(API, transport=httpx.MockTransport(no_model)) as publisher,
        pytest.raises(PublishError, match="no model in production yet"),
    ):
        publisher.publish(frame, Pacing())


def test_a_refused_request_shows_the_answer(frame) -> None:
    def unauthorized(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "bad token"})

    with (
        ScenarioPublisher(API, transport=httpx.MockTransport(unauthorized)) as publisher,
        pytest.raises(PublishError, match=r"POST /predict answered 401.*bad token"),
    ):
        publisher.publish(frame, Pacing())
