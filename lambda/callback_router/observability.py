"""Structured logging and EMF metrics, one line and one count per request, for every handler.

What a request logs and counts lives here (the metric names, defined once; infra's alarms and
dashboard import them); :mod:`callback_router.powertools_format` writes the line and the EMF
document in Powertools' format without importing Powertools.

Service name and namespace come from the config, not from ``POWERTOOLS_SERVICE_NAME`` /
``POWERTOOLS_METRICS_NAMESPACE``: Lambda@Edge has no environment variables.
Nothing here ever receives ``code``, ``state``, tokens, cookies or the query string.
"""

from __future__ import annotations

from callback_router.core.config import DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE, TEAM_ID, RouterConfig
from callback_router.core.decision import Decision, Outcome
from callback_router.core.routes import is_valid_slug
from callback_router.powertools_format import LeanLogger, LeanMetrics

ROUTER_ERROR_METRIC = "RouterError"
"""Counted when deciding raised and the request failed open."""
CONFIG_ERROR_METRIC = "ConfigError"
"""Counted on every request while the configuration cannot be loaded."""
UPSTREAM_ERROR_METRIC = "FallbackUpstreamError"
"""Counted when the proxy fallback's upstream failed (answered 502)."""
RESPONSE_TOO_LARGE_METRIC = "ResponseTooLarge"
"""Counted when an answer would exceed its front's size limit and a small error went out instead."""
FALLBACK_NOT_TEXT_METRIC = "FallbackBodyNotText"
"""Counted when a REST API front got a proxied body that cannot travel as text (answered 502)."""


_WARNING_OUTCOMES = frozenset({Outcome.FOREIGN_ENVIRONMENT, Outcome.FOREIGN_TEAM})
"""Junction tokens that are not this deployment's: each is a misconfiguration or an attempt."""


class Observability:
    """One log line and one count per request: Powertools' fields and EMF document, written by
    :mod:`callback_router.powertools_format` (built once, at init)."""

    def __init__(self, config: RouterConfig | None, channel: str = "router") -> None:
        service, namespace = self.names(config)
        self.logger = LeanLogger(service, channel)
        self.metrics = LeanMetrics(namespace, service)

    @staticmethod
    def names(config: RouterConfig | None) -> tuple[str, str]:
        """The service name and metrics namespace of ``config`` (defaults without one)."""
        if config is None:
            return DEFAULT_SERVICE, DEFAULT_METRICS_NAMESPACE
        return config.service, config.metrics_namespace

    def count(self, metric: str) -> None:
        """Add one to ``metric`` (flushed by ``metrics.log_metrics`` at the end of the call)."""
        self.metrics.add_metric(name=metric, unit="Count", value=1)

    def record(self, decision: Decision, request_id: str | None) -> None:
        """The one log line and the one metric of a request."""
        self.count(decision.outcome.value)
        log = self.logger.warning if decision.outcome in _WARNING_OUTCOMES else self.logger.info
        extra = {
            "decision": decision.outcome.value,
            "reason": decision.reason,
            "environment": decision.environment,
            # Request text: logged only when it is a slug (bounded, no control characters).
            "provider": decision.provider if decision.provider and is_valid_slug(decision.provider) else None,
            "request_id": request_id,
        }
        if decision.outcome is Outcome.FOREIGN_TEAM:
            # Which team tried is worth knowing; an unverified claim is logged only in id form.
            team = decision.team
            extra["team_id"] = team if team is not None and TEAM_ID.fullmatch(team) else None
        log("callback routed", extra=extra)

    def failure(self, metric: str, message: str, error: BaseException, request_id: str | None) -> None:
        """Log an error by type and place only: exception messages may quote request data."""
        self.count(metric)
        frame = error.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else None
        self.logger.error(
            message, extra={"error_type": type(error).__name__, "error_at": where, "request_id": request_id}
        )
