"""``CloudFrontFunctionCallbackRouter``: the router as a CloudFront Function (JavaScript runtime 2.0).

CloudFront Functions run at every edge location with no cold start, at $0.10 per million
invocations and no duration charge (Lambda@Edge: $0.60 per million plus GB-seconds), have no
replicas and no region of their own: the construct goes in any region's stack. The code is
generated at synth from the same configuration document, validated by the same parser, as the
Lambda function's (:mod:`junction_callback_router.cloudfront_function`), and refused over 10 KB.

Observability: the function writes one JSON line per decision (``console.log``); CloudFront sends
it to the log group ``/aws/cloudfront/function/<name>`` in us-east-1 and reports the function's own
metrics there too (namespace ``AWS/CloudFront``, dimensions ``FunctionName`` and ``Region=Global``;
CloudFront developer guide, "Types of metrics for CloudFront"). A metric filter lives in the region
of its log group and an alarm in the region of its metric, so the metric filters (which turn the
log lines into the Python router's metric names) and the alarms are made when the stack is in
us-east-1; elsewhere synth warns and says how (docs/DEPLOY.md), and ``alarms=True`` is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from callback_router.core.decision import Outcome
from callback_router.core.routes import path_patterns
from callback_router.observability import ROUTER_ERROR_METRIC
from junction_callback_router.alarms import ALARM_PERIOD, alarmed_metrics, count_alarms, metric_alarm, router_metric
from junction_callback_router.base import RouterConstruct
from junction_callback_router.cloudfront_function import code_problem, function_code
from junction_callback_router.defaults import DEFAULT_LOG_RETENTION, EDGE_REGION
from junction_callback_router.log_groups import log_group
from junction_callback_router.options import Route, RouterConfigError, RouterOptions, token_key

FUNCTION_METRICS_REGION = EDGE_REGION
"""CloudFront's metrics and CloudFront Functions' logs are in us-east-1 whatever the stack's region."""
EMITTED_METRICS = (*(outcome.value for outcome in Outcome), ROUTER_ERROR_METRIC)
"""What the function's log lines count: one decision each, or a failure that passed the request on.
(No ConfigError: the config is checked at synth; no ResponseTooLarge: a Location cannot reach the
40 KB a function may generate from a URL CloudFront accepts.)"""
FUNCTION_ALARMS: Mapping[str, tuple[str, float, str]] = {
    "FunctionExecutionErrors": ("Sum", 1, "the function threw past its own catch; viewers got a 503"),
    "FunctionValidationErrors": ("Sum", 1, "the function returned an object CloudFront refused; viewers got a 502"),
    "FunctionThrottles": ("Sum", 1, "the function was throttled (over its compute budget); viewers got a 503"),
    "FunctionComputeUtilization": ("Maximum", 70, "a call used 70% or more of the compute budget: near throttling"),
}
"""CloudFront's own function metrics (``AWS/CloudFront``), statistic, threshold and meaning."""
METRIC_FILTER_WARNING = "junction-callback-router:cloudfront-function-metric-filters"


def function_metric(name: str, function_name: str, statistic: str) -> cloudwatch.Metric:
    """One of CloudFront's metrics of the function, read in us-east-1."""
    return cloudwatch.Metric(
        namespace="AWS/CloudFront",
        metric_name=name,
        dimensions_map={"FunctionName": function_name, "Region": "Global"},
        statistic=statistic,
        period=Duration.minutes(5),
        region=FUNCTION_METRICS_REGION,
    )


