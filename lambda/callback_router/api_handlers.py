"""API Gateway (REST, HTTP API), Function URL and ALB handlers on Powertools resolvers.

One resolver per event source. Every request (any method, any path) reaches one handler, which
finds the provider with the core's literal route matching, exactly as the edge does, and sends
everything that is not a Junction callback to the fallback.
https://docs.powertools.aws.dev/lambda/python/latest/core/event_handler/api_gateway/
"""

from __future__ import annotations

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
from callback_router.adapters.fallback import (
    ALB_FRONT,
    HTTP_API_FRONT,
    REST_API_FRONT,
    ForwardedRequest,
    Front,
    MalformedRequest,
    UpstreamError,
    UpstreamNotText,
    UpstreamTooLarge,
    fallback_response,
    tls_context,
)
from callback_router.adapters.handover import front_error, hand_over
from callback_router.adapters.lambda_invoke import InvokeFailed
from callback_router.adapters.replay_headers import forwarding_fields, joined_cookie, without_cookies_or_forwarding
from callback_router.core.answers import (
    INVALID_PROVIDER_TEXT,
    MALFORMED_EVENT_TEXT,
    MISCONFIGURED_TEXT,
    NO_STORE_HEADERS,
    NOT_TEXT_TEXT,
    RESPONSE_TOO_LARGE_TEXT,
    UPSTREAM_FAILED_TEXT,
    fits,
)
from callback_router.core.config import Fallback, RouterConfig
from callback_router.core.decision import Decision, Outcome, decide
from callback_router.core.link_token import read_claims_pyjwt
from callback_router.core.routes import match_routes
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

observability = Observability(CONFIG)
logger, metrics = observability.logger, observability.metrics

Resolver = TypeVar("Resolver", bound=ApiGatewayResolver)
QueryReader = Callable[[Any], CallbackQuery]


class _Verbatim:
    """The company function's result for the event being resolved (``invoke`` fallback).

    Powertools would serialize whatever the route returns into its own response format; the
    company's result must reach the front as is (a bare string, a dict without ``statusCode``),
    so the route leaves it here and :func:`_resolve` returns it instead of Powertools' answer.
    """

    def __init__(self) -> None:
        self._results: list[Any] = []

    def put(self, result: Any) -> Response[Any]:
        """Hold ``result``; the placeholder returned to Powertools is never sent."""
        self._results.append(result)
        return Response(status_code=204, body="")

    def take(self) -> tuple[bool, Any]:
        """``(True, result)`` when the event was handed over, else ``(False, None)``; empties it."""
        if not self._results:
            return False, None
        result = self._results[-1]
        self._results.clear()
        return True, result


_verbatim = _Verbatim()


def _handed_over(fallback: Fallback, raw_event: Any, context: Any, request_id: str | None) -> Any:
    """The company function's result for ``raw_event``, or its front's own error answer."""
    refused = False
    try:
        return hand_over(fallback, raw_event, context)
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


def _invoke_fallback() -> Fallback | None:
    """The configured fallback when it is ``invoke``: every request that is not Junction's goes there."""
    return CONFIG.fallback if CONFIG is not None and CONFIG.fallback.mode == "invoke" else None


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


def _forwarded_request(event: Any, raw_query: str, front: Front) -> ForwardedRequest:
    raw = event.raw_event
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
    headers += forwarding_fields(received, raw if isinstance(raw, dict) else {}, default_proto=default_proto)
    # The body is handed over as it came: only the proxy decodes it, so a body that is not the
    # base64 its event claims cannot turn a 404 or a redirect into an error.
    return ForwardedRequest(
        method=event.http_method.upper(),
        raw_query=raw_query,
        headers=headers,
        body=event.body,
        body_is_base64=bool(event.is_base64_encoded),
    )


