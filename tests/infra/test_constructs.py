"""The public construct API, used the way a company's own CDK app uses it (``Template.from_stack``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Aws, Environment, Stack, Token, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from junction_callback_router import CallbackRouter, EdgeCallbackRouter, Fallback, Route, RouterConfigError
from tests.infra.conftest import cfn_lint_errors

PROXY = Fallback.proxy("https://auth.company.com/oauth_callback/{provider}")
LISTENER_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/company/50dc6c495c0c9188/f2f7dc8efc522ab2"
)
SERVICE_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/auth/73e2d6bc24d8a067"


def new_stack(region: str = "eu-west-1", name: str = "Company") -> tuple[App, Stack]:
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, Stack(app, name, env=Environment(account="123456789012", region=region))


def synth(app: App, stack: Stack) -> Template:
    """Synthesize with cdk-nag (an unacknowledged finding raises) and check cfn-lint too."""
    template = Template.from_stack(stack)
    assert cfn_lint_errors(dict(template.to_json()), [stack.region]) == []
    return template


def resources(template: Template, kind: str) -> list[dict[str, Any]]:
    return [dict(value) for value in template.find_resources(kind).values()]


# -- validation: every mistake names the construct and the prop ---------------------------------


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"environments": ["prod-us"]}, "CallbackRouter 'Router': environments[0]: unknown environment 'prod-us'"),
        (
            {"environments": "sandbox-us"},
            "CallbackRouter 'Router': environments: must be a list of strings, e.g. ['sandbox-us']",
        ),
        (
            {"environments": ["sandbox-us", "production-us"]},
            "CallbackRouter 'Router': environments: mixes production and sandbox",
        ),
        ({"providers": ["Fitbit"]}, "CallbackRouter 'Router': providers[0]: 'Fitbit' is not a provider slug"),
        ({"routes": ["/cb"]}, "CallbackRouter 'Router': routes[0].provider: path '/cb' has no {provider}"),
        (
            {"routes": [Route("/cb", provider="strava")], "providers": ["fitbit"]},
            "CallbackRouter 'Router': routes[0].provider: 'strava' is not in 'providers'",
        ),
        ({"fallback": Fallback.proxy("http://auth.company.com/cb")}, "CallbackRouter 'Router': fallback.url: "),
        ({"fallback": "reject"}, "CallbackRouter 'Router': fallback: must be Fallback.proxy(url)"),
        ({"memory_size": 64}, "CallbackRouter 'Router': memory_size: must be from 128 to 10240 MB"),
        ({"python_runtime": "3.9"}, "CallbackRouter 'Router': python_runtime:"),
        ({"snap_start": True, "python_runtime": "3.11"}, "CallbackRouter 'Router': snap_start: Lambda SnapStart"),
    ],
)
def test_mistakes_are_refused_naming_the_prop(props: dict[str, Any], message: str) -> None:
    _, stack = new_stack()
    arguments: dict[str, Any] = {"environments": ["sandbox-us"], "fallback": PROXY, **props}
    with pytest.raises(RouterConfigError, match=re.escape(message)):
        CallbackRouter(stack, "Router", **arguments)


def test_edge_router_outside_us_east_1_is_refused_with_what_to_do() -> None:
    _, stack = new_stack("eu-west-1")
    with pytest.raises(RouterConfigError, match=r"EdgeCallbackRouter 'Edge': region: .*us-east-1.*eu-west-1"):
        EdgeCallbackRouter(stack, "Edge", environments=["sandbox-us"])
    agnostic = Stack(App(), "Agnostic")
    with pytest.raises(RouterConfigError, match="environment-agnostic stack"):
        EdgeCallbackRouter(agnostic, "Edge", environments=["sandbox-us"])


def test_edge_router_refuses_a_fallback_and_deploy_time_values() -> None:
    _, stack = new_stack("us-east-1")
    with pytest.raises(TypeError, match="fallback"):
        EdgeCallbackRouter(stack, "Edge", environments=["sandbox-us"], fallback=PROXY)  # type: ignore[call-arg]
    api = apigwv2.HttpApi(stack, "Api")
    message = "EdgeCallbackRouter 'Edge2': extra_environments.staging: a value only known at deploy time"
    with pytest.raises(RouterConfigError, match=re.escape(message)):
        EdgeCallbackRouter(
            stack, "Edge2", environments=["sandbox-us"], extra_environments={"staging": f"{api.api_endpoint}/v2/link"}
        )


# -- fronts, against resources of the same app (tokens) ------------------------------------------


def test_http_api_of_the_same_app_and_a_deploy_time_fallback_url() -> None:
    app, stack = new_stack()
    api = apigwv2.HttpApi(stack, "CompanyApi", create_default_stage=False)
    router = CallbackRouter(
        stack,
        "Router",
        environments=["sandbox-eu"],
        routes=["/oauth_callback/{provider}", Route("/auth/strava/callback", provider="strava")],
        fallback=Fallback.proxy(f"{api.api_endpoint}/internal/{{provider}}", timeout_seconds=5),
    )
    routes = router.add_to_http_api(api)
    template = synth(app, stack)
    assert len(routes) == 2
    keys = sorted(item["Properties"]["RouteKey"] for item in resources(template, "AWS::ApiGatewayV2::Route"))
    assert keys == ["ANY /auth/strava/callback", "ANY /oauth_callback/{provider}"]
    (function,) = resources(template, "AWS::Lambda::Function")
    properties = function["Properties"]
    assert properties["Handler"] == "callback_router.handlers.api_handler"
    assert properties["Timeout"] == 8  # the proxy's 5 s plus room for a clean 502
    # The URL is only known at deploy time: the config travels in the environment, resolved by CloudFormation.
    variable = json.dumps(properties["Environment"]["Variables"]["CALLBACK_ROUTER_CONFIG"])
    assert "Fn::Join" in variable and "CompanyApi" in variable
    assert "RefusePlaceholderDeployment" not in json.dumps(template.to_json().get("Rules", {}))


def test_rest_api_from_another_stack_gets_a_deployment_that_changes_with_what_it_serves() -> None:
    def deployment_ids(stage_name: str, fallback: Fallback) -> tuple[list[str], Template]:
        app = App()
        company = Stack(app, "CompanyApi", env=Environment(account="123456789012", region="us-east-1"))
        api = apigw.RestApi(company, "Api", deploy_options=apigw.StageOptions(stage_name="prod"))
        api.root.add_method("GET", apigw.MockIntegration())
        stack = Stack(app, "Router", env=Environment(account="123456789012", region="us-east-1"))
        imported = apigw.RestApi.from_rest_api_attributes(
            stack, "Imported", rest_api_id=api.rest_api_id, root_resource_id=api.rest_api_root_resource_id
        )
        router = CallbackRouter(stack, "Router", environments=["production-us"], fallback=fallback)
        deployment = router.add_to_rest_api(imported, stage_name=stage_name)
        assert deployment is not None
        template = Template.from_stack(stack)
        return sorted(template.find_resources("AWS::ApiGateway::Deployment")), template

    first, template = deployment_ids("prod", PROXY)
    (deployment,) = template.find_resources("AWS::ApiGateway::Deployment").values()
    assert deployment["DeletionPolicy"] == "Retain"
    assert deployment["Properties"]["StageName"] == "prod"
    assert "Fn::ImportValue" in json.dumps(deployment["Properties"]["RestApiId"])  # from the other stack
    assert deployment_ids("prod", PROXY)[0] == first  # nothing changed: no new deployment
    assert deployment_ids("live", PROXY)[0] != first  # another stage: a new deployment
    assert (
        deployment_ids("prod", Fallback.proxy("https://auth.company.com/cb/{provider}", timeout_seconds=3))[0] == first
    )  # the fallback lives in the function, not in the API


def test_rest_api_imported_without_stage_name_is_refused() -> None:
    _, stack = new_stack()
    api = apigw.RestApi.from_rest_api_attributes(stack, "Api", rest_api_id="a1b2c3d4e5", root_resource_id="r00t12")
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError, match=re.escape("add_to_rest_api(stage_name=...)")):
        router.add_to_rest_api(api)


def test_alb_rules_send_only_jwt_shaped_states_to_the_router_and_marked_fallbacks_to_the_service() -> None:
    app, stack = new_stack()
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn=LISTENER_ARN,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0"),
    )
    service = elbv2.ApplicationTargetGroup.from_target_group_attributes(stack, "Service", target_group_arn=SERVICE_ARN)
    router = CallbackRouter(
        stack,
        "Router",
        environments=["production-eu"],
        routes=["/oauth_callback/{provider}", Route("/auth/strava/callback", provider="strava")],
        fallback=Fallback.proxy("https://auth.company.com/oauth_callback/{provider}"),
    )
    bypass, routed = router.add_to_alb(
        listener, priority=10, company_target_group=service, host_headers=["auth.company.com"]
    )
    template = synth(app, stack)
    rules = {
        rule["Properties"]["Priority"]: rule["Properties"]
        for rule in resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule")
    }
    assert sorted(rules) == [10, 11]
    paths = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/oauth_callback/*", "/auth/strava/callback"]}}
    hosts = {"Field": "host-header", "HostHeaderConfig": {"Values": ["auth.company.com"]}}
    marker = {
        "Field": "http-header",
        "HttpHeaderConfig": {"HttpHeaderName": "X-Junction-Callback-Router", "Values": ["fallback"]},
    }
    state = {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "state", "Value": "eyJ*"}]}}
    assert rules[10]["Conditions"] == [paths, hosts, marker]
    assert rules[10]["Actions"] == [{"Type": "forward", "TargetGroupArn": SERVICE_ARN}]
    assert rules[11]["Conditions"] == [paths, hosts, state]
    (group,) = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert group["Properties"]["TargetType"] == "lambda"
    attributes = {item["Key"]: item["Value"] for item in group["Properties"]["TargetGroupAttributes"]}
    assert attributes["lambda.multi_value_headers.enabled"] == "true"
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {"Principal": "elasticloadbalancing.amazonaws.com", "Action": "lambda:InvokeFunction"},
    )
    assert bypass.node.id == "BypassRule" and routed.node.id == "RouterRule"


def test_alb_rule_limits_are_checked_at_synth() -> None:
    _, stack = new_stack()
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn=LISTENER_ARN,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0"),
    )
    routes = [f"/cb{index}/{{provider}}" for index in range(4)]
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], routes=routes, fallback=PROXY)
    with pytest.raises(RouterConfigError, match="4 values; an ALB condition allows 3"):
        router.add_to_alb(listener, priority=10)
    three = CallbackRouter(stack, "Three", environments=["sandbox-us"], routes=routes[:3], fallback=PROXY)
    with pytest.raises(RouterConfigError, match="6 match evaluations; an ALB rule allows 5"):
        three.add_to_alb(listener, priority=20, host_headers=["a.company.com", "b.company.com"])
    with pytest.raises(RouterConfigError, match="priority"):
        router.add_to_alb(listener, priority=0)


def test_function_url_is_public_because_providers_redirect_browsers_there() -> None:
    app, stack = new_stack()
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY, memory_size=512)
    router.add_function_url()
    template = synth(app, stack)
    template.has_resource_properties("AWS::Lambda::Url", {"AuthType": "NONE"})
    template.has_resource_properties("AWS::Lambda::Function", {"MemorySize": 512, "Runtime": "python3.12"})


def test_snap_start_runs_behind_a_published_version_alias() -> None:
    app, stack = new_stack()
    api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY, snap_start=True)
    router.add_to_http_api(api)
    template = synth(app, stack)
    template.has_resource_properties("AWS::Lambda::Function", {"SnapStart": {"ApplyOn": "PublishedVersions"}})
    template.resource_count_is("AWS::Lambda::Version", 1)
    template.has_resource_properties("AWS::Lambda::Alias", {"Name": "live"})
    (integration,) = resources(template, "AWS::ApiGatewayV2::Integration")
    assert "LiveAlias" in json.dumps(integration["Properties"]["IntegrationUri"])


def test_reject_on_an_imported_api_warns_that_company_callbacks_get_404() -> None:
    _app, stack = new_stack()
    api = apigwv2.HttpApi.from_http_api_attributes(stack, "Api", http_api_id="h1t2t3p4a5")
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.reject()).add_to_http_api(api)
    Annotations.from_stack(stack).has_warning("/Company/Router", Match.string_like_regexp("gets 404.*Fallback.proxy"))


def test_a_placeholder_fallback_makes_cloudformation_refuse_the_deploy() -> None:
    _app, stack = new_stack()
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.proxy("https://auth.example.com/cb"))
    rules = Template.from_stack(stack).to_json()["Rules"]
    (guard,) = [rule for name, rule in rules.items() if name.startswith("RouterRefusePlaceholderDeployment")]
    (assertion,) = guard["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": ["placeholder", "replaced"]}
    assert "fallback.url" in assertion["AssertDescription"] and "example.com" in assertion["AssertDescription"]


def test_edge_router_versions_function_and_role_are_retained_and_names_generated(tmp_path: Path) -> None:
    app, stack = new_stack("us-east-1")
    edge = EdgeCallbackRouter(stack, "Edge", environments=["production-us"], routes=["/cb/{provider}"])
    template = synth(app, stack)
    assert edge.path_patterns == ["/cb/*"]
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert "FunctionName" not in function["Properties"]  # generated: no clash after a half-finished teardown
    for kind in ("AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::IAM::Role"):
        for resource in template.find_resources(kind).values():
            assert resource["DeletionPolicy"] == "Retain", kind
            assert resource["UpdateReplacePolicy"] == "Retain", kind


def test_edge_dashboard_has_a_section_per_region_where_the_function_runs() -> None:
    app, stack = new_stack("us-east-1")
    edge = EdgeCallbackRouter(
        stack, "Edge", environments=["production-us"], dashboard_regions=["us-east-1", "eu-west-1", "ap-south-1"]
    )
    template = synth(app, stack)
    assert edge.dashboard is not None
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for region in ("us-east-1", "eu-west-1", "ap-south-1"):
        assert region in body, region


# -- found by an adversarial review: each of these failed before ---------------------------------


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"providers": "oura"}, "providers: must be a list of strings, e.g. ['oura'], not a string"),
        ({"teams": "0c8b9e3a-1111"}, "teams: must be a list"),
        ({"environments": None}, "environments: must be a list of strings, not NoneType"),
        ({"extra_environments": ["x"]}, "extra_environments: must be a mapping"),
        ({"python_runtime": None}, "python_runtime: must be a string"),
        ({"log_retention": 90}, "log_retention: must be an aws_logs.RetentionDays"),
        ({"alarms": "yes"}, "alarms: must be True or False"),
        ({"max_state_length": Token.as_number(Aws.ACCOUNT_ID)}, "max_state_length: a value only known at deploy time"),
        ({"environments": [Aws.REGION]}, "environments[0]: a value only known at deploy time"),
    ],
)
def test_wrong_types_and_misplaced_tokens_name_the_prop(props: dict[str, Any], message: str) -> None:
    _, stack = new_stack()
    arguments: dict[str, Any] = {"environments": ["sandbox-us"], "fallback": PROXY, **props}
    with pytest.raises(RouterConfigError, match=re.escape(f"CallbackRouter 'Router': {message}")):
        CallbackRouter(stack, "Router", **arguments)


def test_a_token_in_the_fallback_host_is_accepted_and_checked_around() -> None:
    app, stack = new_stack()
    router = CallbackRouter(
        stack,
        "Router",
        environments=["sandbox-us"],
        fallback=Fallback.proxy(f"https://{Aws.ACCOUNT_ID}.auth.company.com/cb"),
    )
    router.add_function_url()
    template = synth(app, stack)
    assert "RefusePlaceholderDeployment" not in json.dumps(template.to_json().get("Rules", {}))
    with pytest.raises(RouterConfigError, match=re.escape("fallback.url")):  # the literal parts are still checked
        CallbackRouter(
            stack, "Bad", environments=["sandbox-us"], fallback=Fallback.proxy(f"http://{Aws.ACCOUNT_ID}.x.com/cb")
        )


def test_each_front_is_attached_once_per_resource() -> None:
    _, stack = new_stack()
    api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    router.add_to_http_api(api)
    router.add_to_http_api(apigwv2.HttpApi(stack, "Other", create_default_stage=False))  # another API is fine
    with pytest.raises(RouterConfigError, match="add_to_http_api: already attached"):
        router.add_to_http_api(api)
    router.add_function_url()
    with pytest.raises(RouterConfigError, match="add_function_url: already attached"):
        router.add_function_url()


def test_a_rest_api_of_this_app_deploys_its_own_stage() -> None:
    _app, stack = new_stack()
    api = apigw.RestApi(stack, "Api", deploy_options=apigw.StageOptions(stage_name="prod"), cloud_watch_role=False)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError, match="deploys its own stage 'prod'"):
        router.add_to_rest_api(api, stage_name="other")
    spec = apigw.SpecRestApi(
        stack,
        "Spec",
        api_definition=apigw.ApiDefinition.from_inline({"openapi": "3.0.1", "paths": {}}),
        cloud_watch_role=False,
    )
    other = CallbackRouter(stack, "Other", environments=["sandbox-us"], fallback=PROXY)
    assert other.add_to_rest_api(spec) is None  # its own deployment serves the methods: no second owner of the stage


def test_dashboards_of_routers_with_the_same_id_get_different_names() -> None:
    _app, stack = new_stack()
    first = CallbackRouter(Construct(stack, "A"), "Router", environments=["sandbox-us"], fallback=PROXY, dashboard=True)
    second = CallbackRouter(
        Construct(stack, "B"), "Router", environments=["sandbox-us"], fallback=PROXY, dashboard=True
    )
    names = [
        dashboard["Properties"]["DashboardName"]
        for dashboard in resources(Template.from_stack(stack), "AWS::CloudWatch::Dashboard")
    ]
    assert len(set(names)) == 2 and all("eu-west-1" in name for name in names)
    assert first.dashboard is not None and second.dashboard is not None


def test_a_fallback_onto_a_callback_path_warns_of_a_loop() -> None:
    _, stack = new_stack()
    router = CallbackRouter(
        stack,
        "Router",
        environments=["sandbox-us"],
        fallback=Fallback.redirect("https://auth.company.com/oauth_callback/{provider}"),
    )
    router.add_function_url()
    Annotations.from_stack(stack).has_warning("/Company/Router", Match.string_like_regexp("redirected back"))
    proxied = CallbackRouter(
        stack,
        "Proxied",
        environments=["sandbox-us"],
        fallback=Fallback.proxy("https://auth.company.com/oauth_callback/x"),
    )
    proxied.add_function_url()
    Annotations.from_stack(stack).has_warning("/Company/Proxied", Match.string_like_regexp("answered 502"))


# -- issue 14: the company's own routes on a callback path, and fallbacks that lead back -------------


def company_app() -> tuple[App, Stack, lambda_.Function]:
    """A company's app without cdk-nag (its own routes are its business): a stack and its callback function."""
    app = App()
    stack = Stack(app, "Company", env=Environment(account="123456789012", region="eu-west-1"))
    handler = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context): ..."),
    )
    return app, stack, handler


