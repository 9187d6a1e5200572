"""Serve synthetic callbacks during init, so that the first real callback costs what a warm one does.

Lambda runs init at full CPU and every invoke at the memory's share (1,769 MB = one vCPU; the
128 MB edge function gets ~7% of one). Whatever a handler builds lazily on its first call
(``abc`` subclass caches, formatter and JSON encoder state, compiled regexes, the fallback's
first use) is therefore paid
throttled, by the first real user. Serving one synthetic callback of each kind through the real,
decorated handler during init moves all of that into the unthrottled phase, whatever it is and
whatever the handler's code. Measured in BENCHMARKS.md ("Lambda model").

Nothing escapes: the log line goes to a discarded stream, the EMF document to a discarded
``stdout``, and the cold-start flags are set back so the first real invocation still logs
``cold_start: true``. A synthetic event never reaches the proxy or invoke fallback (no network
during init, and never the company's code with a made-up callback), and a failure here is
swallowed: the lazy path still works, only slower.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from callback_router.core.config import RouterConfig
from callback_router.core.decision import Outcome, decide
from callback_router.core.link_token import read_claims_lean
from callback_router.core.routes import PROVIDER_PLACEHOLDER
from callback_router.core.uri import query_values

Handler = Callable[[dict[str, Any], Any], Any]

WARMUP_REQUEST_ID = "warmup"
NETWORK_FALLBACKS = frozenset({"proxy", "invoke"})
"""Fallbacks that leave the function: a synthetic event must never take them."""
_HEADER_SEGMENT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"HS256","typ":"JWT"}
_SIGNATURE_SEGMENT = "c2lnbmF0dXJl"  # never checked: the router does not verify signatures


class WarmupContext:
    """The Lambda context attributes the handlers read, for the synthetic invocations."""

    function_name = "callback-router-warmup"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:callback-router-warmup"
    aws_request_id = WARMUP_REQUEST_ID


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def synthetic_token(audience: str) -> str:
    """An unsigned-in-effect Link Token whose ``aud`` is ``audience`` (the router reads claims only)."""
    return f"{_HEADER_SEGMENT}.{_b64url({'aud': audience, 'sub': WARMUP_REQUEST_ID})}.{_SIGNATURE_SEGMENT}"


def _request_line(config: RouterConfig) -> tuple[str, str | None]:
    """A callback path of the config and the provider it names."""
    route = config.routes[0]
    if not route.has_placeholder:
        return route.path, route.provider
    provider = min(config.providers) if config.providers else "warmup"
    return route.path.replace(PROVIDER_PLACEHOLDER, provider), provider


def warmup_queries(config: RouterConfig) -> list[str]:
    """Raw queries to prime with: a Junction redirect and, unless the fallback would go to the
    network, an ordinary ``state`` and a JWT-shaped one that does not decode."""
    _, provider = _request_line(config)
    mode = config.fallback.mode
    # With invoke, an invalid provider is handed to the company's function too.
    answered_here = {Outcome.JUNCTION_REDIRECT} | ({Outcome.INVALID_PROVIDER} if mode != "invoke" else set())
    queries: list[str] = []
    for audience in sorted(config.accepted_base_urls)[:1]:
        state = synthetic_token(audience)
        query = f"code=warmup&state={state}"
        decision = decide(
            config,
            method="GET",
            provider=provider,
            state_values=query_values(query, "state"),
            raw_query=query,
            read_claims=read_claims_lean,
        )
        if decision.outcome in answered_here or mode not in NETWORK_FALLBACKS:
            queries.append(query)
    if mode not in NETWORK_FALLBACKS:
        queries += ["code=warmup&state=warmup", f"code=warmup&state={_HEADER_SEGMENT}.eyJhdWQiOi.{_SIGNATURE_SEGMENT}"]
    return queries


def _headers() -> dict[str, str]:
    return {"host": "warmup.invalid", "user-agent": "callback-router-warmup"}


def synthetic_event(source: str, path: str, raw_query: str) -> dict[str, Any]:
    """The smallest event of ``source`` (``http_api``, ``rest_api``, ``alb``, ``cloudfront``)."""
    pairs = dict(part.partition("=")[::2] for part in raw_query.split("&"))
    if source == "cloudfront":
        config = {"distributionDomainName": "warmup.cloudfront.net", "distributionId": "WARMUP"}
        request = {
            "clientIp": "127.0.0.1",
            "headers": {"host": [{"key": "Host", "value": "warmup.invalid"}]},
            "method": "GET",
            "querystring": raw_query,
            "uri": path,
        }
        return {
            "Records": [
                {"cf": {"config": {**config, "eventType": "viewer-request", "requestId": "w"}, "request": request}}
            ]
        }
    if source == "http_api":
        return {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": _headers(),
            "queryStringParameters": pairs,
            "requestContext": {
                "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                "requestId": WARMUP_REQUEST_ID,
                "routeKey": "$default",
                "stage": "$default",
            },
            "isBase64Encoded": False,
        }
    common = {
        "httpMethod": "GET",
        "path": path,
        "headers": _headers(),
        "queryStringParameters": pairs,
        "body": None,
        "isBase64Encoded": False,
    }
    if source == "rest_api":
        return {
            **common,
            "resource": path,
            "multiValueHeaders": {name: [value] for name, value in _headers().items()},
            "multiValueQueryStringParameters": {key: [value] for key, value in pairs.items()},
            "pathParameters": None,
            "requestContext": {"requestId": WARMUP_REQUEST_ID, "httpMethod": "GET", "path": path, "stage": "prod"},
        }
    if source == "alb":
        # Multi-value, as add_to_alb's target group is (lambda.multi_value_headers.enabled).
        return {
            "httpMethod": "GET",
            "path": path,
            "multiValueHeaders": {name: [value] for name, value in _headers().items()},
            "multiValueQueryStringParameters": {key: [value] for key, value in pairs.items()},
            "body": "",
            "isBase64Encoded": False,
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:warmup"}},
        }
    raise ValueError(f"unknown event source {source!r}")


_COLD_START_FLAGS = (
    ("callback_router.powertools_format", "is_cold_start"),
    ("callback_router.powertools_format", "is_cold_start_metric"),
)
"""Module globals that remember whether this environment's first invocation has happened."""


