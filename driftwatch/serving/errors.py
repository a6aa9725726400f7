"""Client mistakes in the body as 422 answers that can always be written as JSON.

FastAPI echoes the offending input in each validation error. A body with ``NaN`` or ``Infinity``
(which Python's JSON parser accepts) would then make the error response itself unserialisable and
turn a client mistake into a 500; here such values are echoed as strings instead. A body that is
not even text (invalid UTF-8) is, like any other body that is not JSON, a 422 rather than
FastAPI's bare 400.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """422 with FastAPI's field-level errors, non-finite numbers echoed as strings."""
    assert isinstance(error, RequestValidationError)
    return _unprocessable(_finite(jsonable_encoder(error.errors())))


async def undecodable_body_handler(request: Request, error: Exception) -> Response:
    """422 for a body FastAPI could not decode; every other HTTP error unchanged."""
    assert isinstance(error, HTTPException)
    if error.status_code == status.HTTP_400_BAD_REQUEST and isinstance(error.__cause__, ValueError):
        problem = {
            "type": "json_invalid",
            "loc": ["body"],
            "msg": f"body is not JSON: {error.__cause__}",
        }
        return _unprocessable([problem])
    return await http_exception_handler(request, error)


def _unprocessable(detail: list[Any]) -> JSONResponse:
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
