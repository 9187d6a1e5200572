"""``CallbackRouter``: the regional router function and the fronts it can be put behind.

In the style of AWS Solutions Constructs: props are validated first (by the function's own config
parser, with messages that name the construct and the prop), unsupported combinations are refused
with a clear message, existing resources are accepted as arguments (new, imported, or from another
stack), and every default lives in :mod:`junction_callback_router.common`.

Fronts (each may be called more than once, for several APIs or listeners)::

    router.add_to_http_api(http_api)                  # API Gateway HTTP API (payload 2.0)
    router.add_to_rest_api(rest_api, stage_name="prod")  # API Gateway REST API (proxy integration)
    router.add_to_alb(listener, priority=10, company_target_group=service_targets)
    router.add_function_url()                          # Lambda Function URL, auth NONE

Which methods the API routes take: ``ANY``. The router redirects only ``GET``/``HEAD``, but the
callback path belongs to the company's OAuth flow too; with a ``proxy`` or ``redirect`` fallback
every other method must still reach the function so that it can take the fallback, instead of
being answered by API Gateway's own 404/403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

import jsii
from aws_cdk import Annotations, Duration, Names, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_targets as elb_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct, IValidation

from callback_router.core.answers import FALLBACK_MARKER_HEADER, FALLBACK_MARKER_VALUE
from callback_router.core.config import RouterConfig
from callback_router.core.routes import ALB_STATE_PATTERN, PROVIDER_PLACEHOLDER, match_routes, path_patterns
from callback_router.settings import CONFIG_ENV_VAR
from junction_callback_router.common import (
    API_GATEWAY_INTEGRATION_TIMEOUT,
    DEFAULT_API_MEMORY_MB,
    DEFAULT_LOG_RETENTION,
    DEFAULT_PYTHON_RUNTIME,
    HTTP_API_INTEGRATION_TIMEOUT,
    RUNTIME_ACKNOWLEDGEMENT,
    TIMEOUT_MARGIN_SECONDS,
    acknowledge,
    add_alarms,
    api_timeout_seconds,
    check_props,
    dashboard_name,
    function_code,
    lambda_runtime,
    log_group,
)
from junction_callback_router.fallback_loops import AttachedApi, api_loops, loop_effect
from junction_callback_router.options import Fallback, Route, RouterConfigError, config_document
from junction_callback_router.route_conflicts import Conflict, http_api_conflicts, rest_api_conflicts
from junction_callback_router.runtimes import normalise_python_version
from junction_callback_router.safety import document_problems, refuse_deployment
from junction_callback_router.stand_ins import TOKEN_STAND_IN

API_HANDLER = "callback_router.handlers.api_handler"
"""One entry point for every regional front: it tells the event shapes apart (see handlers.py)."""
ALB_MAX_MATCH_EVALUATIONS = 5
ALB_MAX_VALUES_PER_CONDITION = 3
ALB_MAX_WILDCARDS = 5
ALB_MAX_CONDITION_VALUE_LENGTH = 128
"""ELB guide, "Listener rules for your Application Load Balancer", condition limits."""
MEMORY_BOUNDS = (128, 10240)
FALLBACK_LOOP_WARNING = "junction-callback-router:fallback-may-loop"


class CallbackRouter(Construct):
    """The Junction callback router as a regional Lambda function, ready to put behind any front.

    Example::

        router = CallbackRouter(
            stack, "Router",
            environments=["sandbox-us", "sandbox-eu"],
            routes=["/oauth_callback/{provider}", Route("/auth/strava/callback", provider="strava")],
            fallback=Fallback.proxy("https://auth.company.com/oauth_callback/{provider}"),
        )
        router.add_to_http_api(http_api)

    Attributes:
        function: the router function (``lambda_.Function``).
        target: what the fronts invoke: the function, or its ``live`` alias with SnapStart.
        config: the validated runtime configuration.
        alarms: the CloudWatch alarms (empty unless ``alarms=True``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environments: Sequence[str],
        fallback: Fallback,
        routes: Sequence[str | Route] | None = None,
        providers: Sequence[str] | None = None,
        extra_environments: Mapping[str, str] | None = None,
        allow_mixed_environments: bool = False,
        teams: Sequence[str] | None = None,
        max_state_length: int | None = None,
        service: str | None = None,
        metrics_namespace: str | None = None,
        python_runtime: str = DEFAULT_PYTHON_RUNTIME,
        memory_size: int = DEFAULT_API_MEMORY_MB,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        config_in_environment: bool = False,
        snap_start: bool = False,
        alarms: bool = False,
        alarm_topic: sns.ITopic | None = None,
        dashboard: bool = False,
        description: str | None = None,
    ) -> None:
        """Create the router function.

        Args:
            scope: the parent construct.
            construct_id: the construct id.
            environments: Junction environments whose Link Tokens are redirected (``sandbox-us``,
                ``sandbox-eu``, ``production-us``, ``production-eu``). Sandbox and production may
                not be mixed unless ``allow_mixed_environments``.
            fallback: what happens to every callback that is not Junction's
                (:meth:`Fallback.invoke`, :meth:`Fallback.proxy`, :meth:`Fallback.redirect`,
                :meth:`Fallback.reject`). With ``invoke`` the router may invoke exactly that
                function, and its timeout is set above the function's.
            routes: callback paths (default ``["/oauth_callback/{provider}"]``); a path without
                ``{provider}`` is a :class:`Route` naming its provider.
            providers: allowlist of provider slugs (default: every valid slug).
            extra_environments: more Link API base URLs by name (e.g. a Junction-provided staging).
            allow_mixed_environments: accept sandbox and production in one deployment.
            teams: allowlist of Junction team ids (the token's ``team_id``); default: any team.
            max_state_length: longest ``state`` parsed (default 4096).
            service: log/metric service name (default ``junction-callback-router``).
            metrics_namespace: CloudWatch namespace (default ``JunctionCallbackRouter``).
            python_runtime: Lambda Python runtime, ``"3.12"`` by default (see runtimes.py).
            memory_size: function memory in MB; CPU is proportional to it (BENCHMARKS.md).
            log_retention: retention of the function's log group.
            config_in_environment: read the config from ``CALLBACK_ROUTER_CONFIG`` instead of the
                bundle (forced when a prop holds a deploy-time token).
            snap_start: Lambda SnapStart on published versions (Python 3.12 and later); the fronts
                then invoke the ``live`` alias.
            alarms: create CloudWatch alarms (docs/DEPLOY.md lists them).
            alarm_topic: SNS topic the alarms notify.
            dashboard: create a CloudWatch dashboard (cdk-monitoring-constructs): the router's
                outcomes, errors, duration p50/p99 and cold starts.
            description: the function's description.

        Raises:
            RouterConfigError: a prop the router cannot run with, named in the message.
        """
        super().__init__(scope, construct_id)
        label = f"CallbackRouter '{construct_id}'"
        self._label = label
        check_props(
            label,
            python_runtime=python_runtime,
            log_retention=log_retention,
            config_in_environment=config_in_environment,
            snap_start=snap_start,
            alarms=alarms,
            dashboard=dashboard,
        )
        document = config_document(
            label,
            environments=environments,
            routes=routes,
            providers=providers,
            fallback=fallback if isinstance(fallback, Fallback) else _not_a_fallback(label, fallback),
            extra_environments=extra_environments,
            allow_mixed_environments=allow_mixed_environments,
            teams=teams,
            max_state_length=max_state_length,
            service=service,
            metrics_namespace=metrics_namespace,
        )
        if isinstance(memory_size, bool) or not isinstance(memory_size, int):
            raise RouterConfigError(label, "memory_size", "must be a whole number of MB")
        if not MEMORY_BOUNDS[0] <= memory_size <= MEMORY_BOUNDS[1]:
            raise RouterConfigError(label, "memory_size", f"must be from {MEMORY_BOUNDS[0]} to {MEMORY_BOUNDS[1]} MB")
        try:
            runtime = lambda_runtime(self, python_runtime, edge=False)
            runtime_version = normalise_python_version(python_runtime)
        except ValueError as error:
            raise RouterConfigError(label, "python_runtime", str(error)) from None
        if snap_start and tuple(map(int, runtime_version.split("."))) < (3, 12):
            raise RouterConfigError(
                label,
                "snap_start",
                f"Lambda SnapStart supports Python 3.12 and later; set python_runtime='3.12' (not {python_runtime!r})",
            )
        self.config: RouterConfig = document.config
        refuse_deployment(self, label, document_problems(document.literal))
        self.document = document
        self._fronts: dict[str, int] = {}
        self._attached: set[str] = set()
        self.function_log_group = log_group(self, "FunctionLogs", log_retention)
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Junction callback router: writes its own log group"
            + (", invokes the company's callback function" if fallback.mode == "invoke" else ", nothing else"),
        )
        self.function_log_group.grant_write(role)
        if fallback.mode == "invoke":
            # Exactly this function and qualifier: a statement on the ARN as given (not CDK's
            # grant_invoke, which adds "<arn>:*" for every version and alias of it).
            role.add_to_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[fallback.function.function_arn])
            )
        in_environment = config_in_environment or document.has_tokens
        config_json = document.to_json(self)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description or "Junction BYOO callback router",
            runtime=runtime,
            architecture=lambda_.Architecture.X86_64,
            handler=API_HANDLER,
            # The bundle always holds the config when it is literal; with tokens it holds none (the
            # handler then reads CALLBACK_ROUTER_CONFIG, which CloudFormation resolves).
            code=function_code("api", "{}\n" if document.has_tokens else config_json, runtime_version),
            role=role,
            log_group=self.function_log_group,
            memory_size=memory_size,
            timeout=Duration.seconds(api_timeout_seconds(self.config)),
            environment={CONFIG_ENV_VAR: config_json.strip()} if in_environment else None,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
        )
        acknowledge(self.function, "AwsSolutions-L1", RUNTIME_ACKNOWLEDGEMENT)
        self.target: lambda_.IFunction = self.function
        if snap_start:
            # SnapStart only applies to published versions: the fronts must invoke a version or an
            # alias, never $LATEST (Lambda developer guide, "Improving startup performance with
            # Lambda SnapStart").
            self.target = lambda_.Alias(self, "LiveAlias", alias_name="live", version=self.function.current_version)
        self.alarms: list[cloudwatch.Alarm] = []
        if alarms:
            self.alarms = add_alarms(
                self,
                label=label,
                function_name=self.function.function_name,
                config=self.config,
                proxy=self.config.fallback.mode in ("proxy", "invoke"),
                topic=alarm_topic,
            )
        elif alarm_topic is not None:
            raise RouterConfigError(label, "alarm_topic", "set alarms=True as well, or there is nothing to notify")
        self.dashboard: cloudwatch.Dashboard | None = None
        if dashboard:
            from junction_callback_router.monitoring import add_router_dashboard  # only users of dashboards pay for it

            self.dashboard = add_router_dashboard(
                self,
                "Dashboard",
                function=self.function,
                service=self.config.service,
                metrics_namespace=self.config.metrics_namespace,
                dashboard_name=dashboard_name(self),
            )

    # -- helpers -----------------------------------------------------------------------------

    def _attach_once(self, front: str, resource: object) -> None:
        """Refuse attaching twice to the same API, listener or URL: AWS would refuse the duplicate at deploy."""
        key = f"{front}:{Names.unique_id(resource) if isinstance(resource, Construct) else id(resource)}"
        if key in self._attached:
            raise RouterConfigError(
                self._label, front, "already attached to this resource; each front is added once per API or listener"
            )
        self._attached.add(key)

    def _check_front_timeout(self, method: str, front: str, limit: int) -> None:
        """Refuse a front that stops waiting before the router can answer (the invoke fallback)."""
        timeout = api_timeout_seconds(self.config)
        if timeout > limit:
            raise RouterConfigError(
                self._label,
                f"{method}: fallback timeout_seconds",
                f"{front} waits {limit} s for its integration, but the router may take {timeout} s (the company "
                f"function's {self.config.fallback.timeout_seconds:g} s plus {TIMEOUT_MARGIN_SECONDS} s to answer): "
                f"pass Fallback.invoke(function, timeout_seconds={limit - TIMEOUT_MARGIN_SECONDS}) or less",
            )

    def _next_id(self, front: str) -> str:
        count = self._fronts.get(front, 0)
        self._fronts[front] = count + 1
        return front if count == 0 else f"{front}{count + 1}"

    def _acknowledge_open_route(self, route: Construct) -> None:
        acknowledge(
            route,
            "AwsSolutions-APIG4",
            "An OAuth redirect URI is opened by the user's browser from the provider's consent page and "
            "carries no credentials; the signed state (Junction's aud check or the company's own) is the "
            "protection, exactly as for the callback endpoint it shares.",
        )

    def _warn_if_fallback_loops(self, front: str, *, marked_bypass: bool = False) -> None:
        """Warn when the fallback URL's path is one of the router's own callback paths.

        Served by the same front, every callback the router passes on would come back to it: a
        redirect loops in the browser, a proxy is replayed once and answered 502 (the marker).
        Behind an ALB with ``company_target_group`` the marked replay goes to the company instead.
        """
        fallback = self.config.fallback
        if fallback.mode not in ("redirect", "proxy") or fallback.url is None:
            return
        if fallback.mode == "proxy" and marked_bypass:
            return
        path = urlsplit(fallback.url.replace(PROVIDER_PLACEHOLDER, "provider")).path
        if match_routes(self.config.routes, path) is None:
            return
        Annotations.of(self).add_warning_v2(
            FALLBACK_LOOP_WARNING,
            f"{self._label}: the {fallback.mode} fallback points at {path}, one of the router's own callback "
            f"paths. If that URL is served by {front} too, every callback that is not Junction's is "
            f"{loop_effect(fallback.mode)}; point the fallback at the company's handler on another path or host.",
        )

    def _check_api(self, front: str, attached: AttachedApi, conflicts: Callable[[], list[Conflict]]) -> None:
        """Refuse now a route conflict or certain fallback loop on the API; look again when the app synthesizes.

        Routes, stages and custom domains that the app adds after ``add_to_*`` exist only by then,
        so the same check runs as a validation of this construct (``cdk synth`` fails with it).
        """
        check = _AttachedApiCheck(self, f"{self._label}: {front}", attached, conflicts)
        problems = check.problems()
        if problems:
            raise RouterConfigError(self._label, front, "\n".join(problems))
        self.node.add_validation(check)

    def _warn_if_reject(self, front: str, *, marked_bypass: bool = False) -> None:
        self._warn_if_fallback_loops(front, marked_bypass=marked_bypass)
        if self.config.fallback.mode == "reject":
            Annotations.of(self).add_warning_v2(
                "junction-callback-router:reject-on-shared-path",
                f"{self._label}: fallback is Fallback.reject(), so on {front} every callback on "
                f"{', '.join(route.path for route in self.config.routes)} that is not Junction's gets 404. "
                "If the company serves these paths itself, use Fallback.proxy(<its callback URL>) to keep them.",
            )

    # -- fronts ------------------------------------------------------------------------------

    def add_to_http_api(self, http_api: apigwv2.IHttpApi) -> list[apigwv2.HttpRoute]:
        """Add an ``ANY`` route per callback path to an API Gateway HTTP API (payload 2.0).

        ``http_api`` may be new, imported (``HttpApi.from_http_api_attributes``) or from another
        stack. The routes go live when the API's stage deploys: a stage with auto-deploy (the
        default ``$default`` stage has it) does so by itself; otherwise run
        ``aws apigatewayv2 create-deployment --api-id ID --stage-name NAME`` (docs/DEPLOY.md).
        A route of the company's on a callback path of an API of this app (any method, any
        parameter name) is refused, here or when the app synthesizes: API Gateway would prefer it
        to the router's ``ANY``. So is a fallback URL that leads back to this API (route_conflicts.py,
        fallback_loops.py). Imported APIs are not visible: docs/DEPLOY.md says how to check them.

        Returns:
            The routes, one per callback path.
        """
        self._check_front_timeout("add_to_http_api", "an HTTP API", HTTP_API_INTEGRATION_TIMEOUT)
        self._attach_once("add_to_http_api", http_api)
        own: set[str] = set()
        attached = AttachedApi(http_api, http_api.api_id, rest=False, scope=self)
        self._check_api(
            "add_to_http_api", attached, lambda: http_api_conflicts(self, http_api, self.config.routes, own)
        )
        scope_id = self._next_id("HttpApi")
        scope = Construct(self, scope_id)
        integration = HttpLambdaIntegration(
            "Integration", self.target, payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0
        )
        routes = []
        for index, route in enumerate(self.config.routes):
            http_route = apigwv2.HttpRoute(
                scope,
                f"Route{index}",
                http_api=http_api,
                route_key=apigwv2.HttpRouteKey.with_(route.path, apigwv2.HttpMethod.ANY),
                integration=integration,
            )
            self._acknowledge_open_route(http_route)
            routes.append(http_route)
            own.add(http_route.node.path)
        if not isinstance(http_api, apigwv2.HttpApi):
            self._warn_if_reject("the HTTP API")
        return routes

    def add_to_rest_api(self, rest_api: apigw.IRestApi, *, stage_name: str | None = None) -> apigw.Deployment | None:
        """Add resources and an ``ANY`` proxy method per callback path to an API Gateway REST API.

        Route conflicts and fallback loops are refused as for :meth:`add_to_http_api`, the paths
        of a ``SpecRestApi``'s inline OpenAPI body included (a body in a file or bucket is not read).

        Args:
            rest_api: a ``RestApi`` of this app, or one imported with
                ``RestApi.from_rest_api_attributes(rest_api_id=..., root_resource_id=...)``.
            stage_name: the stage to deploy the new methods into. Required for an imported API
                (its methods are live only once deployed); for a ``RestApi`` of this app, leave it
                out and CDK's own deployment picks the methods up.

        Returns:
            The new deployment (imported APIs), else ``None``. Its logical id hashes everything
            the stage serves from this router (paths, method, integration target, stage), so any
            change makes CloudFormation deploy the stage again.
        """
        # A RestApi or SpecRestApi of this app deploys its own stage, and its own deployment picks
        # the new methods up; an imported one has no deployment here.
        own_stage = _own_stage_name(rest_api)
        owned = own_stage is not None
        if own_stage is not None and stage_name is not None and stage_name != own_stage:
            raise RouterConfigError(
                self._label,
                "add_to_rest_api(stage_name=...)",
                f"this REST API deploys its own stage {own_stage!r}; leave stage_name out "
                "(its deployment serves the new methods) or deploy the other stage from that API",
            )
        if stage_name is None and not owned:
            raise RouterConfigError(
                self._label,
                "add_to_rest_api(stage_name=...)",
                "an imported REST API needs the stage to deploy the new methods into, e.g. stage_name='prod'",
            )
        if stage_name is not None and not Token.is_unresolved(stage_name):
            _check_stage_name(self._label, stage_name)
        self._check_front_timeout("add_to_rest_api", "a REST API", API_GATEWAY_INTEGRATION_TIMEOUT)
        self._attach_once("add_to_rest_api", rest_api)
        own: set[str] = set()
        attached = AttachedApi(rest_api, rest_api.rest_api_id, rest=True, scope=self)
        self._check_api(
            "add_to_rest_api", attached, lambda: rest_api_conflicts(self, rest_api, self.config.routes, own)
        )
        scope = Construct(self, self._next_id("RestApi"))
        integration = apigw.LambdaIntegration(self.target, proxy=True)
        methods: list[apigw.Method] = []
        for route in self.config.routes:
            resource: apigw.IResource = rest_api.root
            for segment in route.path.strip("/").split("/"):
                resource = resource.get_resource(segment) or resource.add_resource(segment)
            method = resource.add_method("ANY", integration)
            own.add(method.node.path)
            self._acknowledge_open_route(method)
            acknowledge(
                method,
                "AwsSolutions-COG4",
                "No Cognito user pool: OAuth provider redirects carry no user credentials (see APIG4).",
            )
            methods.append(method)
        if not owned:
            self._warn_if_reject("the REST API")
        if stage_name is None or owned:
            return None
        deployment = apigw.Deployment(
            scope,
            "Deployment",
            api=rest_api,
            stage_name=stage_name,
            description=f"Junction callback router routes ({', '.join(route.path for route in self.config.routes)})",
            # Kept on update and on stack deletion: CloudFormation cannot delete a deployment that
            # the company's stage still points at (docs/DEPLOY.md says how to redeploy the stage).
            retain_deployments=True,
        )
        deployment.add_to_logical_id(
            {
                "v": 2,
                "stage": stage_name,
                "routes": [route.path for route in self.config.routes],
                "method": "ANY",
                "integration": "AWS_PROXY",
                "target": Names.unique_id(self.target),
                "snap_start": self.target is not self.function,
            }
        )
        for method in methods:
            deployment.node.add_dependency(method)
        return deployment

    def add_to_alb(
        self,
        listener: elbv2.IApplicationListener,
        *,
        priority: int,
        company_target_group: elbv2.IApplicationTargetGroup | None = None,
        host_headers: Sequence[str] | None = None,
    ) -> list[elbv2.ApplicationListenerRule]:
        """Put the router in front of the company's service on an Application Load Balancer.

        Two listener rules are added before the listener's other rules (priorities ``priority``
        and ``priority + 1``):

        1. ``priority``: the callback paths **and** header ``X-Junction-Callback-Router: fallback``
           -> ``company_target_group``. The proxy fallback sets that header on the request it
           replays, so a company callback whose state merely looks like a JWT reaches the company's
           service once, instead of looping back into the router.
        2. ``priority + 1``: the callback paths **and** query ``state=eyJ*`` -> the router (a Lambda
           target group with multi-value headers on). A state that is not JWT-shaped never
           reaches the function: the company's service gets it from the listener's own rules.

        Use ``Fallback.proxy`` with the company's public callback URL (this ALB) and pass its
        target group; without ``company_target_group``, point the fallback at the service directly.

        Args:
            listener: the company's listener (new, imported with
                ``ApplicationListener.from_application_listener_attributes``, or from another stack).
            priority: the first of the two rule priorities (1 to 49999), unique on the listener.
            company_target_group: where the company's callbacks go (the listener's current target).
            host_headers: restrict both rules to these hosts (a listener serving several domains).

        Returns:
            The listener rules (bypass first, when there is one; then the router rule).
        """
        if isinstance(host_headers, str):
            raise RouterConfigError(
                self._label, "add_to_alb(host_headers=...)", f"must be a list, e.g. [{host_headers!r}]"
            )
        hosts = list(host_headers or [])
        patterns = path_patterns(self.config.routes)
        _check_alb_rule(self._label, priority, patterns, hosts)
        self._attach_once("add_to_alb", listener)
        scope = Construct(self, self._next_id("Alb"))
        target_group = elbv2.ApplicationTargetGroup(
            scope, "Targets", targets=[elb_targets.LambdaTarget(self.target)], target_type=elbv2.TargetType.LAMBDA
        )
        # ALB drops all but the last value of a repeated query key or header unless this is on; the
        # router must see every state value to refuse a repeated one.
        target_group.set_attribute("lambda.multi_value_headers.enabled", "true")
        common = [elbv2.ListenerCondition.path_patterns(patterns)]
        if hosts:
            common.append(elbv2.ListenerCondition.host_headers(hosts))
        rules = []
        if company_target_group is not None:
            rules.append(
                elbv2.ApplicationListenerRule(
                    scope,
                    "BypassRule",
                    listener=listener,
                    priority=priority,
                    conditions=[
                        *common,
                        elbv2.ListenerCondition.http_header(FALLBACK_MARKER_HEADER, [FALLBACK_MARKER_VALUE]),
                    ],
                    action=elbv2.ListenerAction.forward([company_target_group]),
                )
            )
        if self.config.fallback.mode == "invoke":
            # The router's target group must see every state value; the company's function then
            # gets the multi-value event shape (and ALB reads only multiValueHeaders from its answer).
            Annotations.of(self).add_warning_v2(
                "junction-callback-router:alb-invoke-multi-value",
                f"{self._label}: on the load balancer, Fallback.invoke hands the company's function ALB events with "
                "multi-value headers (multiValueHeaders, multiValueQueryStringParameters), and ALB reads only "
                "multiValueHeaders from its answer: make sure the function handles that shape, as it does when its "
                "own target group has lambda.multi_value_headers.enabled.",
            )
        elif self.config.fallback.mode == "proxy" and company_target_group is None:
            Annotations.of(self).add_warning_v2(
                "junction-callback-router:alb-without-company-target-group",
                f"{self._label}: add_to_alb without company_target_group: Fallback.proxy must point at the "
                "company's service directly, not at this load balancer, or JWT-shaped company states get 502.",
            )
        rules.append(
            elbv2.ApplicationListenerRule(
                scope,
                "RouterRule",
                listener=listener,
                priority=priority + 1,
                conditions=[
                    *common,
                    elbv2.ListenerCondition.query_strings(
                        [elbv2.QueryStringCondition(key="state", value=ALB_STATE_PATTERN)]
                    ),
                ],
                action=elbv2.ListenerAction.forward([target_group]),
            )
        )
        self._warn_if_reject("the load balancer", marked_bypass=company_target_group is not None)
        return rules

    def add_function_url(self) -> lambda_.FunctionUrl:
        """Give the router a Lambda Function URL (auth ``NONE``: OAuth providers redirect browsers here).

        For companies that put their own CloudFront distribution or domain in front of it. The
        function decides per request; every non-Junction request takes the fallback.
        """
        self._attach_once("add_function_url", self.target)
        url = self.target.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        self._warn_if_reject("the Function URL")
        return url


