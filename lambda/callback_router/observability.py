"""Structured logging and EMF metrics with Powertools, one line and one count per request.

Service name and namespace come from the config, not from ``POWERTOOLS_SERVICE_NAME`` /
``POWERTOOLS_METRICS_NAMESPACE``: Lambda@Edge has no environment variables.
Nothing here ever receives ``code``, ``state``, tokens, cookies or the query string.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import Metrics, MetricUnit

from callback_router.core.config import DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE, TEAM_ID, RouterConfig
from callback_router.core.decision import Decision, Outcome
from callback_router.core.routes import is_valid_slug

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


def quiet_powertools_internals() -> None:
    """Keep Powertools' own package logger at WARNING, whatever the environment says.

    ``POWERTOOLS_DEBUG`` makes ``aws_lambda_powertools`` log its internals to stdout at DEBUG,
    among them the request path and route arguments of every call. Nothing the router needs
    is there, and no environment variable may make request data reach a log line
    (tests/functional/test_env_no_secrets.py), so the level is pinned after import.
    """
    logging.getLogger("aws_lambda_powertools").setLevel(logging.WARNING)


_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
"""Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``."""


class RouterLogFormatter(LambdaPowertoolsFormatter):
    """``LambdaPowertoolsFormatter`` with a cheaper path for the router's plain lines.

    Powertools' ``format`` copies the whole record, tries to ``json.loads`` every string message
    (an exception per line) and scans a tuple of reserved names per attribute: measured ~70 µs of
    a ~220 µs warm viewer-request invocation (BENCHMARKS.md). For a line without arguments or
    exception this writes the same fields (level, location, message, timestamp, service, the
    Lambda context keys, the ``extra`` keys, ``xray_trace_id``) in ~1/3 of the time; anything
    else goes through Powertools unchanged. Plugged in the documented way: ``logger_formatter=``.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.args or record.exc_info or record.stack_info or not isinstance(record.msg, str):
            return super().format(record)
        line: dict[str, Any] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.msg,
            "timestamp": self.formatTime(record),
        }
        for key, value in self.log_format.items():  # service, sampling_rate, appended keys
            if value is not None and key not in line:
                line[key] = value
        for key, value in record.__dict__.items():
            if value is not None and key not in _RECORD_ATTRIBUTES:
                line[key] = value
        trace = os.environ.get("_X_AMZN_TRACE_ID")
        if trace:
            line["xray_trace_id"] = trace.split(";")[0].replace("Root=", "")
        return self.serialize(line)


class Observability:
    """The Logger and Metrics of one handler, built once at cold start."""

    def __init__(self, config: RouterConfig | None) -> None:
        quiet_powertools_internals()
        service = config.service if config else DEFAULT_SERVICE
        namespace = config.metrics_namespace if config else DEFAULT_METRICS_NAMESPACE
        self.logger = Logger(service=service, logger_formatter=RouterLogFormatter())
        self.metrics = Metrics(namespace=namespace, service=service)

    def count(self, metric: str) -> None:
        """Add one to ``metric`` (flushed by ``metrics.log_metrics`` at the end of the call)."""
        self.metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)

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
