"""Junction callbacks through all four handlers: a 307 to Junction with the query as received."""

from __future__ import annotations

import pytest

from tests.functional.conftest import SANDBOX_CONFIG, Configure, Router
from tests.functional.sources import (
    ALB_MULTI,
    ALB_SINGLE,
    ALL_SOURCES,
    CLOUDFRONT,
    FUNCTION_URL,
    HTTP_API,
    REST_API,
    Result,
    Source,
)
from tests.support.tokens import SANDBOX_US, SANDBOX_US_JUNCTION, mint_token

ids = [source.name for source in ALL_SOURCES]


def assert_junction_redirect(result: Result, location: str) -> None:
    assert not result.passed_on
    assert result.status == 307
    assert result.location == location
    assert result.header("cache-control") == "no-store"
    assert result.header("referrer-policy") == "no-referrer"
    assert result.body == b""


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_junction_token_is_redirected_with_the_query_as_received(router: Router, source: Source, method: str):
    # Every character here is one a REST API re-encoding reproduces, so all six agree.
    query = f"code=4d0a6bcf3f8a4a9e&state={mint_token()}&scope=activity%20heartrate"
    result = source.send(router, "/oauth_callback/fitbit", query, method)
    assert_junction_redirect(result, f"{SANDBOX_US}/connect/fitbit?{query}")


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_cloudfront_and_api_answers_carry_only_allowed_headers(router: Router, source: Source):
    result = source.send(router, raw_query=f"state={mint_token()}")
    assert set(result.headers) <= {"location", "cache-control", "referrer-policy"}
    if source is CLOUDFRONT:
        assert result.raw["statusDescription"] == "Temporary Redirect"
        assert "body" not in result.raw


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_other_methods_are_not_redirected(router: Router, source: Source, method: str):
    result = source.send(router, raw_query=f"code=abc&state={mint_token()}", method=method)
    if source is CLOUDFRONT:
        assert result.passed_on
    else:
        assert result.status == 404  # the reject fallback
        assert result.location is None


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_denied_consent_is_redirected_too(router: Router, source: Source):
    query = f"error=access_denied&error_description=The%20user%20denied%20access&state={mint_token()}"
    assert_junction_redirect(source.send(router, raw_query=query), f"{SANDBOX_US}/connect/fitbit?{query}")


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_junction_com_audience_is_redirected_to_that_same_base(router: Router, source: Source):
    query = f"code=abc&state={mint_token(SANDBOX_US_JUNCTION)}"
    assert_junction_redirect(source.send(router, raw_query=query), f"{SANDBOX_US_JUNCTION}/connect/fitbit?{query}")


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_audience_list_with_an_accepted_base_is_redirected_to_it(router: Router, source: Source):
    token = mint_token(["https://example.com/not-junction", SANDBOX_US])
    query = f"code=abc&state={token}"
    assert_junction_redirect(source.send(router, raw_query=query), f"{SANDBOX_US}/connect/fitbit?{query}")


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_fixed_provider_route(configure: Configure, source: Source):
    router = configure(
        {
            **SANDBOX_CONFIG,
            "routes": [{"path": "/oauth_callback/{provider}"}, {"path": "/auth/strava/callback", "provider": "strava"}],
        }
    )
    query = f"state={mint_token()}&code=abc&scope=read%2Cactivity%3Aread_all"
    result = source.send(router, "/auth/strava/callback", query)
    assert_junction_redirect(result, f"{SANDBOX_US}/connect/strava?{query}")
    # The templated route still works next to it.
    assert source.send(router, "/oauth_callback/oura", query).location == f"{SANDBOX_US}/connect/oura?{query}"


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, CLOUDFRONT, ALB_MULTI], ids=lambda source: source.name)
def test_raw_query_is_forwarded_byte_for_byte(router: Router, source: Source):
    # '+', '%2F', '%7e', nested '?', '/', ':', blank values and an unusual key order all survive.
    query = (
        f"scope=activity+heartrate&code=a%2Fb%7e&state={mint_token()}"
        "&redirect_uri=https://app.example.com/cb?x=1&empty=&z=%E2%9C%93"
    )
    assert source.send(router, raw_query=query).location == f"{SANDBOX_US}/connect/fitbit?{query}"


