"""The router's CloudWatch metrics and the alarms on them (any count in 5 minutes)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from callback_router.core.config import RouterConfig
from callback_router.core.decision import Outcome
from callback_router.observability import (
    CONFIG_ERROR_METRIC,
    FALLBACK_NOT_TEXT_METRIC,
    RESPONSE_TOO_LARGE_METRIC,
    ROUTER_ERROR_METRIC,
    UPSTREAM_ERROR_METRIC,
)

ALARM_PERIOD = Duration.minutes(5)


def router_metric(
    namespace: str,
    service: str,
    name: str,
    *,
    period: Duration = ALARM_PERIOD,
    label: str | None = None,
    region: str | None = None,
) -> cloudwatch.Metric:
    """One of the router's own EMF metrics (Powertools' format): ``namespace``, one dimension ``service``."""
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=name,
        dimensions_map={"service": service},
        statistic="Sum",
        period=period,
        label=label,
        region=region,
    )


def alarmed_metrics(config: RouterConfig, *, proxy: bool) -> dict[str, str]:
    """:func:`alarm_descriptions` for a deployment with ``config``."""
    return alarm_descriptions(proxy=proxy, teams=config.teams is not None)


def alarm_descriptions(*, proxy: bool, teams: bool) -> dict[str, str]:
    """The router metrics that get an alarm (any count in 5 minutes), with what each means on call.

    The README's metrics table and docs/DEPLOY.md's alarm table are checked against this and
    against the synthesized templates by tests/infra/test_docs_agree.py.
    """
    described = {
        Outcome.FOREIGN_ENVIRONMENT.value: (
            "Junction callbacks for an environment this deployment does not accept: check redirect_url_override"
        ),
        Outcome.INVALID_PROVIDER.value: "Junction callbacks on a provider path not allowed: check routes/providers",
        CONFIG_ERROR_METRIC: "the config is unusable; the router is failing open (edge) or answering 503 (API)",
        # Errors fail open, so Lambda's own Errors metric rarely moves: watch the router's count.
        ROUTER_ERROR_METRIC: "deciding or answering raised; requests failed open (see error_type/error_at in the logs)",
        RESPONSE_TOO_LARGE_METRIC: "an answer would not fit its front's size limit; the user got a 414/502 instead",
    }
    if proxy:
        described[UPSTREAM_ERROR_METRIC] = (
            "the company's callback (proxy or invoke fallback) did not answer; users got a 502"
        )
        described[FALLBACK_NOT_TEXT_METRIC] = (
            "the company's callback answered a body a REST API cannot pass on as text; users got a 502"
        )
    if teams:
        described[Outcome.FOREIGN_TEAM.value] = "Junction tokens of another Junction team: someone replays their flows"
    return described


def add_alarms(
    scope: Construct,
    *,
    label: str,
    function_name: str | None,
    config: RouterConfig,
    proxy: bool,
    topic: sns.ITopic | None,
    metrics: Sequence[tuple[str, cloudwatch.Metric, str]] = (),
) -> list[cloudwatch.Alarm]:
    """One alarm per :func:`alarmed_metrics` entry, plus Lambda's ``Errors`` of ``function_name``
    (a front that is no Lambda function passes ``None`` and its own ``metrics``), all notifying ``topic``."""
    watched: list[tuple[str, cloudwatch.Metric, str]] = []
    if function_name is not None:
        errors = cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions_map={"FunctionName": function_name},
            statistic="Sum",
            period=ALARM_PERIOD,
        )
        watched.append(("Errors", errors, "the router function failed (invocation errors)"))
    watched += [
        (name, router_metric(config.metrics_namespace, config.service, name), text)
        for name, text in alarmed_metrics(config, proxy=proxy).items()
    ]
    watched += list(metrics)
    return count_alarms(scope, watched, label=label, topic=topic)


def count_alarms(
    scope: Construct,
    watched: Sequence[tuple[str, cloudwatch.Metric, str]],
    *,
    label: str,
    topic: sns.ITopic | None,
) -> list[cloudwatch.Alarm]:
    """One alarm per ``(name, metric, description)``: any count in 5 minutes; no data is fine."""
    return [metric_alarm(scope, name, metric, text, label=label, topic=topic) for name, metric, text in watched]


def metric_alarm(
    scope: Construct,
    name: str,
    metric: cloudwatch.Metric,
    description: str,
    *,
    label: str,
    topic: sns.ITopic | None,
    threshold: float = 1,
) -> cloudwatch.Alarm:
    """The alarm ``{name}Alarm``: ``metric`` at or above ``threshold`` in one period (no data is fine),
    notifying ``topic``."""
    alarm = metric.create_alarm(
        scope,
        f"{name}Alarm",
        alarm_description=f"Junction callback router ({label}): {description}",
        threshold=threshold,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    if topic is not None:
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return alarm
