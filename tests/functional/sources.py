"""The four event sources (six event shapes), seen the same way by the handler tests.

Each :class:`Source` builds an event for a path, a *raw* query string and a method, the way
that source hands them to Lambda, calls the matching handler, and normalises the answer into
a :class:`Result`:

* HTTP API 2.0 and Function URL: ``rawQueryString`` is the raw query; the parsed map is decoded
  and comma-joins repeated keys.
* REST API 1.0: only decoded keys and values exist (``queryStringParameters`` keeps the last
  value, ``multiValueQueryStringParameters`` all of them), decoded as a form is: ``+`` is a space
  and ``%2B`` a ``+`` (recorded against AWS in LocalStack's parity snapshot
  ``test_apigateway_lambda.snapshot.json``: ``plus=test+alias@gmail.com`` arrives as
  ``"test alias@gmail.com"``, ``email=test%2Balias@gmail.com`` as ``"test+alias@gmail.com"``).
  Built here with ``urllib.parse.parse_qsl``, an implementation independent of the router's.
* ALB: keys and values are *not* decoded; without multi-value headers only the last value of a
  repeated key is kept. A key sent without ``=`` is taken to arrive with an empty value (AWS does
  not document it).
* CloudFront viewer request: ``querystring`` is the raw query; a pass-through returns the request
  object itself.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.conftest import LambdaContext
from tests.events import load_event

DEFAULT_PATH = "/oauth_callback/fitbit"


def split_query(raw_query: str) -> list[tuple[str, str]]:
    """Raw ``key=value`` pairs, undecoded, in order (blank values kept, empty parts skipped)."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def alb_single_value_query(raw_query: str) -> str:
    """The query as ALB without multi-value headers hands it over: the last value of each raw key."""
    return "&".join(f"{key}={value}" for key, value in dict(split_query(raw_query)).items())


def _provider_of(path: str) -> str | None:
    prefix = "/oauth_callback/"
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return rest if rest and "/" not in rest else None


def http_api_event(
    path: str = DEFAULT_PATH,
    raw_query: str = "",
    method: str = "GET",
    *,
    template: str = "http_api_v2",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    event = load_event(template)
    event["rawPath"] = path
    event["rawQueryString"] = raw_query
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    parsed: dict[str, str] = {}
    for key, value in split_query(raw_query):
        key, value = unquote(key), unquote(value)
        parsed[key] = f"{parsed[key]},{value}" if key in parsed else value
    if parsed:
        event["queryStringParameters"] = parsed
    else:
        event.pop("queryStringParameters", None)
    if headers is not None:
        event["headers"] = headers
    if cookies is not None:
        event["cookies"] = cookies
    if body is not None:
        event["body"] = body
    event["isBase64Encoded"] = is_base64_encoded
    return event


def rest_api_event(
    path: str = DEFAULT_PATH,
    raw_query: str = "",
    method: str = "GET",
    *,
    headers: dict[str, list[str]] | None = None,
    body: str | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    event = load_event("rest_api_v1")
    event["path"] = path
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = f"/prod{path}"
    provider = _provider_of(path)
    event["pathParameters"] = {"provider": provider} if provider else None
    event["resource"] = event["requestContext"]["resourcePath"] = "/oauth_callback/{provider}" if provider else path
    multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):  # API Gateway decodes keys and values
        multi.setdefault(key, []).append(value)
    event["multiValueQueryStringParameters"] = multi or None
    event["queryStringParameters"] = {key: values[-1] for key, values in multi.items()} or None
    if headers is not None:
        event["multiValueHeaders"] = headers
        event["headers"] = {name: values[-1] for name, values in headers.items()}
    event["body"] = body
    event["isBase64Encoded"] = is_base64_encoded
    return event


def alb_event(
    path: str = DEFAULT_PATH,
    raw_query: str = "",
    method: str = "GET",
    *,
    multi_value: bool = False,
    headers: dict[str, list[str]] | None = None,
    body: str = "",
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    event = load_event("alb_multi_value" if multi_value else "alb_single_value")
    event["path"] = path
    event["httpMethod"] = method
    pairs = split_query(raw_query)  # ALB does not decode
    if multi_value:
        multi: dict[str, list[str]] = {}
        for key, value in pairs:
            multi.setdefault(key, []).append(value)
        event["multiValueQueryStringParameters"] = multi
        if headers is not None:
            event["multiValueHeaders"] = headers
    else:
        event["queryStringParameters"] = dict(pairs)  # the last value of a repeated key wins
        if headers is not None:
            event["headers"] = {name: values[-1] for name, values in headers.items()}
    event["body"] = body
    event["isBase64Encoded"] = is_base64_encoded
    return event


def cloudfront_event(path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> dict[str, Any]:
    event = load_event("cloudfront_viewer_request")
    request = event["Records"][0]["cf"]["request"]
    request["uri"] = path
    request["querystring"] = raw_query
    request["method"] = method
    return event


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


def _function_url_event(path: str, raw_query: str, method: str) -> dict[str, Any]:
    return http_api_event(path, raw_query, method, template="function_url")


def _alb_multi_event(path: str, raw_query: str, method: str) -> dict[str, Any]:
    return alb_event(path, raw_query, method, multi_value=True)


HTTP_API = Source("http_api", "http_api_handler", http_api_event, raw_query_kept=True)
FUNCTION_URL = Source("function_url", "http_api_handler", _function_url_event, raw_query_kept=True)
REST_API = Source("rest_api", "rest_api_handler", rest_api_event, raw_query_kept=False)
ALB_SINGLE = Source("alb_single", "alb_handler", alb_event, raw_query_kept=True)
ALB_MULTI = Source("alb_multi", "alb_handler", _alb_multi_event, raw_query_kept=True)
CLOUDFRONT = Source("cloudfront", "viewer_request_handler", cloudfront_event, raw_query_kept=True)

ALL_SOURCES = (HTTP_API, FUNCTION_URL, REST_API, ALB_SINGLE, ALB_MULTI, CLOUDFRONT)
API_SOURCES = tuple(source for source in ALL_SOURCES if not source.is_edge)
RAW_SOURCES = tuple(source for source in ALL_SOURCES if source.raw_query_kept)
