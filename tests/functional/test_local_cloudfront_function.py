"""The local CloudFront Function front, without sockets or Node: which behaviours run the function,
the request the generated code gets (CloudFront Functions' event shape), and what CloudFront does
with what the code returns. ``tests/e2e`` runs the real generated code through the gateway.
"""

from __future__ import annotations

from typing import Any

from tests.functional.test_local_fronts import (
    DISTRIBUTION_TEMPLATE,
    FUNCTION_DISTRIBUTION_TEMPLATE,
    HTTP_API_TEMPLATE,
    alb_template,
)
from tools.local_gateway import Behaviour, cloudfront, viewer_request_event
from tools.local_gateway.cloudfront_function import (
    INVALID_RESULT,
    UNHANDLED_EXCEPTION,
    function_outcome,
    function_request,
)
from tools.local_gateway.synthesized import fronts_from_templates

TARGET = "/oauth_callback/fitbit?code=a%20b&scope=x+y&state=s%2B1&scope=z&bare&empty="
HEADERS = [("Host", "example.test"), ("Cookie", "sid=1; theme=dark"), ("X-A", "1"), ("x-a", "2"), ("Cookie", "sid=2")]


def viewer(target: str = TARGET) -> dict[str, Any]:
    request: dict[str, Any] = viewer_request_event("GET", target, HEADERS, "192.0.2.1", "d")["Records"][0]["cf"][
        "request"
    ]
    return request


def test_each_cloudfront_front_reads_the_distribution_that_runs_its_kind_of_function() -> None:
    assert cloudfront.function_behaviours(FUNCTION_DISTRIBUTION_TEMPLATE) == (
        Behaviour("/oauth_callback/*", False, True),
        Behaviour("*", False, False),
    )
    assert cloudfront.edge_behaviours(FUNCTION_DISTRIBUTION_TEMPLATE) == ()
    assert cloudfront.function_behaviours(DISTRIBUTION_TEMPLATE) == ()
    assert cloudfront.edge_behaviours(DISTRIBUTION_TEMPLATE)[0] == Behaviour("/oauth_callback/*", True, False)


def test_a_cloudfront_function_stage_still_gets_a_lambda_edge_front_from_its_companion() -> None:
    # The stage's distribution runs a CloudFront Function and no Lambda@Edge: the Lambda@Edge front
    # must not take it (it would never invoke viewer_request_handler) but the edge companion.
    stage = {"Resources": {**FUNCTION_DISTRIBUTION_TEMPLATE["Resources"]}}
    companions = {"http_api": HTTP_API_TEMPLATE, "alb": alb_template(), "edge": DISTRIBUTION_TEMPLATE}
    fronts = fronts_from_templates({"stage": stage, **companions})
    assert fronts.sources["edge"] == "edge"
    assert fronts.sources["cloudfront_function"] == "stage"
    assert fronts.behaviours[0].viewer_request
    assert fronts.function_behaviours[0].viewer_function


def test_the_request_has_the_cloudfront_functions_shape() -> None:
    request = function_request("GET", TARGET, HEADERS, "rid")
    assert (request["method"], request["uri"], request["requestId"]) == ("GET", "/oauth_callback/fitbit", "rid")
    assert request["rawQueryString"] == TARGET.partition("?")[2]  # byte for byte, for rawQueryString()
    assert request["querystring"] == {
        "code": {"value": "a%20b"},  # as received, not decoded
        "scope": {"value": "x+y", "multiValue": [{"value": "x+y"}, {"value": "z"}]},
        "state": {"value": "s%2B1"},
        "bare": {"value": ""},
        "empty": {"value": ""},
    }
    assert request["headers"] == {
        "host": {"value": "example.test"},
        "x-a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]},
    }
    assert request["cookies"] == {
        "sid": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]},
        "theme": {"value": "dark"},
    }


def test_raw_query_string_is_undefined_without_a_question_mark_and_empty_for_a_bare_one() -> None:
    assert function_request("GET", "/cb", [], "r")["rawQueryString"] is None
    bare = function_request("GET", "/cb?", [], "r")
    assert (bare["rawQueryString"], bare["querystring"]) == ("", {})


def test_a_request_returned_unchanged_goes_to_the_origin_as_the_viewer_sent_it() -> None:
    original = viewer()
    assert function_outcome({"passedOn": True, "threw": None, "logs": []}, original) is original


def test_a_response_is_written_out() -> None:
    response = {
        "statusCode": 307,
        "statusDescription": "Temporary Redirect",
        "headers": {
            "location": {"value": "https://j.example/connect/fitbit?q"},
            "cache-control": {"value": "no-store"},
        },
    }
    assert function_outcome({"response": response, "threw": None}, viewer()) == (
        307,
        [("location", "https://j.example/connect/fitbit?q"), ("cache-control", "no-store")],
        b"",
        "Temporary Redirect",
    )
    text = {"statusCode": 400, "body": {"encoding": "text", "data": "bad provider"}, "cookies": {"a": {"value": "1"}}}
    answer = function_outcome({"response": text, "threw": None}, viewer())
    assert answer[:3] == (400, [("set-cookie", "a=1")], b"bad provider")  # type: ignore[index]


def test_what_cloudfront_refuses_is_a_502_and_an_exception_a_503() -> None:
    assert function_outcome({"threw": "TypeError", "logs": []}, viewer()) == UNHANDLED_EXCEPTION
    for returned in (None, 42, "text", {"statusCode": "not a number"}, {"nothing": 1}):
        assert function_outcome({"response": returned, "threw": None}, viewer()) == INVALID_RESULT, returned
    refused = {"statusCode": 307, "headers": {"via": {"value": "x"}}}
    assert function_outcome({"response": refused, "threw": None}, viewer())[0] == 502  # type: ignore[index]


def test_a_changed_request_goes_to_the_origin_as_changed() -> None:
    changed = {
        "method": "GET",
        "uri": "/elsewhere",
        "querystring": {"a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}, "flag": {"value": ""}},
        "headers": {"host": {"value": "example.test"}},
        "cookies": {"sid": {"value": "1"}},
    }
    assert function_outcome({"response": changed, "threw": None}, viewer()) == {
        "method": "GET",
        "uri": "/elsewhere",
        "querystring": "a=1&a=2&flag",
        "headers": {
            "host": [{"key": "host", "value": "example.test"}],
            "cookie": [{"key": "cookie", "value": "sid=1"}],
        },
    }
