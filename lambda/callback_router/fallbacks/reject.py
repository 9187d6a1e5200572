"""The ``reject`` fallback: a request that is not Junction's gets a plain 404."""

from __future__ import annotations

from callback_router.adapters.api import Answer, Front, text_response
from callback_router.core.config import Fallback
from callback_router.core.texts import NOT_FOUND_TEXT
from callback_router.fallbacks.request import ForwardedRequest


def answer(
    fallback: Fallback, provider: str | None, request: ForwardedRequest, front: Front, own_path: str | None = None
) -> Answer:
    """``404 Not Found`` (also what ``redirect`` and ``proxy`` answer when there is nowhere to go)."""
    return text_response(404, NOT_FOUND_TEXT)
