"""Bounded load on loopback through the local gateway and the real handlers.

20,000 requests at concurrency 50 in all (a third on each front: HTTP API, CloudFront, ALB), a
mix of Junction, foreign environment, the company's own and garbage callbacks; every answer must
be exactly right. Each front is stopped by a hard time bound (``LOAD_SECONDS_PER_FRONT``) so the
test ends within a minute on a 2-core machine; the figures are printed, never asserted.
``LOAD_REQUESTS`` / ``LOAD_CONCURRENCY`` override the size.
"""

from __future__ import annotations

import os

import pytest

from tools.load import FRONTS, load_gateway
from tools.local_gateway import LocalGateway

pytestmark = pytest.mark.load

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "20000"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "50"))
SECONDS_PER_FRONT = float(os.environ.get("LOAD_SECONDS_PER_FRONT", "18"))


@pytest.mark.parametrize("front", FRONTS)
def test_load_every_answer_right(front: str, gateway: LocalGateway) -> None:
    result = load_gateway(
        gateway,
        front=front,
        requests=REQUESTS // len(FRONTS),
        concurrency=CONCURRENCY,
        time_limit=SECONDS_PER_FRONT,
        processes=1,  # the clients in their own process, off the gateway's GIL
    )
    print()
    print(result.summary())
    if result.timed_out:
        print(f"  stopped by the {SECONDS_PER_FRONT:g} s bound after {result.completed} requests")
    assert result.errors == 0, result.problems
    assert result.wrong == 0, result.problems
    # A time-bounded run on a slow machine may send fewer, but never so few that it is no load test.
    assert result.completed >= min(2_000, REQUESTS // len(FRONTS)), result.summary()
    assert set(result.by_kind) == {"junction", "foreign", "not_junction", "garbage"}
