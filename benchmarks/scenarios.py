"""Requests the benchmarks replay: one per decision, per event source, built like the tests' events."""

from __future__ import annotations

from typing import Any

from tests.support.events import (
    DEFAULT_PATH,
    alb_multi_value_event,
    cloudfront_event,
    http_api_event,
    rest_api_event,
)
from tests.support.tokens import PRODUCTION_US, mint_token

CONFIG: dict[str, Any] = {"environments": ["sandbox-us", "sandbox-eu"], "fallback": {"mode": "reject"}}
"""The router config every benchmark uses (reject fallback: no network in the measurement)."""

QUERIES = {
    "junction": f"code=4f1b2c3d&scope=activity%20sleep&state={mint_token()}",
    "foreign": f"code=4f1b2c3d&scope=activity%20sleep&state={mint_token(PRODUCTION_US)}",
    "not_junction": "code=4f1b2c3d&scope=activity%20sleep&state=b5a1c7e0f3d94c2a8e61",
    "garbage": "code=4f1b2c3d&state=eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOi.JpbnZhbGlk&x=%ZZ%00",
}
"""Raw query strings, by decision."""


EVENT_BUILDERS = {
    "cloudfront": cloudfront_event,
    "http_api": http_api_event,
    "rest_api": rest_api_event,
    "alb": alb_multi_value_event,
}
HANDLER_OF = {
    "cloudfront": "viewer_request_handler",
    "http_api": "http_api_handler",
    "rest_api": "rest_api_handler",
    "alb": "alb_handler",
}


def event(source: str, raw_query: str, path: str = DEFAULT_PATH) -> dict[str, Any]:
    """The event ``source`` would send for ``GET path?raw_query``."""
    return EVENT_BUILDERS[source](path, raw_query, "GET")
