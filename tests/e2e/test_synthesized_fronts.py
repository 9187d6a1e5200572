"""The local fronts serve what the synthesized templates hold (issue 15, item 9), not a copy.

``make run`` synthesizes the stage into ``cdk.out/`` and the gateway reads the stage's template
there (``template_dir``); a front the stage does not deploy gets its routing from a companion
synth of the same stage. Handler invocations are counted by the gateway, so "the function never
ran" is observed, not assumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callback_router_app.stages import load_stage
from tests.e2e.conftest import e2e_stage
from tests.e2e.standins import StandInServer
from tests.e2e.test_gateway import header_values, request
from tools.local_gateway import mint_link_token, start_gateway, synthesized_fronts

pytestmark = pytest.mark.e2e


def test_the_http_api_front_serves_the_route_keys_of_the_stage_template_in_cdk_out(
    tmp_path: Path, junction: StandInServer
) -> None:
    stage = e2e_stage(junction.url)
    # A template whose only route differs from the stage's config: what the front serves must follow it.
    route = {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"RouteKey": "ANY /renamed/{provider}"}}
    (tmp_path / "JunctionCallbackRouter-e2e.template.json").write_text(json.dumps({"Resources": {"Route": route}}))
    with start_gateway(stage, log_level="ERROR", emf=False, template_dir=tmp_path) as running:
        assert running.fronts.sources["http_api"] == f"{tmp_path}/JunctionCallbackRouter-e2e.template.json"
        assert [item.key for item in running.fronts.http_routes] == ["ANY /renamed/{provider}"]
        token = mint_link_token(f"{junction.url}/v2/link")
        status, _, body = request(running.http_api_url, "GET", f"/oauth_callback/fitbit?state={token}")
        assert (status, body, running.invocations["http_api"]) == (404, b'{"message":"Not Found"}', 0)
        request(running.http_api_url, "GET", f"/renamed/fitbit?state={token}")
        assert running.invocations["http_api"] == 1  # the route the template holds reaches the function
        # The ALB and CloudFront fronts, absent from that template, come from companion synths.
        assert [rule.name for rule in running.fronts.alb_rules] == ["bypass", "router"]
        assert running.fronts.behaviours[0].path_pattern == "/oauth_callback/*"


def test_the_cloudfront_front_runs_the_function_only_on_the_callback_behaviours(junction: StandInServer) -> None:
    with start_gateway(e2e_stage(junction.url), log_level="ERROR", emf=False) as running:
        status, headers, _ = request(running.edge_url, "GET", "/account/settings?tab=2")
        assert (status, header_values(headers, "X-Stand-In-Target")) == (200, ["/account/settings?tab=2"])
        assert running.invocations["edge"] == 0  # the default behaviour has no viewer-request function
        token = mint_link_token(f"{junction.url}/v2/link")
        status, _, _ = request(running.edge_url, "GET", f"/auth/strava/callback?state={token}")
        assert (status, running.invocations["edge"]) == (307, 1)


def test_the_cloudfront_function_front_runs_the_generated_code_only_on_the_callback_behaviours(
    junction: StandInServer,
) -> None:
    with start_gateway(e2e_stage(junction.url), log_level="ERROR", emf=False) as running:
        assert "shape cloudfront_function" in running.fronts.sources["cloudfront_function"]
        status, headers, _ = request(running.cff_url, "GET", "/account/settings?tab=2")
        assert (status, header_values(headers, "X-Stand-In-Target")) == (200, ["/account/settings?tab=2"])
        assert running.invocations["cloudfront_function"] == 0  # the default behaviour has no function
        query = f"state={mint_link_token(f'{junction.url}/v2/link')}&code=a%2Fb+c&scope=x&scope=y"
        status, headers, _ = request(running.cff_url, "GET", f"/auth/strava/callback?{query}")
        assert (status, running.invocations["cloudfront_function"]) == (307, 1)
        assert header_values(headers, "location") == [f"{junction.url}/v2/link/connect/strava?{query}"]
        assert header_values(headers, "cache-control") == ["no-store"]
        assert running.invocations["edge"] == running.invocations["http_api"] == 0  # no Python handler ran
        status, headers, _ = request(running.cff_url, "GET", "/oauth_callback/fitbit?code=c&state=own")
        assert (status, header_values(headers, "X-Stand-In-Target")) == (
            200,
            ["/oauth_callback/fitbit?code=c&state=own"],
        )
        assert running.invocations["cloudfront_function"] == 2


def test_a_cloudfront_function_stage_serves_both_edge_fronts() -> None:
    # The stage's distribution runs the CloudFront Function; the Lambda@Edge front comes from a
    # companion synth of the same stage (it must still invoke viewer_request_handler).
    stage = load_stage("edge-cloudfront-function")
    with start_gateway(stage, log_level="ERROR", emf=False) as running:
        sources = running.fronts.sources
        assert (
            sources["cloudfront_function"]
            == "stack JunctionCallbackRouter-edge-cloudfront-function, synthesized in-process"
        )
        assert "shape edge" in sources["edge"]
        query = f"code=c&state={mint_link_token('https://api.tryvital.io/v2/link')}"
        for front, url in (("edge", running.edge_url), ("cloudfront_function", running.cff_url)):
            status, headers, _ = request(url, "GET", f"/oauth_callback/oura?{query}")
            assert (status, running.invocations[front]) == (307, 1), front
            assert header_values(headers, "location") == [f"https://api.tryvital.io/v2/link/connect/oura?{query}"]


def test_each_shape_gets_its_routing_from_its_own_template_or_a_companion() -> None:
    rest = synthesized_fronts(load_stage("rest-attach"))
    assert [route.key for route in rest.rest_routes] == ["ANY /oauth_callback/{provider}"]
    assert "shape http_api" in rest.sources["http_api"] and "shape edge" in rest.sources["edge"]
    edge = synthesized_fronts(load_stage("edge"))
    assert edge.sources["edge"] == "stack JunctionCallbackRouter-edge, synthesized in-process"
    assert [(item.path_pattern, item.viewer_request) for item in edge.behaviours] == [
        ("/oauth_callback/*", True),
        ("*", False),
    ]
    production = synthesized_fronts(load_stage("production"))
    assert [route.key for route in production.http_routes] == [
        "ANY /oauth_callback/{provider}",
        "ANY /auth/strava/callback",
    ]
    assert all(rule.path_patterns == ("/oauth_callback/*", "/auth/strava/callback") for rule in production.alb_rules)
