"""Named deployment stages from ``cdk.json`` (``context.stages``), validated at synth time.

A stage is one JSON object: the router's runtime keys (see
``callback_router.core.config.CONFIG_KEYS``; validated by the very ``parse_config`` the Lambda
runs) plus the infrastructure keys below. The runtime part is what gets bundled as
``config.json``, so one definition drives both.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from aws_cdk import aws_logs as logs

from callback_router.core.config import CONFIG_KEYS, ConfigError, RouterConfig, parse_config
from junction_callback_router.defaults import DEFAULT_API_MEMORY_MB, DEFAULT_PYTHON_RUNTIME, EDGE_REGION
from junction_callback_router.props import prop_problem
from junction_callback_router.safety import document_problems, origin_problems

Shape = Literal[
    "http_api", "existing_rest_api", "existing_http_api", "function_url", "edge", "edge_function", "cloudfront_function"
]
SHAPES: tuple[str, ...] = get_args(Shape)
DEFAULT_STAGE = "sandbox"
STACK_PREFIX = "JunctionCallbackRouter"
"""Each stage's stack is ``JunctionCallbackRouter-<stage>`` (tools/teardown.py looks it up by this name)."""
CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"

SHAPE_REQUIRED_KEYS: Mapping[str, tuple[str, ...]] = {
    "http_api": (),
    "existing_rest_api": ("rest_api_id", "root_resource_id", "stage_name"),
    "existing_http_api": ("http_api_id",),
    "function_url": (),
    "edge": ("origin_domain_name",),
    "edge_function": (),
    "cloudfront_function": ("origin_domain_name",),
}
"""Ids each shape needs: the resources it attaches to."""

INFRA_KEYS = frozenset(
    {
        "shape",
        "description",
        "account",
        "region",
        "rest_api_id",
        "root_resource_id",
        "stage_name",
        "http_api_id",
        "origin_domain_name",
        "origin_protocol",
        "distribution_id",
        "alarms",
        "alarm_topic_arn",
        "log_retention_days",
        "throttle",
        "config_source",
        "domain_names",
        "certificate_arn",
        "web_acl_id",
        "forward_host_header",
        "memory_size",
        "python_runtime",
        "snap_start",
        "dashboard",
    }
)
EDGE_SHAPES = frozenset({"edge", "edge_function"})
"""The Lambda@Edge shapes (us-east-1, replicas, ``make destroy``'s checks)."""
DISTRIBUTION_SHAPES = frozenset({"edge", "cloudfront_function"})
"""Shapes that create a CloudFront distribution in front of the company's origin."""
CLOUDFRONT_SHAPES = EDGE_SHAPES | {"cloudfront_function"}
"""Shapes at CloudFront's viewer request: no fallback, everything else goes on to the origin."""
API_SHAPES = frozenset({"http_api", "existing_rest_api", "existing_http_api", "function_url"})

SHAPE_ONLY_KEYS: Mapping[str, frozenset[str]] = {
    "rest_api_id": frozenset({"existing_rest_api"}),
    "root_resource_id": frozenset({"existing_rest_api"}),
    "stage_name": frozenset({"existing_rest_api"}),
    "http_api_id": frozenset({"existing_http_api"}),
    "throttle": frozenset({"http_api"}),
    "config_source": API_SHAPES,
    "origin_domain_name": DISTRIBUTION_SHAPES,
    "origin_protocol": DISTRIBUTION_SHAPES,
    "domain_names": DISTRIBUTION_SHAPES,
    "certificate_arn": DISTRIBUTION_SHAPES,
    "web_acl_id": DISTRIBUTION_SHAPES,
    "forward_host_header": DISTRIBUTION_SHAPES,
    "distribution_id": frozenset({"edge_function"}),
    "memory_size": API_SHAPES,
    "snap_start": API_SHAPES,
}
"""Infrastructure keys that mean something for some shapes only; elsewhere they are a mistake."""