@jsii.implements(IValidation)
class _AttachedApiCheck:
    """Route conflicts and fallback loops on one API the router is attached to (a construct validation)."""

    def __init__(
        self, router: CallbackRouter, where: str, attached: AttachedApi, conflicts: Callable[[], list[Conflict]]
    ) -> None:
        self._router, self._where, self._attached, self._conflicts = router, where, attached, conflicts
        api = attached.api
        kind = "REST API" if attached.rest else "HTTP API"
        self._api = f"The {kind} {api.node.path if isinstance(api, Construct) else attached.api_id}"

    def problems(self) -> list[str]:
        """What makes the router never run (or loop) on this API; possible loops become warnings."""
        problems = [conflict.message(self._api) for conflict in self._conflicts()]
        router = self._router
        fallback = router.config.fallback
        if fallback.mode not in ("redirect", "proxy") or fallback.url is None:
            return problems
        raw_url = str(router.document.document["fallback"]["url"])
        shown = fallback.url.replace(f"https://{TOKEN_STAND_IN}", "<deploy-time URL>").replace(
            TOKEN_STAND_IN, "<deploy-time value>"
        )
        for loop in api_loops(self._attached, fallback.url, raw_url, router.config.routes):
            text = (
                f"the {fallback.mode} fallback {shown} "
                f"reaches this API ({loop.how}), which routes it as {loop.served_as}, one of the router's callback "
                f"paths: every callback that is not Junction's would be {loop_effect(fallback.mode)}. Point the "
                "fallback at the company's handler on another path or host."
            )
            if loop.certain:
                problems.append(text)
            else:
                text = text.replace(" reaches ", " may reach ", 1)
                Annotations.of(router).add_warning_v2(FALLBACK_LOOP_WARNING, f"{self._where}: {text}")
        return problems

    def validate(self) -> list[str]:
        """Called by CDK at synth: each problem fails it, named like a ``RouterConfigError``."""
        return [f"{self._where}: {problem}" for problem in self.problems()]