def http_integration(name: str, handler: lambda_.IFunction) -> HttpLambdaIntegration:
    return HttpLambdaIntegration(name, handler)


@pytest.mark.parametrize(
    ("method", "path", "why"),
    [
        (
            "GET",
            "/oauth_callback/{provider}",
            "API Gateway prefers a route with a method to the router's ANY route, so every GET request on that path, "
            "Junction's callbacks included, reaches it and never the router.",
        ),
        ("GET", "/oauth_callback/{name}", "API Gateway prefers a route with a method to the router's ANY route"),
        ("POST", "/oauth_callback/{name}", "every POST request on that path"),
        ("ANY", "/oauth_callback/{name}", "Two ANY routes on one path are a duplicate route key"),
        ("GET", "/oauth_callback/fitbit", "API Gateway prefers that more specific path"),
    ],
)
def test_a_company_route_on_the_callback_path_of_an_http_api_is_refused_before_or_after(
    method: str, path: str, why: str
) -> None:
    expected = (
        f"CallbackRouter 'Router': add_to_http_api: The HTTP API Company/Api already has {method} {path} "
        f"(Company/Api/{method}--oauth_callback--{path.rsplit('/', 1)[1]}, integrated with the Lambda function "
        "Company/Handler) on the callback path /oauth_callback/{provider}. "
    )
    what_to_do = "Remove it and pass fallback=Fallback.invoke(Company/Handler) to the router"
    # The company's route first: add_to_http_api refuses at once.
    _app, stack, handler = company_app()
    api = apigwv2.HttpApi(stack, "Api")
    api.add_routes(path=path, methods=[apigwv2.HttpMethod(method)], integration=http_integration("Own", handler))
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError) as refused:
        router.add_to_http_api(api)
    assert str(refused.value).startswith(expected)
    assert why in str(refused.value) and what_to_do in str(refused.value)
    # The company's route after: synth fails with the same words.
    app, stack, handler = company_app()
    api = apigwv2.HttpApi(stack, "Api")
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY).add_to_http_api(api)
    api.add_routes(path=path, methods=[apigwv2.HttpMethod(method)], integration=http_integration("Own", handler))
    with pytest.raises(Exception, match=re.escape(expected)):
        app.synth()


