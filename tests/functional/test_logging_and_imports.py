"""What the handlers print (one structured line and one metric per request, no secrets) and what
the viewer-request path imports."""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import Metrics

from callback_router.powertools_format import LeanJsonFormatter, LeanMetrics
from callback_router.warmup import WarmupContext, prime_handlers
from tests.events import load_event
from tests.functional.conftest import Router
from tests.functional.sources import ALL_SOURCES, HTTP_API, Source
from tests.functional.test_proxy_fallback import Upstream, upstream  # noqa: F401 -- the fixture
from tests.support.contexts import LambdaContext, context_source
from tests.support.fresh import run_cold
from tests.support.tokens import PRODUCTION_US, mint_token

ids = [source.name for source in ALL_SOURCES]
CODE = "c0de-value-9f8e7d6c5b4a"
COOKIE_SECRET = "s3cr3t-session-cookie"  # in every fixture's Cookie header / cookies list
REQUEST_IDS = {
    "http_api": "JKJaXmPLvHcESHA=",
    "function_url": "id-function-url-0001",
    "rest_api": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "alb_single": "Root=1-5c536348-3d683b8b04734faae651f476",
    "alb_multi": "Root=1-5c34e7d4-00ca239424b68028d4c56d68",
    "cloudfront": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
}


def requests(token: str, foreign: str) -> list[tuple[str, str, str]]:
    """(path, raw query, expected decision) for one of each kind of request."""
    return [
        ("/oauth_callback/fitbit", f"code={CODE}&state={token}&scope=weight", "JunctionRedirect"),
        ("/oauth_callback/fitbit", f"code={CODE}&state={foreign}", "ForeignEnvironment"),
        ("/oauth_callback/Fitbit", f"code={CODE}&state={token}", "InvalidProvider"),
        ("/oauth_callback/fitbit", f"code={CODE}&state=company-{CODE}", "NotJunction"),
        ("/elsewhere", f"code={CODE}&state={token}", "NotACallback"),
    ]


@pytest.mark.parametrize("source", ALL_SOURCES, ids=ids)
def test_one_structured_line_and_one_metric_per_request_without_secrets(router: Router, output, source: Source):
    token, foreign = mint_token(), mint_token(PRODUCTION_US)
    for path, query, decision in requests(token, foreign):
        source.send(router, path, query)
        out = output()
        [line] = out.routed
        assert line["decision"] == decision
        assert line["reason"]
        assert line["request_id"] == REQUEST_IDS[source.name]
        assert line["service"] == "junction-callback-router"
        if decision not in ("NotACallback", "InvalidProvider"):
            assert line["provider"] == "fitbit"
        if decision in ("JunctionRedirect", "ForeignEnvironment", "InvalidProvider"):
            assert line["environment"] in ("sandbox-us", "production-us")
        assert out.metric_names() == [decision]
        for secret in (CODE, token, foreign, COOKIE_SECRET, query):
            assert secret not in out.text, f"{decision}: {secret[:12]}... leaked into the logs"


def test_service_and_namespace_come_from_the_config(configure, output):
    router = configure({"environments": ["sandbox-us"], "service": "acme-router", "metrics_namespace": "Acme/Auth"})
    for source in ALL_SOURCES:
        source.send(router, raw_query="state=success")
        out = output()
        assert [line["service"] for line in out.routed] == ["acme-router"]
        [document] = out.metrics
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Acme/Auth"


EDGE_SCRIPT = """
import json, sys
from callback_router.handlers import viewer_request_handler

{context}
event = json.loads(sys.argv[1])
answer = viewer_request_handler(event, Context())
print(json.dumps({
    "status": answer.get("status"),
    "location": answer.get("headers", {}).get("location", [{}])[0].get("value"),
    "event_handler": "aws_lambda_powertools.event_handler" in sys.modules,
    "jwt": "jwt" in sys.modules,
}))
""".replace("{context}", context_source())


def test_viewer_request_path_imports_neither_the_event_handler_package_nor_pyjwt(monkeypatch, tmp_path: Path):
    event = load_event("cloudfront_viewer_request")
    token = mint_token()
    event["Records"][0]["cf"]["request"]["querystring"] = f"code=abc&state={token}"
    completed = run_cold(EDGE_SCRIPT, {"environments": ["sandbox-us"]}, json.dumps(event), cwd=tmp_path)
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["status"] == "307"  # the handler really ran and decided
    assert report["location"] == f"https://api.sandbox.tryvital.io/v2/link/connect/fitbit?code=abc&state={token}"
    assert report["event_handler"] is False
    assert report["jwt"] is False


