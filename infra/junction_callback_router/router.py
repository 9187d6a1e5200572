"""``CallbackRouter``: the one reusable construct behind every stack shape.

In the style of AWS Solutions Constructs: the props (a validated :class:`~junction_callback_router.stages.Stage`)
are checked first and unsupported combinations are refused with a message naming the stage and
the key; every default lives in :mod:`junction_callback_router.stages`; the construct then builds

* the function: an API Gateway Lambda (``http_api``, ``existing_rest_api``, ``existing_http_api``)
  or a Lambda@Edge function (``edge``, ``edge_function``), each with its own least-privilege role
  and log group(s) with a set retention;
* the integration for the shape (new HTTP API, routes on an existing HTTP API, resources and a
  deployment on an existing REST API, a CloudFront distribution, or nothing for ``edge_function``);
* optional CloudWatch alarms.

Which methods the API routes take: ``ANY``. The router redirects only ``GET``/``HEAD``, but the
callback path belongs to the company's OAuth flow too; with a ``proxy`` or ``redirect`` fallback
every other method must still reach the Lambda so that it can take the fallback, instead of being
answered by API Gateway's own 404/403. It also keeps one route (and one permission) per path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

import jsii
from aws_cdk import (
    Acknowledgment,
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from callback_router.core.decision import Outcome
from callback_router.observability import CONFIG_ERROR_METRIC, ROUTER_ERROR_METRIC, UPSTREAM_ERROR_METRIC
from callback_router.settings import CONFIG_ENV_VAR
from junction_callback_router.bundling import (
    BUNDLING_IMAGE,
    LAMBDA_ROOT,
    AssetKind,
    LocalBundler,
    asset_hash,
    lambda_python_version,
)
from junction_callback_router.stages import (
    API_GATEWAY_INTEGRATION_TIMEOUT,
    EDGE_REGION,
    LOG_RETENTION_DAYS,
    Stage,
    StageError,
)

API_HANDLERS = {
    "http_api": "callback_router.handlers.http_api_handler",
    "existing_http_api": "callback_router.handlers.http_api_handler",
    "existing_rest_api": "callback_router.handlers.rest_api_handler",
}
EDGE_HANDLER = "callback_router.handlers.viewer_request_handler"
API_MEMORY_MB = 256
EDGE_MEMORY_MB = 128
"""Lambda@Edge viewer-request limits: 128 MB and 5 s (CloudFront developer guide, "Quotas")."""
EDGE_TIMEOUT_SECONDS = 5
FOREIGN_ENVIRONMENT_METRIC = Outcome.FOREIGN_ENVIRONMENT.value

_RUNTIMES = {
    "3.10": lambda_.Runtime.PYTHON_3_10,
    "3.11": lambda_.Runtime.PYTHON_3_11,
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}
_RETENTION = dict(zip(LOG_RETENTION_DAYS, list(logs.RetentionDays)[: len(LOG_RETENTION_DAYS)], strict=True))

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


def lambda_runtime() -> lambda_.Runtime:
    """The Lambda runtime for both functions: the bundling Python's version when Lambda has it."""
    return _RUNTIMES[lambda_python_version()]


NAG_PACK = "AwsSolutions"


