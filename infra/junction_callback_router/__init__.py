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

from callback_router import __version__
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
