"""The standalone app: one stack per ``cdk.json`` stage, built from the public constructs.

This is a thin layer over :class:`~junction_callback_router.CallbackRouter` and
:class:`~junction_callback_router.EdgeCallbackRouter`: it turns a validated stage into their props,
creates what a shape needs around them (a new HTTP API, a CloudFront distribution), and adds the
outputs a user needs (what to put in Junction's ``redirect_url_override``, the version ARN to
attach, ...). :func:`build_app` is what ``app.py`` runs; tests call it too, so the CLI and the tests
build exactly the same tree.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import App, CfnOutput, Environment, Fn, Stack, Tags, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from callback_router_app.stages import DEFAULT_STAGE, STACK_PREFIX, Stage, StageError, parse_stage, stages_from_context
from junction_callback_router.cloudfront_function_router import CloudFrontFunctionCallbackRouter
from junction_callback_router.edge import EdgeCallbackRouter
from junction_callback_router.log_groups import log_group
from junction_callback_router.nag import acknowledge
from junction_callback_router.options import Fallback, RouterOptions
from junction_callback_router.router import CallbackRouter
from junction_callback_router.safety import origin_problems, refuse_deployment

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}
"""HTTP API access log line. No query string: it carries the OAuth ``code`` and ``state``."""


@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogSettings:
    """``IAccessLogSettings`` is a jsii interface, not a struct: this is its implementation."""

    def __init__(self, destination: apigwv2.IAccessLogDestination) -> None:
        self._destination = destination

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        """Where the access log lines go."""
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        """JSON lines without the query string (:data:`ACCESS_LOG_FORMAT`)."""
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT))


def callback_paths(stage: Stage) -> list[str]:
    """The configured callback paths, for outputs and docs."""
    return [route.path for route in stage.router.routes]


def router_options(stage: Stage, fallback: Fallback | None = None) -> RouterOptions:
    """The stage's runtime settings as the constructs' :class:`RouterOptions` (``fallback`` for regional shapes)."""
    runtime = {key: value for key, value in stage.runtime.items() if key not in ("routes", "fallback")}
    runtime.setdefault("environments", [])  # a stage may accept extra_environments only
    if "routes" in stage.runtime:
        runtime["routes"] = [route.path if route.provider is None else route for route in stage.router.routes]
    return RouterOptions(**runtime, fallback=fallback)


def router_props(stage: Stage) -> dict[str, Any]:
    """The infrastructure props both router constructs take, from a stage's keys."""
    return {
        "python_runtime": stage.python_runtime,
        "log_retention": stage.retention,
        "alarms": stage.alarms,
        "dashboard": stage.dashboard,
    }


def stage_fallback(stage: Stage, scope: Construct) -> Fallback:
    """The stage's fallback as the construct's :class:`Fallback` (an ``invoke`` function imported into ``scope``)."""
    fallback = stage.router.fallback
    if fallback.mode == "invoke" and fallback.function_arn is not None:
        function = lambda_.Function.from_function_arn(scope, "CompanyFunction", fallback.function_arn)
        return Fallback.invoke(function, timeout_seconds=fallback.timeout_seconds)
    if fallback.mode == "proxy" and fallback.url is not None:
        return Fallback.proxy(fallback.url, timeout_seconds=fallback.timeout_seconds)
    if fallback.mode == "redirect" and fallback.url is not None:
        return Fallback.redirect(fallback.url)
    return Fallback.reject()


