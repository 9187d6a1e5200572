"""What the regional handlers do with a request that is not Junction's: one module per fallback mode.

* :mod:`.reject`: a 404;
* :mod:`.redirect`: a 307 to the company's URL with the original query;
* :mod:`.proxy`: the request replayed to the company's URL (``h11``, TLS) and its answer returned;
* :mod:`.invoke`: the front's event handed to the company's function (:mod:`.lambda_client`).

A function imports only its configured mode's module, at init (:func:`load`): ``reject`` and
``redirect`` never load a TLS context or an HTTP client. Shared by the modes: :mod:`.request`
(the request passed on and its target), :mod:`.errors`, :mod:`.forwarding` (the headers the
router writes), :mod:`.deadline` and :mod:`.tls` (for the two that leave the function).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from callback_router.adapters.api import Answer, Front
from callback_router.core.config import Fallback, FallbackMode
from callback_router.fallbacks.request import ForwardedRequest

Responder = Callable[[Fallback, "str | None", ForwardedRequest, Front, "str | None"], Answer]
"""``answer(fallback, provider, request, front, own_path)`` of the ``reject``, ``redirect`` and
``proxy`` modules."""


def load(mode: FallbackMode) -> Responder | None:
    """Import the module of ``mode`` (at init) and return its ``answer``; ``None`` for ``invoke``,
    which hands the whole event over instead (:mod:`.invoke`, imported too)."""
    module = importlib.import_module(f"{__name__}.{mode}")
    return None if mode == "invoke" else module.answer
