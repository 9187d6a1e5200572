"""One entry point for every regional front: API Gateway HTTP and REST APIs, Function URLs, ALB.

A ``CallbackRouter`` function can be put behind several fronts at once (``add_to_http_api`` and
``add_to_alb``, say), so it cannot know its event shape from its configuration. The shapes are
told apart by what AWS documents for each:

* ALB: ``requestContext.elb`` (ELB guide, "Lambda functions as targets");
* HTTP API payload 2.0 and Function URLs: ``version == "2.0"``;
* everything else goes to the REST API (payload 1.0) handler, which also answers a malformed
  event with a clear 400.
"""

from __future__ import annotations

from typing import Any

from callback_router import snapstart  # noqa: F401 -- registers the SnapStart runtime hooks at init
from callback_router.api_handlers import alb_handler, http_api_handler, rest_api_handler


def api_handler(event: Any, context: Any) -> Any:
    """Route the event to the handler of its shape."""
    if isinstance(event, dict):
        request_context = event.get("requestContext")
        if isinstance(request_context, dict) and "elb" in request_context:
            return alb_handler(event, context)
        if event.get("version") == "2.0":
            return http_api_handler(event, context)
    return rest_api_handler(event, context)
