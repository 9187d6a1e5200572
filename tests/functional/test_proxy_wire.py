"""The proxy fallback on the wire: one deadline, header bytes both ways, a body left alone.

Against a raw HTTP/1.1 server on 127.0.0.1 (``raw_upstream``) that sees and sends exact bytes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from callback_router.core.texts import MALFORMED_EVENT_TEXT
from tests.functional.conftest import Configure
from tests.functional.raw_upstream import RawUpstream, answer_bytes, proxy_to, serve_raw
from tests.functional.sources import (
    ALB_MULTI,
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

api_ids = [source.name for source in API_SOURCES]
DEADLINE = 1.0
"""The fallback's ``timeout_seconds`` in the deadline tests."""
MARGIN = 1.0
"""What the 502 may take beyond the deadline: thread scheduling on a loaded 2-core machine."""
TRICKLE = 0.4
"""Seconds between bytes: each recv is well within the socket timeout, the whole far beyond it."""


@pytest.fixture
def upstream() -> Iterator[RawUpstream]:
    yield from serve_raw()


def event_for(
    source: Source,
    raw_query: str = "code=1&state=mine",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    cookie: str | None = None,
    body: str | None = None,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """An event of ``source`` carrying these headers (and the cookie the way the source does)."""
    headers = dict(headers or {})
    if source in (HTTP_API, FUNCTION_URL):
        template = "function_url" if source is FUNCTION_URL else "http_api_v2"
        return http_api_event(
            raw_query=raw_query,
            method=method,
            template=template,
            headers=headers,
            cookies=[cookie] if cookie else None,
            body=body,
            is_base64_encoded=is_base64_encoded,
        )
    if cookie:
        headers["Cookie"] = cookie
    multi = {name: [value] for name, value in headers.items()}
    if source is REST_API:
        return rest_api_event(
            raw_query=raw_query, method=method, headers=multi, body=body, is_base64_encoded=is_base64_encoded
        )
    return alb_event(
        raw_query=raw_query,
        method=method,
        multi_value=source is ALB_MULTI,
        headers=multi,
        body=body or "",
        is_base64_encoded=is_base64_encoded,
    )


# 1. One deadline for connect, status line, headers and body.

SLOW_ANSWER = answer_bytes(headers=[("X-Padding", b"p" * 40)], body=b"<p>late</p>")
STATUS_LINE = len(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.parametrize(
    ("source", "at_once"),
    [
        (HTTP_API, 0),  # the status line itself trickles
        (HTTP_API, STATUS_LINE),  # the status line at once, then the headers trickle
        (REST_API, STATUS_LINE),
        (ALB_MULTI, 0),
    ],
    ids=["http_api-status-line", "http_api-headers", "rest_api-headers", "alb_multi-status-line"],
)
def test_trickled_status_line_or_headers_get_the_502_and_metric_by_the_deadline(
    configure: Configure, upstream: RawUpstream, output, source: Source, at_once: int
):
    router = proxy_to(configure, upstream, timeout=DEADLINE)
    upstream.answer, upstream.trickle, upstream.at_once = (lambda _: SLOW_ANSWER), TRICKLE, at_once
    started = time.monotonic()
    result = source.call(router, event_for(source))
    elapsed = time.monotonic() - started
    assert result.status == 502
    assert elapsed < DEADLINE + MARGIN, f"502 after {elapsed:.1f} s with a {DEADLINE} s deadline"
    assert len(upstream.received) == 1  # it did reach the upstream: the deadline covered the wait
    out = output()
    assert "FallbackUpstreamError" in out.metric_names()
    [error] = [line for line in out.logs if line["level"] == "ERROR"]
    assert error["error_type"] == "UpstreamError"


def test_trickled_tls_handshake_is_cut_at_the_deadline(configure: Configure, upstream: RawUpstream, output):
    # A TLS record header announcing 16 KB, then its bytes one at a time: OpenSSL waits for the
    # whole record, each recv well within the socket timeout.
    upstream.read_request, upstream.trickle, upstream.at_once = False, TRICKLE, 5
    upstream.answer = lambda _: b"\x16\x03\x03\x40\x00" + b"\x02" * 200
    router = configure(
        {
            "environments": ["sandbox-us"],
            "fallback": {
                "mode": "proxy",
                "url": upstream.url.replace("http://", "https://") + "/company/{provider}",
                "timeout_seconds": DEADLINE,
            },
        }
    )
    started = time.monotonic()
    result = HTTP_API.call(router, event_for(HTTP_API))
    assert result.status == 502
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert "FallbackUpstreamError" in output().metric_names()


def test_body_cut_by_the_deadline_is_a_502_not_a_short_200(configure: Configure, upstream: RawUpstream, output):
    # Without Content-Length the body ends when the connection does: the deadline's cut must not
    # pass for the end of a (truncated) answer.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
    upstream.answer = lambda _: head + b"<p>" + b"x" * 40 + b"</p>"
    upstream.trickle, upstream.at_once = TRICKLE, len(head) + 3
    router = proxy_to(configure, upstream, timeout=DEADLINE)
    started = time.monotonic()
    result = HTTP_API.call(router, event_for(HTTP_API))
    assert result.status == 502
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert "FallbackUpstreamError" in output().metric_names()


# 3. Request header bytes.

UNICODE_VALUE = "Zoë — 東京 🙂"


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_non_latin1_cookie_and_header_reach_the_upstream_as_the_browser_sent_them(
    configure: Configure, upstream: RawUpstream, source: Source
):
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source, headers={"X-Display-Name": UNICODE_VALUE}, cookie="pref=€"))
    assert result.status == 200
    assert result.body == b"ok"
    [request] = upstream.received
    assert request.header("Cookie") == ["pref=€".encode()]
    assert request.header("X-Display-Name") == [UNICODE_VALUE.encode()]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_header_fields_http_cannot_carry_are_dropped_never_injected(
    configure: Configure, upstream: RawUpstream, source: Source
):
    hostile = {
        "X-Split": "a\r\nX-Injected: 1",
        "X-Lf": "a\nX-Injected: 2",
        "X-Nul": "a\x00b",
        "X-Lone-Surrogate": "\udc80",
        "Bad Name": "x",
        "X-Ok": "fine",
    }
    router = proxy_to(configure, upstream)
    assert source.call(router, event_for(source, headers=hostile)).status == 200
    [request] = upstream.received
    assert request.header("X-Ok") == [b"fine"]
    assert request.header("X-Injected") == []
    for name in ("X-Split", "X-Lf", "X-Nul", "X-Lone-Surrogate", "Bad Name"):
        assert request.header(name) == []
    assert b"\x00" not in request.head


