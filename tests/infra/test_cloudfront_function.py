"""The CloudFront Function and the Python core: one set of vectors, one set of answers.

``tests/vectors/callback_decisions.json`` (written by ``tests/vectors/build.py``, expectations by
hand) is run against the Python core (``decide`` and the Lambda@Edge adapter's answer) and against
the generated JavaScript in Node (``tools/cloudfront_function_runner.cjs``: a ``vm`` context with
only the CloudFront runtime's globals, a request with ``rawQueryString()``). A hypothesis test then
sends thousands of generated requests to both, in batches to one Node process, and asserts the
same decision, reason, status, ``Location`` and log fields.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callback_router.adapters.edge import response_for
from callback_router.core.config import TEAM_ID, RouterConfig, parse_config
from callback_router.core.decision import Outcome, decide
from callback_router.core.link_token import read_claims_lean
from callback_router.core.routes import is_valid_slug, match_routes
from callback_router.core.uri import query_values
from junction_callback_router.cloudfront_function import MAX_CODE_BYTES, code_problem, code_size, function_code
from tests.support.tokens import PRODUCTION_US, SANDBOX_EU, SANDBOX_US, SANDBOX_US_JUNCTION, mint_token
from tests.vectors.build import CONFIGS, TEAM, VECTORS, raw_token, render
from tools.cloudfront_function import NodeFunctionRunner

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tools" / "cloudfront_function_lint.cjs"
VECTOR_FILE = json.loads(VECTORS.read_text(encoding="utf-8"))
PARSED = {name: parse_config(document) for name, document in VECTOR_FILE["configs"].items()}
CODE = {name: function_code(config) for name, config in PARSED.items()}


@pytest.fixture(scope="module")
def node() -> Iterator[NodeFunctionRunner]:
    with NodeFunctionRunner() as runner:
        yield runner


def python_answer(config: RouterConfig, request: dict[str, Any]) -> dict[str, Any]:
    """What the Python router answers: the core's decision, the Lambda@Edge adapter's answer."""
    raw = request["rawQueryString"] or ""
    decision = decide(
        config,
        method=request["method"],
        provider=match_routes(config.routes, request["uri"]),
        state_values=query_values(raw, "state"),
        raw_query=raw,
        read_claims=read_claims_lean,
    )
    answer: dict[str, Any] = dict(response_for(decision, {"uri": request["uri"]}))
    status = int(answer["status"]) if "status" in answer else None
    logged = {"decision": decision.outcome.value, "reason": decision.reason}
    if decision.environment:
        logged["environment"] = decision.environment
    if decision.provider and is_valid_slug(decision.provider):
        logged["provider"] = decision.provider
    if decision.outcome is Outcome.FOREIGN_TEAM and decision.team and TEAM_ID.fullmatch(decision.team):
        logged["team_id"] = decision.team
    return {
        "decision": decision.outcome.value,
        "reason": decision.reason,
        "status": status,
        "location": decision.location if status == 307 else None,
        "log": logged,
    }


def node_answer(result: dict[str, Any]) -> dict[str, Any]:
    """The same facts from the runner's result for one request."""
    assert result["threw"] is None, result
    [line] = [json.loads(text) for text in result["logs"]]
    response = result.get("response")
    status = response["statusCode"] if response else None
    logged = {key: line[key] for key in ("decision", "reason", "environment", "provider", "team_id") if key in line}
    return {
        "decision": line["decision"],
        "reason": line["reason"],
        "status": status,
        "location": response["headers"]["location"]["value"] if response and status == 307 else None,
        "log": logged,
    }


def without_log(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "log"}


# ---------------------------------------------------------------- the shared vectors


def test_the_vector_file_is_what_its_builder_writes() -> None:
    assert VECTORS.read_text(encoding="utf-8") == render(), "run: python -m tests.vectors.build"


@pytest.mark.parametrize("case", VECTOR_FILE["cases"], ids=lambda case: case["name"])
def test_the_python_core_answers_each_vector(case: dict[str, Any]) -> None:
    assert without_log(python_answer(PARSED[case["config"]], case)) == case["expect"]


