"""The deployment dashboard names every router metric; edge sections and alarms sit in their regions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from callback_router.core.decision import Outcome
from callback_router.observability import CONFIG_ERROR_METRIC, ROUTER_ERROR_METRIC, UPSTREAM_ERROR_METRIC
from junction_callback_router.alarms import alarm_descriptions
from junction_callback_router.monitoring import (
    DEFAULT_EDGE_REGIONS,
    add_edge_alarm_stacks,
    add_edge_region_alarms,
    add_router_dashboard,
)

ACCOUNT = "111111111111"
SERVICE = "router-test"
NAMESPACE = "RouterTestNS"
ROUTER_METRICS = [outcome.value for outcome in Outcome] + [ROUTER_ERROR_METRIC, CONFIG_ERROR_METRIC]
"""Every count the router emits at the edge and behind an API (observability.py, Outcome)."""


def _function(stack: Stack) -> lambda_.Function:
    return lambda_.Function(
        stack,
        "Router",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )


def _stack(app: App, name: str, region: str = "us-east-1") -> Stack:
    return Stack(app, name, env=Environment(account=ACCOUNT, region=region))


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    """Every stack of these tests in one app, synthesized once (synth is the slow part)."""
    app = App()
    api = _stack(app, "Api")
    http_api = apigwv2.HttpApi(api, "HttpApi")
    add_router_dashboard(
        api,
        "Dashboard",
        function=_function(api),
        service=SERVICE,
        metrics_namespace=NAMESPACE,
        http_api=http_api,
        rest_api_name="company-api",
        rest_api_stage="prod",
    )
    edge = _stack(app, "Edge")
    add_router_dashboard(
        edge,
        "Dashboard",
        function=_function(edge),
        service=SERVICE,
        metrics_namespace=NAMESPACE,
        dashboard_name="router-edge-prod",
        edge=True,
    )
    few = _stack(app, "EdgeFew")
    add_router_dashboard(
        few,
        "Dashboard",
        function=_function(few),
        service=SERVICE,
        metrics_namespace=NAMESPACE,
        edge=True,
        edge_regions=["us-east-1", "me-central-1", "eu-west-1", "me-central-1"],
    )
    alarms = _stack(app, "AlarmsEuWest1", region="eu-west-1")
    add_edge_region_alarms(
        alarms,
        "EdgeAlarms",
        service=SERVICE,
        metrics_namespace=NAMESPACE,
        stage_name="edge",
        edge_function_name="JunctionCallbackRouter-edge",
        alarm_topic_arn=f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall",
    )
    bare = _stack(app, "AlarmsApSouth1", region="ap-south-1")
    add_edge_region_alarms(bare, "EdgeAlarms", service=SERVICE, metrics_namespace=NAMESPACE, stage_name="edge")
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def _dashboard(template: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The one dashboard's name and widgets, with CloudFormation references written as ``<Ref>``."""
    (dashboard,) = Template.from_json(template).find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = "".join(part if isinstance(part, str) else "<Ref>" for part in parts)
    return dashboard["Properties"]["DashboardName"], json.loads(body)["widgets"]


