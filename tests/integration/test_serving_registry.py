"""The served model follows the registry by polling when no release event can arrive."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from driftwatch.serving.app import create_app
from driftwatch.settings import Settings
from driftwatch.training import PRODUCTION, promote, train_and_register

pytestmark = pytest.mark.integration

ROW = {
    "transaction_amount": 80.0,
    "transaction_hour": 22,
    "customer_age": 33,
    "account_tenure_days": 40,
    "merchant_risk_score": 0.7,
    "geo_distance_km": 900.0,
    "is_international": 1,
    "merchant_category": "electronics",
    "channel": "online",
    "txn_count_24h": 6,
}


def _wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {deadline_s}s waiting for {what}")


def test_with_redis_down_the_registry_poll_loads_and_swaps_the_model(
    settings: Settings, production_model: str, baseline_frame: pd.DataFrame
) -> None:
    offline = settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "registry_poll_s": 0.2}
    )
    with TestClient(create_app(offline)) as client:
        _wait_for(lambda: client.get("/health/ready").status_code == 200, "the first load")
        assert client.get("/model").json()["version"] == production_model
        candidate = train_and_register(baseline_frame.iloc[:6000], settings, seed=3, threads=1)
        promote(settings, candidate.version, PRODUCTION)
        _wait_for(
            lambda: client.get("/model").json()["version"] == candidate.version,
            "the poll to swap in the promoted version",
        )
        answer = client.post("/predict", json=ROW)
        assert answer.status_code == 200
        assert answer.json()["model_version"] == candidate.version
