"""API Gateway REST API events (proxy integration, payload 1.0).

Only decoded keys and values exist (API Gateway decodes them as a form would: ``+`` is a space,
``%2B`` a ``+``), so the query is encoded once (``encode_query_pairs``): the one front where the
exact original bytes cannot be kept. The answer carries ``multiValueHeaders``.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callback_router.adapters.api import Answer, CallbackQuery, PayloadV1Front, body_fields, multi_value_headers
from callback_router.core.limits import LAMBDA_RESPONSE_LIMIT
from callback_router.core.uri import encode_query_pairs, query_values


@dataclass(frozen=True)
class RestApiFront(PayloadV1Front):
    """Payload 1.0: the REST API front."""

    def query(self, event: dict[str, Any]) -> CallbackQuery:
        """Decoded values only: encoded once, keeping every key and value."""
        raw = encode_query_pairs(self.query_pairs(event))
        return CallbackQuery(raw, query_values(raw, "state"))

    def write(self, answer: Answer, event: dict[str, Any]) -> dict[str, Any]:
        """The payload 1.0 answer (``multiValueHeaders``)."""
        return body_fields(answer) | multi_value_headers(answer)


REST_API_FRONT = RestApiFront("REST API", LAMBDA_RESPONSE_LIMIT, binary_bodies=False)
