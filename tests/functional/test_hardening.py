"""Hostile or broken input: no path walking through the fallback, no stack traces, no log noise."""

from __future__ import annotations

import json

import pytest

from callback_router.core.config import ConfigError, parse_config
from callback_router.fallbacks.proxy import forwarded_headers
from callback_router.fallbacks.request import target_url
from tests.functional.conftest import Configure
from tests.functional.sources import API_SOURCES, CLOUDFRONT, Source, alb_event
from tests.support.contexts import LambdaContext
from tests.support.tokens import mint_token

api_ids = [source.name for source in API_SOURCES]
REDIRECT_FALLBACK = {
    "environments": ["sandbox-us"],
    "fallback": {"mode": "redirect", "url": "https://auth.example.com/oauth_callback/{provider}"},
}


@pytest.mark.parametrize("provider", ["..", ".", "fit%2Fbit", "Fitbit", "a" * 65, ""])
def test_only_a_slug_is_put_into_the_company_url(provider):
    assert target_url("https://auth.example.com/cb/{provider}", provider) is None
    assert target_url("https://auth.example.com/cb/{provider}", "whoop_v2") == "https://auth.example.com/cb/whoop_v2"
    assert target_url("https://auth.example.com/cb", provider) == "https://auth.example.com/cb"


def test_provider_placeholder_is_refused_in_the_host():
    with pytest.raises(ConfigError, match="only stand in the path"):
        parse_config({"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": "https://{provider}.x.io/"}})


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_dot_dot_provider_never_reaches_the_company_url(configure: Configure, source: Source):
    router = configure(REDIRECT_FALLBACK)
    result = source.send(router, path="/oauth_callback/..", raw_query="code=c&state=own")
    assert result.status == 404
    assert result.location is None
    fine = source.send(router, path="/oauth_callback/oura", raw_query="code=c&state=own")
    assert (fine.status, fine.location) == (307, "https://auth.example.com/oauth_callback/oura?code=c&state=own")
    assert fine.header("Referrer-Policy") == "no-referrer"


def test_connection_listed_headers_are_not_forwarded():
    headers = [("Connection", "keep-alive, X-Secret-Hop"), ("X-Secret-Hop", "1"), ("Host", "a"), ("Accept", "*/*")]
    assert forwarded_headers(headers) == [("Accept", "*/*")]


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
@pytest.mark.parametrize("event", [{}, {"requestContext": None}, {"rawPath": 7, "requestContext": {"http": 1}}])
def test_malformed_api_event_gets_a_plain_400(configure: Configure, output, source: Source, event):
    router = configure()
    response = getattr(router, source.handler)(event, LambdaContext())
    assert response["statusCode"] == 400
    assert response["body"] == "Bad Request: malformed event.\n"
    assert "RouterError" in output().metric_names()


@pytest.mark.parametrize("source", API_SOURCES, ids=api_ids)
def test_unreadable_query_is_refused_rather_than_forwarded_without_it(
    configure: Configure, output, monkeypatch, source: Source
):
    router = configure(REDIRECT_FALLBACK)

    def broken(_front, _event):
        raise TypeError("query parameters are not a mapping")

    for front in (router.api.HTTP_API_FRONT, router.api.REST_API_FRONT, router.api.ALB_FRONT):
        monkeypatch.setattr(type(front), "query", broken)  # every front's query reader fails
    result = source.send(router, raw_query=f"code=c&state={mint_token()}")
    assert result.status == 400
    assert result.location is None
    assert "RouterError" in output().metric_names()


def test_invalid_provider_text_is_not_logged(configure: Configure, output):
    router = configure()
    hostile = "/oauth_callback/" + "X" * 200
    assert CLOUDFRONT.send(router, path=hostile, raw_query="state=own").passed_on
    routed = output().routed
    assert len(routed) == 1
    assert "XXXX" not in str(routed[0])


def test_a_lone_surrogate_in_a_logged_field_still_gets_its_utf8_log_line(configure: Configure, log_stream):
    # ALB logs its trace header as the request id; a hand-made event can hold a lone surrogate
    # there (JSON "\ud800"), which UTF-8 stdout cannot write: the line was lost to a logging traceback.
    router = configure()
    event = alb_event(raw_query="state=own")
    event["headers"]["x-amzn-trace-id"] = "Root=\ud800"
    assert router.alb_handler(event, LambdaContext())["statusCode"] == 404
    [line] = [json.loads(text) for text in log_stream.getvalue().encode("utf-8").decode().splitlines()]
    assert (line["decision"], line["request_id"]) == ("NotJunction", "Root=\ud800")


def test_a_malformed_alb_event_with_multi_value_headers_gets_its_400_in_multi_value_headers(configure: Configure):
    # A target group with multi-value headers reads only multiValueHeaders in the answer: the
    # 400's Content-Type and no-store must be there, as on every other ALB answer.
    router = configure()
    event = alb_event(raw_query="state=own", multi_value=True)
    del event["httpMethod"]
    response = router.alb_handler(event, LambdaContext())
    assert (response["statusCode"], response["statusDescription"]) == (400, "400 Bad Request")
    assert "headers" not in response
    assert response["multiValueHeaders"]["Content-Type"] == ["text/plain; charset=utf-8"]
    assert response["multiValueHeaders"]["Cache-Control"] == ["no-store"]
