"""API Gateway HTTP API (payload 2.0) and Lambda Function URL events.

The query arrives raw (``rawQueryString``) and is forwarded as received; the answer carries
``headers`` and ``cookies``.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callback_router.adapters.api import Answer, CallbackQuery, Front, body_fields, payload_v2_headers
from callback_router.core.limits import LAMBDA_RESPONSE_LIMIT
from callback_router.core.uri import query_values


@dataclass(frozen=True)
class HttpApiFront(Front):
    """Payload 2.0: the HTTP API and Function URL front."""

    def method(self, event: dict[str, Any]) -> str:
        """``requestContext.http.method``, upper case."""
        return str(event["requestContext"]["http"]["method"].upper())

    def path(self, event: dict[str, Any]) -> str:
        """``rawPath`` less a named stage, as API Gateway mapped it."""
        stage = event["requestContext"]["stage"]
        raw_path: str = event["rawPath"]
        return raw_path if stage == "$default" else raw_path[len("/" + stage) :]

    def query(self, event: dict[str, Any]) -> CallbackQuery:
        """The raw query string, forwarded as received."""
        raw = event["rawQueryString"] or ""
        return CallbackQuery(raw, query_values(raw, "state"))

    def write(self, answer: Answer, event: dict[str, Any]) -> dict[str, Any]:
        """The payload 2.0 answer (``cookies`` for ``Set-Cookie``)."""
        return body_fields(answer) | payload_v2_headers(answer)


HTTP_API_FRONT = HttpApiFront("HTTP API / Function URL", LAMBDA_RESPONSE_LIMIT, binary_bodies=True)