def _front_of(app: ApiGatewayResolver) -> Front:
    if isinstance(app, APIGatewayRestResolver):
        return REST_API_FRONT
    if isinstance(app, ALBResolver):
        return ALB_FRONT
    return HTTP_API_FRONT


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
        if (fallback := _invoke_fallback()) is not None:  # the company's handler got it before: it still does
            return _verbatim.put(_handed_over(fallback, event.raw_event, app.lambda_context, request_id))
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
        if decision.outcome is Outcome.INVALID_PROVIDER and _invoke_fallback() is None:
            return text_response(400, INVALID_PROVIDER_TEXT)
    if (fallback := _invoke_fallback()) is not None:
        return _verbatim.put(_handed_over(fallback, event.raw_event, app.lambda_context, request_id))
    text = UPSTREAM_FAILED_TEXT
    try:
        front = _front_of(app)
        request = _forwarded_request(event, query.raw, front)
        # ALB's path pattern is wider than the routes: what is on none is the company's (issue 14).
        own_path = event.path if front is ALB_FRONT and isinstance(event.path, str) else None
        return fallback_response(CONFIG.fallback, provider, request, front, own_path=own_path)
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


def build_resolver(app: Resolver, read_query: QueryReader, config: RouterConfig | None) -> Resolver:
    """Send every request on ``app`` to the router; the core's routes decide the provider.

    No Powertools route is registered: its routes are regular expressions (``(``, ``+``, ``.``
    mean something; ``$`` matches before a trailing newline; the REST resolver also accepts a
    trailing ``/``), which made API fronts disagree with the edge. Powertools still earns its
    place here: typed events for each source and each front's response format.
    """

    @app.not_found
    def every_request(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        provider = callback_provider(config, event.raw_event, event.path) if config is not None else None
        return _answer(app, read_query, provider)

    return app


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


def _resolve(app: ApiGatewayResolver, event: Any, context: Any, *, status_description: bool = False) -> Any:
    """``app.resolve``, with a clear 400 instead of a stack trace for an event of the wrong shape,
    and a clear 502 instead of the front's own error page for an answer over its size limit."""
    try:
        answer = app.resolve(event, context)
    except Exception as error:  # noqa: BLE001 -- e.g. a test invocation with {} from the console
        observability.failure(ROUTER_ERROR_METRIC, "malformed event", error, None)
        handed, result = _verbatim.take()
        if handed:  # Powertools failed after the hand-over: never run the company's function twice
            return result
        if (fallback := _invoke_fallback()) is not None:  # the company's handler got it before: it still does
            return _handed_over(fallback, event, context, None)
        return _plain_answer(
            400, "Bad Request", MALFORMED_EVENT_TEXT, multi_value=False, status_description=status_description
        )
    handed, result = _verbatim.take()
    if handed:  # the company's result, verbatim: its front judges it exactly as without the router
        return result
    front = _front_of(app)
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


# debug=False: with debug on (POWERTOOLS_DEV=true does that) the resolvers print the whole event,
# code, state and cookies included. Explicit False wins over the environment.
http_api = build_resolver(APIGatewayHttpResolver(debug=False), http_api_query, CONFIG)
rest_api = build_resolver(APIGatewayRestResolver(debug=False), rest_api_query, CONFIG)
alb = build_resolver(ALBResolver(debug=False), alb_query, CONFIG)


@metrics.log_metrics(capture_cold_start_metric=True)  # the dashboard charts ColdStart
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def http_api_handler(event: dict[str, Any], context: Any) -> Any:
    """API Gateway HTTP API (payload 2.0) and Lambda Function URL entry point."""
    return _resolve(http_api, event, context)


@metrics.log_metrics(capture_cold_start_metric=True)  # the dashboard charts ColdStart
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def rest_api_handler(event: dict[str, Any], context: Any) -> Any:
    """API Gateway REST API (proxy integration, payload 1.0) entry point."""
    return _resolve(rest_api, event, context)


@metrics.log_metrics(capture_cold_start_metric=True)  # the dashboard charts ColdStart
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def alb_handler(event: dict[str, Any], context: Any) -> Any:
    """Application Load Balancer entry point."""
    return _resolve(alb, event, context, status_description=True)


# Init, not first invoke: Lambda throttles invokes to the memory's CPU share (callback_router/warmup.py).
prime_handlers(CONFIG, logger, {"http_api": http_api_handler, "rest_api": rest_api_handler, "alb": alb_handler})
if CONFIG is not None and CONFIG.fallback.mode in ("proxy", "invoke"):  # both open TLS connections
    tls_context()
