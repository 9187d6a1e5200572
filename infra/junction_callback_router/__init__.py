"""Junction BYOO callback router: CDK constructs.

* :class:`CallbackRouter`: the regional function, put behind an HTTP API, a REST API, an
  Application Load Balancer or a Function URL (``add_to_http_api``, ``add_to_rest_api``,
  ``add_to_alb``, ``add_function_url``).
* :class:`EdgeCallbackRouter`: the CloudFront viewer-request function (Lambda@Edge); put
  ``edge_lambda`` on the distribution's callback behaviour.
* :class:`CloudFrontFunctionCallbackRouter`: the same router as a CloudFront Function (viewer
  request, no cold start); put ``function_association`` on the callback behaviour.
* :class:`Fallback` and :class:`Route`: typed values for their props.
* :class:`RouterOptions`: the runtime settings once, for ``CallbackRouter.from_options`` and
  ``EdgeCallbackRouter.from_options`` (the keyword props build the same object).

Every prop is validated at synth by the same config parser the function runs at a cold start;
a mistake raises :class:`RouterConfigError` naming the construct and the prop.

``__version__`` is the distribution's version, the same as ``callback_router.__version__``
(one source: the function package, which this library bundles).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from callback_router import __version__

if TYPE_CHECKING:
    from junction_callback_router.cloudfront_function_router import CloudFrontFunctionCallbackRouter
    from junction_callback_router.edge import EdgeCallbackRouter
    from junction_callback_router.options import Fallback, Route, RouterConfigError, RouterOptions
    from junction_callback_router.router import CallbackRouter

__all__ = [
    "CallbackRouter",
    "CloudFrontFunctionCallbackRouter",
    "EdgeCallbackRouter",
    "Fallback",
    "Route",
    "RouterConfigError",
    "RouterOptions",
    "__version__",
]

_HOMES = {
    "CallbackRouter": "junction_callback_router.router",
    "CloudFrontFunctionCallbackRouter": "junction_callback_router.cloudfront_function_router",
    "EdgeCallbackRouter": "junction_callback_router.edge",
    "Fallback": "junction_callback_router.options",
    "Route": "junction_callback_router.options",
    "RouterConfigError": "junction_callback_router.options",
    "RouterOptions": "junction_callback_router.options",
}


def __getattr__(name: str) -> Any:
    # Imported on first use (PEP 562): the command line (junction_callback_router.cli) reads
    # templates as JSON and must not start the CDK's jsii runtime by importing this package.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
