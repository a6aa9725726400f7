"""Validation errors as 422 answers that can always be written as JSON.

FastAPI echoes the offending input in each error. A body with ``NaN`` or ``Infinity`` (which
Python's JSON parser accepts) would then make the error response itself unserialisable and turn a
client mistake into a 500; here such values are echoed as strings instead.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """422 with FastAPI's field-level errors, non-finite numbers echoed as strings."""
    assert isinstance(error, RequestValidationError)
    detail = _finite(jsonable_encoder(error.errors()))
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail}
    )


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