def edge_distribution(
    scope: Construct, stage: Stage, router: EdgeCallbackRouter | CloudFrontFunctionCallbackRouter
) -> cloudfront.Distribution:
    """A distribution in front of the stage's origin that runs ``router`` on the callback paths only."""
    protocol = (
        cloudfront.OriginProtocolPolicy.HTTP_ONLY
        if stage.infra.get("origin_protocol") == "http"
        else cloudfront.OriginProtocolPolicy.HTTPS_ONLY
    )
    origin = origins.HttpOrigin(
        str(stage.infra["origin_domain_name"]),
        protocol_policy=protocol,
        origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
    )
    # With its own domain_names the distribution answers on the host the company's callback had,
    # so AllViewer forwards that Host to the origin as before. Without them the viewer's host is
    # *.cloudfront.net, which the origin's certificate and virtual host do not know: then the Host
    # header is left out (AllViewerExceptHostHeader) unless the stage says so.
    request_policy = (
        cloudfront.OriginRequestPolicy.ALL_VIEWER
        if stage.infra.get("forward_host_header", bool(stage.infra.get("domain_names")))
        else cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
    )

    def behaviour(routed: bool) -> cloudfront.BehaviorOptions:
        edge_lambdas = [router.edge_lambda] if routed and isinstance(router, EdgeCallbackRouter) else None
        functions = (
            [router.function_association] if routed and isinstance(router, CloudFrontFunctionCallbackRouter) else None
        )
        return cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=request_policy,
            edge_lambdas=edge_lambdas,
            function_associations=functions,
        )

    domain_names = stage.infra.get("domain_names")
    certificate_arn = stage.infra.get("certificate_arn")
    distribution = cloudfront.Distribution(
        scope,
        "Distribution",
        comment=f"Junction callback router ({stage.name}) in front of {stage.infra['origin_domain_name']}",
        default_behavior=behaviour(False),
        additional_behaviors={pattern: behaviour(True) for pattern in router.path_patterns},
        domain_names=list(domain_names) if domain_names else None,
        certificate=(
            acm.Certificate.from_certificate_arn(scope, "Certificate", str(certificate_arn))
            if certificate_arn
            else None
        ),
        minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate_arn else None,
        web_acl_id=stage.infra.get("web_acl_id"),
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        enable_logging=False,
    )
    acknowledge(
        distribution,
        "AwsSolutions-CFR3",
        "Standard access logs record the full query string (cs-uri-query): the OAuth code and the signed "
        "state. The router logs each decision without them instead.",
    )
    acknowledge(
        distribution,
        "AwsSolutions-CFR1",
        "OAuth callbacks come from the company's users wherever they are; geo blocking is the company's "
        "choice on its own origin.",
    )
    if not stage.infra.get("web_acl_id"):
        acknowledge(
            distribution,
            "AwsSolutions-CFR2",
            "No WAF by default (set web_acl_id to attach one): the router's edge function answers only "
            "GET/HEAD with a valid Junction token and passes everything else to the origin unchanged.",
        )
    if not certificate_arn:
        acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "Without domain_names/certificate_arn the distribution uses the default *.cloudfront.net "
            "certificate, whose minimum TLS version CloudFront fixes; set them to get TLSv1.2_2021.",
        )
    return distribution


class RouterStack(Stack):
    """Base: one stage's stack, built from the public constructs; outputs every shape has."""

    router: CallbackRouter | EdgeCallbackRouter | CloudFrontFunctionCallbackRouter

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description=self._description(stage), **kwargs)
        self.stage = stage
        self.build()
        Tags.of(self).add("junction-callback-router:stage", stage.name)
        CfnOutput(self, "FunctionName", value=self.router.function.function_name, description="The router function")
        CfnOutput(self, "CallbackPaths", value=" ".join(callback_paths(stage)), description="Configured callback paths")
        refuse_deployment(self, f"stage '{stage.name}'", origin_problems(stage.infra.get("origin_domain_name")))

    @staticmethod
    def _description(stage: Stage) -> str:
        return f"Junction BYOO callback router, stage {stage.name} ({stage.shape})"

    def build(self) -> None:
        """Create the router and attach it to the shape's front."""
        raise NotImplementedError

    def alarm_topic(self) -> sns.ITopic | None:
        """The stage's SNS topic for alarms, if it names one."""
        arn = self.stage.alarm_topic_arn
        return sns.Topic.from_topic_arn(self, "AlarmTopic", arn) if arn else None

    def regional_router(self) -> CallbackRouter:
        """The regional construct with the stage's props."""
        stage = self.stage
        self.router = CallbackRouter.from_options(
            self,
            "Router",
            router_options(stage, stage_fallback(stage, self)),
            **router_props(stage),
            memory_size=stage.memory_size,
            config_in_environment=stage.config_in_environment,
            snap_start=stage.snap_start,
            alarm_topic=self.alarm_topic(),
            description=f"Junction BYOO callback router, stage {stage.name} ({stage.shape})",
        )
        return self.router

    def edge_router(self) -> EdgeCallbackRouter:
        """The edge construct with the stage's props."""
        stage = self.stage
        router = EdgeCallbackRouter.from_options(
            self,
            "Router",
            router_options(stage),
            **router_props(stage),
            alarm_topic=self.alarm_topic(),
            description=f"Junction BYOO callback router, viewer request, stage {stage.name}",
        )
        self.router = router
        return router


