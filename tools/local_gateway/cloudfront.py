"""The CloudFront front, pure: cache behaviours read from a template, viewer-request events, generated answers.

No sockets: :func:`behaviours_from_template` reads the distribution's cache behaviours (path
pattern, and whether a Lambda@Edge or a CloudFront Function runs at viewer request; each front
reads the distributions that hold its kind: :func:`edge_behaviours`, :func:`function_behaviours`),
:func:`select_behaviour` picks the
one CloudFront would for a path, :func:`viewer_request_event` builds the Lambda@Edge event and
:func:`generated_answer` checks a generated response as CloudFront does.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.local_gateway.wildcards import wildcard_match

DISTRIBUTION = "AWS::CloudFront::Distribution"
CF_READ_ONLY_OR_DISALLOWED = frozenset(
    {
        "connection",
        "content-length",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
"""Headers CloudFront refuses in a viewer-request generated response (it answers 502 then).
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html"""
CF_MAX_GENERATED_BODY = 40 * 1024
"""Viewer-request generated responses are capped at 40 KB (CloudFront quotas)."""


@dataclass(frozen=True)
class Behaviour:
    """One cache behaviour: its path pattern (``*`` for the default) and what runs at viewer request."""

    path_pattern: str
    viewer_request: bool
    """A Lambda@Edge function is associated at viewer request."""
    viewer_function: bool = False
    """A CloudFront Function is associated at viewer request."""


def _behaviour(config: Mapping[str, Any], pattern: str) -> Behaviour:
    events = [item.get("EventType") for item in config.get("LambdaFunctionAssociations") or []]
    functions = [item.get("EventType") for item in config.get("FunctionAssociations") or []]
    return Behaviour(pattern, "viewer-request" in events, "viewer-request" in functions)


def behaviours_from_template(template: Mapping[str, Any]) -> tuple[Behaviour, ...]:
    """The cache behaviours of the template's distribution in CloudFront's order: the listed ones, then the default.

    Empty when the template has no distribution.
    """
    for resource in (template.get("Resources") or {}).values():
        if resource.get("Type") == DISTRIBUTION:
            config = resource["Properties"]["DistributionConfig"]
            listed = [_behaviour(item, str(item["PathPattern"])) for item in config.get("CacheBehaviors") or []]
            return (*listed, _behaviour(config.get("DefaultCacheBehavior") or {}, "*"))
    return ()


def edge_behaviours(template: Mapping[str, Any]) -> tuple[Behaviour, ...]:
    """The behaviours of the template's distribution if one of them runs Lambda@Edge at viewer request, else none."""
    behaviours = behaviours_from_template(template)
    return behaviours if any(item.viewer_request for item in behaviours) else ()


def function_behaviours(template: Mapping[str, Any]) -> tuple[Behaviour, ...]:
    """The behaviours of the template's distribution if one of them runs a CloudFront Function at viewer request."""
    behaviours = behaviours_from_template(template)
    return behaviours if any(item.viewer_function for item in behaviours) else ()


def select_behaviour(behaviours: Sequence[Behaviour], uri: str) -> Behaviour | None:
    """The first behaviour whose pattern matches ``uri`` (case-sensitive; ``*`` spans ``/``), in CloudFront's order."""
    return next((item for item in behaviours if wildcard_match(item.path_pattern, uri, case_sensitive=True)), None)


def viewer_request_event(
    method: str, target: str, headers: list[tuple[str, str]], client_ip: str, distribution_domain: str
) -> dict[str, Any]:
    """A CloudFront viewer-request event for one request (body not included, the default).

    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html
    """
    uri, _, querystring = target.partition("?")
    cf_headers: dict[str, list[dict[str, str]]] = {}
    for name, value in headers:
        cf_headers.setdefault(name.lower(), []).append({"key": name, "value": value})
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": distribution_domain,
                        "distributionId": "ELOCALGATEWAY",
                        "eventType": "viewer-request",
                        "requestId": base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode("ascii").rstrip("="),
                    },
                    "request": {
                        "clientIp": client_ip,
                        "headers": cf_headers,
                        "method": method,
                        "querystring": querystring,
                        "uri": uri,
                    },
                }
            }
        ]
    }


def cf_header_list(cf_headers: Any) -> list[tuple[str, str]]:
    """CloudFront's ``{"name": [{"key": ..., "value": ...}]}`` headers as (name, value) pairs, repeats kept."""
    return [(item.get("key") or name, item["value"]) for name, items in (cf_headers or {}).items() for item in items]


def generated_answer(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
    """A viewer-request generated response as status, headers, body, reason (CloudFront's checks applied)."""
    headers = cf_header_list(result.get("headers"))
    bad = sorted({name.lower() for name, _ in headers} & CF_READ_ONLY_OR_DISALLOWED)
    bad += sorted({name.lower() for name, _ in headers if name.lower().startswith("x-amz-cf-")})
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("bodyEncoding") == "base64" else str(raw_body).encode("utf-8")
    if bad or len(body) > CF_MAX_GENERATED_BODY:
        problem = f"disallowed header {bad[0]}" if bad else "generated body over 40 KB"
        text = f"502 ERROR: the Lambda function returned an invalid response ({problem}).\n".encode()
        return 502, [("Content-Type", "text/plain; charset=utf-8")], text, "Bad Gateway"
    return int(result["status"]), headers, body, result.get("statusDescription")
