"""What the company's handler behind the proxy learns: one Cookie field, and the public request.

Against a raw HTTP/1.1 server on 127.0.0.1 (``raw_upstream``) that records the exact request
bytes. Events start from the AWS sample events (``tests/events``), whose headers are what each
front really writes (API Gateway and ALB set ``X-Forwarded-For/-Proto/-Port`` themselves).
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest

from tests.functional.conftest import Configure
from tests.functional.raw_upstream import RawRequest, RawUpstream, proxy_to, serve_raw
from tests.functional.sources import (
    ALB_MULTI,
    ALB_SINGLE,
    API_SOURCES,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Source,
)

api_ids = [source.name for source in API_SOURCES]
SAMPLE_HOST = {
    HTTP_API: "id.execute-api.us-east-1.amazonaws.com",
    FUNCTION_URL: "abcdefghijklmnopqrstuvwxyz0123.lambda-url.us-west-2.on.aws",
    REST_API: "id.execute-api.us-east-1.amazonaws.com",
    ALB_SINGLE: "lambda-alb-123578498.us-east-2.elb.amazonaws.com",
    ALB_MULTI: "lambda-alb-123578498.us-east-2.elb.amazonaws.com",
}
SAMPLE_CLIENT = {
    HTTP_API: "203.0.113.10",
    FUNCTION_URL: "203.0.113.10",
    REST_API: "203.0.113.10",
    ALB_SINGLE: "72.12.164.125",
    ALB_MULTI: "72.21.198.67",
}
ROUTER_SET = ("X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-For", "Forwarded")


@pytest.fixture
def upstream() -> Iterator[RawUpstream]:
    yield from serve_raw()


def sample_event(source: Source, query: str = "code=1&state=company-state") -> dict[str, Any]:
    """The source's AWS sample event (its real front headers kept) for ``/oauth_callback/fitbit``."""
    return source.event(raw_query=query)


def set_header(source: Source, event: dict[str, Any], name: str, values: list[str]) -> None:
    """Put ``name`` into ``event`` as the source carries a header the browser sent (all values)."""
    if source in (HTTP_API, FUNCTION_URL):
        event["headers"][name.lower()] = ",".join(values)  # payload 2.0 comma-joins repeats
        return
    for key in ("multiValueHeaders", "headers"):
        headers = event.get(key)
        if isinstance(headers, dict):
            headers[name] = values if key == "multiValueHeaders" else values[-1]


def only(request: RawRequest, name: str) -> str:
    [value] = request.header(name)
    return value.decode()


def replayed(configure: Configure, upstream: RawUpstream, source: Source, event: dict[str, Any]) -> RawRequest:
    router = proxy_to(configure, upstream)
    result = source.call(router, event)
    assert result.status == 200
    [request] = upstream.received
    return request


# 1. Cookies: one field, as RFC 9113 section 8.2.3 joins HTTP/2's separate cookie fields.


def wsgi_cookies(request: RawRequest) -> dict[str, str]:
    """The cookies a Flask/werkzeug handler sees: a WSGI server joins repeated fields with ``,``
    into ``HTTP_COOKIE``, which is then parsed like ``http.cookies`` does."""
    joined = ",".join(value.decode() for value in request.header("Cookie"))
    return {name: morsel.value for name, morsel in SimpleCookie(joined).items()}


@pytest.mark.parametrize("source", [REST_API, ALB_MULTI, HTTP_API, FUNCTION_URL], ids=lambda s: s.name)
def test_separate_cookie_fields_reach_the_handler_as_one_cookie_header(
    configure: Configure, upstream: RawUpstream, source: Source
):
    event = sample_event(source)
    if source in (HTTP_API, FUNCTION_URL):
        event["cookies"] = ["oauth_state=s1", "session=abc"]
    else:  # an HTTP/2 browser's two cookie fields, as API Gateway REST and ALB hand them over
        event["multiValueHeaders"]["Cookie" if source is REST_API else "cookie"] = ["oauth_state=s1", "session=abc"]
    request = replayed(configure, upstream, source, event)
    assert request.header("Cookie") == [b"oauth_state=s1; session=abc"]
    assert wsgi_cookies(request) == {"oauth_state": "s1", "session": "abc"}


