"""API Gateway (REST and HTTP API), Function URL and ALB events, via Powertools data classes.

Each source hands the query string over differently, and that decides whether it can be
forwarded byte for byte:

* HTTP API payload 2.0 and Function URLs: ``rawQueryString``, raw -> forwarded as received.
* ALB: query values arrive *not* decoded -> re-joined as ``key=value`` pairs, unchanged.
  Without multi-value headers ALB keeps only the last value of a repeated key.
* REST API payload 1.0: only decoded keys and values exist (API Gateway decodes them as a form
  would: ``+`` is a space, ``%2B`` a ``+``) -> encoded once (see ``encode_query_pairs``); the one
  source where the exact original bytes cannot be kept.

Every front then reads ``state`` the same way: :func:`~callback_router.core.uri.query_values` on
the query it forwards, so ``st%61te=`` or a bare ``state`` counts wherever it arrives.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response

from callback_router.core.answers import NO_STORE_HEADERS
from callback_router.core.uri import encode_query_pairs, query_values

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2


@dataclass(frozen=True)
class CallbackQuery:
    """The query of one request: what to forward, and the decoded ``state`` values."""

    raw: str
    states: list[str]


def http_api_query(event: APIGatewayProxyEventV2) -> CallbackQuery:
    """Payload 2.0 / Function URL: the raw query string, forwarded as received."""
    raw = event.raw_query_string or ""
    return CallbackQuery(raw, query_values(raw, "state"))


def rest_api_query(event: APIGatewayProxyEvent) -> CallbackQuery:
    """Payload 1.0: decoded values only, so encode them once, keeping every key and value."""
    multi = event.multi_value_query_string_parameters or {}
    if not multi and event.query_string_parameters:
        multi = {key: [value] for key, value in event.query_string_parameters.items()}
    raw = encode_query_pairs([(key, value) for key, values in multi.items() for value in values])
    return CallbackQuery(raw, query_values(raw, "state"))


def alb_query(event: ALBEvent) -> CallbackQuery:
    """ALB: keys and values are raw (not decoded), so joining them back keeps their bytes."""
    # Powertools returns {} (not None) when the target group has multi-value headers off.
    multi = event.multi_value_query_string_parameters
    if not multi:
        multi = {key: [value] for key, value in (event.query_string_parameters or {}).items()}
    # A key sent without '=' may come as "" (forwarded as "key=") or, in a hand-made event, null.
    raw = "&".join(key if value is None else f"{key}={value}" for key, values in multi.items() for value in values)
    return CallbackQuery(raw, query_values(raw, "state"))


def redirect_response(location: str) -> Response[Any]:
    """The ``307`` to Junction: no body, never cached, no referrer."""
    return Response(status_code=307, headers={"Location": location, **NO_STORE_HEADERS}, body="")


def text_response(status: int, text: str) -> Response[Any]:
    """A small plain-text answer (400, 404, 502, 503)."""
    return Response(
        status_code=status, content_type="text/plain; charset=utf-8", headers=dict(NO_STORE_HEADERS), body=text
    )
