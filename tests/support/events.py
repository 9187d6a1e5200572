"""The event each front hands Lambda for a path, a *raw* query string and a method.

Built from the documented example events in :mod:`tests.events`:

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
* CloudFront viewer request: ``querystring`` is the raw query.

Every builder takes ``(path, raw_query, method)`` positionally, so they are interchangeable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.events import load_event

DEFAULT_PATH = "/oauth_callback/fitbit"
PROVIDER_ROUTE = "/oauth_callback/{provider}"


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
    route_key: str | None = None,
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event (or, with ``template="function_url"``, a Function URL one).

    ``route_key`` (``"ANY /oauth_callback/{provider}"``) is the route API Gateway matched; its
    ``{provider}`` then appears in ``pathParameters``. Without it the event came by ``$default``.
    """
    event = load_event(template)
    event["rawPath"] = path
    event["rawQueryString"] = raw_query
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    if route_key is not None:
        event["routeKey"] = event["requestContext"]["routeKey"] = route_key
        provider = _provider_of(path)
        if route_key.endswith(" " + PROVIDER_ROUTE) and provider:
            event["pathParameters"] = {"provider": provider}
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


def function_url_event(path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> dict[str, Any]:
    """A Lambda Function URL event (payload 2.0, ``accountId`` ``anonymous``)."""
    return http_api_event(path, raw_query, method, template="function_url")


def rest_api_event(
    path: str = DEFAULT_PATH,
    raw_query: str = "",
    method: str = "GET",
    *,
    headers: dict[str, list[str]] | None = None,
    body: str | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST API proxy integration event (payload 1.0) from the ``{provider}`` resource or ``path``."""
    event = load_event("rest_api_v1")
    event["path"] = path
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = f"/prod{path}"
    provider = _provider_of(path)
    event["pathParameters"] = {"provider": provider} if provider else None
    event["resource"] = event["requestContext"]["resourcePath"] = PROVIDER_ROUTE if provider else path
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
    """An ALB target group event, without or with (``multi_value``) multi-value headers."""
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


def alb_multi_value_event(path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> dict[str, Any]:
    """ALB's event with multi-value headers on, as ``add_to_alb``'s target group is configured."""
    return alb_event(path, raw_query, method, multi_value=True)


def cloudfront_event(path: str = DEFAULT_PATH, raw_query: str = "", method: str = "GET") -> dict[str, Any]:
    """A Lambda@Edge viewer-request event."""
    event = load_event("cloudfront_viewer_request")
    request = event["Records"][0]["cf"]["request"]
    request["uri"] = path
    request["querystring"] = raw_query
    request["method"] = method
    return event
