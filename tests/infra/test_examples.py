"""Every app in examples/ synthesizes, with cdk-nag and cfn-lint clean, and builds what it says.

The examples are what users copy: each is a complete CDK app (``python examples/NAME.py``) whose
``build(app)`` the tests call. Findings on the *company's* stand-in resources (its own API, its own
distribution) are acknowledged here, in the test, not in the example: they are the company's
choices, not the router's.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from tests.infra.conftest import cfn_lint_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
COMPANY_OWNED = {
    # construct path suffix -> (rules, why the test acknowledges them)
    "CompanyApi": (["AwsSolutions-APIG1"], "the company's existing HTTP API; its access logs are its own choice"),
    "CompanyCallback": (
        [
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AwsSolutions-L1",
        ],
        "the company's existing callback function (a stand-in); its role and runtime are its own",
    ),
    "CompanyRestApi/Api": (
        [
            "AwsSolutions-APIG1",
            "AwsSolutions-APIG2",
            "AwsSolutions-APIG3",
            "AwsSolutions-APIG4",
            "AwsSolutions-APIG6",
            "AwsSolutions-COG4",
        ],
        "the company's existing REST API stands in for one the router is attached to; not the router's resources",
    ),
    "CompanyEdge/Distribution": (
        ["AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3", "AwsSolutions-CFR4", "AwsSolutions-CFR7"],
        "the company's existing distribution; logging, WAF, TLS and geo rules are its own choices",
    ),
    "CompanyEdgeFunction/Distribution": (
        ["AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3", "AwsSolutions-CFR4", "AwsSolutions-CFR7"],
        "the company's existing distribution; logging, WAF, TLS and geo rules are its own choices",
    ),
}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthesize(name: str, tmp_path: Path) -> tuple[Stack, Template]:
    app = App(outdir=str(tmp_path))
    stack: Stack = load(name).build(app)
    for construct in app.node.find_all():
        for suffix, (rules, reason) in COMPANY_OWNED.items():
            if construct.node.path.endswith(suffix):
                for rule in rules:
                    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # an unacknowledged cdk-nag finding raises here
    template = Template.from_stack(stack)
    assert cfn_lint_errors(dict(template.to_json()), [stack.region]) == []
    return stack, template


def resources(template: Template, kind: str) -> list[dict[str, Any]]:
    return [dict(value) for value in template.find_resources(kind).values()]


def check_http_api(template: Template) -> None:
    keys = sorted(item["Properties"]["RouteKey"] for item in resources(template, "AWS::ApiGatewayV2::Route"))
    assert keys == ["ANY /auth/strava/callback", "ANY /oauth_callback/{provider}"]
    # The router may invoke the company's callback function, and nothing else.
    functions = template.find_resources("AWS::Lambda::Function")
    (company,) = [name for name in functions if name.startswith("CompanyCallback")]
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "lambda:InvokeFunction"
    ]
    assert statements == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [company, "Arn"]}}
    ]
    # Lambda Errors plus every router alarm of a proxy stage (docs/DEPLOY.md's table)
    template.resource_count_is("AWS::CloudWatch::Alarm", 8)


def check_rest_api(template: Template) -> None:
    (deployment,) = resources(template, "AWS::ApiGateway::Deployment")
    assert deployment["Properties"]["StageName"] == "prod"
    template.has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "ANY"})


def check_alb(template: Template) -> None:
    priorities = sorted(
        item["Properties"]["Priority"] for item in resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    )
    assert priorities == [10, 11]


def check_function_url(template: Template) -> None:
    template.has_resource_properties("AWS::Lambda::Url", {"AuthType": "NONE"})


def check_cloudfront_edge(template: Template) -> None:
    (distribution,) = resources(template, "AWS::CloudFront::Distribution")
    (behaviour,) = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
    assert behaviour["PathPattern"] == "/oauth_callback/*"
    assert behaviour["LambdaFunctionAssociations"][0]["EventType"] == "viewer-request"


def check_cloudfront_function(template: Template) -> None:
    (distribution,) = resources(template, "AWS::CloudFront::Distribution")
    (behaviour,) = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
    assert behaviour["PathPattern"] == "/oauth_callback/*"
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    (function,) = resources(template, "AWS::CloudFront::Function")
    assert function["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert len(function["Properties"]["FunctionCode"].encode()) <= 10_240
    assert len(resources(template, "AWS::Logs::MetricFilter")) >= 1
    assert len(resources(template, "AWS::CloudWatch::Alarm")) >= 4


CHECKS: dict[str, Callable[[Template], None]] = {
    "http_api": check_http_api,
    "rest_api_other_stack": check_rest_api,
    "alb": check_alb,
    "function_url": check_function_url,
    "cloudfront_edge": check_cloudfront_edge,
    "cloudfront_function": check_cloudfront_function,
}


def test_every_example_is_checked() -> None:
    assert sorted(path.stem for path in EXAMPLES.glob("*.py")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_synthesizes_clean(name: str, tmp_path: Path) -> None:
    _, template = synthesize(name, tmp_path)
    CHECKS[name](template)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_is_short_enough_to_copy(name: str) -> None:
    code = [line for line in (EXAMPLES / f"{name}.py").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(code) <= 45


def test_the_readme_library_snippet_synthesizes_as_written(tmp_path: Path) -> None:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use it in your own CDK app") :]
    snippet = section[
        section.index("```python\n") + len("```python\n") : section.index("```\n", section.index("```python"))
    ]
    assert "app = App()\n" in snippet
    # Where App() writes (the CDK CLI would say so through CDK_OUTDIR, which the running jsii
    # kernel cannot see any more): the only change made to the README's code.
    snippet = snippet.replace("app = App()\n", f"app = App(outdir={str(tmp_path)!r})\n")
    exec(compile(snippet, "README.md", "exec"), {})  # noqa: S102 -- the README's own code, run as a user would
    (template,) = tmp_path.glob("CompanyAuth.template.json")
    text = template.read_text(encoding="utf-8")
    assert '"RouteKey": "ANY /oauth_callback/{provider}"' in text
    assert '"Action": "lambda:InvokeFunction"' in text


def test_the_http_api_example_with_the_company_route_left_in_place_says_what_to_do(tmp_path: Path) -> None:
    # The adoption step the example's comment names: forgetting to delete the company's own route.
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration

    app = App(outdir=str(tmp_path))
    stack = load("http_api").build(app)
    api = next(child for child in stack.node.children if isinstance(child, apigwv2.HttpApi))
    callback = next(child for child in stack.node.children if isinstance(child, lambda_.Function))
    api.add_routes(
        path="/oauth_callback/{provider}",
        methods=[apigwv2.HttpMethod.GET],
        integration=HttpLambdaIntegration("CompanyIntegration", callback),
    )
    with pytest.raises(Exception, match=r"already has GET /oauth_callback/\{provider\}") as refused:
        app.synth()
    message = str(refused.value)
    assert "Remove it and pass fallback=Fallback.invoke(CompanyAuth/CompanyCallback)" in message