# Defaults, in one place.
DEFAULT_LOG_RETENTION_DAYS = 90
DEFAULT_THROTTLE = {"rate_limit": 25.0, "burst_limit": 50}
"""OAuth callbacks arrive a few times per user, ever: a low ceiling costs nothing and caps abuse."""
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
"""The values CloudWatch Logs accepts for a log group's retention."""
_RETENTION = dict(zip(LOG_RETENTION_DAYS, list(logs.RetentionDays)[: len(LOG_RETENTION_DAYS)], strict=True))
_STAGE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,25}")
_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]")
_API_ID = re.compile(r"[a-z0-9]{10}")
_RESOURCE_ID = re.compile(r"[a-z0-9]{6,10}")
_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{8,20}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}")
_ACM_ARN = re.compile(r"arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]+")
_ID_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "rest_api_id": _API_ID,
    "http_api_id": _API_ID,
    "root_resource_id": _RESOURCE_ID,
    "stage_name": _STAGE_NAME,
    "distribution_id": _DISTRIBUTION_ID,
    "origin_domain_name": _DOMAIN,
    "account": _ACCOUNT,
    "region": _REGION,
}


class StageError(ValueError):
    """A stage definition mistake; the message names the stage and the key."""

    def __init__(self, stage: str, key: str, problem: str) -> None:
        super().__init__(f"stage '{stage}': key '{key}': {problem}")
        self.stage, self.key, self.problem = stage, key, problem


@dataclass(frozen=True)
class Stage:
    """One validated stage."""

    name: str
    shape: Shape
    runtime: dict[str, Any]
    """The runtime config document (bundled as ``config.json``)."""
    router: RouterConfig
    infra: dict[str, Any]
    """The infrastructure keys, as written."""

    @property
    def is_edge(self) -> bool:
        """Whether this stage deploys a Lambda@Edge function."""
        return self.shape in EDGE_SHAPES

    @property
    def stack_name(self) -> str:
        """The stage's CloudFormation stack."""
        return f"{STACK_PREFIX}-{self.name}"

    def placeholder_problems(self) -> list[str]:
        """Each key that points at a reserved or loopback host, with what to set instead."""
        return document_problems(self.runtime) + origin_problems(self.infra.get("origin_domain_name"))

    def runtime_json(self) -> str:
        """The runtime config document as the bundled ``config.json`` text."""
        return json.dumps(self.runtime, indent=2, sort_keys=True) + "\n"

    @property
    def account(self) -> str | None:
        """The AWS account to deploy to, if pinned (else the CLI's credentials decide)."""
        value = self.infra.get("account")
        return str(value) if value is not None else None

    @property
    def region(self) -> str | None:
        """The AWS region; edge shapes always deploy to us-east-1 (where Lambda@Edge functions live)."""
        value = self.infra.get("region")
        # A CloudFront Function runs anywhere, but its logs and metrics are in us-east-1 (its metric
        # filters and alarms are made only there): that is its default too.
        return str(value) if value is not None else (EDGE_REGION if self.shape in CLOUDFRONT_SHAPES else None)

    @property
    def log_retention_days(self) -> int:
        """Retention of every log group the stack creates."""
        return int(self.infra.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS))

    @property
    def alarms(self) -> bool:
        """Whether to create the CloudWatch alarms (function errors, ForeignEnvironment)."""
        return bool(self.infra.get("alarms", False))

    @property
    def alarm_topic_arn(self) -> str | None:
        """SNS topic the alarms notify, if any."""
        value = self.infra.get("alarm_topic_arn")
        return str(value) if value is not None else None

    @property
    def throttle(self) -> tuple[float, int]:
        """``(rate_limit, burst_limit)`` of the new HTTP API's stage."""
        value = {**DEFAULT_THROTTLE, **self.infra.get("throttle", {})}
        return float(value["rate_limit"]), int(value["burst_limit"])

    @property
    def config_in_environment(self) -> bool:
        """Whether API functions read their config from ``CALLBACK_ROUTER_CONFIG`` instead of the bundle."""
        return bool(self.infra.get("config_source", "bundled") == "environment")

    @property
    def retention(self) -> logs.RetentionDays:
        """:attr:`log_retention_days` as CDK's ``RetentionDays``."""
        return _RETENTION[self.log_retention_days]

    @property
    def memory_size(self) -> int:
        """Memory of the regional function, in MB (its CPU share follows it)."""
        return int(self.infra.get("memory_size", DEFAULT_API_MEMORY_MB))

    @property
    def python_runtime(self) -> str:
        """The Lambda Python runtime (``"3.12"``), deliberate and the same for every operator."""
        return str(self.infra.get("python_runtime", DEFAULT_PYTHON_RUNTIME))

    @property
    def dashboard(self) -> bool:
        """Whether to create the CloudWatch dashboard."""
        return bool(self.infra.get("dashboard", False))

    @property
    def snap_start(self) -> bool:
        """Whether the regional function uses Lambda SnapStart."""
        return bool(self.infra.get("snap_start", False))