API_IMPORTS_SCRIPT = """
import json, sys
from callback_router.handlers import api_handler

class Context:
    function_name = "router"; memory_limit_in_mb = 256; aws_request_id = "r-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:router:1"

answer = api_handler(json.loads(sys.argv[1]), Context())
watched = ("aws_lambda_powertools", "jwt", "ssl", "h11", "http.client")
print(json.dumps({"status": answer["statusCode"], "loaded": sorted(name for name in watched if name in sys.modules)}))
"""
COMPANY_URL = "https://company.example/callback/{provider}"
FALLBACK_MODULES = {
    "reject": ({"mode": "reject"}, []),
    "redirect": ({"mode": "redirect", "url": COMPANY_URL}, []),
    "proxy": ({"mode": "proxy", "url": COMPANY_URL}, ["h11", "ssl"]),
    "invoke": (
        {"mode": "invoke", "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:co"},
        ["http.client", "ssl"],
    ),
}


@pytest.mark.parametrize("mode", sorted(FALLBACK_MODULES))
def test_the_api_function_imports_only_what_its_fallback_uses(mode: str, tmp_path: Path) -> None:
    # Issue 15: no Powertools, no PyJWT on any front; a TLS context and an HTTP client only for the
    # fallbacks that leave the function, and only the one each uses.
    fallback, expected = FALLBACK_MODULES[mode]
    token = mint_token()
    event = HTTP_API.event("/oauth_callback/fitbit", f"code=abc&state={token}", "GET")
    config = {"environments": ["sandbox-us"], "fallback": fallback}
    completed = run_cold(API_IMPORTS_SCRIPT, config, json.dumps(event), cwd=tmp_path)
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["status"] == 307  # the handler really ran and decided
    assert report["loaded"] == expected


FIRST_CALL_SCRIPT = """
import io, json, sys
real_stdout = sys.stdout
sys.stdout = captured = io.StringIO()
from callback_router import handlers
handler = getattr(handlers, sys.argv[2])
at_init = set(sys.modules)
written_at_init = captured.getvalue()

{context}
answer = handler(json.loads(sys.argv[1]), Context())
real_stdout.write(json.dumps({
    "written_at_init": written_at_init,
    "lines": captured.getvalue().splitlines(),
    "loaded_by_first_event": sorted(set(sys.modules) - at_init),
    "jwt_at_init": "jwt" in at_init,
    "http_client_at_init": "http.client" in at_init,
}))
""".replace("{context}", context_source(aws_request_id="first-real-request"))


def first_call(handler: str, event: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """A fresh process (a cold start): import the handler, serve ``event``, report what happened."""
    config = {"environments": ["sandbox-us"], "fallback": {"mode": "reject"}}
    completed = run_cold(FIRST_CALL_SCRIPT, config, json.dumps(event), handler, cwd=tmp_path)
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


@pytest.mark.parametrize(
    ("handler", "source"),
    [("viewer_request_handler", "cloudfront"), ("http_api_handler", "http_api"), ("alb_handler", "alb_single")],
)
@pytest.mark.parametrize("first", ["junction", "company", "garbage"])
def test_init_does_the_work_and_the_first_real_call_is_still_the_cold_start(
    handler: str, source: str, first: str, tmp_path: Path
) -> None:
    # Lambda throttles invokes to the memory's CPU share but not init: whatever the first callback
    # needs is imported and warmed at init, silently, and the first real call still logs cold_start.
    state = {"junction": mint_token(), "company": f"company-{CODE}", "garbage": "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOi.Jp"}
    [chosen] = [candidate for candidate in ALL_SOURCES if candidate.name == source]
    event = chosen.event("/oauth_callback/fitbit", f"code={CODE}&state={state[first]}", "GET")
    report = first_call(handler, event, tmp_path)
    assert report["written_at_init"] == ""  # the warm-up's log lines and EMF documents go nowhere
    assert report["loaded_by_first_event"] == []
    assert report["jwt_at_init"] is False  # every front reads tokens with the lean reader
    lines = [json.loads(line) for line in report["lines"]]
    [routed] = [line for line in lines if line.get("message") == "callback routed"]
    assert routed["cold_start"] is True and routed["function_request_id"] == "first-real-request"
    documents = {
        metric["Name"]: line
        for line in lines
        if "_aws" in line
        for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    # one count for the decision; and ColdStart on this first real call, not at the warm-up
    expected = {routed["decision"], "ColdStart"}
    assert set(documents) == expected
    assert len([line for line in lines if "_aws" in line]) == len(expected)


TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
CONTEXT_KEYS = {
    "cold_start": True,
    "function_name": "us-east-1.router-edge",
    "function_memory_size": 128,
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:router-edge:3",
    "function_request_id": "c6af9ac6-7b61-11e6-9a41-93e812345678",
}


@pytest.mark.parametrize(
    "extra",
    [
        {
            "decision": "JunctionRedirect",
            "reason": "accepted_audience",
            "environment": "sandbox-us",
            "provider": "fitbit",
        },
        {"decision": "NotJunction", "reason": "no_token", "environment": None, "provider": None, "request_id": "r-1"},
        {"error_type": "KeyError", "error_at": "/var/task/callback_router/adapters/edge.py:52", "request_id": None},
        {},
    ],
)
@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING, logging.ERROR])
def test_the_edge_log_line_is_the_one_powertools_writes(extra: dict[str, Any], level: int, monkeypatch) -> None:
    # The edge writes its line without Powertools (issue 11: half of its init); the line must not change.
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE)
    ours, theirs = LeanJsonFormatter("junction-callback-router"), LambdaPowertoolsFormatter()
    theirs.append_keys(service="junction-callback-router")
    for formatter in (ours, theirs):
        formatter.append_keys(**CONTEXT_KEYS)
    record = logging.makeLogRecord(
        {
            "name": "router",
            "levelno": level,
            "levelname": logging.getLevelName(level),
            "msg": "callback routed",
            **extra,
        }
    )
    record.funcName, record.lineno = "record", 82
    assert json.loads(ours.format(record)) == json.loads(theirs.format(record))