def _metric_lines(widgets: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """(widget title, metric line) for every metric of every graph."""
    return [
        (widget["properties"].get("title", ""), line)
        for widget in widgets
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
    ]


def test_api_dashboard_names_every_router_metric_with_namespace_and_service(
    templates: dict[str, dict[str, Any]],
) -> None:
    name, widgets = _dashboard(templates["Api"])
    assert name == "Api-Dashboard"
    router_lines = [line for _, line in _metric_lines(widgets) if line[0] == NAMESPACE]
    found = {line[1] for line in router_lines if line[2:4] == ["service", SERVICE]}
    assert found >= {*ROUTER_METRICS, UPSTREAM_ERROR_METRIC}


def test_api_dashboard_has_duration_percentiles_errors_throttles_and_cold_starts(
    templates: dict[str, dict[str, Any]],
) -> None:
    _, widgets = _dashboard(templates["Api"])
    lines = [line for _, line in _metric_lines(widgets)]
    lambda_stats = {(line[1], line[-1].get("stat")) for line in lines if line[0] == "AWS/Lambda"}
    assert {("Duration", "p50"), ("Duration", "p99"), ("Errors", "Sum"), ("Throttles", "Sum")} <= lambda_stats
    (cold,) = [line for line in lines if line[:2] == [NAMESPACE, "ColdStart"]]
    assert cold[2:6] == ["function_name", "<Ref>", "service", SERVICE]  # Powertools' two dimensions


def test_api_dashboard_shows_the_http_api_and_the_rest_api_by_name_and_stage(
    templates: dict[str, dict[str, Any]],
) -> None:
    _, widgets = _dashboard(templates["Api"])
    api_lines = [line for _, line in _metric_lines(widgets) if line[0] == "AWS/ApiGateway"]
    http = [line for line in api_lines if line[2] == "ApiId"]
    assert {"5xx", "4xx"} <= {line[1] for line in http}
    assert all(line[2:6] == ["ApiId", "<Ref>", "Stage", "$default"] for line in http)
    rest = [line for line in api_lines if line[2] == "ApiName"]
    assert {line[1] for line in rest} == {"Count", "4XXError", "5XXError", "Latency"}
    assert all(line[2:6] == ["ApiName", "company-api", "Stage", "prod"] for line in rest)


def test_edge_dashboard_has_a_section_per_default_region_with_every_metric_in_that_region(
    templates: dict[str, dict[str, Any]],
) -> None:
    name, widgets = _dashboard(templates["Edge"])
    assert name == "router-edge-prod"
    headers = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert [h for h in headers if "Lambda@Edge" in h] == [f"### Lambda@Edge in {r}" for r in DEFAULT_EDGE_REGIONS]
    lines = _metric_lines(widgets)
    for region in DEFAULT_EDGE_REGIONS:
        here = [line for title, line in lines if title.endswith(f"({region})")]
        # CDK leaves the stack's own region (us-east-1) out of a search expression.
        assert all(line[-1].get("region", "us-east-1") == region for line in here)
        router = {line[1] for line in here if line[0] == NAMESPACE}
        assert router >= set(ROUTER_METRICS)
        (cold,) = [line[-1]["expression"] for line in here if "expression" in line[-1]]
        query = f'{{{NAMESPACE},function_name,service}} MetricName="ColdStart" service="{SERVICE}"'
        assert cold == f"SEARCH('{query}', 'Sum', 300)"
        assert UPSTREAM_ERROR_METRIC not in router  # no proxy fallback at the edge
        replica = {(line[1], line[-1]["stat"]) for line in here if line[0] == "AWS/Lambda"}
        assert replica == {("Errors", "Sum"), ("Throttles", "Sum"), ("Duration", "p50"), ("Duration", "p99")}
    assert len([line for _, line in lines]) == len([line for title, line in lines if re.search(r"\(\S+\)$", title)])


def test_edge_metrics_use_the_replica_name_us_east_1_dot_function(templates: dict[str, dict[str, Any]]) -> None:
    _, widgets = _dashboard(templates["Edge"])
    lines = [line for _, line in _metric_lines(widgets)]
    assert {line[3] for line in lines if line[0] == "AWS/Lambda"} == {"us-east-1.<Ref>"}


def test_edge_regions_setting_replaces_the_default_in_order_without_duplicates(
    templates: dict[str, dict[str, Any]],
) -> None:
    _, widgets = _dashboard(templates["EdgeFew"])
    headers = [
        w["properties"]["markdown"] for w in widgets if w["type"] == "text" and "@Edge" in w["properties"]["markdown"]
    ]
    assert headers == [f"### Lambda@Edge in {r}" for r in ("us-east-1", "me-central-1", "eu-west-1")]
    regions = {line[-1].get("region", "us-east-1") for _, line in _metric_lines(widgets)}
    assert regions == {"us-east-1", "me-central-1", "eu-west-1"}


def test_edge_region_alarms_live_in_their_region_and_notify_the_topic(templates: dict[str, dict[str, Any]]) -> None:
    template = Template.from_json(templates["AlarmsEuWest1"])
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    by_metric = {alarm["Properties"]["MetricName"]: alarm["Properties"] for alarm in alarms.values()}
    edge_alarms = set(alarm_descriptions(proxy=False, teams=False))  # the same as the us-east-1 edge alarms
    assert set(by_metric) == {"Errors", *edge_alarms}
    assert by_metric["Errors"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": "us-east-1.JunctionCallbackRouter-edge"}
    ]
    for name in edge_alarms:
        assert by_metric[name]["Namespace"] == NAMESPACE
        assert by_metric[name]["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    template.all_resources_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"],
            "AlarmDescription": Match.string_like_regexp(r"\(edge, Lambda@Edge in eu-west-1\)"),
        },
    )


