"""The API with no model and no Redis: it answers, refuses bad input with 4xx, never a 5xx."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from driftwatch.serving.app import create_app
from driftwatch.settings import Settings

ROW: dict[str, Any] = {
    "transaction_amount": 12.5,
    "transaction_hour": 9,
    "customer_age": 40,
    "account_tenure_days": 700,
    "merchant_risk_score": 0.1,
    "geo_distance_km": 2.0,
    "is_international": 0,
    "merchant_category": "grocery",
    "channel": "pos",
    "txn_count_24h": 1,
}
DOCUMENTED_METRICS = (
    "driftwatch_http_requests_total",
    "driftwatch_http_request_duration_seconds",
    "driftwatch_prediction_rows_total",
    "driftwatch_fraud_flags_total",
    "driftwatch_model_version_info",
    "driftwatch_model_reloads_total",
    "driftwatch_microbatch_rows",
    "driftwatch_prediction_batches_published_total",
    "driftwatch_prediction_rows_published_total",
    "driftwatch_prediction_rows_dropped_total",
)


def _client(tmp_path: Path, empty_store: Path, **overrides: Any) -> Iterator[TestClient]:
    """The app over an empty MLflow store (a copy of a migrated one: migrating takes seconds)."""
    home = tmp_path / "var"
    shutil.copyfile(empty_store, tmp_path / "mlflow.db")
    settings = Settings(
        home=home,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens: Redis is down
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        max_batch=3,
        **overrides,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, migrated_mlflow_db: Path
) -> Iterator[TestClient]:
    yield from _client(tmp_path_factory.mktemp("api"), migrated_mlflow_db)


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, migrated_mlflow_db: Path
) -> Iterator[TestClient]:
    yield from _client(tmp_path_factory.mktemp("guarded"), migrated_mlflow_db, api_token="s3cret")


def test_live_without_a_model_but_not_ready(client: TestClient) -> None:
    assert client.get("/health/live").json()["status"] == "ok"
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert client.get("/model").status_code == 503


def test_predict_without_a_model_says_so(client: TestClient) -> None:
    response = client.post("/predict", json=ROW)
    assert response.status_code == 503
    assert "no model" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ROW, "customer_age": "forty"}, "customer_age"),
        ({k: v for k, v in ROW.items() if k != "channel"}, "channel"),
        ({**ROW, "transaction_amount": -1}, "transaction_amount"),
        ({**ROW, "transaction_hour": 24}, "transaction_hour"),
        ({**ROW, "timestamp": "2026-11-02T10:00:00"}, "timestamp"),
        ({**ROW, "colour": "red"}, "colour"),
        ([ROW, {**ROW, "is_international": 2}], "is_international"),
    ],
)
def test_bad_fields_are_422_naming_the_field(client: TestClient, body: Any, field: str) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_422(client: TestClient, number: str) -> None:
    body = f'{{"transaction_amount": {number}, "transaction_hour": 1}}'
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "finite_number"


@pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b'"one"', b"42", b"\xff\xfe{"])
def test_bodies_that_are_not_transactions_are_422(client: TestClient, body: bytes) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_a_batch_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/predict", json=[ROW] * 4)
    assert response.status_code == 413
    assert "limit is 3" in response.json()["detail"]


def test_feedback_validates_before_touching_the_bus(client: TestClient) -> None:
    assert client.post("/feedback", json={"labels": []}).status_code == 422
    assert client.post("/feedback", json={"labels": [{"request_id": "a"}]}).status_code == 422
    too_many = [{"request_id": str(i), "is_fraud": False} for i in range(4)]
    assert client.post("/feedback", json={"labels": too_many}).status_code == 413


def test_feedback_with_the_bus_down_is_503_not_a_crash(client: TestClient) -> None:
    response = client.post("/feedback", json={"labels": [{"request_id": "a", "is_fraud": True}]})
    assert response.status_code == 503
    assert "bus is unavailable" in response.json()["detail"]


def test_reload_is_disabled_without_a_configured_token(client: TestClient) -> None:
    response = client.post("/admin/reload", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic czNjcmV0"])
def test_reload_needs_the_bearer_token(guarded: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = guarded.post("/admin/reload", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_reload_with_the_token_but_no_model_is_503(guarded: TestClient) -> None:
    response = guarded.post("/admin/reload", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 503
    assert "has alias 'production'" in response.json()["detail"]


def test_docs_and_metrics_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/predict" in client.get("/openapi.json").json()["paths"]
    client.get("/no-such-page")
    text = client.get("/metrics").text
    for name in DOCUMENTED_METRICS:
        assert f"# TYPE {name.removesuffix('_total')}" in text
    assert 'endpoint="unmatched",method="GET",status="404"' in text
