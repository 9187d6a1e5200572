"""No environment variable makes a secret reach a log line.

Every handler runs in a fresh interpreter (a cold start, as Lambda would do it) under each
variable Powertools for AWS Lambda (Python) documents or reads (its "Environment variables" table
and ``aws_lambda_powertools.shared.constants``), one at a time and all together, with requests
of every kind: Junction redirect, foreign environment, invalid provider, the company's own
callback, a POST with a body, a path that is no callback, a malformed event. Everything the
process writes, stdout and stderr, is scanned for the code, the state, the token, the cookie,
the body and the query string.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from tests.support.contexts import LambdaContext
from tests.support.tokens import PRODUCTION_US, mint_token
from tests.functional import sources
from callback_router import handlers

secrets = json.loads(sys.argv[1])
token, foreign, code, cookie, body = (secrets[k] for k in ("token", "foreign", "code", "cookie", "body"))
query = f"code={code}&state={token}&scope=weight"
requests = [
    ("/oauth_callback/fitbit", query, "GET"),
    ("/oauth_callback/fitbit", f"code={code}&state={foreign}", "GET"),
    ("/oauth_callback/Fit%0Abit", query, "GET"),
    ("/oauth_callback/fitbit", f"code={code}&state=company-{code}", "GET"),
    ("/oauth_callback/fitbit", query, "POST"),
    ("/elsewhere", query, "GET"),
]
answered = 0
for source in sources.ALL_SOURCES:
    for path, raw_query, method in requests:
        event = source.event(path, raw_query, method)
        if not source.is_edge:
            event["body"] = body
        handler = getattr(handlers, source.handler)
        handler(event, LambdaContext())
        answered += 1
    getattr(handlers, source.handler)({"garbage": query}, LambdaContext())  # malformed event
    answered += 1
print("ANSWERED", answered)
"""

# Cookies in the event fixtures: tests/events/*.json carry this session cookie.
COOKIE = "s3cr3t-session-cookie"

POWERTOOLS_VARIABLES: dict[str, str] = {
    "POWERTOOLS_DEV": "true",
    "POWERTOOLS_DEBUG": "true",
    "POWERTOOLS_LOGGER_LOG_EVENT": "true",
    "POWERTOOLS_LOG_LEVEL": "DEBUG",
    "LOG_LEVEL": "DEBUG",
    "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
    "POWERTOOLS_LOGGER_SAMPLE_RATE": "1",
    "POWERTOOLS_LOG_DEDUPLICATION_DISABLED": "true",
    "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
    "POWERTOOLS_TRACE_MIDDLEWARES": "true",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "true",
    "POWERTOOLS_TRACER_CAPTURE_ERROR": "true",
    "POWERTOOLS_TRACE_DISABLED": "false",
    "POWERTOOLS_METRICS_DISABLED": "false",
    "POWERTOOLS_SERVICE_NAME": "env-service",
    "POWERTOOLS_METRICS_NAMESPACE": "EnvNamespace",
    "POWERTOOLS_METRICS_FUNCTION_NAME": "env-function",
    "POWERTOOLS_PARAMETERS_SSM_DECRYPT": "true",
    "POWERTOOLS_PARAMETERS_MAX_AGE": "0",
    "POWERTOOLS_IDEMPOTENCY_DISABLED": "true",
}
CASES = [pytest.param({name: value}, id=name) for name, value in POWERTOOLS_VARIABLES.items()]
CASES.append(pytest.param(dict(POWERTOOLS_VARIABLES), id="all-at-once"))

CONFIGS: dict[str, dict[str, object]] = {
    "redirect": {
        "environments": ["sandbox-us"],
        "fallback": {"mode": "redirect", "url": "https://auth.example.com/cb"},
    },
    # A closed loopback port: the proxy fails at once and the failure is logged and counted.
    "proxy": {"environments": ["sandbox-us"], "fallback": {"mode": "proxy", "url": "http://127.0.0.1:9/cb"}},
}


def run_handlers(variables: dict[str, str], config: dict[str, object]) -> tuple[str, dict[str, str]]:
    from tests.support.tokens import PRODUCTION_US, mint_token

    secrets = {
        "token": mint_token(),
        "foreign": mint_token(PRODUCTION_US),
        "code": "c0de-9f8e7d6c5b4a3921",
        "cookie": COOKIE,
        "body": "password=b0dy-s3cr3t-value",
    }
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lambda"), str(ROOT / "infra")]),
        "CALLBACK_ROUTER_CONFIG": json.dumps(config),
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(secrets)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environ,
        check=False,
    )
    written = completed.stdout + completed.stderr
    assert completed.returncode == 0, written[-3000:]
    assert "ANSWERED 42" in completed.stdout
    return written, secrets


@pytest.mark.parametrize("fallback", sorted(CONFIGS))
@pytest.mark.parametrize("variables", CASES)
def test_no_powertools_variable_puts_a_secret_in_the_logs(variables: dict[str, str], fallback: str) -> None:
    written, secrets = run_handlers(variables, CONFIGS[fallback])
    assert '"decision"' in written  # the handlers did log their lines
    for name, secret in secrets.items():
        assert secret not in written, f"{name} leaked under {sorted(variables)}"
    assert "c0de-9f8e7d6c5b4a3921&state" not in written  # nor the query string
    assert "eyJ" not in written  # nor any part of a JWT