def test_cookie_fields_under_both_spellings_and_payload_2_cookies_are_joined_in_order(
    configure: Configure, upstream: RawUpstream
):
    event = sample_event(REST_API)
    event["multiValueHeaders"]["Cookie"] = ["a=1; b=2"]
    event["multiValueHeaders"]["cookie"] = ["c=3"]
    request = replayed(configure, upstream, REST_API, event)
    assert request.header("Cookie") == [b"a=1; b=2; c=3"]


def test_a_cookie_piece_http_cannot_carry_is_dropped_alone(configure: Configure, upstream: RawUpstream):
    event = sample_event(ALB_MULTI)
    event["multiValueHeaders"]["cookie"] = ["oauth_state=s1", "evil=1\r\nX-Injected: 1", "session=abc", ""]
    request = replayed(configure, upstream, ALB_MULTI, event)
    assert request.header("Cookie") == [b"oauth_state=s1; session=abc"]
    assert request.header("X-Injected") == []


# 2. The public host, scheme, port and client address, from what the front saw.


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_handler_learns_the_public_host_scheme_port_and_client(
    configure: Configure, upstream: RawUpstream, source: Source
):
    request = replayed(configure, upstream, source, sample_event(source))
    host, client = SAMPLE_HOST[source], SAMPLE_CLIENT[source]
    assert only(request, "Host") == upstream.url.removeprefix("http://")  # the fallback URL's
    assert only(request, "X-Forwarded-Host") == host
    assert only(request, "X-Forwarded-Proto") == "https"
    assert only(request, "X-Forwarded-Port") == "443"
    assert only(request, "X-Forwarded-For") == client
    assert only(request, "Forwarded") == f"for={client};host={host};proto=https"


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_forwarding_fields_the_client_sent_are_replaced_not_passed_on(
    configure: Configure, upstream: RawUpstream, source: Source
):
    event = sample_event(source)
    forged = {
        "X-Forwarded-Host": ["evil.test"],
        "Forwarded": ["for=6.6.6.6;host=evil.test;proto=http"],
        "X-Forwarded-Prefix": ["/evil"],
        "X-Forwarded-Server": ["evil.test"],
    }
    # (Every front overwrites X-Forwarded-Proto and -Port with its own: a client's never arrives.)
    for name, values in forged.items():
        set_header(source, event, name, values)
    # API Gateway and ALB append the address they saw to what the client sent.
    set_header(source, event, "X-Forwarded-For", [f"6.6.6.6, {SAMPLE_CLIENT[source]}"])
    request = replayed(configure, upstream, source, event)
    assert b"evil" not in request.head and b"6.6.6.6" not in request.head
    assert request.header("X-Forwarded-Prefix") == request.header("X-Forwarded-Server") == []
    for name in ROUTER_SET:
        assert len(request.header(name)) == 1, name
    assert only(request, "X-Forwarded-Host") == SAMPLE_HOST[source]
    assert only(request, "X-Forwarded-Proto") == "https"
    assert only(request, "X-Forwarded-For") == SAMPLE_CLIENT[source]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_the_scheme_and_port_are_the_ones_the_front_served(configure: Configure, upstream: RawUpstream, source: Source):
    # A front on plain HTTP (make run's local gateway, sam local) says so: the company's handler
    # must not build an https redirect_uri the browser never used. One that says nothing
    # (an API Gateway private endpoint) served https, or (ALB) nothing is claimed.
    event = sample_event(source)
    set_header(source, event, "X-Forwarded-Proto", ["http"])
    set_header(source, event, "X-Forwarded-Port", ["3000"])
    request = replayed(configure, upstream, source, event)
    assert (only(request, "X-Forwarded-Proto"), only(request, "X-Forwarded-Port")) == ("http", "3000")
    assert only(request, "Forwarded").endswith(";proto=http")
    for name in ("X-Forwarded-Proto", "X-Forwarded-Port"):
        set_header(source, event, name, ["gopher"])
    upstream.received.clear()
    request = replayed(configure, upstream, source, event)
    if source in (ALB_SINGLE, ALB_MULTI):
        assert request.header("X-Forwarded-Proto") == request.header("X-Forwarded-Port") == []
    else:
        assert (only(request, "X-Forwarded-Proto"), only(request, "X-Forwarded-Port")) == ("https", "443")