def test_a_route_integrated_with_a_function_of_another_app_is_named_by_its_arn() -> None:
    _app, stack, _handler = company_app()
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:company-oauth-callback"
    elsewhere = lambda_.Function.from_function_arn(stack, "Elsewhere", arn)
    api = apigwv2.HttpApi.from_http_api_attributes(stack, "Api", http_api_id="h1t2t3p4a5")
    apigwv2.HttpRoute(
        stack,
        "Own",
        http_api=api,
        route_key=apigwv2.HttpRouteKey.with_("/oauth_callback/{provider}", apigwv2.HttpMethod.GET),
        integration=http_integration("Own", elsewhere),
    )
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError, match=re.escape(f"the Lambda function {arn}) on the callback path")):
        router.add_to_http_api(api)


def test_default_and_greedy_routes_of_an_http_api_leave_the_callback_path_to_the_router() -> None:
    _app, stack, handler = company_app()
    api = apigwv2.HttpApi(stack, "Api", default_integration=http_integration("CatchAll", handler))  # $default
    api.add_routes(path="/{proxy+}", methods=[apigwv2.HttpMethod.GET], integration=http_integration("Proxy", handler))
    api.add_routes(
        path="/oauth_callback/{proxy+}", methods=[apigwv2.HttpMethod.ANY], integration=http_integration("Deep", handler)
    )
    api.add_routes(
        path="/oauth_callback/{provider}/done",
        methods=[apigwv2.HttpMethod.GET],
        integration=http_integration("Done", handler),
    )
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY).add_to_http_api(api)
    keys = {
        item["Properties"]["RouteKey"] for item in resources(Template.from_stack(stack), "AWS::ApiGatewayV2::Route")
    }
    assert "ANY /oauth_callback/{provider}" in keys and "$default" in keys