@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, CLOUDFRONT], ids=lambda source: source.name)
def test_raw_sources_keep_valueless_keys_and_repeated_keys(router: Router, source: Source):
    query = f"flag&code=1&code=2&state={mint_token()}"
    assert source.send(router, raw_query=query).location == f"{SANDBOX_US}/connect/fitbit?{query}"


def test_alb_single_value_keeps_raw_values_but_only_the_last_of_a_repeated_key(router: Router):
    # ALB without multi-value headers hands over the last value of a repeated key only.
    token = mint_token()
    result = ALB_SINGLE.send(router, raw_query=f"code=1&scope=a+b%2Fc&code=2&state={token}")
    assert result.location == f"{SANDBOX_US}/connect/fitbit?code=2&scope=a+b%2Fc&state={token}"
    assert ALB_MULTI.send(router, raw_query=f"code=1&code=2&state={token}").location == (
        f"{SANDBOX_US}/connect/fitbit?code=1&code=2&state={token}"
    )


def test_rest_api_re_encodes_the_decoded_values_once_keeping_every_key_and_value(router: Router):
    """REST API (payload 1.0) only hands over decoded values; the router encodes them once.

    What changes: every character outside ``A-Za-z0-9-._~`` in a key or value is percent-encoded
    (``/`` -> ``%2F``, ``:`` -> ``%3A``, a space -> ``%20``, UTF-8 for non-ASCII), and keys are
    grouped in the order API Gateway lists them. A ``+`` was a space to API Gateway (``%20``), a
    ``%2B`` a ``+`` (``%2B`` again). The ``state`` token (base64url) is unchanged.
    """
    token = mint_token()
    raw = (
        f"code=a%2Fb&state={token}&redirect_uri=https://app.example.com/cb&note=caf%C3%A9%20ok&code=second"
        "&scope=a+b%2Bc"
    )
    result = REST_API.send(router, raw_query=raw)
    assert result.location == (
        f"{SANDBOX_US}/connect/fitbit?code=a%2Fb&code=second&state={token}"
        "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&note=caf%C3%A9%20ok&scope=a%20b%2Bc"
    )


UNSAFE_QUERIES = [
    pytest.param("next=a b", "next=a%20b", id="space"),
    pytest.param("next=x\r\nSet-Cookie: stolen=1", "next=x%0D%0ASet-Cookie:%20stolen=1", id="crlf"),
    pytest.param("next=\x00\x01\x1f\x7f", "next=%00%01%1F%7F", id="controls"),
    pytest.param("name=café&q=\u2713", "name=caf%C3%A9&q=%E2%9C%93", id="non-ascii"),
    pytest.param('q="<script>"', "q=%22%3Cscript%3E%22", id="quotes-and-angles"),
    pytest.param("q=a#frag", "q=a%23frag", id="hash"),
]


@pytest.mark.parametrize(("unsafe", "escaped"), UNSAFE_QUERIES)
@pytest.mark.parametrize("source", [HTTP_API, FUNCTION_URL, CLOUDFRONT, ALB_SINGLE, ALB_MULTI], ids=lambda s: s.name)
def test_characters_not_allowed_in_a_uri_are_percent_encoded(router: Router, source: Source, unsafe, escaped):
    token = mint_token()
    result = source.send(router, raw_query=f"code=abc&{unsafe}&state={token}")
    assert result.location == f"{SANDBOX_US}/connect/fitbit?code=abc&{escaped}&state={token}"


@pytest.mark.parametrize(("unsafe", "escaped"), UNSAFE_QUERIES)
@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_no_header_value_ever_carries_controls_spaces_or_non_ascii(router: Router, source: Source, unsafe, escaped):
    result = source.send(router, raw_query=f"code=abc&{unsafe}&state={mint_token()}")
    assert result.status == 307
    for value in result.all_header_values():
        assert all(0x21 <= ord(char) <= 0x7E for char in value.replace(" ", "!")), repr(value)
        assert " " not in (result.location or "")
