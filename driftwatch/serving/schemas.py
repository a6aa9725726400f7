"""Request and response bodies of the prediction API; their descriptions feed ``/docs``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from driftwatch.contracts.events import LabelPair
from driftwatch.contracts.features import TransactionIn


def _shape(body: Any) -> str | None:
    if isinstance(body, list):
        return "many"
    if isinstance(body, dict | TransactionIn):
        return "one"
    return None


PredictBody = Annotated[
    Annotated[TransactionIn, Tag("one")]
    | Annotated[list[TransactionIn], Tag("many"), Field(min_length=1)],
    Discriminator(
        _shape,
        custom_error_type="body_shape",
        custom_error_message="expected one transaction object or a non-empty list of them",
    ),
]
"""One transaction or a list; the shape picks the branch, so errors name only that branch."""


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, protected_namespaces=())


class Prediction(_Response):
    """The model's answer for one transaction."""

    request_id: str = Field(description="The transaction_id sent, or one generated for the row.")
    fraud_probability: float = Field(ge=0, le=1, description="Model score for the fraud class.")
    is_fraud: bool = Field(description="fraud_probability >= the model version's threshold.")
    model_version: str = Field(description="Registry version that scored the row.")


class FeedbackIn(BaseModel):
    """Delayed ground truth: the fraud label of earlier predictions, by request_id."""

    model_config = ConfigDict(extra="forbid")

    labels: list[LabelPair] = Field(
        min_length=1,
        description="One pair per labeled transaction.",
        examples=[[{"request_id": "tx-123", "is_fraud": True}]],
    )


class FeedbackAccepted(_Response):
    event_id: UUID = Field(description="Id of the LabelFeedback event published.")
    labels: int = Field(description="Labels it carries.")


class ModelInfo(_Response):
    """The model version being served."""

    name: str
    version: str
    alias: str = Field(description="Registry alias the service follows.")
    threshold: float = Field(description="Decision threshold of this version.")
    metrics: dict[str, float] = Field(description="Metrics logged on the version's run.")
    loaded_at: datetime


class ReloadResult(_Response):
    previous_version: str | None = Field(description="Version served before the reload.")
    model: ModelInfo


class Health(_Response):
    status: Literal["ok", "ready", "not_ready"]
    worker: int = Field(description="Process id of the worker that answered (one per replica).")
    model_version: str | None = None
    detail: str | None = None


class Problem(_Response):
    """Body of every error response."""

    detail: Any = Field(description="What was wrong: a message, or field-level errors on 422.")
