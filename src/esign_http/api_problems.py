"""The problem-details schema of ``/api/v1`` for the OpenAPI document (the responses
themselves are built by :mod:`esign_http.errors`)."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from litestar.openapi.datastructures import ResponseSpec


@dataclass
class ProblemOut:
    """RFC 9457 problem details: how every ``/api`` error is answered."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str
    fields: dict[str, Any] | None = None


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=ProblemOut, generate_examples=False,
                                 media_type="application/problem+json", description=HTTPStatus(status).phrase)
            for status in statuses}