def rest_api(stack: Stack) -> apigw.RestApi:
    api = apigw.RestApi(stack, "Rest", cloud_watch_role=False)
    api.root.add_method("GET", apigw.MockIntegration())
    return api


def test_a_company_method_on_the_callback_resource_of_a_rest_api_is_refused_before_or_after() -> None:
    expected = (
        "CallbackRouter 'Router': add_to_rest_api: The REST API Company/Rest already has GET "
        "/oauth_callback/{provider} (Company/Rest/Default/oauth_callback/{provider}/GET, integrated with the Lambda "
        "function Company/Handler) on the callback path /oauth_callback/{provider}. API Gateway prefers a method to "
        "the router's ANY method on the same resource"
    )
    _app, stack, handler = company_app()
    api = rest_api(stack)
    api.root.add_resource("oauth_callback").add_resource("{provider}").add_method(
        "GET", apigw.LambdaIntegration(handler)
    )
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError, match=re.escape(expected)):
        router.add_to_rest_api(api)
    app, stack, handler = company_app()
    api = rest_api(stack)
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY).add_to_rest_api(api)
    callback = api.root.get_resource("oauth_callback")
    provider = callback.get_resource("{provider}") if callback is not None else None
    assert provider is not None
    provider.add_method("GET", apigw.LambdaIntegration(handler))
    with pytest.raises(Exception, match=re.escape(expected)):
        app.synth()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda callback, handler: callback.add_resource("{provider}").add_method("ANY", apigw.MockIntegration()),
            "already has ANY /oauth_callback/{provider} (Company/Rest/Default/oauth_callback/{provider}/ANY, "
            "integrated with a MOCK integration) on the callback path /oauth_callback/{provider}. The router adds "
            "its own ANY method on that resource",
        ),
        (
            lambda callback, handler: callback.add_proxy(default_integration=apigw.LambdaIntegration(handler)),
            "already has the resource /oauth_callback/{proxy+} (Company/Rest/Default/oauth_callback/{proxy+}) on the "
            "callback path /oauth_callback/{provider}. A REST API allows one variable path part per level, so API "
            "Gateway refuses the deployment",
        ),
        (
            lambda callback, handler: callback.add_resource("{name}").add_method(
                "GET", apigw.LambdaIntegration(handler)
            ),
            "already has GET /oauth_callback/{name} (Company/Rest/Default/oauth_callback/{name}/GET, integrated with "
            "the Lambda function Company/Handler) on the callback path /oauth_callback/{provider}. A REST API allows "
            "one variable path part per level",
        ),
        (
            lambda callback, handler: callback.add_resource("fitbit").add_method(
                "GET", apigw.LambdaIntegration(handler)
            ),
            "already has GET /oauth_callback/fitbit (Company/Rest/Default/oauth_callback/fitbit/GET, integrated with "
            "the Lambda function Company/Handler) on the callback path /oauth_callback/{provider}. API Gateway "
            "prefers that more specific resource",
        ),
    ],
)
def test_rest_resources_that_take_or_break_the_callback_path_are_refused(build: Any, message: str) -> None:
    _app, stack, handler = company_app()
    api = rest_api(stack)
    build(api.root.add_resource("oauth_callback"), handler)
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(RouterConfigError, match=re.escape(f"add_to_rest_api: The REST API Company/Rest {message}")):
        router.add_to_rest_api(api)


