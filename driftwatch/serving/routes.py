"""HTTP endpoints: thin wiring between validated bodies and the parts in ``deps.Serving``."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body, HTTPException, Response, status
from redis.exceptions import RedisError

from driftwatch.bus.publish import publish
from driftwatch.contracts.events import LabelFeedback, default_producer
from driftwatch.contracts.features import TransactionIn
from driftwatch.serving.batch_publisher import PUBLISH_TIMEOUT_S, ModelRef
from driftwatch.serving.deps import AdminDep, ServingDep
from driftwatch.serving.metrics import METRICS_CONTENT_TYPE
from driftwatch.serving.microbatch import NoModelLoaded, ScoringFailed
from driftwatch.serving.model_holder import RegistryUnavailable, ServedModel
from driftwatch.serving.schemas import (
    FeedbackAccepted,
    FeedbackIn,
    Health,
    ModelInfo,
    PredictBody,
    Prediction,
    Problem,
    ReloadResult,
)

router = APIRouter()

_ERRORS = {
    413: {"model": Problem, "description": "More rows than DRIFTWATCH_MAX_BATCH."},
    503: {"model": Problem, "description": "No model is loaded yet."},
}


@router.post(
    "/predict",
    responses={**_ERRORS, 422: {"model": Problem, "description": "Invalid transaction(s)."}},
    tags=["predict"],
)
async def predict(
    body: Annotated[PredictBody, Body()], serving: ServingDep
) -> Prediction | list[Prediction]:
    """Score one transaction, or a list of them (one answer per row, in order).

    A missing ``transaction_id`` gets a generated ``request_id``; a missing ``timestamp`` is the
    arrival time. Rows go to the bus as ``PredictionBatch`` events after the answer is computed.
    """
    transactions = body if isinstance(body, list) else [body]
    _check_batch_size(len(transactions), serving.settings.max_batch)
    arrived = datetime.now(UTC)
    request_ids = [t.transaction_id or uuid4().hex for t in transactions]
    try:
        scores = await serving.batcher.score(transactions)
    except NoModelLoaded as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    except ScoringFailed as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"the model could not score this input: {error}"
        ) from error
    model = scores.served.model
    version = scores.served.version
    probabilities: list[float] = scores.probabilities.tolist()
    flags = [p >= model.threshold for p in probabilities]
    serving.metrics.rows_scored.labels(version).inc(len(flags))
    serving.metrics.fraud_flags.labels(version).inc(sum(flags))
    if serving.settings.publish_predictions:
        records = [
            _record(t, rid, arrived) for t, rid in zip(transactions, request_ids, strict=True)
        ]
        serving.publisher.add(
            ModelRef(model.name, version, model.threshold), records, probabilities, request_ids
        )
    predictions = [
        Prediction(request_id=rid, fraud_probability=p, is_fraud=flag, model_version=version)
        for rid, p, flag in zip(request_ids, probabilities, flags, strict=True)
    ]
    return predictions if isinstance(body, list) else predictions[0]


@router.post(
    "/feedback",
    status_code=status.HTTP_202_ACCEPTED,
    responses={413: _ERRORS[413], 503: {"model": Problem, "description": "The bus is down."}},
    tags=["predict"],
)
async def feedback(body: FeedbackIn, serving: ServingDep) -> FeedbackAccepted:
    """Publish delayed ground-truth labels as one ``LabelFeedback`` event for the monitor."""
    _check_batch_size(len(body.labels), serving.settings.max_batch)
    event = LabelFeedback(labels=body.labels, producer=default_producer("serving"))
    try:
        await asyncio.wait_for(
            publish(serving.redis, serving.settings, event), timeout=PUBLISH_TIMEOUT_S
        )
    except (RedisError, OSError, TimeoutError) as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the bus is unavailable; the labels were not recorded, send them again later",
        ) from error
    return FeedbackAccepted(event_id=event.event_id, labels=len(body.labels))


@router.get("/model", responses={503: _ERRORS[503]}, tags=["model"])
async def model_info(serving: ServingDep) -> ModelInfo:
    """The model version being served and where it came from."""
    served = serving.holder.current
    if served is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no model is loaded yet")
    return _info(served)


@router.post(
    "/admin/reload",
    dependencies=[AdminDep],
    responses={
        401: {"model": Problem, "description": "Missing or wrong bearer token."},
        403: {"model": Problem, "description": "Disabled: DRIFTWATCH_API_TOKEN is not set."},
        503: {"model": Problem, "description": "Registry unreachable or no model there."},
    },
    tags=["model"],
)
async def reload_model(serving: ServingDep) -> ReloadResult:
    """Re-read the registry alias and load its version now, even if it is the one served."""
    previous = serving.holder.current
    try:
        served = await serving.holder.refresh(force=True)
    except RegistryUnavailable as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    if served is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"no version of {serving.settings.model_name} has alias {serving.holder.alias!r}",
        )
    return ReloadResult(
        previous_version=None if previous is None else previous.version, model=_info(served)
    )


@router.get("/health/live", response_model_exclude_none=True, tags=["health"])
async def live() -> Health:
    """The process answers (it may still be waiting for a model)."""
    return Health(status="ok", worker=os.getpid())


@router.get(
    "/health/ready",
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "No model loaded yet."}},
    tags=["health"],
)
async def ready(serving: ServingDep, response: Response) -> Health:
    """Ready once a model is loaded; Redis being down does not make the API unready."""
    served = serving.holder.current
    if served is None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Health(status="not_ready", worker=os.getpid(), detail="no model is loaded yet")
    return Health(status="ready", worker=os.getpid(), model_version=served.version)


@router.get("/metrics", include_in_schema=False)
async def metrics(serving: ServingDep) -> Response:
    """Prometheus exposition of every worker's metrics."""
    return Response(serving.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)


def _check_batch_size(rows: int, limit: int) -> None:
    if rows > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{rows} rows in one request; the limit is {limit} (DRIFTWATCH_MAX_BATCH)",
        )


def _record(transaction: TransactionIn, request_id: str, arrived: datetime) -> dict[str, Any]:
    """The row as it goes on the bus: its fields, its request id and an event time."""
    timestamp = transaction.timestamp or arrived
    return {**vars(transaction), "transaction_id": request_id, "timestamp": timestamp}


def _info(served: ServedModel) -> ModelInfo:
    model = served.model
    return ModelInfo(
        name=model.name,
        version=served.version,
        alias=served.alias,
        threshold=model.threshold,
        metrics=dict(model.metrics),
        loaded_at=served.loaded_at,
    )