def test_http_api_custom_domain_is_the_forwarded_host(configure: Configure, upstream: RawUpstream):
    # Behind a custom domain the Host header is that domain (requestContext.domainName too);
    # the handler must build redirect_uri from it, not from the execute-api host.
    event = sample_event(HTTP_API)
    event["headers"]["host"] = "auth.company.test"
    event["requestContext"]["domainName"] = "auth.company.test"
    request = replayed(configure, upstream, HTTP_API, event)
    assert only(request, "X-Forwarded-Host") == "auth.company.test"
    assert only(request, "Forwarded") == "for=203.0.113.10;host=auth.company.test;proto=https"


def test_ipv6_client_and_a_host_with_a_port_are_quoted_in_forwarded(configure: Configure, upstream: RawUpstream):
    event = sample_event(ALB_MULTI)
    headers = event["multiValueHeaders"]
    headers["host"] = ["alb.company.test:8080"]
    headers["x-forwarded-for"] = ["2001:db8::1"]
    headers["x-forwarded-proto"] = ["http"]
    headers["x-forwarded-port"] = ["8080"]
    request = replayed(configure, upstream, ALB_MULTI, event)
    assert only(request, "X-Forwarded-For") == "2001:db8::1"
    assert only(request, "X-Forwarded-Host") == "alb.company.test:8080"
    assert only(request, "X-Forwarded-Proto") == "http"
    assert only(request, "X-Forwarded-Port") == "8080"
    assert only(request, "Forwarded") == 'for="[2001:db8::1]";host="alb.company.test:8080";proto=http'
    rest = sample_event(REST_API)
    rest["requestContext"]["identity"]["sourceIp"] = "2001:db8::2"
    upstream.received.clear()
    request = replayed(configure, upstream, REST_API, rest)
    assert only(request, "Forwarded").startswith('for="[2001:db8::2]";')


HOSTILE_HOSTS = {
    "crlf": "auth.company.test\r\nX-Injected: 1",
    "long": "a" * 300 + ".test",
    "non-ascii": "\u0430uth.company.test",  # a Cyrillic a
    "userinfo": "evil.test@auth.company.test",
    "path": "auth.company.test/evil",
    "quote": 'auth.company.test";for=1.2.3.4',
}


@pytest.mark.parametrize("host", HOSTILE_HOSTS.values(), ids=HOSTILE_HOSTS.keys())
@pytest.mark.parametrize("source", [HTTP_API, REST_API, ALB_MULTI], ids=lambda s: s.name)
def test_hostile_host_is_never_forwarded(configure: Configure, upstream: RawUpstream, source: Source, host: str):
    event = sample_event(source)
    set_header(source, event, "Host", [host])
    request = replayed(configure, upstream, source, event)
    assert request.header("X-Injected") == []
    sent = request.header("X-Forwarded-Host")
    if source is ALB_MULTI:  # no requestContext.domainName to fall back on
        assert sent == []
        assert only(request, "Forwarded") == f"for={SAMPLE_CLIENT[source]};proto=https"
    else:
        assert sent == [SAMPLE_HOST[source].encode()]
    assert host.encode("utf-8") not in request.head


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_missing_or_malformed_request_context_never_crashes_the_replay(
    configure: Configure, upstream: RawUpstream, source: Source
):
    event = sample_event(source)
    if source in (HTTP_API, FUNCTION_URL):  # Powertools needs requestContext.http to route at all
        event["requestContext"]["http"]["sourceIp"] = ["1.2.3.4"]
        event["requestContext"]["domainName"] = 7
    else:
        event["requestContext"] = {"identity": "not a dict", "http": {"sourceIp": ["1.2.3.4"]}, "domainName": 7}
    set_header(source, event, "X-Forwarded-For", ["not-an-ip"])
    set_header(source, event, "X-Forwarded-Port", ["9" * 5000])
    set_header(source, event, "Host", ["\u0000"])
    request = replayed(configure, upstream, source, event)
    assert request.header("X-Forwarded-For") == request.header("X-Forwarded-Host") == []
    assert only(request, "X-Forwarded-Port") == "443"
    assert only(request, "Forwarded") == "proto=https"
