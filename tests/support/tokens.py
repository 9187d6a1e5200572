"""Link Tokens for tests and benchmarks: Junction-shaped, minimal, of a chosen length, or raw."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import jwt

SIGNING_KEY = "test-signing-key, not a secret: the router never verifies signatures"
SANDBOX_US = "https://api.sandbox.tryvital.io/v2/link"
SANDBOX_US_JUNCTION = "https://api.sandbox.us.junction.com/v2/link"
SANDBOX_EU = "https://api.sandbox.eu.tryvital.io/v2/link"
PRODUCTION_US = "https://api.tryvital.io/v2/link"
# Written out, not read from callback_router.core.environments: the tests check that table.

LINK_CLAIMS: Mapping[str, str] = {"sub": "link-session-1", "team_id": "team-1", "user_id": "user-1"}
"""The claims besides ``aud`` that Junction's Link Tokens carry."""


def mint(claims: Mapping[str, Any], **headers: Any) -> str:
    """A compact JWS (HS256) of ``claims``, with extra protected ``headers`` if given."""
    return jwt.encode(dict(claims), SIGNING_KEY, algorithm="HS256", headers=headers or None)


def mint_token(aud: Any = SANDBOX_US, **extra: Any) -> str:
    """A Junction-shaped Link Token for ``aud``; ``extra`` claims are added or replace the usual ones."""
    return mint({"aud": aud, **LINK_CLAIMS, **extra})


def minimal_token(aud: Any = SANDBOX_US, padding: int = 0) -> str:
    """A token with only ``aud`` (and ``padding`` characters of a ``pad`` claim, to make it longer)."""
    return mint({"aud": aud, "pad": "x" * padding} if padding else {"aud": aud})


def token_of_length(length: int) -> str:
    """The longest :func:`minimal_token` of at most ``length`` characters.

    Never shorter than a token holding only ``aud`` (about 150 characters): no shorter state can
    be a Junction token at all.
    """
    padding = 0
    while len(minimal_token(padding=padding + 1)) <= length:
        padding += max(1, (length - len(minimal_token(padding=padding + 1))) * 3 // 4)
    while padding > 0 and len(minimal_token(padding=padding)) > length:
        padding -= 1
    return minimal_token(padding=padding)


def too_long_token(padding: int = 5000) -> str:
    """A Link Token for :data:`SANDBOX_US` longer than the default ``max_state_length`` (4096)."""
    return mint_token(padding="x" * padding)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWS segments are written."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def raw_token(header: bytes, payload: bytes, signature: bytes = b"sig") -> str:
    """A compact JWS of exactly these bytes: for shapes a JWT library refuses to write."""
    return ".".join((b64url(header), b64url(payload), b64url(signature)))
