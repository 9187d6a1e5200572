"""Every stage in cdk.json runs on the local gateway (``make run STAGE=...``), edge shapes included."""

from __future__ import annotations

import pytest

from callback_router_app.stages import load_stage
from tests.e2e.test_gateway import header_values, request
from tools.local_gateway import mint_link_token, start_gateway

pytestmark = pytest.mark.e2e


CDK_STAGES = ["sandbox", "production", "rest-attach", "http-attach", "edge", "edge-attach"]


@pytest.mark.parametrize("name", CDK_STAGES)
def test_every_cdk_stage_runs_locally(name):
    """`make run STAGE=<any stage>`: every front answers; the fallback is local, mode and path kept."""
    stage = load_stage(name)
    with start_gateway(stage, log_level="ERROR", emf=False) as running:
        router = running.router
        audience = next(iter(router.accepted_base_urls))
        query = f"code=1&state={mint_link_token(audience)}"
        own = "code=2&state=own"
        for route in router.routes:
            provider = route.provider or "polar"
            path = route.path.replace("{provider}", provider)
            for base in (running.http_api_url, running.edge_url, running.alb_url):
                status, headers, _ = request(base, "GET", f"{path}?{query}")
                assert (status, header_values(headers, "Location")) == (307, [f"{audience}/connect/{provider}?{query}"])
            for base in (running.edge_url, running.alb_url):  # origin / the ALB's default action
                status, headers, _ = request(base, "GET", f"{path}?{own}")
                assert (status, header_values(headers, "X-Stand-In-Target")) == (200, [f"{path}?{own}"])
            # ALB: a JWT-shaped company state takes the function's proxy fallback back into the ALB
            # (the stage fallback's path) and the bypass rule, whatever the stage's fallback mode.
            company_jwt = f"code=3&state={mint_link_token('https://auth.company.example/app')}"
            alb_path = running.alb_runtime["fallback"]["url"].split("://", 1)[1].partition("/")[2]
            status, headers, _ = request(running.alb_url, "GET", f"{path}?{company_jwt}")
            expected_target = f"/{alb_path.replace('{provider}', provider)}?{company_jwt}"
            assert (status, header_values(headers, "X-Stand-In-Target")) == (200, [expected_target])
            status, headers, _ = request(running.http_api_url, "GET", f"{path}?{own}")
            mode = router.fallback.mode
            assert status == {"proxy": 200, "redirect": 307, "reject": 404}[mode]
            if mode != "reject":
                original = stage.router.fallback.url if stage.router.fallback.url else "/oauth_callback/{provider}"
                local_path = original.split("://", 1)[-1].partition("/")[2].replace("{provider}", provider)
                expected = f"/{local_path}?{own}"
                if mode == "proxy":
                    assert header_values(headers, "X-Stand-In-Target") == [expected]
                else:
                    assert header_values(headers, "Location") == [f"{running.company_url}{expected}"]
        # It says what it changed (nothing to change for a reject fallback), and what the ALB front does.
        assert len(running.notes) == 1 + (router.fallback.mode != "reject")
        assert running.notes[-1].startswith("ALB front: ")
