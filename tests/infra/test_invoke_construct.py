"""``Fallback.invoke``: the construct grants exactly that function, times the router above it and
within its fronts, and hands the function's ARN to the router's config (``Template.from_stack``)."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from aws_cdk import CfnElement, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from callback_router_app.stacks import stage_fallback
from callback_router_app.stages import StageError, parse_stage
from junction_callback_router import CallbackRouter, EdgeCallbackRouter, Fallback, RouterConfigError
from junction_callback_router.nag import acknowledge
from tests.infra.test_constructs import LISTENER_ARN, new_stack, resources, synth

IMPORTED_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:company-callback:live"


def company_function(stack: Any, timeout: int = 12) -> lambda_.Function:
    function = lambda_.Function(
        stack,
        "CompanyCallback",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'statusCode': 200}\n"),
        timeout=Duration.seconds(timeout),
    )
    # The company's own function is a test fixture: cdk-nag's findings on it are not the router's.
    acknowledge(function, "AwsSolutions-L1", "test fixture standing for the company's function")
    acknowledge(
        function,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "test fixture standing for the company's function",
    )
    return function


def http_api(stack: Any) -> apigwv2.IHttpApi:
    return apigwv2.HttpApi.from_http_api_attributes(stack, "Api", http_api_id="a1b2c3d4e5")


def rest_api(stack: Any) -> apigw.IRestApi:
    return apigw.RestApi.from_rest_api_attributes(stack, "Api", rest_api_id="a1b2c3d4e5", root_resource_id="r00t")


def router_function(template: Template) -> dict[str, Any]:
    functions = [
        value
        for value in resources(template, "AWS::Lambda::Function")
        if "callback router" in str(value["Properties"].get("Description", ""))
    ]
    assert len(functions) == 1
    properties: dict[str, Any] = functions[0]["Properties"]
    return properties


def invoke_statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in json.dumps(statement["Action"])
    ]


def test_a_function_of_this_app_is_granted_exactly_and_timed_from_its_own_timeout() -> None:
    app, stack = new_stack()
    company = company_function(stack, timeout=12)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company))
    router.add_to_http_api(http_api(stack))
    template = synth(app, stack)
    company_id = stack.get_logical_id(cast("CfnElement", company.node.default_child))
    assert invoke_statements(template) == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [company_id, "Arn"]}}
    ]
    properties = router_function(template)
    assert properties["Timeout"] == 15  # the company's 12 s and 3 s to answer
    assert router.config.fallback.mode == "invoke"
    assert router.config.fallback.timeout_seconds == 12
    # The ARN is only known at deploy time: the config travels in the environment, ARN resolved there.
    joined = properties["Environment"]["Variables"]["CALLBACK_ROUTER_CONFIG"]["Fn::Join"][1]
    assert {"Fn::GetAtt": [company_id, "Arn"]} in joined
    literal = "".join(part if isinstance(part, str) else "ARN" for part in joined)
    assert json.loads(literal)["fallback"] == {"mode": "invoke", "function_arn": "ARN", "timeout_seconds": 12.0}


def test_an_alias_is_granted_with_its_qualifier_only() -> None:
    app, stack = new_stack()
    company = company_function(stack)
    alias = lambda_.Alias(stack, "Live", alias_name="live", version=company.current_version)
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(alias, timeout_seconds=8))
    template = synth(app, stack)
    alias_id = stack.get_logical_id(cast("CfnElement", alias.node.default_child))
    assert invoke_statements(template) == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Ref": alias_id}}
    ]
    assert router_function(template)["Timeout"] == 11


def test_an_imported_function_gets_its_literal_arn_and_the_default_timeout() -> None:
    app, stack = new_stack()
    company = lambda_.Function.from_function_arn(stack, "Company", IMPORTED_ARN)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company))
    router.add_to_rest_api(rest_api(stack), stage_name="prod")
    template = synth(app, stack)
    assert invoke_statements(template) == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": IMPORTED_ARN}
    ]
    assert router_function(template)["Timeout"] == 28  # 25 s and 3 s: within REST's 29 s
    assert router.document.document["fallback"] == {
        "mode": "invoke",
        "function_arn": IMPORTED_ARN,
        "timeout_seconds": 25.0,
    }


@pytest.mark.parametrize(
    ("attach", "message"),
    [
        (lambda router, stack: router.add_to_rest_api(rest_api(stack), stage_name="prod"), "a REST API waits 29 s"),
        (lambda router, stack: router.add_to_http_api(http_api(stack)), "an HTTP API waits 30 s"),
    ],
    ids=["rest", "http"],
)
def test_a_timeout_api_gateway_cannot_wait_for_is_refused(attach: Any, message: str) -> None:
    _, stack = new_stack()
    router = CallbackRouter(
        stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company_function(stack, timeout=60))
    )
    with pytest.raises(RouterConfigError, match=message) as caught:
        attach(router, stack)
    assert "timeout_seconds=" in str(caught.value)


def test_alb_and_function_url_may_wait_longer() -> None:
    app, stack = new_stack()
    router = CallbackRouter(
        stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company_function(stack, timeout=60))
    )
    router.add_function_url()
    assert router_function(synth(app, stack))["Timeout"] == 63


@pytest.mark.parametrize("value", ["arn:aws:lambda:eu-west-1:123456789012:function:x", None, 42])
def test_invoke_needs_a_function_construct(value: Any) -> None:
    _, stack = new_stack()
    with pytest.raises(RouterConfigError, match=r"CallbackRouter 'Router': fallback: Fallback.invoke\(function\)"):
        CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(value))


def test_an_imported_arn_that_is_not_a_function_arn_is_refused() -> None:
    _, stack = new_stack()
    company = lambda_.Function.from_function_arn(stack, "Company", "arn:aws:lambda:eu-west-1:123:function:x")
    with pytest.raises(RouterConfigError, match=r"fallback\.function_arn"):
        CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company))


def test_the_edge_takes_no_fallback_at_all() -> None:
    _, stack = new_stack(region="us-east-1")
    with pytest.raises(TypeError):
        EdgeCallbackRouter(  # type: ignore[call-arg]
            stack, "Edge", environments=["sandbox-us"], fallback=Fallback.invoke(company_function(stack))
        )


def test_a_stage_of_the_config_file_app_can_invoke_a_function_by_arn() -> None:
    _, stack = new_stack()
    stage = parse_stage(
        "company",
        {"environments": ["sandbox-us"], "fallback": {"mode": "invoke", "function_arn": IMPORTED_ARN}},
    )
    fallback = stage_fallback(stage, stack)
    assert fallback.mode == "invoke"
    assert fallback.function.function_arn == IMPORTED_ARN
    assert fallback.document() == {"mode": "invoke", "function_arn": IMPORTED_ARN, "timeout_seconds": 10.0}


def test_an_edge_stage_refuses_the_invoke_fallback() -> None:
    with pytest.raises(StageError, match="has no fallback"):
        parse_stage(
            "edge",
            {
                "shape": "edge",
                "origin_domain_name": "auth.example.com",
                "environments": ["sandbox-us"],
                "fallback": {"mode": "invoke", "function_arn": IMPORTED_ARN},
            },
        )


def test_alb_warns_that_the_company_function_gets_the_multi_value_shape() -> None:
    app, stack = new_stack()
    router = CallbackRouter(
        stack, "Router", environments=["sandbox-us"], fallback=Fallback.invoke(company_function(stack))
    )
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn=LISTENER_ARN,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0"),
    )
    router.add_to_alb(listener, priority=10)
    synth(app, stack)
    Annotations.from_stack(stack).has_warning(
        "/Company/Router", Match.string_like_regexp("Fallback.invoke hands the company's function ALB events")
    )
