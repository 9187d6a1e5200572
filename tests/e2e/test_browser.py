"""The whole OAuth dance in headless Chromium, on loopback, through the real handlers.

consent page (provider stand-in) -> click Allow/Deny -> provider's 303/302 to the callback with
``#_=_`` -> local gateway (HTTP API, CloudFront with Lambda@Edge, CloudFront with the CloudFront
Function, or ALB front) -> the real handler (the CloudFront Function: the generated code, in Node) -> 307 ->
Junction stand-in ``/v2/link/connect/{provider}``; or, for the company's own flow and for tokens
of an environment the stage does not accept, the company's callback stand-in. On the ALB front
the company's own flow (no JWT-shaped state) never reaches the function, and a foreign token
goes function -> proxy fallback back into the ALB -> bypass rule -> the company, once.
"""

from __future__ import annotations

import itertools
import os

import pytest
from playwright.sync_api import Page

from tests.e2e.standins import Flow, ProviderStandIn
from tools.local_gateway import LocalGateway, RecordedRequest, mint_link_token

pytestmark = pytest.mark.e2e

FRONTS = ["http_api", "edge", "cloudfront_function", "alb"]
PRODUCTION_US = "https://api.tryvital.io/v2/link"
# Provider query values that need care: '+', '%2F', '%20', '=' inside a value, '~', an empty
# value, repeated keys. All are URI characters, so they must arrive byte for byte.
CAREFUL = "scope=activity+heartrate%20sleep&redirect=a%2Fb%2Fc&next=x=y=z&tilde=~t~&empty=&scope=profile"
_codes = itertools.count(1)


def front_url(gateway: LocalGateway, front: str) -> str:
    urls = {"http_api": gateway.http_api_url, "edge": gateway.edge_url, "alb": gateway.alb_url}
    return {**urls, "cloudfront_function": gateway.cff_url}[front]


def unique_code() -> str:
    return f"auth-code-{os.getpid()}-{next(_codes)}"


def only(received: list[RecordedRequest], code: str) -> RecordedRequest:
    matches = [request for request in received if f"code={code}&" in request.target or request.target.endswith(code)]
    assert len(matches) == 1, [request.target for request in received]
    return matches[0]


def dance(page: Page, provider: ProviderStandIn, flow: Flow, button: str, lands_on: str) -> None:
    """Open the consent page, press a button, wait for the browser to land on ``lands_on``."""
    page.goto(provider.register(flow))
    assert page.title() == "Provider consent"
    with page.expect_navigation(url=lambda url: url.startswith(lands_on)):
        page.click(button)
    page.wait_for_load_state("load")


@pytest.mark.parametrize("front", FRONTS)
def test_allow_reaches_junction_with_the_query_byte_for_byte(front, gateway, junction, provider, context):
    token = mint_link_token(f"{junction.url}/v2/link")
    code = unique_code()
    query = f"code={code}&{CAREFUL}&state={token}"
    callback = f"{front_url(gateway, front)}/oauth_callback/fitbit"
    page = context.new_page()
    target = f"{junction.url}/v2/link/connect/fitbit"
    dance(page, provider, Flow(callback, query, "error=access_denied"), "#allow", target)

    if front == "alb":
        # An ALB event holds the query as {key: [values]}: the two `scope` pairs, which CAREFUL
        # interleaves with other keys, come out next to each other. Every byte of every value stays.
        query = (
            f"code={code}&scope=activity+heartrate%20sleep&scope=profile&redirect=a%2Fb%2Fc&next=x=y=z"
            f"&tilde=~t~&empty=&state={token}"
        )
    assert page.url == f"{target}?{query}#_=_"  # the browser kept Fitbit's fragment across the 307
    assert page.text_content("h1") == "Junction stand-in"
    received = only(junction.received(), code)
    assert received.method == "GET"
    assert received.target == f"/v2/link/connect/fitbit?{query}"
    assert not [request for request in gateway.company.received() if code in request.target]


