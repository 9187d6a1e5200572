"""A company's Lambda function seen from inside: the HTTP request an event describes, and the
answer in the format its front reads.

One reading for every event a function behind API Gateway REST (payload 1.0), HTTP API or a
Function URL (2.0), or an ALB target group (single- or multi-value headers) gets, as a web
adapter (Mangum, aws-lambda-wsgi) does it. The local gateway's company function stand-in and the
test company login app (``tests/e2e/company_app.py``) both answer through it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class EventRequest:
    """The request an event describes: every header field (repeats kept) and the body bytes."""

    method: str
    path: str
    query: str
    """The query string without ``?``: raw on 2.0 and ALB; re-encoded on REST (API Gateway decodes it)."""
    headers: tuple[tuple[str, str], ...]
    body: bytes


def request_from_event(event: Any) -> EventRequest:
    """The request an API Gateway (1.0 or 2.0), Function URL or ALB event describes.

    Raises:
        ValueError: not one of those events, or a field that is not text (a hand-made event can
            hold anything).
    """
    if not isinstance(event, dict):
        raise ValueError("an event is a JSON object")
    try:
        return _request(event)
    except (KeyError, TypeError, AttributeError, binascii.Error) as error:
        raise ValueError(f"not a readable event ({type(error).__name__})") from error


def _request(event: dict[str, Any]) -> EventRequest:
    raw_body = event.get("body") or ""
    body = base64.b64decode(raw_body, validate=True) if event.get("isBase64Encoded") else raw_body.encode()
    if event.get("version") == "2.0":
        http = event["requestContext"]["http"]
        headers = list((event.get("headers") or {}).items())
        if event.get("cookies"):  # payload 2.0 moved them out of the headers; web adapters join them back
            headers.append(("cookie", "; ".join(event["cookies"])))
        return _checked(http["method"], event["rawPath"], event.get("rawQueryString", ""), headers, body)
    if "httpMethod" not in event:
        raise ValueError("not an API Gateway or ALB event")
    multi = event.get("multiValueHeaders")
    pairs = (
        [(name, value) for name, values in multi.items() for value in values or ()]
        if multi
        else list((event.get("headers") or {}).items())
    )
    query_multi = event.get("multiValueQueryStringParameters")
    query_pairs = (
        [(key, value) for key, values in query_multi.items() for value in values or ()]
        if query_multi
        else list((event.get("queryStringParameters") or {}).items())
    )
    if "elb" in (event.get("requestContext") or {}):
        query = "&".join(f"{key}={value}" for key, value in query_pairs)  # ALB: as received, not decoded
    else:
        query = urlencode(query_pairs)  # REST: decoded by API Gateway, so encoded again
    return _checked(event["httpMethod"], event["path"], query, pairs, body)


def _checked(method: Any, path: Any, query: Any, headers: list[tuple[Any, Any]], body: bytes) -> EventRequest:
    texts = [method, path, query, *(part for pair in headers for part in pair)]
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("a request field is not text")
    return EventRequest(method, path, query, tuple(headers), body)


def event_answer(event: Any, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """An answer in the shape the event's front reads.

    Payload 2.0: ``cookies`` for ``Set-Cookie``; ALB: ``statusDescription``; an event with
    ``multiValueHeaders`` (REST, ALB with multi-value headers on): ``multiValueHeaders``, so every
    ``Set-Cookie`` survives; otherwise one value per name (only the last ``Set-Cookie``: why ALB
    target groups turn multi-value headers on).
    """
    event = event if isinstance(event, dict) else {}
    answer: dict[str, Any] = {
        "statusCode": status,
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }
    if event.get("version") == "2.0":
        answer["headers"] = {name: value for name, value in headers if name.lower() != "set-cookie"}
        answer["cookies"] = [value for name, value in headers if name.lower() == "set-cookie"]
        return answer
    if "elb" in (event.get("requestContext") or {}):
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status"
        answer["statusDescription"] = f"{status} {phrase}"
    if "multiValueHeaders" in event:
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            multi.setdefault(name, []).append(value)
        answer["multiValueHeaders"] = multi
    else:
        answer["headers"] = dict(headers)
    return answer
