"""Requests the benchmarks replay: one per decision, per event source, built like the tests' events."""

from __future__ import annotations

from typing import Any

import jwt

from tests.functional.sources import alb_event, cloudfront_event, http_api_event, rest_api_event

SIGNING_KEY = "benchmark-signing-key-of-at-least-32-bytes"
SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
PRODUCTION_US = "https://api.tryvital.io/v2/link"
PATH = "/oauth_callback/fitbit"
CONFIG: dict[str, Any] = {"environments": ["sandbox-us", "sandbox-eu"], "fallback": {"mode": "reject"}}
"""The router config every benchmark uses (reject fallback: no network in the measurement)."""


def token(aud: str = SANDBOX_US, padding: int = 0, *, minimal: bool = False) -> str:
    """A Link Token; ``padding`` bytes of extra claim make it longer; ``minimal`` keeps only ``aud``."""
    claims: dict[str, Any] = {"aud": aud}
    if not minimal:
        claims |= {"sub": "link-session-1", "team_id": "team-1", "user_id": "user-1"}
    if padding:
        claims["pad"] = "x" * padding
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


def token_of_length(length: int) -> str:
    """The longest Link Token (``aud`` plus padding) of at most ``length`` characters.

    Never shorter than a token holding only ``aud`` (about 150 characters): no shorter state can
    be a Junction token at all.
    """
    padding = 0
    while len(token(padding=padding + 1, minimal=True)) <= length:
        padding += max(1, (length - len(token(padding=padding + 1, minimal=True))) * 3 // 4)
    while padding > 0 and len(token(padding=padding, minimal=True)) > length:
        padding -= 1
    return token(padding=padding, minimal=True)


QUERIES = {
    "junction": f"code=4f1b2c3d&scope=activity%20sleep&state={token()}",
    "foreign": f"code=4f1b2c3d&scope=activity%20sleep&state={token(PRODUCTION_US)}",
    "not_junction": "code=4f1b2c3d&scope=activity%20sleep&state=b5a1c7e0f3d94c2a8e61",
    "garbage": "code=4f1b2c3d&state=eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOi.JpbnZhbGlk&x=%ZZ%00",
}
"""Raw query strings, by decision."""


def alb_multi_value_event(path: str, raw_query: str, method: str) -> dict[str, Any]:
    """ALB's event with multi-value headers on, as ``add_to_alb``'s target group is configured."""
    return alb_event(path, raw_query, method, multi_value=True)


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


def event(source: str, raw_query: str, path: str = PATH) -> dict[str, Any]:
    """The event ``source`` would send for ``GET path?raw_query``."""
    return EVENT_BUILDERS[source](path, raw_query, "GET")