def test_the_cloudfront_function_answers_every_vector(node: NodeFunctionRunner) -> None:
    wrong = {}
    for name, code in CODE.items():
        cases = [case for case in VECTOR_FILE["cases"] if case["config"] == name]
        results = node.evaluate(code, cases)["results"]
        for case, result in zip(cases, results, strict=True):
            answer = without_log(node_answer(result))
            if answer != case["expect"]:
                wrong[case["name"]] = answer
    assert wrong == {}


def test_a_redirect_carries_the_python_answer_headers(node: NodeFunctionRunner) -> None:
    [case] = [case for case in VECTOR_FILE["cases"] if case["name"] == "redirect"]
    [result] = node.evaluate(CODE["sandbox"], [case])["results"]
    assert result["response"] == {
        "statusCode": 307,
        "statusDescription": "Temporary Redirect",
        "headers": {
            "location": {"value": case["expect"]["location"]},
            "cache-control": {"value": "no-store"},
            "referrer-policy": {"value": "no-referrer"},
        },
    }


def test_an_invalid_provider_gets_the_lambda_edge_400(node: NodeFunctionRunner) -> None:
    [case] = [case for case in VECTOR_FILE["cases"] if case["name"] == "provider not a slug"]
    [result] = node.evaluate(CODE["sandbox"], [case])["results"]
    python: dict[str, Any] = dict(
        response_for(
            decide(
                PARSED["sandbox"],
                method="GET",
                provider="Fitbit",
                state_values=[mint_token()],
                raw_query="",
                read_claims=read_claims_lean,
            ),
            {},
        )
    )
    assert result["response"]["statusCode"] == int(python["status"])
    assert result["response"]["body"] == {"encoding": "text", "data": python["body"]}
    assert {name: header["value"] for name, header in result["response"]["headers"].items()} == {
        header["key"].lower(): header["value"] for [header] in python["headers"].values()
    }


def test_the_log_line_never_holds_code_state_or_token(node: NodeFunctionRunner) -> None:
    cases = [case for case in VECTOR_FILE["cases"] if case["config"] == "sandbox"]
    for case, result in zip(cases, node.evaluate(CODE["sandbox"], cases)["results"], strict=True):
        [text] = result["logs"]
        for secret in ("abc123", "company-state-42", mint_token().split(".")[1]):
            assert secret not in text, (case["name"], text)
        assert set(json.loads(text)) <= {"level", "message", "service", "decision", "reason", "environment"} | {
            "provider",
            "request_id",
            "team_id",
        }


# ---------------------------------------------------------------- failing open, the console's test tool


def test_an_exception_inside_the_function_passes_the_request_on(node: NodeFunctionRunner) -> None:
    request = {"method": "GET", "uri": "/oauth_callback/fitbit", "rawQueryString": "", "throwIn": "rawQueryString"}
    [result] = node.evaluate(CODE["sandbox"], [request])["results"]
    assert result["threw"] is None  # CloudFront would have answered the viewer 503
    assert result.get("passedOn") is True
    [line] = [json.loads(text) for text in result["logs"]]
    assert line == {
        "level": "ERROR",
        "message": "routing failed; passing the request on",
        "service": "junction-callback-router",
        "error_type": "TypeError",
    }


def test_hostile_request_objects_pass_on_rather_than_throw(node: NodeFunctionRunner) -> None:
    requests: list[dict[str, Any]] = [
        {"method": None, "uri": "/oauth_callback/fitbit", "rawQueryString": f"state={mint_token()}"},
        {"method": "GET", "uri": None, "rawQueryString": f"state={mint_token()}"},
        {"method": "GET", "uri": "/oauth_callback/fitbit", "rawQueryString": f"state={mint_token()}&x=\ud800"},
    ]
    for result in node.evaluate(CODE["sandbox"], requests)["results"]:
        assert result["threw"] is None
        assert result.get("passedOn") is True, result


