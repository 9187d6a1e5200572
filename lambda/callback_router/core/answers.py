"""What every adapter answers the same way, whatever the event source."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

NO_STORE_HEADERS: Mapping[str, str] = MappingProxyType({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
"""On every answer the router generates: a callback answer must never be cached, and the
URL holding ``code`` and ``state`` must not leak to the next site as a ``Referer``."""

INVALID_PROVIDER_TEXT = "Bad Request: unknown OAuth provider in the callback path.\n"
MALFORMED_EVENT_TEXT = "Bad Request: malformed event.\n"
MISCONFIGURED_TEXT = "Service Unavailable: the callback router is misconfigured.\n"
UPSTREAM_FAILED_TEXT = "Bad Gateway: the OAuth callback service did not answer.\n"
NOT_FOUND_TEXT = "Not Found\n"

FALLBACK_MARKER_HEADER = "X-Junction-Callback-Router"
FALLBACK_MARKER_VALUE = "fallback"
"""Set on every request the proxy fallback replays. An ALB listener rule on this header sends the
replayed request straight to the company's service (``add_to_alb``), so a company ``state`` that
merely looks like a JWT cannot loop back into the router; a request that arrives *with* it was
already proxied once, and is never proxied again."""
