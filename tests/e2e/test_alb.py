"""The ALB front of the local gateway: add_to_alb's listener rules, ALB events, and the no-loop fallback.

The front evaluates the two rules ``CallbackRouter.add_to_alb`` creates ("bypass": callback
paths and ``X-Junction-Callback-Router: fallback`` -> the company; "router": callback paths and
``state=eyJ*`` -> ``alb_handler``; default -> the company) and runs the real handler, whose
fallback proxies back into the ALB front itself, exactly as on an ALB deployment. Handler
invocations are counted by the gateway, so "never reaches the function" is observed, not assumed.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
from pathlib import Path

import pytest

from callback_router.core.routes import ALB_STATE_PATTERN
from tools.local_gateway import (
    LocalGateway,
    RecordedRequest,
    alb_answer,
    alb_event,
    alb_rules,
    alb_wildcard_match,
    match_alb_rule,
    mint_link_token,
)

pytestmark = pytest.mark.e2e

EVENTS = Path(__file__).resolve().parents[1] / "events"
MARKER = ("X-Junction-Callback-Router", "fallback")
COMPANY_AUDIENCE = "https://auth.company.example/app"
"""A JWT the company issues itself: JWT-shaped, so the router rule sends it to the function."""
_codes = itertools.count(1)


def unique_code() -> str:
    return f"alb-{os.getpid()}-{next(_codes)}"


def request(
    gateway: LocalGateway, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, str, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", gateway.alb.server_address[1], timeout=20)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        connection.close()


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def company_got(gateway: LocalGateway, code: str) -> list[RecordedRequest]:
    return [item for item in gateway.company.received() if code in item.target]


def header(received: RecordedRequest, name: str) -> list[str]:
    return [value for key, value in received.headers if key.lower() == name.lower()]


# ---------------------------------------------------------------- over sockets, real handler


@pytest.mark.parametrize(
    "query",
    [
        "code={code}&state=company-own-state.abc~123",
        "code={code}&state=success",  # Junction's own redirect back to the company
        "oauth_token=t0k&oauth_verifier={code}",  # OAuth 1.0a: no state at all
        "code={code}&state=%ZZ%",
        "code={code}&state=xeyJhbGciOi",  # "eyJ" not at the start
        "code={code}&scope=a+b%20c&state=company%2Fown+state&scope=d",
    ],
)
def test_non_jwt_state_never_reaches_the_function_and_reaches_the_company(query, gateway: LocalGateway):
    code = unique_code()
    target = f"/oauth_callback/fitbit?{query.format(code=code)}"
    before = gateway.invocations["alb"]
    status, _, headers, _ = request(gateway, "GET", target, {"Cookie": "company_session=s1"})

    assert gateway.invocations["alb"] == before
    assert status == 200
    assert values(headers, "X-Stand-In-Target") == [target]  # byte for byte, interleaved repeats too
    received = company_got(gateway, code)
    assert len(received) == 1
    assert received[0].cookie == "company_session=s1"
    assert header(received[0], MARKER[0]) == []


def test_jwt_shaped_company_state_reaches_the_company_once_without_a_loop(gateway: LocalGateway):
    code = unique_code()
    query = f"code={code}&scope=activity+heartrate%20sleep&state={mint_link_token(COMPANY_AUDIENCE)}"
    before = gateway.invocations["alb"]
    status, _, headers, body = request(gateway, "GET", f"/oauth_callback/fitbit?{query}", {"Cookie": "sid=42"})

    assert gateway.invocations["alb"] == before + 1  # the router rule matched once; the replay did not
    assert status == 200
    assert values(headers, "X-Stand-In") == ["Company callback stand-in"]  # the answer is the company's
    assert values(headers, "Set-Cookie") == ["company_seen=1; Path=/", "company_theme=dark; Path=/; HttpOnly"]
    assert b"Company callback stand-in" in body
    received = company_got(gateway, code)
    assert [item.target for item in received] == [f"/oauth_callback/fitbit?{query}"]
    assert header(received[0], MARKER[0]) == [MARKER[1]]  # it came through the bypass rule
    assert received[0].cookie == "sid=42"


@pytest.mark.parametrize("path", ["/oauth_callback/fitbit/", "/oauth_callback/fitbit/extra", "/oauth_callback/Fitbit"])
def test_a_path_that_is_no_route_reaches_the_company_as_before_not_a_404(path, gateway: LocalGateway):
    # The router rule's /oauth_callback/* is wider than the routes: the function gets these, and
    # replays them (marked) to the ALB with their own path, where the bypass rule takes them to
    # the company's service, which answered them before the router was put in front of it.
    code = unique_code()
    query = f"code={code}&state={mint_link_token(COMPANY_AUDIENCE)}"
    before = gateway.invocations["alb"]
    status, _, headers, _ = request(gateway, "GET", f"{path}?{query}", {"Cookie": "sid=42"})

    assert gateway.invocations["alb"] == before + 1  # the router rule matched once; the replay did not
    assert status == 200
    assert values(headers, "X-Stand-In") == ["Company callback stand-in"]
    received = company_got(gateway, code)
    assert [item.target for item in received] == [f"{path}?{query}"]
    assert header(received[0], MARKER[0]) == [MARKER[1]]
    assert received[0].cookie == "sid=42"


def test_a_state_key_in_capitals_matches_the_rule_and_still_reaches_the_company_once(gateway: LocalGateway):
    # The query-string condition is case-insensitive, the function reads `state` only: it finds
    # no state, takes the fallback, and the bypass rule ends the trip.
    code = unique_code()
    query = f"code={code}&STATE={mint_link_token(COMPANY_AUDIENCE)}"
    before = gateway.invocations["alb"]
    status, _, headers, _ = request(gateway, "GET", f"/oauth_callback/oura?{query}")

    assert gateway.invocations["alb"] == before + 1
    assert status == 200
    assert values(headers, "X-Stand-In-Target") == [f"/oauth_callback/oura?{query}"]
    assert len(company_got(gateway, code)) == 1


def test_post_with_a_junction_token_reaches_the_company_once_with_its_binary_body(gateway: LocalGateway, junction):
    code = unique_code()
    target = f"/oauth_callback/polar?code={code}&state={mint_link_token(f'{junction.url}/v2/link')}"
    body = bytes(range(256))
    before = gateway.invocations["alb"]
    status, _, _, _ = request(gateway, "POST", target, {"Content-Type": "application/octet-stream"}, body)

    assert gateway.invocations["alb"] == before + 1
    assert status == 200
    received = company_got(gateway, code)
    assert [(item.method, item.target, item.body) for item in received] == [("POST", target, body)]
    assert not [item for item in junction.received() if code in item.target]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_junction_token_gets_the_307_with_the_query_byte_for_byte(method, gateway: LocalGateway, junction):
    code = unique_code()
    token = mint_link_token(f"{junction.url}/v2/link")
    # '+', '%2F', '%20', '=' inside a value, '~', an empty value, an adjacent repeated key.
    query = f"code={code}&scope=activity+heartrate%20sleep&scope=profile&redirect=a%2Fb&next=x=y&t=~t~&e=&state={token}"
    before = gateway.invocations["alb"]
    status, reason, headers, body = request(gateway, method, f"/oauth_callback/fitbit?{query}")

    assert gateway.invocations["alb"] == before + 1
    assert (status, reason, body) == (307, "Temporary Redirect", b"")
    assert values(headers, "Location") == [f"{junction.url}/v2/link/connect/fitbit?{query}"]
    assert values(headers, "Cache-Control") == ["no-store"]
    assert company_got(gateway, code) == []


def test_interleaved_repeated_keys_reach_junction_grouped_by_key(gateway: LocalGateway, junction):
    # An ALB event carries the query as {key: [values]}: how repeated keys interleaved is lost.
    # Every value keeps its bytes and its order within its key; the pairs come out grouped.
    code = unique_code()
    token = mint_link_token(f"{junction.url}/v2/link")
    query = f"code={code}&scope=a+b&redirect=a%2Fb&scope=c%20d&state={token}"
    status, _, headers, _ = request(gateway, "GET", f"/oauth_callback/fitbit?{query}")

    assert status == 307
    grouped = f"code={code}&scope=a+b&scope=c%20d&redirect=a%2Fb&state={token}"
    assert values(headers, "Location") == [f"{junction.url}/v2/link/connect/fitbit?{grouped}"]


def test_marked_request_goes_to_the_company_via_the_bypass_rule(gateway: LocalGateway, junction):
    code = unique_code()
    target = f"/auth/strava/callback?code={code}&state={mint_link_token(f'{junction.url}/v2/link')}"
    before = gateway.invocations["alb"]
    status, _, headers, _ = request(gateway, "GET", target, {MARKER[0]: "FallBack"})  # values: any case

    assert gateway.invocations["alb"] == before
    assert status == 200
    assert values(headers, "X-Stand-In-Target") == [target]
    assert [item.target for item in company_got(gateway, code)] == [target]
    assert not [item for item in junction.received() if code in item.target]


def test_jwt_state_off_the_callback_paths_takes_the_default_action(gateway: LocalGateway, junction):
    token = mint_link_token(f"{junction.url}/v2/link")
    before = gateway.invocations["alb"]
    for target in (f"/account/settings?state={token}", f"/OAuth_Callback/fitbit?state={token}"):
        status, _, headers, _ = request(gateway, "GET", target)
        assert status == 200
        assert values(headers, "X-Stand-In-Target") == [target]
    assert gateway.invocations["alb"] == before  # path patterns are case-sensitive


def test_unknown_provider_segment_is_refused_by_the_function(gateway: LocalGateway, junction):
    # `/oauth_callback/*` also matches segments that are not provider slugs: the function answers.
    token = mint_link_token(f"{junction.url}/v2/link")
    status, _, _, _ = request(gateway, "GET", f"/oauth_callback/Not-A-Slug?state={token}")
    assert status == 400


# ---------------------------------------------------------------- the rules and the event, no sockets


def test_rules_are_bypass_then_router_within_alb_limits(gateway: LocalGateway):
    bypass, router = alb_rules(gateway.stage, priority=40)  # add_to_alb at priority 40, synthesized
    assert (bypass.name, bypass.priority, bypass.target) == ("bypass", 40, "company")
    assert (router.name, router.priority, router.target) == ("router", 41, "router")
    assert bypass.path_patterns == router.path_patterns == ("/oauth_callback/*", "/auth/strava/callback")
    assert router.query_string == (("state", ALB_STATE_PATTERN),)
    for rule in (bypass, router):
        conditions = [list(rule.path_patterns)]
        conditions += [list(rule.http_header[1])] if rule.http_header else []
        conditions += [[value for _, value in rule.query_string]] if rule.query_string else []
        texts = [text for condition in conditions for text in condition]
        # ELB quotas: 3 values per condition, 5 match evaluations and 5 wildcards per rule, 128 chars each.
        assert all(len(condition) <= 3 for condition in conditions)
        assert len(texts) <= 5
        assert sum(text.count("*") + text.count("?") for text in texts) <= 5
        assert all(len(text) <= 128 for text in texts)


def test_rule_matching_follows_alb_semantics(gateway: LocalGateway):
    rules = gateway.alb_rules
    assert match_alb_rule(rules, "/oauth_callback/fitbit?code=1&state=eyJabc", []) is rules[1]
    assert match_alb_rule(rules, "/oauth_callback/fitbit?state=EYJabc", []) is rules[1]  # values: any case
    assert match_alb_rule(rules, "/oauth_callback/fitbit?state=%65yJabc", []) is rules[1]  # compared decoded
    assert match_alb_rule(rules, "/oauth_callback/a/b?state=eyJabc", []) is rules[1]  # '*' crosses '/'
    assert match_alb_rule(rules, "/oauth_callback/fitbit?state=abc", []) is None
    assert match_alb_rule(rules, "/oauth_callback/fitbit?xstate=eyJabc", []) is None
    assert match_alb_rule(rules, "/auth/strava/callback/x?state=eyJabc", []) is None  # the whole path
    assert match_alb_rule(rules, "/oauth_callback/fitbit?state=eyJabc", [MARKER]) is rules[0]  # bypass first
    assert match_alb_rule(rules, "/oauth_callback/fitbit?state=eyJabc", [(MARKER[0], "other")]) is rules[1]
    assert alb_wildcard_match("/a?c", "/abc", case_sensitive=True)
    assert not alb_wildcard_match("/a?c", "/abbc", case_sensitive=True)
    assert alb_wildcard_match("a\\*", "a*", case_sensitive=False, escapes=True)
    assert not alb_wildcard_match("a\\*", "ab", case_sensitive=False, escapes=True)


def test_event_has_the_shape_of_an_alb_multi_value_event():
    sample = json.loads((EVENTS / "alb_multi_value.json").read_text())
    headers = [("Host", "alb.local"), ("Cookie", "a=1"), ("Cookie", "b=2"), ("Accept", "text/html")]
    event = alb_event("GET", "/oauth_callback/fitbit?code=x&scope=activity%20heartrate&state=S&scope=b+c", headers, b"")
    assert set(event) == set(sample)
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith("arn:aws:elasticloadbalancing:")
    assert (event["httpMethod"], event["path"], event["body"], event["isBase64Encoded"]) == (
        "GET",
        "/oauth_callback/fitbit",
        "",
        False,
    )
    assert event["multiValueQueryStringParameters"] == {
        "code": ["x"],
        "scope": ["activity%20heartrate", "b+c"],  # not decoded
        "state": ["S"],
    }
    assert event["multiValueHeaders"]["cookie"] == ["a=1", "b=2"]
    posted = alb_event("POST", "/p", [], b"\x00\xff")
    assert (posted["body"], posted["isBase64Encoded"], posted["multiValueQueryStringParameters"]) == ("AP8=", True, {})


def test_answer_uses_multi_value_headers_and_status_description():
    status, headers, body, reason = alb_answer(
        {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Content-Type": ["text/plain"]},
            "body": "aGk=",
            "isBase64Encoded": True,
        }
    )
    assert (status, body, reason) == (200, b"hi", "OK")
    assert headers == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/plain")]
    for unusable in ({"body": "no status"}, {"statusCode": 200, "body": "x" * (1024 * 1024)}, ["not", "a", "dict"]):
        assert alb_answer(unusable)[0] == 502
