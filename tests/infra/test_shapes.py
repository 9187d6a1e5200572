"""What each shape deploys: resources, properties, permissions, outputs (``aws_cdk.assertions``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from callback_router.observability import Observability
from callback_router_app.stacks import ACCESS_LOG_FORMAT
from tests.infra.conftest import CONTEXT, Synth, synth_stage

ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
"""Managed origin request policy ids (CloudFront developer guide, "Use managed origin request policies")."""


def resources(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    found = {key: dict(value) for key, value in synth.template.find_resources(kind).items()}
    return found


def joined(value: Any) -> str:
    """An ``Fn::Join`` (or plain string) flattened to text, ``{"Ref": X}`` written as ``<X>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(joined(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value)


def permissions(synth: Synth) -> list[str]:
    return sorted(
        joined(item["Properties"]["SourceArn"]) for item in resources(synth, "AWS::Lambda::Permission").values()
    )


# -- the API function, common to the three API shapes -------------------------------------------


@pytest.mark.parametrize(
    ("stage", "timeout"),
    [
        ("sandbox", 13),  # proxy fallback, 10 s upstream + 3
        ("production", 13),
        ("rest-attach", 10),
        ("http-attach", 13),
        ("function-url", 10),  # redirect fallback
    ],
)
def test_api_function(synths: dict[str, Synth], stage: str, timeout: int) -> None:
    synth = synths[stage]
    synth.template.resource_count_is("AWS::Lambda::Function", 1)
    synth.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            # One entry point for every regional front: the construct may stand behind several.
            "Handler": "callback_router.handlers.api_handler",
            "Runtime": "python3.12",  # the documented default, whatever Python runs the synth
            "MemorySize": 128,  # the knee of latency against cost (BENCHMARKS.md)
            "Architectures": ["x86_64"],
            "Timeout": timeout,
            "LoggingConfig": {"LogGroup": Match.any_value()},
            "Environment": Match.absent(),  # config bundled by default
        },
    )
    (function,) = resources(synth, "AWS::Lambda::Function").values()
    assert function["Properties"]["Timeout"] < 29  # API Gateway's integration timeout
    if synth.stage.router.fallback.mode == "proxy":  # room to answer a clean 502 after the upstream times out
        assert synth.stage.router.fallback.timeout_seconds < function["Properties"]["Timeout"]


def test_every_log_group_has_a_retention(synths: dict[str, Synth]) -> None:
    for name, synth in synths.items():
        groups = resources(synth, "AWS::Logs::LogGroup")
        assert groups, name
        for group in groups.values():
            assert group["Properties"]["RetentionInDays"] == synth.stage.log_retention_days, name


def test_api_role_may_only_write_its_own_log_group(synths: dict[str, Synth]) -> None:
    synth = synths["sandbox"]
    synth.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Principal": {"Service": "lambda.amazonaws.com"}})]
            },
            "ManagedPolicyArns": Match.absent(),
        },
    )
    (policy,) = resources(synth, "AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert joined(statement["Resource"]) == "<RouterFunctionLogs5913F42C.Arn>"


def test_config_can_come_from_the_environment(tmp_path: Path) -> None:
    stage = {
        "shape": "http_api",
        "config_source": "environment",
        "environments": ["sandbox-us"],
        "fallback": {"mode": "reject"},
    }
    synth = synth_stage("env-config", tmp_path, {"stages": {"env-config": stage}})
    (function,) = resources(synth, "AWS::Lambda::Function").values()
    text = function["Properties"]["Environment"]["Variables"]["CALLBACK_ROUTER_CONFIG"]
    assert json.loads(text) == synth.stage.runtime


# -- shape 1: new HTTP API ----------------------------------------------------------------------


def test_http_api_routes_every_method_of_each_callback_path(synths: dict[str, Synth]) -> None:
    synth = synths["production"]
    synth.template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    routes = sorted(item["Properties"]["RouteKey"] for item in resources(synth, "AWS::ApiGatewayV2::Route").values())
    # ANY: non-GET requests to a callback path must still reach the Lambda and its fallback.
    assert routes == ["ANY /auth/strava/callback", "ANY /oauth_callback/{provider}"]
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration", {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"}
    )