# 4. Response header bytes and hop-by-hop fields.

UPSTREAM_HEADERS = [
    ("Content-Type", b"text/plain; charset=utf-8"),
    ("X-Name", "café 東京".encode()),
    ("X-Latin1", b"caf\xe9"),
    ("Connection", b"X-Hop-Secret, Keep-Alive"),
    ("X-Hop-Secret", b"for this connection only"),
    ("Keep-Alive", b"timeout=5"),
    ("Proxy-Authenticate", b"Basic"),
    ("X-Folded", b"first\r\n  second"),
    ("Set-Cookie", "name=Zoë; Path=/".encode()),
]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_upstream_header_bytes_are_kept_and_hop_by_hop_fields_dropped(
    configure: Configure, upstream: RawUpstream, source: Source
):
    upstream.answer = lambda _: answer_bytes(headers=UPSTREAM_HEADERS, body=b"ok")
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 200
    assert result.headers["x-name"] == ["café 東京"]
    assert result.headers["x-folded"] == ["first second"]  # RFC 9112: an obs-fold becomes a space
    assert result.headers["x-latin1"] == ["café"]  # not UTF-8: no front can keep those bytes
    assert result.headers["set-cookie"] == ["name=Zoë; Path=/"]
    for name in ("connection", "x-hop-secret", "keep-alive", "proxy-authenticate", "content-length"):
        assert name not in result.headers
    assert not any("\r" in value or "\n" in value for value in result.all_header_values())


# 9. The body is touched only when it is proxied.