def acknowledge(scope: Construct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag 3.x finding on ``scope``, always with a reason.

    The id is the one cdk-nag prints ("Acknowledge with 'AwsSolutions::AwsSolutions-L1'"): the
    pack name, ``::``, then the rule (with ``[finding]`` for rules that report several).
    """
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAG_PACK}::{rule}", reason=reason))


class CallbackRouter(Construct):
    """The callback router for one stage, in the shape the stage asks for.

    Attributes set depending on the shape: ``function`` (every shape), ``edge_version`` (edge
    shapes), ``http_api`` / ``http_stage`` (``http_api``), ``deployment`` (``existing_rest_api``),
    ``distribution`` (``edge``), ``alarms``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage) -> None:
        super().__init__(scope, construct_id)
        self.stage = stage
        self._validate()
        self.alarms: list[cloudwatch.Alarm] = []
        self.edge_version: lambda_.IVersion | None = None
        self.http_api: apigwv2.HttpApi | None = None
        self.http_stage: apigwv2.HttpStage | None = None
        self.deployment: apigw.Deployment | None = None
        self.distribution: cloudfront.Distribution | None = None
        self.routes: list[Construct] = []
        if stage.is_edge:
            self.function: lambda_.IFunction = self._edge_function()
        else:
            self.function = self._api_function()
        if stage.shape == "http_api":
            self._new_http_api()
        elif stage.shape == "existing_http_api":
            self._existing_http_api()
        elif stage.shape == "existing_rest_api":
            self._existing_rest_api()
        elif stage.shape == "edge":
            self._distribution()
        if stage.alarms:
            self._alarms()

    # -- validation ---------------------------------------------------------------------------

    def _validate(self) -> None:
        stage, stack = self.stage, Stack.of(self)
        if stage.is_edge and (Token.is_unresolved(stack.region) or stack.region != EDGE_REGION):
            raise StageError(
                stage.name,
                "region",
                f"shape {stage.shape!r} must be in a stack whose region is {EDGE_REGION} (Lambda@Edge), "
                f"not {'unresolved' if Token.is_unresolved(stack.region) else stack.region}",
            )
        fallback = stage.router.fallback
        timeout = stage.api_timeout_seconds
        if not stage.is_edge and fallback.mode == "proxy" and not fallback.timeout_seconds < timeout:
            raise StageError(stage.name, "fallback.timeout_seconds", f"must be below the Lambda timeout ({timeout} s)")
        if timeout >= API_GATEWAY_INTEGRATION_TIMEOUT:
            raise StageError(stage.name, "fallback.timeout_seconds", "leaves no room under API Gateway's 29 s")

    # -- functions ----------------------------------------------------------------------------

    def _code(self, kind: AssetKind) -> lambda_.Code:
        return lambda_.Code.from_asset(
            str(LAMBDA_ROOT),
            asset_hash=asset_hash(kind, self.stage),
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=BundlingOptions(image=BUNDLING_IMAGE, local=cast(ILocalBundling, LocalBundler(kind, self.stage))),
        )

    def _log_group(self, construct_id: str, name: str | None = None) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            construct_id,
            log_group_name=name,
            retention=_RETENTION[self.stage.log_retention_days],
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _api_function(self) -> lambda_.Function:
        stage = self.stage
        log_group = self._log_group("FunctionLogs")
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Junction callback router ({stage.name}): writes its own log group, nothing else",
        )
        log_group.grant_write(role)
        environment = (
            {CONFIG_ENV_VAR: json.dumps(stage.runtime, sort_keys=True)} if stage.config_in_environment else None
        )
        function = lambda_.Function(
            self,
            "Function",
            description=f"Junction BYOO callback router, stage {stage.name} ({stage.shape})",
            runtime=lambda_runtime(),
            architecture=lambda_.Architecture.X86_64,
            handler=API_HANDLERS[stage.shape],
            code=self._code("api"),
            role=role,
            log_group=log_group,
            memory_size=API_MEMORY_MB,
            timeout=Duration.seconds(stage.api_timeout_seconds),
            environment=environment,
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "The runtime is chosen to equal the bundling Python's version so the shipped .pyc files load "
            "(measured cold-start gain, see BENCHMARKS.md); a newer runtime would silently ignore them.",
        )
        return function

    def _edge_function(self) -> lambda_.IFunction:
        stage, stack = self.stage, Stack.of(self)
        # An explicit name: the role's log permissions must name the function's log groups, and
        # deriving them from the generated name would make the role depend on the function.
        name = f"{stack.stack_name}-viewer-request"[:64]
        # Lambda@Edge writes to /aws/lambda/us-east-1.<name> in whichever region served the
        # request, creating the group there on first use; the us-east-1 one is created here with
        # the retention, the others are covered in docs/DEPLOY.md.
        edge_logs = self._log_group("EdgeLogs", f"/aws/lambda/{EDGE_REGION}.{name}")
        direct_logs = self._log_group("FunctionLogs", f"/aws/lambda/{name}")
        role = iam.Role(
            self,
            "EdgeRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("lambda.amazonaws.com"), iam.ServicePrincipal("edgelambda.amazonaws.com")
            ),
            description=f"Junction callback router at the edge ({stage.name}): writes its own log groups only",
        )
        direct_logs.grant_write(role)
        regional_groups = f"arn:{stack.partition}:logs:*:{stack.account}:log-group:/aws/lambda/{EDGE_REGION}.{name}"
        policy = iam.Policy(
            self,
            "EdgeLogsPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[regional_groups, f"{regional_groups}:*"],
                )
            ],
        )
        role.attach_inline_policy(policy)
        # cdk-nag names a finding by the resource as it resolves: tokens as <AWS::...>, literals as is.
        partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        finding = f"Resource::arn:{partition}:logs:*:{account}:log-group:/aws/lambda/{EDGE_REGION}.{name}"
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[{finding}:*]",
            "Lambda@Edge runs in the region nearest the viewer and logs there, so the log group exists in "
            "every region; the resource is still this one function's log group name (and its streams).",
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[{finding}]",
            "Lambda@Edge creates this function's log group in each region where it first runs; the region "
            "is the only wildcard.",
        )
        function = cloudfront.experimental.EdgeFunction(
            self,
            "EdgeFunction",
            function_name=name,
            description=f"Junction BYOO callback router, viewer request, stage {stage.name}",
            runtime=lambda_runtime(),
            architecture=lambda_.Architecture.X86_64,
            handler=EDGE_HANDLER,
            code=self._code("edge"),
            role=role,
            memory_size=EDGE_MEMORY_MB,
            timeout=Duration.seconds(EDGE_TIMEOUT_SECONDS),
        )
        function.node.add_dependency(edge_logs, direct_logs, policy)
        acknowledge(
            function,
            "AwsSolutions-L1",
            "The runtime is chosen to equal the bundling Python's version so the shipped .pyc files load "
            "(cold start is what viewers feel at the edge); a newer runtime would silently ignore them.",
        )
        self.edge_version = function.current_version
        # EdgeFunction implements IVersion (hence IFunction) in the JS library; the Python stubs
        # lag on one newer IFunction member.
        return cast(lambda_.IFunction, function)

    # -- shapes -------------------------------------------------------------------------------

    def _http_integration(self) -> HttpLambdaIntegration:
        return HttpLambdaIntegration(
            "RouterIntegration", self.function, payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0
        )

    def _acknowledge_open_route(self, route: Construct) -> None:
        acknowledge(
            route,
            "AwsSolutions-APIG4",
            "An OAuth redirect URI is opened by the user's browser from the provider's consent page and "
            "carries no credentials; the signed state (Junction's aud check or the company's own) is the "
            "protection, exactly as for the callback endpoint it shares.",
        )

    def _new_http_api(self) -> None:
        stage = self.stage
        api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description=f"Junction BYOO callback router, stage {stage.name}",
            create_default_stage=False,
        )
        access_logs = self._log_group("AccessLogs")
        rate_limit, burst_limit = stage.throttle
        self.http_stage = apigwv2.HttpStage(
            self,
            "HttpStage",
            http_api=api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            access_log_settings=AccessLogSettings(apigwv2.LogGroupLogDestination(access_logs)),
        )
        integration = self._http_integration()
        for route in stage.router.routes:
            for http_route in api.add_routes(
                path=route.path, methods=[apigwv2.HttpMethod.ANY], integration=integration
            ):
                self._acknowledge_open_route(http_route)
                self.routes.append(http_route)
        self.http_api = api

    def _existing_http_api(self) -> None:
        stage = self.stage
        api = apigwv2.HttpApi.from_http_api_attributes(self, "HttpApi", http_api_id=str(stage.infra["http_api_id"]))
        integration = self._http_integration()
        for index, route in enumerate(stage.router.routes):
            http_route = apigwv2.HttpRoute(
                self,
                f"Route{index}",
                http_api=api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod.ANY),
                integration=integration,
            )
            self._acknowledge_open_route(http_route)
            self.routes.append(http_route)

    def _existing_rest_api(self) -> None:
        stage = self.stage
        api = apigw.RestApi.from_rest_api_attributes(
            self,
            "RestApi",
            rest_api_id=str(stage.infra["rest_api_id"]),
            root_resource_id=str(stage.infra["root_resource_id"]),
        )
        integration = apigw.LambdaIntegration(self.function, proxy=True)
        methods: list[apigw.Method] = []
        for route in stage.router.routes:
            resource: apigw.IResource = api.root
            for segment in route.path.strip("/").split("/"):
                resource = resource.get_resource(segment) or resource.add_resource(segment)
            method = resource.add_method("ANY", integration)
            self._acknowledge_open_route(method)
            acknowledge(
                method,
                "AwsSolutions-COG4",
                "No Cognito user pool: OAuth provider redirects carry no user credentials (see APIG4).",
            )
            methods.append(method)
            self.routes.append(method)
        # Methods on an imported API are live only once deployed into its stage. The logical id
        # changes with the routes and config, so every change makes a new deployment.
        deployment = apigw.Deployment(
            self,
            "Deployment",
            api=api,
            stage_name=str(stage.infra["stage_name"]),
            description=f"Junction callback router routes ({stage.name})",
            # Kept on update and on stack deletion: CloudFormation cannot delete a deployment that
            # the company's stage still points at (docs/DEPLOY.md says how to redeploy the stage).
            retain_deployments=True,
        )
        deployment.add_to_logical_id({"routes": [route.path for route in stage.router.routes], "v": 1})
        for method in methods:
            deployment.node.add_dependency(method)
        self.deployment = deployment

    def _distribution(self) -> None:
        stage = self.stage
        assert self.edge_version is not None
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
        # With its own domain_names the distribution answers on the host the company's callback
        # had, so AllViewer forwards that Host to the origin as before. Without them the viewer's
        # host is *.cloudfront.net, which the origin's certificate and virtual host do not know:
        # then the Host header is left out (AllViewerExceptHostHeader) unless the stage says so.
        request_policy = (
            cloudfront.OriginRequestPolicy.ALL_VIEWER
            if stage.infra.get("forward_host_header", bool(stage.infra.get("domain_names")))
            else cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
        )

        def behaviour(edge_lambdas: Sequence[cloudfront.EdgeLambda]) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=request_policy,
                edge_lambdas=list(edge_lambdas) or None,
            )

        router = cloudfront.EdgeLambda(
            event_type=cloudfront.LambdaEdgeEventType.VIEWER_REQUEST, function_version=self.edge_version
        )
        domain_names = stage.infra.get("domain_names")
        certificate_arn = stage.infra.get("certificate_arn")
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Junction callback router ({stage.name}) in front of {stage.infra['origin_domain_name']}",
            default_behavior=behaviour([]),
            additional_behaviors={pattern: behaviour([router]) for pattern in stage.path_patterns},
            domain_names=list(domain_names) if domain_names else None,
            certificate=(
                acm.Certificate.from_certificate_arn(self, "Certificate", str(certificate_arn))
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
        self.distribution = distribution

    # -- alarms -------------------------------------------------------------------------------

    def _alarms(self) -> None:
        stage, router = self.stage, self.stage.router
        period = Duration.minutes(5)
        errors = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions_map={"FunctionName": self.function.function_name},
            statistic="Sum",
            period=period,
        )

        def router_metric(name: str) -> cloudwatch.Metric:
            # Powertools EMF: namespace from the config, one dimension "service".
            return cloudwatch.Metric(
                namespace=router.metrics_namespace,
                metric_name=name,
                dimensions_map={"service": router.service},
                statistic="Sum",
                period=period,
            )

        described = {
            "Errors": (errors, "the router function failed (invocation errors)"),
            FOREIGN_ENVIRONMENT_METRIC: (
                router_metric(FOREIGN_ENVIRONMENT_METRIC),
                "Junction callbacks for an environment this stage does not accept: check redirect_url_override",
            ),
            CONFIG_ERROR_METRIC: (
                router_metric(CONFIG_ERROR_METRIC),
                "the bundled config is unusable; the router is failing open",
            ),
            # Errors fail open, so Lambda's own Errors metric rarely moves: watch the router's count.
            ROUTER_ERROR_METRIC: (
                router_metric(ROUTER_ERROR_METRIC),
                "deciding or answering raised; requests failed open (see error_type/error_at in the logs)",
            ),
        }
        if not stage.is_edge and router.fallback.mode == "proxy":
            described[UPSTREAM_ERROR_METRIC] = (
                router_metric(UPSTREAM_ERROR_METRIC),
                "the company's callback (proxy fallback) did not answer; users got a 502",
            )
        topic = sns.Topic.from_topic_arn(self, "AlarmTopic", stage.alarm_topic_arn) if stage.alarm_topic_arn else None
        for name, (metric, description) in described.items():
            alarm = metric.create_alarm(
                self,
                f"{name}Alarm",
                alarm_description=f"Junction callback router ({stage.name}): {description}",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            if topic is not None:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
            self.alarms.append(alarm)


def callback_paths(stage: Stage) -> list[str]:
    """The configured callback paths, for outputs and docs."""
    return [route.path for route in stage.router.routes]
