"""The REST API front (proxy integration, payload 1.0), pure: resources read from a template, events, answers.

No sockets: :func:`routes_from_template` rebuilds each method's resource path from the
``AWS::ApiGateway::Resource`` tree and ``AWS::ApiGateway::Method`` resources of a synthesized
template (the ``existing_rest_api`` shape: ``add_to_rest_api``); :func:`rest_api_event` builds the
event API Gateway sends a Lambda proxy integration (query decoded, every header once in
``headers`` and all values in ``multiValueHeaders``) and :func:`rest_api_answer` turns the
function's answer into the HTTP response. Route selection is :func:`select_route` of the HTTP API
emulator: REST resources use the same ``{name}`` / ``{name+}`` variables and precedence.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from tools.local_gateway.http_api import HttpRoute, select_route

REST_RESOURCE = "AWS::ApiGateway::Resource"
REST_METHOD = "AWS::ApiGateway::Method"
MISSING_AUTHENTICATION_TOKEN = b'{"message":"Missing Authentication Token"}'
"""A REST API's own answer (403) for a path or method no resource serves."""
INTERNAL_SERVER_ERROR = b'{"message": "Internal server error"}'
"""A REST API's answer (502) when the proxy integration's answer is malformed."""

Answer = tuple[int, list[tuple[str, str]], bytes]


def _resource_path(resources: Mapping[str, Any], logical_id: str, depth: int = 0) -> str:
    if depth > 64:  # a template is ours, but a cycle must not hang the gateway
        raise ValueError(f"REST resource {logical_id}: parent chain too deep")
    properties = resources[logical_id]["Properties"]
    parent = properties.get("ParentId")
    prefix = (
        _resource_path(resources, parent["Ref"], depth + 1)
        if isinstance(parent, dict) and parent.get("Ref") in resources
        else ""  # the API's root resource (an id, or an attribute of an API defined elsewhere)
    )
    return f"{prefix}/{properties['PathPart']}"


def routes_from_template(template: Mapping[str, Any]) -> tuple[HttpRoute, ...]:
    """Every method of the template's REST resources as a route (``ANY /oauth_callback/{provider}``)."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    routes = []
    for resource in resources.values():
        if resource.get("Type") != REST_METHOD:
            continue
        properties = resource["Properties"]
        target = properties.get("ResourceId")
        in_template = isinstance(target, dict) and target.get("Ref") in resources
        path = _resource_path(resources, target["Ref"]) if in_template else "/"
        routes.append(HttpRoute(str(properties["HttpMethod"]), path))
    return tuple(routes)


def rest_api_event(
    routes: Sequence[HttpRoute],
    stage_name: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client_ip: str,
) -> dict[str, Any] | None:
    """The proxy integration event for one request, or ``None`` when no resource serves it (API Gateway's 403).

    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    raw_path, _, raw_query = target.partition("?")
    selected = select_route(routes, method, raw_path)
    if selected is None:
        return None
    route, parameters = selected
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):  # API Gateway decodes keys and values
        query.setdefault(key, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    single = {name: values[-1] for name, values in multi_headers.items()}
    now = datetime.now(UTC)
    path = unquote(raw_path)
    return {
        "version": "1.0",
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "httpMethod": method,
            "identity": {"sourceIp": client_ip, "userAgent": single.get("User-Agent", "")},
            "path": f"/{stage_name}{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourcePath": route.path,
            "stage": stage_name,
        },
        "pathParameters": parameters or None,
        "stageVariables": None,
        # API Gateway base64-encodes binary media types only; always doing it is a form the function must read.
        "body": base64.b64encode(body).decode("ascii") if body else None,
        "isBase64Encoded": bool(body),
    }


def rest_api_answer(result: Any) -> Answer:
    """A proxy integration's answer as status, headers (``headers`` then ``multiValueHeaders``) and body.

    Anything API Gateway cannot use (not an object, no integer ``statusCode``, bad base64) is its own 502.
    """
    try:
        if not isinstance(result, dict):
            raise TypeError("not an object")
        status = result["statusCode"]
        if not isinstance(status, int) or isinstance(status, bool):
            raise TypeError("statusCode is not an integer")
        headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
        multi = result.get("multiValueHeaders") or {}
        headers += [(str(name), str(value)) for name, values in multi.items() for value in values]
        raw_body = result.get("body") or ""
        body = base64.b64decode(raw_body, validate=True) if result.get("isBase64Encoded") else str(raw_body).encode()
    except (KeyError, TypeError, AttributeError, ValueError, binascii.Error):
        return 502, [("Content-Type", "application/json")], INTERNAL_SERVER_ERROR
    return status, headers, body


def not_found_answer() -> Answer:
    """What a REST API answers for a path or method with no resource: 403, Missing Authentication Token."""
    return 403, [("Content-Type", "application/json")], MISSING_AUTHENTICATION_TOKEN