def test_a_greedy_proxy_at_the_root_of_a_rest_api_leaves_the_callback_path_to_the_router() -> None:
    app, stack, handler = company_app()
    api = rest_api(stack)
    api.root.add_proxy(default_integration=apigw.LambdaIntegration(handler), any_method=True)
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY).add_to_rest_api(api)
    app.synth()


LOOPS_BACK = "one of the router's callback paths: every callback that is not Junction's would be"


def test_a_fallback_on_the_stage_url_of_the_very_rest_api_is_refused() -> None:
    _app, stack, _handler = company_app()
    api = apigw.RestApi.from_rest_api_attributes(stack, "Api", rest_api_id="a1b2c3d4e5", root_resource_id="r00t12")
    url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/oauth_callback/{provider}"
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.redirect(url))
    expected = (
        f"CallbackRouter 'Router': add_to_rest_api: the redirect fallback {url} reaches this API "
        "(a1b2c3d4e5.execute-api is this API, and /prod is its stage), which routes it as /oauth_callback/{provider}, "
        f"{LOOPS_BACK} redirected back to the router forever"
    )
    with pytest.raises(RouterConfigError, match=re.escape(expected)):
        router.add_to_rest_api(api, stage_name="prod")
    # The company's other REST API on the same path is what a fallback is for: no word.
    other = "https://z9y8x7w6v5.execute-api.eu-west-1.amazonaws.com/prod/oauth_callback/{provider}"
    fine = CallbackRouter(stack, "Fine", environments=["sandbox-us"], fallback=Fallback.redirect(other))
    fine.add_to_rest_api(api, stage_name="prod")
    Annotations.from_stack(stack).has_no_warning("/Company/Fine", Match.string_like_regexp("fallback"))


