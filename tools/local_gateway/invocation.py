"""Calling the functions as Lambda would: a Lambda context, one call at a time, JSON in and out."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]

_HANDLER_LOCK = threading.Lock()
"""Handler calls share module state (the logger's appended keys, the metric set): one at a time."""


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of the Lambda context object that Powertools' Logger reads."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        """A syntactically valid ARN in a placeholder account."""
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Time left, as Lambda would report it (constant here: there is no deadline)."""
        return 5000


class _Discard(io.TextIOBase):
    """A text sink: where EMF metric lines go when the caller does not want them."""

    def write(self, text: str) -> int:
        return len(text)


_DISCARD = _Discard()


def invoke_handler(handler: Handler, event: dict[str, Any], function_name: str, emf: bool) -> Any:
    """Call a router handler as Lambda would, one call at a time (``emf=False``: its EMF lines dropped)."""
    context = FakeLambdaContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
    with _HANDLER_LOCK:
        if emf:
            return handler(event, context)
        # Powertools prints EMF with print(); POWERTOOLS_METRICS_DISABLED is no help here (3.37
        # keeps the metric set when disabled and prints it anyway once it reaches 100 entries).
        with contextlib.redirect_stdout(_DISCARD):
            return handler(event, context)


def call_company_function(handler: Handler, event: dict[str, Any]) -> Any:
    """A front's own invoke of the company's function (no router between): the event and the result
    cross as JSON, as through Lambda; a function that raises gets the front's own error answer."""
    from callback_router.fallbacks.invoke import front_error

    context = FakeLambdaContext(function_name="company-callback", aws_request_id=str(uuid.uuid4()))
    try:
        return json.loads(json.dumps(handler(json.loads(json.dumps(event)), context)))
    except Exception as error:  # noqa: BLE001 -- API Gateway and ALB answer 502 for a failed function
        sys.stderr.write(f"local gateway: the company function raised {type(error).__name__}\n")
        return front_error(event)
