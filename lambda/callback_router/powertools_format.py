"""The router's structured log line and EMF document in Powertools' format, written without Powertools.

Why: in the Lambda model of BENCHMARKS.md, importing Powertools ``Logger`` and ``Metrics`` (with
the ``jmespath``, ``typing_extensions`` and Tracer modules their package pulls in) is about half
of the viewer-request handler's init; the edge asset without them is the "bound" row there. Every
handler (edge and regional) writes with this module. This
module writes the same thing from modules Lambda's Python runtime has already imported
(``logging``, ``json``, ``os``, ``time``), and tests/functional/test_logging_and_imports.py proves
the output equal to Powertools' field by field:

* :class:`LeanLogger`: a stdlib logger (a child of the service's logger, so setting the level of
  the service logger works as with Powertools) whose line has Powertools' fields: ``level``,
  ``location``, ``message``, ``timestamp`` (Powertools' default format), ``service``, the Lambda
  context keys ``inject_lambda_context`` appends (``cold_start``, ``function_name``,
  ``function_memory_size``, ``function_arn``, ``function_request_id``), the ``extra`` keys and
  ``xray_trace_id``. The level comes from the same variables as Powertools' (INFO by default).
* :class:`LeanMetrics`: the CloudWatch Embedded Metric Format document Powertools ``Metrics``
  prints (namespace, ``service`` dimension, ``Count`` metrics, millisecond timestamp), one per
  invocation, flushed by ``log_metrics``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

is_cold_start = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "provisioned-concurrency"
"""Powertools' rule: the first invocation of an on-demand environment is the cold start."""
is_cold_start_metric = is_cold_start
"""The metrics' own flag, as Powertools keeps one for its Logger and one for its Metrics."""

_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
"""Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``."""
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S,{msecs}%z"  # Powertools' default_time_format, e.g. 2021-04-17 18:19:57,656+0200
MAX_METRICS = 100  # CloudWatch EMF: at most 100 metrics per document (Powertools flushes at 100 too)


