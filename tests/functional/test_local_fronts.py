"""The local gateway's front emulators, without sockets: templates in, routing out; requests in, events out;
handler answers in, HTTP answers out. The events go through the real handlers.

The templates here are cut down from what ``cdk synth`` writes for the constructs (the resource
types and properties the emulators read); ``tests/e2e/test_synthesized_fronts.py`` runs them on
real synthesized templates.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.functional.conftest import Configure
from tests.support.contexts import LambdaContext
from tools.local_gateway import (
    AlbRule,
    Behaviour,
    HttpRoute,
    alb_event,
    cloudfront,
    generated_answer,
    http_api,
    http_api_answer,
    http_api_event,
    match_alb_rule,
    mint_link_token,
    rest_api,
    rest_api_answer,
    rest_api_event,
    rules_from_template,
    select_behaviour,
    select_route,
    viewer_request_event,
)
from tools.local_gateway.synthesized import fronts_from_templates, missing_fronts

EVENTS = Path(__file__).resolve().parents[1] / "events"
SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
CONFIG = {"environments": ["sandbox-us"], "fallback": {"mode": "reject"}}
COMPANY_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/company/0123456789abcdef"
PATHS = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/oauth_callback/*", "/auth/strava/callback"]}}
MARKER = {
    "Field": "http-header",
    "HttpHeaderConfig": {"HttpHeaderName": "X-Junction-Callback-Router", "Values": ["fallback"]},
}
STATE = {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "state", "Value": "eyJ*"}]}}


def resource(kind: str, **properties: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": properties}


def alb_template(*extra_conditions: dict[str, Any]) -> dict[str, Any]:
    """What ``add_to_alb(listener, priority=10, company_target_group=...)`` synthesizes (listed out of order)."""
    return {
        "Resources": {
            "RouterAlb1RouterRule": resource(
                "AWS::ElasticLoadBalancingV2::ListenerRule",
                Priority=11,
                Conditions=[PATHS, *extra_conditions, STATE],
                Actions=[{"Type": "forward", "TargetGroupArn": {"Ref": "RouterAlb1Targets"}}],
            ),
            "RouterAlb1Targets": resource("AWS::ElasticLoadBalancingV2::TargetGroup", TargetType="lambda"),
            "RouterAlb1BypassRule": resource(
                "AWS::ElasticLoadBalancingV2::ListenerRule",
                Priority=10,
                Conditions=[PATHS, *extra_conditions, MARKER],
                Actions=[{"Type": "forward", "TargetGroupArn": COMPANY_TG}],
            ),
        }
    }


HTTP_API_TEMPLATE = {
    "Resources": {
        "Route1": resource("AWS::ApiGatewayV2::Route", RouteKey="ANY /oauth_callback/{provider}"),
        "Route2": resource("AWS::ApiGatewayV2::Route", RouteKey="ANY /auth/strava/callback"),
    }
}
DISTRIBUTION_TEMPLATE = {
    "Resources": {
        "Distribution": resource(
            "AWS::CloudFront::Distribution",
            DistributionConfig={
                "CacheBehaviors": [
                    {
                        "PathPattern": "/oauth_callback/*",
                        "LambdaFunctionAssociations": [{"EventType": "viewer-request", "LambdaFunctionARN": "v1"}],
                    },
                    {"PathPattern": "/oauth_callback/static/*"},  # listed after: never reached
                ],
                "DefaultCacheBehavior": {"TargetOriginId": "origin"},
            },
        )
    }
}
FUNCTION_DISTRIBUTION_TEMPLATE = {
    "Resources": {
        "Distribution": resource(
            "AWS::CloudFront::Distribution",
            DistributionConfig={
                "CacheBehaviors": [
                    {
                        "PathPattern": "/oauth_callback/*",
                        "FunctionAssociations": [{"EventType": "viewer-request", "FunctionARN": "arn"}],
                    }
                ],
                "DefaultCacheBehavior": {"TargetOriginId": "origin"},
            },
        )
    }
}
"""What ``CloudFrontFunctionCallbackRouter`` on ``edge_distribution`` synthesizes (cut down)."""
REST_TEMPLATE = {
    "Resources": {
        "Cb": resource("AWS::ApiGateway::Resource", ParentId="r00tr3s0uc", PathPart="oauth_callback"),
        "CbProvider": resource("AWS::ApiGateway::Resource", ParentId={"Ref": "Cb"}, PathPart="{provider}"),
        "CbProviderAny": resource("AWS::ApiGateway::Method", HttpMethod="ANY", ResourceId={"Ref": "CbProvider"}),
        "RootGet": resource("AWS::ApiGateway::Method", HttpMethod="GET", ResourceId="r00tr3s0uc"),
    }
}


# ---------------------------------------------------------------- HTTP API (payload 2.0)


def test_http_api_routes_come_from_the_template_route_keys() -> None:
    routes = http_api.routes_from_template(HTTP_API_TEMPLATE)
    assert [route.key for route in routes] == ["ANY /oauth_callback/{provider}", "ANY /auth/strava/callback"]
    assert http_api.routes_from_template({"Resources": {}}) == ()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/oauth_callback/fitbit", ("ANY /oauth_callback/{provider}", {"provider": "fitbit"})),
        ("POST", "/oauth_callback/oura", ("ANY /oauth_callback/{provider}", {"provider": "oura"})),
        ("GET", "/oauth_callback/strava", ("GET /oauth_callback/strava", {})),  # a fixed path wins
        ("PUT", "/oauth_callback/strava", ("ANY /oauth_callback/{provider}", {"provider": "strava"})),
        ("GET", "/oauth_callback/a%2Fb", None),  # matched decoded: two segments
        ("GET", "/oauth_callback/", None),  # a variable needs a non-empty segment
        ("GET", "/oauth_callback/fitbit/extra", None),  # one segment, not two
        ("GET", "/Oauth_callback/fitbit", None),  # case-sensitive
        ("GET", "/files/a/b/c", ("ANY /files/{proxy+}", {"proxy": "a/b/c"})),
        ("GET", "/files", None),  # greedy needs one segment at least
    ],
)
def test_route_selection_follows_api_gateway_precedence(
    method: str, path: str, expected: tuple[str, dict[str, str]] | None
) -> None:
    routes = (
        HttpRoute("ANY", "/oauth_callback/{provider}"),
        HttpRoute("GET", "/oauth_callback/strava"),
        HttpRoute("ANY", "/files/{proxy+}"),
    )
    selected = select_route(routes, method, path)
    assert (None if selected is None else (selected[0].key, selected[1])) == expected


def test_http_api_event_takes_route_key_and_path_parameters_from_the_selected_route() -> None:
    routes = http_api.routes_from_template(HTTP_API_TEMPLATE)
    headers = [("Host", "127.0.0.1:3000"), ("Cookie", "a=1; b=2"), ("Accept", "x"), ("accept", "y")]
    event = http_api_event(routes, "POST", "/oauth_callback/fitbit?state=a%2Bb&x", headers, b"\x00", "10.0.0.1", 3000)
    assert (event["routeKey"], event["requestContext"]["routeKey"]) == ("ANY /oauth_callback/{provider}",) * 2
    assert event["pathParameters"] == {"provider": "fitbit"}
    assert event["rawQueryString"] == "state=a%2Bb&x"  # exactly as received
    assert event["cookies"] == ["a=1", "b=2"] and event["headers"]["accept"] == "x,y"
    assert (event["body"], event["isBase64Encoded"]) == ("AA==", True)
    fixed = http_api_event(routes, "GET", "/auth/strava/callback", [], b"", "10.0.0.1")
    assert fixed["routeKey"] == "ANY /auth/strava/callback" and "pathParameters" not in fixed
    assert http_api_event(routes, "GET", "/login", [], b"", "10.0.0.1")["routeKey"] == "$default"


def test_http_api_answer_keeps_repeated_headers_and_cookies() -> None:
    status, headers, body = http_api_answer(
        {
            "statusCode": 307,
            "headers": {"Location": "https://x"},
            "multiValueHeaders": {"X-A": ["1", "2"]},
            "cookies": ["a=1", "b=2"],
            "body": base64.b64encode(b"\xff").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 307 and body == b"\xff"
    assert headers == [
        ("Location", "https://x"),
        ("X-A", "1"),
        ("X-A", "2"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert http_api_answer(["not", "a", "response"]) == (
        200,
        [("Content-Type", "application/json")],
        b'["not", "a", "response"]',
    )


# ---------------------------------------------------------------- REST API (payload 1.0)


def test_rest_routes_are_rebuilt_from_the_resource_tree() -> None:
    routes = rest_api.routes_from_template(REST_TEMPLATE)
    assert sorted(route.key for route in routes) == ["ANY /oauth_callback/{provider}", "GET /"]


def test_rest_event_has_the_shape_of_a_proxy_integration_event() -> None:
    sample = json.loads((EVENTS / "rest_api_v1.json").read_text())
    routes = rest_api.routes_from_template(REST_TEMPLATE)
    headers = [("Host", "id.example"), ("Cookie", "a=1"), ("X-Multi", "1"), ("X-Multi", "2")]
    target = "/oauth_callback/fitbit?code=c&scope=activity+heartrate&state=a%2Bb&state=z"
    event = rest_api_event(routes, "prod", "GET", target, headers, b"", "203.0.113.10")
    assert event is not None
    assert set(event) == set(sample)
    assert set(event["requestContext"]) <= set(sample["requestContext"])
    assert (event["resource"], event["path"], event["pathParameters"]) == (
        "/oauth_callback/{provider}",
        "/oauth_callback/fitbit",
        {"provider": "fitbit"},
    )
    assert event["requestContext"]["path"] == "/prod/oauth_callback/fitbit"
    # API Gateway decodes the query; the last value wins in the single-value map.
    assert event["multiValueQueryStringParameters"] == {
        "code": ["c"],
        "scope": ["activity heartrate"],
        "state": ["a+b", "z"],
    }
    assert event["queryStringParameters"]["state"] == "z"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"] and event["headers"]["X-Multi"] == "2"
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    assert rest_api_event(routes, "prod", "GET", "/elsewhere", [], b"", "203.0.113.10") is None
    assert rest_api_event(routes, "prod", "POST", "/", [], b"", "203.0.113.10") is None  # only GET on /


def test_rest_answer_merges_headers_and_refuses_what_api_gateway_cannot_use() -> None:
    status, headers, body = rest_api_answer(
        {"statusCode": 302, "headers": {"Location": "/x"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}
    )
    assert (status, headers, body) == (302, [("Location", "/x"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], b"")
    unusable_answers: list[Any] = [
        None,
        [],
        {},
        {"statusCode": "200"},
        {"statusCode": 200, "isBase64Encoded": True, "body": "%"},
    ]
    for unusable in unusable_answers:
        assert rest_api_answer(unusable)[0] == 502


def test_the_rest_event_goes_through_the_real_handler(configure: Configure) -> None:
    router = configure(CONFIG)
    routes = rest_api.routes_from_template(REST_TEMPLATE)
    query = f"code=c&state={mint_link_token(SANDBOX_US)}"
    event = rest_api_event(routes, "prod", "GET", f"/oauth_callback/fitbit?{query}", [], b"", "203.0.113.10")
    status, headers, _ = rest_api_answer(router.api_handler(event, LambdaContext()))
    assert status == 307
    assert dict(headers)["Location"] == f"{SANDBOX_US}/connect/fitbit?{query}"
    own = rest_api_event(routes, "prod", "GET", "/oauth_callback/fitbit?code=c&state=own", [], b"", "203.0.113.10")
    assert rest_api_answer(router.api_handler(own, LambdaContext()))[0] == 404  # the reject fallback


# ---------------------------------------------------------------- CloudFront


def test_behaviours_come_from_the_distribution_in_cloudfront_order() -> None:
    behaviours = cloudfront.behaviours_from_template(DISTRIBUTION_TEMPLATE)
    assert behaviours == (
        Behaviour("/oauth_callback/*", True),
        Behaviour("/oauth_callback/static/*", False),
        Behaviour("*", False),
    )
    assert select_behaviour(behaviours, "/oauth_callback/fitbit") == behaviours[0]
    assert select_behaviour(behaviours, "/oauth_callback/static/x") == behaviours[0]  # the first match wins
    assert select_behaviour(behaviours, "/OAUTH_CALLBACK/fitbit") == behaviours[2]  # case-sensitive
    assert select_behaviour(behaviours, "/login") == behaviours[2]
    assert cloudfront.behaviours_from_template({"Resources": {}}) == ()


def test_viewer_request_event_and_generated_answer() -> None:
    event = viewer_request_event("GET", "/cb?state=a%2Bb", [("Host", "h"), ("X-A", "1"), ("x-a", "2")], "1.2.3.4", "d")
    request = event["Records"][0]["cf"]["request"]
    assert (request["uri"], request["querystring"], request["clientIp"]) == ("/cb", "state=a%2Bb", "1.2.3.4")
    assert request["headers"]["x-a"] == [{"key": "X-A", "value": "1"}, {"key": "x-a", "value": "2"}]
    too_big = {"status": "200", "body": "x" * (40 * 1024 + 1)}
    assert generated_answer(too_big)[0] == 502


# ---------------------------------------------------------------- ALB


def test_alb_rules_come_from_the_listener_rules_by_priority() -> None:
    bypass, router = rules_from_template(alb_template())
    assert (bypass.name, bypass.priority, bypass.target) == ("bypass", 10, "company")
    assert (router.name, router.priority, router.target) == ("router", 11, "router")
    assert bypass.path_patterns == router.path_patterns == ("/oauth_callback/*", "/auth/strava/callback")
    assert bypass.http_header == ("X-Junction-Callback-Router", ("fallback",))
    assert router.query_string == (("state", "eyJ*"),)


def test_alb_host_header_conditions_are_evaluated() -> None:
    hosts = {"Field": "host-header", "HostHeaderConfig": {"Values": ["auth.company.com"]}}
    rules = rules_from_template(alb_template(hosts))
    target = "/oauth_callback/fitbit?state=eyJabc"
    assert match_alb_rule(rules, target, [("Host", "AUTH.company.com:443")]) is rules[1]
    assert match_alb_rule(rules, target, [("Host", "other.company.com")]) is None


def test_a_rule_the_emulator_cannot_evaluate_is_refused() -> None:
    source_ip = {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}
    with pytest.raises(ValueError, match="'source-ip' is not emulated"):
        rules_from_template(alb_template(source_ip))


def test_alb_event_reaches_the_real_handler(configure: Configure) -> None:
    router = configure(CONFIG)
    query = f"code=c&state={mint_link_token(SANDBOX_US)}"
    rules = rules_from_template(alb_template())
    target = f"/oauth_callback/oura?{query}"
    rule = match_alb_rule(rules, target, [])
    assert isinstance(rule, AlbRule) and rule.target == "router"
    answer = router.api_handler(alb_event("GET", target, [("Host", "alb")], b""), LambdaContext())
    assert answer["statusCode"] == 307
    assert answer["multiValueHeaders"]["Location"] == [f"{SANDBOX_US}/connect/oura?{query}"]


# ---------------------------------------------------------------- templates to fronts


def test_each_front_reads_the_stage_template_first_then_its_companion() -> None:
    stage = {"Resources": {**HTTP_API_TEMPLATE["Resources"]}}
    assert missing_fronts(stage) == ["alb", "edge", "cloudfront_function"]
    function = FUNCTION_DISTRIBUTION_TEMPLATE
    fronts = fronts_from_templates(
        {"stage": stage, "alb": alb_template(), "edge": DISTRIBUTION_TEMPLATE, "cloudfront_function": function}
    )
    assert fronts.sources == {
        "http_api": "stage",
        "alb": "alb",
        "edge": "edge",
        "cloudfront_function": "cloudfront_function",
    }
    assert [route.key for route in fronts.http_routes] == [
        "ANY /oauth_callback/{provider}",
        "ANY /auth/strava/callback",
    ]
    assert [rule.priority for rule in fronts.alb_rules] == [10, 11]
    companion_routes = {"Resources": {"R": resource("AWS::ApiGatewayV2::Route", RouteKey="ANY /other/{provider}")}}
    both = fronts_from_templates(
        {
            "stage": stage,
            "http_api": companion_routes,
            "alb": alb_template(),
            "edge": DISTRIBUTION_TEMPLATE,
            "cloudfront_function": function,
        }
    )
    assert both.http_routes[0].key == "ANY /oauth_callback/{provider}"  # the stage's own
    with pytest.raises(ValueError, match="edge front"):
        fronts_from_templates({"stage": stage, "alb": alb_template()})


@pytest.mark.parametrize(
    "broken",
    [
        {"Resources": {"R": "not a resource"}},
        {"Resources": {"R": resource("AWS::ElasticLoadBalancingV2::ListenerRule", Actions=[{"Type": "forward"}])}},
        {"Resources": {"D": resource("AWS::CloudFront::Distribution", DistributionConfig={"CacheBehaviors": [{}]})}},
        {"Resources": ["a list"]},
    ],
)
def test_a_template_the_fronts_cannot_read_is_a_clear_error(broken: dict[str, Any]) -> None:
    companions = {
        "http_api": HTTP_API_TEMPLATE,
        "alb": alb_template(),
        "edge": DISTRIBUTION_TEMPLATE,
        "cloudfront_function": FUNCTION_DISTRIBUTION_TEMPLATE,
    }
    with pytest.raises(ValueError, match=r"local fronts can read|not emulated"):
        fronts_from_templates({"stage": broken, **companions})
    with pytest.raises(ValueError, match=r"local fronts can read|not emulated"):
        missing_fronts(broken)
