"""CloudFrontFunctionCallbackRouter: the generated function, its association, metric filters and alarms."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from aws_cdk import App, Aws, Environment, Stack, Validations
from aws_cdk.assertions import Annotations, Match, Template
from aws_cdk.aws_cloudfront import FunctionEventType
from cdk_nag import AwsSolutionsChecks

from callback_router.core.decision import Outcome
from callback_router.observability import ROUTER_ERROR_METRIC
from junction_callback_router import CloudFrontFunctionCallbackRouter, RouterConfigError
from junction_callback_router.cloudfront_function import function_code
from junction_callback_router.cloudfront_function_router import EMITTED_METRICS, METRIC_FILTER_WARNING
from tests.infra.conftest import cfn_lint_errors
from tests.vectors.build import VECTORS
from tools.cloudfront_function import NodeFunctionRunner

LABEL = "CloudFrontFunctionCallbackRouter 'EdgeFn'"


def new_stack(region: str = "us-east-1") -> tuple[App, Stack]:
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, Stack(app, "Company", env=Environment(account="123456789012", region=region))


def synth(stack: Stack) -> Template:
    """cdk-nag runs at synth (an unacknowledged finding raises); cfn-lint too."""
    template = Template.from_stack(stack)
    assert cfn_lint_errors(dict(template.to_json()), [stack.region]) == []
    return template


def resources(template: Template, kind: str) -> list[dict[str, Any]]:
    return [dict(value) for value in template.find_resources(kind).values()]


def test_the_function_is_runtime_2_with_the_generated_code_on_viewer_request() -> None:
    _, stack = new_stack()
    router = CloudFrontFunctionCallbackRouter(
        stack, "EdgeFn", environments=["production-us"], providers=["fitbit"], alarms=True, dashboard=True
    )
    template = synth(stack)
    (function,) = resources(template, "AWS::CloudFront::Function")
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["Properties"]["FunctionCode"] == function_code(router.config) == router.code
    assert function["Properties"]["AutoPublish"] is True
    assert router.function_association.event_type is FunctionEventType.VIEWER_REQUEST
    assert router.path_patterns == ["/oauth_callback/*"]
    template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_metric_filters_give_the_python_router_metric_names() -> None:
    _, stack = new_stack()
    router = CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["sandbox-us"], metrics_namespace="Cb")
    template = synth(stack)
    (group,) = resources(template, "AWS::Logs::LogGroup")
    assert group["Properties"]["LogGroupName"] == f"/aws/cloudfront/function/{router.function.function_name}"
    filters = {
        item["Properties"]["MetricTransformations"][0]["MetricName"]: item["Properties"]
        for item in resources(template, "AWS::Logs::MetricFilter")
    }
    assert sorted(filters) == sorted({*(outcome.value for outcome in Outcome), ROUTER_ERROR_METRIC})
    for item in filters.values():
        [transformation] = item["MetricTransformations"]
        assert transformation["MetricNamespace"] == "Cb"
        assert transformation["Dimensions"] == [{"Key": "service", "Value": "$.service"}]
    assert router.log_group is not None


def test_each_metric_filter_matches_the_log_lines_the_function_writes() -> None:
    # What the filters select, read back against the Node runner's real log lines.
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    _, stack = new_stack()
    router = CloudFrontFunctionCallbackRouter(stack, "EdgeFn", **_props(vectors["configs"]["sandbox"]))
    patterns = {
        item["Properties"]["MetricTransformations"][0]["MetricName"]: item["Properties"]["FilterPattern"]
        for item in resources(Template.from_stack(stack), "AWS::Logs::MetricFilter")
    }
    cases = [case for case in vectors["cases"] if case["config"] == "sandbox"]
    broken = {"method": "GET", "uri": "/oauth_callback/fitbit", "rawQueryString": "", "throwIn": "rawQueryString"}
    with NodeFunctionRunner() as node:
        results = node.evaluate(router.code, [*cases, broken])["results"]
    seen = set()
    for result in results:
        [line] = [json.loads(text) for text in result["logs"]]
        matched = [name for name, pattern in patterns.items() if _matches(pattern, line)]
        assert len(matched) == 1, (line, matched)
        seen.update(matched)
    assert seen == set(EMITTED_METRICS) - {"ForeignTeam"}  # no teams in this config


def _matches(pattern: str, line: dict[str, Any]) -> bool:
    # The two forms used: { $.field = "value" } and { $.field = "*" } (field present).
    found = re.fullmatch(r'\{ \$\.(\w+) = "([^"]*)" \}', pattern)
    assert found is not None, pattern
    field, value = found.groups()
    return field in line and (value == "*" or line[field] == value)


def _props(document: dict[str, Any]) -> dict[str, Any]:
    from junction_callback_router import Route

    routes = [Route(item["path"], provider=item.get("provider")) for item in document.get("routes", [])]
    return {"environments": document["environments"], "routes": routes or None}


def test_alarms_watch_the_router_counts_and_cloudfront_function_metrics() -> None:
    _, stack = new_stack()
    CloudFrontFunctionCallbackRouter(
        stack, "EdgeFn", environments=["sandbox-us"], teams=["0c8b9e3a-1111-4222-8333-444455556666"], alarms=True
    )
    template = synth(stack)
    alarms = {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm")
    }
    assert set(alarms) == {
        "ForeignEnvironment",
        "InvalidProvider",
        "RouterError",
        "ForeignTeam",
        "FunctionExecutionErrors",
        "FunctionValidationErrors",
        "FunctionThrottles",
        "FunctionComputeUtilization",
    }
    for name in ("FunctionExecutionErrors", "FunctionComputeUtilization"):
        assert alarms[name]["Namespace"] == "AWS/CloudFront"
        dimensions = {item["Name"]: item["Value"] for item in alarms[name]["Dimensions"]}
        assert dimensions["Region"] == "Global" and "FunctionName" in dimensions


def test_outside_us_east_1_it_synthesizes_and_warns_how_to_get_metric_filters() -> None:
    _, stack = new_stack("eu-west-1")
    router = CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["sandbox-us"])
    template = synth(stack)
    template.resource_count_is("AWS::CloudFront::Function", 1)
    template.resource_count_is("AWS::Logs::MetricFilter", 0)
    assert router.log_group is None
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("no metric filters"))
    assert warnings and METRIC_FILTER_WARNING in json.dumps([warning.entry.data for warning in warnings])


def test_alarms_outside_us_east_1_are_refused_with_what_to_do() -> None:
    _, stack = new_stack("eu-west-1")
    with pytest.raises(RouterConfigError, match=re.escape(f"{LABEL}: alarms: CloudFront reports")):
        CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["sandbox-us"], alarms=True)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"environments": ["prod-us"]}, f"{LABEL}: environments[0]: unknown environment 'prod-us'"),
        ({"environments": "sandbox-us"}, f"{LABEL}: environments: must be a list of strings, e.g. ['sandbox-us']"),
        ({"providers": ["Fitbit"]}, f"{LABEL}: providers[0]: 'Fitbit' is not a provider slug"),
        ({"routes": ["/cb"]}, f"{LABEL}: routes[0].provider: path '/cb' has no {{provider}}"),
        ({"extra_environments": {"stub": f"https://{Aws.URL_SUFFIX}/v2/link"}}, f"{LABEL}: extra_environments.stub:"),
        ({"alarms": "yes"}, f"{LABEL}: alarms: must be True or False"),
        ({"teams": [str(uuid.UUID(int=i)) for i in range(300)]}, f"{LABEL}: (generated code): the generated"),
    ],
)
def test_mistakes_are_refused_naming_the_prop(props: dict[str, Any], message: str) -> None:
    _, stack = new_stack()
    with pytest.raises(RouterConfigError, match=re.escape(message)):
        CloudFrontFunctionCallbackRouter(stack, "EdgeFn", **{"environments": ["sandbox-us"], **props})


def test_an_environment_agnostic_stack_gets_the_function_without_filters() -> None:
    app = App()
    stack = Stack(app, "Agnostic")
    CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["sandbox-us"])
    Template.from_stack(stack).resource_count_is("AWS::CloudFront::Function", 1)
