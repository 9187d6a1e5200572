"""Handler fixtures: configure the router the way Lambda would (at import) and read its output.

The handler modules read their configuration once, at import (a cold start). ``configure``
sets ``CALLBACK_ROUTER_CONFIG`` and reloads them, which is what a new Lambda container does.
Powertools Logger and EMF metrics print JSON lines to stdout; ``Output`` parses them.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from callback_router import api_handlers, edge_handler, handlers
from callback_router.settings import CONFIG_ENV_VAR

SANDBOX_CONFIG: dict[str, Any] = {"environments": ["sandbox-us"], "fallback": {"mode": "reject"}}


@dataclass(frozen=True)
class Router:
    """The freshly imported handler modules; handlers are looked up through ``handlers``."""

    api: ModuleType
    edge: ModuleType

    def __getattr__(self, name: str) -> Any:
        return getattr(handlers, name)


def _reload(log_stream: io.StringIO) -> Router:
    api = importlib.reload(api_handlers)
    edge = importlib.reload(edge_handler)
    for module in (api, edge):
        handler = module.logger.registered_handler
        # Powertools keeps the first StreamHandler of a service's logger (bound to whatever
        # sys.stdout was then) across Logger instances: point it at this test's buffer.
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(log_stream)
    return Router(api=api, edge=edge)


Configure = Callable[..., Router]


@pytest.fixture
def log_stream() -> io.StringIO:
    """Where the Powertools Logger writes during a test (EMF metrics go to stdout)."""
    return io.StringIO()


@pytest.fixture
def configure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_stream: io.StringIO
) -> Iterator[Configure]:
    """``configure(config_dict)`` or ``configure(raw='...')``, or ``configure(None)`` for no env var."""

    def apply(config: dict[str, Any] | None = SANDBOX_CONFIG, *, raw: str | None = None) -> Router:
        if raw is not None:
            monkeypatch.setenv(CONFIG_ENV_VAR, raw)
        elif config is not None:
            monkeypatch.setenv(CONFIG_ENV_VAR, json.dumps(config))
        else:
            monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
        router = _reload(log_stream)
        capsys.readouterr()  # start each configuration with empty output
        log_stream.seek(0)
        log_stream.truncate()
        return router

    yield apply


@pytest.fixture
def router(configure: Configure) -> Router:
    """The router on a sandbox-us deployment with the reject fallback."""
    return configure()


@dataclass(frozen=True)
class Output:
    """What the handlers printed: structured log lines and EMF metric documents."""

    text: str
    logs: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    """The per-request EMF documents."""
    cold_starts: list[dict[str, Any]]
    """Powertools' ``ColdStart`` documents (API handlers, first call of an environment)."""

    @property
    def routed(self) -> list[dict[str, Any]]:
        return [line for line in self.logs if line.get("message") == "callback routed"]

    def metric_names(self) -> list[str]:
        return [
            metric["Name"]
            for document in self.metrics
            for directive in document["_aws"]["CloudWatchMetrics"]
            for metric in directive["Metrics"]
        ]


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str], log_stream: io.StringIO) -> Callable[[], Output]:
    """Call to read (and consume) everything logged and printed since the last call."""

    def read() -> Output:
        text = log_stream.getvalue() + capsys.readouterr().out
        log_stream.seek(0)
        log_stream.truncate()
        documents = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        logs = [document for document in documents if "_aws" not in document]
        emf = [document for document in documents if "_aws" in document]
        cold = [document for document in emf if "ColdStart" in document]
        metrics = [document for document in emf if "ColdStart" not in document]
        return Output(text=text, logs=logs, metrics=metrics, cold_starts=cold)

    return read
