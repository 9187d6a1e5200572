"""Application Load Balancer events (Lambda target group).

Query keys and values arrive *not* decoded, so joining them back as ``key=value`` keeps their
bytes; without multi-value headers ALB keeps only the last value of a repeated key. The answer
carries ``multiValueHeaders`` when the event has them (the target group setting), else
``headers`` with one value per name.
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callback_router.adapters.api import (
    Answer,
    CallbackQuery,
    PayloadV1Front,
    body_fields,
    multi_value_headers,
    single_value_headers,
)
from callback_router.core.limits import ALB_RESPONSE_LIMIT
from callback_router.core.uri import query_values


@dataclass(frozen=True)
class AlbFront(PayloadV1Front):
    """The ALB front."""

    def query(self, event: dict[str, Any]) -> CallbackQuery:
        """Raw keys and values, joined back unchanged."""
        # A key sent without '=' may come as "" (forwarded as "key=") or, in a hand-made event, null.
        raw = "&".join(key if value is None else f"{key}={value}" for key, value in self.query_pairs(event))
        return CallbackQuery(raw, query_values(raw, "state"))

    def write(self, answer: Answer, event: dict[str, Any]) -> dict[str, Any]:
        """``multiValueHeaders`` when the event has them (the target group's setting), else ``headers``."""
        multi_value = isinstance(event, dict) and bool(event.get("multiValueHeaders"))
        return body_fields(answer) | (multi_value_headers(answer) if multi_value else single_value_headers(answer))


ALB_FRONT = AlbFront("ALB", ALB_RESPONSE_LIMIT, binary_bodies=True)