def test_edge_region_alarms_without_a_literal_function_name_leave_out_lambda_errors(
    templates: dict[str, dict[str, Any]],
) -> None:
    alarms = Template.from_json(templates["AlarmsApSouth1"]).find_resources("AWS::CloudWatch::Alarm")
    assert {alarm["Properties"]["MetricName"] for alarm in alarms.values()} == set(
        alarm_descriptions(proxy=False, teams=False)
    )
    assert all("AlarmActions" not in alarm["Properties"] for alarm in alarms.values())


def test_cloudwatch_refuses_an_alarm_on_another_regions_metric() -> None:
    # Why the edge alarms need a stack per region: CDK refuses the cross-region alarm at synth.
    stack = _stack(App(), "Home")
    metric = cloudwatch.Metric(namespace=NAMESPACE, metric_name="RouterError", region="eu-west-1")
    with pytest.raises(Exception, match="region"):
        metric.create_alarm(stack, "CrossRegion", threshold=1, evaluation_periods=1)


def test_settings_mistakes_are_refused() -> None:
    stack = _stack(App(), "Mistakes")
    function = _function(stack)
    common: dict[str, Any] = {"function": function, "service": SERVICE, "metrics_namespace": NAMESPACE}
    with pytest.raises(ValueError, match="edge_regions applies to Lambda@Edge only"):
        add_router_dashboard(stack, "A", edge_regions=["eu-west-1"], **common)
    with pytest.raises(ValueError, match="AWS region codes"):
        add_router_dashboard(stack, "B", edge=True, edge_regions=["Europe"], **common)
    with pytest.raises(ValueError, match="AWS region codes"):
        add_router_dashboard(stack, "C", edge=True, edge_regions=[], **common)
    with pytest.raises(ValueError, match="do not apply to Lambda@Edge"):
        add_router_dashboard(stack, "E", edge=True, rest_api_name="api", rest_api_stage="prod", **common)
    with pytest.raises(ValueError, match="go together"):
        add_router_dashboard(stack, "F", rest_api_name="api", **common)
    with pytest.raises(ValueError, match="belongs in a us-east-1 stack"):
        add_router_dashboard(_stack(App(), "Ireland", region="eu-west-1"), "G", edge=True, **common)
    with pytest.raises(ValueError, match="dashboard_name"):
        add_router_dashboard(stack, "D", dashboard_name="has spaces", **common)
    with pytest.raises(ValueError, match="explicit region"):
        add_edge_region_alarms(Stack(App(), "NoEnv"), "A", service=SERVICE, metrics_namespace=NAMESPACE, stage_name="x")


def test_edge_alarm_stacks_cover_every_region_but_us_east_1_each_with_its_own_topic() -> None:
    app = App()
    stacks = add_edge_alarm_stacks(
        app,
        "RouterEdgeAlarms",
        service=SERVICE,
        metrics_namespace=NAMESPACE,
        stage_name="edge",
        account=ACCOUNT,
        alarm_topic_arns={"eu-west-1": f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"},
    )
    assert list(stacks) == [region for region in DEFAULT_EDGE_REGIONS if region != "us-east-1"]
    assert all(stack.region == region and stack.stack_name.endswith(region) for region, stack in stacks.items())
    eu = Template.from_stack(stacks["eu-west-1"])
    eu.resource_count_is("AWS::CloudWatch::Alarm", len(alarm_descriptions(proxy=False, teams=False)))
    eu.all_resources_properties("AWS::CloudWatch::Alarm", {"AlarmActions": [f"arn:aws:sns:eu-west-1:{ACCOUNT}:oncall"]})
    with pytest.raises(ValueError, match=r"regions without an alarm stack: \['us-east-1'\]"):
        add_edge_alarm_stacks(
            App(),
            "X",
            service=SERVICE,
            metrics_namespace=NAMESPACE,
            stage_name="edge",
            regions=["us-east-1", "eu-west-1"],
            alarm_topic_arns={"us-east-1": "arn:aws:sns:us-east-1:1:t"},
        )
