"""Every default of the router constructs and the limits they are derived from, with the reason for each value."""

from __future__ import annotations

import math

from aws_cdk import aws_logs as logs

from callback_router.core.config import RouterConfig
from junction_callback_router.runtimes import DEFAULT_PYTHON_VERSION

DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_PYTHON_RUNTIME = DEFAULT_PYTHON_VERSION
"""The constructs' ``python_runtime`` default (runtimes.py says why this version)."""
DEFAULT_API_MEMORY_MB = 128
"""The knee of first-callback latency against cost (BENCHMARKS.md, "API function memory"): init
runs at full CPU whatever the memory, and everything a callback needs happens there, so the first
callback measured 145-163 ms from 128 to 1769 MB (a company callback through the proxy fallback,
TLS handshake included, 163-171 ms) while the cost per million cold callbacks rises from $0.53 to
$4.37. ``memory_size`` sets it per router or stage."""
MEMORY_BOUNDS = (128, 10240)
"""Lambda's memory setting, in MB (Lambda developer guide, "Configure memory")."""
EDGE_MEMORY_MB = 128
"""Lambda@Edge viewer-request limits: 128 MB and 5 s (CloudFront developer guide, "Quotas")."""
EDGE_TIMEOUT_SECONDS = 5
EDGE_REGION = "us-east-1"
"""Lambda@Edge functions live in us-east-1 (CloudFront developer guide, "Restrictions on edge functions"),
and every replica's name starts with it."""
API_GATEWAY_INTEGRATION_TIMEOUT = 29
"""API Gateway's integration timeout (REST and HTTP APIs), in seconds."""
HTTP_API_INTEGRATION_TIMEOUT = 30
"""An HTTP API's integration timeout (API Gateway developer guide, HTTP API quotas), in seconds."""
LAMBDA_MAX_TIMEOUT_SECONDS = 900
DEFAULT_API_TIMEOUT_SECONDS = 10
TIMEOUT_MARGIN_SECONDS = 3
"""Lambda time beyond the proxy or invoke fallback's timeout, to build and return the clean 502."""


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
