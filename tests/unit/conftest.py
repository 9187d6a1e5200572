"""Shared helpers for the core unit tests: configs and Link Tokens."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from callback_router.core.config import RouterConfig, parse_config

SIGNING_KEY = "unit-test-signing-key-of-at-least-32-bytes"


def mint(claims: dict[str, Any], **headers: Any) -> str:
    """A compact JWS with ``claims``, signed (the router never checks the signature)."""
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256", headers=headers or None)


def link_token(aud: Any = "https://api.sandbox.tryvital.io/v2/link", **extra: Any) -> str:
    """A Junction-shaped Link Token."""
    return mint({"aud": aud, "sub": "link-session-1", "team_id": "team-1", "user_id": "user-1", **extra})


@pytest.fixture
def sandbox_config() -> RouterConfig:
    return parse_config({"environments": ["sandbox-us", "sandbox-eu"]})