def _own_stage_name(rest_api: apigw.IRestApi) -> str | None:
    """The stage a ``RestApi``/``SpecRestApi`` of this app deploys itself; ``None`` for an imported API."""
    if not isinstance(rest_api, apigw.RestApiBase) or rest_api.latest_deployment is None:
        return None
    stage = rest_api.deployment_stage.node.default_child
    name = stage.stage_name if isinstance(stage, apigw.CfnStage) else None
    return name if isinstance(name, str) and not Token.is_unresolved(name) else "(its deployment stage)"


def _not_a_fallback(label: str, value: object) -> Fallback:
    raise RouterConfigError(
        label,
        "fallback",
        "must be Fallback.proxy(url), Fallback.redirect(url), Fallback.reject() or Fallback.invoke(function), "
        f"not {value!r}",
    )


def _check_stage_name(label: str, stage_name: str) -> None:
    if not stage_name or len(stage_name) > 128 or not all(char.isalnum() or char in "-_" for char in stage_name):
        raise RouterConfigError(label, "stage_name", f"{stage_name!r} is not a REST API stage name (A-Z a-z 0-9 - _)")


def _check_alb_rule(label: str, priority: int, patterns: list[str], hosts: list[str]) -> None:
    key = "add_to_alb"
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 49998:
        raise RouterConfigError(label, f"{key}(priority=...)", "must be a whole number from 1 to 49998 (two rules)")
    for name, items in (("routes", patterns), ("host_headers", hosts)):
        if len(items) > ALB_MAX_VALUES_PER_CONDITION:
            raise RouterConfigError(
                label,
                f"{key}: {name}",
                f"{len(items)} values; an ALB condition allows {ALB_MAX_VALUES_PER_CONDITION}. "
                "Use a second router (or add_to_alb on another listener) for the others.",
            )
    values = [*patterns, *hosts, ALB_STATE_PATTERN]
    if len(values) > ALB_MAX_MATCH_EVALUATIONS:
        raise RouterConfigError(
            label,
            f"{key}: routes",
            f"{len(patterns)} paths, {len(hosts)} hosts and the state condition make {len(values)} match "
            f"evaluations; an ALB rule allows {ALB_MAX_MATCH_EVALUATIONS}. Use fewer routes or hosts, "
            "or a second router.",
        )
    wildcards = sum(value.count("*") + value.count("?") for value in values)
    if wildcards > ALB_MAX_WILDCARDS:
        raise RouterConfigError(
            label, f"{key}: routes", f"{wildcards} wildcards; an ALB rule allows {ALB_MAX_WILDCARDS}"
        )
    for value in values:
        if len(value) > ALB_MAX_CONDITION_VALUE_LENGTH:
            raise RouterConfigError(
                label, f"{key}: routes", f"{value!r} is longer than an ALB condition value may be (128)"
            )
