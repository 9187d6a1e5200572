"""The proxy fallback against a real HTTP server on 127.0.0.1.

The upstream plays the company's existing callback endpoint. Its behaviour is chosen by the last
path segment (the ``{provider}`` of the fallback URL): ``fitbit`` answers 201 with a few headers,
``cookies`` sets two cookies, ``binary`` returns bytes, ``redirect`` answers 302, ``slow`` sleeps
past the configured timeout.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.functional.conftest import Configure, Router
from tests.functional.sources import (
    ALB_MULTI,
    ALB_SINGLE,
    API_SOURCES,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Source,
    alb_event,
    http_api_event,
    rest_api_event,
)
from tests.support.tokens import SANDBOX_US, mint_token

# ALB with multi-value headers off can carry one value per response header; Powertools warns.
pytestmark = pytest.mark.filterwarnings("ignore:Can't encode more than one header value:UserWarning")
api_ids = [source.name for source in API_SOURCES]
BINARY = bytes(range(256)) + b"\x00\xff\x00tail"
COOKIES = ["sid=abc123; Path=/; HttpOnly; Secure", "prefs=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/"]
SLOW_SECONDS = 1.5
TIMEOUT_SECONDS = 0.3
DRIP_BYTES = 15


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class Upstream:
    url: str
    received: list[Received] = field(default_factory=list)


class CompanyCallback(BaseHTTPRequestHandler):
    upstream: Upstream

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.upstream.received.append(  # type: ignore[attr-defined]
            Received(self.command, self.path, list(self.headers.items()), body)
        )
        behaviour = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
        if behaviour == "slow":
            time.sleep(SLOW_SECONDS)
        status, headers, payload = 201, [("Content-Type", "text/html; charset=utf-8")], b"<p>company callback</p>"
        headers += [("X-Upstream", "one"), ("X-Upstream", "two")]
        if behaviour == "cookies":
            headers += [("Set-Cookie", cookie) for cookie in COOKIES]
        elif behaviour == "binary":
            status, headers, payload = 200, [("Content-Type", "application/octet-stream")], BINARY
        elif behaviour == "redirect":
            status, headers, payload = 302, [("Location", "https://app.example.com/after-login?ok=1")], b""
        if behaviour == "drip":  # every byte within the socket timeout, the whole far beyond it
            self.send_response(200)
            self.send_header("Content-Length", str(DRIP_BYTES))
            self.end_headers()
            try:
                for _ in range(DRIP_BYTES):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(TIMEOUT_SECONDS / 3)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the router gave up waiting (the timeout test): expected

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CompanyCallback)
    server.daemon_threads = True
    server.block_on_close = False  # a "slow" handler finishes its sleep on its own, then exits
    server.upstream = Upstream(url=f"http://127.0.0.1:{server.server_port}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.upstream  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


@pytest.fixture
def proxied(configure: Configure, upstream: Upstream) -> Router:
    return configure(
        {
            "environments": ["sandbox-us"],
            "fallback": {
                "mode": "proxy",
                "url": f"{upstream.url}/company/{{provider}}",
                "timeout_seconds": TIMEOUT_SECONDS,
            },
        }
    )


def test_http_api_request_is_replayed_with_method_raw_query_headers_cookies_and_body(proxied, upstream):
    event = http_api_event(
        "/oauth_callback/fitbit",
        "code=a%2Fb&state=company+state&x=%7e&redirect_uri=https://app.example.com/cb",
        "POST",
        headers={
            "host": "id.execute-api.us-east-1.amazonaws.com",
            "connection": "keep-alive",
            "keep-alive": "timeout=5",
            "te": "trailers",
            "upgrade": "h2c",
            "content-type": "application/x-www-form-urlencoded",
            "x-request-marker": "marker-1",
        },
        cookies=["session=s3cr3t", "theme=dark"],
        body="a=1&b=2",
    )
    result = HTTP_API.call(proxied, event)
    assert result.status == 201
    [request] = upstream.received
    assert request.method == "POST"
    assert (
        request.target == "/company/fitbit?code=a%2Fb&state=company+state&x=%7e&redirect_uri=https://app.example.com/cb"
    )
    assert request.header("Host") == [upstream.url.removeprefix("http://")]
    assert request.header("Cookie") == ["session=s3cr3t; theme=dark"]
    assert request.header("X-Request-Marker") == ["marker-1"]
    assert request.header("Content-Type") == ["application/x-www-form-urlencoded"]
    for hop_by_hop in ("Connection", "Keep-Alive", "TE", "Upgrade"):
        assert request.header(hop_by_hop) == []
    assert request.body == b"a=1&b=2"


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, REST_API, ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_base64_binary_request_body_arrives_as_bytes(proxied, upstream, source: Source):
    encoded = base64.b64encode(BINARY).decode()
    if source in (HTTP_API, FUNCTION_URL):
        template = "function_url" if source is FUNCTION_URL else "http_api_v2"
        event = http_api_event(
            raw_query="code=1", method="POST", template=template, body=encoded, is_base64_encoded=True
        )
    elif source is REST_API:
        event = rest_api_event(raw_query="code=1", method="POST", body=encoded, is_base64_encoded=True)
    else:
        event = alb_event(
            raw_query="code=1", method="POST", multi_value=source is ALB_MULTI, body=encoded, is_base64_encoded=True
        )
    assert source.call(proxied, event).status == 201
    [request] = upstream.received
    assert request.body == BINARY
    assert request.header("Content-Length") == [str(len(BINARY))]


def test_rest_api_repeated_request_headers_are_all_forwarded(proxied, upstream):
    event = rest_api_event(
        raw_query="code=abc&state=mine",
        headers={"Host": ["api.example.com"], "X-Multi": ["a", "b"], "Cookie": ["sid=1"], "Connection": ["close"]},
    )
    assert REST_API.call(proxied, event).status == 201
    [request] = upstream.received
    assert request.target == "/company/fitbit?code=abc&state=mine"
    assert request.header("X-Multi") == ["a", "b"]
    assert request.header("Cookie") == ["sid=1"]
    assert request.header("Connection") == []
    assert request.header("Host") == [upstream.url.removeprefix("http://")]


@pytest.mark.parametrize("source", [ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_alb_request_is_replayed_with_raw_values(proxied, upstream, source: Source):
    assert source.send(proxied, raw_query="code=a%2Fb&state=company+state").status == 201
    [request] = upstream.received
    assert request.target == "/company/fitbit?code=a%2Fb&state=company+state"
    assert request.header("Cookie") == ["session=s3cr3t-session-cookie; theme=dark"]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_upstream_status_headers_and_body_come_back_unchanged(proxied, upstream, source: Source):
    result = source.send(proxied, raw_query="code=abc&state=success")
    assert result.status == 201
    assert result.header("content-type") == "text/html; charset=utf-8"
    assert result.body == b"<p>company callback</p>"
    if source is ALB_SINGLE:
        assert result.headers["x-upstream"] == ["two"]  # single-value headers: ALB's own limit
    elif source in (HTTP_API, FUNCTION_URL):
        assert result.headers["x-upstream"] == ["one, two"]  # payload 2.0 comma-joins repeated headers
    else:
        assert result.headers["x-upstream"] == ["one", "two"]


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, REST_API, ALB_MULTI], ids=lambda s: s.name)
def test_every_set_cookie_comes_back_verbatim(proxied, upstream, source: Source):
    result = source.send(proxied, "/oauth_callback/cookies", "code=abc&state=success")
    assert result.status == 201
    assert result.headers["set-cookie"] == COOKIES
    if source in (HTTP_API, FUNCTION_URL):
        assert result.raw["cookies"] == COOKIES  # payload 2.0: one Set-Cookie per list entry


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_binary_upstream_body_is_returned_base64_encoded(proxied, upstream, source: Source):
    result = source.send(proxied, "/oauth_callback/binary", "code=abc&state=success")
    assert result.status == 200
    assert result.raw["isBase64Encoded"] is True
    assert result.body == BINARY
    assert result.header("content-type") == "application/octet-stream"


def test_binary_upstream_body_through_a_rest_api_is_a_counted_502(proxied, upstream, output):
    # A REST API hands a base64 body to the browser as base64 text unless its binaryMediaTypes
    # match, which the function cannot know: see docs/LIMITS.md and test_response_limits.py.
    result = REST_API.send(proxied, "/oauth_callback/binary", "code=abc&state=success")
    assert result.status == 502
    assert result.raw["isBase64Encoded"] is False
    assert {"FallbackBodyNotText", "FallbackUpstreamError"} <= set(output().metric_names())


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_upstream_redirect_is_passed_through_not_followed(proxied, upstream, source: Source):
    result = source.send(proxied, "/oauth_callback/redirect", "code=abc&state=success")
    assert result.status == 302
    assert result.location == "https://app.example.com/after-login?ok=1"
    assert len(upstream.received) == 1


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_junction_callbacks_never_reach_the_upstream(proxied, upstream, source: Source):
    query = f"code=abc&state={mint_token()}"
    assert source.send(proxied, raw_query=query).location == f"{SANDBOX_US}/connect/fitbit?{query}"
    assert upstream.received == []


def test_provider_is_substituted_in_the_proxied_url(proxied, upstream):
    assert HTTP_API.send(proxied, "/oauth_callback/withings", "code=abc").status == 201
    assert REST_API.send(proxied, "/oauth_callback/whoop_v2", "code=abc").status == 201
    assert [request.target for request in upstream.received] == [
        "/company/withings?code=abc",
        "/company/whoop_v2?code=abc",
    ]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_upstream_slower_than_the_timeout_is_a_502(proxied, upstream, output, source: Source):
    started = time.monotonic()
    result = source.send(proxied, "/oauth_callback/slow", "code=abc&state=success")
    assert result.status == 502
    assert b"Bad Gateway" in result.body
    assert time.monotonic() - started < SLOW_SECONDS  # it gave up instead of waiting
    out = output()
    [error] = [line for line in out.logs if line["level"] == "ERROR"]
    assert error["error_type"] == "UpstreamError"
    assert "FallbackUpstreamError" in out.metric_names()


@pytest.mark.parametrize("source", [HTTP_API, REST_API], ids=["http_api", "rest_api"])
def test_upstream_trickling_its_answer_is_cut_at_the_timeout(proxied, upstream, output, source: Source):
    started = time.monotonic()
    result = source.send(proxied, "/oauth_callback/drip", "code=abc&state=success")
    assert result.status == 502
    assert time.monotonic() - started < DRIP_BYTES * TIMEOUT_SECONDS / 3  # not the whole trickle
    assert "FallbackUpstreamError" in output().metric_names()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_refused_connection_is_a_502(configure: Configure, output, source: Source):
    router = configure(
        {"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": f"http://127.0.0.1:{free_port()}/cb"}}
    )
    result = source.send(router, raw_query="code=abc&state=success")
    assert result.status == 502
    assert result.location is None
    assert "FallbackUpstreamError" in output().metric_names()


@pytest.mark.parametrize("source", [ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_replayed_request_carries_the_marker_and_a_marked_request_is_never_replayed(proxied, upstream, source):
    # The marker is what lets an ALB rule send the replayed request to the company's service
    # instead of back into the router; a request that already carries it is not proxied again.
    assert source.send(proxied, raw_query="code=1&state=eyJ.company.state").status == 201
    [request] = upstream.received
    assert request.header("X-Junction-Callback-Router") == ["fallback"]
    headers = {"x-junction-callback-router": ["fallback"], "host": ["auth.company.test"]}
    event = alb_event(raw_query="code=1&state=eyJ.company.state", multi_value=source is ALB_MULTI, headers=headers)
    result = source.call(proxied, event)
    assert result.status == 502
    assert len(upstream.received) == 1
