"""A CloudWatch dashboard per deployment, and the alarms an edge deployment needs outside us-east-1.

Built with ``cdk-monitoring-constructs`` (cdklabs) the way its README intends: a
``MonitoringFacade`` with one dashboard, ``monitor_lambda_function`` for an API Gateway Lambda,
``monitor_api_gateway_v2_http_api`` for an HTTP API in front of it and ``monitor_custom`` metric
groups for the router's own Powertools EMF metrics (and for a REST API: see
:func:`add_router_dashboard`, ``monitor_api_gateway`` would chart an imported API under its
construct id).

What the router emits (``lambda/callback_router/observability.py``): one count per request named
after its :class:`~callback_router.core.decision.Outcome` (``JunctionRedirect``, ``NotJunction``,
``NotACallback``, ``ForeignEnvironment``, ``InvalidProvider``) plus ``RouterError``,
``ConfigError`` and ``FallbackUpstreamError``, in the configured namespace with the single
dimension ``service``. Powertools' ``ColdStart`` count carries ``function_name`` and ``service``:
every handler writes Powertools' document with ``powertools_format.LeanMetrics``.

Lambda@Edge: the function runs, logs and is measured in the region of the CloudFront regional edge
cache that served the request, under the function name ``us-east-1.<name>`` (CloudFront Developer
Guide, "Edge function logs"), so the edge dashboard has one section per region of
``edge_regions``, each metric carrying that region. ``monitor_lambda_function(region=...)`` was
tried for those sections and not kept (synthesized and read, cdk-monitoring-constructs 10.3.3):
its header links to the us-east-1 console page of ``us-east-1.<name>``, a function that does not
exist there, and it adds iterator-age and provisioned-concurrency graphs that cannot apply at the
edge. The edge sections are ``monitor_custom`` groups of plain ``aws_cloudwatch`` metrics instead;
their cold starts are a metric search, since the ``function_name`` a replica reports is not
documented.

Alarms: CloudWatch evaluates an alarm in the region of its metric (the README of
cdk-monitoring-constructs: "cross-Region alarming is not supported by CloudWatch"; CDK refuses
such an alarm at synth, see ``tests/infra/test_monitoring.py``), so an alarm on an edge replica's
metrics has to live in a stack of that region: :func:`add_edge_region_alarms`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import cdk_monitoring_constructs as cmc
from aws_cdk import Duration, Environment, Fn, Names, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from callback_router.core.decision import Outcome
from callback_router.observability import (
    CONFIG_ERROR_METRIC,
    FALLBACK_NOT_TEXT_METRIC,
    RESPONSE_TOO_LARGE_METRIC,
    ROUTER_ERROR_METRIC,
    UPSTREAM_ERROR_METRIC,
)
from junction_callback_router.alarms import alarm_descriptions, count_alarms, router_metric
from junction_callback_router.defaults import EDGE_REGION

__all__ = [
    "CALLBACK_METRICS",
    "COLD_START_METRIC",
    "DEFAULT_EDGE_REGIONS",
    "ERROR_METRICS",
    "PROBLEM_METRICS",
    "add_edge_alarm_stacks",
    "add_edge_region_alarms",
    "add_router_dashboard",
    "edge_replica_name",
]

# Regions with a CloudFront regional edge cache, where Lambda@Edge replicas run. AWS documents
# that replicas log and report metrics in the region where they ran (CloudFront Developer Guide,
# "Edge function logs") but publishes no list of region codes; this is the list used by public
# per-region Lambda@Edge log and metric setups (e.g. the CloudFormation README of
# github.com/MrMarvin/lambda_universe; see also Maurice Borgmeier, "Which AWS Regions are
# Lambda@Edge functions executed in?", 2025). The CloudFront console's Lambda@Edge metrics page
# shows the regions that actually ran a function: add any other one through ``edge_regions``.
DEFAULT_EDGE_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
)

# Metric names as the router emits them (core/decision.py Outcome values, observability.py), with
# the label each gets on the dashboard.
CALLBACK_METRICS: tuple[tuple[str, str], ...] = (
    (Outcome.JUNCTION_REDIRECT.value, "Junction redirects (307)"),
    (Outcome.NOT_JUNCTION.value, "company's own callbacks"),
    (Outcome.NOT_A_CALLBACK.value, "not a callback path"),
)
PROBLEM_METRICS: tuple[tuple[str, str], ...] = (
    (Outcome.FOREIGN_ENVIRONMENT.value, "foreign environment"),
    (Outcome.FOREIGN_TEAM.value, "foreign Junction team"),
    (Outcome.INVALID_PROVIDER.value, "invalid provider (400)"),
)
ERROR_METRICS: tuple[tuple[str, str], ...] = (
    (ROUTER_ERROR_METRIC, "router error (failed open)"),
    (CONFIG_ERROR_METRIC, "config error (failing open)"),
    (RESPONSE_TOO_LARGE_METRIC, "answer over the front's limit (414/502)"),
    (UPSTREAM_ERROR_METRIC, "fallback upstream error (502)"),
    (FALLBACK_NOT_TEXT_METRIC, "fallback body not text via REST (502)"),
)
COLD_START_METRIC = "ColdStart"
"""Powertools' own metric name (``capture_cold_start_metric``), which the lean edge path writes too."""
_EDGE_ERROR_METRICS = ERROR_METRICS[:3]
"""The edge has no proxy fallback (Lambda@Edge cannot wait on an upstream): no upstream errors."""

