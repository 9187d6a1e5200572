"""The HTTP API front (payload 2.0), pure: routes read from a template, route selection, events, answers.

No sockets: :func:`routes_from_template` reads the ``AWS::ApiGatewayV2::Route`` route keys of a
synthesized template, :func:`select_route` picks the one API Gateway would for a request (``None``:
no route, API Gateway's own 404), :func:`http_api_event` builds the payload 2.0 event and
:func:`http_api_answer` turns the function's answer into the HTTP response.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from tools.local_gateway.standins import HOST

NOT_FOUND_BODY = b'{"message":"Not Found"}'
"""API Gateway HTTP API's own answer for a path with no route."""
HTTP_ROUTE = "AWS::ApiGatewayV2::Route"


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP API route: ``method`` (``ANY`` or a verb) and a path with ``{name}`` / ``{name+}`` variables."""

    method: str
    path: str

    @property
    def key(self) -> str:
        """The route key, ``"ANY /oauth_callback/{provider}"``."""
        return f"{self.method} {self.path}"

    @property
    def _segments(self) -> list[str]:
        return self.path.split("/")

    def parameters(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if a ``method`` request for the decoded ``path`` matches, else ``None``."""
        if self.method not in ("ANY", method):
            return None
        have = path.split("/")
        want = self._segments
        found: dict[str, str] = {}
        for index, segment in enumerate(want):
            if segment.startswith("{") and segment.endswith("+}"):  # greedy: the rest, at least one segment
                rest = "/".join(have[index:])
                if not rest:
                    return None
                found[segment[1:-2]] = rest
                return found
            if index >= len(have):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                if not have[index]:
                    return None
                found[segment[1:-1]] = have[index]
            elif segment != have[index]:
                return None
        return found if len(have) == len(want) else None

    def specificity(self) -> tuple[int, int, int]:
        """Sort key, most specific first: no greedy variable, fewer variables, a method over ``ANY``."""
        greedy = sum(segment.endswith("+}") for segment in self._segments)
        variables = sum(segment.startswith("{") for segment in self._segments)
        return greedy, variables, self.method == "ANY"


def routes_from_template(template: Mapping[str, Any]) -> tuple[HttpRoute, ...]:
    """The HTTP API routes of a synthesized template (``$default`` left out: the router's constructs add none)."""
    keys = [
        str((resource.get("Properties") or {}).get("RouteKey", ""))
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") == HTTP_ROUTE
    ]
    routes = []
    for key in keys:
        method, _, path = key.partition(" ")
        if path:
            routes.append(HttpRoute(method, path))
    return tuple(routes)


def select_route(routes: Sequence[HttpRoute], method: str, raw_path: str) -> tuple[HttpRoute, dict[str, str]] | None:
    """The route API Gateway picks for ``method`` on ``raw_path`` (matched decoded), with its path parameters."""
    path = unquote(raw_path)
    for route in sorted(routes, key=HttpRoute.specificity):
        parameters = route.parameters(method, path)
        if parameters is not None:
            return route, parameters
    return None


def http_api_event(
    routes: Sequence[HttpRoute],
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client_ip: str,
    listener_port: int | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event for one request (as the service builds it).

    ``routeKey`` and ``pathParameters`` come from the route :func:`select_route` picks among
    ``routes`` (``"$default"`` and none when no route matches).

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    raw_path, _, raw_query = target.partition("?")
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":  # payload 2.0 moves cookies into their own list
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        # Repeated headers are comma-joined in payload 2.0.
        merged[lower] = f"{merged[lower]},{value}" if lower in merged else value
    # API Gateway sets these itself (appending the client to X-Forwarded-For); behind a TLS
    # listener they say https and 443, here the plain HTTP port the browser reached.
    prior = merged.get("x-forwarded-for")
    merged["x-forwarded-for"] = f"{prior}, {client_ip}" if prior else client_ip
    merged["x-forwarded-proto"] = "http"
    if listener_port is not None:
        merged["x-forwarded-port"] = str(listener_port)
    selected = select_route(routes, method, raw_path)
    route_key = selected[0].key if selected else "$default"
    path_parameters = selected[1] if selected else None
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    host = merged.get("host", HOST)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method,
                "path": unquote(raw_path),
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        # API Gateway base64-encodes bodies it does not treat as text; always doing it is allowed.
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    return event


def http_api_answer(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Turn a payload 2.0 Lambda answer into status, headers (repeats kept) and body bytes."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # API Gateway's format-2.0 inference: anything else is a 200 JSON body.
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode("utf-8")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or []]
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else str(raw_body).encode("utf-8")
    return int(result["statusCode"]), headers, body
