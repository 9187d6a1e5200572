"""API Gateway (REST and HTTP API), Function URL and ALB events: read them, write each front's answer.

Written from the AWS documentation, without Powertools (importing its event handler package is
~72 ms of a cold start, BENCHMARKS.md); Powertools' resolvers stay the contract for the answer
formats: tests/functional/test_api_formats.py proves every answer here equal to what Powertools
would write for the same ``Response``.

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

import base64
from dataclasses import dataclass, field
from typing import Any

from callback_router.core.limits import ALB_RESPONSE_LIMIT, LAMBDA_RESPONSE_LIMIT
from callback_router.core.texts import NO_STORE_HEADERS
from callback_router.core.uri import encode_query_pairs, query_values

Headers = dict[str, "str | list[str]"]


@dataclass(frozen=True)
class CallbackQuery:
    """The query of one request: what to forward, and the decoded ``state`` values."""

    raw: str
    states: list[str]


@dataclass
class Answer:
    """An answer before it is written in its front's format (the fields of Powertools' ``Response``)."""

    status: int
    headers: Headers = field(default_factory=dict)
    body: str | bytes = ""
    cookies: list[str] = field(default_factory=list)
    """Serialized ``Set-Cookie`` values, passed on byte for byte."""


def redirect_response(location: str) -> Answer:
    """A ``307`` to ``location``: no body, never cached, no referrer."""
    return Answer(307, {"Location": location, **NO_STORE_HEADERS})


def text_response(status: int, text: str) -> Answer:
    """A small plain-text answer (400, 404, 502, 503)."""
    return Answer(status, {**NO_STORE_HEADERS, "Content-Type": "text/plain; charset=utf-8"}, text)


def _body(answer: Answer) -> dict[str, Any]:
    if isinstance(answer.body, bytes):
        return {"statusCode": answer.status, "body": base64.b64encode(answer.body).decode(), "isBase64Encoded": True}
    return {"statusCode": answer.status, "body": answer.body, "isBase64Encoded": False}


def _multi_value(answer: Answer) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, values in answer.headers.items():
        headers.setdefault(name, []).extend([values] if isinstance(values, str) else values)
    if answer.cookies:
        headers.setdefault("Set-Cookie", []).extend(answer.cookies)
    return {"multiValueHeaders": headers}


def _single_value(answer: Answer) -> dict[str, Any]:
    # An ALB target group without multi-value headers carries one value per name: the last.
    headers: dict[str, str] = {}
    if answer.cookies:
        headers["Set-Cookie"] = answer.cookies[-1]
    for name, values in answer.headers.items():
        if isinstance(values, str):
            headers[name] = values
        elif values:
            headers[name] = values[-1]
    return {"headers": headers}


def _payload_v2(answer: Answer) -> dict[str, Any]:
    headers = {
        name: values if isinstance(values, str) else ", ".join(values) for name, values in answer.headers.items()
    }
    return {"headers": headers, "cookies": list(answer.cookies)}


@dataclass(frozen=True)
class Front:
    """One regional front: how its event is read and its answer written, and what it carries back."""

    name: str
    response_limit: int
    """Largest response JSON the front accepts from the function, in bytes."""
    binary_bodies: bool
    """Whether an ``isBase64Encoded`` body always reaches the browser as its bytes. True for
    HTTP API, Function URL and ALB; a REST API does so only for its ``binaryMediaTypes`` (and the
    browser's first ``Accept``), which the function cannot see, so a REST answer is always text."""
    kind: str = "http_api"
    """``http_api`` (payload 2.0, Function URL), ``rest_api`` (payload 1.0) or ``alb``."""

    def method(self, event: dict[str, Any]) -> str:
        """The request method, upper case.

        Raises:
            KeyError, TypeError, AttributeError: the event lacks it (a malformed event).
        """
        method = event["requestContext"]["http"]["method"] if self.kind == "http_api" else event["httpMethod"]
        return str(method.upper())

    def path(self, event: dict[str, Any]) -> str:
        """The request path (payload 2.0: ``rawPath`` less a named stage, as API Gateway mapped it)."""
        if self.kind != "http_api":
            return event["path"]  # type: ignore[no-any-return]
        stage = event["requestContext"]["stage"]
        raw_path: str = event["rawPath"]
        return raw_path if stage == "$default" else raw_path[len("/" + stage) :]

    def query(self, event: dict[str, Any]) -> CallbackQuery:
        """The query to forward and its ``state`` values."""
        if self.kind == "http_api":
            raw = event["rawQueryString"] or ""
        elif self.kind == "rest_api":
            multi = event.get("multiValueQueryStringParameters") or {}
            if not multi and event.get("queryStringParameters"):
                multi = {key: [value] for key, value in event["queryStringParameters"].items()}
            raw = encode_query_pairs([(key, value) for key, values in multi.items() for value in values])
        else:
            multi = event.get("multiValueQueryStringParameters") or {}
            if not multi:
                multi = {key: [value] for key, value in (event.get("queryStringParameters") or {}).items()}
            # A key sent without '=' may come as "" (forwarded as "key=") or, in a hand-made event, null.
            raw = "&".join(
                key if value is None else f"{key}={value}" for key, values in multi.items() for value in values
            )
        return CallbackQuery(raw, query_values(raw, "state"))

    def write(self, answer: Answer, event: dict[str, Any]) -> dict[str, Any]:
        """``answer`` in this front's format, as Powertools' ``ResponseBuilder.build`` writes it
        (an ALB event with multi-value headers gets ``multiValueHeaders``, else ``headers``)."""
        if self.kind == "http_api":
            return _body(answer) | _payload_v2(answer)
        if self.kind == "rest_api":
            return _body(answer) | _multi_value(answer)
        multi_value = isinstance(event, dict) and bool(event.get("multiValueHeaders"))
        return _body(answer) | (_multi_value(answer) if multi_value else _single_value(answer))


HTTP_API_FRONT = Front("HTTP API / Function URL", LAMBDA_RESPONSE_LIMIT, binary_bodies=True, kind="http_api")
REST_API_FRONT = Front("REST API", LAMBDA_RESPONSE_LIMIT, binary_bodies=False, kind="rest_api")
ALB_FRONT = Front("ALB", ALB_RESPONSE_LIMIT, binary_bodies=True, kind="alb")
