"""The router's log formatter (every handler's) writes what Powertools' own formatter writes."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from callback_router.powertools_format import LeanJsonFormatter


def record(**extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "router", "levelno": logging.INFO, "levelname": "INFO", "msg": "callback routed", **extra}
    )
    made.funcName, made.lineno = "record", 82
    return made


@pytest.mark.parametrize(
    "extra",
    [
        {"decision": "JunctionRedirect", "reason": "accepted_audience", "provider": "fitbit", "request_id": "r-1"},
        {"decision": "NotACallback", "reason": "no_route", "provider": None, "environment": None},
        {},
    ],
)
def test_same_fields_as_powertools(extra, monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")
    ours, theirs = LeanJsonFormatter("junction-callback-router"), LambdaPowertoolsFormatter()
    for formatter in (ours, theirs):
        formatter.append_keys(service="junction-callback-router", cold_start=True, function_request_id="abc")
    line = record(**extra)
    assert json.loads(ours.format(line)) == json.loads(theirs.format(line))


def test_lines_with_arguments_or_exceptions_are_written_as_powertools_does():
    try:
        raise ValueError("boom")
    except ValueError:
        line = record(exc_info=sys.exc_info())
    formatted = json.loads(LeanJsonFormatter("junction-callback-router").format(line))
    assert formatted["exception_name"] == "ValueError"
    assert json.loads(
        LeanJsonFormatter("junction-callback-router").format(record(msg="%s routed", args=("callback",)))
    )["message"] == ("callback routed")
