"""Requests that are not Junction's: passed on (CloudFront) or given to the fallback (API, ALB)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import SANDBOX_CONFIG, Configure, Output, Router
from tests.functional.sources import ALB_MULTI, ALB_SINGLE, ALL_SOURCES, API_SOURCES, CLOUDFRONT, Result, Source
from tests.support.tokens import PRODUCTION_US, SANDBOX_US, mint_token, too_long_token

ids = [source.name for source in ALL_SOURCES]
api_ids = [source.name for source in API_SOURCES]


def assert_not_redirected(source: Source, result: Result) -> None:
    """CloudFront lets the request go on; API/ALB take the reject fallback (404)."""
    if source is CLOUDFRONT:
        assert result.passed_on
    else:
        assert result.status == 404
        assert result.location is None


def routed(output: Output) -> dict[str, Any]:
    [line] = output.routed
    return line


NOT_JUNCTION = [
    pytest.param(lambda: "code=abc&state=success", "state_not_a_jwt", id="junction-success"),
    pytest.param(lambda: "state=error&error_type=provider_error", "state_not_a_jwt", id="junction-error"),
    pytest.param(lambda: "code=abc&state=eyJhbGciOi.garbage.%%%", "state_not_a_jwt", id="garbage"),
    pytest.param(lambda: "code=abc&state=eyJub3QiOiJqc29uIn0.e30.c2ln", "audience_not_junction", id="no-aud"),
    pytest.param(lambda: f"code=abc&state={too_long_token()}", "state_too_long", id="too-long"),
    pytest.param(lambda: f"code=abc&state={mint_token()}&state={mint_token()}", "repeated_state", id="repeated"),
    pytest.param(lambda: "code=abc&scope=read", "no_state", id="no-state"),
    pytest.param(lambda: "", "no_state", id="no-query"),
    pytest.param(lambda: "oauth_token=tok&oauth_verifier=ver", "no_state", id="garmin-oauth1"),
    pytest.param(lambda: f"state={mint_token('https://evil.example.com/v2/link')}", "audience_not_junction", id="evil"),
    pytest.param(lambda: f"state={mint_token(SANDBOX_US + '/')}", "audience_not_junction", id="trailing-slash"),
    pytest.param(lambda: f"state={mint_token(SANDBOX_US.upper())}", "audience_not_junction", id="upper-case"),
    pytest.param(lambda: f"state={mint_token([])}", "audience_not_junction", id="empty-aud-list"),
]


@pytest.mark.parametrize(("make_query", "reason"), NOT_JUNCTION)
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_non_junction_states_are_not_redirected(router: Router, output, source: Source, make_query, reason):
    if source is ALB_SINGLE and reason == "repeated_state":
        pytest.skip("ALB without multi-value headers only hands over the last state: see the test below")
    result = source.send(router, raw_query=make_query())
    assert_not_redirected(source, result)
    line = routed(output())
    assert (line["decision"], line["reason"], line["provider"]) == ("NotJunction", reason, "fitbit")


def test_alb_single_value_sees_only_the_last_of_repeated_states(router: Router):
    # ALB (multi-value headers off) drops all but the last value of a repeated key before Lambda
    # runs, so the router sees one state: the redirect carries that one, as ALB delivered it.
    first, last = mint_token(), mint_token(sub="other-session")
    result = ALB_SINGLE.send(router, raw_query=f"state={first}&code=abc&state={last}")
    assert result.location == f"{SANDBOX_US}/connect/fitbit?state={last}&code=abc"


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_foreign_environment_is_not_redirected_but_reported(router: Router, output, source: Source):
    # A production token arriving at a sandbox deployment: a misdirected redirect_url_override.
    result = source.send(router, raw_query=f"code=abc&state={mint_token(PRODUCTION_US)}")
    assert_not_redirected(source, result)
    out = output()
    line = routed(out)
    assert line["level"] == "WARNING"
    assert (line["decision"], line["environment"]) == ("ForeignEnvironment", "production-us")
    assert out.metric_names() == ["ForeignEnvironment"]


@pytest.mark.parametrize("path", ["/oauth_callback/Fitbit", "/oauth_callback/fit-bit", "/oauth_callback/_x"])
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_invalid_provider_slug_with_a_junction_token_is_a_400(router: Router, output, source: Source, path):
    result = source.send(router, path, f"code=abc&state={mint_token()}")
    assert result.status == 400
    assert result.location is None
    assert b"unknown OAuth provider" in result.body
    assert routed(output())["decision"] == "InvalidProvider"


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_provider_outside_the_allowlist_is_a_400(configure: Configure, source: Source):
    router = configure({**SANDBOX_CONFIG, "providers": ["fitbit", "whoop_v2"]})
    query = f"code=abc&state={mint_token()}"
    assert source.send(router, "/oauth_callback/oura", query).status == 400
    assert source.send(router, "/oauth_callback/whoop_v2", query).location == f"{SANDBOX_US}/connect/whoop_v2?{query}"


@pytest.mark.parametrize("path", ["/", "/login", "/oauth_callback", "/oauth_callback/fitbit/extra", "/auth/other"])
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_path_matching_no_route_is_not_a_callback(router: Router, output, source: Source, path):
    result = source.send(router, path, f"code=abc&state={mint_token()}")
    assert_not_redirected(source, result)
    assert routed(output())["decision"] == "NotACallback"


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_redirect_fallback_sends_the_company_callback_on_with_its_query(configure: Configure, source: Source):
    router = configure(
        {**SANDBOX_CONFIG, "fallback": {"mode": "redirect", "url": "https://auth.example.com/cb/{provider}"}}
    )
    query = "code=abc&state=company-state-123"
    result = source.send(router, "/oauth_callback/withings", query)
    assert result.status == 307
    assert result.location == f"https://auth.example.com/cb/withings?{query}"
    assert result.header("cache-control") == "no-store"
    assert result.body == b""


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_redirect_fallback_for_a_path_without_provider(configure: Configure, source: Source):
    templated = configure(
        {**SANDBOX_CONFIG, "fallback": {"mode": "redirect", "url": "https://auth.example.com/{provider}"}}
    )
    if source in (ALB_SINGLE, ALB_MULTI):
        # ALB's rule is wider than the routes: a path on none goes to the fallback's origin as it
        # is (test_alb_not_a_route.py), with or without {provider} in the URL.
        assert source.send(templated, "/elsewhere", "a=1").location == "https://auth.example.com/elsewhere?a=1"
    else:
        assert source.send(templated, "/elsewhere", "a=1").status == 404  # no provider to put in the URL
    plain = configure({**SANDBOX_CONFIG, "fallback": {"mode": "redirect", "url": "https://auth.example.com/legacy"}})
    if source in (ALB_SINGLE, ALB_MULTI):
        assert source.send(plain, "/elsewhere", "a=1").location == "https://auth.example.com/elsewhere?a=1"
        return
    assert source.send(plain, "/elsewhere", "a=1").location == "https://auth.example.com/legacy?a=1"
    assert source.send(plain, "/elsewhere").location == "https://auth.example.com/legacy"


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_reject_fallback_is_a_404(configure: Configure, source: Source):
    router = configure({**SANDBOX_CONFIG, "fallback": {"mode": "reject"}})
    result = source.send(router, raw_query="code=abc&state=success")
    assert (result.status, result.location, result.body) == (404, None, b"Not Found\n")


def test_cloudfront_ignores_the_fallback_and_passes_the_request_on(configure: Configure):
    router = configure({**SANDBOX_CONFIG, "fallback": {"mode": "redirect", "url": "https://auth.example.com/cb"}})
    assert CLOUDFRONT.send(router, raw_query="code=abc&state=success").passed_on