def test_a_fallback_on_a_named_stage_of_the_very_http_api_is_refused_and_other_paths_pass() -> None:
    _app, stack, _handler = company_app()
    api = apigwv2.HttpApi(stack, "Api")
    apigwv2.HttpStage(stack, "Live", http_api=api, stage_name="live", auto_deploy=True)
    looping = Fallback.proxy(f"{api.api_endpoint}/live/oauth_callback/{{provider}}")
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=looping)
    expected = (
        "add_to_http_api: the proxy fallback <deploy-time URL>/live/oauth_callback/{provider} reaches this API "
        "(the URL is built from this API's own endpoint, and /live is its stage), which routes it as "
        "/oauth_callback/{provider}, "
        f"{LOOPS_BACK} replayed to the router once and answered 502 (every company login fails)"
    )
    with pytest.raises(RouterConfigError, match=re.escape(expected)):
        router.add_to_http_api(api)
    # /internal is no stage of this API: its $default stage serves /internal/oauth_callback/..., another route.
    internal = Fallback.proxy(f"{api.api_endpoint}/internal/oauth_callback/{{provider}}")
    CallbackRouter(stack, "Internal", environments=["sandbox-us"], fallback=internal).add_to_http_api(
        apigwv2.HttpApi(stack, "Other")
    )
    Annotations.from_stack(stack).has_no_warning("/Company/Internal", Match.string_like_regexp("fallback"))


