"""The local gateway itself: events in, answers out, for both fronts, over real sockets.

What the browser tests do not exercise: request bodies (base64 in payload 2.0), repeated
``Set-Cookie`` on the way back, HEAD, API Gateway's own 404 for paths without a route,
CloudFront's refusal of disallowed headers, one gateway per process, and the command line
(ephemeral ports, the printed token and curl lines, SIGTERM).
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from callback_router_app.stages import load_stage
from tools.local_gateway import LocalGateway, generated_answer, http_api_event, mint_link_token, start_gateway

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def request(base: str, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    port = int(base.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def header_values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def front_url(gateway: LocalGateway, front: str) -> str:
    return {"http_api": gateway.http_api_url, "edge": gateway.edge_url, "cloudfront_function": gateway.cff_url}[front]


@pytest.mark.parametrize("front", ["http_api", "edge", "cloudfront_function"])
def test_binary_post_body_and_repeated_set_cookie_pass_through(front, gateway: LocalGateway):
    base = front_url(gateway, front)
    body = bytes(range(256))
    target = f"/oauth_callback/polar?code=post-{front}&state=own"
    status, headers, _ = request(base, "POST", target, body, {"Content-Type": "application/octet-stream"})
    assert status == 200
    received = [item for item in gateway.company.received() if item.target == target]
    assert len(received) == 1
    assert (received[0].method, received[0].body) == ("POST", body)
    assert header_values(headers, "Set-Cookie") == ["company_seen=1; Path=/", "company_theme=dark; Path=/; HttpOnly"]


@pytest.mark.parametrize("front", ["http_api", "edge", "cloudfront_function"])
def test_head_junction_callback_is_redirected(front, gateway: LocalGateway, junction):
    base = front_url(gateway, front)
    query = f"code=head&state={mint_link_token(f'{junction.url}/v2/link')}"
    status, headers, body = request(base, "HEAD", f"/oauth_callback/fitbit?{query}")
    assert (status, body) == (307, b"")
    assert header_values(headers, "Location") == [f"{junction.url}/v2/link/connect/fitbit?{query}"]
    assert header_values(headers, "Cache-Control") == ["no-store"]


def test_http_api_front_answers_unrouted_paths_like_api_gateway(gateway: LocalGateway):
    status, _, body = request(gateway.http_api_url, "GET", "/favicon.ico?state=x")
    assert (status, body) == (404, b'{"message":"Not Found"}')


def test_edge_front_passes_unrouted_paths_to_the_origin(gateway: LocalGateway):
    status, headers, _ = request(gateway.edge_url, "GET", "/account/settings?tab=2")
    assert status == 200
    assert header_values(headers, "X-Stand-In-Target") == ["/account/settings?tab=2"]


def test_http_api_event_carries_the_forwarded_headers_api_gateway_adds(gateway: LocalGateway):
    headers = [("Host", "id.execute-api.example"), ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "gopher")]
    event = http_api_event(
        gateway.fronts.http_routes, "GET", "/oauth_callback/fitbit?code=x", headers, b"", "127.0.0.1", 3000
    )
    assert event["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"  # the client appended
    assert event["headers"]["x-forwarded-proto"] == "http"  # what the listener speaks, not what was sent
    assert event["headers"]["x-forwarded-port"] == "3000"


@pytest.mark.parametrize("front", ["http_api", "edge", "alb"])
def test_without_router_every_front_hands_even_a_junction_callback_to_the_company(front, gateway, junction):
    base = {"http_api": gateway.http_api_url, "edge": gateway.edge_url, "alb": gateway.alb_url}[front]
    target = f"/oauth_callback/fitbit?code=without-{front}&state={mint_link_token(f'{junction.url}/v2/link')}"
    before = gateway.invocations[front]
    gateway.without_router = True
    try:
        status, headers, _ = request(base, "GET", target)
    finally:
        gateway.without_router = False
    assert status == 200
    assert header_values(headers, "X-Stand-In-Target") == [target]
    assert gateway.invocations[front] == before
    assert request(base, "GET", target)[0] == 307  # and the router is back


def test_cloudfront_refuses_disallowed_headers_in_generated_responses():
    status, _, _, _ = generated_answer({"status": "307", "headers": {"via": [{"key": "Via", "value": "x"}]}})
    assert status == 502
    status, headers, _, reason = generated_answer(
        {
            "status": "307",
            "statusDescription": "Temporary Redirect",
            "headers": {"location": [{"key": "Location", "value": "/x"}]},
        }
    )
    assert (status, headers, reason) == (307, [("Location", "/x")], "Temporary Redirect")


def test_one_gateway_per_process(gateway: LocalGateway):
    with pytest.raises(RuntimeError, match="already running"):
        start_gateway(load_stage("sandbox"))


@pytest.mark.parametrize("fallback", ["stage", "invoke"])
def test_command_line_prints_token_and_curls_and_stops_on_sigterm(fallback):
    # With --fallback invoke the company's callbacks on the HTTP API and ALB fronts reach the
    # company function stand-in (through the router's invoke, or the ALB's default action).
    company = {"stage": "Company callback stand-in", "invoke": "Company callback function stand-in"}[fallback]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(path) for path in (ROOT / "lambda", ROOT / "infra", ROOT)),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.local_gateway",
            "--stage",
            "sandbox",
            "--port",
            "0",
            "--edge-port",
            "0",
            "--alb-port",
            "0",
            "--cff-port",
            "0",
            "--fallback",
            fallback,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # bounded: the banner ends with this line
            lines.append(line)
            if "Ctrl-C stops everything" in line or len(lines) > 100:
                break
        banner = "".join(lines)
        curls = re.findall(r"curl -i (?:-H '[^']*' )?'(http://127\.0\.0\.1:\d+[^']*)'", banner)
        assert len(curls) == 9, banner  # per front: Junction and company callbacks; plus the ALB no-loop one
        # The HTTP API front's pair, the CloudFront Function front's (CloudFront has no fallback: its
        # origin is the HTTP stand-in), the ALB front's pair, and the ALB front's JWT-shaped company state.
        pairs = ((curls[0], curls[1], company), (curls[4], curls[5], "Company callback stand-in"))
        for junction_url, own_url, own_company in (*pairs, (curls[6], curls[7], company)):
            base, target = junction_url.split("/oauth_callback", 1)
            status, headers, _ = request(base, "GET", "/oauth_callback" + target)
            assert status == 307
            assert header_values(headers, "Location")[0].startswith(
                "https://api.sandbox.tryvital.io/v2/link/connect/fitbit?"
            )
            base, target = own_url.split("/oauth_callback", 1)
            status, headers, _ = request(
                base, "GET", "/oauth_callback" + target, headers={"Cookie": "company_session=abc"}
            )
            assert status == 200
            assert header_values(headers, "X-Stand-In-Target") == ["/oauth_callback" + target]
            assert header_values(headers, "X-Stand-In") == [own_company]
        base, target = curls[8].split("/oauth_callback", 1)
        status, headers, _ = request(base, "GET", "/oauth_callback" + target)
        assert status == 200
        assert header_values(headers, "X-Stand-In-Target") == ["/oauth_callback" + target]
        assert header_values(headers, "X-Stand-In") == [company]
        assert ("Lambda Invoke API" in banner) == (fallback == "invoke")
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "local gateway stopped" in rest


@pytest.mark.parametrize(
    "target",
    [
        "/oauth_callback/fitbit?state=%ZZ&state=eyJ.eyJ.x&=&&=x&code",
        "/oauth_callback/fitbit?",
        "/oauth_callback/%00..%2F?state=" + "eyJ" * 2000,
        "/oauth_callback/fitbit?state=%E2%9C%93&constructor=1&__proto__=x&hasOwnProperty=2",
    ],
)
def test_hostile_requests_on_the_cloudfront_function_front_reach_the_origin(target, gateway: LocalGateway):
    # Whatever the query, cookies and headers hold, the function passes the request on: no 5xx.
    invoked = gateway.invocations["cloudfront_function"]
    headers = {"Cookie": ";;=;__proto__=1; a", "X-Weird": "é\tx", "Constructor": "y"}
    status, answer, _ = request(gateway.cff_url, "GET", target, headers=headers)
    assert status == 200
    # A bare '?' is not kept, as on the Lambda@Edge front: the origin request is rebuilt from parts.
    assert header_values(answer, "X-Stand-In-Target") == [target.removesuffix("?")]
    assert gateway.invocations["cloudfront_function"] == invoked + 1