@pytest.mark.parametrize("front", FRONTS)
def test_fixed_route_reaches_junction(front, gateway, junction, provider, context):
    token = mint_link_token(f"{junction.url}/v2/link")
    code = unique_code()
    query = f"state={token}&code={code}&scope=activity%3Aread_all,profile%3Aread_all"
    callback = f"{front_url(gateway, front)}/auth/strava/callback"
    page = context.new_page()
    target = f"{junction.url}/v2/link/connect/strava"
    dance(page, provider, Flow(callback, query, "error=access_denied", fragment=""), "#allow", target)

    assert page.url == f"{target}?{query}"
    received = only(junction.received(), code)
    assert (received.method, received.target) == ("GET", f"/v2/link/connect/strava?{query}")


@pytest.mark.parametrize("front", FRONTS)
def test_denial_reaches_junction(front, gateway, junction, provider, context):
    token = mint_link_token(f"{junction.url}/v2/link")
    code = unique_code()  # carried in error_description so the record can be found
    deny = f"error=access_denied&error_description=The+user+denied%20access+{code}&state={token}"
    callback = f"{front_url(gateway, front)}/oauth_callback/oura"
    page = context.new_page()
    target = f"{junction.url}/v2/link/connect/oura"
    dance(page, provider, Flow(callback, f"code={code}&state={token}", deny, fragment=""), "#deny", target)

    assert page.url == f"{target}?{deny}"
    matches = [request for request in junction.received() if code in request.target]
    assert [(request.method, request.target) for request in matches] == [("GET", f"/v2/link/connect/oura?{deny}")]


@pytest.mark.parametrize("front", FRONTS)
def test_company_flow_reaches_the_company_callback_with_its_cookies(front, gateway, junction, provider, context):
    base = front_url(gateway, front)
    context.add_cookies([{"name": "company_session", "value": "s3ss10n-42", "url": base}])
    code = unique_code()
    query = f"code={code}&{CAREFUL}&state=company-own-state.abc~123"
    callback = f"{base}/oauth_callback/fitbit"
    page = context.new_page()
    invoked = gateway.invocations["alb"]
    dance(page, provider, Flow(callback, query, "error=access_denied"), "#allow", callback)

    # The HTTP API front proxies, the CloudFront fronts pass on, the ALB front's default action
    # forwards (the function is never invoked): the URL stays the callback's.
    assert page.url == f"{callback}?{query}#_=_"
    assert page.text_content("h1") == "Company callback stand-in"
    received = only(gateway.company.received(), code)
    assert received.method == "GET"
    assert received.target == f"/oauth_callback/fitbit?{query}"
    assert "company_session=s3ss10n-42" in received.cookie
    assert not [request for request in junction.received() if code in request.target]
    assert gateway.invocations["alb"] == invoked
    # The company's Set-Cookie made it back to the browser through the gateway.
    assert any(cookie["name"] == "company_seen" for cookie in context.cookies(base))


@pytest.mark.parametrize("front", FRONTS)
def test_token_of_an_environment_not_accepted_goes_to_the_company(front, gateway, junction, provider, context):
    token = mint_link_token(PRODUCTION_US)  # Junction production on a sandbox stage
    code = unique_code()
    query = f"code={code}&state={token}"
    callback = f"{front_url(gateway, front)}/oauth_callback/withings"
    page = context.new_page()
    invoked = gateway.invocations["alb"]
    dance(page, provider, Flow(callback, query, "error=access_denied", fragment=""), "#allow", callback)

    assert page.url == f"{callback}?{query}"
    assert page.text_content("h1") == "Company callback stand-in"
    received = only(gateway.company.received(), code)  # exactly once: on the ALB front, no loop
    assert (received.method, received.target) == ("GET", f"/oauth_callback/withings?{query}")
    assert not [request for request in junction.received() if code in request.target]
    # On the ALB front the JWT-shaped state matched the router rule once; the replay took the bypass.
    assert gateway.invocations["alb"] == invoked + (front == "alb")
