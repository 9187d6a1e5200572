"""CloudFront Lambda@Edge viewer-request events.

Powertools has no resolver or data class for CloudFront events, so this is a small typed
adapter written from the AWS documentation:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html
and https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-generating-http-responses.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from callback_router.core.decision import Decision, Outcome
from callback_router.core.limits import EDGE_GENERATED_RESPONSE_LIMIT, fits
from callback_router.core.texts import INVALID_PROVIDER_TEXT, NO_STORE_HEADERS, URI_TOO_LONG_TEXT


class CloudFrontHeader(TypedDict):
    """One header value as CloudFront represents it."""

    key: str
    value: str


CloudFrontHeaders = dict[str, list[CloudFrontHeader]]


class CloudFrontRequest(TypedDict, total=False):
    """``Records[0].cf.request`` of a viewer-request event."""

    clientIp: str
    headers: CloudFrontHeaders
    method: str
    querystring: str
    uri: str


class GeneratedResponse(TypedDict, total=False):
    """A response generated at the edge instead of forwarding the request."""

    status: str
    statusDescription: str
    headers: CloudFrontHeaders
    body: str


class ViewerRequest:
    """Typed view of a viewer-request event: the parts the router reads."""

    __slots__ = ("request", "request_id")

    def __init__(self, event: dict[str, Any]) -> None:
        record = event["Records"][0]["cf"]
        self.request: CloudFrontRequest = record["request"]
        self.request_id: str | None = record.get("config", {}).get("requestId")

    @property
    def path(self) -> str:
        """The path, as CloudFront received it (``uri``)."""
        return self.request.get("uri", "/")

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self.request.get("method", "GET")

    @property
    def raw_query(self) -> str:
        """The query string exactly as received, without ``?`` (CloudFront does not decode it)."""
        return self.request.get("querystring", "")


def _headers(**values: str) -> CloudFrontHeaders:
    # CloudFront wants lowercase keys mapping to [{"key": "Display-Name", "value": ...}].
    return {name.lower(): [{"key": name, "value": value}] for name, value in values.items()}


def redirect_response(location: str) -> GeneratedResponse:
    """The generated ``307`` answer; only headers CloudFront allows in generated responses."""
    return {
        "status": "307",
        "statusDescription": "Temporary Redirect",
        "headers": _headers(Location=location, **NO_STORE_HEADERS),
    }


def bad_request_response(text: str = INVALID_PROVIDER_TEXT) -> GeneratedResponse:
    """A generated ``400``: a Junction token on an invalid provider path, or a malformed event."""
    return {
        "status": "400",
        "statusDescription": "Bad Request",
        "headers": _headers(**{"Content-Type": "text/plain; charset=utf-8"}, **NO_STORE_HEADERS),
        "body": text,
    }


def uri_too_long_response() -> GeneratedResponse:
    """A generated ``414``: the ``307`` for this callback would exceed the 40 KB a viewer-request
    function may generate (CloudFront would answer its own 502 instead). Only a query of
    thousands of non-ASCII characters, each percent-encoded to up to 12 bytes, gets there."""
    return {
        "status": "414",
        "statusDescription": "URI Too Long",
        "headers": _headers(**{"Content-Type": "text/plain; charset=utf-8"}, **NO_STORE_HEADERS),
        "body": URI_TOO_LONG_TEXT,
    }


def fits_at_edge(answer: Mapping[str, object]) -> bool:
    """Whether a generated response is within the viewer-request limit (headers and body)."""
    return fits(answer, EDGE_GENERATED_RESPONSE_LIMIT)


def response_for(decision: Decision, request: CloudFrontRequest) -> CloudFrontRequest | GeneratedResponse:
    """What a viewer-request handler returns: a generated answer, or the request unchanged."""
    if decision.outcome is Outcome.JUNCTION_REDIRECT and decision.location is not None:
        return redirect_response(decision.location)
    if decision.outcome is Outcome.INVALID_PROVIDER:
        return bad_request_response()
    return request