def test_http_api_permissions_are_scoped_to_each_route(synths: dict[str, Synth]) -> None:
    arns = permissions(synths["production"])
    assert arns == [
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApiF5A9A8A7>/*/*/auth/strava/callback",
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<HttpApiF5A9A8A7>/*/*/oauth_callback/{provider}",
    ]


def test_http_api_stage_logs_access_without_query_and_is_throttled(synths: dict[str, Synth]) -> None:
    synth = synths["sandbox"]
    (stage,) = resources(synth, "AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == "$default" and properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 25}
    log_format = json.loads(properties["AccessLogSettings"]["Format"])
    assert log_format == ACCESS_LOG_FORMAT
    assert not any("query" in value.lower() for value in log_format.values())


def test_http_api_throttle_comes_from_the_stage(tmp_path: Path) -> None:
    stage = {"environments": ["sandbox-us"], "throttle": {"rate_limit": 5, "burst_limit": 10}, "log_retention_days": 7}
    synth = synth_stage("throttled", tmp_path, {"stages": {"throttled": stage}})
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage", {"DefaultRouteSettings": {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5}}
    )
    synth.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})


def test_http_api_outputs_its_url_and_the_redirect_url_override(synths: dict[str, Synth]) -> None:
    outputs = synths["sandbox"].template.find_outputs("*")
    assert joined(outputs["ApiUrl"]["Value"]) == (
        "https://<HttpApiF5A9A8A7>.execute-api.<AWS::Region>.<AWS::URLSuffix>/"
    )
    assert joined(outputs["RedirectUrlOverride"]["Value"]).endswith("/oauth_callback/{provider}")


def test_alarms_watch_errors_and_foreign_environment(synths: dict[str, Synth]) -> None:
    synth = synths["sandbox"]
    alarms = resources(synth, "AWS::CloudWatch::Alarm")
    by_metric = {item["Properties"]["MetricName"]: item["Properties"] for item in alarms.values()}
    assert set(by_metric) == {
        "Errors",
        "ForeignEnvironment",
        "InvalidProvider",
        "ConfigError",
        "RouterError",
        "ResponseTooLarge",
        "FallbackUpstreamError",
        "FallbackBodyNotText",
    }
    # The alarms must watch what the function really emits: an EMF document from the router's own metrics.
    emitted = Observability(synth.stage.router).metrics
    emitted.add_metric(name="ForeignEnvironment", unit="Count", value=1)
    document = emitted.serialize_metric_set()
    emitted.clear_metrics()
    directive = document["_aws"]["CloudWatchMetrics"][0]
    for name in set(by_metric) - {"Errors"}:
        assert by_metric[name]["Namespace"] == directive["Namespace"]
        assert [item["Name"] for item in by_metric[name]["Dimensions"]] == directive["Dimensions"][0]
        assert by_metric[name]["Dimensions"][0]["Value"] == document["service"]
    assert by_metric["Errors"]["Namespace"] == "AWS/Lambda"
    synths["http-attach"].template.resource_count_is("AWS::CloudWatch::Alarm", 0)  # alarms: off by default


# -- shape 2: existing REST API -----------------------------------------------------------------


def test_rest_api_attach_adds_resources_methods_and_a_deployment(synths: dict[str, Synth]) -> None:
    synth = synths["rest-attach"]
    synth.template.resource_count_is("AWS::ApiGateway::RestApi", 0)
    parts = {item["Properties"]["PathPart"] for item in resources(synth, "AWS::ApiGateway::Resource").values()}
    assert parts == {"oauth_callback", "{provider}"}
    synth.template.has_resource_properties(
        "AWS::ApiGateway::Resource", {"PathPart": "oauth_callback", "ParentId": "r00tr3s0uc", "RestApiId": "a1b2c3d4e5"}
    )
    synth.template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {"HttpMethod": "ANY", "RestApiId": "a1b2c3d4e5", "Integration": Match.object_like({"Type": "AWS_PROXY"})},
    )
    synth.template.has_resource_properties(
        "AWS::ApiGateway::Deployment", {"RestApiId": "a1b2c3d4e5", "StageName": "prod"}
    )
    (deployment,) = resources(synth, "AWS::ApiGateway::Deployment").values()
    assert deployment["DeletionPolicy"] == "Retain"
    methods = set(resources(synth, "AWS::ApiGateway::Method"))
    assert methods and methods <= set(deployment["DependsOn"])  # the deployment includes the new methods


