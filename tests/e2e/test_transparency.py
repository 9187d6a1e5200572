"""The company's own logins pass through the router untouched: shown in headless Chromium.

A real company login app (``tests/e2e/company_app.py``: state cookie, session cookie, a
``redirect_uri`` built from the request's host and scheme) sits behind each front of the local
gateway. The same login (``/login`` -> provider consent -> callback) runs twice in a fresh browser
context: once **without the router** (``gateway.without_router``: the company's service on the
public host, CloudFront with no viewer-request function (Lambda@Edge or CloudFront Function), the
ALB's default action), once
**with it**. The browser and the company's callback handler must see the same thing both times:
status, ``Location``, every ``Set-Cookie``, the cookie jar after the flow, the cookies the
handler parsed, the host and scheme it derived, and its verdict ("signed in").

The company signs its states as JWTs (``aud`` its own), so the router reads each one on every
front, the ALB's ``state=eyJ*`` rule included. The callback arrives as a ``GET`` (the browser
follows the provider's redirect), a ``HEAD`` (sent with the context's request API, which shares
the browser's cookie jar) and a ``POST`` (``response_mode=form_post``: the provider's page submits
a form). On the ALB a form_post callback carries no query state, so the listener never sends it
to the router: that case shows the ALB's rules leave it alone.

Fallback kinds are a parameter of the deployment: ``proxy`` (the company as an HTTP service) and
``invoke`` (the company as a Lambda function: ``lambda_handler_for(app)`` on the local Lambda Invoke
API, which the router's invoke reaches through ``AWS_ENDPOINT_URL_LAMBDA``; without the router, the
HTTP API and ALB fronts invoke it themselves with the event they build, the ALB's with multi-value
headers on). CloudFront has no fallback: its ``invoke`` cases would repeat the ``proxy`` ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Browser, BrowserContext, Cookie, Page, Response, Route

from callback_router_app.stages import Stage, parse_stage
from tests.e2e.company_app import CompanyApp, CompanyService, Seen, lambda_handler_for
from tests.e2e.conftest import LOCAL_JUNCTION
from tests.e2e.standins import ProviderStandIn, StandInServer
from tools.local_gateway import LocalGateway, start_gateway

pytestmark = pytest.mark.e2e

FRONTS = ["http_api", "edge", "cloudfront_function", "alb"]
METHODS = ["GET", "HEAD", "POST"]
CALLBACK = "/oauth_callback/"
INVOKE_FALLBACK = {
    "mode": "invoke",
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:company-callback",
    "timeout_seconds": 5,
}
"""The router's fallback when the company's callback is a Lambda function (``Fallback.invoke``)."""
FALLBACKS = ["proxy", "invoke"]


def transparency_stage(junction_url: str, fallback: str) -> Stage:
    """A stage whose fallback reaches the company app: a proxy to its service, or an invoke of its function."""
    return parse_stage(
        "transparency",
        {
            "description": "End-to-end transparency: the company's own logins behind the router.",
            "shape": "http_api",
            "environments": ["sandbox-us"],
            "extra_environments": {LOCAL_JUNCTION: f"{junction_url}/v2/link"},
            "routes": [{"path": "/oauth_callback/{provider}"}],
            "fallback": (
                INVOKE_FALLBACK
                if fallback == "invoke"
                else {"mode": "proxy", "url": "https://auth.example.com/oauth_callback/{provider}"}
            ),
        },
    )


@dataclass
class Deployment:
    """The company app behind the local gateway, with one kind of fallback."""

    app: CompanyApp
    gateway: LocalGateway
    fallback: str

    def front_url(self, front: str) -> str:
        """The public address the browser uses for ``front``."""
        gateway = self.gateway
        urls = {"http_api": gateway.http_api_url, "edge": gateway.edge_url, "alb": gateway.alb_url}
        return {**urls, "cloudfront_function": gateway.cff_url}[front]


@pytest.fixture(scope="module", params=FALLBACKS)
def deployment(
    request: pytest.FixtureRequest, junction: StandInServer, provider: ProviderStandIn
) -> Iterator[Deployment]:
    app = CompanyApp(f"{provider.url}/oauth/authorize")
    # With "invoke", the gateway serves lambda_handler_for(app) on its local Lambda Invoke API under
    # the fallback's ARN, and the HTTP API and ALB fronts invoke it for the company's other routes
    # and for the without-router baseline. CloudFront's origin stays the HTTP service either way.
    gateway = start_gateway(
        transparency_stage(junction.url, request.param),
        log_level="ERROR",
        emf=False,
        company_service=CompanyService(app),
        company_function=lambda_handler_for(app) if request.param == "invoke" else None,
    )
    try:
        yield Deployment(app, gateway, request.param)
    finally:
        gateway.stop()


@dataclass(frozen=True)
class Observed:
    """What one run of the login showed: to the browser, and to the company's callback handler."""

    status: int
    location: str | None
    set_cookies: tuple[str, ...]
    jar: tuple[tuple[Any, ...], ...]
    """The browser's cookies after the flow: name, value, domain, path, expiry, flags."""
    handler_saw: tuple[Seen, ...]


