"""The local gateway with the ``invoke`` fallback: the company's callback as a Lambda function.

A real request through the HTTP API and ALB fronts reaches the company function stand-in through
the local Lambda Invoke API (the router's own SigV4 client, ``AWS_ENDPOINT_URL_LAMBDA``), and the
event the stand-in gets is the one the front built. Without the router, the fronts invoke the
function themselves. A separate module from ``test_gateway.py``: one gateway runs per process, and
that module's runs the proxy fallback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from callback_router_app.stages import load_stage, parse_stage
from tests.e2e.conftest import LOCAL_JUNCTION
from tests.e2e.test_gateway import header_values, request
from tools.local_gateway import (
    LOCAL_FUNCTION_ARN,
    CompanyFunctionStandIn,
    LocalGateway,
    local_runtime_config,
    mint_link_token,
    start_gateway,
)

pytestmark = pytest.mark.e2e

STAND_IN = "Company callback function stand-in"
COMPANY_STATE = mint_link_token("https://auth.company.example/app")
"""JWT-shaped but not Junction's: the ALB's router rule takes it, the router hands it over."""


class FailingOnBoom:
    """The stand-in function, except that it raises for a path with ``/boom`` (a broken company function)."""

    def __init__(self) -> None:
        self.stand_in = CompanyFunctionStandIn()

    def __call__(self, event: Any, context: Any) -> Any:
        if "/boom" in json.dumps(event):
            raise RuntimeError("the company's function failed")
        return self.stand_in(event, context)


@pytest.fixture(scope="module")
def function() -> FailingOnBoom:
    return FailingOnBoom()


COMPANY_ARN = "arn:aws:lambda:eu-west-1:210987654321:function:company-callback:live"
"""The stage's own function: another region than the stand-in's default, and an alias."""


@pytest.fixture(scope="module")
def gateway(junction, function: FailingOnBoom) -> Iterator[LocalGateway]:
    stage = parse_stage(
        "e2e-invoke",
        {
            "environments": ["sandbox-us"],
            "extra_environments": {LOCAL_JUNCTION: f"{junction.url}/v2/link"},
            "fallback": {"mode": "invoke", "function_arn": COMPANY_ARN},
        },
    )
    running = start_gateway(stage, log_level="ERROR", emf=False, company_function=function)
    yield running
    running.stop()


def _recording(handler: Callable[[Any, Any], Any], built: list[Any]) -> Callable[[Any, Any], Any]:
    def record(event: Any, context: Any) -> Any:
        built.append(json.loads(json.dumps(event)))  # what the front built, before the router reads it
        return handler(event, context)

    return record


FRONTS = {"http_api": ("http_api_url", "http_api_handler"), "alb": ("alb_url", "alb_handler")}


@pytest.mark.parametrize("front", FRONTS)
def test_a_company_callback_reaches_the_function_through_the_lambda_api_with_the_front_event(
    front, gateway: LocalGateway, function: FailingOnBoom, monkeypatch: pytest.MonkeyPatch
):
    url_attribute, handler_attribute = FRONTS[front]
    built: list[Any] = []
    monkeypatch.setattr(gateway, handler_attribute, _recording(getattr(gateway, handler_attribute), built))
    assert gateway.lambda_service is not None
    invoked = len(gateway.lambda_service.invocations)
    target = f"/oauth_callback/fitbit?code=invoke-{front}&state={COMPANY_STATE}"

    status, headers, body = request(getattr(gateway, url_attribute), "GET", target, headers={"Cookie": "a=1; b=2"})

    assert status == 200
    assert header_values(headers, "X-Stand-In") == [STAND_IN]
    assert header_values(headers, "X-Stand-In-Target") == [target]
    assert header_values(headers, "Set-Cookie") == ["company_seen=1; Path=/", "company_theme=dark; Path=/; HttpOnly"]
    assert b"a=1; b=2" in body  # the page shows the cookies the function read from the event
    invocations = gateway.lambda_service.invocations[invoked:]
    assert [call.function for call in invocations] == [COMPANY_ARN]  # signed for eu-west-1, or it would be a 403
    assert json.loads(invocations[0].payload) == built[0] == function.stand_in.events[-1]
    if front == "alb":  # the router's target group has multi-value headers on: so the function's event too
        assert "multiValueHeaders" in built[0] and "headers" not in built[0]


@pytest.mark.parametrize("front", FRONTS)
def test_without_the_router_the_front_invokes_the_function_itself(
    front, gateway: LocalGateway, function: FailingOnBoom, junction
):
    url_attribute, _ = FRONTS[front]
    assert gateway.lambda_service is not None
    invoked = len(gateway.lambda_service.invocations)
    received = len(function.stand_in.events)
    target = f"/oauth_callback/fitbit?code=without-{front}&state={mint_link_token(f'{junction.url}/v2/link')}"
    gateway.without_router = True
    try:
        status, headers, _ = request(getattr(gateway, url_attribute), "GET", target)
    finally:
        gateway.without_router = False
    assert status == 200  # even a Junction callback: there is no router
    assert header_values(headers, "X-Stand-In-Target") == [target]
    assert len(function.stand_in.events) == received + 1
    assert len(gateway.lambda_service.invocations) == invoked  # the front's own invoke, not the router's
    event = function.stand_in.events[-1]
    assert ("multiValueHeaders" in event) == (front == "alb")


@pytest.mark.parametrize(
    ("front", "status", "body"),
    [("http_api", 502, b'{"message": "Internal server error"}'), ("alb", 502, b"502 Bad Gateway")],
)
@pytest.mark.parametrize("router", [True, False], ids=["with-router", "without-router"])
def test_a_failing_function_gets_the_front_own_502(front, status, body, router, gateway: LocalGateway):
    gateway.without_router = not router
    try:
        answer = request(getattr(gateway, FRONTS[front][0]), "GET", f"/oauth_callback/boom?state={COMPANY_STATE}")
    finally:
        gateway.without_router = False
    assert answer[0] == status
    assert body in answer[2]
    assert b"Traceback" not in answer[2] and b"failed" not in answer[2]


@pytest.mark.parametrize(
    "event",
    [
        None,
        "not an event",
        {"version": "2.0", "requestContext": {"http": {}}},
        {"httpMethod": "GET", "path": "/oauth_callback/fitbit", "multiValueHeaders": {"host": [5]}},
        {"httpMethod": "GET", "path": "/x", "body": "%%%", "isBase64Encoded": True, "requestContext": "elb"},
    ],
)
def test_the_function_stand_in_answers_an_unreadable_event_with_a_400(event):
    answer = CompanyFunctionStandIn()(event, None)
    assert answer["statusCode"] == 400
    json.dumps(answer)  # still an answer Lambda can carry


def test_fallback_choice_sets_the_router_fallback():
    sandbox = load_stage("sandbox")  # proxy to https://auth.example.com/oauth_callback/{provider}
    runtime, note = local_runtime_config(sandbox, "http://127.0.0.1:9", "invoke")
    assert runtime["fallback"] == {"mode": "invoke", "function_arn": LOCAL_FUNCTION_ARN}
    assert note is not None and "--fallback invoke" in note
    runtime, _ = local_runtime_config(sandbox, "http://127.0.0.1:9", "stage")
    assert runtime["fallback"]["url"] == "http://127.0.0.1:9/oauth_callback/{provider}"
    # A stage that names its function keeps it: the stand-in is registered under that ARN.
    arn = "arn:aws:lambda:eu-west-1:210987654321:function:company-callback:live"
    invoking = parse_stage(
        "invoking", {"environments": ["sandbox-us"], "fallback": {"mode": "invoke", "function_arn": arn}}
    )
    for choice in ("stage", "invoke"):
        runtime, _ = local_runtime_config(invoking, "http://127.0.0.1:9", choice)
        assert runtime["fallback"]["function_arn"] == arn
    runtime, _ = local_runtime_config(invoking, "http://127.0.0.1:9", "proxy")
    assert runtime["fallback"] == {"mode": "proxy", "url": "http://127.0.0.1:9/oauth_callback/{provider}"}
    rest = load_stage("rest-attach")  # redirect fallback: --fallback proxy keeps its path
    runtime, _ = local_runtime_config(rest, "http://127.0.0.1:9", "proxy")
    assert runtime["fallback"] == {"mode": "proxy", "url": "http://127.0.0.1:9/legacy/oauth_callback/{provider}"}
    with pytest.raises(ValueError, match="fallback must be one of"):
        local_runtime_config(sandbox, "http://127.0.0.1:9", "redirect")