def _cold_start_flags() -> dict[tuple[str, str], Any]:
    flags = {}
    for module_name, attribute in _COLD_START_FLAGS:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            flags[(module_name, attribute)] = getattr(module, attribute)
    return flags


def _restore_cold_start_flags(saved: Mapping[tuple[str, str], Any]) -> None:
    # Restored, not set: under provisioned concurrency they start False, and must stay so.
    for module_name, attribute in _COLD_START_FLAGS:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            # A module imported during the warm-up starts from its own initial value.
            setattr(module, attribute, saved.get((module_name, attribute), _initial_cold_start()))


def prime_handlers(config: RouterConfig | None, logger: Any, handlers: Mapping[str, Handler]) -> int:
    """Serve the :func:`warmup_queries` through each of ``handlers`` (event source -> handler).

    Only the handler Lambda will call is primed when ``_HANDLER`` names one of them (Lambda sets
    it to the configured ``module.function``); all of them otherwise: the tests, the local
    gateway, and ``CallbackRouter``'s ``api_handler``, which may serve every regional front.
    Returns the number of synthetic invocations that completed; never raises (priming is an
    optimisation, and init must not fail for it). ``logger`` is the Logger whose stream is
    silenced meanwhile.
    """
    if config is None:
        return 0
    try:
        return _prime(config, logger, handlers)
    except Exception:  # noqa: BLE001 -- the lazy path still works, only slower
        return 0


def _initial_cold_start() -> bool:
    """Powertools' rule: the first invocation of an on-demand environment is the cold start."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"


def _prime(config: RouterConfig, logger: Any, handlers: Mapping[str, Handler]) -> int:
    configured = os.environ.get("_HANDLER", "").rpartition(".")[2]
    chosen = {source: handler for source, handler in handlers.items() if handler.__name__ == configured} or handlers
    path, _ = _request_line(config)
    sink = io.StringIO()
    stream_handler = getattr(logger, "registered_handler", None)
    saved_stream = stream_handler.setStream(sink) if isinstance(stream_handler, logging.StreamHandler) else None
    served = 0
    saved_flags = _cold_start_flags()
    try:
        with contextlib.redirect_stdout(sink):
            for source, handler in chosen.items():
                for query in warmup_queries(config):
                    try:
                        handler(synthetic_event(source, path, query), WarmupContext())
                        served += 1
                    except Exception:  # noqa: BLE001, S112 -- priming is an optimisation; the real call will tell
                        continue
    finally:
        if saved_stream is not None and isinstance(stream_handler, logging.StreamHandler):
            stream_handler.setStream(saved_stream)
        _restore_cold_start_flags(saved_flags)
    return served
