"""What the regional and the edge router constructs share: defaults, code, logs, alarms, cdk-nag.

Every default lives here, in one place, with the reason for its value.
"""

from __future__ import annotations

import math
import re
import sys
import weakref
from collections.abc import Iterator, Sequence
from datetime import date
from typing import cast

from aws_cdk import (
    Acknowledgment,
    Annotations,
    AssetHashType,
    BundlingOptions,
    Duration,
    ILocalBundling,
    Names,
    RemovalPolicy,
    Stack,
    Token,
    Validations,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from callback_router.core.config import RouterConfig
from callback_router.core.decision import Outcome
from callback_router.observability import (
    CONFIG_ERROR_METRIC,
    FALLBACK_NOT_TEXT_METRIC,
    RESPONSE_TOO_LARGE_METRIC,
    ROUTER_ERROR_METRIC,
    UPSTREAM_ERROR_METRIC,
)
from junction_callback_router.bundling import (
    BUNDLING_IMAGE,
    PACKAGE_DIR,
    AssetKind,
    LocalBundler,
    asset_hash,
)
from junction_callback_router.interpreters import find_interpreter, fix_hint
from junction_callback_router.options import RouterConfigError
from junction_callback_router.runtimes import DEFAULT_PYTHON_VERSION, check_python_runtime

DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_API_MEMORY_MB = 128
"""The knee of first-callback latency against cost (BENCHMARKS.md, "API function memory"): init
runs at full CPU whatever the memory, and everything a callback needs happens there, so the first
callback measured 145-163 ms from 128 to 1769 MB (a company callback through the proxy fallback,
TLS handshake included, 163-171 ms) while the cost per million cold callbacks rises from $0.53 to
$4.37. ``memory_size`` sets it per router or stage."""
EDGE_MEMORY_MB = 128
"""Lambda@Edge viewer-request limits: 128 MB and 5 s (CloudFront developer guide, "Quotas")."""
EDGE_TIMEOUT_SECONDS = 5
EDGE_REGION = "us-east-1"
"""Lambda@Edge functions live in us-east-1 (CloudFront developer guide, "Restrictions on edge functions")."""
API_GATEWAY_INTEGRATION_TIMEOUT = 29
"""API Gateway's integration timeout (REST and HTTP APIs), in seconds."""
HTTP_API_INTEGRATION_TIMEOUT = 30
"""An HTTP API's integration timeout (API Gateway developer guide, HTTP API quotas), in seconds."""
LAMBDA_MAX_TIMEOUT_SECONDS = 900
DEFAULT_API_TIMEOUT_SECONDS = 10
TIMEOUT_MARGIN_SECONDS = 3
"""Lambda time beyond the proxy or invoke fallback's timeout, to build and return the clean 502."""
NAG_PACK = "AwsSolutions"


def api_timeout_seconds(config: RouterConfig) -> int:
    """Lambda timeout of the regional function.

    Longer than the proxy fallback's upstream timeout (so the handler can still answer a clean
    502) and shorter than API Gateway's 29 s integration timeout. With ``invoke``, longer than the
    company function's invoke timeout, uncapped here: ALB and Function URLs wait longer, and
    ``add_to_rest_api`` / ``add_to_http_api`` refuse a router that would outlast API Gateway.
    """
    fallback = config.fallback
    if fallback.mode == "invoke":
        return min(math.ceil(fallback.timeout_seconds) + TIMEOUT_MARGIN_SECONDS, LAMBDA_MAX_TIMEOUT_SECONDS)
    if fallback.mode != "proxy":
        return DEFAULT_API_TIMEOUT_SECONDS
    return min(math.ceil(fallback.timeout_seconds) + TIMEOUT_MARGIN_SECONDS, API_GATEWAY_INTEGRATION_TIMEOUT - 1)


def acknowledge(scope: Construct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag 3.x finding on ``scope``, always with a reason.

    The id is the one cdk-nag prints ("Acknowledge with 'AwsSolutions::AwsSolutions-L1'"): the
    pack name, ``::``, then the rule (with ``[finding]`` for rules that report several).
    """
    if not reason.strip():
        raise ValueError(f"acknowledging {rule} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAG_PACK}::{rule}", reason=reason))


def function_code(kind: AssetKind, config_json: str, python_version: str) -> lambda_.Code:
    """The function's code asset, built locally (never with Docker) by :class:`LocalBundler`.

    The custom hash covers everything the build reads (package source, config, pinned
    requirements, runtime version), so any change makes a new asset and nothing else does.
    """
    return lambda_.Code.from_asset(
        str(PACKAGE_DIR),
        asset_hash=asset_hash(kind, config_json, python_version),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            image=BUNDLING_IMAGE,
            local=cast(ILocalBundling, LocalBundler(kind, config_json, python_version)),
        ),
    )


def log_group(
    scope: Construct,
    construct_id: str,
    retention: logs.RetentionDays,
    name: str | None = None,
    removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
) -> logs.LogGroup:
    """A log group with a retention (cdk-nag and the company's auditors both ask for one)."""
    return logs.LogGroup(scope, construct_id, log_group_name=name, retention=retention, removal_policy=removal_policy)


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


def check_props(label: str, **props: object) -> None:
    """Refuse wrong-typed construct props with the construct and the prop in the message.

    jsii checks types too, but deep inside CDK and without saying which construct or prop.
    """
    for key, value in props.items():
        if key == "log_retention" and not isinstance(value, logs.RetentionDays):
            raise RouterConfigError(label, key, f"must be an aws_logs.RetentionDays (e.g. THREE_MONTHS), not {value!r}")
        elif key == "python_runtime" and not isinstance(value, str):
            raise RouterConfigError(label, key, f'must be a string such as "3.12", not {value!r}')
        elif key not in ("log_retention", "python_runtime") and not isinstance(value, bool):
            raise RouterConfigError(label, key, f"must be True or False, not {value!r}")


def router_metric(config: RouterConfig, name: str, period: Duration) -> cloudwatch.Metric:
    """One of the router's own EMF metrics: namespace from the config, one dimension ``service``."""
    return cloudwatch.Metric(
        namespace=config.metrics_namespace,
        metric_name=name,
        dimensions_map={"service": config.service},
        statistic="Sum",
        period=period,
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
    function_name: str,
    config: RouterConfig,
    proxy: bool,
    topic: sns.ITopic | None,
    metrics: Sequence[tuple[str, cloudwatch.Metric, str]] = (),
) -> list[cloudwatch.Alarm]:
    """One alarm per :func:`alarmed_metrics` entry plus Lambda's ``Errors``, all notifying ``topic``."""
    period = Duration.minutes(5)
    errors = cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions_map={"FunctionName": function_name},
        statistic="Sum",
        period=period,
    )
    watched: list[tuple[str, cloudwatch.Metric, str]] = [
        ("Errors", errors, "the router function failed (invocation errors)")
    ]
    watched += [
        (name, router_metric(config, name, period), text) for name, text in alarmed_metrics(config, proxy=proxy).items()
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
    alarms = []
    for name, metric, description in watched:
        alarm = metric.create_alarm(
            scope,
            f"{name}Alarm",
            alarm_description=f"Junction callback router ({label}): {description}",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        alarms.append(alarm)
    return alarms


RUNTIME_ACKNOWLEDGEMENT = (
    "The Python runtime is a deliberate, documented setting (python_runtime, checked against AWS's runtime "
    "tables at synth); cdk-nag's rule only knows the newest runtime, not the one the company chose."
)

DEFAULT_PYTHON_RUNTIME = DEFAULT_PYTHON_VERSION
NO_BYTECODE_WARNING = "junction-callback-router:no-bytecode"


def lambda_runtime(scope: Construct, version: str, *, edge: bool) -> lambda_.Runtime:
    """The checked Lambda runtime for ``version``; a runtime near deprecation warns at synth.

    Raises:
        PythonRuntimeError: the version cannot be deployed (the message says why and what to pick).
    """
    choice = check_python_runtime(version, edge=edge, today=date.today())
    for warning in choice.warnings:
        Annotations.of(scope).add_warning_v2("junction-callback-router:python-runtime", warning)
    lookup = find_interpreter(choice.version)
    if lookup.interpreter is None:
        warn_no_bytecode_once(scope, choice.version, lookup.skipped)
    return choice.runtime


_WARNED_NO_BYTECODE: weakref.WeakKeyDictionary[IConstruct, set[str]] = weakref.WeakKeyDictionary()
"""Per app (its root construct): the runtimes already warned about. One warning a synth, not one a
construct: the fix is the same for every router of the app."""


def warn_no_bytecode_once(scope: Construct, version: str, skipped: Sequence[str] = ()) -> None:
    """Warn, on the first construct of its app that needs it, that no ``.pyc`` ships for ``version``."""
    warned = _WARNED_NO_BYTECODE.setdefault(scope.node.root, set())
    if version in warned:
        return
    warned.add(version)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    tried = f" ({'; '.join(skipped)})" if skipped else ""
    Annotations.of(scope).add_warning_v2(
        NO_BYTECODE_WARNING,
        f"python_runtime is {version} but this synth runs Python {here} and found no Python {version}{tried}: no "
        ".pyc ships, so every cold start compiles the code (about 2.3x the init of the API function, "
        f"BENCHMARKS.md). Fix: {fix_hint(version)} (then synth again), or set python_runtime='{here}' if Lambda "
        "supports it.",
    )


def cfn_references(value: object) -> Iterator[str]:
    """Logical ids named by ``Ref`` and ``Fn::GetAtt`` anywhere in a resolved CloudFormation value.

    How two deploy-time values are compared at synth: by the resources they point at, never by the
    token text (two tokens for one value need not look alike).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt" and isinstance(item, list) and item and isinstance(item[0], str):
                yield item[0]
            else:
                yield from cfn_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from cfn_references(item)