def test_rest_api_permissions_are_scoped_to_the_api_and_path(synths: dict[str, Synth]) -> None:
    assert permissions(synths["rest-attach"]) == [
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:a1b2c3d4e5/*/*/oauth_callback/*",
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:a1b2c3d4e5/test-invoke-stage/*/oauth_callback/*",
    ]
    value = synths["rest-attach"].template.find_outputs("RedirectUrlOverride")["RedirectUrlOverride"]["Value"]
    assert (
        joined(value) == "https://a1b2c3d4e5.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod/oauth_callback/{provider}"
    )


# -- shape 3: existing HTTP API -----------------------------------------------------------------


def test_http_api_attach_adds_routes_only(synths: dict[str, Synth]) -> None:
    synth = synths["http-attach"]
    synth.template.resource_count_is("AWS::ApiGatewayV2::Api", 0)
    synth.template.resource_count_is("AWS::ApiGatewayV2::Stage", 0)
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Route", {"ApiId": "h1t2t3p4a5", "RouteKey": "ANY /oauth_callback/{provider}"}
    )
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration", {"ApiId": "h1t2t3p4a5", "PayloadFormatVersion": "2.0"}
    )
    assert permissions(synth) == [
        "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:h1t2t3p4a5/*/*/oauth_callback/{provider}"
    ]


# -- shape: Function URL -----------------------------------------------------------------------


def test_function_url_stage_outputs_the_url_to_put_behind_the_company_domain(synths: dict[str, Synth]) -> None:
    synth = synths["function-url"]
    synth.template.has_resource_properties("AWS::Lambda::Url", {"AuthType": "NONE"})
    outputs = synth.template.find_outputs("*")
    assert joined(outputs["RedirectUrlOverride"]["Value"]).endswith("oauth_callback/{provider}")
    assert "FunctionUrl" in outputs


def test_a_dashboard_per_deployment_when_the_stage_asks(synths: dict[str, Synth]) -> None:
    synths["production"].template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
    (dashboard,) = resources(synths["production"], "AWS::CloudWatch::Dashboard").values()
    body = joined(dashboard["Properties"]["DashboardBody"])
    for metric in ("JunctionRedirect", "NotJunction", "ForeignEnvironment", "InvalidProvider", "RouterError"):
        assert metric in body, metric
    synths["sandbox"].template.resource_count_is("AWS::CloudWatch::Dashboard", 0)


# -- shapes 4 and 5: Lambda@Edge ----------------------------------------------------------------