class HttpApiStack(RouterStack):
    """Shape ``http_api``: a new HTTP API in front of the router."""

    def build(self) -> None:
        """A throttled HTTP API with access logs (no query string), and the router's routes on it."""
        stage = self.stage
        router = self.regional_router()
        api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"{STACK_PREFIX}-{stage.name}",
            description=f"Junction BYOO callback router, stage {stage.name}",
            create_default_stage=False,
        )
        access_logs = log_group(self, "AccessLogs", stage.retention)
        rate_limit, burst_limit = stage.throttle
        http_stage = apigwv2.HttpStage(
            self,
            "HttpStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            access_log_settings=AccessLogSettings(apigwv2.LogGroupLogDestination(access_logs)),
        )
        router.add_to_http_api(api)
        CfnOutput(self, "ApiUrl", value=http_stage.url, description="Base URL of the new HTTP API")
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", [http_stage.url, callback_paths(stage)[0].lstrip("/")]),  # url ends with "/"
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


class ExistingHttpApiStack(RouterStack):
    """Shape ``existing_http_api``: routes added to an HTTP API the company already runs."""

    def build(self) -> None:
        """Routes on the imported API; where they are served depends on the API's own stages."""
        api_id = str(self.stage.infra["http_api_id"])
        self.regional_router().add_to_http_api(
            apigwv2.HttpApi.from_http_api_attributes(self, "HttpApi", http_api_id=api_id)
        )
        CfnOutput(
            self,
            "ApiEndpoint",
            value=f"https://{api_id}.execute-api.{self.region}.{self.url_suffix}",
            description="Endpoint of the existing HTTP API (add a stage path if it is not $default)",
        )


class ExistingRestApiStack(RouterStack):
    """Shape ``existing_rest_api``: resources, methods and a deployment on an existing REST API."""

    def build(self) -> None:
        """Methods on the imported API, deployed into the stage."""
        infra = self.stage.infra
        api = apigw.RestApi.from_rest_api_attributes(
            self, "RestApi", rest_api_id=str(infra["rest_api_id"]), root_resource_id=str(infra["root_resource_id"])
        )
        self.regional_router().add_to_rest_api(api, stage_name=str(infra["stage_name"]))
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=f"https://{infra['rest_api_id']}.execute-api.{self.region}.{self.url_suffix}/"
            f"{infra['stage_name']}{callback_paths(self.stage)[0]}",
            description="Set Junction's redirect_url_override to this (or your custom domain + path)",
        )


class FunctionUrlStack(RouterStack):
    """Shape ``function_url``: the router with a Lambda Function URL, for the company's own domain or CDN."""

    def build(self) -> None:
        """The function and its URL."""
        url = self.regional_router().add_function_url()
        CfnOutput(self, "FunctionUrl", value=url.url, description="Put your domain or CloudFront in front of this")
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", [url.url, callback_paths(self.stage)[0].lstrip("/")]),
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


class EdgeDistributionStack(RouterStack):
    """Shape ``edge``: a new CloudFront distribution in front of the company's origin."""

    def build(self) -> None:
        """The edge router and a distribution that runs it on the callback paths only."""
        router = self.edge_router()
        distribution = edge_distribution(self, self.stage, router)
        CfnOutput(self, "DistributionId", value=distribution.distribution_id)
        CfnOutput(self, "DistributionDomainName", value=distribution.distribution_domain_name)
        CfnOutput(self, "EdgeFunctionVersionArn", value=router.version.edge_arn, description="Lambda@Edge version")
        host = (self.stage.infra.get("domain_names") or [distribution.distribution_domain_name])[0]
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", ["https://", host, callback_paths(self.stage)[0]]),
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


