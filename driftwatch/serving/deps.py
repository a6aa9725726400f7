"""What routes depend on, as ``Annotated`` aliases: the parts the lifespan built, and admin auth."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis

from driftwatch.serving.batch_publisher import BatchPublisher
from driftwatch.serving.metrics import ServingMetrics
from driftwatch.serving.microbatch import MicroBatcher
from driftwatch.serving.model_holder import ModelHolder
from driftwatch.settings import Settings


@dataclass(frozen=True, slots=True)
class Serving:
    """Everything the lifespan owns for one app, handed to routes through dependencies."""

    settings: Settings
    metrics: ServingMetrics
    redis: Redis
    holder: ModelHolder
    batcher: MicroBatcher
    publisher: BatchPublisher


def get_serving(request: Request) -> Serving:
    return request.app.state.serving


ServingDep = Annotated[Serving, Depends(get_serving)]

_bearer = HTTPBearer(
    auto_error=False,
    description="DRIFTWATCH_API_TOKEN; admin endpoints are disabled (403) when it is not set.",
)


def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with ``Authorization: Bearer $DRIFTWATCH_API_TOKEN``.

    Raises:
        HTTPException: 403 when no token is configured (the endpoint is disabled), 401 when the
            header is missing or the token is wrong.
    """
    token = request.app.state.settings.api_token
    if token is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "admin endpoints are disabled: set DRIFTWATCH_API_TOKEN to enable them",
        )
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), token.get_secret_value().encode()
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid 'Authorization: Bearer <DRIFTWATCH_API_TOKEN>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


AdminDep = Depends(require_admin)