PERIOD = Duration.minutes(5)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


def edge_replica_name(function: lambda_.IFunction) -> str:
    """``us-east-1.<name>``: the name Lambda@Edge replicas log and report metrics under."""
    return Fn.join("", [f"{EDGE_REGION}.", function.function_name])


def _cold_start_metric(namespace: str, service: str, function_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=COLD_START_METRIC,
        dimensions_map={"function_name": function_name, "service": service},
        statistic="Sum",
        period=PERIOD,
        label="cold starts",
    )


def _edge_cold_starts(namespace: str, service: str, region: str) -> cloudwatch.MathExpression:
    # A search over function_name: at the edge Powertools writes the replica's
    # context.function_name, which AWS documents only indirectly (the replica's log group is
    # /aws/lambda/us-east-1.<name>); matching any function_name of this service cannot miss it.
    query = f'{{{namespace},function_name,service}} MetricName="{COLD_START_METRIC}" service="{service}"'
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{query}', 'Sum', {int(PERIOD.to_seconds())})",
        using_metrics={},
        label="cold starts",
        period=PERIOD,
        search_region=region,
    )


def _lambda_metric(
    name: str, function_name: str, statistic: str, label: str | None, region: str | None
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=name,
        dimensions_map={"FunctionName": function_name},
        statistic=statistic,
        period=PERIOD,
        label=label,
        region=region,
    )


def _title(title: str, region: str | None) -> str:
    # The region in every edge widget's title: a widget read alone still says where it looks.
    return f"{title} ({region})" if region else title


def _outcome_groups(
    namespace: str, service: str, errors: Sequence[tuple[str, str]], region: str | None
) -> list[cmc.CustomMetricGroup]:
    def group(title: str, metrics: Sequence[tuple[str, str]]) -> cmc.CustomMetricGroup:
        return cmc.CustomMetricGroup(
            title=_title(title, region),
            metrics=[router_metric(namespace, service, name, label=label, region=region) for name, label in metrics],
        )

    return [
        group("Callbacks", CALLBACK_METRICS),
        group("Refused or misrouted", PROBLEM_METRICS),
        group("Router errors", errors),
    ]


def _check_regions(edge_regions: Sequence[str]) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(region.strip() for region in edge_regions))
    bad = [region for region in regions if not _REGION.fullmatch(region)]
    if not regions or bad:
        raise ValueError(f"edge_regions must be AWS region codes such as 'eu-west-1', got {list(edge_regions)!r}")
    return regions


