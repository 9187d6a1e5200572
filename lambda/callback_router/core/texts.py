"""What the router's own answers say, and the headers every one of them carries."""

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

RESPONSE_TOO_LARGE_TEXT = "Bad Gateway: the answer is too large for this front to deliver.\n"
NOT_TEXT_TEXT = "Bad Gateway: the OAuth callback service answered with a body a REST API cannot carry.\n"
URI_TOO_LONG_TEXT = "URI Too Long: this callback's query is too long to be redirected.\n"