def test_without_raw_query_string_the_parsed_query_is_written_back(node: NodeFunctionRunner) -> None:
    token = mint_token()
    request = {
        "method": "GET",
        "uri": "/oauth_callback/fitbit",
        "withoutRawQueryString": True,
        "querystring": {
            "code": {"value": "a%20b"},
            "state": {"value": token},
            "scope": {"value": "x", "multiValue": [{"value": "x"}, {"value": "y"}]},
        },
    }
    [result] = node.evaluate(CODE["sandbox"], [request])["results"]
    location = result["response"]["headers"]["location"]["value"]
    assert location == f"{SANDBOX_US}/connect/fitbit?code=a%20b&state={token}&scope=x&scope=y"


# ---------------------------------------------------------------- the generated code


def largest_sensible_config() -> RouterConfig:
    return parse_config(
        {
            "environments": ["production-us", "production-eu", "sandbox-us", "sandbox-eu"],
            "allow_mixed_environments": True,
            "extra_environments": {
                f"staging-{i}": f"https://junction-stand-in-{i}.example.com/v2/link" for i in range(2)
            },
            "providers": [
                *("fitbit", "garmin", "google_fit", "google_health", "oura", "strava", "wahoo", "withings"),
                *("dexcom_v3", "whoop_v2", "polar", "cronometer", "omron", "ultrahuman", "my_fitness_pal_v2"),
                *("map_my_fitness", "ihealth", "runkeeper"),
            ],
            "routes": [
                {"path": "/oauth_callback/{provider}"},
                {"path": "/v1/oauth/{provider}/callback"},
                *({"path": f"/auth/{slug}/callback", "provider": slug} for slug in ("strava", "fitbit", "oura")),
            ],
            "teams": [str(uuid.UUID(int=i)) for i in range(10)],
            "service": "s" * 64,
        }
    )


def test_the_largest_sensible_config_fits_in_10_kb() -> None:
    code = function_code(largest_sensible_config())
    assert code_size(code) <= MAX_CODE_BYTES
    assert code_problem(code) is None


def test_code_over_10_kb_is_refused_in_words() -> None:
    problem = code_problem("x" * (MAX_CODE_BYTES + 1))
    assert problem is not None
    assert "10240-byte limit" in problem and "EdgeCallbackRouter" in problem


def test_the_code_is_deterministic() -> None:
    config = largest_sensible_config()
    assert function_code(config) == function_code(config)
    assert function_code(PARSED["strict"]) == function_code(parse_config(CONFIGS["strict"]))


@pytest.mark.parametrize("config", ["sandbox", "strict", "largest"])
def test_the_code_uses_only_runtime_2_syntax_and_globals(config: str) -> None:
    code = function_code(largest_sensible_config()) if config == "largest" else CODE[config]
    lint = subprocess.run(["node", str(LINT)], input=code, capture_output=True, text=True, check=False, timeout=60)
    assert (lint.returncode, lint.stdout) == (0, "")


@pytest.mark.parametrize(
    "snippet",
    [
        "handler(require('fs'))",
        "handler(process.env)",
        "setTimeout(handler, 1)",
        "class A {}",
        "for (const x of []) {}",
    ],
)
def test_the_lint_refuses_what_the_runtime_lacks(snippet: str) -> None:
    code = f"function handler(event) {{ return event.request; }}\n{snippet}\n"
    lint = subprocess.run(["node", str(LINT)], input=code, capture_output=True, text=True, check=False, timeout=60)
    assert lint.returncode == 1 and lint.stdout


# ---------------------------------------------------------------- differential: generated requests

