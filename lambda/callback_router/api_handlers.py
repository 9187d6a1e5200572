"""API Gateway (REST, HTTP API), Function URL and ALB handlers: the edge's lean path.

Every request (any method, any path) reaches one function, which finds the provider with the
core's literal route matching, exactly as the edge does, and sends everything that is not a
Junction callback to the configured fallback. One adapter per event source reads the event
and writes the answer in its front's format (``adapters/http_api.py``, ``rest_api.py``,
``alb.py``), :mod:`callback_router.observability` logs and counts, the lean reader reads
tokens: no Powertools and no PyJWT (BENCHMARKS.md, Lambda model). Only the configured
fallback's module is imported, at init.
"""

from __future__ import annotations

from typing import Any

from callback_router import fallbacks
from callback_router.adapters.alb import ALB_FRONT
from callback_router.adapters.api import Answer, Front, redirect_response, text_response
from callback_router.adapters.http_api import HTTP_API_FRONT
from callback_router.adapters.rest_api import REST_API_FRONT
from callback_router.core.config import RouterConfig
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.limits import fits
from callback_router.core.link_token import read_claims_lean
from callback_router.core.routes import match_routes
from callback_router.core.texts import (
    INVALID_PROVIDER_TEXT,
    MALFORMED_EVENT_TEXT,
    MISCONFIGURED_TEXT,
    NO_STORE_HEADERS,
    NOT_TEXT_TEXT,
    RESPONSE_TOO_LARGE_TEXT,
    UPSTREAM_FAILED_TEXT,
)
from callback_router.fallbacks.errors import MalformedRequest, UpstreamError, UpstreamNotText, UpstreamTooLarge
from callback_router.fallbacks.forwarding import forwarding_fields, joined_cookie, without_cookies_or_forwarding
from callback_router.fallbacks.request import ForwardedRequest
from callback_router.observability import (
    CONFIG_ERROR_METRIC,
    FALLBACK_NOT_TEXT_METRIC,
    RESPONSE_TOO_LARGE_METRIC,
    ROUTER_ERROR_METRIC,
    UPSTREAM_ERROR_METRIC,
    Observability,
)
from callback_router.settings import load_config_or_problem
from callback_router.warmup import prime_handlers

CONFIG, CONFIG_PROBLEM = load_config_or_problem()

observability = Observability(CONFIG, "api")  # Powertools' fields, without Powertools: powertools_format.py
logger, metrics = observability.logger, observability.metrics

# Init, not first request: only the configured fallback's modules (reject and redirect load no
# TLS context and no HTTP client; proxy loads h11 and TLS, invoke the Lambda client and TLS).
RESPOND = fallbacks.load(CONFIG.fallback.mode) if CONFIG is not None else None
INVOKE = CONFIG.fallback if CONFIG is not None and CONFIG.fallback.mode == "invoke" else None
if INVOKE is not None:
    from callback_router.fallbacks.invoke import front_error, hand_over
    from callback_router.fallbacks.lambda_client import InvokeFailed
if CONFIG is not None and CONFIG.fallback.mode in ("proxy", "invoke"):  # both open TLS connections
    from callback_router.fallbacks.tls import tls_context

    tls_context()