_WHAT: Mapping[str, str] = {
    "rest_api_id": "the id of the existing REST API, 10 lowercase letters and digits such as 'a1b2c3d4e5' "
    "(`aws apigateway get-rest-apis`)",
    "root_resource_id": "the id of that REST API's '/' resource, 6 to 10 lowercase letters and digits such as "
    "'r00tr3s0uc' (`aws apigateway get-resources --rest-api-id ID`)",
    "stage_name": "the name of the REST API stage to deploy to, such as 'prod'",
    "http_api_id": "the id of the existing HTTP API, 10 lowercase letters and digits such as 'h1t2t3p4a5' "
    "(`aws apigatewayv2 get-apis`)",
    "origin_domain_name": "the host name of the company's own auth server, where CloudFront sends every request "
    "that is not a Junction callback, such as 'auth.example.com' (a name only: no https://, port or path)",
    "distribution_id": "the id of the existing CloudFront distribution, such as 'E1EXAMPLE12345'",
    "account": "a 12-digit AWS account id",
    "region": "an AWS region name such as 'eu-west-1'",
}
"""What each id-like key is, in words, for the messages."""


def parse_stage(name: str, data: Any) -> Stage:
    """Validate one stage object.

    Raises:
        StageError: naming the stage and the key at fault.
    """
    if not _STAGE_NAME_PATTERN.fullmatch(name):
        raise StageError(
            name,
            "(name)",
            f"must match {_STAGE_NAME_PATTERN.pattern}: it names the stack (JunctionCallbackRouter-NAME) and the "
            "edge function (64 characters at most)",
        )
    if not isinstance(data, dict):
        raise StageError(name, "(stage)", "must be an object")
    unknown = sorted(set(data) - CONFIG_KEYS - INFRA_KEYS)
    if unknown:
        raise StageError(name, unknown[0], f"unknown key; known: {', '.join(sorted(CONFIG_KEYS | INFRA_KEYS))}")
    shape = data.get("shape", "http_api")
    if shape not in SHAPES:
        raise StageError(name, "shape", f"{shape!r} is not one of {', '.join(SHAPES)}")
    for key in SHAPE_REQUIRED_KEYS[shape]:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise StageError(name, key, f"shape {shape!r} needs {key}: {_WHAT[key]}")
    for key, shapes in SHAPE_ONLY_KEYS.items():
        if key in data and shape not in shapes:
            raise StageError(name, key, f"not used by shape {shape!r} (only by {', '.join(sorted(shapes))})")
    _check_infra(name, shape, data)
    _check_function_keys(name, data)
    if shape in CLOUDFRONT_SHAPES and "fallback" in data:
        raise StageError(
            name,
            "fallback",
            f"shape {shape!r} has no fallback: CloudFront passes non-Junction requests on to the origin",
        )
    runtime = {key: value for key, value in data.items() if key in CONFIG_KEYS}
    try:
        router = parse_config(runtime)
    except ConfigError as error:
        raise StageError(name, error.key, error.problem) from None
    infra = {key: value for key, value in data.items() if key in INFRA_KEYS}
    return Stage(name=name, shape=shape, runtime=runtime, router=router, infra=infra)