def dashboard_name(construct: Construct) -> str | None:
    """A name unique to this router: its path in the app (with CDK's hash) and the stack's region.

    CloudWatch dashboard names are unique per account, so two routers with the same id under
    different parents, or one stack deployed to two regions, must not share one. ``None`` (let
    CloudFormation name it) when the region is only known at deploy time.
    """
    region = Stack.of(construct).region
    if Token.is_unresolved(region):
        return None
    unique = Names.unique_resource_name(construct, max_length=200, separator="-", allowed_special_characters="_-")
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{unique}-{region}")[:255]


def _default_dashboard_name(scope: Construct, construct_id: str) -> str:
    stack_name = Stack.of(scope).stack_name
    if Token.is_unresolved(stack_name):
        raise ValueError("dashboard_name is required when the stack name is not known at synth time")
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{stack_name}-{construct_id}")[:255]


def add_router_dashboard(
    scope: Construct,
    construct_id: str,
    *,
    function: lambda_.IFunction,
    service: str,
    metrics_namespace: str,
    dashboard_name: str | None = None,
    edge: bool = False,
    edge_regions: Sequence[str] | None = None,
    http_api: apigwv2.IHttpApi | None = None,
    http_api_stage: str | None = None,
    rest_api_name: str | None = None,
    rest_api_stage: str | None = None,
) -> cloudwatch.Dashboard:
    """Create the deployment's dashboard under ``scope`` and return it.

    ``function`` is the router function (for the edge, the function created in us-east-1);
    ``service`` and ``metrics_namespace`` are the router config's, which name its EMF metrics.
    ``dashboard_name`` defaults to ``<stack name>-<construct_id>``; two stages must not share one.

    API Gateway Lambda (``edge=False``): the function's invocations, p50/p99 duration, errors and
    throttles; the router's callbacks, refusals and errors; cold starts; the HTTP API
    (``http_api``, stage ``http_api_stage`` or ``$default``) and the REST API
    (``rest_api_name`` and ``rest_api_stage``: API Gateway's REST metrics are keyed by the API's
    *name*) when given.

    Lambda@Edge (``edge=True``): one section per region of ``edge_regions`` (default
    :data:`DEFAULT_EDGE_REGIONS`) with the same router counts, Lambda errors and throttles,
    p50/p99 duration of ``us-east-1.<name>`` in that region, and cold starts (a metric search
    for this service's ``ColdStart`` whatever ``function_name`` the replica reports).
    """
    if edge_regions is not None and not edge:
        raise ValueError("edge_regions applies to Lambda@Edge only (edge=True)")
    home = Stack.of(scope).region
    if edge and (Token.is_unresolved(home) or home != EDGE_REGION):
        # Beside the function (Lambda@Edge lives in us-east-1); CloudWatch also leaves the
        # dashboard's own region out of its widgets, so the us-east-1 section needs this.
        raise ValueError(f"the Lambda@Edge dashboard belongs in a {EDGE_REGION} stack, like the function")
    if edge and (http_api is not None or rest_api_name is not None):
        raise ValueError("http_api / rest_api_name do not apply to Lambda@Edge (edge=True)")
    if (rest_api_name is None) != (rest_api_stage is None):
        raise ValueError("rest_api_name and rest_api_stage go together (REST metrics need both)")
    regions = _check_regions(DEFAULT_EDGE_REGIONS if edge_regions is None else edge_regions)
    name = dashboard_name if dashboard_name is not None else _default_dashboard_name(scope, construct_id)
    if not Token.is_unresolved(name) and not _DASHBOARD_NAME.fullmatch(name):
        raise ValueError(f"dashboard_name {name!r}: 1 to 255 of A-Z a-z 0-9 - _")

    construct = Construct(scope, construct_id)
    factory = cmc.DefaultDashboardFactory(construct, "Dashboards", dashboard_name_prefix=name)
    facade = cmc.MonitoringFacade(construct, "Monitoring", dashboard_factory=factory)
    facade.add_large_header(f"Junction callback router: {service}")
    if edge:
        _edge_sections(facade, function, service, metrics_namespace, regions)
    else:
        facade.monitor_lambda_function(
            lambda_function=function,
            human_readable_name="Router function",
            alarm_friendly_name="RouterFunction",
            latency_types_to_render=[cmc.LatencyType.P50, cmc.LatencyType.P99],
        )
        groups = _outcome_groups(metrics_namespace, service, ERROR_METRICS, None)
        groups.append(
            cmc.CustomMetricGroup(
                title="Cold starts",
                metrics=[_cold_start_metric(metrics_namespace, service, function.function_name)],
            )
        )
        facade.monitor_custom(
            human_readable_name="Router outcomes",
            alarm_friendly_name="RouterOutcomes",
            description=f"Powertools EMF metrics, namespace {metrics_namespace}, dimension service={service}",
            metric_groups=groups,
        )
        if http_api is not None:
            facade.monitor_api_gateway_v2_http_api(
                api=http_api, api_stage=http_api_stage, human_readable_name="HTTP API", alarm_friendly_name="HttpApi"
            )
        if rest_api_name is not None and rest_api_stage is not None:
            # Not monitor_api_gateway(api=...): its metrics use IRestApi.rest_api_name, and an API
            # imported with RestApi.from_rest_api_attributes (the existing_rest_api shape) answers
            # its construct id there (measured: 'Imp' for id "Imp"), i.e. a nonexistent API.
            facade.monitor_custom(
                human_readable_name=f"REST API {rest_api_name}, stage {rest_api_stage}",
                alarm_friendly_name="RestApi",
                metric_groups=_rest_api_groups(rest_api_name, rest_api_stage),
            )
    dashboard = factory.dashboard
    if dashboard is None:  # DefaultDashboardFactory creates it unless told not to
        raise AssertionError("cdk-monitoring-constructs created no dashboard")
    return dashboard


