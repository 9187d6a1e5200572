"""What API Gateway and ALB handlers do with a request that is not Junction's.

``reject`` -> 404; ``redirect`` -> 307 to the company's URL plus the original query;
``proxy`` -> the request is replayed to the company's URL and its answer returned as is
(status, repeated headers, every ``Set-Cookie``, binary bodies; redirects are *not* followed).
Uses ``http.client`` directly: it follows no redirects and exposes repeated headers, which
``urllib.request`` would hide behind its redirect handler.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response

from callback_router.adapters.api import text_response
from callback_router.core.answers import (
    FALLBACK_MARKER_HEADER,
    FALLBACK_MARKER_VALUE,
    NO_STORE_HEADERS,
    NOT_FOUND_TEXT,
)
from callback_router.core.routes import PROVIDER_PLACEHOLDER, is_valid_slug
from callback_router.core.uri import escape_query, with_query

if TYPE_CHECKING:
    import http.client

    from aws_lambda_powertools.shared.cookies import Cookie

    from callback_router.core.config import Fallback

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded."""
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", FALLBACK_MARKER_HEADER.lower()}
MAX_UPSTREAM_BODY = 4 * 1024 * 1024
"""Lambda's response payload limit is 6 MB, and a binary body grows by a third in base64."""
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml")


class UpstreamError(Exception):
    """The proxy fallback's upstream could not be reached or answered badly."""


@dataclass(frozen=True)
class ForwardedRequest:
    """The parts of a request the proxy fallback replays."""

    method: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes | None


def target_url(template: str, provider: str | None) -> str | None:
    """The fallback URL with ``{provider}`` filled in, or ``None`` if it cannot be.

    Only a valid slug is ever put into the company's URL: request text such as ``..`` or
    ``%2F`` in the provider segment would otherwise walk the company's own paths.
    """
    if PROVIDER_PLACEHOLDER not in template:
        return template
    if provider is None or not is_valid_slug(provider):
        return None
    return template.replace(PROVIDER_PLACEHOLDER, provider)


def fallback_response(
    fallback: Fallback,
    provider: str | None,
    request: ForwardedRequest,
) -> Response[Any]:
    """Apply the configured fallback to a request that is not a Junction callback.

    Raises:
        UpstreamError: from :func:`proxy`.
    """
    url = None if fallback.mode == "reject" or fallback.url is None else target_url(fallback.url, provider)
    if url is None:
        return text_response(404, NOT_FOUND_TEXT)
    if fallback.mode == "redirect":
        return Response(
            status_code=307, headers={"Location": with_query(url, request.raw_query), **NO_STORE_HEADERS}, body=""
        )
    if any(name.lower() == FALLBACK_MARKER_HEADER.lower() for name, _ in request.headers):
        # Proxying again would replay the request to the URL that just sent it here, forever.
        raise UpstreamError("loop: the fallback URL leads back to the router (see FALLBACK_MARKER_HEADER)")
    return proxy(url, request, fallback.timeout_seconds)


def forwarded_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` less hop-by-hop ones, ``Host``, ``Content-Length`` and those ``Connection`` names."""
    connection_listed = {
        token.strip().lower() for name, value in headers if name.lower() == "connection" for token in value.split(",")
    }
    dropped = _NOT_FORWARDED | connection_listed
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def proxy(url: str, request: ForwardedRequest, timeout: float) -> Response[Any]:
    """Replay ``request`` to ``url`` and return the upstream's answer unchanged.

    Raises:
        UpstreamError: on refusal, timeout or a malformed upstream answer.
    """
    # Deferred: http.client (with email.parser) is ~15 ms of a cold start without .pyc, and only
    # the proxy fallback needs it; a Junction redirect or another fallback mode never does.
    import http.client

    deadline = time.monotonic() + timeout
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{escape_query(request.raw_query)}" if request.raw_query else "")
    try:
        connection.putrequest(request.method, target, skip_accept_encoding=True)
        for name, value in forwarded_headers(request.headers):
            connection.putheader(name, value)
        connection.putheader(FALLBACK_MARKER_HEADER, FALLBACK_MARKER_VALUE)
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        upstream = connection.getresponse()
        status, headers = upstream.status, upstream.getheaders()
        body = _read_body(connection, upstream, deadline)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise UpstreamError(type(error).__name__) from error
    finally:
        connection.close()
    return upstream_response(status, headers, body)


def _read_body(connection: http.client.HTTPConnection, upstream: http.client.HTTPResponse, deadline: float) -> bytes:
    # The socket timeout bounds each recv, not the whole answer: an upstream that trickles bytes
    # would otherwise outlive the Lambda timeout and the user would get a Lambda error instead
    # of our 502. So read in single recvs, each allowed only the time left.
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("upstream answer not complete before the fallback timeout")
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = upstream.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_UPSTREAM_BODY:
            raise ValueError("upstream body over the Lambda response limit")
        chunks.append(chunk)


def upstream_response(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> Response[Any]:
    """Turn an upstream answer into a Powertools ``Response`` without losing repeated headers."""
    grouped: dict[str, list[str]] = {}
    cookies: list[str] = []
    names: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in _NOT_FORWARDED:
            continue
        if lower == "set-cookie":
            cookies.append(value)
            continue
        grouped.setdefault(names.setdefault(lower, name), []).append(value)
    content_type = next((values[0] for name, values in grouped.items() if name.lower() == "content-type"), "")
    payload: str | bytes = body
    if not body:
        payload = ""
    elif any(marker in content_type.lower() for marker in _TEXT_TYPES):
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            payload = body
    # Powertools serializes each cookie with str(); the upstream's Set-Cookie lines are already
    # serialized, so they pass through byte for byte instead of being re-parsed into Cookie objects.
    return Response(status_code=status, headers=dict(grouped), body=payload, cookies=cast("list[Cookie]", cookies))