def test_the_edge_emf_document_is_the_one_powertools_writes() -> None:
    ours, theirs = (
        LeanMetrics("Junction/CallbackRouter", "router"),
        Metrics(namespace="Junction/CallbackRouter", service="router"),
    )
    for metrics in (ours, theirs):
        for name in ("JunctionRedirect", "RouterError", "JunctionRedirect"):
            metrics.add_metric(name=name, unit="Count", value=1)
    documents = [dict(ours.serialize_metric_set()), dict(theirs.serialize_metric_set())]
    theirs.clear_metrics()
    stamps = [document["_aws"].pop("Timestamp") for document in documents]
    assert documents[0] == documents[1] and list(documents[0]) == list(documents[1])
    assert abs(stamps[0] - stamps[1]) < 60_000  # both epoch milliseconds


def test_the_edge_cold_start_document_is_the_one_powertools_writes(capsys, monkeypatch) -> None:
    # The dashboard charts ColdStart for the edge too: the lean writer must emit Powertools' document.
    monkeypatch.setattr("aws_lambda_powertools.metrics.provider.cold_start.is_cold_start", True)  # a new environment
    theirs = Metrics(namespace="Junction/CallbackRouter", service="router")
    context = WarmupContext()
    count = lambda event, context: theirs.add_metric(name="NotJunction", unit="Count", value=1)  # noqa: E731
    theirs.log_metrics(count, capture_cold_start_metric=True)({}, context)
    powertools_lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "ColdStart" in line]
    ours = LeanMetrics("Junction/CallbackRouter", "router").cold_start_document(context.function_name)
    [expected] = powertools_lines
    for document in (ours, expected):
        document["_aws"].pop("Timestamp")
    assert ours == expected