@pytest.mark.parametrize("stage", ["edge", "edge-attach"])
def test_edge_function_fits_lambda_at_edge(synths: dict[str, Synth], stage: str) -> None:
    synth = synths[stage]
    assert synth.stack.region == "us-east-1"
    synth.template.resource_count_is("AWS::Lambda::Function", 1)
    synth.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "callback_router.handlers.viewer_request_handler",
            "MemorySize": 128,
            "Timeout": 5,
            "Architectures": ["x86_64"],
            "Environment": Match.absent(),
            "Layers": Match.absent(),
            "TracingConfig": Match.absent(),
        },
    )
    synth.template.resource_count_is("AWS::Lambda::Version", 1)
    (role,) = resources(synth, "AWS::IAM::Role").values()
    # One statement per service, or one with a list (feature flag @aws-cdk/aws-iam:minimizePolicies).
    services = [item["Principal"]["Service"] for item in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
    principals = {name for service in services for name in ([service] if isinstance(service, str) else service)}
    assert principals == {"edgelambda.amazonaws.com", "lambda.amazonaws.com"}  # CloudFront replicates it
    assert "EdgeFunctionVersionArn" in synth.template.find_outputs("*")


def test_edge_role_writes_only_this_functions_log_groups(synths: dict[str, Synth]) -> None:
    synth = synths["edge-attach"]
    resources_allowed = []
    for policy in resources(synth, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert set(statement["Action"]) <= {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
            items = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            resources_allowed += [joined(item) for item in items]
    # The function's name is generated (no clash after a half-finished teardown): the policy names it by Ref.
    name = "<RouterFunction0F681190>"
    assert resources_allowed
    for resource in resources_allowed:
        assert name in resource or resource.startswith("<RouterFunctionLogs"), resource
    groups = [joined(group["Properties"]["LogGroupName"]) for group in resources(synth, "AWS::Logs::LogGroup").values()]
    assert sorted(groups) == [f"/aws/lambda/{name}", f"/aws/lambda/us-east-1.{name}"]


def test_edge_distribution_runs_the_router_on_the_callback_path_only(synths: dict[str, Synth]) -> None:
    synth = synths["edge"]
    (distribution,) = resources(synth, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    caching_disabled, all_viewer_except_host = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", ALL_VIEWER_EXCEPT_HOST
    (callback,) = config["CacheBehaviors"]
    assert callback["PathPattern"] == "/oauth_callback/*"
    assert callback["CachePolicyId"] == caching_disabled
    # no domain_names: the viewer's Host is *.cloudfront.net, which the origin does not serve
    assert callback["OriginRequestPolicyId"] == all_viewer_except_host
    (association,) = callback["LambdaFunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert "CurrentVersion" in association["LambdaFunctionARN"]["Ref"]  # a numbered version, as CloudFront needs
    assert len(callback["AllowedMethods"]) == 7  # every method reaches the origin
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == callback["TargetOriginId"]  # the same origin
    assert "LambdaFunctionAssociations" not in default
    (origin,) = config["Origins"]
    assert origin["DomainName"] == "auth.example.com"
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "Logging" not in config  # would record the OAuth code and state (cs-uri-query)
    assert {"DistributionId", "DistributionDomainName", "RedirectUrlOverride"} <= set(synth.template.find_outputs("*"))


def test_cloudfront_function_stage_runs_the_generated_function_on_the_callback_path_only(
    synths: dict[str, Synth],
) -> None:
    synth = synths["edge-cloudfront-function"]
    assert not resources(synth, "AWS::Lambda::Function")  # no Lambda at all
    (function,) = resources(synth, "AWS::CloudFront::Function").values()
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    (distribution,) = resources(synth, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (callback,) = config["CacheBehaviors"]
    assert callback["PathPattern"] == "/oauth_callback/*"
    assert callback["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    (association,) = callback["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert "LambdaFunctionAssociations" not in callback
    assert "FunctionAssociations" not in config["DefaultCacheBehavior"]
    assert resources(synth, "AWS::Logs::MetricFilter")  # us-east-1 by default: the logs are there
    assert {"DistributionId", "DistributionDomainName", "RedirectUrlOverride"} <= set(synth.template.find_outputs("*"))


def test_edge_function_stack_outputs_the_attach_command(synths: dict[str, Synth]) -> None:
    synth = synths["edge-attach"]
    synth.template.resource_count_is("AWS::CloudFront::Distribution", 0)
    command = joined(synth.template.find_outputs("AttachCommand")["AttachCommand"]["Value"])
    assert command.startswith(
        ".venv/bin/python -m tools.attach_edge --distribution-id E1EXAMPLE12345 --path-pattern '/oauth_callback/*' "
        "--function-version-arn <RouterFunctionCurrentVersion"
    )


def test_edge_stage_with_a_pinned_account_synthesizes_clean(tmp_path: Path) -> None:
    # cdk-nag names the IAM5 finding with the literal account then; the acknowledgement must follow.
    stage = {**CONTEXT["stages"]["edge-attach"], "account": "123456789012", "alarms": True}
    synth = synth_stage("pinned", tmp_path, {"stages": {"pinned": stage}})
    assert synth.stack.account == "123456789012"
    synth.template.resource_count_is("AWS::CloudWatch::Alarm", 6)  # no proxy fallback at the edge


def test_edge_distribution_with_own_domain_and_waf(tmp_path: Path) -> None:
    stage = {
        **CONTEXT["stages"]["edge"],
        "domain_names": ["auth.example.com"],
        "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab",
        "web_acl_id": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/callbacks/0a1b2c3d",
    }
    synth = synth_stage("own-domain", tmp_path, {"stages": {"own-domain": stage}})  # cdk-nag: CFR2/CFR4 now met
    (distribution,) = resources(synth, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["auth.example.com"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["WebACLId"] == stage["web_acl_id"]
    # its own domain: the origin sees the Host the company's callback always had (AllViewer)
    assert config["CacheBehaviors"][0]["OriginRequestPolicyId"] == ALL_VIEWER
    output = joined(synth.template.find_outputs("RedirectUrlOverride")["RedirectUrlOverride"]["Value"])
    assert output == "https://auth.example.com/oauth_callback/{provider}"
