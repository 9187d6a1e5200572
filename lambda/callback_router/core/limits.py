"""How large an answer each AWS front accepts from the function, and the check against it."""

from __future__ import annotations

import json
from collections.abc import Mapping

# Size limits of the answer each front accepts from the function, in bytes of the response JSON.
# Decimal megabytes: a few percent under the binary reading, so an answer that passes here is
# never the one the front turns into its own error page.
LAMBDA_RESPONSE_LIMIT = 6_000_000
"""HTTP API, REST API, Function URL (BUFFERED): "For synchronous invocations, the maximum payload
size is 6 MB", https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html"""
ALB_RESPONSE_LIMIT = 1_000_000
""""The maximum size of the response JSON that the Lambda function can send is 1 MB":
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html"""
EDGE_GENERATED_RESPONSE_LIMIT = 40_000
"""Viewer-request generated response, headers and body, 40 KB: "Quotas on Lambda@Edge",
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html"""


def _size_bound(answer: object) -> int:
    # ASCII-escaped JSON spends at most 12 bytes on one character (an astral one becomes two
    # \uXXXX escapes) and at most 24 on a number, boolean or null with its quotes and separators:
    # a cheap upper bound (a few µs) that spares serializing every small answer.
    characters = nodes = 0
    pending = [answer]
    while pending:
        value = pending.pop()
        nodes += 1
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, dict):
            pending += value.keys()
            pending += value.values()
        elif isinstance(value, list | tuple):
            pending += value
    return 12 * characters + 24 * nodes


def fits(answer: Mapping[str, object], limit: int) -> bool:
    """Whether ``answer``, serialized as the Lambda runtime does, is at most ``limit`` bytes.

    The Python runtime writes the response with ``ensure_ascii`` JSON (``python3.12`` without it,
    which is never larger), so ``json.dumps`` here measures what the front receives.
    """
    if _size_bound(answer) <= limit:
        return True
    return len(json.dumps(answer)) <= limit