TOKENS = [
    mint_token(),
    mint_token(SANDBOX_US_JUNCTION),
    mint_token(PRODUCTION_US, team_id=TEAM),
    mint_token(PRODUCTION_US),
    mint_token(SANDBOX_EU),
    mint_token([PRODUCTION_US, SANDBOX_US], team_id=TEAM),
    mint_token(SANDBOX_US, team_id=None),
    mint_token(7),
]
HEADERS = [b'{"alg":"HS256"}', b'{"kid":1}', b'{"crit":["b64"],"b64":true}', b'{"b64":false}', b"[1]", b'{"a":NaN}']
CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "aud": st.one_of(
            st.sampled_from([SANDBOX_US, PRODUCTION_US, SANDBOX_EU, SANDBOX_US_JUNCTION, "x", "constructor"]),
            st.lists(st.sampled_from([SANDBOX_US, PRODUCTION_US, "x"]), max_size=3),
            st.integers(),
        ),
        "team_id": st.one_of(st.sampled_from([TEAM, "team-1", "bad team"]), st.none(), st.integers()),
    },
)
CRAFTED = st.tuples(
    st.sampled_from(HEADERS),
    st.one_of(CLAIMS.map(lambda claims: json.dumps(claims).encode()), st.binary(max_size=40)),
    st.binary(max_size=8),
).map(lambda parts: raw_token(*parts))
MUTATED = st.tuples(st.sampled_from(TOKENS), st.integers(0, 400), st.sampled_from("AaQ_-.=+%/ ")).map(
    lambda mutation: mutation[0][: mutation[1]] + mutation[2] + mutation[0][mutation[1] + 1 :]
)


def _last_character(token: str, segment: int, character: str) -> str:
    parts = token.split(".")
    parts[segment] = parts[segment][:-1] + character
    return ".".join(parts)


LAST_CHARACTER = st.tuples(st.sampled_from(TOKENS), st.integers(0, 2), st.sampled_from("AEIJQRgw048_-")).map(
    lambda change: _last_character(*change)
)
VALUE_TEXT = st.lists(
    st.sampled_from([*'aeyJ.%2B3D+=#é😀 "<>\\', "%65", "%zz", "%C3", "%A9", "%F0%9F", "%ED%A0%80"]), max_size=12
).map("".join)
TOKENISH = st.one_of(st.sampled_from(TOKENS), CRAFTED, MUTATED, LAST_CHARACTER)
VALUES = st.one_of(TOKENISH, VALUE_TEXT)
KEYS = st.sampled_from(["state", "st%61te", "%73tate", "State", "state+", "code", "scope", ""])
PARTS = st.one_of(st.tuples(KEYS, VALUES).map("=".join), KEYS, st.just(""))
ONE_TOKEN = st.tuples(st.lists(PARTS, max_size=2), TOKENISH, st.lists(PARTS, max_size=2)).map(
    lambda query: "&".join([*query[0], f"state={query[1]}", *query[2]])
)
QUERIES = st.one_of(st.none(), ONE_TOKEN, st.lists(PARTS, max_size=4).map("&".join), ONE_TOKEN)
PATH_TEXT = st.text(alphabet=st.sampled_from(list("/afitbo_v2.()+*%0A\n é~-")), max_size=12)
ROUTED = st.sampled_from(["/oauth_callback/fitbit", "/oauth_callback/oura", "/auth/strava.v2/callback"])
URIS = st.one_of(
    ROUTED,
    ROUTED,
    st.sampled_from(["/oauth_callback/fitbit", "/oauth_callback/oura", "/auth/strava.v2/callback", "/v1/oura/cb"]),
    PATH_TEXT.map(lambda tail: "/oauth_callback/" + tail),
    PATH_TEXT.map(lambda tail: "/v1/" + tail + "/cb"),
)
REQUESTS = st.fixed_dictionaries(
    {
        "config": st.sampled_from(sorted(CONFIGS)),
        "method": st.sampled_from(["GET", "GET", "HEAD", "get", "POST", "OPTIONS"]),
        "uri": URIS,
        "rawQueryString": QUERIES,
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(REQUESTS, min_size=50, max_size=100))
def test_both_routers_answer_generated_requests_alike(node: NodeFunctionRunner, batch: list[dict[str, Any]]) -> None:
    for name, code in CODE.items():
        requests = [request for request in batch if request["config"] == name]
        results = node.evaluate(code, requests)["results"]
        for request, result in zip(requests, results, strict=True):
            assert node_answer(result) == python_answer(PARSED[name], request), request
