"""Window rows as stored in Redis: one JSON item per scored row, back to a frame with labels."""

from __future__ import annotations

from datetime import UTC, datetime

from driftwatch.contracts.events import PredictionBatch
from driftwatch.contracts.features import TransactionRecord
from driftwatch.monitor.windows import WindowRows, encode_rows

ROW = {
    "transaction_amount": 42.5,
    "transaction_hour": 14,
    "customer_age": 37,
    "account_tenure_days": 900,
    "merchant_risk_score": 0.2,
    "geo_distance_km": 3.1,
    "is_international": 0,
    "merchant_category": "grocery",
    "channel": "pos",
    "txn_count_24h": 2,
}


def batch(ids: list[str], threshold: float = 0.4) -> PredictionBatch:
    stamp = datetime(2026, 11, 2, 14, tzinfo=UTC)
    rows = [TransactionRecord(transaction_id=i, timestamp=stamp, **ROW) for i in ids]
    return PredictionBatch(
        model_name="fraud-detector",
        model_version="3",
        threshold=threshold,
        rows=rows,
        scores=[0.1 * (n + 1) for n in range(len(ids))],
        request_ids=ids,
    )


def test_rows_come_back_as_a_frame_with_the_labels_known() -> None:
    first, last = batch(["a", "b"]), batch(["c"], threshold=0.6)
    rows = WindowRows.decode([*encode_rows(first, 100.0), *encode_rows(last, 105.0)])
    frame = rows.frame([b"1", None, "0"])
    assert list(frame["request_id"]) == ["a", "b", "c"]
    assert list(frame["fraud_probability"]) == [0.1, 0.2, 0.1]
    assert frame["is_fraud"].tolist()[0] == 1
    assert frame["is_fraud"].isna().tolist() == [False, True, False]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    assert rows.threshold == 0.6
    assert rows.first_arrival == 100.0
    assert rows.cause.event_id == last.event_id


def test_stored_rows_round_trip() -> None:
    rows = WindowRows.decode(encode_rows(batch(["a"]), 1.0))
    assert WindowRows.from_json(rows.encode()) == rows
