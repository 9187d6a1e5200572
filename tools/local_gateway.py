"""The router on 127.0.0.1, through the same handler functions that deploy.

``python -m tools.local_gateway --stage sandbox --port 3000 --edge-port 3001 --alb-port 3002 [--fallback invoke]``
(``make run``) starts four stdlib HTTP servers, all bound to 127.0.0.1:

* the **HTTP API front** (``--port``): each request becomes an API Gateway HTTP API payload 2.0
  event (``rawPath``, ``rawQueryString`` exactly as received, lowercased headers plus the
  ``X-Forwarded-For/-Proto/-Port`` API Gateway adds, ``cookies``,
  ``requestContext``, ``pathParameters`` when a ``{provider}`` route matches, base64 bodies) and
  goes to ``callback_router.handlers.http_api_handler``; its answer becomes the HTTP response
  (a path that matches no configured route gets API Gateway's own 404: the stack creates
  routes for the callback paths only);
* the **CloudFront front** (``--edge-port``): each request becomes a Lambda@Edge viewer-request
  event and goes to ``callback_router.handlers.viewer_request_handler``; a generated response is
  sent back, a returned request is forwarded to the origin, like CloudFront would;
* the **ALB front** (``--alb-port``): an Application Load Balancer listener with the two rules
  ``CallbackRouter.add_to_alb`` creates, evaluated in priority order with ALB's matching rules
  (:func:`alb_rules`): "bypass" (callback path patterns and ``X-Junction-Callback-Router:
  fallback``) forwards to the company's service; "router" (callback path patterns and
  ``state=eyJ*``, so only JWT-shaped states) invokes ``alb_handler`` with an ALB event,
  multi-value headers on (``multiValueHeaders``, ``multiValueQueryStringParameters`` not
  decoded, base64 body); everything else takes the default action, the company's service. The
  function's fallback here is what an ALB deployment uses: ``proxy`` to the ALB itself (this
  front, the stage fallback's path). The replayed request carries the marker header, so the
  bypass rule hands it to the company: a JWT-shaped company state reaches the company once,
  without looping through the router;
* a **company stand-in** (ephemeral port): the company's own OAuth callback. It answers with a
  page that shows what it received (method, path and query, cookies) and records it. It is the
  CloudFront front's origin and the ALB front's default target, and the proxy/redirect fallback
  of the HTTP API front points at it (the stage's own fallback host is not reachable from here;
  mode and path are kept).

**The company's callback as a Lambda function** (``Fallback.invoke``): when the router's fallback
is ``invoke`` (a stage whose ``fallback`` names a ``function_arn``, or any stage with
``--fallback invoke``, ``make run FALLBACK=invoke``), the gateway also starts a local Lambda
Invoke API (:class:`tools.local_lambda.LocalLambda`, ephemeral port) serving the **company
function stand-in** (:class:`CompanyFunctionStandIn`: the stand-in's page, answered in the format
of the event it got) under that ARN (``--fallback invoke`` on a stage without one: a local ARN,
:data:`LOCAL_FUNCTION_ARN`), and sets the router's ``AWS_ENDPOINT_URL_LAMBDA`` and credentials to
it (put back on stop). A company callback then goes front -> router -> ``Invoke`` -> the stand-in
function, and its answer back verbatim. The ALB front's function keeps the ``invoke`` fallback (no
marker-header detour), so the company function gets the router's ALB event, multi-value headers
on; the listener's default action and bypass rule invoke the same function directly, as an ALB
whose company target group is that function would. CloudFront has no fallback: its origin stays
the HTTP stand-in. ``--fallback proxy`` switches a stage the other way; ``--fallback stage`` (the
default) runs the stage's own.

``start_gateway(..., company_service=server)`` puts a real company app behind the fronts instead of
the stand-in (``company_function=handler`` its Lambda shape, the ``invoke`` target, which the HTTP
API front also invokes for the company's other paths), and ``gateway.without_router = True``
serves the same fronts as if no router were deployed (with ``invoke``: the HTTP API and ALB
fronts invoke the company's function themselves with the event they build): the baseline against
which ``tests/e2e/test_transparency.py`` shows the company's own logins untouched.

The handlers read their configuration once, at import, from ``CALLBACK_ROUTER_CONFIG``: the
gateway sets it from ``junction_callback_router.stages.load_stage(stage).runtime_json()`` (with the local fallback)
before importing them, exactly what the bundled ``config.json`` would hold. The ALB front's
function differs only in its fallback URL, so it runs its own instance of
``callback_router.api_handlers`` (loaded from the same file with that config): in AWS an ALB
deployment has its own function too.

Tests and the load generator use :func:`start_gateway` / :class:`LocalGateway`, the very code
``make run`` runs. The handler modules hold process-wide state (config, Powertools resolvers
and metrics), so one gateway runs per process at a time, and handler calls are serialized, as in
one warm Lambda container. (So on the ALB front a replay that re-entered the router, which the
bypass rule prevents, would wait for the first call and end as the fallback's timeout, a 502.)
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import functools
import html
import http.client
import importlib
import importlib.util
import io
import json
import logging
import os
import re
import shlex
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from callback_router.core.marker import FALLBACK_MARKER_HEADER, FALLBACK_MARKER_VALUE
from callback_router.core.routes import ALB_STATE_PATTERN, PROVIDER_PLACEHOLDER, path_patterns
from callback_router.core.uri import query_pairs
from tools.function_events import event_answer, request_from_event

if TYPE_CHECKING:
    from callback_router.core.config import RouterConfig
    from junction_callback_router.stages import Stage
    from tools.local_lambda import LocalLambda

HOST = "127.0.0.1"
CONFIG_ENV_VAR = "CALLBACK_ROUTER_CONFIG"
DEMO_SIGNING_KEY = "local-gateway-demo-key, not a secret: signatures are never verified"
"""PyJWT wants a key to mint a token; Junction's guide says the router must not verify it."""

HANDLER_MODULES = ("callback_router.api_handlers", "callback_router.edge_handler")
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
NOT_FOUND_BODY = b'{"message":"Not Found"}'
"""API Gateway HTTP API's own answer for a path with no route."""
CF_MAX_GENERATED_BODY = 40 * 1024
"""Viewer-request generated responses are capped at 40 KB (CloudFront quotas)."""
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
)

COMPANY_STAND_IN_COOKIES = ("company_seen=1; Path=/", "company_theme=dark; Path=/; HttpOnly")
"""What the company stand-ins set: two cookies, so a front that keeps only one is seen at once."""
FALLBACK_CHOICES = ("stage", "proxy", "invoke")
"""``--fallback``: the stage's own fallback, or switch it locally to ``proxy`` or ``invoke``."""
LOCAL_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:company-callback-stand-in"
"""The ``invoke`` fallback's function when the stage names none (``--fallback invoke`` on a proxy stage)."""

