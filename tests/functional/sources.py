"""The four event sources (six event shapes), seen the same way by the handler tests.

Each :class:`Source` builds an event for a path, a *raw* query string and a method, the way
that source hands them to Lambda (the builders of :mod:`tests.support.events`, re-exported here),
calls the matching handler, and normalises the answer into a :class:`Result`. A CloudFront
pass-through returns the request object itself.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.contexts import LambdaContext
from tests.support.events import (
    DEFAULT_PATH,
    alb_event,
    alb_multi_value_event,
    alb_single_value_query,
    cloudfront_event,
    function_url_event,
    http_api_event,
    rest_api_event,
)

__all__ = [  # the builders, re-exported: many tests import them from here
    "ALB_MULTI",
    "ALB_SINGLE",
    "ALL_SOURCES",
    "API_SOURCES",
    "CLOUDFRONT",
    "DEFAULT_PATH",
    "FUNCTION_URL",
    "HTTP_API",
    "RAW_SOURCES",
    "REST_API",
    "Result",
    "Source",
    "alb_event",
    "alb_single_value_query",
    "api_result",
    "cloudfront_event",
    "cloudfront_result",
    "http_api_event",
    "rest_api_event",
]


@dataclass
class Result:
    """A handler's answer, the same shape for every source."""

    raw: dict[str, Any]
    passed_on: bool = False
    """CloudFront only: the handler returned the request object (it goes on to the origin)."""
    status: int | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    """Lower-cased names; ``set-cookie`` also collects payload 2.0 ``cookies``."""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        assert values is None or len(values) == 1, f"{name} repeated: {values}"
        return values[0] if values else None

    @property
    def location(self) -> str | None:
        return self.header("location")

    def all_header_values(self) -> list[str]:
        return [value for values in self.headers.values() for value in values]


def api_result(response: dict[str, Any]) -> Result:
    headers: dict[str, list[str]] = {}
    for name, value in (response.get("headers") or {}).items():
        headers.setdefault(name.lower(), []).append(value)
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    for cookie in response.get("cookies") or []:
        headers.setdefault("set-cookie", []).append(cookie)
    body = response.get("body") or ""
    data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
    return Result(raw=response, status=int(response["statusCode"]), headers=headers, body=data)


def cloudfront_result(event: dict[str, Any], response: dict[str, Any]) -> Result:
    if response is event["Records"][0]["cf"]["request"]:
        return Result(raw=response, passed_on=True)
    headers = {name: [item["value"] for item in items] for name, items in (response.get("headers") or {}).items()}
    for name, items in (response.get("headers") or {}).items():
        assert all(item["key"].lower() == name for item in items), "CloudFront header keys must match"
    return Result(
        raw=response, status=int(response["status"]), headers=headers, body=response.get("body", "").encode("utf-8")
    )


@dataclass(frozen=True)
class Source:
    """One event shape: how to build its event and call its handler."""

    name: str
    handler: str
    build: Callable[..., dict[str, Any]]
    raw_query_kept: bool
    """Whether the query reaches the handler raw (everything but REST API 1.0)."""

    @property
    def is_edge(self) -> bool:
        return self.handler == "viewer_request_handler"

    def event(self, path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> dict[str, Any]:
        return self.build(path, raw_query, method)

    def call(self, router: Any, event: dict[str, Any]) -> Result:
        before = copy.deepcopy(event)
        response = getattr(router, self.handler)(event, LambdaContext())
        if self.is_edge:
            result = cloudfront_result(event, response)
            if result.passed_on:
                assert response == before["Records"][0]["cf"]["request"], "the request must go on unchanged"
            return result
        return api_result(response)

    def send(self, router: Any, path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> Result:
        return self.call(router, self.event(path, raw_query, method))


HTTP_API = Source("http_api", "http_api_handler", http_api_event, raw_query_kept=True)
FUNCTION_URL = Source("function_url", "http_api_handler", function_url_event, raw_query_kept=True)
REST_API = Source("rest_api", "rest_api_handler", rest_api_event, raw_query_kept=False)
ALB_SINGLE = Source("alb_single", "alb_handler", alb_event, raw_query_kept=True)
ALB_MULTI = Source("alb_multi", "alb_handler", alb_multi_value_event, raw_query_kept=True)
CLOUDFRONT = Source("cloudfront", "viewer_request_handler", cloudfront_event, raw_query_kept=True)

ALL_SOURCES = (HTTP_API, FUNCTION_URL, REST_API, ALB_SINGLE, ALB_MULTI, CLOUDFRONT)
API_SOURCES = tuple(source for source in ALL_SOURCES if not source.is_edge)
RAW_SOURCES = tuple(source for source in ALL_SOURCES if source.raw_query_kept)