def _rest_api_groups(name: str, stage: str) -> list[cmc.CustomMetricGroup]:
    def metric(metric_name: str, statistic: str, label: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=metric_name,
            dimensions_map={"ApiName": name, "Stage": stage},
            statistic=statistic,
            period=PERIOD,
            label=label,
        )

    return [
        cmc.CustomMetricGroup(
            title="Requests and errors",
            metrics=[
                metric("Count", "Sum", "requests"),
                metric("4XXError", "Sum", "4xx"),
                metric("5XXError", "Sum", "5xx"),
            ],
        ),
        cmc.CustomMetricGroup(
            title="Latency (ms)", metrics=[metric("Latency", "p50", "p50"), metric("Latency", "p99", "p99")]
        ),
    ]


def _edge_sections(
    facade: cmc.MonitoringFacade,
    function: lambda_.IFunction,
    service: str,
    namespace: str,
    regions: Sequence[str],
) -> None:
    replica = edge_replica_name(function)
    for region in regions:
        groups = _outcome_groups(namespace, service, _EDGE_ERROR_METRICS, region)
        groups += [
            cmc.CustomMetricGroup(
                title=_title("Lambda errors and throttles", region),
                metrics=[
                    _lambda_metric("Errors", replica, "Sum", "errors", region),
                    _lambda_metric("Throttles", replica, "Sum", "throttles", region),
                ],
            ),
            cmc.CustomMetricGroup(
                title=_title("Duration (ms)", region),
                metrics=[
                    _lambda_metric("Duration", replica, "p50", "p50", region),
                    _lambda_metric("Duration", replica, "p99", "p99", region),
                ],
            ),
            cmc.CustomMetricGroup(
                title=_title("Cold starts", region), metrics=[_edge_cold_starts(namespace, service, region)]
            ),
        ]
        facade.monitor_custom(
            human_readable_name=f"Lambda@Edge in {region}",
            alarm_friendly_name=f"Edge-{region}",
            metric_groups=groups,
        )