def _log_level() -> str:
    # Powertools' precedence: the Lambda advanced logging level, then POWERTOOLS_LOG_LEVEL, LOG_LEVEL.
    for name in ("AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "LOG_LEVEL"):
        value = os.environ.get(name)
        if value:
            return value.upper()
    return "INFO"


def _true(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "t", "y", "yes", "on")


def _metrics_disabled() -> bool:
    # Powertools' rule (metrics/functions.py, is_metrics_disabled): the switch, or dev mode without it.
    return _true("POWERTOOLS_METRICS_DISABLED") or (
        _true("POWERTOOLS_DEV") and os.environ.get("POWERTOOLS_METRICS_DISABLED") is None
    )


def record_fields(record: logging.LogRecord, log_format: Mapping[str, Any], timestamp: str) -> dict[str, Any]:
    """The fields Powertools' formatter writes for ``record``, in its order: level, location,
    message, timestamp, the appended keys (service, Lambda context, ...) and the ``extra`` keys."""
    line: dict[str, Any] = {
        "level": record.levelname,
        "location": f"{record.funcName}:{record.lineno}",
        "message": record.getMessage() if record.args else record.msg,
        "timestamp": timestamp,
    }
    for key, value in log_format.items():
        if value is not None and key not in line:
            line[key] = value
    for key, value in record.__dict__.items():
        if value is not None and key not in _RECORD_ATTRIBUTES:
            line[key] = value
    return line


def add_trace_id(line: dict[str, Any]) -> None:
    """Powertools' ``xray_trace_id``, from the Lambda environment, when there is one."""
    trace = os.environ.get("_X_AMZN_TRACE_ID")
    if trace:
        line["xray_trace_id"] = trace.split(";")[0].replace("Root=", "")


class LeanJsonFormatter(logging.Formatter):
    """One JSON object per record, with the fields (and timestamp format) of Powertools' formatter."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.log_format: dict[str, Any] = {"service": service}

    def append_keys(self, **keys: Any) -> None:
        """Keys added to every following line (what Powertools' ``append_keys`` does)."""
        self.log_format.update(keys)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """Powertools' default timestamp: local time (``self.converter``), milliseconds, UTC offset."""
        return time.strftime(_TIME_FORMAT.format(msecs=f"{int(record.msecs):03d}"), self.converter(record.created))

    def format(self, record: logging.LogRecord) -> str:
        """The JSON line."""
        line = record_fields(record, self.log_format, self.formatTime(record))
        if record.exc_info and record.exc_info[0] is not None:
            line["exception_name"] = record.exc_info[0].__name__
            line["exception"] = self.formatException(record.exc_info)
        add_trace_id(line)
        text = json.dumps(line, default=str, separators=(",", ":"), ensure_ascii=False)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate from the event: escaped, or the line is lost
                text = json.dumps(line, default=str, separators=(",", ":"))
        return text


class LeanLogger:
    """The subset of Powertools ``Logger`` the handlers use, on a stdlib logger."""

    def __init__(self, service: str, channel: str = "router") -> None:
        service_logger = logging.getLogger(service)
        if service_logger.level == logging.NOTSET:  # Powertools sets it on the same logger
            service_logger.setLevel(_log_level())
        # One child per handler module (``edge``, ``api``): each keeps its own keys where both are
        # loaded in one process (the tests, the local gateway).
        self._logger = service_logger.getChild(channel)
        self._logger.propagate = False
        if not self._logger.handlers:
            self._logger.addHandler(logging.StreamHandler(sys.stdout))
        # A module loaded again (a reload, or the local gateway's second copy) shares the handler
        # and its formatter, as Powertools' Logger does: every invocation appends its own Lambda
        # context keys to the one formatter that writes its lines.
        handler = self._logger.handlers[0]
        if isinstance(handler.formatter, LeanJsonFormatter):
            self.formatter = handler.formatter
        else:
            self.formatter = LeanJsonFormatter(service)
            handler.setFormatter(self.formatter)

    @property
    def registered_handler(self) -> logging.Handler:
        """The handler that writes the lines (a ``StreamHandler`` on stdout)."""
        return self._logger.handlers[0]

    def append_keys(self, **keys: Any) -> None:
        """Keys added to every following line."""
        self.formatter.append_keys(**keys)

    def info(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        """An INFO line; ``location`` is the caller's."""
        self._logger.info(message, extra=extra, stacklevel=2)

    def warning(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        """A WARNING line; ``location`` is the caller's."""
        self._logger.warning(message, extra=extra, stacklevel=2)

    def error(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        """An ERROR line; ``location`` is the caller's."""
        self._logger.error(message, extra=extra, stacklevel=2)

    def inject_lambda_context(self, *, log_event: bool = False) -> Callable[[Handler], Handler]:
        """Append ``cold_start`` and the Lambda context keys to every line of each invocation.

        ``log_event`` exists for the signature's sake: the router never logs events (they hold
        ``code`` and ``state``), so it must be ``False``.
        """
        if log_event:
            raise ValueError("the router never logs events: they hold code and state")

        def decorate(handler: Handler) -> Handler:
            @functools.wraps(handler)
            def wrapped(event: Any, context: Any) -> Any:
                global is_cold_start  # one flag per execution environment, as in Powertools
                cold_start, is_cold_start = is_cold_start, False
                self.append_keys(
                    cold_start=cold_start,
                    function_name=context.function_name,
                    function_memory_size=context.memory_limit_in_mb,
                    function_arn=context.invoked_function_arn,
                    function_request_id=context.aws_request_id,
                )
                return handler(event, context)

            return wrapped  # type: ignore[return-value]

        return decorate


class LeanMetrics:
    """The subset of Powertools ``Metrics`` the handlers use: counts, one EMF document per call."""

    def __init__(self, namespace: str, service: str) -> None:
        self.namespace = namespace
        self.service = service
        self.metric_set: dict[str, dict[str, Any]] = {}
        # The ColdStart line is written once per environment, on the first invoke, which Lambda
        # runs at the memory's CPU share: its text is rendered here, at init, with only the
        # timestamp and the function's name left to fill in (cold_start_line).
        sentinel = json.dumps("\x00")
        text = json.dumps(self.cold_start_document("\x00", timestamp_ms=0), separators=(",", ":"))
        head, _, tail = text.partition('"Timestamp":0,')
        middle, _, end = tail.partition(sentinel)
        # A service name holding the sentinel itself would make the split ambiguous: no template.
        self._cold_start_parts = (head + '"Timestamp":', "," + middle, end) if text.count(sentinel) == 1 else None

    def add_metric(self, name: str, unit: str, value: float) -> None:
        """Add ``value`` to metric ``name`` (flushed with the document at the end of the call)."""
        metric = self.metric_set.setdefault(name, {"Unit": unit, "StorageResolution": 60, "Value": []})
        metric["Value"].append(float(value))
        if len(self.metric_set) == MAX_METRICS or len(metric["Value"]) == MAX_METRICS:
            print(json.dumps(self.serialize_metric_set()))  # as Powertools does at the EMF limit
            self.metric_set.clear()

    def serialize_metric_set(self) -> dict[str, Any]:
        """The EMF document of the metrics added so far (Powertools' layout and key order)."""
        if not self.metric_set:
            raise ValueError("Must contain at least one metric.")
        values = {name: list(metric["Value"]) for name, metric in self.metric_set.items()}
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": name, "Unit": metric["Unit"]} for name, metric in self.metric_set.items()],
                    }
                ],
            },
            "service": self.service,
            **values,
        }

    def clear_metrics(self) -> None:
        """Forget the metrics added so far."""
        self.metric_set.clear()

    def flush_metrics(self) -> None:
        """Print the EMF document to stdout (CloudWatch Logs extracts the metrics) and clear."""
        if not self.metric_set:
            warnings.warn("No application metrics to publish.", stacklevel=2)
            return
        if not _metrics_disabled():
            print(json.dumps(self.serialize_metric_set(), separators=(",", ":")))
        self.clear_metrics()

    def cold_start_document(self, function_name: str, timestamp_ms: int | None = None) -> dict[str, Any]:
        """Powertools' ``ColdStart`` EMF document (``capture_cold_start_metric=True``): its own
        document with the dimensions ``function_name`` and ``service``, stamped now by default."""
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [["function_name", "service"]],
                        "Metrics": [{"Name": "ColdStart", "Unit": "Count"}],
                    }
                ],
            },
            "function_name": function_name,
            "service": self.service,
            "ColdStart": [1.0],
        }

    def cold_start_line(self, function_name: str, timestamp_ms: int | None = None) -> str:
        """``cold_start_document(function_name)`` as the JSON line it is printed as, from the text
        rendered at init: the same characters, without building and encoding the document."""
        if self._cold_start_parts is None:
            return json.dumps(self.cold_start_document(function_name, timestamp_ms), separators=(",", ":"))
        head, middle, end = self._cold_start_parts
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        return f"{head}{stamp}{middle}{json.dumps(function_name)}{end}"

    def log_metrics(self, handler: Handler) -> Handler:
        """Decorator: count the cold start (as ``capture_cold_start_metric=True`` does), then
        flush the document after each invocation, whether it returned or raised."""

        @functools.wraps(handler)
        def wrapped(event: Any, context: Any) -> Any:
            global is_cold_start_metric
            cold_start, is_cold_start_metric = is_cold_start_metric, False
            if cold_start and not _metrics_disabled():
                print(self.cold_start_line(str(getattr(context, "function_name", ""))))
            try:
                return handler(event, context)
            finally:
                self.flush_metrics()

        return wrapped  # type: ignore[return-value]
