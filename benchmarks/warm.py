"""Warm per-event cost, run in a child process whose stdout (logs, EMF) goes to /dev/null.

Usage: ``python -m benchmarks.warm NAIVE_DIR OUT.json``. Every handler is imported first, then
each scenario is timed with ``timeit`` (auto-ranged loops, median of repeats).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.baselines import guide_approach
from benchmarks.scenarios import CONFIG, HANDLER_OF, PATH, QUERIES, event, token, token_of_length

REPEATS = 5
GROWTH_SOURCES = ("cloudfront", "http_api")


class Context:
    """The Lambda context attributes Powertools reads."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-request"


def per_call_us(call: Callable[[], Any]) -> float:
    """Median microseconds per call over ``REPEATS`` auto-ranged timings."""
    timer = timeit.Timer(call)
    loops, _ = timer.autorange()
    samples = [seconds / loops * 1e6 for seconds in timer.repeat(REPEATS, loops)]
    return statistics.median(samples)


def invocation(handlers: ModuleType, source: str, raw_query: str, context: Context) -> Callable[[], Any]:
    """One ready-to-call handler invocation for ``GET /oauth_callback/fitbit?raw_query``."""
    return partial(getattr(handlers, HANDLER_OF[source]), event(source, raw_query), context)


def main(naive_dir: str, out: str) -> None:
    os.environ["CALLBACK_ROUTER_CONFIG"] = json.dumps(CONFIG)
    sys.path.insert(0, naive_dir)
    import jwt
    import naive_handler  # type: ignore[import-not-found]

    from callback_router import handlers

    context = Context()
    results: dict[str, Any] = {"per_event": {}, "state_growth": {}, "query_growth": {}}
    junction_state = token()
    results["per_event"]["jwt.decode alone"] = per_call_us(
        lambda: jwt.decode(junction_state, options={"verify_signature": False})
    )
    for decision, query in QUERIES.items():
        row: dict[str, float] = {}
        row["guide approach (correct)"] = per_call_us(partial(guide_approach, query, "fitbit"))
        row["naive build (REST)"] = per_call_us(partial(naive_handler.handler, event("rest_api", query), context))
        for source in HANDLER_OF:
            row[source] = per_call_us(invocation(handlers, source, query, context))
        results["per_event"][decision] = row
    for length in (100, 500, 1000, 2000, 4096):
        state = token_of_length(length)
        query = f"code=4f1b2c3d&state={state}"
        results["state_growth"][str(len(state))] = {
            source: per_call_us(invocation(handlers, source, query, context)) for source in GROWTH_SOURCES
        }
    for extra in (0, 1000, 4000, 16000):
        query = f"code=4f1b2c3d&state={junction_state}&note={'a' * extra}"
        results["query_growth"][str(extra)] = {
            source: per_call_us(invocation(handlers, source, query, context)) for source in GROWTH_SOURCES
        }
    # The measured calls must have been the right ones: a Junction callback is redirected.
    assert handlers.viewer_request_handler(event("cloudfront", QUERIES["junction"], PATH), context)["status"] == "307"
    Path(out).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
