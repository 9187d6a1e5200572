"""API Gateway (REST, HTTP API), Function URL and ALB handlers on Powertools resolvers.

One resolver per event source, each with a route per configured callback path (all methods:
a POST to a callback path is not Junction's and must still reach the fallback) and a
``not_found`` handler that sends every other path to the fallback as well.
https://docs.powertools.aws.dev/lambda/python/latest/core/event_handler/api_gateway/
"""

from __future__ import annotations

import base64
import http.client  # noqa: F401 -- init, not first use: the proxy fallback's client (adapters/fallback.py)
from collections.abc import Callable
from typing import Any, TypeVar

import jwt  # noqa: F401 -- init, not first use: read_claims_pyjwt needs it (BENCHMARKS.md, Lambda model)
from aws_lambda_powertools.event_handler import ALBResolver, APIGatewayHttpResolver, APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from callback_router.adapters.api import (
    CallbackQuery,
    alb_query,
    http_api_query,
    redirect_response,
    rest_api_query,
    text_response,
)
from callback_router.adapters.fallback import ForwardedRequest, UpstreamError, fallback_response
from callback_router.core.answers import (
    INVALID_PROVIDER_TEXT,
    MALFORMED_EVENT_TEXT,
    MISCONFIGURED_TEXT,
    NO_STORE_HEADERS,
    UPSTREAM_FAILED_TEXT,
)
from callback_router.core.config import RouterConfig
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.link_token import read_claims_pyjwt
from callback_router.core.routes import PROVIDER_PLACEHOLDER
from callback_router.observability import CONFIG_ERROR_METRIC, ROUTER_ERROR_METRIC, UPSTREAM_ERROR_METRIC, Observability
from callback_router.settings import load_config_or_problem
from callback_router.warmup import prime_handlers

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

CONFIG, CONFIG_PROBLEM = load_config_or_problem()

observability = Observability(CONFIG)
logger, metrics = observability.logger, observability.metrics

Resolver = TypeVar("Resolver", bound=ApiGatewayResolver)
QueryReader = Callable[[Any], CallbackQuery]


def _request_id(event: Any) -> str | None:
    context = event.raw_event.get("requestContext") or {}
    if context.get("requestId"):
        return str(context["requestId"])
    # ALB has no request id: use its trace header, from multiValueHeaders when the target group
    # has multi-value headers on (then there is no "headers" key at all).
    raw_headers = dict(event.raw_event.get("headers") or {})
    for name, values in (event.raw_event.get("multiValueHeaders") or {}).items():
        raw_headers.setdefault(name, values[-1] if values else None)
    trace = raw_headers.get("x-amzn-trace-id") or raw_headers.get("X-Amzn-Trace-Id")
    return str(trace) if trace else None


def _forwarded_request(event: Any, raw_query: str) -> ForwardedRequest:
    raw = event.raw_event
    if raw.get("multiValueHeaders"):
        headers = [(name, value) for name, values in raw["multiValueHeaders"].items() for value in values or []]
    else:
        headers = list((raw.get("headers") or {}).items())
    if raw.get("cookies"):  # payload 2.0 moves Cookie headers into a list of its own
        headers.append(("Cookie", "; ".join(raw["cookies"])))
    body: bytes | None = None
    if event.body is not None:
        body = base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode("utf-8")
    return ForwardedRequest(method=event.http_method.upper(), raw_query=raw_query, headers=headers, body=body)


def _answer(app: ApiGatewayResolver, read_query: QueryReader, provider: str | None) -> Response[Any]:
    event = app.current_event
    request_id = _request_id(event)
    if CONFIG is None:
        logger.error("config unusable; cannot route", extra={"problem": str(CONFIG_PROBLEM)})
        observability.count(CONFIG_ERROR_METRIC)
        return text_response(503, MISCONFIGURED_TEXT)
    try:
        query = read_query(event)
    except Exception as error:  # noqa: BLE001 -- without its query a callback cannot be passed on faithfully
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, request_id)
        return text_response(400, MALFORMED_EVENT_TEXT)
    decision: Decision | None = None
    try:
        decision = decide(
            CONFIG,
            method=event.http_method,
            provider=provider,
            state_values=query.states,
            raw_query=query.raw,
            read_claims=read_claims_pyjwt,
        )
    except Exception as error:  # noqa: BLE001 -- fail open to the company's own callback logic
        observability.failure(ROUTER_ERROR_METRIC, "routing failed; taking the fallback", error, request_id)
    if decision is not None:
        observability.record(decision, request_id)
        if decision.outcome is Outcome.JUNCTION_REDIRECT and decision.location is not None:
            return redirect_response(decision.location)
        if decision.outcome is Outcome.INVALID_PROVIDER:
            return text_response(400, INVALID_PROVIDER_TEXT)
    try:
        return fallback_response(CONFIG.fallback, provider, _forwarded_request(event, query.raw))
    except UpstreamError as error:
        observability.failure(UPSTREAM_ERROR_METRIC, "fallback upstream failed", error, request_id)
    except Exception as error:  # noqa: BLE001 -- e.g. a body that is not valid base64
        observability.failure(ROUTER_ERROR_METRIC, "fallback failed", error, request_id)
    return text_response(502, UPSTREAM_FAILED_TEXT)


def build_resolver(app: Resolver, read_query: QueryReader, config: RouterConfig | None) -> Resolver:
    """Register the configured callback routes (and the not-found fallback) on ``app``."""
    for route in config.routes if config else ():
        rule = route.path.replace(PROVIDER_PLACEHOLDER, "<provider>")

        def callback(provider: str | None = route.provider) -> Response[Any]:
            return _answer(app, read_query, provider)

        app.route(rule, method=ALL_METHODS)(callback)

    @app.not_found
    def not_a_callback(_: NotFoundError) -> Response[Any]:
        # API Gateway may have matched a {provider} route whose path we did not (stage prefix).
        path_parameters = app.current_event.raw_event.get("pathParameters") or {}
        return _answer(app, read_query, path_parameters.get("provider"))

    return app


def _resolve(app: ApiGatewayResolver, event: Any, context: Any, *, status_description: bool = False) -> dict[str, Any]:
    """``app.resolve``, with a clear 400 instead of a stack trace for an event of the wrong shape."""
    try:
        return app.resolve(event, context)
    except Exception as error:  # noqa: BLE001 -- e.g. a test invocation with {} from the console
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, None)
        answer: dict[str, Any] = {
            "statusCode": 400,
            "headers": {"Content-Type": "text/plain; charset=utf-8", **NO_STORE_HEADERS},
            "body": MALFORMED_EVENT_TEXT,
            "isBase64Encoded": False,
        }
        if status_description:  # ALB wants it; API Gateway refuses unknown keys
            answer["statusDescription"] = "400 Bad Request"
        return answer


http_api = build_resolver(APIGatewayHttpResolver(), http_api_query, CONFIG)
rest_api = build_resolver(APIGatewayRestResolver(), rest_api_query, CONFIG)
alb = build_resolver(ALBResolver(), alb_query, CONFIG)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def http_api_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) and Lambda Function URL entry point."""
    return _resolve(http_api, event, context)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def rest_api_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway REST API (proxy integration, payload 1.0) entry point."""
    return _resolve(rest_api, event, context)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def alb_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Application Load Balancer entry point."""
    return _resolve(alb, event, context, status_description=True)


# Init, not first invoke: Lambda throttles invokes to the memory's CPU share (callback_router/warmup.py).
prime_handlers(CONFIG, logger, {"http_api": http_api_handler, "rest_api": rest_api_handler, "alb": alb_handler})
