"""What the regional fronts share: the answer before it is written, its writers, the ``Front`` contract.

One module per event source reads its events and writes its answers: :mod:`.http_api` (payload
2.0 and Function URLs), :mod:`.rest_api` (payload 1.0), :mod:`.alb`. Written from the AWS
documentation, without Powertools (importing its event handler package is ~72 ms of a cold
start, BENCHMARKS.md); Powertools' resolvers stay the contract for the answer formats:
tests/functional/test_api_formats.py proves every front's answer equal to what Powertools writes
for the same ``Response``.

Every front reads ``state`` the same way: :func:`~callback_router.core.uri.query_values` on the
query it forwards, so ``st%61te=`` or a bare ``state`` counts wherever it arrives.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from callback_router.core.texts import NO_STORE_HEADERS

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


def body_fields(answer: Answer) -> dict[str, Any]:
    """``statusCode``, ``body`` and ``isBase64Encoded`` (a bytes body goes as base64)."""
    if isinstance(answer.body, bytes):
        return {"statusCode": answer.status, "body": base64.b64encode(answer.body).decode(), "isBase64Encoded": True}
    return {"statusCode": answer.status, "body": answer.body, "isBase64Encoded": False}


def multi_value_headers(answer: Answer) -> dict[str, Any]:
    """``multiValueHeaders``, every ``Set-Cookie`` included (REST API; ALB with multi-value headers)."""
    headers: dict[str, list[str]] = {}
    for name, values in answer.headers.items():
        headers.setdefault(name, []).extend([values] if isinstance(values, str) else values)
    if answer.cookies:
        headers.setdefault("Set-Cookie", []).extend(answer.cookies)
    return {"multiValueHeaders": headers}


def single_value_headers(answer: Answer) -> dict[str, Any]:
    """``headers`` with one value per name (ALB without multi-value headers)."""
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


def payload_v2_headers(answer: Answer) -> dict[str, Any]:
    """``headers`` (repeated values joined with ``, ``) and ``cookies`` (payload 2.0, Function URL)."""
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

    def method(self, event: dict[str, Any]) -> str:
        """The request method, upper case.

        Raises:
            KeyError, TypeError, AttributeError: the event lacks it (a malformed event).
        """
        raise NotImplementedError

    def path(self, event: dict[str, Any]) -> str:
        """The request path, as the front mapped it."""
        raise NotImplementedError

    def query(self, event: dict[str, Any]) -> CallbackQuery:
        """The query to forward and its ``state`` values."""
        raise NotImplementedError

    def write(self, answer: Answer, event: dict[str, Any]) -> dict[str, Any]:
        """``answer`` in this front's format, as Powertools' ``ResponseBuilder.build`` writes it."""
        raise NotImplementedError


class PayloadV1Front(Front):
    """The REST API (payload 1.0) and ALB events' shared reading: ``httpMethod``, ``path`` and the
    query parameter maps (``multiValue...`` when present)."""

    def method(self, event: dict[str, Any]) -> str:
        """``httpMethod``, upper case."""
        return str(event["httpMethod"].upper())

    def path(self, event: dict[str, Any]) -> str:
        """``path``."""
        return event["path"]  # type: ignore[no-any-return]

    @staticmethod
    def query_pairs(event: dict[str, Any]) -> list[tuple[str, Any]]:
        """Every query key and value as the event holds them (decoded on REST, raw on ALB)."""
        multi = event.get("multiValueQueryStringParameters") or {}
        if not multi:
            multi = {key: [value] for key, value in (event.get("queryStringParameters") or {}).items()}
        return [(key, value) for key, values in multi.items() for value in values]