def _check_infra(name: str, shape: str, data: Mapping[str, Any]) -> None:
    """Validate the infrastructure keys' values (the shape/key combinations are checked already)."""
    for key, pattern in _ID_PATTERNS.items():
        if key in data and (not isinstance(data[key], str) or not pattern.fullmatch(data[key])):
            value = data[key]
            if key == "origin_domain_name" and isinstance(value, str) and "://" in value:
                host = value.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
                raise StageError(
                    name, key, f"{value!r} is a URL; write the host name only, without scheme, port or path: {host!r}"
                )
            raise StageError(name, key, f"{value!r} is not {_WHAT[key]}")
    if shape in EDGE_SHAPES and data.get("region", EDGE_REGION) != EDGE_REGION:
        raise StageError(
            name, "region", f"shape {shape!r} deploys to {EDGE_REGION}: Lambda@Edge functions must live there"
        )
    if "forward_host_header" in data and not isinstance(data["forward_host_header"], bool):
        raise StageError(name, "forward_host_header", "must be true or false")
    if data.get("forward_host_header") is True and not data.get("domain_names"):
        raise StageError(
            name,
            "forward_host_header",
            "without domain_names the viewer's Host is *.cloudfront.net, which the origin does not serve",
        )
    if "description" in data and not isinstance(data["description"], str):
        raise StageError(name, "description", "must be a string")
    if "alarm_topic_arn" in data:
        if not isinstance(data["alarm_topic_arn"], str) or not _SNS_ARN.fullmatch(data["alarm_topic_arn"]):
            raise StageError(name, "alarm_topic_arn", "must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        if not data.get("alarms", False):
            raise StageError(name, "alarm_topic_arn", "set alarms: true as well, or there is nothing to notify")
    days = data.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS)
    if isinstance(days, bool) or days not in LOG_RETENTION_DAYS:
        raise StageError(name, "log_retention_days", f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    if "throttle" in data:
        _check_throttle(name, data["throttle"])
    if data.get("config_source", "bundled") not in ("bundled", "environment"):
        raise StageError(name, "config_source", f"{data['config_source']!r} is not one of bundled, environment")
    if data.get("origin_protocol", "https") not in ("https", "http"):
        raise StageError(name, "origin_protocol", f"{data['origin_protocol']!r} is not one of https, http")
    domains, certificate = data.get("domain_names"), data.get("certificate_arn")
    if (domains is None) != (certificate is None):
        missing = "certificate_arn" if certificate is None else "domain_names"
        raise StageError(
            name, missing, "domain_names and certificate_arn go together (an ACM certificate in us-east-1)"
        )
    if domains is not None and (
        not isinstance(domains, list)
        or not domains
        or not all(isinstance(domain, str) and _DOMAIN.fullmatch(domain) for domain in domains)
    ):
        raise StageError(name, "domain_names", "must be a non-empty list of lowercase DNS names")
    if certificate is not None and (not isinstance(certificate, str) or not _ACM_ARN.fullmatch(certificate)):
        raise StageError(name, "certificate_arn", "must be an ACM certificate ARN in us-east-1 (CloudFront needs it)")
    web_acl = data.get("web_acl_id")
    if web_acl is not None and (not isinstance(web_acl, str) or not web_acl.startswith("arn:aws")):
        raise StageError(name, "web_acl_id", "must be the ARN of a WAFv2 web ACL with scope CLOUDFRONT")


def _check_function_keys(name: str, data: Mapping[str, Any]) -> None:
    """The function's infrastructure settings, checked as the constructs check their props of the same names."""
    for key in ("memory_size", "python_runtime", "snap_start", "dashboard", "alarms"):
        problem = prop_problem(key, data[key]) if key in data else None
        if problem is not None:
            raise StageError(name, key, problem)


def _check_throttle(name: str, throttle: Any) -> None:
    if not isinstance(throttle, dict) or not throttle or set(throttle) - set(DEFAULT_THROTTLE):
        raise StageError(name, "throttle", "must be an object with rate_limit and/or burst_limit")
    rate = throttle.get("rate_limit", DEFAULT_THROTTLE["rate_limit"])
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate <= 0:
        raise StageError(name, "throttle.rate_limit", "must be a number of requests per second above 0")
    burst = throttle.get("burst_limit", DEFAULT_THROTTLE["burst_limit"])
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise StageError(name, "throttle.burst_limit", "must be a whole number of requests, at least 1")


def stages_from_context(stages: Any) -> dict[str, Any]:
    """The raw ``context.stages`` object, checked to be a mapping of names to objects."""
    if not isinstance(stages, dict) or not stages:
        raise StageError("(all)", "context.stages", "cdk.json must define at least one stage under context.stages")
    return stages


def load_stage(name: str = DEFAULT_STAGE, cdk_json: Path = CDK_JSON) -> Stage:
    """Read ``cdk.json`` and return the validated stage ``name``."""
    context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    stages = stages_from_context(context.get("stages"))
    if name not in stages:
        raise StageError(name, "stage", f"no such stage in cdk.json; stages: {', '.join(sorted(stages))}")
    return parse_stage(name, stages[name])
