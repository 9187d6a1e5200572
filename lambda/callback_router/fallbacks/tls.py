"""The verifying TLS context of the fallbacks that leave the function (``proxy``, ``invoke``)."""

from __future__ import annotations

import functools
import ssl


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process, built at init (``api_handlers``), not per request.

    Creating one loads the CA bundle: measured under the Lambda model (BENCHMARKS.md, API memory
    table) at 46 ms with 1769 MB and 701 ms with 128 MB when it was built for every request.
    """
    return ssl.create_default_context()