NOT_BASE64 = "Hello from Lambda!"
"""The body of Powertools' ``apiGatewayProxyEvent_noVersionAuth.json`` sample, which claims
``isBase64Encoded: true``."""


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
@pytest.mark.parametrize(("mode", "status"), [("reject", 404), ("redirect", 307)])
def test_body_that_is_not_base64_is_left_alone_in_reject_and_redirect_modes(
    configure: Configure, output, source: Source, mode: str, status: int
):
    fallback: dict[str, str] = {"mode": mode}
    if mode == "redirect":
        fallback["url"] = "https://auth.company.test/cb/{provider}"
    router = configure({"environments": ["sandbox-us"], "fallback": fallback})
    for method in ("GET", "POST"):
        event = event_for(source, "code=1", method=method, body=NOT_BASE64, is_base64_encoded=True)
        result = source.call(router, event)
        assert result.status == status
        if mode == "redirect":
            assert result.location == "https://auth.company.test/cb/fitbit?code=1"
    assert "RouterError" not in output().metric_names()


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_junction_callback_with_a_body_that_is_not_base64_is_still_redirected(
    configure: Configure, upstream: RawUpstream, source: Source
):
    router = proxy_to(configure, upstream)
    query = f"code=1&state={mint_token()}"
    result = source.call(router, event_for(source, query, body=NOT_BASE64, is_base64_encoded=True))
    assert result.location == f"{SANDBOX_US}/connect/fitbit?{query}"
    assert upstream.received == []


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_proxied_body_that_is_not_base64_is_a_400_and_never_reaches_the_upstream(
    configure: Configure, upstream: RawUpstream, output, source: Source
):
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source, method="POST", body=NOT_BASE64, is_base64_encoded=True))
    assert result.status == 400
    assert result.body == MALFORMED_EVENT_TEXT.encode()
    assert upstream.received == []
    assert "RouterError" in output().metric_names()


def received_bodies(upstream: RawUpstream) -> list[bytes]:
    return [request.body for request in upstream.received]


def test_valid_base64_body_is_still_replayed_as_bytes(configure: Configure, upstream: RawUpstream):
    router = proxy_to(configure, upstream)
    event = event_for(REST_API, method="POST", body="AAEC/w==", is_base64_encoded=True)
    assert REST_API.call(router, event).status == 200
    assert received_bodies(upstream) == [b"\x00\x01\x02\xff"]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
@pytest.mark.parametrize("mode", ["reject", "proxy"])
def test_header_values_that_are_not_text_are_ignored(configure: Configure, upstream: RawUpstream, source, mode):
    # A hand-made event (console test, another service) can hold anything where text belongs.
    fallback = {"mode": "reject"} if mode == "reject" else {"mode": "proxy", "url": f"{upstream.url}/c/{{provider}}"}
    router = configure({"environments": ["sandbox-us"], "fallback": fallback})
    event = event_for(source, headers={"X-Ok": "fine"}, cookie="a=b")
    for key in ("headers", "multiValueHeaders"):
        # Powertools itself reads payload 2.0 header values as text (a clear 400 otherwise).
        if isinstance(event.get(key), dict) and source not in (HTTP_API, FUNCTION_URL):
            event[key]["X-None"] = None if key == "headers" else [None, 5]
            event[key]["X-Number"] = 5 if key == "headers" else [{"nested": True}]
    if "cookies" in event:
        event["cookies"] = [None, "a=b", 7]
    result = source.call(router, event)
    assert result.status == (404 if mode == "reject" else 200)
    if mode == "proxy":
        [request] = upstream.received
        assert request.header("X-Ok") == [b"fine"]
        assert request.header("Cookie") == [b"a=b"]
        assert request.header("X-None") == request.header("X-Number") == []


# 10. Interim answers and framing (RFC 9110 section 15.2; RFC 9112 sections 6.3 and 8).

EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload; as=style\r\n\r\n"
FINAL_REDIRECT = answer_bytes(
    "302 Found",
    [("Location", b"https://app.example.com/after-login?ok=1"), ("Set-Cookie", b"sid=abc; Path=/; HttpOnly")],
)


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_interim_103_answers_are_skipped_and_the_final_redirect_and_cookie_returned(
    configure: Configure, upstream: RawUpstream, source: Source
):
    upstream.answer = lambda _: EARLY_HINTS + b"HTTP/1.1 103 Early Hints\r\nLink: </app.js>\r\n\r\n" + FINAL_REDIRECT
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 302
    assert result.location == "https://app.example.com/after-login?ok=1"
    assert result.headers["set-cookie"] == ["sid=abc; Path=/; HttpOnly"]
    assert "link" not in result.headers  # the hints belonged to the interim answers


def test_interim_100_and_102_are_skipped_too(configure: Configure, upstream: RawUpstream):
    upstream.answer = lambda _: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + FINAL_REDIRECT
    router = proxy_to(configure, upstream)
    result = HTTP_API.call(router, event_for(HTTP_API))
    assert (result.status, result.location) == (302, "https://app.example.com/after-login?ok=1")


HEAD_200 = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
BAD_FRAMING = {
    "101-switching-protocols": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    + answer_bytes(body=b"<p>after the switch</p>"),
    "content-length-not-reached": HEAD_200 + b"Content-Length: 100\r\n\r\n" + b"<p>" + b"x" * 17,
    "two-content-lengths": HEAD_200 + b"Content-Length: 5\r\nContent-Length: 20\r\n\r\n" + b"x" * 20,
    "content-length-list-differs": HEAD_200 + b"Content-Length: 5, 20\r\n\r\n" + b"x" * 20,
    "content-length-not-digits": HEAD_200 + b"Content-Length: 2x\r\n\r\n" + b"x" * 20,
    "content-length-negative": HEAD_200 + b"Content-Length: -1\r\n\r\n" + b"x" * 20,
    "chunk-cut-short": HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n14\r\n" + b"x" * 10,
    "no-last-chunk": HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n5\r\nxxxxx\r\n",
    "chunk-size-not-hex": HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxxxxx\r\n0\r\n\r\n",
    "transfer-encoding-and-content-length": HEAD_200
    + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nxxxxx\r\n0\r\n\r\n",
    "no-status-line": b"<html>not http</html>",
}


@pytest.mark.parametrize("answer", BAD_FRAMING.values(), ids=BAD_FRAMING.keys())
@pytest.mark.parametrize("source", [HTTP_API, REST_API, ALB_MULTI], ids=lambda s: s.name)
def test_badly_framed_answer_is_a_counted_502_never_a_partial_answer(
    configure: Configure, upstream: RawUpstream, output, source: Source, answer: bytes
):
    upstream.answer = lambda _: answer
    router = proxy_to(configure, upstream)
    result = source.call(router, event_for(source))
    assert result.status == 502
    assert b"x" * 5 not in result.body and b"after the switch" not in result.body
    out = output()
    assert "FallbackUpstreamError" in out.metric_names()
    [error] = [line for line in out.logs if line["level"] == "ERROR"]
    assert error["error_type"] == "UpstreamError"


WELL_FRAMED = {
    "chunked": (HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
    "same-content-length-twice": (HEAD_200 + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
    "until-close": (HEAD_200 + b"\r\nhello", b"hello"),
    "http-1.0": (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\nhello", b"hello"),
}


@pytest.mark.parametrize(("answer", "body"), WELL_FRAMED.values(), ids=WELL_FRAMED.keys())
def test_well_framed_answers_still_come_back_whole(configure: Configure, upstream: RawUpstream, answer, body):
    upstream.answer = lambda _: answer
    router = proxy_to(configure, upstream)
    result = HTTP_API.call(router, event_for(HTTP_API))
    assert (result.status, result.body) == (200, body)


def test_head_answer_with_a_content_length_and_no_body_is_whole(configure: Configure, upstream: RawUpstream):
    upstream.answer = lambda _: HEAD_200 + b"Content-Length: 1234\r\n\r\n"
    router = proxy_to(configure, upstream)
    result = REST_API.call(router, event_for(REST_API, method="HEAD"))
    assert (result.status, result.body) == (200, b"")
    assert upstream.received[0].request_line.startswith(b"HEAD /company/fitbit?")
