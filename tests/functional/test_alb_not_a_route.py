"""ALB: a request the listener rule hands to the router but that is on no route stays the company's.

``add_to_alb`` sends ``/oauth_callback/*`` with ``state=eyJ*`` to the router, and ALB's ``*`` also
spans ``/``: ``/oauth_callback/fitbit/`` or ``/oauth_callback/fitbit/extra`` with a JWT-shaped
company state reach the function although no route matches. They reached the company's service
before the router was put in front of it, so they must still (issue 14, section 5).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.conftest import Configure
from tests.functional.raw_upstream import RawUpstream, serve_raw
from tests.functional.sources import ALB_MULTI, ALB_SINGLE, HTTP_API, REST_API, Source, alb_event
from tests.support.tokens import mint_token

ALB_HOST = "lambda-alb-123578498.us-east-2.elb.amazonaws.com"
"""The Host of the ALB sample events."""
COMPANY_STATE = "eyJhbGciOiJIUzI1NiJ9.eyJjb21wYW55Ijp0cnVlfQ.c2lnbmF0dXJl"
"""A state the company issues itself: JWT-shaped, so ALB's router rule matches it."""
QUERY = f"code=c0de&state={COMPANY_STATE}"
NOT_ROUTES = ["/oauth_callback/fitbit/", "/oauth_callback/fitbit/extra", "/oauth_callback/Fitbit"]
albs = pytest.mark.parametrize("source", [ALB_MULTI, ALB_SINGLE], ids=lambda s: s.name)


@pytest.fixture
def upstream() -> Iterator[RawUpstream]:
    yield from serve_raw()


def configure_redirect(configure: Configure, url: str) -> None:
    configure({"environments": ["sandbox-us"], "fallback": {"mode": "redirect", "url": url}})


@albs
@pytest.mark.parametrize("path", NOT_ROUTES)
def test_proxy_replays_a_path_that_is_no_route_to_the_fallback_origin_with_its_own_path(
    configure: Configure, upstream: RawUpstream, source: Source, path: str
):
    # The fallback URL is this ALB's public callback (as with company_target_group): the marker
    # header makes the bypass rule hand the replay to the company's service.
    router = configure(
        {
            "environments": ["sandbox-us"],
            "fallback": {"mode": "proxy", "url": f"{upstream.url}/oauth_callback/{{provider}}"},
        }
    )
    result = source.send(router, path, QUERY)
    assert result.status == 200
    assert result.body == b"ok"
    [request] = upstream.received
    assert request.request_line == f"GET {path}?{QUERY} HTTP/1.1".encode()
    assert request.header("X-Junction-Callback-Router") == [b"fallback"]


@albs
def test_proxy_keeps_the_path_bytes_and_never_lets_the_path_leave_the_origin(
    configure: Configure, upstream: RawUpstream, source: Source
):
    router = configure({"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": f"{upstream.url}/cb"}})
    for path in ("/oauth_callback/fitbit/a%20b~c!$", "//evil.test/oauth_callback/x", "/oauth_callback/x/a b?#"):
        assert source.send(router, path, QUERY).status == 200
    assert [request.request_line.split(b" ")[1] for request in upstream.received] == [
        f"/oauth_callback/fitbit/a%20b~c!$?{QUERY}".encode(),
        f"//evil.test/oauth_callback/x?{QUERY}".encode(),  # a path on the fallback's origin
        f"/oauth_callback/x/a%20b%3F%23?{QUERY}".encode(),
    ]


TRAVERSALS = [
    "/oauth_callback/..",
    "/oauth_callback/fitbit/../../admin",
    "/oauth_callback/%2e%2E/admin",
    "/oauth_callback/./fitbit",
    "/oauth_callback/x%2F..%2Fadmin",
    "/oauth_callback/x%5C..%5Cadmin",
    "/oauth_callback/x\\..\\admin",
    "/oauth_callback/..;/admin",  # Tomcat and Jetty drop ";params" first: a dot segment there
    "/oauth_callback/x/.%2E;jsessionid=1/..;a=b/admin",
    "/oauth_callback/x/\udc80",  # not a path at all (a hand-made event): no bytes to send
]


@albs
@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("mode", ["proxy", "redirect"])
def test_a_path_that_could_leave_the_callback_prefix_is_a_404(
    configure: Configure, upstream: RawUpstream, source: Source, path: str, mode: str
):
    # The fallback URL may name a host the load balancer never exposed: only the callback
    # prefix's paths may reach it, however its server resolves dot segments and encoded slashes.
    url = f"{upstream.url}/cb/{{provider}}"
    router = configure({"environments": ["sandbox-us"], "fallback": {"mode": mode, "url": url}})
    result = source.send(router, path, QUERY)
    assert (result.status, result.location) == (404, None)
    assert upstream.received == []


@albs
@pytest.mark.parametrize("path", NOT_ROUTES)
def test_redirect_sends_a_path_that_is_no_route_to_the_fallback_origin(configure: Configure, source: Source, path: str):
    configure_redirect(configure, "https://legacy.company.test/cb/{provider}")
    from callback_router import handlers

    event = alb_event(path, QUERY, multi_value=source is ALB_MULTI, headers={"host": [ALB_HOST]})
    result = source.call(handlers, event)
    assert result.status == 307
    assert result.location == f"https://legacy.company.test{path}?{QUERY}"


@albs
def test_redirect_to_the_host_the_request_came_from_is_a_404_never_a_loop(configure: Configure, source: Source):
    # Without a marker a browser sent back to the same ALB with the same path and state would be
    # handed to the router again, and again.
    configure_redirect(configure, f"https://{ALB_HOST.upper()}/oauth_callback/{{provider}}")
    from callback_router import handlers

    for host in (ALB_HOST, f"{ALB_HOST}:443", "[not a host"):
        event = alb_event("/oauth_callback/fitbit/", QUERY, multi_value=source is ALB_MULTI, headers={"host": [host]})
        result = source.call(handlers, event)
        assert result.status == 404
        assert result.location is None
    # The route itself still redirects as configured (the loop check for routes is at synth).
    event = alb_event("/oauth_callback/fitbit", QUERY, multi_value=source is ALB_MULTI, headers={"host": [ALB_HOST]})
    assert source.call(handlers, event).location == f"https://{ALB_HOST.upper()}/oauth_callback/fitbit?{QUERY}"


@albs
def test_junction_tokens_on_a_path_that_is_no_route_are_the_company_s_too(
    configure: Configure, upstream: RawUpstream, source: Source
):
    router = configure({"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": f"{upstream.url}/cb"}})
    query = f"code=1&state={mint_token()}"
    result = source.send(router, "/oauth_callback/fitbit/extra", query)
    assert result.status == 200
    assert upstream.received[0].request_line == f"GET /oauth_callback/fitbit/extra?{query} HTTP/1.1".encode()


@pytest.mark.parametrize("source", [HTTP_API, REST_API], ids=lambda s: s.name)
def test_api_gateway_fronts_keep_their_404_for_a_path_that_is_no_route(
    configure: Configure, upstream: RawUpstream, source: Source
):
    # API Gateway invokes the router only on its own route templates: such a request never
    # reached the company's handler through this API, so nothing is taken from it.
    router = configure(
        {"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": f"{upstream.url}/cb/{{provider}}"}}
    )
    assert source.send(router, "/oauth_callback/fitbit/extra", QUERY).status == 404
    assert upstream.received == []