def add_edge_region_alarms(
    stack: Stack,
    construct_id: str,
    *,
    service: str,
    metrics_namespace: str,
    stage_name: str,
    edge_function_name: str | None = None,
    alarm_topic_arn: str | None = None,
    teams: bool = False,
) -> list[cloudwatch.Alarm]:
    """The edge alarms for the replicas that run in ``stack``'s region (one such stack per region).

    Same definitions as the router's us-east-1 alarms (sum of the last 5 minutes >= 1, missing
    data is not breaching): every metric of
    :func:`~junction_callback_router.alarms.alarm_descriptions` for an edge deployment
    (``ForeignTeam`` with ``teams``), from the router's EMF metrics (dimension ``service`` only,
    so no cross-region reference is needed),
    and Lambda's ``Errors`` of ``us-east-1.<edge_function_name>`` when that name is given as a
    plain string. A generated function name lives in the us-east-1 stack and cannot be read
    from another region's stack without cross-region references; without it the ``Errors``
    alarm is left out (the router fails open, so ``RouterError`` is the one that moves).

    Not covered: a region without such a stack; :func:`add_edge_alarm_stacks` makes one per
    region (each region must be bootstrapped); ``alarm_topic_arn`` must be an SNS topic in
    that region.
    """
    region = stack.region
    if Token.is_unresolved(region):
        raise ValueError("add_edge_region_alarms needs a stack with an explicit region (env=Environment(region=...))")
    scope = Construct(stack, construct_id)
    # No labels and no region on these metrics: the alarms then read MetricName/Namespace/Dimensions
    # like the router's own alarms (a label turns them into the Metrics[] form).
    described: list[tuple[str, cloudwatch.Metric, str]] = [
        (name, router_metric(metrics_namespace, service, name), text)
        for name, text in alarm_descriptions(proxy=False, teams=teams).items()
    ]
    if edge_function_name is not None:
        described.insert(
            0,
            (
                "Errors",
                _lambda_metric("Errors", f"{EDGE_REGION}.{edge_function_name}", "Sum", None, None),
                "the router function failed (invocation errors)",
            ),
        )
    topic = sns.Topic.from_topic_arn(scope, "AlarmTopic", alarm_topic_arn) if alarm_topic_arn else None
    return count_alarms(scope, described, label=f"{stage_name}, Lambda@Edge in {region}", topic=topic)


def add_edge_alarm_stacks(
    scope: Construct,
    stack_name_prefix: str,
    *,
    service: str,
    metrics_namespace: str,
    stage_name: str,
    regions: Sequence[str] = DEFAULT_EDGE_REGIONS,
    account: str | None = None,
    edge_function_name: str | None = None,
    alarm_topic_arns: Mapping[str, str] | None = None,
) -> dict[str, Stack]:
    """One stack of :func:`add_edge_region_alarms` per region of ``regions`` except us-east-1.

    us-east-1 is left out because the router's own alarms live there. Stacks are named
    ``<stack_name_prefix>-<region>``; ``alarm_topic_arns`` maps a region to the SNS topic its
    alarms notify (a topic must be in the alarm's region). Deploying them needs every region
    bootstrapped (``cdk bootstrap aws://ACCOUNT/REGION``).
    """
    topics = dict(alarm_topic_arns or {})
    targets = [region for region in _check_regions(regions) if region != EDGE_REGION]
    unknown = sorted(set(topics) - set(targets))
    if unknown:
        raise ValueError(f"alarm_topic_arns names regions without an alarm stack: {unknown}")
    stacks: dict[str, Stack] = {}
    for region in targets:
        stack = Stack(
            scope,
            f"{stack_name_prefix}-{region}",
            env=Environment(account=account, region=region),
            description=f"Junction callback router ({stage_name}): alarms for the Lambda@Edge replicas in {region}",
        )
        add_edge_region_alarms(
            stack,
            "EdgeAlarms",
            service=service,
            metrics_namespace=metrics_namespace,
            stage_name=stage_name,
            edge_function_name=edge_function_name,
            alarm_topic_arn=topics.get(region),
        )
        stacks[region] = stack
    return stacks
