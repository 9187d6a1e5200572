"""Lambda entry points, one per event source.

* ``http_api_handler``: API Gateway HTTP API (payload 2.0) and Lambda Function URLs.
* ``rest_api_handler``: API Gateway REST API proxy integration (payload 1.0).
* ``alb_handler``: Application Load Balancer (single- and multi-value headers).
* ``viewer_request_handler``: CloudFront Lambda@Edge viewer request.
* ``api_handler``: any of the first three, told apart by the event's shape (``CallbackRouter``
  uses it, as one function may stand behind several fronts).

Each is loaded on first access (PEP 562 module ``__getattr__``; the Lambda runtime resolves a
handler with ``getattr``), so a function imports only its own handler module: the edge never
loads the regional handlers' fallbacks and event adapters, nor they the edge's.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULE_OF = {
    "api_handler": "callback_router.api_dispatch",
    "http_api_handler": "callback_router.api_handlers",
    "rest_api_handler": "callback_router.api_handlers",
    "alb_handler": "callback_router.api_handlers",
    "viewer_request_handler": "callback_router.edge_handler",
}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
