"""The Lambda context object, faked: in process, and as source text for a fresh interpreter.

Standard library only, so a subprocess that reports what the handler imported is not disturbed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

REMAINING_TIME_MS = 5000


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda runtime's context object that Powertools and the router read."""

    function_name: str = "callback-router"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:callback-router"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/callback-router"
    log_stream_name: str = "2026/11/30/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        """Time left in the invocation; fixed, so nothing in a test depends on the clock."""
        return REMAINING_TIME_MS


def context_source(name: str = "Context", **overrides: Any) -> str:
    """Python source of a class ``name`` whose instances read like ``LambdaContext(**overrides)``.

    For scripts run in a fresh interpreter that cannot import this package (``python -I -S`` with
    only a Lambda asset on ``sys.path``, as Lambda runs it): the same attributes, written once.
    """
    context = replace(LambdaContext(), **overrides)
    lines = [f"class {name}:"]
    lines += [f"    {field.name} = {getattr(context, field.name)!r}" for field in fields(context)]
    lines += ["    def get_remaining_time_in_millis(self):", f"        return {REMAINING_TIME_MS}"]
    return "\n".join(lines) + "\n"
