"""Shared fixtures for the core unit tests (Link Tokens come from :mod:`tests.support.tokens`)."""

from __future__ import annotations

import pytest

from callback_router.core.config import RouterConfig, parse_config


@pytest.fixture
def sandbox_config() -> RouterConfig:
    return parse_config({"environments": ["sandbox-us", "sandbox-eu"]})
