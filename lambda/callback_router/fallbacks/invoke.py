"""The ``invoke`` fallback: the front's event in, the company's result out.

The company's function gets the very event the front produced and its result goes back as is, so
API Gateway, ALB or the Function URL read it exactly as without the router (payload 2.0 simple
responses included). When the function gives no result, the router answers what the front itself
would have answered: the user sees the same error page, and the router counts it.
"""

from __future__ import annotations

from typing import Any

from callback_router.core.config import Fallback
from callback_router.fallbacks.lambda_client import InvokeFailed, event_bytes, invoke

ANSWER_MARGIN_SECONDS = 0.5
"""Router time kept after the invoke's deadline to log, count and answer the 502 itself."""

API_GATEWAY_ERROR: dict[str, Any] = {
    "statusCode": 502,  # 500 when the Lambda API refused the invoke: see front_error
    "headers": {"Content-Type": "application/json"},
    "body": '{"message": "Internal server error"}',
    "isBase64Encoded": False,
}
"""REST and HTTP API on a function error (Lambda developer guide, "Handling Lambda errors with an
API Gateway API": 502 when the function fails or answers badly, 500 when the Lambda API rejects
the invocation; the body is ``{"message": "Internal server error"}`` in both cases)."""
FUNCTION_URL_ERROR: dict[str, Any] = {
    "statusCode": 502,
    "headers": {"Content-Type": "text/plain"},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}
"""A Function URL whose function fails answers 502 ``Internal Server Error``
(awsdocs/aws-lambda-developer-guide issue 430)."""
ALB_ERROR_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
"""The page an ALB serves when its Lambda target fails (ELB guide, "HTTP 502: Bad gateway")."""


def front_error(raw_event: Any, *, refused: bool = False) -> dict[str, Any]:
    """What the event's front answers by itself when its function fails (``refused``: the Lambda
    API rejected the invoke), in that front's format."""
    api_gateway = _copy(API_GATEWAY_ERROR) | ({"statusCode": 500} if refused else {})
    if not isinstance(raw_event, dict):  # no front sends that: API Gateway's answer, as the dispatcher assumes
        return api_gateway
    context = raw_event.get("requestContext")
    context = context if isinstance(context, dict) else {}
    if "elb" in context:
        headers = {"Content-Type": "text/html"}
        answer: dict[str, Any] = {"statusCode": 502, "statusDescription": "502 Bad Gateway", "isBase64Encoded": False}
        if "multiValueHeaders" in raw_event:  # the target group then reads only multiValueHeaders
            answer["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
        else:
            answer["headers"] = headers
        return answer | {"body": ALB_ERROR_PAGE}
    domain = context.get("domainName")
    if raw_event.get("version") == "2.0" and isinstance(domain, str) and ".lambda-url." in domain:
        return _copy(FUNCTION_URL_ERROR)
    return api_gateway


def _copy(answer: dict[str, Any]) -> dict[str, Any]:
    return answer | {"headers": dict(answer["headers"])}


def invoke_timeout(configured: float, context: Any) -> float:
    """``configured``, cut so that the invoke never outlives the router's own invocation.

    Raises:
        InvokeFailed: no time is left for an invoke at all.
    """
    try:
        remaining = float(context.get_remaining_time_in_millis()) / 1000
    except Exception:  # noqa: BLE001 -- no Lambda context (a local run): the configured timeout
        return configured
    timeout = min(configured, remaining - ANSWER_MARGIN_SECONDS)
    if timeout <= 0:
        raise InvokeFailed("no time left for the invoke")
    return timeout


def hand_over(fallback: Fallback, raw_event: Any, context: Any) -> Any:
    """Invoke the company's function with ``raw_event`` unchanged and return its result.

    Raises:
        InvokeFailed: the function gave no result (see :func:`~callback_router.fallbacks.lambda_client.invoke`).
    """
    if fallback.function_arn is None:  # parse_config never builds one; a clear error if it ever did
        raise InvokeFailed("no function_arn")
    return invoke(fallback.function_arn, event_bytes(raw_event), invoke_timeout(fallback.timeout_seconds, context))