_HANDLER_LOCK = threading.Lock()
"""Handler calls share module state (Powertools resolver's current event, metric set): one at a time."""
_ACTIVE_LOCK = threading.Lock()
_active: LocalGateway | None = None

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of the Lambda context object that Powertools' Logger reads."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        """A syntactically valid ARN in a placeholder account."""
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Time left, as Lambda would report it (constant here: there is no deadline)."""
        return 5000


# ---------------------------------------------------------------- stand-in servers


@dataclass(frozen=True)
class RecordedRequest:
    """One request as a stand-in server received it."""

    method: str
    target: str
    """The request target exactly as sent: raw path, ``?`` and raw query."""
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        """The raw path (before ``?``)."""
        return self.target.partition("?")[0]

    @property
    def raw_query(self) -> str:
        """The raw query string (after the first ``?``), untouched."""
        return self.target.partition("?")[2]

    @property
    def cookie(self) -> str:
        """Every ``Cookie`` header, joined as a browser would send them."""
        return "; ".join(value for name, value in self.headers if name.lower() == "cookie")


class _QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive capable, silent request handler base."""

    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection frees its thread after this many seconds
    # Headers and body go out in separate writes; with Nagle on, the second small write waits
    # for the peer's delayed ACK (~40 ms per keep-alive request on Linux loopback).
    disable_nagle_algorithm = True
    server_version = "local-gateway"

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the handlers' structured log lines say what happened."""

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` only; clients here do not send chunked bodies)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def reply(self, status: int, headers: list[tuple[str, str]], body: bytes, reason: str | None = None) -> None:
        """Send a complete answer with ``Content-Length`` (so the connection can be kept alive)."""
        self.send_response(status, reason)
        for name, value in headers:
            # send_response() already wrote this server's own Server and Date.
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


class StandInServer(ThreadingHTTPServer):
    """A server that records each request and answers with a page showing what it received.

    Used for the company's own callback (here) and for the Junction stand-in (in the tests).
    The answer carries ``X-Stand-In-Target`` (the raw target received) so that a client can
    check, without parsing HTML, exactly what arrived.
    """

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, title: str, port: int = 0, set_cookies: tuple[str, ...] = ()) -> None:
        self.title = title
        self.set_cookies = set_cookies
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.keep_requests = True
        super().__init__((HOST, port), _StandInHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{HOST}:{self.server_address[1]}"

    def record(self, request: RecordedRequest) -> None:
        """Remember one request (thread-safe)."""
        if self.keep_requests:
            with self._lock:
                self.requests.append(request)

    def received(self) -> list[RecordedRequest]:
        """A snapshot of what was received so far."""
        with self._lock:
            return list(self.requests)


def stand_in_answer(
    title: str, request: RecordedRequest, set_cookies: tuple[str, ...] = ()
) -> tuple[int, list[tuple[str, str]], bytes]:
    """A stand-in's answer: a page showing what it received, ``X-Stand-In`` (its title) and
    ``X-Stand-In-Target`` (the raw target), and its ``Set-Cookie`` lines."""
    rows = [
        ("method", request.method),
        ("path", request.path),
        ("query", request.raw_query),
        ("cookies", request.cookie or "(none)"),
        ("body", request.body.decode("utf-8", "replace") if request.body else "(none)"),
    ]
    text = "\n".join(f"{name:8} {value}" for name, value in rows)
    escaped = html.escape(title)
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escaped}</title></head>"
        f"<body><h1>{escaped}</h1><pre id='received'>{html.escape(text)}</pre></body></html>\n"
    )
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("X-Stand-In", title),
        ("X-Stand-In-Target", request.target),
    ]
    headers += [("Set-Cookie", cookie) for cookie in set_cookies]
    return 200, headers, page.encode("utf-8")


class _StandInHandler(_QuietHandler):
    server: StandInServer

    def _serve(self) -> None:
        body = self.read_body()
        request = RecordedRequest(self.command, self.path, tuple(self.headers.items()), body)
        self.server.record(request)
        self.reply(*stand_in_answer(self.server.title, request, self.server.set_cookies))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class CompanyFunctionStandIn:
    """The company's callback as a Lambda function: the stand-in's logic behind a handler.

    It takes whatever event its front builds (HTTP API / Function URL 2.0, REST 1.0, ALB single or
    multi-value), records it in :attr:`events`, and answers, in that front's format, the page
    :func:`stand_in_answer` shows: what it received. ``make run`` registers it on the local Lambda
    Invoke API under the ``invoke`` fallback's ARN.
    """

    title = "Company callback function stand-in"
    set_cookies = COMPANY_STAND_IN_COOKIES

    def __init__(self) -> None:
        self.events: list[Any] = []
        """Every event received, as the function got it (parsed from the invoke's JSON)."""
        self._lock = threading.Lock()

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        """The Lambda handler."""
        with self._lock:
            self.events.append(event)
        try:
            request = request_from_event(event)
        except ValueError:
            return event_answer(event, 400, [("Content-Type", "text/plain")], b"not an API Gateway or ALB event\n")
        target = request.path + (f"?{request.query}" if request.query else "")
        recorded = RecordedRequest(request.method, target, request.headers, request.body)
        return event_answer(event, *stand_in_answer(self.title, recorded, self.set_cookies))


# ---------------------------------------------------------------- events in, answers out


def _route_match(config: RouterConfig, raw_path: str) -> tuple[str, dict[str, str] | None]:
    """API Gateway's route key and path parameters for ``raw_path`` (``$default`` if none)."""
    path = unquote(raw_path)
    for route in config.routes:
        provider = route.match(path)
        if provider is not None:
            parameters = {"provider": provider} if route.has_placeholder else None
            return f"ANY {route.path}", parameters
    return "$default", None


def http_api_event(
    config: RouterConfig,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    client_ip: str,
    listener_port: int | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event for one request (as the service builds it).

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
    route_key, path_parameters = _route_match(config, raw_path)
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


def _cf_header_list(cf_headers: Any) -> list[tuple[str, str]]:
    return [(item.get("key") or name, item["value"]) for name, items in (cf_headers or {}).items() for item in items]


def generated_answer(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
    """A viewer-request generated response as status, headers, body, reason (CloudFront's checks applied)."""
    headers = _cf_header_list(result.get("headers"))
    bad = sorted({name.lower() for name, _ in headers} & CF_READ_ONLY_OR_DISALLOWED)
    bad += sorted({name.lower() for name, _ in headers if name.lower().startswith("x-amz-cf-")})
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("bodyEncoding") == "base64" else str(raw_body).encode("utf-8")
    if bad or len(body) > CF_MAX_GENERATED_BODY:
        problem = f"disallowed header {bad[0]}" if bad else "generated body over 40 KB"
        text = f"502 ERROR: the Lambda function returned an invalid response ({problem}).\n".encode()
        return 502, [("Content-Type", "text/plain; charset=utf-8")], text, "Bad Gateway"
    return int(result["status"]), headers, body, result.get("statusDescription")


def forward_to_origin(
    origin: str, request: dict[str, Any], body: bytes, timeout: float = 10.0, *, viewer_host: bool = False
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send the (possibly modified) viewer request on to the origin, as CloudFront would.

    Redirects are not followed; every response header, repeated ``Set-Cookie`` included, is kept.
    ``viewer_host``: pass the viewer's ``Host`` on (an origin request policy such as
    ``AllViewer``) instead of the origin's domain name, CloudFront's default.
    """
    parts = urlsplit(origin)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    target = request.get("uri", "/") + (f"?{request['querystring']}" if request.get("querystring") else "")
    try:
        connection.putrequest(request.get("method", "GET"), target, skip_host=True, skip_accept_encoding=True)
        viewer = [value for name, value in _cf_header_list(request.get("headers")) if name.lower() == "host"]
        # CloudFront sends the origin's domain name by default.
        connection.putheader("Host", viewer[0] if viewer_host and viewer else parts.netloc)
        for name, value in _cf_header_list(request.get("headers")):
            if name.lower() not in HOP_BY_HOP | {"host"}:
                connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except (OSError, http.client.HTTPException) as error:
        text = f"502 ERROR: CloudFront could not connect to the origin ({type(error).__name__}).\n".encode()
        return 502, [("Content-Type", "text/plain; charset=utf-8")], text
    finally:
        connection.close()


# ---------------------------------------------------------------- the ALB front

ALB_TARGET_GROUP_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/callback-router/0123456789abcdef"
)
ALB_BYPASS_PRIORITY = 10
"""Priority P of the "bypass" rule; the "router" rule is P + 1 (lower numbers are evaluated first)."""
ALB_MAX_LAMBDA_RESPONSE = 1024 * 1024
"""ALB refuses (502) a Lambda response JSON over 1 MB (Lambda functions as targets, Limits)."""
ALB_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>502 Bad Gateway</body>\r\n</html>\r\n"
)


@functools.lru_cache(maxsize=256)
def _alb_pattern(pattern: str, case_sensitive: bool, escapes: bool) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escapes and char == "\\" and pattern[index + 1 : index + 2] in ("*", "?"):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def alb_wildcard_match(pattern: str, text: str, *, case_sensitive: bool, escapes: bool = False) -> bool:
    """ALB's condition match: the whole ``text`` against ``pattern``, ``*`` = 0 or more, ``?`` = exactly 1.

    Path patterns compare case-sensitively, header and query-string values case-insensitively;
    only query-string values take ``\\*`` / ``\\?`` for a literal ``*`` / ``?`` (ELB API reference,
    PathPatternConditionConfig, HttpHeaderConditionConfig, QueryStringConditionConfig).
    """
    return _alb_pattern(pattern, case_sensitive, escapes).fullmatch(text) is not None


def alb_query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query's key/value pairs as a ``query-string`` condition compares them.

    AWS documents the comparison as case-insensitive with wildcards, and says "any character can
    be percentage encoded" in the query; it does not say outright whether the condition sees the
    raw or the decoded text. We compare keys and values **decoded the way the router reads them**
    (``core.uri.query_pairs``, the WHATWG form rules): the reading of that sentence under which
    ``%65yJ...`` and ``eyJ...``, ``st%61te`` and ``state``, are the same. It only matters for
    hand-made queries that percent-encode unreserved characters, which JWTs (base64url and dots)
    never need; the function reads ``state`` itself either way. (The event the function gets
    carries the raw, undecoded keys and values.)
    """
    return query_pairs(raw_query)


@dataclass(frozen=True)
class AlbRule:
    """One emulated listener rule: every condition must hold; within a condition, any one value."""

    name: str
    priority: int
    path_patterns: tuple[str, ...]
    target: str
    """``"company"`` (the company's target group) or ``"router"`` (the router Lambda's)."""
    http_header: tuple[str, tuple[str, ...]] | None = None
    """An ``http-header`` condition: header name (case-insensitive) and the values it may have."""
    query_string: tuple[tuple[str | None, str], ...] = ()
    """A ``query-string`` condition: (key or ``None`` for any key, value) pairs."""

    def matches(self, raw_path: str, headers: list[tuple[str, str]], raw_query: str) -> bool:
        """Whether a request with this raw path, headers and raw query meets every condition."""
        # The path pattern is compared to the path only (never the query), as received.
        if self.path_patterns and not any(
            alb_wildcard_match(pattern, raw_path, case_sensitive=True) for pattern in self.path_patterns
        ):
            return False
        if self.http_header is not None:
            name, allowed = self.http_header
            values = [value for key, value in headers if key.lower() == name.lower()]
            if not any(
                alb_wildcard_match(pattern, value, case_sensitive=False) for pattern in allowed for value in values
            ):
                return False
        if self.query_string:
            pairs = alb_query_pairs(raw_query)
            if not any(
                (key is None or alb_wildcard_match(key, have_key, case_sensitive=False, escapes=True))
                and alb_wildcard_match(value, have_value, case_sensitive=False, escapes=True)
                for key, value in self.query_string
                for have_key, have_value in pairs
            ):
                return False
        return True


def alb_rules(config: RouterConfig, priority: int = ALB_BYPASS_PRIORITY) -> tuple[AlbRule, AlbRule]:
    """The two listener rules ``CallbackRouter.add_to_alb`` puts in front of the default action.

    * "bypass" (``priority``): callback paths (``{provider}`` -> ``*``) and the proxy fallback's
      marker header -> the company's service, so a replayed request never re-enters the router;
    * "router" (``priority + 1``): callback paths and ``state=eyJ*`` -> the router function.
    """
    patterns = tuple(dict.fromkeys(path_patterns(config.routes)))
    bypass = AlbRule(
        "bypass", priority, patterns, "company", http_header=(FALLBACK_MARKER_HEADER, (FALLBACK_MARKER_VALUE,))
    )
    router = AlbRule("router", priority + 1, patterns, "router", query_string=(("state", ALB_STATE_PATTERN),))
    return bypass, router


def match_alb_rule(rules: tuple[AlbRule, ...], target: str, headers: list[tuple[str, str]]) -> AlbRule | None:
    """The first rule, by priority, that ``target`` (raw path and query) and ``headers`` meet; ``None``: default."""
    raw_path, _, raw_query = target.partition("?")
    return next(
        (rule for rule in sorted(rules, key=lambda rule: rule.priority) if rule.matches(raw_path, headers, raw_query)),
        None,
    )


def alb_request_headers(headers: list[tuple[str, str]], client_ip: str, listener_port: int) -> list[tuple[str, str]]:
    """The request headers as an ALB passes them on: ``X-Forwarded-*`` set, a trace id added if none."""
    forwarded = ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-port")
    out = [(name, value) for name, value in headers if name.lower() not in forwarded]
    prior = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    out += [
        ("X-Forwarded-For", ", ".join([*prior, client_ip])),  # ALB appends the client's address
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Port", str(listener_port)),
    ]
    if not any(name.lower() == "x-amzn-trace-id" for name, _ in headers):
        out.append(("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"))
    return out


def alb_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    """An ALB event for a Lambda target group with multi-value headers on (as the service builds it).

    Query keys and values are **not** decoded; repeated keys and headers keep every value, in
    order, grouped by key (the event has no way to say how repeated keys interleaved). Header
    names are lowercased. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    raw_path, _, raw_query = target.partition("?")
    query: dict[str, list[str]] = {}
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            query.setdefault(key, []).append(value)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name.lower(), []).append(value)
    return {
        "requestContext": {"elb": {"targetGroupArn": ALB_TARGET_GROUP_ARN}},
        "httpMethod": method,
        "path": raw_path,
        "multiValueQueryStringParameters": query,
        "multiValueHeaders": multi_headers,
        # Always base64 when there is a body: the function must decode either form.
        "body": base64.b64encode(body).decode("ascii") if body else "",
        "isBase64Encoded": bool(body),
    }


def alb_answer(result: Any) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
    """A Lambda target's answer as status, headers (repeats kept), body and reason phrase.

    With multi-value headers on, ALB reads ``multiValueHeaders``; ``statusDescription`` ("307
    Temporary Redirect") gives the reason phrase. An answer ALB cannot use (no ``statusCode``,
    bad base64, JSON over 1 MB) becomes ALB's own 502.
    """
    try:
        if not isinstance(result, dict) or len(json.dumps(result).encode("utf-8")) > ALB_MAX_LAMBDA_RESPONSE:
            raise ValueError("not an ALB answer, or over 1 MB")
        status = int(result["statusCode"])
        headers = [
            (name, str(value)) for name, values in (result.get("multiValueHeaders") or {}).items() for value in values
        ]
        raw_body = result.get("body") or ""
        body = base64.b64decode(raw_body, validate=True) if result.get("isBase64Encoded") else str(raw_body).encode()
    except (KeyError, TypeError, ValueError, binascii.Error):
        return 502, [("Content-Type", "text/html")], ALB_BAD_GATEWAY, "Bad Gateway"
    reason = str(result.get("statusDescription") or "").partition(" ")[2]
    return status, headers, body, reason or None


def forward_to_target(
    target_url: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes, timeout: float = 10.0
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send a request to an HTTP target as an ALB forward action does: target and ``Host`` unchanged.

    Redirects are not followed; every response header, repeated ``Set-Cookie`` included, is kept.
    """
    parts = urlsplit(target_url)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    except (OSError, http.client.HTTPException):
        return 502, [("Content-Type", "text/html")], ALB_BAD_GATEWAY
    finally:
        connection.close()


def _fallback_path(runtime: dict[str, Any]) -> str:
    """The path of the runtime config's fallback URL, or of its first route when it has none."""
    fallback = runtime.get("fallback")
    original = fallback.get("url") if isinstance(fallback, dict) else None
    if original:
        return urlsplit(str(original)).path
    routes = [route["path"] for route in runtime.get("routes") or [{"path": "/oauth_callback/{provider}"}]]
    return str(next((route for route in routes if PROVIDER_PLACEHOLDER in route), routes[0]))


def alb_runtime_config(stage: Stage, alb_url: str, runtime: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The runtime config as an ALB deployment runs it, and a note for the banner.

    ``runtime`` is the HTTP API front's (default: the stage's). An ``invoke`` fallback is kept: the
    router hands the company's function the ALB event itself. Any other becomes ``proxy`` to the
    ALB itself: the ALB front plus the path of the fallback URL (or of the first route when there
    is none), ``timeout_seconds`` kept.
    """
    runtime = json.loads(stage.runtime_json() if runtime is None else json.dumps(runtime))
    fallback = runtime.get("fallback")
    if isinstance(fallback, dict) and fallback.get("mode") == "invoke":
        return runtime, (
            f"ALB front: the function's fallback is invoke {fallback['function_arn']} too, with the ALB event "
            "(multi-value headers); the listener's default action invokes that function directly"
        )
    local: dict[str, Any] = {"mode": "proxy", "url": f"{alb_url}{_fallback_path(runtime)}"}
    if isinstance(fallback, dict) and "timeout_seconds" in fallback:
        local["timeout_seconds"] = fallback["timeout_seconds"]
    runtime["fallback"] = local
    return runtime, (
        f"ALB front: the function's fallback is proxy to the ALB front itself, {local['url']}; the replayed "
        f"request carries {FALLBACK_MARKER_HEADER}: {FALLBACK_MARKER_VALUE}, so the bypass rule gives it "
        "to the company stand-in: a JWT-shaped company state reaches the company once, no loop"
    )


class _Discard(io.TextIOBase):
    """A text sink: where EMF metric lines go when the caller does not want them."""

    def write(self, text: str) -> int:
        return len(text)


_DISCARD = _Discard()


def _invoke(handler: Handler, event: dict[str, Any], function_name: str, emf: bool) -> Any:
    context = FakeLambdaContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
    with _HANDLER_LOCK:
        if emf:
            return handler(event, context)
        # Powertools prints EMF with print(); POWERTOOLS_METRICS_DISABLED is no help here (3.37
        # keeps the metric set when disabled and prints it anyway once it reaches 100 entries).
        with contextlib.redirect_stdout(_DISCARD):
            return handler(event, context)


def _call_function(handler: Handler, event: dict[str, Any]) -> Any:
    """A front's own invoke of the company's function (no router between): the event and the result
    cross as JSON, as through Lambda; a function that raises gets the front's own error answer."""
    from callback_router.fallbacks.invoke import front_error

    context = FakeLambdaContext(function_name="company-callback", aws_request_id=str(uuid.uuid4()))
    try:
        return json.loads(json.dumps(handler(json.loads(json.dumps(event)), context)))
    except Exception as error:  # noqa: BLE001 -- API Gateway and ALB answer 502 for a failed function
        sys.stderr.write(f"local gateway: the company function raised {type(error).__name__}\n")
        return front_error(event)


class _FrontHandler(_QuietHandler):
    server: FrontServer

    def _serve(self) -> None:
        gateway = self.server.gateway
        body = self.read_body()
        headers = list(self.headers.items())
        client_ip = self.client_address[0]
        reason: str | None = None
        try:
            if gateway.without_router:
                status, out_headers, out_body, reason = self._serve_without_router(headers, body, client_ip)
            elif self.server.kind == "http_api":
                port = self.server.server_address[1]
                event = http_api_event(gateway.router, self.command, self.path, headers, body, client_ip, port)
                if event["routeKey"] == "$default" and gateway.company_function is not None:
                    # The company's own routes on the same API, integrated with its function.
                    status, out_headers, out_body = http_api_answer(_call_function(gateway.company_handler, event))
                elif event["routeKey"] == "$default" and gateway.company_service is not None:
                    # The company's own routes on the same API (its login page, its home page).
                    status, out_headers, out_body = forward_to_target(
                        gateway.company_url, self.command, self.path, headers, body
                    )
                elif event["routeKey"] == "$default":
                    # The stack creates `ANY <path>` routes for the callback paths only, so API
                    # Gateway answers every other path itself, without invoking the function.
                    status, out_headers, out_body = 404, [("Content-Type", "application/json")], NOT_FOUND_BODY
                else:
                    result = _invoke(gateway.http_api_handler, event, "callback-router-http-api", gateway.emf)
                    gateway.count_invocation("http_api")
                    status, out_headers, out_body = http_api_answer(result)
            elif self.server.kind == "alb":
                status, out_headers, out_body, reason = self._serve_alb(headers, body, client_ip)
            else:
                domain = f"{HOST}:{self.server.server_address[1]}"
                event = viewer_request_event(self.command, self.path, headers, client_ip, domain)
                result = _invoke(gateway.viewer_request_handler, event, "us-east-1.callback-router-edge", gateway.emf)
                gateway.count_invocation("edge")
                if isinstance(result, dict) and "status" in result:
                    status, out_headers, out_body, reason = generated_answer(result)
                else:
                    status, out_headers, out_body = self._to_origin(result, body)
        except Exception as error:  # noqa: BLE001 -- a handler crash is a 500/502 answer, as in AWS
            sys.stderr.write(f"local gateway: handler raised {type(error).__name__}: {error}\n")
            status, out_headers = (500 if self.server.kind == "http_api" else 502), [("Content-Type", "text/plain")]
            out_body = b"Internal Server Error\n"
        self.reply(status, out_headers, out_body, reason)

    def _to_origin(self, request: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        # A company service builds its URLs from the Host it gets: its distribution must forward
        # the viewer's (the stand-in shows what CloudFront does by default).
        gateway = self.server.gateway
        return forward_to_origin(gateway.company_url, request, body, viewer_host=gateway.company_service is not None)

    def _serve_without_router(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """What the front does with no router deployed: every request goes to the company."""
        gateway = self.server.gateway
        if self.server.kind == "edge":  # no viewer-request function: the request goes to the origin as is
            domain = f"{HOST}:{self.server.server_address[1]}"
            event = viewer_request_event(self.command, self.path, headers, client_ip, domain)
            return (*self._to_origin(event["Records"][0]["cf"]["request"], body), None)
        if self.server.kind == "alb":  # no listener rules: the default action
            return self._alb_default_action(headers, body, client_ip)
        if gateway.invokes:  # the company's function on the callback route, as API Gateway invokes it
            port = self.server.server_address[1]
            event = http_api_event(gateway.router, self.command, self.path, headers, body, client_ip, port)
            return (*http_api_answer(_call_function(gateway.company_handler, event)), None)
        # HTTP API: the company's service itself on the public host (the browser cannot tell).
        return (*forward_to_target(gateway.company_url, self.command, self.path, headers, body), None)

    def _alb_default_action(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """The company's target group: its function (a Lambda target, multi-value headers on, as the
        router's) with an ``invoke`` fallback, else its HTTP service."""
        gateway = self.server.gateway
        passed_on = alb_request_headers(headers, client_ip, self.server.server_address[1])
        if gateway.invokes:
            return alb_answer(
                _call_function(gateway.company_handler, alb_event(self.command, self.path, passed_on, body))
            )
        status, out_headers, out_body = forward_to_target(gateway.company_url, self.command, self.path, passed_on, body)
        return status, out_headers, out_body, None

    def _serve_alb(
        self, headers: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        gateway = self.server.gateway
        rule = match_alb_rule(gateway.alb_rules, self.path, headers)
        if rule is None or rule.target == "company":  # the default action, or the bypass rule
            return self._alb_default_action(headers, body, client_ip)
        passed_on = alb_request_headers(headers, client_ip, self.server.server_address[1])
        event = alb_event(self.command, self.path, passed_on, body)
        result = _invoke(gateway.alb_handler, event, "callback-router-alb", gateway.emf)
        gateway.count_invocation("alb")
        return alb_answer(result)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve


class FrontServer(ThreadingHTTPServer):
    """One front of the gateway: ``kind`` is ``http_api``, ``edge`` or ``alb``."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, gateway: LocalGateway, kind: str, port: int) -> None:
        self.gateway = gateway
        self.kind = kind
        super().__init__((HOST, port), _FrontHandler)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.server_address[1]}"


# ---------------------------------------------------------------- the gateway


def local_runtime_config(stage: Stage, company_url: str, fallback: str = "stage") -> tuple[dict[str, Any], str | None]:
    """The stage's runtime config with its fallback pointed at the local company stand-ins.

    Returns the document and a sentence saying what was changed (``None`` if nothing).

    * ``fallback="stage"``: a ``proxy`` or ``redirect`` fallback keeps its mode and URL path; only
      scheme and host change, to the company stand-in's. An ``invoke`` fallback is kept as is: the
      gateway registers the company function stand-in under its ARN. Edge stages have no fallback
      (CloudFront passes on to the origin), so the HTTP API front gets a proxy fallback to the
      stand-in, on the path of the first ``{provider}`` route.
    * ``fallback="proxy"``: proxy to the company stand-in, on the path of the stage's fallback URL
      (or of its first route).
    * ``fallback="invoke"``: invoke the stage's ``function_arn``, or :data:`LOCAL_FUNCTION_ARN`.

    A switched mode takes the default ``timeout_seconds``; a kept one keeps the stage's.
    """
    if fallback not in FALLBACK_CHOICES:
        raise ValueError(f"fallback must be one of {', '.join(FALLBACK_CHOICES)}, not {fallback!r}")
    runtime = json.loads(stage.runtime_json())
    original = runtime.get("fallback")
    mode = original.get("mode") if isinstance(original, dict) else None
    wanted = fallback if fallback != "stage" else (mode or "proxy")  # no mode: an edge stage
    if wanted == "invoke":
        if mode == "invoke":
            return runtime, (
                f"fallback invoke {original['function_arn']}: the company function stand-in is registered under "
                "that ARN on the local Lambda Invoke API"
            )
        runtime["fallback"] = {"mode": "invoke", "function_arn": LOCAL_FUNCTION_ARN}
        return runtime, (
            f"fallback {mode or 'none'} switched to invoke for this run (--fallback invoke): non-Junction "
            f"callbacks go to the company function stand-in, {LOCAL_FUNCTION_ARN}, on the local Lambda Invoke API"
        )
    if wanted == "proxy" and mode != "proxy":
        runtime["fallback"] = {"mode": "proxy", "url": f"{company_url}{_fallback_path(runtime)}"}
        why = f"stage {stage.name!r} is CloudFront-only (no fallback)" if mode is None else f"fallback {mode}"
        return runtime, (
            f"{why}; the HTTP API front proxies non-Junction callbacks to the local company stand-in: "
            f"{runtime['fallback']['url']}"
        )
    if mode not in ("proxy", "redirect") or not original.get("url"):
        return runtime, None
    local = urlsplit(company_url)
    url = str(original["url"])
    original["url"] = urlunsplit((local.scheme, local.netloc, urlsplit(url).path, "", ""))
    return runtime, (
        f"fallback {mode} {url} is not reachable from here; using the local company stand-in instead: {original['url']}"
    )


class LocalGateway:
    """The three fronts and the company stand-in (with an ``invoke`` fallback, the local Lambda
    Invoke API and the company function too), started and stopped together.

    Use :func:`start_gateway`, or ``with LocalGateway(stage).start() as gateway: ...``.
    """

    def __init__(
        self,
        stage: Stage,
        *,
        port: int = 0,
        edge_port: int = 0,
        company_port: int = 0,
        alb_port: int = 0,
        log_level: str = "INFO",
        emf: bool = True,
        company_service: HTTPServer | None = None,
        fallback: str = "stage",
        company_function: Handler | None = None,
    ) -> None:
        if fallback not in FALLBACK_CHOICES:
            raise ValueError(f"fallback must be one of {', '.join(FALLBACK_CHOICES)}, not {fallback!r}")
        self.stage = stage
        self.fallback = fallback
        """``stage`` (the stage's own), ``proxy`` or ``invoke``: see :func:`local_runtime_config`."""
        self.company_function = company_function
        """The company's own Lambda handler, if given: the ``invoke`` fallback's target (registered
        on the local Lambda Invoke API under the fallback's ARN) instead of the company function
        stand-in, and what the HTTP API front invokes for the company's other paths. Needs an
        ``invoke`` fallback (the stage's, or ``fallback="invoke"``)."""
        self.lambda_service: LocalLambda | None = None
        """The local Lambda Invoke API (``AWS_ENDPOINT_URL_LAMBDA``) when the fallback is ``invoke``."""
        self.function_stand_in = CompanyFunctionStandIn()
        """The company function stand-in: the ``invoke`` target when no ``company_function`` is given."""
        self.log_level = log_level
        self.emf = emf
        self.company_service = company_service
        """The company's own service, if given: the fronts send the company's requests there instead
        of to the stand-in (fallback, origin, ALB targets), and the HTTP API front its other paths
        too (the company's own routes on the API); the gateway serves it and closes it on stop."""
        self.without_router = False
        """Set True to serve as if no router were deployed (the baseline a transparency test
        compares with): the HTTP API front sends every request to the company as is (the company's
        service on the public host; with an ``invoke`` fallback, its function, invoked with the
        front's event), the CloudFront front to the origin, the ALB front by its default action.
        The handlers are not called. May be switched while running."""
        self._ports = (port, edge_port, company_port, alb_port)
        self.company: StandInServer
        self.http_api: FrontServer
        self.edge: FrontServer
        self.alb: FrontServer
        self.runtime: dict[str, Any] = {}
        self.alb_runtime: dict[str, Any] = {}
        """The ALB front function's config: the stage's, with the fallback proxying to the ALB front."""
        self.alb_rules: tuple[AlbRule, ...] = ()
        self.invocations: Counter[str] = Counter()
        """Handler invocations so far, per front (``http_api``, ``edge``, ``alb``)."""
        self._invocations_lock = threading.Lock()
        self.notes: list[str] = []
        self._threads: list[threading.Thread] = []
        self._started = False
        self._saved_env: dict[str, str | None] = {}
        self._saved_level = logging.NOTSET
        self._service = ""
        self._router: RouterConfig | None = None

    # URLs of the three servers (valid after start()).
    @property
    def http_api_url(self) -> str:
        """The HTTP API front, ``http://127.0.0.1:PORT``."""
        return self.http_api.url

    @property
    def edge_url(self) -> str:
        """The CloudFront front, ``http://127.0.0.1:PORT``."""
        return self.edge.url

    @property
    def alb_url(self) -> str:
        """The ALB front, ``http://127.0.0.1:PORT``."""
        return self.alb.url

    @property
    def company_url(self) -> str:
        """Where the company's requests go, ``http://127.0.0.1:PORT``: the company service, else the stand-in."""
        if self.company_service is not None:
            return f"http://{HOST}:{self.company_service.server_address[1]}"
        return self.company.url

    @property
    def router(self) -> RouterConfig:
        """The validated config the handlers run with (local fallback included); parsed once."""
        if self._router is None:
            from callback_router.core.config import parse_config

            self._router = parse_config(self.runtime)
        return self._router

    def count_invocation(self, front: str) -> None:
        """Count one handler invocation on ``front`` (thread-safe)."""
        with self._invocations_lock:
            self.invocations[front] += 1

    def start(self) -> LocalGateway:
        """Bind every server, load the handlers with the stage's config, and serve in threads.

        Raises:
            RuntimeError: if another gateway is running in this process.
            OSError: if a port is taken (nothing is left running then).
        """
        global _active
        port, edge_port, company_port, alb_port = self._ports
        with _ACTIVE_LOCK:
            if _active is not None:
                raise RuntimeError("a local gateway is already running in this process; stop() it first")
            self.company = StandInServer("Company callback stand-in", company_port, COMPANY_STAND_IN_COOKIES)
            try:
                self.runtime, note = local_runtime_config(self.stage, self.company_url, self.fallback)
                self.notes = [note] if note else []
                self._start_lambda_service()
                self._router = None
                self._router = self.router
                self._load_handlers()
                opened: list[FrontServer] = []
                try:
                    for kind, kind_port in (("http_api", port), ("edge", edge_port), ("alb", alb_port)):
                        opened.append(FrontServer(self, kind, kind_port))
                    self.http_api, self.edge, self.alb = opened
                    self._load_alb_handler()
                except BaseException:
                    for front in opened:
                        front.server_close()
                    raise
            except BaseException:
                self.company.server_close()
                if self.company_service is not None:
                    self.company_service.server_close()
                self._stop_lambda_service()
                self._restore()
                raise
            _active = self
        for server in self._servers():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._started = True
        return self

    def _servers(self) -> list[HTTPServer]:
        servers: list[HTTPServer] = [self.company, self.http_api, self.edge, self.alb]
        return servers if self.company_service is None else [*servers, self.company_service]

    @property
    def invokes(self) -> bool:
        """Whether the router's fallback is ``invoke`` (the company's callback is a Lambda function)."""
        fallback = self.runtime.get("fallback")
        return isinstance(fallback, dict) and fallback.get("mode") == "invoke"

    @property
    def company_handler(self) -> Handler:
        """The company's Lambda handler: ``company_function``, else the company function stand-in."""
        return self.company_function or self.function_stand_in

    def _start_lambda_service(self) -> None:
        # The router's invoke client reads its endpoint and credentials from the environment at
        # each call, as in AWS: point them at the local Lambda Invoke API (put back on stop).
        if not self.invokes:
            if self.company_function is not None:
                raise ValueError(
                    "company_function is the invoke fallback's target, and this stage's fallback is "
                    f"{self.runtime.get('fallback')!r}: pass fallback='invoke'"
                )
            return
        from callback_router.fallbacks.lambda_client import region_of
        from tools.local_lambda import LocalLambda  # botocore: only when there is an invoke to serve

        arn = str(self.runtime["fallback"]["function_arn"])
        self.lambda_service = LocalLambda({arn: self.company_handler}, region=region_of(arn)).__enter__()
        environ = self.lambda_service.environ()
        self._saved_env.update({name: os.environ.get(name) for name in environ})
        os.environ.update(environ)

    def _stop_lambda_service(self) -> None:
        if self.lambda_service is not None:
            self.lambda_service.__exit__(None, None, None)
            self.lambda_service = None

    def _load_handlers(self) -> None:
        # The handler modules read CALLBACK_ROUTER_CONFIG once, at import (a cold start): set it,
        # then import them, or re-import them if an earlier gateway in this process loaded them.
        self._saved_env.setdefault(CONFIG_ENV_VAR, os.environ.get(CONFIG_ENV_VAR))
        os.environ[CONFIG_ENV_VAR] = json.dumps(self.runtime)
        for name in HANDLER_MODULES:
            module = sys.modules.get(name)
            if module is None:
                importlib.import_module(name)
            else:
                importlib.reload(module)
        handlers = importlib.import_module("callback_router.handlers")
        self.http_api_handler: Handler = handlers.http_api_handler
        self.viewer_request_handler: Handler = handlers.viewer_request_handler
        # Powertools' Logger is a stdlib logger named after the service: set its level directly.
        self._service = self.router.service
        service_logger = logging.getLogger(self._service)
        self._saved_level = service_logger.level
        service_logger.setLevel(self.log_level.upper())

    def _load_alb_handler(self) -> None:
        # The ALB front's function has its own fallback URL (the ALB front itself), and the handler
        # module reads its config once, at import: run a second instance of the module with that
        # config, as AWS would run a second function. The shared env var is put back afterwards.
        self.alb_runtime, note = alb_runtime_config(self.stage, self.alb.url, self.runtime)
        self.notes.append(note)
        self.alb_rules = alb_rules(self.router)
        source = importlib.util.find_spec("callback_router.api_handlers")
        assert source is not None and source.origin is not None
        spec = importlib.util.spec_from_file_location("callback_router_local_alb_front", source.origin)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        os.environ[CONFIG_ENV_VAR] = json.dumps(self.alb_runtime)
        try:
            spec.loader.exec_module(module)
        finally:
            os.environ[CONFIG_ENV_VAR] = json.dumps(self.runtime)
        if module.CONFIG is None:  # the handler would answer 503 to everything: say why instead
            raise RuntimeError(f"the ALB front's config is invalid: {module.CONFIG_PROBLEM}")
        self.alb_handler: Handler = module.alb_handler

    def _restore(self) -> None:
        # Leave the process as it was: other code (tests) may load the handlers after us.
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        if self._service:
            logging.getLogger(self._service).setLevel(self._saved_level)

    def stop(self) -> None:
        """Stop serving, close every socket, and let another gateway start. Idempotent."""
        global _active
        if not self._started:
            return
        self._started = False
        for server in self._servers():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._stop_lambda_service()
        self._restore()
        with _ACTIVE_LOCK:
            if _active is self:
                _active = None

    def __enter__(self) -> LocalGateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_gateway(
    stage: Stage,
    *,
    port: int = 0,
    edge_port: int = 0,
    company_port: int = 0,
    alb_port: int = 0,
    log_level: str = "INFO",
    emf: bool = True,
    company_service: HTTPServer | None = None,
    fallback: str = "stage",
    company_function: Handler | None = None,
) -> LocalGateway:
    """Start the gateway for ``stage`` on 127.0.0.1 (port 0 = ephemeral) and return it running.

    ``gateway.http_api_url``, ``gateway.edge_url``, ``gateway.alb_url`` and ``gateway.company_url``
    are the bound addresses; ``gateway.company.received()`` what the company stand-in got;
    ``gateway.invocations`` the handler calls per front; ``gateway.stop()`` stops everything.
    ``log_level="ERROR"`` and ``emf=False`` quieten the handlers (tests, load): their log lines
    below that level and their EMF metric lines are not printed. ``company_service``,
    ``fallback``, ``company_function``: see :class:`LocalGateway`.
    """
    return LocalGateway(
        stage,
        port=port,
        edge_port=edge_port,
        company_port=company_port,
        alb_port=alb_port,
        log_level=log_level,
        emf=emf,
        company_service=company_service,
        fallback=fallback,
        company_function=company_function,
    ).start()


# ---------------------------------------------------------------- samples for the user


def sample_provider(router: RouterConfig) -> tuple[str, str]:
    """A provider slug this config accepts and a callback path for it."""
    for route in router.routes:
        if route.has_placeholder:
            slug = "fitbit" if router.provider_allowed("fitbit") else sorted(router.providers or ["fitbit"])[0]
            return slug, route.path.replace("{provider}", slug)
    route = router.routes[0]
    return str(route.provider), route.path


def mint_link_token(
    audience: str, *, sub: str | None = None, team_id: str | None = None, user_id: str | None = None
) -> str:
    """A Junction-shaped Link Token (``aud``, ``sub``, ``team_id``, ``user_id``), signed with a demo key."""
    import jwt

    now = int(time.time())
    claims = {
        "aud": audience,
        "sub": sub or str(uuid.uuid4()),
        "team_id": team_id or str(uuid.uuid4()),
        "user_id": user_id or str(uuid.uuid4()),
        "iat": now,
        "exp": now + 3600,  # Link Tokens live 60 minutes
    }
    return jwt.encode(claims, DEMO_SIGNING_KEY, algorithm="HS256")


def _expected_fallback(gateway: LocalGateway, front: str) -> str:
    if front == "edge":
        return "passed on to the origin (the company stand-in), 200"
    if front == "alb":
        company = "the company function stand-in (the ALB invokes it)" if gateway.invokes else "the company stand-in"
        return f"no JWT-shaped state, so the router rule does not match: default action, {company}, 200"
    fallback = gateway.router.fallback
    return {
        "invoke": "the router invokes the company function stand-in with the HTTP API event (Fallback.invoke), "
        "its 200 page",
        "proxy": "proxied to the company stand-in, its 200 page",
        "redirect": "307 to the company stand-in",
        "reject": "404 (fallback mode reject)",
    }[fallback.mode]


def _company_function_line(gateway: LocalGateway) -> str:
    if gateway.lambda_service is None:
        return "  (make run FALLBACK=invoke: the company's callback as a Lambda function, through Fallback.invoke)"
    return (
        f"  company callback function stand-in (invoke fallback / ALB default) {gateway.router.fallback.function_arn}, "
        f"on the local Lambda Invoke API: {gateway.lambda_service.url}"
    )


def banner(gateway: LocalGateway) -> str:
    """What ``make run`` prints: addresses, a sample token and the curl lines to paste."""
    router = gateway.router
    audience = next(iter(router.accepted_base_urls))
    environment = router.accepted_base_urls[audience]
    provider, path = sample_provider(router)
    token = mint_link_token(audience)
    query = f"code=demo-code&scope=activity+heartrate&state={token}"
    own_query = "code=demo-code&state=company-own-state-42"
    lines = [
        f"Junction callback router, stage {gateway.stage.name!r} (shape {gateway.stage.shape}), on 127.0.0.1",
        f"  HTTP API front (payload 2.0 -> http_api_handler):   {gateway.http_api_url}",
        f"  CloudFront front (viewer-request -> viewer_request_handler): {gateway.edge_url}",
        f"  ALB front (listener rules -> alb_handler, multi-value): {gateway.alb_url}",
        f"  company callback stand-in (fallback / origin / ALB default): {gateway.company_url}",
        _company_function_line(gateway),
        f"  accepts: {', '.join(sorted(set(router.accepted_base_urls.values())))}",
        *(f"  note: {note}" for note in gateway.notes),
        "",
        f"Sample Link Token ({environment}, aud {audience}; minted with PyJWT, signature not checked):",
        f"  {token}",
        "",
    ]
    bypass, router_rule = gateway.alb_rules
    company = "the company's function" if gateway.invokes else "the company's service"
    lines += [
        "ALB front listener rules (what CallbackRouter.add_to_alb creates), in priority order:",
        f"  {bypass.priority} bypass: path {' or '.join(bypass.path_patterns)} and "
        f"{FALLBACK_MARKER_HEADER}: {FALLBACK_MARKER_VALUE} -> {company}",
        f"  {router_rule.priority} router: path {' or '.join(router_rule.path_patterns)} and "
        f"state={ALB_STATE_PATTERN} -> alb_handler",
        f"  default -> {company}",
        "",
    ]
    fronts = (("HTTP API", "http_api", gateway.http_api_url), ("CloudFront", "edge", gateway.edge_url))
    for front, kind, base in (*fronts, ("ALB", "alb", gateway.alb_url)):
        lines += [
            f"{front} front, Junction callback -> 307 to {audience}/connect/{provider}?...:",
            f"  curl -i {shlex.quote(f'{base}{path}?{query}')}",
            f"{front} front, the company's own callback (non-Junction state) -> {_expected_fallback(gateway, kind)}:",
            f"  curl -i -H 'Cookie: company_session=abc123' {shlex.quote(f'{base}{path}?{own_query}')}",
            "",
        ]
    company_token = mint_link_token("https://auth.company.example/app")
    through = (
        "invoke fallback hands the ALB event to the company function stand-in"
        if gateway.invokes
        else "proxy fallback back into the ALB, bypass rule, the company stand-in"
    )
    lines += [
        f"ALB front, a company state that looks like a JWT (aud not Junction's) -> router rule, the function's "
        f"{through}, once:",
        f"  curl -i {shlex.quote(f'{gateway.alb_url}{path}?code=demo-code&state={company_token}')}",
        "",
        "Handler log lines (Powertools, JSON) and EMF metrics follow. Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.local_gateway``: serve a stage until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tools.local_gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="sandbox", help="stage name in cdk.json context.stages (default: sandbox)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP API front port (default 3000)")
    parser.add_argument("--edge-port", type=int, default=3001, help="CloudFront front port (default 3001)")
    parser.add_argument("--alb-port", type=int, default=3002, help="ALB front port (default 3002)")
    parser.add_argument("--company-port", type=int, default=0, help="company stand-in port (default: any free)")
    parser.add_argument("--log-level", default="INFO", help="handler log level (default INFO)")
    parser.add_argument(
        "--fallback",
        choices=FALLBACK_CHOICES,
        default="stage",
        help="the router's fallback for this run: the stage's own (default), proxy to the company stand-in, "
        "or invoke the company function stand-in through a local Lambda Invoke API",
    )
    parser.add_argument(
        "--print-runtime-config",
        action="store_true",
        help="print the stage's generated runtime config (what gets bundled as config.json) and exit",
    )
    args = parser.parse_args(argv)

    from junction_callback_router.stages import StageError, load_stage

    try:
        stage = load_stage(args.stage)
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.print_runtime_config:
        sys.stdout.write(stage.runtime_json())
        return 0
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        gateway = start_gateway(
            stage,
            port=args.port,
            edge_port=args.edge_port,
            company_port=args.company_port,
            alb_port=args.alb_port,
            log_level=args.log_level,
            fallback=args.fallback,
        )
    except OSError as error:
        print(f"error: cannot listen on 127.0.0.1: {error}", file=sys.stderr)
        return 2
    print(banner(gateway), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        gateway.stop()
    print("local gateway stopped", flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C reaches jsii's node process too (same process group), so its atexit hook would only
    # print a BrokenPipeError traceback at the end: everything is stopped already, leave directly.
    os._exit(code)