class EdgeFunctionStack(RouterStack):
    """Shape ``edge_function``: only the Lambda@Edge function, for an existing distribution."""

    def build(self) -> None:
        """The version ARN, and the command that attaches it to the distribution."""
        router = self.edge_router()
        CfnOutput(self, "EdgeFunctionVersionArn", value=router.version.edge_arn, description="Attach this version")
        distribution_id = self.stage.infra.get("distribution_id", "<DISTRIBUTION_ID>")
        patterns = " ".join(f"--path-pattern {shlex.quote(pattern)}" for pattern in router.path_patterns)
        CfnOutput(
            self,
            "AttachCommand",
            value=Fn.join(
                "",
                [
                    f".venv/bin/python -m tools.attach_edge --distribution-id {distribution_id} {patterns} "
                    "--function-version-arn ",
                    router.version.edge_arn,
                ],
            ),
            description="Dry run; add --apply to update the distribution",
        )


class CloudFrontFunctionStack(RouterStack):
    """Shape ``cloudfront_function``: a new distribution whose callback behaviours run the router as a
    CloudFront Function (no Lambda, no replicas: ``cdk destroy`` removes it at once)."""

    def build(self) -> None:
        """The CloudFront Function and a distribution that runs it on the callback paths only."""
        stage = self.stage
        props = {key: value for key, value in router_props(stage).items() if key != "python_runtime"}
        router = CloudFrontFunctionCallbackRouter.from_options(
            self,
            "Router",
            router_options(stage),
            **props,
            alarm_topic=self.alarm_topic(),
            comment=f"Junction BYOO callback router, stage {stage.name}",
        )
        self.router = router
        distribution = edge_distribution(self, stage, router)
        CfnOutput(self, "DistributionId", value=distribution.distribution_id)
        CfnOutput(self, "DistributionDomainName", value=distribution.distribution_domain_name)
        host = (stage.infra.get("domain_names") or [distribution.distribution_domain_name])[0]
        CfnOutput(
            self,
            "RedirectUrlOverride",
            value=Fn.join("", ["https://", host, callback_paths(stage)[0]]),
            description="Set Junction's redirect_url_override (and the provider's redirect URI) to this",
        )


STACKS: Mapping[str, type[RouterStack]] = {
    "http_api": HttpApiStack,
    "existing_http_api": ExistingHttpApiStack,
    "existing_rest_api": ExistingRestApiStack,
    "function_url": FunctionUrlStack,
    "edge": EdgeDistributionStack,
    "edge_function": EdgeFunctionStack,
    "cloudfront_function": CloudFrontFunctionStack,
}


def stage_environment(stage: Stage, environ: Mapping[str, str] = os.environ) -> Environment:
    """Account and region: the stage's own, else the CLI's (``CDK_DEFAULT_*``); edge shapes: us-east-1."""
    return Environment(
        account=stage.account or environ.get("CDK_DEFAULT_ACCOUNT"),
        region=stage.region or environ.get("CDK_DEFAULT_REGION"),
    )


def add_stage_stack(app: App, stage: Stage, environ: Mapping[str, str] = os.environ) -> RouterStack:
    """Add the stack for ``stage`` to ``app``."""
    return STACKS[stage.shape](app, stage.stack_name, stage=stage, env=stage_environment(stage, environ))


def selected_stage(app: App) -> Stage:
    """The stage named by context ``stage`` (``-c stage=NAME``), validated.

    Raises:
        StageError: the stage is unknown or has a mistake.
    """
    stages = stages_from_context(app.node.try_get_context("stages"))
    name = app.node.try_get_context("stage") or DEFAULT_STAGE
    if name not in stages:
        raise StageError(str(name), "stage", f"no such stage in cdk.json; stages: {', '.join(sorted(stages))}")
    return parse_stage(str(name), stages[name])


def build_app(app: App, environ: Mapping[str, str] = os.environ) -> RouterStack:
    """Build the selected stage's stack and enable cdk-nag's AWS Solutions checks on the app.

    With cdk-nag 3.x a finding that is not acknowledged fails ``synth``
    (https://github.com/cdklabs/cdk-nag#readme).
    """
    stack = add_stage_stack(app, selected_stage(app), environ)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack
