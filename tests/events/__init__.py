"""Lambda event fixtures written from the AWS documentation's examples, and a loader.

Each JSON file is the documented example event of one source, adapted to an OAuth callback
``GET /oauth_callback/fitbit?code=...&state=STATE&scope=...``. Tests replace ``STATE`` (and
anything else) with :mod:`tests.support.events`, which rebuilds the event for a path, a raw
query and a method the way that source would present them.

* ``http_api_v2.json``: API Gateway HTTP API, payload format 2.0
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
* ``function_url.json``: Lambda Function URL request payload (same 2.0 shape, ``accountId``
  ``anonymous``; https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
* ``rest_api_v1.json``: API Gateway REST API Lambda proxy integration input, payload 1.0
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
* ``alb_single_value.json`` / ``alb_multi_value.json``: ALB target group events without and with
  multi-value headers (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html).
* ``cloudfront_viewer_request.json``: Lambda@Edge viewer request
  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).parent
EVENT_NAMES = (
    "http_api_v2",
    "function_url",
    "rest_api_v1",
    "alb_single_value",
    "alb_multi_value",
    "cloudfront_viewer_request",
)


@cache
def _read(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def load_event(name: str) -> dict[str, Any]:
    """A fresh (deep-copied) event from ``tests/events/{name}.json``."""
    return copy.deepcopy(_read(name))
