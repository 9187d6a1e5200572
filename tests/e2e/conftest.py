"""Fixtures for the end-to-end tests: the stand-ins, a test stage, and the local gateway.

The test stage points at the local Junction stand-in through ``extra_environments`` and is
built with :func:`callback_router_app.stages.parse_stage`, so it passes the same validation as cdk.json.
The gateway is :func:`tools.local_gateway.start_gateway`: the code ``make run`` runs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import HTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from callback_router_app.stages import Stage, parse_stage
from tests.e2e.standins import ProviderStandIn, StandInServer
from tools.local_gateway import LocalGateway, start_gateway

LOCAL_JUNCTION = "local-junction"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def e2e_stage(junction_url: str) -> Stage:
    """A sandbox-like stage that also accepts the local Junction stand-in."""
    return parse_stage(
        "e2e",
        {
            "description": "End-to-end tests: sandbox-us plus a local Junction stand-in.",
            "shape": "http_api",
            "environments": ["sandbox-us"],
            "extra_environments": {LOCAL_JUNCTION: f"{junction_url}/v2/link"},
            "routes": [{"path": "/oauth_callback/{provider}"}, {"path": "/auth/strava/callback", "provider": "strava"}],
            "fallback": {"mode": "proxy", "url": "https://auth.example.com/oauth_callback/{provider}"},
        },
    )


@contextmanager
def serving(server: HTTPServer) -> Iterator[None]:
    """Serve ``server`` in a thread for the duration of the block, then close it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def junction() -> Iterator[StandInServer]:
    """Junction's stand-in: records every request it receives."""
    server = StandInServer("Junction stand-in")
    with serving(server):
        yield server


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderStandIn]:
    """The OAuth provider's consent page."""
    server = ProviderStandIn()
    with serving(server):
        yield server


@pytest.fixture(scope="module")
def gateway(junction: StandInServer) -> Iterator[LocalGateway]:
    """Both fronts and the company stand-in, with the e2e stage; stopped after the module."""
    running = start_gateway(e2e_stage(junction.url), log_level="ERROR", emf=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: `make chromium` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context()  # fresh cookies per test
    fresh.set_default_timeout(15_000)
    yield fresh
    fresh.close()