def test_edge_counts_one_cold_start_and_none_under_provisioned_concurrency() -> None:
    code = (
        "import json, sys, io, contextlib\n"
        "from callback_router.handlers import viewer_request_handler\n"
        "from tests.events import load_event\n"
        "from tests.support.contexts import LambdaContext as C\n"
        "for _ in range(2):\n"
        "    viewer_request_handler(load_event('cloudfront_viewer_request'), C())\n"
        "    print('--- next invocation', flush=True)\n"
    )
    root = Path(__file__).resolve().parents[2]
    results: dict[str, list[list[Any]]] = {}
    for initialization in ("on-demand", "provisioned-concurrency"):
        completed = subprocess.run(
            [sys.executable, "-c", code],
            env={
                "PYTHONPATH": f"{root / 'lambda'}:{root}",
                "CALLBACK_ROUTER_CONFIG": json.dumps({"environments": ["sandbox-us"]}),
                "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        calls = (completed.stdout + completed.stderr).split("--- next invocation")[:2]
        results[initialization] = []
        for call in calls:
            lines = [json.loads(line) for line in call.splitlines() if line.startswith("{")]
            cold = [line for line in lines if "ColdStart" in line]
            logged = [line["cold_start"] for line in lines if line.get("message") == "callback routed"]
            results[initialization].append([len(cold), logged])
    # The metric and the log line agree, after the init warm-up, in both kinds of environment.
    assert results["on-demand"] == [[1, [True]], [0, [False]]]
    assert results["provisioned-concurrency"] == [[0, [False]], [0, [False]]]


def test_edge_and_api_lines_carry_the_same_fields(router: Router, output) -> None:
    token = mint_token()
    lines = {}
    for source in ALL_SOURCES:
        if source.name in ("cloudfront", "http_api"):
            source.send(router, "/oauth_callback/fitbit", f"code={CODE}&state={token}")
            out = output()
            [lines[source.name]] = out.routed
            [document] = out.metrics
            assert document["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
                {"Name": "JunctionRedirect", "Unit": "Count"}
            ]
    assert set(lines["cloudfront"]) == set(lines["http_api"])
    for key in ("level", "message", "service", "decision", "reason", "environment", "provider"):
        assert lines["cloudfront"][key] == lines["http_api"][key]


@pytest.mark.parametrize("mode", ["reject", "redirect", "proxy"])
def test_the_warm_up_serves_every_handler_but_never_reaches_the_company_upstream(
    configure,
    upstream: Upstream,  # noqa: F811 -- the fixture imported above
    mode: str,
) -> None:
    fallback: dict[str, Any] = {"mode": mode}
    if mode != "reject":
        fallback["url"] = f"{upstream.url}/company/{{provider}}"
    router = configure({"environments": ["sandbox-us"], "fallback": fallback})  # import = init = warm-up
    assert upstream.received == []  # no network during init, whatever the fallback
    api = router.api
    handlers = {"http_api": api.http_api_handler, "rest_api": api.rest_api_handler, "alb": api.alb_handler}
    # A Junction redirect per handler always; an ordinary and a broken state too unless they would be proxied.
    assert prime_handlers(api.CONFIG, api.logger, handlers) == (3 if mode == "proxy" else 9)
    assert prime_handlers(
        router.edge.CONFIG, router.edge.logger, {"cloudfront": router.edge.viewer_request_handler}
    ) == (1 if mode == "proxy" else 3)
    assert upstream.received == []


def test_a_proxy_stage_builds_its_tls_context_at_init_once() -> None:
    # Built per request it cost 701 ms at 128 MB under the Lambda model (BENCHMARKS.md).
    code = (
        "import callback_router.api_handlers as handlers\n"
        "from callback_router.fallbacks.tls import tls_context\n"
        "before = tls_context.cache_info()\n"
        "tls_context()\n"
        "print(before.currsize, tls_context.cache_info().hits)\n"
    )
    config = '{"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": "https://auth.company.com/cb"}}'
    result = run_cold(code, config)
    assert result.stdout.split() == ["1", "1"]  # made during init; the request reuses it


def test_api_handlers_count_one_cold_start_for_the_dashboard(configure, output, monkeypatch):
    # Powertools' ColdStart (dimensions function_name and service) is what the dashboard charts;
    # the init warm-up must not use it up.
    for flag in ("is_cold_start", "is_cold_start_metric"):
        monkeypatch.setattr(f"callback_router.powertools_format.{flag}", True)  # a new execution environment
    router = configure({"environments": ["sandbox-us"], "service": "acme-router"})
    HTTP_API.send(router, raw_query="state=success")
    first = output()
    HTTP_API.send(router, raw_query="state=success")
    second = output()
    [document] = first.cold_starts
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert sorted(directive["Dimensions"][0]) == ["function_name", "service"]
    assert document["service"] == "acme-router"
    assert document["ColdStart"] in (1, [1])
    assert second.cold_starts == []


def test_a_handler_module_loaded_twice_logs_each_invocation_with_its_own_context(router: Router, output) -> None:
    # The local gateway loads api_handlers a second time from its file (the ALB front's config):
    # each module's lines must carry the Lambda context of the invocation that wrote them.
    spec = importlib.util.find_spec("callback_router.api_handlers")
    assert spec is not None and spec.loader is not None
    second = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(second)
    output()
    for module, request_id in ((second, "second-module"), (router.api, "first-module")):
        module.http_api_handler(HTTP_API.event(raw_query="state=own"), LambdaContext(aws_request_id=request_id))
        [routed] = output().routed
        assert routed["function_request_id"] == request_id
