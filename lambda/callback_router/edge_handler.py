"""Lambda@Edge viewer-request handler: wiring only (config, logging, metrics).

Free of Powertools and PyJWT, like the regional handlers: see :mod:`callback_router.core.link_token`
and BENCHMARKS.md for the measured cold-start cost.
"""

from __future__ import annotations

from typing import Any

from callback_router.adapters.edge import (
    CloudFrontRequest,
    GeneratedResponse,
    ViewerRequest,
    bad_request_response,
    fits_at_edge,
    response_for,
    uri_too_long_response,
)
from callback_router.core.decision import decide
from callback_router.core.link_token import read_claims_lean
from callback_router.core.routes import match_routes
from callback_router.core.texts import MALFORMED_EVENT_TEXT
from callback_router.core.uri import query_values
from callback_router.observability import (
    CONFIG_ERROR_METRIC,
    RESPONSE_TOO_LARGE_METRIC,
    ROUTER_ERROR_METRIC,
    Observability,
)
from callback_router.settings import load_config_or_problem
from callback_router.warmup import prime_handlers

CONFIG, CONFIG_PROBLEM = load_config_or_problem()

observability = Observability(CONFIG, "edge")  # Powertools' fields, without Powertools: powertools_format.py
logger, metrics = observability.logger, observability.metrics


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # never log the event: it holds code and state
def viewer_request_handler(event: dict[str, Any], context: Any) -> CloudFrontRequest | GeneratedResponse:
    """Answer Junction callbacks with a 307; return every other request unchanged."""
    try:
        view = ViewerRequest(event)
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        observability.failure(ROUTER_ERROR_METRIC, "not a CloudFront viewer-request event", error, None)
        return bad_request_response(MALFORMED_EVENT_TEXT)
    if CONFIG is None:
        logger.error("config unusable; passing the request on", extra={"problem": str(CONFIG_PROBLEM)})
        observability.count(CONFIG_ERROR_METRIC)
        return view.request
    try:
        decision = decide(
            CONFIG,
            method=view.method,
            provider=match_routes(CONFIG.routes, view.path),
            state_values=query_values(view.raw_query, "state"),
            raw_query=view.raw_query,
            read_claims=read_claims_lean,
        )
    except Exception as error:  # noqa: BLE001 -- fail open, by design
        observability.failure(ROUTER_ERROR_METRIC, "routing failed; passing the request on", error, view.request_id)
        return view.request
    observability.record(decision, view.request_id)
    answer = response_for(decision, view.request)
    if answer is not view.request and not fits_at_edge(answer):  # docs/LIMITS.md
        observability.count(RESPONSE_TOO_LARGE_METRIC)
        logger.warning("answer over the front's size limit", extra={"front": "Lambda@Edge viewer request"})
        return uri_too_long_response()
    return answer


# Init, not first invoke: Lambda throttles invokes to the memory's CPU share (callback_router/warmup.py).
prime_handlers(CONFIG, logger, {"cloudfront": viewer_request_handler})