def test_a_named_stage_of_an_imported_http_api_is_unknown_so_it_warns() -> None:
    _app, stack, _handler = company_app()
    api = apigwv2.HttpApi.from_http_api_attributes(stack, "Api", http_api_id="h1t2t3p4a5")
    url = "https://h1t2t3p4a5.execute-api.eu-west-1.amazonaws.com/live/oauth_callback/{provider}"
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.proxy(url)).add_to_http_api(api)
    Annotations.from_stack(stack).has_warning(
        "/Company/Router",
        f"CallbackRouter 'Router': add_to_http_api: the proxy fallback {url} may reach this API "
        "(h1t2t3p4a5.execute-api is this API, if it has a stage named 'live'), which routes it as "
        "/oauth_callback/{provider}, "
        f"{LOOPS_BACK} replayed to the router once and answered 502 (every company login fails). Point the fallback "
        "at the company's handler on another path or host. [ack: junction-callback-router:fallback-may-loop]",
    )


@pytest.mark.parametrize("kind", ["http", "rest"])
def test_a_fallback_on_a_custom_domain_base_path_of_the_very_api_fails_synth(kind: str) -> None:
    app, stack, _handler = company_app()
    certificate = acm.Certificate.from_certificate_arn(
        stack, "Certificate", "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c"
    )
    url = "https://auth.company.com/v1/oauth_callback/{provider}"
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.proxy(url))
    if kind == "http":
        api = apigwv2.HttpApi(stack, "Api")
        router.add_to_http_api(api)
        domain = apigwv2.DomainName(stack, "Domain", domain_name="auth.company.com", certificate=certificate)
        apigwv2.ApiMapping(stack, "Mapping", api=api, domain_name=domain, api_mapping_key="v1")  # after: still seen
    else:
        rest = rest_api(stack)
        router.add_to_rest_api(rest)
        rest.add_domain_name("Domain", domain_name="auth.company.com", certificate=certificate, base_path="v1")
    expected = (
        f"the proxy fallback {url} reaches this API (the custom domain auth.company.com maps the base path 'v1' to "
        f"this API), which routes it as /oauth_callback/{{provider}}, {LOOPS_BACK} replayed to the router once"
    )
    with pytest.raises(Exception, match=re.escape(expected)):
        app.synth()