class _HandedOver(Exception):
    """The company function's result (``invoke``): it goes back to the front as is, unwritten."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


def _handed_over(raw_event: Any, context: Any, request_id: str | None) -> Any:
    """The company function's result for ``raw_event``, or its front's own error answer."""
    assert INVOKE is not None
    refused = False
    try:
        return hand_over(INVOKE, raw_event, context)
    except InvokeFailed as error:
        refused = error.refused
        # The reason names the failure (throttled, function error, timeout), never event data or
        # the function's own error text.
        observability.count(UPSTREAM_ERROR_METRIC)
        logger.error(
            "fallback function failed",
            extra={"error_type": type(error).__name__, "reason": error.reason, "request_id": request_id},
        )
    except Exception as error:  # noqa: BLE001 -- the front's own 502, never a stack trace
        observability.failure(ROUTER_ERROR_METRIC, "fallback invoke failed", error, request_id)
    return front_error(raw_event, refused=refused)


def _request_id(raw: dict[str, Any]) -> str | None:
    context = raw.get("requestContext") or {}
    if context.get("requestId"):
        return str(context["requestId"])
    # ALB has no request id: use its trace header, from multiValueHeaders when the target group
    # has multi-value headers on (then there is no "headers" key at all).
    raw_headers = dict(raw.get("headers") or {})
    for name, values in (raw.get("multiValueHeaders") or {}).items():
        raw_headers.setdefault(name, values[-1] if values else None)
    trace = raw_headers.get("x-amzn-trace-id") or raw_headers.get("X-Amzn-Trace-Id")
    return str(trace) if trace else None


def _forwarded_request(raw: dict[str, Any], method: str, raw_query: str, front: Front) -> ForwardedRequest:
    if raw.get("multiValueHeaders"):
        pairs = [(name, value) for name, values in raw["multiValueHeaders"].items() for value in values or []]
    else:
        pairs = list((raw.get("headers") or {}).items())
    # Only text can have come from a browser; anything else in a hand-made event is not sent on.
    received = [(name, value) for name, value in pairs if isinstance(name, str) and isinstance(value, str)]
    headers = without_cookies_or_forwarding(received)
    cookie = joined_cookie(received, raw.get("cookies") or ())  # payload 2.0 moves them into "cookies"
    if cookie is not None:
        headers.append(("Cookie", cookie))
    default_proto = None if front is ALB_FRONT else "https"
    headers += forwarding_fields(received, raw, default_proto=default_proto)
    # The body is handed over as it came: only the proxy decodes it, so a body that is not the
    # base64 its event claims cannot turn a 404 or a redirect into an error.
    return ForwardedRequest(
        method=method,
        raw_query=raw_query,
        headers=headers,
        body=raw.get("body"),
        body_is_base64=bool(raw.get("isBase64Encoded")),
    )


def _answer(front: Front, raw: dict[str, Any], context: Any) -> Answer:
    """The router's answer to one event of ``front``.

    Raises:
        _HandedOver: the ``invoke`` fallback took the event; its result is the answer.
        Exception: the event lacks what every event of its front has (a malformed event).
    """
    method = front.method(raw)
    path = front.path(raw)
    provider = callback_provider(CONFIG, raw, path) if CONFIG is not None else None
    request_id = _request_id(raw)
    if CONFIG is None:
        logger.error("config unusable; cannot route", extra={"problem": str(CONFIG_PROBLEM)})
        observability.count(CONFIG_ERROR_METRIC)
        return text_response(503, MISCONFIGURED_TEXT)
    try:
        query = front.query(raw)
    except Exception as error:  # noqa: BLE001 -- without its query a callback cannot be passed on faithfully
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, request_id)
        if INVOKE is not None:  # the company's handler got it before: it still does
            raise _HandedOver(_handed_over(raw, context, request_id)) from None
        return text_response(400, MALFORMED_EVENT_TEXT)
    decision: Decision | None = None
    try:
        decision = decide(
            CONFIG,
            method=method,
            provider=provider,
            state_values=query.states,
            raw_query=query.raw,
            read_claims=read_claims_lean,
        )
    except Exception as error:  # noqa: BLE001 -- fail open to the company's own callback logic
        observability.failure(ROUTER_ERROR_METRIC, "routing failed; taking the fallback", error, request_id)
    if decision is not None:
        observability.record(decision, request_id)
        if decision.outcome is Outcome.JUNCTION_REDIRECT and decision.location is not None:
            return redirect_response(decision.location)
        if decision.outcome is Outcome.INVALID_PROVIDER and INVOKE is None:
            return text_response(400, INVALID_PROVIDER_TEXT)
    if INVOKE is not None:
        raise _HandedOver(_handed_over(raw, context, request_id))
    text = UPSTREAM_FAILED_TEXT
    try:
        assert RESPOND is not None
        request = _forwarded_request(raw, method, query.raw, front)
        # ALB's path pattern is wider than the routes: what is on none is the company's (issue 14).
        own_path = path if front is ALB_FRONT and isinstance(path, str) else None
        return RESPOND(CONFIG.fallback, provider, request, front, own_path)
    except MalformedRequest as error:
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, request_id)
        return text_response(400, MALFORMED_EVENT_TEXT)
    except UpstreamError as error:
        # Every proxied 502 counts as FallbackUpstreamError (the alarmed one); an answer the
        # front cannot carry also counts under its own name, to say why (docs/LIMITS.md).
        if isinstance(error, UpstreamTooLarge):
            observability.count(RESPONSE_TOO_LARGE_METRIC)
            text = RESPONSE_TOO_LARGE_TEXT
        elif isinstance(error, UpstreamNotText):
            observability.count(FALLBACK_NOT_TEXT_METRIC)
            text = NOT_TEXT_TEXT
        observability.failure(UPSTREAM_ERROR_METRIC, "fallback upstream failed", error, request_id)
    except Exception as error:  # noqa: BLE001 -- fail with a clear 502, never a stack trace
        observability.failure(ROUTER_ERROR_METRIC, "fallback failed", error, request_id)
    return text_response(502, text)


def _template(raw_event: dict[str, Any]) -> str | None:
    """The route template API Gateway itself matched: REST ``resource``, HTTP API ``routeKey``."""
    route_key = raw_event.get("routeKey")
    if isinstance(route_key, str) and " " in route_key:  # "ANY /oauth_callback/{provider}"
        return route_key.partition(" ")[2]
    resource = raw_event.get("resource")
    return resource if isinstance(resource, str) else None


def callback_provider(config: RouterConfig, raw_event: dict[str, Any], path: str) -> str | None:
    """The provider text of the configured route that ``path`` is, by the core's literal rule.

    The same :func:`~callback_router.core.routes.match_routes` the edge runs, so every front
    decides the same path the same way (no regex, no trailing-slash or ``//`` leniency). One
    allowance: when API Gateway reports that it matched one of our route templates but the path
    carries a mount prefix (a custom domain's base path mapping), leading whole segments are
    dropped until that same route matches; never otherwise.
    """
    provider = match_routes(config.routes, path)
    if provider is not None:
        return provider
    template = _template(raw_event)
    routes = tuple(route for route in config.routes if route.path == template)
    segments = path.split("/")
    # ["", "mount", "oauth_callback", "fitbit"]: drop non-empty leading segments only.
    for start in range(1, len(segments) - 1):
        if not segments[start]:
            break
        provider = match_routes(routes, "/" + "/".join(segments[start + 1 :]))
        if provider is not None:
            return provider
    return None


def _plain_answer(
    status: int, reason: str, text: str, *, multi_value: bool, status_description: bool
) -> dict[str, Any]:
    headers = {"Content-Type": "text/plain; charset=utf-8", **NO_STORE_HEADERS}
    answer: dict[str, Any] = {"statusCode": status, "body": text, "isBase64Encoded": False}
    if multi_value:  # an ALB target group with multi-value headers reads only multiValueHeaders
        answer["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        answer["headers"] = headers
    if status_description:  # ALB wants it; API Gateway refuses unknown keys
        answer["statusDescription"] = f"{status} {reason}"
    return answer


def _resolve(front: Front, event: Any, context: Any) -> Any:
    """The answer to ``event`` in ``front``'s format: a clear 400 instead of a stack trace for an
    event of the wrong shape, a clear 502 instead of the front's own error page for an answer
    over its size limit, and the company function's result as is (``invoke``)."""
    status_description = front is ALB_FRONT
    try:
        answer = front.write(_answer(front, event, context), event)
    except _HandedOver as handed:  # the company's result, verbatim: its front judges it as without the router
        return handed.result
    except Exception as error:  # noqa: BLE001 -- e.g. a test invocation with {} from the console
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, None)
        if INVOKE is not None:  # the company's handler got it before: it still does
            return _handed_over(event, context, None)
        # An ALB target group with multi-value headers reads only multiValueHeaders (as ALB_FRONT.write).
        multi_value = front is ALB_FRONT and isinstance(event, dict) and bool(event.get("multiValueHeaders"))
        return _plain_answer(
            400, "Bad Request", MALFORMED_EVENT_TEXT, multi_value=multi_value, status_description=status_description
        )
    if fits(answer, front.response_limit):
        return answer
    # The proxy already refuses an upstream answer that would not fit; this catches the rest
    # (e.g. a redirect Location grown by percent-encoding), exactly, on the serialized answer.
    observability.count(RESPONSE_TOO_LARGE_METRIC)
    logger.warning("answer over the front's size limit", extra={"front": front.name, "limit": front.response_limit})
    return _plain_answer(
        502,
        "Bad Gateway",
        RESPONSE_TOO_LARGE_TEXT,
        multi_value="multiValueHeaders" in answer,
        status_description=status_description,
    )


@metrics.log_metrics  # with the ColdStart document the dashboard charts, as Powertools' capture_cold_start_metric
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def http_api_handler(event: dict[str, Any], context: Any) -> Any:
    """API Gateway HTTP API (payload 2.0) and Lambda Function URL entry point."""
    return _resolve(HTTP_API_FRONT, event, context)


@metrics.log_metrics  # with the ColdStart document the dashboard charts, as Powertools' capture_cold_start_metric
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def rest_api_handler(event: dict[str, Any], context: Any) -> Any:
    """API Gateway REST API (proxy integration, payload 1.0) entry point."""
    return _resolve(REST_API_FRONT, event, context)


@metrics.log_metrics  # with the ColdStart document the dashboard charts, as Powertools' capture_cold_start_metric
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def alb_handler(event: dict[str, Any], context: Any) -> Any:
    """Application Load Balancer entry point."""
    return _resolve(ALB_FRONT, event, context)


# Init, not first invoke: Lambda throttles invokes to the memory's CPU share (callback_router/warmup.py).
prime_handlers(CONFIG, logger, {"http_api": http_api_handler, "rest_api": rest_api_handler, "alb": alb_handler})
