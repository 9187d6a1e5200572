"""The ``redirect`` fallback: a ``307`` to the company's URL with the original query, as received."""

from __future__ import annotations

from callback_router.adapters.api import Answer, Front, redirect_response
from callback_router.core.config import Fallback
from callback_router.core.uri import with_query
from callback_router.fallbacks import reject
from callback_router.fallbacks.request import ForwardedRequest, fallback_url


def answer(
    fallback: Fallback, provider: str | None, request: ForwardedRequest, front: Front, own_path: str | None = None
) -> Answer:
    """The ``307`` to the fallback URL (see ``fallback_url``), or a 404 where there is none."""
    url = fallback_url(fallback, provider, request, own_path)
    if url is None:
        return reject.answer(fallback, provider, request, front, own_path)
    return redirect_response(with_query(url, request.raw_query))