def _headers(response: Response | APIResponse) -> tuple[str | None, tuple[str, ...]]:
    # The page's response has headers_array() (a method), the request API's a property of that name.
    pairs = response.headers_array if isinstance(response, APIResponse) else response.headers_array()
    location = next((item["value"] for item in pairs if item["name"].lower() == "location"), None)
    # Chromium may hand several Set-Cookie fields over as one value joined by newlines.
    cookies = [line for item in pairs if item["name"].lower() == "set-cookie" for line in item["value"].split("\n")]
    return location, tuple(cookies)


def _callback_by_browser(page: Page, login: str) -> Response:
    """Log in; the browser follows the provider's redirect (GET) or submits its form (POST)."""
    page.goto(login)
    assert page.title() == "Provider consent"
    with page.expect_response(lambda response: CALLBACK in response.url) as callback:
        page.click("#allow")
    page.wait_for_load_state("load")
    return callback.value


def _callback_by_head(page: Page, login: str, context: BrowserContext) -> APIResponse:
    """Log in, stop the browser at the provider's redirect, and send the callback as HEAD with its cookies."""
    callbacks: list[str] = []

    def hold(route: Route) -> None:
        # Playwright routes no redirected request, so the consent's answer is taken here: its
        # Location is the callback the browser would GET; the page gets a 204 and stays put.
        answer = route.fetch(max_redirects=0)
        callbacks.append(answer.headers["location"])
        route.fulfill(status=204)

    page.route(lambda url: url.endswith("/oauth/consent"), hold)
    page.goto(login)
    assert page.title() == "Provider consent"
    with page.expect_response(lambda response: response.url.endswith("/oauth/consent")):
        page.click("#allow")
    assert len(callbacks) == 1 and CALLBACK in callbacks[0], callbacks
    return context.request.head(callbacks[0], max_redirects=0)


def _jar_entry(cookie: Cookie) -> tuple[Any, ...]:
    # Chromium moves an Expires by the server's clock skew (its Date header, to the second), so the
    # jar holds the expiry to the hour here; the exact attribute is compared in the Set-Cookie lines.
    expires = round(cookie["expires"] / 3600) if cookie["expires"] > 0 else -1
    return (
        cookie["name"],
        cookie["value"],
        cookie["domain"],
        cookie["path"],
        expires,
        cookie["httpOnly"],
        cookie["secure"],
        cookie["sameSite"],
    )


def run_login(browser: Browser, deployment: Deployment, front: str, method: str) -> Observed:
    """One company login through ``front`` in a fresh browser context, from a freshly started app."""
    deployment.app.restart()
    base = deployment.front_url(front)
    login = f"{base}/login?provider=fitbit" + ("&response_mode=form_post" if method == "POST" else "")
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        response: Response | APIResponse
        if method == "HEAD":
            response = _callback_by_head(page, login, context)
        else:
            response = _callback_by_browser(page, login)
            assert response.request.method == method
        location, set_cookies = _headers(response)
        jar = tuple(sorted(_jar_entry(cookie) for cookie in context.cookies()))  # every path: one is on /home
        return Observed(response.status, location, set_cookies, jar, tuple(deployment.app.seen))
    finally:
        context.close()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("front", FRONTS)
def test_company_login_sees_the_same_with_the_router_as_without(browser, deployment, front, method):
    if deployment.fallback == "invoke" and front in ("edge", "cloudfront_function"):
        pytest.skip("CloudFront has no fallback: the viewer-request function returns the request to the origin")
    gateway = deployment.gateway
    service = gateway.lambda_service
    invoked = len(service.invocations) if service is not None else 0
    before = gateway.invocations[front]
    gateway.without_router = True
    try:
        without = run_login(browser, deployment, front, method)
    finally:
        gateway.without_router = False
    # The baseline is a working login: a wrong harness cannot pass by failing the same way twice.
    assert [seen.outcome for seen in without.handler_saw] == ["signed in"], without.handler_saw
    assert (without.status, without.location) == (302, f"{deployment.front_url(front)}/home")
    assert len(without.set_cookies) == 3
    assert [cookie[0] for cookie in without.jar] == ["company_legacy", "company_provider", "company_session"]
    assert gateway.invocations[front] == before  # nothing reached the router

    with_router = run_login(browser, deployment, front, method)

    # The router was really in front of the callback (except on the ALB for form_post: no query
    # state, so the listener's rule never sends it to the router; the company gets it directly).
    assert (gateway.invocations[front] > before) == (front != "alb" or method != "POST")
    if service is not None:  # the callback went through Fallback.invoke, once, whenever the router had it
        assert len(service.invocations) - invoked == (gateway.invocations[front] - before)
    # Field by field, the handler's view first: it says why the browser's view differs, if it does.
    assert [(seen.host, seen.scheme, seen.outcome) for seen in with_router.handler_saw] == [
        (seen.host, seen.scheme, seen.outcome) for seen in without.handler_saw
    ]
    assert [seen.cookies for seen in with_router.handler_saw] == [seen.cookies for seen in without.handler_saw]
    assert with_router.handler_saw == without.handler_saw
    assert (with_router.status, with_router.location) == (without.status, without.location)
    assert with_router.set_cookies == without.set_cookies
    assert with_router.jar == without.jar