def test_a_rest_fallback_built_from_the_api_id_and_its_stage_is_refused() -> None:
    _app, stack, _handler = company_app()
    api = rest_api(stack)  # deploys its stage "prod"
    url = f"https://{api.rest_api_id}.execute-api.eu-west-1.amazonaws.com/prod/oauth_callback/{{provider}}"
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.redirect(url))
    with pytest.raises(RouterConfigError, match=re.escape("(the URL is built from this API's own endpoint, and /prod")):
        router.add_to_rest_api(api)


def test_an_execute_api_host_that_may_be_this_api_warns() -> None:
    _app, stack, _handler = company_app()
    api = apigwv2.HttpApi(stack, "Api")  # its id is only known at deploy time
    url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/oauth_callback/{provider}"
    CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=Fallback.proxy(url)).add_to_http_api(api)
    Annotations.from_stack(stack).has_warning(
        "/Company/Router",
        Match.string_like_regexp(
            re.escape(
                f"the proxy fallback {url} may reach this API (if a1b2c3d4e5 is this API's id, and its $default "
                "stage serves the whole path)"
            )
        ),
    )


def spec_api(stack: Stack, paths: dict[str, Any]) -> apigw.SpecRestApi:
    definition = apigw.ApiDefinition.from_inline({"openapi": "3.0.1", "info": {"title": "t"}, "paths": paths})
    return apigw.SpecRestApi(stack, "Spec", api_definition=definition, cloud_watch_role=False)


def test_a_spec_rest_api_whose_inline_openapi_body_has_the_callback_path_is_refused() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:company-oauth-callback"
    uri = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    _app, stack, _handler = company_app()
    api = spec_api(
        stack, {"/": {"get": {}}, "/oauth_callback/{name}": {"get": {"x-amazon-apigateway-integration": integration}}}
    )
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    expected = (
        "add_to_rest_api: The REST API Company/Spec already has GET /oauth_callback/{name} (Company/Spec, in its "
        f"OpenAPI body, integrated with the Lambda function {arn}) on the callback path /oauth_callback/{{provider}}. "
        "A REST API allows one variable path part per level"
    )
    with pytest.raises(RouterConfigError, match=re.escape(expected)):
        router.add_to_rest_api(api)
    _app, stack, _handler = company_app()
    greedy = spec_api(stack, {"/oauth_callback/{proxy+}": {"x-amazon-apigateway-any-method": {}}})
    router = CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY)
    with pytest.raises(
        RouterConfigError, match=re.escape("already has the path /oauth_callback/{proxy+} (Company/Spec")
    ):
        router.add_to_rest_api(greedy)
    _app, stack, _handler = company_app()
    other = spec_api(stack, {"/{proxy+}": {"x-amazon-apigateway-any-method": {}}, "/health": {"get": {}}})
    assert CallbackRouter(stack, "Router", environments=["sandbox-us"], fallback=PROXY).add_to_rest_api(other) is None