class CloudFrontFunctionCallbackRouter(RouterConstruct):
    """The Junction callback router as a CloudFront Function on the viewer request.

    Junction's callbacks are answered at the edge with a 307 (an invalid provider with a 400, as
    Lambda@Edge does); every other request goes on to the origin unchanged::

        router = CloudFrontFunctionCallbackRouter(stack, "EdgeFn", environments=["production-us"])
        distribution.add_behavior(
            router.path_patterns[0], origin, function_associations=[router.function_association]
        )

    A behaviour cannot have both a CloudFront Function and a Lambda@Edge function on its viewer
    events: where one already runs there, use :class:`~junction_callback_router.EdgeCallbackRouter`.

    Attributes:
        function: the ``aws_cloudfront.Function`` (runtime ``cloudfront-js-2.0``).
        function_association: the ``FunctionAssociation`` (viewer request) for the callback behaviours.
        path_patterns: CloudFront path patterns of the callback routes.
        config: the validated runtime configuration.
        code: the generated JavaScript.
        log_group: ``/aws/cloudfront/function/<name>`` when the stack is in us-east-1, else ``None``.
        alarms: the alarms (``alarms=True``).
        dashboard: the dashboard (``dashboard=True``).
    """

    KIND = "CloudFrontFunctionCallbackRouter"
    TOKENS_ALLOWED = False  # the code is generated at synth, with the config baked in
    HAS_FALLBACK = False

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environments: Sequence[str],
        routes: Sequence[str | Route] | None = None,
        providers: Sequence[str] | None = None,
        teams: Sequence[str] | None = None,
        extra_environments: Mapping[str, str] | None = None,
        allow_mixed_environments: bool = False,
        max_state_length: int | None = None,
        service: str | None = None,
        metrics_namespace: str | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        alarms: bool = False,
        alarm_topic: sns.ITopic | None = None,
        dashboard: bool = False,
        comment: str | None = None,
    ) -> None:
        """Generate the function's code from the props and create the function.

        Args: as :class:`~junction_callback_router.EdgeCallbackRouter`, less the Python runtime.
        ``alarms`` and the metric filters need the stack in us-east-1 (see the module docstring).

        Raises:
            RouterConfigError: a prop the router cannot run with, named in the message, or code
                over CloudFront's 10 KB.
        """
        label = f"{self.KIND} '{construct_id}'"
        props = {"environments": environments, "routes": routes, "providers": providers, "teams": teams}
        key = token_key({**props, "extra_environments": extra_environments, "service": service})
        if key is not None:  # said before the shared check, whose words are Lambda@Edge's
            raise RouterConfigError(
                label,
                key,
                "a value only known at deploy time (a CDK token) cannot be used here: a CloudFront Function has no "
                "environment, its code is generated at synth. Use a literal value.",
            )
        options = RouterOptions(
            environments=environments,
            routes=routes,
            providers=providers,
            extra_environments=extra_environments,
            allow_mixed_environments=allow_mixed_environments,
            teams=teams,
            max_state_length=max_state_length,
            service=service,
            metrics_namespace=metrics_namespace,
        )
        super().__init__(scope, construct_id, options, log_retention=log_retention, alarms=alarms, dashboard=dashboard)
        self.code = function_code(self.config)
        problem = code_problem(self.code)
        if problem is not None:
            raise RouterConfigError(label, "(generated code)", problem)
        self.function = cloudfront.Function(
            self,
            "Function",
            code=cloudfront.FunctionCode.from_inline(self.code),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment=(comment or "Junction BYOO callback router, viewer request")[:128],
            auto_publish=True,
        )
        self.function_association = cloudfront.FunctionAssociation(
            function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
        )
        self.path_patterns: list[str] = path_patterns(self.config.routes)
        name = self.function.function_name
        region = Stack.of(self).region
        in_home = not Token.is_unresolved(region) and region == FUNCTION_METRICS_REGION
        self.log_group: logs.LogGroup | None = None
        if in_home:
            self.log_group = log_group(
                self, "FunctionLogs", log_retention, f"/aws/cloudfront/function/{name}", RemovalPolicy.RETAIN
            )
            self._metric_filters(self.log_group)
        else:
            Annotations.of(self).add_warning_v2(
                METRIC_FILTER_WARNING,
                f"{label}: no metric filters. The function logs to /aws/cloudfront/function/<name> in "
                f"{FUNCTION_METRICS_REGION} and a metric filter must be in its log group's region: put this "
                f"construct in a {FUNCTION_METRICS_REGION} stack, or add the filters there (docs/DEPLOY.md, "
                "CloudFront Function).",
            )
        if alarms:
            if not in_home:
                raise RouterConfigError(
                    label,
                    "alarms",
                    f"CloudFront reports the function's metrics in {FUNCTION_METRICS_REGION} and CloudWatch evaluates "
                    f"an alarm in its metric's region: put this construct in a {FUNCTION_METRICS_REGION} stack "
                    "(CloudFront Functions are global, so this changes nothing for viewers)",
                )
            self.alarms = self._alarms(label, name, alarm_topic)
        elif alarm_topic is not None:
            raise RouterConfigError(label, "alarm_topic", "set alarms=True as well, or there is nothing to notify")
        if dashboard:
            self.dashboard = self._dashboard(name)

    def _metric_filters(self, group: logs.ILogGroup) -> None:
        # The same names, namespace and dimension as the Python router's EMF counts.
        for metric in EMITTED_METRICS:
            field = "$.error_type" if metric == ROUTER_ERROR_METRIC else "$.decision"
            pattern = f'{{ {field} = "*" }}' if metric == ROUTER_ERROR_METRIC else f'{{ {field} = "{metric}" }}'
            logs.MetricFilter(
                self,
                f"{metric}Filter",
                log_group=group,
                filter_pattern=logs.FilterPattern.literal(pattern),
                metric_namespace=self.config.metrics_namespace,
                metric_name=metric,
                metric_value="1",
                dimensions={"service": "$.service"},
                unit=cloudwatch.Unit.COUNT,
            )

    def _alarms(self, label: str, name: str, topic: sns.ITopic | None) -> list[cloudwatch.Alarm]:
        watched = [
            (metric, router_metric(self.config.metrics_namespace, self.config.service, metric), text)
            for metric, text in alarmed_metrics(self.config, proxy=False).items()
            if metric in EMITTED_METRICS
        ]
        alarms = count_alarms(self, watched, label=label, topic=topic)
        for metric, (statistic, threshold, text) in FUNCTION_ALARMS.items():
            measured = function_metric(metric, name, statistic)
            alarms.append(metric_alarm(self, metric, measured, text, label=label, topic=topic, threshold=threshold))
        return alarms

    def _dashboard(self, name: str) -> cloudwatch.Dashboard:
        from junction_callback_router.monitoring import CALLBACK_METRICS, PROBLEM_METRICS, dashboard_name

        def router(metrics: Sequence[tuple[str, str]]) -> list[cloudwatch.IMetric]:
            return [
                router_metric(
                    self.config.metrics_namespace,
                    self.config.service,
                    metric,
                    period=ALARM_PERIOD,
                    label=text,
                    region=FUNCTION_METRICS_REGION,
                )
                for metric, text in metrics
            ]

        def cloudfront_metrics(names: Sequence[str], statistic: str) -> list[cloudwatch.IMetric]:
            return [function_metric(metric, name, statistic) for metric in names]

        board = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=dashboard_name(self))
        board.add_widgets(
            cloudwatch.TextWidget(markdown=f"# Junction callback router: {self.config.service} (CloudFront Function)"),
        )
        board.add_widgets(
            cloudwatch.GraphWidget(title="Callbacks", left=router(CALLBACK_METRICS), width=8),
            cloudwatch.GraphWidget(title="Refused or misrouted", left=router(PROBLEM_METRICS), width=8),
            cloudwatch.GraphWidget(
                title="Router errors (failed open)", left=router(((ROUTER_ERROR_METRIC, "router error"),)), width=8
            ),
        )
        board.add_widgets(
            cloudwatch.GraphWidget(
                title="Function invocations and errors",
                left=cloudfront_metrics(
                    ("FunctionInvocations", "FunctionExecutionErrors", "FunctionValidationErrors", "FunctionThrottles"),
                    "Sum",
                ),
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Compute utilization (% of the budget)",
                left=cloudfront_metrics(("FunctionComputeUtilization",), "Maximum")
                + cloudfront_metrics(("FunctionComputeUtilization",), "Average"),
                width=12,
            ),
        )
        return board
